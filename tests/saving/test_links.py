"""Files that reach outside themselves (links, external storage, virtual datasets) are refused on every path.

Each hostile file is built with h5py from a clean minikeras file; the data it points at is a real, valid
weights file of the same architecture holding other values, so following the link would load it.
"""

import re
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.saving import ModelFileError
from minikeras.saving.saving_api import describe_file

# Where each layout keeps its weights: the top-level group, and one dataset nested inside it.
LEGACY = {"top": "/model_weights", "dataset": "/model_weights/second/second/bias"}
KERAS3 = {"top": "/layers", "dataset": "/layers/dense_1/vars/1"}


def small_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, name="first"), layers.Dense(2, name="second")])


def unsealed_copy(src, dst):
    """Copy an HDF5 file without minikeras's seal, as another tool would write it (h5py may then edit it)."""
    with h5py.File(src) as source, h5py.File(dst, "w") as target:
        for key, value in source.attrs.items():
            target.attrs[key] = value
        for name in source:
            source.copy(name, target)
    return dst


def link_top_externally(f, layout, other):
    del f[layout["top"]]
    f[layout["top"]] = h5py.ExternalLink(str(other), layout["top"])


def link_dataset_externally(f, layout, other):
    del f[layout["dataset"]]
    f[layout["dataset"]] = h5py.ExternalLink(str(other), layout["dataset"])


def link_top_softly(f, layout, other):
    with h5py.File(other, "r") as source:
        source.copy(layout["top"], f, name="/stash")
    del f[layout["top"]]
    f[layout["top"]] = h5py.SoftLink("/stash")


def link_dataset_softly(f, layout, other):
    with h5py.File(other, "r") as source:
        source.copy(layout["dataset"], f, name="/stash")
    del f[layout["dataset"]]
    f[layout["dataset"]] = h5py.SoftLink("/stash")


def store_dataset_externally(f, layout, other):
    with h5py.File(other, "r") as source:
        values = np.asarray(source[layout["dataset"]])
    raw = other.with_suffix(".raw")
    raw.write_bytes(values.tobytes())
    del f[layout["dataset"]]
    f.create_dataset(layout["dataset"], shape=values.shape, dtype=values.dtype, external=[(str(raw), 0, values.nbytes)])


def make_dataset_virtual(f, layout, other):
    with h5py.File(other, "r") as source:
        shape, dtype = source[layout["dataset"]].shape, source[layout["dataset"]].dtype
    virtual = h5py.VirtualLayout(shape=shape, dtype=dtype)
    virtual[...] = h5py.VirtualSource(str(other), layout["dataset"], shape=shape)
    del f[layout["dataset"]]
    f.create_virtual_dataset(layout["dataset"], virtual)


# Each edit, with the words the refusal must use for it.
EDITS = {
    "external_link_top": (link_top_externally, "'{top}' is an external link to '{top}' in file"),
    "external_link_nested": (link_dataset_externally, "'{dataset}' is an external link to '{dataset}' in file"),
    "soft_link_top": (link_top_softly, "'{top}' is a soft link to '/stash'"),
    "soft_link_nested": (link_dataset_softly, "'{dataset}' is a soft link to '/stash'"),
    "external_storage": (store_dataset_externally, "dataset '{dataset}' keeps its values in external raw storage"),
    "virtual_dataset": (make_dataset_virtual, "'{dataset}' is a virtual dataset"),
}


def hostile_h5(tmp_path, kind, save, layout):
    """A clean unsealed file written by `save`, edited by EDITS[kind] to reach into another file of the same layout.

    Returns:
        The hostile file's path and the message the refusal must match.
    """
    suffix = ".h5" if layout is LEGACY else ".weights.h5"
    other_model = small_model(seed=2)
    save(other_model, tmp_path / f"sealed_other{suffix}")
    other = unsealed_copy(tmp_path / f"sealed_other{suffix}", tmp_path / f"other{suffix}")
    save(small_model(seed=1), tmp_path / f"sealed{suffix}")
    path = unsealed_copy(tmp_path / f"sealed{suffix}", tmp_path / f"hostile{suffix}")
    edit, message = EDITS[kind]
    with h5py.File(path, "r+") as f:
        edit(f, layout, other)
    return path, message.format(**layout)


def hostile_keras(tmp_path, kind):
    """A `.keras` archive whose inner `model.weights.h5` is edited by EDITS[kind]."""
    weights, message = hostile_h5(tmp_path, kind, lambda model, path: model.save_weights(path), KERAS3)
    small_model(seed=1).save(tmp_path / "clean.keras")
    path = tmp_path / "hostile.keras"
    with zipfile.ZipFile(tmp_path / "clean.keras") as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = weights.read_bytes() if info.filename == "model.weights.h5" else source.read(info.filename)
            target.writestr(info.filename, data)
    return path, message


