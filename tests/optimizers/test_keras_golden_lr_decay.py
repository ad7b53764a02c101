"""The learning rate set during training, callable learning rates and `exclude_from_weight_decay`, against
values recorded from real Keras (tests/fixtures/make_keras_golden_lr_decay.py), on the fast path (all
weights updated at once from flat arrays) and on the reference path (weight by weight)."""

import contextlib
import importlib.util
import pathlib

import numpy as np
import pytest

import minikeras
from minikeras import callbacks, config, optimizers

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location("make_keras_golden_lr_decay", FIXTURES / "make_keras_golden_lr_decay.py")
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "lr_decay.npz")

PATHS = pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])


def _path(fast):
    return contextlib.nullcontext() if fast else config.fast_paths(False)


def _exclusion_arguments(exclusion, arrays_by_key):
    return {
        "var_list": [arrays_by_key[key] for key in exclusion.get("var_list", [])],
        "var_names": exclusion.get("var_names"),
    }


def _run_step_case(name):
    """The case's optimizer on two weights named kernel and bias: their values and the rate after each step."""
    class_name, kwargs, exclusion, changes = golden_script.STEP_CASES[name]
    kwargs = dict(kwargs)
    rates = None
    if isinstance(changes, tuple):
        rates = changes[1]
        current = [rates[0]]
        kwargs["learning_rate"] = lambda: current[0]
    optimizer = getattr(optimizers, class_name)(**kwargs)
    kernel, bias = golden_script.initial_values()
    optimizer.set_weight_names([kernel, bias], ["dense/kernel", "dense/bias"])
    if exclusion is not None:
        optimizer.exclude_from_weight_decay(**_exclusion_arguments(exclusion, {"kernel": kernel, "bias": bias}))
    trajectory = []
    for step, grads in enumerate(golden_script.gradients()):
        if rates is not None:
            current[0] = rates[step]
        elif step in changes:
            golden_script.set_rate(optimizer, *changes[step])
        optimizer.apply_gradients(zip(grads, [kernel, bias]))
        trajectory.append((kernel.copy(), bias.copy(), float(optimizer.learning_rate)))
    return trajectory


@PATHS
@pytest.mark.parametrize("name", sorted(golden_script.STEP_CASES))
def test_steps_follow_keras(name, fast):
    with _path(fast):
        trajectory = _run_step_case(name)
    for step, (kernel, bias, rate) in enumerate(trajectory):
        np.testing.assert_allclose(kernel, GOLDEN[f"step/{name}/kernel"][step], rtol=1e-5, atol=1e-6, err_msg=step)
        np.testing.assert_allclose(bias, GOLDEN[f"step/{name}/bias"][step], rtol=1e-5, atol=1e-6, err_msg=step)
        assert rate == pytest.approx(GOLDEN[f"step/{name}/learning_rate"][step], rel=1e-6)  # Keras: float32


@pytest.mark.parametrize("name", sorted(golden_script.STEP_CASES))
def test_both_paths_agree_bit_for_bit(name):
    fast = _run_step_case(name)
    with config.fast_paths(False):
        reference = _run_step_case(name)
    for (a_kernel, a_bias, a_rate), (b_kernel, b_bias, b_rate) in zip(fast, reference, strict=True):
        np.testing.assert_array_equal(a_kernel, b_kernel)
        np.testing.assert_array_equal(a_bias, b_bias)
        assert a_rate == b_rate


class SetRate(callbacks.Callback):
    """Sets the learning rate at the start of the epochs the case names, the way it names."""

    def __init__(self, changes):
        super().__init__()
        self.changes = changes

    def on_epoch_begin(self, epoch, logs=None):
        if epoch in self.changes:
            golden_script.set_rate(self.model.optimizer, *self.changes[epoch])


def _fit_case(name):
    class_name, kwargs, exclusion, changes = golden_script.FIT_CASES[name]
    model = minikeras.Sequential(golden_script.model_layers(minikeras))
    model.set_weights(golden_script.fit_weights())
    optimizer = getattr(optimizers, class_name)(**kwargs)
    by_path = {f"{layer.name}/{key}": w for layer in model.layers for key, w in zip(layer.weight_names, layer.weights)}
    optimizer.exclude_from_weight_decay(**_exclusion_arguments(exclusion, by_path))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    x, y = golden_script.fit_data()
    history = model.fit(
        x,
        y,
        batch_size=golden_script.FIT_BATCH,
        epochs=golden_script.FIT_EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[SetRate(changes)],
    )
    return model, history


@PATHS
@pytest.mark.parametrize("name", sorted(golden_script.FIT_CASES))
def test_fit_with_exclusions_and_rates_set_between_epochs_follows_keras(name, fast):
    with _path(fast):
        model, history = _fit_case(name)
    for index, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, GOLDEN[f"fit/{name}/weight_{index}"], rtol=1e-5, atol=1e-6, err_msg=index)
    np.testing.assert_allclose(history.history["loss"], GOLDEN[f"fit/{name}/loss"], rtol=1e-5)
    assert float(model.optimizer.learning_rate) == pytest.approx(float(GOLDEN[f"fit/{name}/learning_rate"]), rel=1e-6)


@pytest.mark.parametrize("name", sorted(golden_script.FIT_CASES))
def test_fit_is_the_same_on_both_paths(name):
    fast_model, fast_history = _fit_case(name)
    with config.fast_paths(False):
        reference_model, reference_history = _fit_case(name)
    for a, b in zip(fast_model.get_weights(), reference_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # the layers' fast paths sum in another order
    np.testing.assert_allclose(fast_history.history["loss"], reference_history.history["loss"], rtol=1e-6)
