"""Every optimizer option and schedule against trajectories recorded from real Keras (1e-5)."""

import importlib.util
import pathlib

import numpy as np
import pytest

from minikeras import optimizers
from minikeras.optimizers import schedules

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location(
    "make_keras_golden_optimizers", FIXTURES / "make_keras_golden_optimizers.py"
)
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "optimizers.npz")


@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_optimizer_follows_the_keras_trajectory(name):
    class_name, kwargs = golden_script.CONFIGS[name]
    optimizer = golden_script.build(optimizers, schedules, class_name, kwargs)
    params = golden_script.initial_values()
    for step, grads in enumerate(golden_script.gradients()):
        optimizer.apply(zip(params, grads))
        np.testing.assert_allclose(
            params[0], GOLDEN[f"{name}/kernel"][step], rtol=1e-5, atol=1e-6, err_msg=f"step {step}"
        )
        np.testing.assert_allclose(
            params[1], GOLDEN[f"{name}/bias"][step], rtol=1e-5, atol=1e-6, err_msg=f"step {step}"
        )
    assert optimizer.iterations == golden_script.STEPS
    assert all(p.dtype == np.float32 for p in params)


@pytest.mark.parametrize("name", sorted(golden_script.SCHEDULES))
def test_schedule_matches_keras(name):
    class_name, kwargs = golden_script.SCHEDULES[name]
    schedule = getattr(schedules, class_name)(**kwargs)
    values = [schedule(step) for step in golden_script.SCHEDULE_STEPS]
    np.testing.assert_allclose(values, GOLDEN[f"schedule/{name}"], rtol=1e-6, atol=1e-7)  # Keras computes in float32


@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_optimizer_config_round_trips(name):
    class_name, kwargs = golden_script.CONFIGS[name]
    optimizer = golden_script.build(optimizers, schedules, class_name, kwargs)
    twin = type(optimizer).from_config(optimizer.get_config())
    assert twin.get_config() == optimizer.get_config()
    assert optimizers.get(class_name.lower()).__class__ is type(optimizer)


def test_a_schedule_subclass_is_evaluated_at_the_step():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 / (step + 1)

    optimizer = optimizers.SGD(learning_rate=Halving())
    param = np.ones(2, dtype=np.float32)
    optimizer.apply([(param, np.ones(2, dtype=np.float32))])
    optimizer.apply([(param, np.ones(2, dtype=np.float32))])
    np.testing.assert_allclose(param, 1 - 0.1 - 0.05)
    assert optimizer.learning_rate == pytest.approx(0.1 / 3)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.5
