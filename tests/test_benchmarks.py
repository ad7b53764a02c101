"""The benchmark scripts: the numpy floor computes what minikeras computes, and the runner's table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_numpy_floor_trains_exactly_as_minikeras_does(kind):
    """Same weights, same batches, three SGD-momentum steps: the floor is the same arithmetic, only bare."""
    floor, workloads = _load("numpy_floor"), _load("workloads")
    rng = np.random.default_rng(1)
    params = floor.cnn_params(rng) if kind == "cnn" else floor.mlp_params(rng)
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    cnn, mlp = workloads.keras_models(keras)
    model = cnn() if kind == "cnn" else mlp()
    names = [f"{p}{i}" for i in range(1, len(params) // 2 + 1) for p in ("w", "b")]
    model.set_weights([params[n].reshape(w.shape) for n, w in zip(names, model.get_weights())])
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy")
    step = floor.cnn_train_step if kind == "cnn" else floor.mlp_train_step
    for _ in range(3):
        x = rng.normal(size=(32, 28, 28, 1) if kind == "cnn" else (32, 784)).astype(np.float32)
        y = rng.integers(0, 10, 32)
        model.train_on_batch(x, y)
        step(params, velocity, x, y)
    for name, weight in zip(names, model.get_weights()):
        np.testing.assert_allclose(weight.reshape(-1), params[name].reshape(-1), atol=1e-6, err_msg=name)


def test_numpy_floor_predicts_as_minikeras_does():
    floor, workloads = _load("numpy_floor"), _load("workloads")
    params = floor.cnn_params(np.random.default_rng(2))
    model = workloads.keras_models(keras)[0]()
    names = [f"{p}{i}" for i in range(1, 5) for p in ("w", "b")]
    model.set_weights([params[n].reshape(w.shape) for n, w in zip(names, model.get_weights())])
    x = np.random.default_rng(3).normal(size=(20, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(floor._cnn_forward(params, x)[0], model.predict(x, verbose=0), atol=1e-6)


def test_runner_table_gives_each_ratio_with_its_peer():
    run = _load("run")
    results = {
        "minikeras|cnn-train": {"median": 900.0, "peak_rss_mb": 70.0},
        "numpy-floor|cnn-train": {"median": 1000.0, "peak_rss_mb": 60.0},
        "torch|cnn-train": {"median": 1200.0, "peak_rss_mb": 300.0},
        "minikeras|import": {"median": 0.05, "peak_rss_mb": 40.0},
        "torch|import": {"median": 2.0, "peak_rss_mb": 300.0},
    }
    text = run.table(results, ["minikeras", "numpy-floor", "torch"], ["cnn-train", "import"])
    assert "numpy-floor 0.90x" in text and "torch 0.75x" in text
    assert "torch 40.00x" in text  # import: lower is better, so the ratio is theirs / ours
    assert "peak memory of cnn-train (MB): minikeras 70, numpy-floor 60, torch 300" in text


def test_runner_table_gives_the_spread_of_ratios_repeat_by_repeat():
    run = _load("run")
    results = {
        "minikeras|cnn-train": {"median": 900.0, "values": [800.0, 900.0, 1000.0], "peak_rss_mb": 70.0},
        "torch|cnn-train": {"median": 1000.0, "values": [1000.0, 500.0, 1250.0], "peak_rss_mb": 300.0},
        "keras-jax|cnn-train": {"median": 1000.0, "values": [1000.0, float("nan")], "peak_rss_mb": 500.0},
        "minikeras|import": {"median": 0.5, "values": [0.4, 0.5, 0.6], "peak_rss_mb": 40.0},
        "torch|import": {"median": 2.0, "values": [2.0, 1.0, 1.2], "peak_rss_mb": 300.0},
    }
    text = run.table(results, ["minikeras", "torch", "keras-jax"], ["cnn-train", "import"])
    # repeat by repeat: 0.80, 1.80, 0.80 -> median of the medians 0.90, spread 0.80-1.80
    assert "torch 0.90x (0.80-1.80)" in text
    assert "keras-jax 0.90x" in text and "keras-jax 0.90x (" not in text  # a failed repeat: no spread
    assert "torch 4.00x (2.00-5.00)" in text  # import: theirs / ours, repeat by repeat 5.0, 2.0, 2.0


def test_runner_skips_workloads_a_system_does_not_have():
    run = _load("run")
    assert run.measure("numpy-floor", "import") is None
    assert run.measure("numpy-floor", "cold-start", "unused.keras") is None
    assert run.measure("torch", "threads-2") is None


def test_measurements_may_cache_bytecode_as_an_installed_package_does(monkeypatch):
    run = _load("run")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert "PYTHONDONTWRITEBYTECODE" not in run.child_environment()
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert run.child_environment("keras-jax")["KERAS_BACKEND"] == "jax"  # a Keras peer runs on its own backend
    assert run.child_environment("minikeras")["KERAS_BACKEND"] == "torch"  # other systems inherit the caller's
    monkeypatch.delenv("KERAS_BACKEND")
    assert "KERAS_BACKEND" not in run.child_environment("minikeras")


def test_scaling_splits_a_training_step_into_the_steps_fit_runs():
    scaling = _load("scaling")
    model = scaling.lines_cnn(12)
    split = scaling.layer_split(model, np.random.default_rng(0).normal(size=(4, 12, 12, 1)).astype(np.float32))
    names = [name for name, _, _ in split]
    assert names[0] == f"{model.layers[0].name} (Conv2D) + {model.layers[1].name} (MaxPooling2D)"
    assert len(names) == 5  # two conv + pool steps, Flatten, two Dense
    assert all(forward > 0 and np.isfinite(backward) for _, forward, backward in split)


def test_the_autodiff_benchmark_compares_the_same_computation():
    """The custom Dense of benchmarks/autodiff.py computes what the built-in Dense does, step for step."""
    pytest.importorskip("autograd")
    bench = _load("autodiff")
    custom, builtin = bench.build(True), bench.build(False)
    builtin.set_weights(custom.get_weights())
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 16)]
    np.testing.assert_allclose(custom.predict(x, verbose=0), builtin.predict(x, verbose=0), rtol=1e-5, atol=1e-7)
    bench.step_time(custom, x, y, 2)
    bench.step_time(builtin, x, y, 2)
    for a, b in zip(custom.get_weights(), builtin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
