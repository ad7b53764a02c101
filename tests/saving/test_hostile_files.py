"""Files from strangers: nothing they say is executed, nothing huge is allocated, errors are clean."""

import json
import os

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras.saving import ModelFileError


def unsealed_copy(src, dst):
    """Copy a minikeras file without its SHA-256 seal, as another tool would write it."""
    with h5py.File(src) as source, h5py.File(dst, "w") as target:
        for key, value in source.attrs.items():
            target.attrs[key] = value
        for name in source:
            source.copy(name, target)
    return dst


@pytest.fixture
def plain_file(tmp_path, trained_model):
    trained_model.save(tmp_path / "sealed.h5")
    return unsealed_copy(tmp_path / "sealed.h5", tmp_path / "plain.h5")


def edit_config(path, edit):
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config["config"]["layers"])
        f.attrs["model_config"] = json.dumps(config).encode()


def test_an_unsealed_file_from_another_tool_loads(plain_file, trained_model):
    loaded = keras.models.load_model(plain_file)
    for a, b in zip(loaded.get_weights(), trained_model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_sealed_file_changed_after_saving_is_refused(tmp_path, trained_model):
    path = tmp_path / "m.h5"
    trained_model.save(path)
    with h5py.File(path, "r+") as f:  # a hand edit with h5py keeps the file valid HDF5
        f["model_weights"].attrs["backend"] = "other"
    with pytest.raises(ModelFileError, match="SHA-256 seal does not match"):
        keras.models.load_model(path)


@pytest.mark.parametrize("class_name", ["Lambda", "TFOpLambda"])
def test_code_carrying_layers_are_refused(plain_file, class_name):
    def add_lambda(layers):
        layers.insert(
            2, {"class_name": class_name, "config": {"name": "evil", "function": ["print('pwned')", None, None]}}
        )

    edit_config(plain_file, add_lambda)
    with pytest.raises(ModelFileError, match=r"carries Python code.*never runs code"):
        keras.models.load_model(plain_file)


@pytest.mark.parametrize("class_name", ["os.system", "builtins.eval", "subprocess.Popen", "__import__", "Functional"])
def test_unknown_or_dotted_class_names_are_refused_without_importing(plain_file, class_name):
    def rename(layers):
        layers[1]["class_name"] = class_name
        layers[1]["module"] = "os"

    edit_config(plain_file, rename)
    with pytest.raises(ValueError, match=rf"Unknown layer: '{class_name}'.*register_serializable"):
        keras.models.load_model(plain_file)


def test_a_nested_sequential_entry_without_layers_is_refused(plain_file):
    def rename(layers):
        layers[1]["class_name"] = "Sequential"
        layers[1]["module"] = "os"

    edit_config(plain_file, rename)
    with pytest.raises(ModelFileError, match="no list of layers"):
        keras.models.load_model(plain_file)


def test_a_non_sequential_model_class_is_refused(plain_file):
    with h5py.File(plain_file, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["class_name"] = "Functional"
        f.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(ModelFileError, match="Sequential"):
        keras.models.load_model(plain_file)


def test_a_dataset_declaring_a_huge_shape_costs_nothing(plain_file, trained_model):
    dense = trained_model.layers[5]
    with h5py.File(plain_file, "r+") as f:
        group = f["model_weights"][dense.name]
        name = f"{dense.name}/kernel"
        del group[name]
        group.create_dataset(name, shape=(10**7, 10**7), dtype="float32", chunks=(1, 1024))  # 400 TB declared
    assert os.path.getsize(plain_file) < 1_000_000
    with pytest.raises(ModelFileError, match=r"\(10000000, 10000000\) in the file"):
        keras.models.load_model(plain_file)


def test_a_config_claiming_more_weights_than_the_file_holds_is_refused_before_allocating(plain_file):
    def widen(layers):
        dense = next(entry for entry in layers if entry["class_name"] == "Dense")
        dense["config"]["units"] = 10**9  # a 36e9-value kernel

    edit_config(plain_file, widen)
    with pytest.raises(ValueError, match=r"more than the \d+ values the file being loaded holds"):
        keras.models.load_model(plain_file)


def test_wrong_weight_shapes_are_refused(plain_file, trained_model):
    dense = trained_model.layers[5]
    with h5py.File(plain_file, "r+") as f:
        group = f["model_weights"][dense.name]
        del group[f"{dense.name}/bias"]
        group.create_dataset(f"{dense.name}/bias", data=np.zeros(6, dtype=np.float32))
    with pytest.raises(
        ModelFileError, match=rf"'bias' of layer '{dense.name}' has shape \(5,\) in the model, but \(6,\)"
    ):
        keras.models.load_model(plain_file)


def test_a_string_dataset_where_weights_belong_is_refused(plain_file, trained_model):
    dense = trained_model.layers[5]
    with h5py.File(plain_file, "r+") as f:
        group = f["model_weights"][dense.name]
        del group[f"{dense.name}/bias"]
        group.create_dataset(f"{dense.name}/bias", data=np.array([b"abcde"] * 5))
    with pytest.raises(ModelFileError, match="not a numeric type"):
        keras.models.load_model(plain_file)


def test_links_to_other_files_are_not_followed(plain_file, trained_model, tmp_path):
    np.save(tmp_path / "secret.npy", np.zeros(3))
    dense = trained_model.layers[5]
    with h5py.File(plain_file, "r+") as f:
        group = f["model_weights"][dense.name]
        del group[f"{dense.name}/bias"]
        group[f"{dense.name}/bias"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/bias")
    with pytest.raises(ModelFileError, match=r"is an external link to '/bias' in file .*other\.h5"):
        keras.models.load_model(plain_file)


@pytest.mark.parametrize(
    "content",
    [b"", b"not an hdf5 file at all", bytes(range(256)) * 40, b"\x89HDF\r\n\x1a\n" + b"\0" * 100],
    ids=["empty", "text", "random", "signature_only"],
)
def test_empty_random_and_truncated_files_raise_clean_errors(tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises((ValueError, OSError)):
        keras.models.load_model(path)


def test_a_truncated_saved_file_raises_a_clean_error(tmp_path, trained_model):
    trained_model.save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    for cut in (10, 600, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.h5").write_bytes(data[:cut])
        with pytest.raises((ValueError, OSError)):
            keras.models.load_model(tmp_path / "cut.h5")


def test_a_weights_file_is_not_a_model_file(tmp_path, trained_model):
    trained_model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ModelFileError, match="No model config"):
        keras.models.load_model(tmp_path / "w.weights.h5")


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / "nope.h5")