def save_whole(model, path):
    model.save(path)


def save_weights(model, path):
    model.save_weights(path)


def assert_refused_and_unchanged(load, path, message):
    """`load(victim, path)` raises the refusal naming `message`, and the victim model keeps its own weights."""
    victim = small_model(seed=3)
    before = victim.get_weights()
    with pytest.raises(ModelFileError, match=r"refers to data outside itself: " + re.escape(message)):
        load(victim, path)
    for a, b in zip(victim.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_the_clean_files_load(tmp_path):
    """The refusals below come from the edits, not from the way the files are made."""
    for path in (
        unsealed_copy(_saved(tmp_path, save_whole, ".h5"), tmp_path / "plain.h5"),
        unsealed_copy(_saved(tmp_path, save_weights, ".weights.h5"), tmp_path / "plain.weights.h5"),
    ):
        victim = small_model(seed=3)
        victim.load_weights(path)
        for a, b in zip(victim.get_weights(), small_model(seed=1).get_weights()):
            np.testing.assert_array_equal(a, b)
    keras.models.load_model(tmp_path / "plain.h5")
    small_model(seed=1).save(tmp_path / "clean.keras")
    keras.models.load_model(tmp_path / "clean.keras")


def _saved(tmp_path, save, suffix):
    save(small_model(seed=1), tmp_path / f"sealed{suffix}")
    return tmp_path / f"sealed{suffix}"


@pytest.mark.parametrize("kind", list(EDITS))
def test_load_model_h5_refuses(tmp_path, kind):
    path, message = hostile_h5(tmp_path, kind, save_whole, LEGACY)
    assert_refused_and_unchanged(lambda victim, p: keras.models.load_model(p), path, message)


@pytest.mark.parametrize("kind", list(EDITS))
def test_load_model_keras_refuses_its_inner_weights_file(tmp_path, kind):
    path, message = hostile_keras(tmp_path, kind)
    assert_refused_and_unchanged(lambda victim, p: keras.models.load_model(p), path, message)


@pytest.mark.parametrize("kind", list(EDITS))
def test_load_weights_legacy_h5_layout_refuses(tmp_path, kind):
    path, message = hostile_h5(tmp_path, kind, save_whole, LEGACY)
    assert_refused_and_unchanged(lambda victim, p: victim.load_weights(p), path, message)


@pytest.mark.parametrize("kind", list(EDITS))
def test_load_weights_keras3_weights_h5_refuses(tmp_path, kind):
    path, message = hostile_h5(tmp_path, kind, save_weights, KERAS3)
    assert_refused_and_unchanged(lambda victim, p: victim.load_weights(p), path, message)


@pytest.mark.parametrize("kind", list(EDITS))
def test_load_weights_from_a_keras_archive_refuses(tmp_path, kind):
    path, message = hostile_keras(tmp_path, kind)
    assert_refused_and_unchanged(lambda victim, p: victim.load_weights(p), path, message)


@pytest.mark.parametrize("kind", ["external_link_top", "soft_link_nested"])
def test_describe_file_refuses(tmp_path, kind):
    path, message = hostile_h5(tmp_path, kind, save_whole, LEGACY)
    with pytest.raises(ModelFileError, match=re.escape(message)):
        describe_file(path)


def test_a_cycle_of_hard_links_inside_the_file_is_walked_once(tmp_path):
    """Hard links stay inside the file and are allowed; a group linked into itself must not loop forever."""
    path = unsealed_copy(_saved(tmp_path, save_whole, ".h5"), tmp_path / "plain.h5")
    with h5py.File(path, "r+") as f:
        f["model_weights/first/loop"] = f["model_weights"]
    victim = small_model(seed=3)
    victim.load_weights(path)
    for a, b in zip(victim.get_weights(), small_model(seed=1).get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["model.pkl", "model.weights", "model"])
def test_load_model_names_the_supported_extensions(tmp_path, name):
    small_model(seed=1).save(tmp_path / "m.h5")
    (tmp_path / name).write_bytes((tmp_path / "m.h5").read_bytes())  # an existing, valid file with another name
    with pytest.raises(ValueError, match=r"'\.keras'.*'\.h5' or '\.hdf5'.*Received: filepath=.*" + name):
        keras.models.load_model(tmp_path / name)
