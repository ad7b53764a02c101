"""What minikeras refuses in Keras files, and how it says so."""

import io
import json
import os
import pathlib
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras.saving import ModelFileError

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"


def rewrite_keras_archive(src, dst, edit_config=None, extra_entries=(), weights=None):
    """Copy a .keras archive, editing its config or adding entries."""
    with zipfile.ZipFile(src) as source, zipfile.ZipFile(dst, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "config.json" and edit_config:
                config = json.loads(data)
                edit_config(config)
                data = json.dumps(config).encode()
            if info.filename == "model.weights.h5" and weights is not None:
                data = weights
            target.writestr(info.filename, data)
        for name, data in extra_entries:
            target.writestr(name, data)
    return dst


def layer_configs(config):
    return config["config"]["layers"]


def test_a_layer_minikeras_lacks_is_named_with_the_supported_ones(tmp_path):
    def add_lstm(config):
        layer_configs(config).insert(
            2, {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "units": 4}}
        )

    path = rewrite_keras_archive(FIXTURES / "keras3_cnn.keras", tmp_path / "lstm.keras", add_lstm)
    with pytest.raises(ValueError, match=r"Unknown layer: 'LSTM'.*Known names: .*Conv2D.*Dense.*MaxPooling2D"):
        keras.models.load_model(path)


@pytest.mark.parametrize(
    "option, value",
    [
        ("bias_constraint", {"class_name": "MaxNorm", "config": {"max_value": 2}}),
        ("kernel_constraint", {"class_name": "NonNeg", "config": {}}),
    ],
)
def test_an_option_that_would_change_results_is_refused(tmp_path, option, value):
    def set_option(config):
        conv = next(entry for entry in layer_configs(config) if entry["class_name"] == "Conv2D")
        conv["config"][option] = value

    path = rewrite_keras_archive(FIXTURES / "keras3_cnn.keras", tmp_path / "opt.keras", set_option)
    with pytest.raises(ModelFileError, match=rf"Layer 'conv2d.*' \(Conv2D\) uses {option}=.*does not implement"):
        keras.models.load_model(path)


def test_neutral_options_and_dtype_policies_are_accepted():
    with zipfile.ZipFile(FIXTURES / "keras3_cnn.keras") as archive:
        config = json.loads(archive.read("config.json"))
    conv = next(entry for entry in layer_configs(config) if entry["class_name"] == "Conv2D")["config"]
    assert conv["kernel_regularizer"] is None and conv["groups"] == 1 and isinstance(conv["dtype"], dict)
    assert keras.models.load_model(FIXTURES / "keras3_cnn.keras").layers[0].dtype == "float32"


def test_a_mixed_precision_policy_is_refused(tmp_path):
    def mixed(config):
        layer_configs(config)[1]["config"]["dtype"] = {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": {"name": "mixed_float16"},
        }

    path = rewrite_keras_archive(FIXTURES / "keras3_cnn.keras", tmp_path / "mixed.keras", mixed)
    with pytest.raises(ModelFileError, match="mixed-precision policy 'mixed_float16'"):
        keras.models.load_model(path)


@pytest.mark.parametrize("entry_name", ["../escape.txt", "/etc/evil", "a/../../b", "C:\\\\windows\\\\evil"])
def test_an_archive_with_an_escaping_entry_name_is_refused_and_nothing_is_written(tmp_path, entry_name):
    path = rewrite_keras_archive(
        FIXTURES / "keras3_cnn.keras", tmp_path / "evil.keras", extra_entries=[(entry_name, b"x")]
    )
    before = set(os.listdir(tmp_path)) | set(os.listdir(tmp_path.parent))
    with pytest.raises(ModelFileError, match="points outside the archive"):
        keras.models.load_model(path)
    assert set(os.listdir(tmp_path)) | set(os.listdir(tmp_path.parent)) == before


def test_an_archive_whose_weights_declare_a_huge_array_is_refused_cheaply(tmp_path):
    with zipfile.ZipFile(FIXTURES / "keras3_cnn.keras") as archive:
        weights = archive.read("model.weights.h5")
    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "r+") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", shape=(10**6, 10**6), dtype="float32", chunks=(1, 256))
    path = rewrite_keras_archive(FIXTURES / "keras3_cnn.keras", tmp_path / "huge.keras", weights=buffer.getvalue())
    assert os.path.getsize(path) < 1_000_000
    with pytest.raises(ValueError, match=r"\(1000000, 1000000\) in the file"):
        keras.models.load_model(path)


def test_a_damaged_archive_is_refused(tmp_path):
    data = bytearray((FIXTURES / "keras3_cnn.keras").read_bytes())
    for offset in (100, len(data) // 2, len(data) - 200):
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        (tmp_path / "d.keras").write_bytes(bytes(damaged))
        with pytest.raises((ValueError, OSError)):
            keras.models.load_model(tmp_path / "d.keras")


def test_a_minikeras_model_round_trips_through_the_keras_format(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.RMSprop(momentum=0.3), loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    model.fit(x, np.zeros((8, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        assert config["class_name"] == "Sequential" and config["compile_config"]["optimizer"]["class_name"] == "RMSprop"
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a, b)
    twin = keras.models.clone_model(model)
    twin.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))


def test_flipping_bytes_in_a_keras_archive_gives_only_clean_errors(tmp_path):
    data = (FIXTURES / "keras3_cnn.keras").read_bytes()
    rng = np.random.default_rng(0)
    refused = 0
    for _ in range(200):
        damaged = bytearray(data)
        for _ in range(rng.integers(1, 8)):
            damaged[rng.integers(len(damaged))] = rng.integers(256)
        (tmp_path / "f.keras").write_bytes(bytes(damaged))
        try:
            keras.models.load_model(tmp_path / "f.keras")
        except (ValueError, OSError):
            refused += 1
    assert refused > 180  # the rest hit bytes no reader uses (zip timestamps and the like)
