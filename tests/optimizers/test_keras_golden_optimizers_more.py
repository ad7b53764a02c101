"""Adamax, Ftrl, Lion, Lamb, Adafactor, PolynomialDecay and CosineDecayRestarts against values recorded from
real Keras (tests/fixtures/make_keras_golden_optimizers_more.py): the weights and every optimizer variable
after each step, schedule values, and config dicts. Keras is not needed."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

from minikeras import optimizers
from minikeras.optimizers import schedules

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location(
    "make_keras_golden_optimizers_more", FIXTURES / "make_keras_golden_optimizers_more.py"
)
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "optimizers_more.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))


def assert_same_config(mine, theirs, path="config"):
    """Equal dicts, lists and values; floats to float32 precision (Keras stores the learning rate in float32)."""
    if isinstance(theirs, dict):
        assert isinstance(mine, dict) and set(mine) == set(theirs), f"{path}: {sorted(mine)} != {sorted(theirs)}"
        for key in theirs:
            assert_same_config(mine[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(mine, (list, tuple)) and len(mine) == len(theirs), path
        for index, (a, b) in enumerate(zip(mine, theirs)):
            assert_same_config(a, b, f"{path}[{index}]")
    elif isinstance(theirs, float) and not isinstance(mine, bool):
        assert mine == pytest.approx(theirs, rel=1e-7), path
    else:
        assert mine == theirs and type(mine) is type(theirs), f"{path}: {mine!r} != {theirs!r}"


def run(name):
    """The case's optimizer, stepped through the fixed gradients; yields (step, weights, optimizer)."""
    class_name, kwargs = golden_script.CONFIGS[name]
    optimizer = golden_script.build(optimizers, schedules, class_name, kwargs)
    params = golden_script.initial_values()
    for step, grads in enumerate(golden_script.gradients()):
        optimizer.apply(zip(params, grads))
        yield step, params, optimizer


@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_weights_and_optimizer_variables_follow_keras(name):
    for step, params, optimizer in run(name):
        for index, param in enumerate(params):
            np.testing.assert_allclose(
                param, GOLDEN[f"{name}/weight{index}"][step], rtol=1e-6, atol=1e-6, err_msg=f"step {step}"
            )
            assert param.dtype == np.float32
        state = optimizer.variables
        count = sum(1 for key in GOLDEN.files if key.startswith(f"{name}/state"))
        assert len(state) == count  # Keras's variables, one for one, in its order: what model files hold
        for index, value in enumerate(state):
            expected = GOLDEN[f"{name}/state{index}"][step]
            assert value.shape == expected.shape and value.dtype == expected.dtype, f"variable {index}"
            np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-6, err_msg=f"step {step}, variable {index}")


@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_optimizer_config_is_keras_config(name):
    optimizer = next(run(name))[2]
    assert_same_config(optimizer.get_config(), KERAS_CONFIGS["optimizers"][name])
    assert_same_config(optimizers.serialize(optimizer), KERAS_CONFIGS["serialized_optimizers"][name])


@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_keras_optimizer_config_deserializes_to_the_same_optimizer(name):
    theirs = KERAS_CONFIGS["serialized_optimizers"][name]
    optimizer = optimizers.deserialize(json.loads(json.dumps(theirs)))
    assert type(optimizer).__name__ == golden_script.CONFIGS[name][0]
    assert_same_config(optimizer.get_config(), theirs["config"])
    twin = type(optimizer).from_config(optimizer.get_config())
    assert twin.get_config() == optimizer.get_config()


@pytest.mark.parametrize("name", sorted(golden_script.SCHEDULES))
def test_schedule_matches_keras(name):
    class_name, kwargs = golden_script.SCHEDULES[name]
    schedule = getattr(schedules, class_name)(**kwargs)
    values = [schedule(step) for step in golden_script.SCHEDULE_STEPS]
    np.testing.assert_allclose(values, GOLDEN[f"schedule/{name}"], rtol=1e-6, atol=1e-7)  # Keras: float32
    assert_same_config(schedule.get_config(), KERAS_CONFIGS["schedules"][name])
    assert_same_config(schedules.serialize(schedule), KERAS_CONFIGS["serialized_schedules"][name])


@pytest.mark.parametrize("name", sorted(golden_script.SCHEDULES))
def test_keras_schedule_config_deserializes(name):
    theirs = KERAS_CONFIGS["serialized_schedules"][name]
    schedule = schedules.deserialize(json.loads(json.dumps(theirs)))
    assert type(schedule).__name__ == golden_script.SCHEDULES[name][0]
    assert_same_config(schedule.get_config(), theirs["config"])
    assert schedules.get(theirs).get_config() == schedule.get_config()


@pytest.mark.parametrize("name", ["adamax", "ftrl", "lion", "lamb", "adafactor"])
def test_string_names(name):
    optimizer = optimizers.get(name)
    assert type(optimizer).__name__.lower() == name
    assert optimizer.name == name
    assert optimizers.deserialize({"class_name": name.capitalize(), "config": {}}).name == name
