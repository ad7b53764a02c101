"""The `minikeras` command line on saved models, including its errors."""

import subprocess
import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras import cli, layers


@pytest.fixture
def saved_model(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(4, 4, 1)),
            layers.Conv2D(2, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy")
    model.fit(np.zeros((4, 4, 4, 1)), np.eye(3)[[0, 1, 2, 0]], epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    return model, tmp_path / "model.keras"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "minikeras", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"minikeras {keras.__version__}"


def test_summary_shows_layers_format_and_versions(saved_model):
    _, path = saved_model
    result = run("summary", path)
    assert result.returncode == 0, result.stderr
    assert "conv2d" in result.stdout and "(None, 2, 2, 2)" in result.stdout and "Total params: 47" in result.stdout
    assert (
        "File format: Keras 3 archive (.keras)" in result.stdout
        and f"Minikeras version: {keras.__version__}" in result.stdout
    )
    assert "Compiled with: SGD (step 1)" in result.stdout


def test_predict_writes_the_models_predictions(saved_model, tmp_path):
    model, path = saved_model
    x = np.random.default_rng(0).normal(size=(5, 4, 4, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run("predict", path, tmp_path / "x.npy", "-o", tmp_path / "y.npy", "--batch-size", "2")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model.predict(x, verbose=0), rtol=1e-6)
    printed = run("predict", path, tmp_path / "x.npy")
    assert np.loadtxt(printed.stdout.splitlines()).shape == (5, 3)


def test_convert_both_ways(saved_model, tmp_path):
    model, path = saved_model
    assert run("convert", path, tmp_path / "m.h5").returncode == 0
    assert run("convert", tmp_path / "m.h5", tmp_path / "back.keras").returncode == 0
    back = keras.models.load_model(tmp_path / "back.keras")
    x = np.ones((2, 4, 4, 1), dtype=np.float32)
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert back.optimizer.iterations == 1


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d, m: ["summary", d / "missing.h5"], "No model file"),
        (lambda d, m: ["summary", d / "garbage.h5"], "not an HDF5 file"),
        (
            lambda d, m: ["predict", m, d / "wrong.npy"],
            r"Input 0 of layer 'conv2d.*' is incompatible with the layer: expected ndim=4, found ndim=2",
        ),
        (lambda d, m: ["predict", m, d / "pickled.npy"], "not a plain .npy array"),
        (lambda d, m: ["convert", m, d / "out.txt"], "Invalid filepath extension"),
    ],
    ids=["missing", "garbage", "wrong_shape", "pickled_input", "bad_extension"],
)
def test_errors_print_one_clear_line_and_exit_1(saved_model, tmp_path, make_args, message):
    _, path = saved_model
    (tmp_path / "garbage.h5").write_bytes(b"not a model")
    np.save(tmp_path / "wrong.npy", np.zeros((3, 5)))
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    result = run(*make_args(tmp_path, path))
    assert result.returncode == 1
    assert "error:" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert __import__("re").search(message, result.stderr)


def test_help_for_each_command():
    for command in ([], ["summary"], ["predict"], ["convert"]):
        with pytest.raises(SystemExit) as done:
            cli.main([*command, "--help"])
        assert done.value.code == 0
