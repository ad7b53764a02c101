"""minikeras.fast.softmax: a softmax output trained with a cross-entropy takes one step, `q * sum(t) - t`,
to the softmax's input. It must give what the reference path gives: the loss's gradient followed by
the softmax's Jacobian (`Softmax.backward`), compared through `minikeras.config.fast_paths(False)`."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, losses
from minikeras.fast.dense import DenseStep
from minikeras.fast.plan import LayerStep, ends_in_softmax, step_for
from minikeras.fast.softmax import SoftmaxStep


def _model(last: str, dtype="float64", **last_options):
    keras.utils.set_random_seed(7)
    stack = [keras.Input(shape=(6,)), layers.Dense(5, activation="tanh", dtype=dtype)]
    if last == "dense":
        stack.append(layers.Dense(4, activation="softmax", dtype=dtype, **last_options))
    elif last == "softmax_layer":
        stack += [layers.Dense(4, dtype=dtype), layers.Softmax(dtype=dtype, **last_options)]
    else:
        stack += [layers.Dense(4, dtype=dtype), layers.Activation("softmax", dtype=dtype, **last_options)]
    return keras.Sequential(stack)


def _train(model, loss, x, y, sample_weight, fast):
    with config.fast_paths(fast):
        model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss=loss)
        values = [model.train_on_batch(x, y, sample_weight=sample_weight) for _ in range(4)]
    return values, model.get_weights()


def _data(sparse, rows=12):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(rows, 6))
    labels = rng.integers(0, 4, rows)
    if sparse:
        return x, labels
    soft = rng.uniform(0.0, 1.0, size=(rows, 4))
    return x, soft / soft.sum(axis=1, keepdims=True) * rng.uniform(0.5, 1.5, size=(rows, 1))  # soft labels, sums != 1


@pytest.fixture
def shortcuts(monkeypatch):
    """Counts the calls of the steps' `backward_from_logits` (observes; the model still chooses)."""
    calls = []
    for step_class in (DenseStep, SoftmaxStep):
        original = step_class.backward_from_logits

        def counting(self, *args, _original=original, **kwargs):
            calls.append(type(self).__name__)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(step_class, "backward_from_logits", counting)
    return calls


def _assert_same_training(fast, reference):
    np.testing.assert_allclose(fast[0], reference[0], rtol=1e-12)
    for a, b in zip(fast[1], reference[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("last", ["dense", "softmax_layer", "activation_layer"])
@pytest.mark.parametrize("loss_name", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_shortcut_trains_as_the_reference_path(last, loss_name, reduction, weighted, shortcuts):
    sparse = loss_name.startswith("sparse")
    x, y = _data(sparse)
    weights = np.random.default_rng(4).uniform(0, 2, len(x)) if weighted else None
    loss_class = losses.SparseCategoricalCrossentropy if sparse else losses.CategoricalCrossentropy
    fast = _train(_model(last), loss_class(reduction=reduction), x, y, weights, True)
    assert shortcuts == ["DenseStep" if last == "dense" else "SoftmaxStep"] * 4
    reference = _train(_model(last), loss_class(reduction=reduction), x, y, weights, False)
    assert len(shortcuts) == 4  # the reference path never takes it
    _assert_same_training(fast, reference)


def test_the_shortcut_is_taken_and_a_clipped_probability_falls_back_to_the_jacobian(monkeypatch, shortcuts):
    loss = losses.SparseCategoricalCrossentropy()
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    value, grad = loss.value_and_logits_gradient(np.array([0, 2]), probs)
    np.testing.assert_allclose(grad, (probs - np.eye(3)[[0, 2]]) / 2, rtol=1e-6)
    np.testing.assert_allclose(value, loss(np.array([0, 2]), probs), rtol=1e-6)
    clipped = np.array([[1.0, 0.0, 0.0], [0.1, 0.1, 0.8]], dtype=np.float32)
    assert loss.value_and_logits_gradient(np.array([1, 2]), clipped) is None
    # ...and a model whose softmax saturates still trains as the reference path does.
    x = np.array([[60.0, -60.0, 0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]) * 30
    y = np.array([1, 2])
    answers = []
    original = losses.SparseCategoricalCrossentropy.value_and_logits_gradient

    def recording(self, *args, **kwargs):  # observes the loss's answers; changes none
        answers.append(original(self, *args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(losses.SparseCategoricalCrossentropy, "value_and_logits_gradient", recording)

    def saturating():
        keras.utils.set_random_seed(2)
        return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="softmax", dtype="float64")])

    fast = _train(saturating(), "sparse_categorical_crossentropy", x, y, None, True)
    assert len(answers) == 4 and answers[0] is None  # the first step saw a clipped probability
    assert len(shortcuts) == sum(answer is not None for answer in answers)
    reference = _train(saturating(), "sparse_categorical_crossentropy", x, y, None, False)
    assert len(answers) == 4  # the reference path never asks
    for a, b in zip(fast[1], reference[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sparse", [True, False])
def test_a_clipped_probability_no_label_weighs_keeps_the_shortcut_and_its_exactness(sparse):
    # A confident softmax puts some classes below eps = 1e-7; where the label is 0 the clip
    # changes neither the loss nor its gradient, so the one step must still be taken, and exact.
    z = np.array([[14.0, -4.0, 1.0, -1.0], [0.3, 0.1, -0.2, 0.4], [-1.0, 14.0, -5.0, 0.5]])
    probs = keras.activations.softmax(z)
    assert probs.min() < 1e-7 and probs.max() < 1 - 1e-7
    labels = np.array([0, 3, 1])
    loss = losses.SparseCategoricalCrossentropy() if sparse else losses.CategoricalCrossentropy()
    y = labels if sparse else np.eye(4)[labels]
    shortcut = loss.value_and_logits_gradient(y, probs)
    assert shortcut is not None
    value, grad_probs = loss.value_and_gradient(y, probs)
    np.testing.assert_allclose(shortcut[0], value, rtol=1e-14)
    np.testing.assert_allclose(
        shortcut[1], keras.activations.get("softmax").gradient(grad_probs, z, probs), rtol=1e-9, atol=1e-15
    )
    # ...and the label's own probability clipped still falls back.
    assert loss.value_and_logits_gradient(np.array([1, 3, 1]) if sparse else np.eye(4)[[1, 3, 1]], probs) is None


@pytest.mark.parametrize(
    "loss",
    [
        losses.CategoricalCrossentropy(label_smoothing=0.1),
        losses.CategoricalCrossentropy(from_logits=True),
        losses.SparseCategoricalCrossentropy(from_logits=True),
        losses.MeanSquaredError(),
        losses.BinaryCrossentropy(),
    ],
)
def test_losses_that_do_not_take_it(loss):
    assert not loss.takes_softmax_shortcut()


def test_steps_that_end_in_a_last_axis_softmax():
    def ends(layer):
        layer.build_for((None, 3))
        return ends_in_softmax(step_for(layer))

    assert ends(layers.Dense(3, activation="softmax"))
    assert ends(layers.Softmax())
    assert ends(layers.Activation("softmax"))
    assert not ends(layers.Dense(3, activation="relu"))
    assert not ends(layers.Dense(3))
    assert not ends(layers.Softmax(axis=1))
    assert not ends(layers.Activation("sigmoid"))
    assert isinstance(step_for(layers.Softmax(axis=1)), LayerStep)


@pytest.mark.parametrize("last", ["dense", "softmax_layer", "activation_layer"])
def test_an_activity_penalty_on_the_softmax_keeps_the_jacobian(last, shortcuts):
    # The penalty's gradient is with respect to the softmax's output: the shortcut would skip it.
    x, y = _data(True)
    fast = _train(_model(last, activity_regularizer="l2"), "sparse_categorical_crossentropy", x, y, None, True)
    assert shortcuts == []
    reference = _train(_model(last, activity_regularizer="l2"), "sparse_categorical_crossentropy", x, y, None, False)
    _assert_same_training(fast, reference)


def test_a_single_softmax_layer_model_takes_it_without_an_input_gradient(shortcuts):
    x, y = _data(True)
    results = []
    for fast in (True, False):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="softmax", dtype="float64")])
        results.append(_train(model, "sparse_categorical_crossentropy", x, y, None, fast))
    assert shortcuts == ["DenseStep"] * 4
    _assert_same_training(*results)


@pytest.mark.parametrize("loss_name", ["binary_crossentropy", "mean_squared_error"])
def test_other_losses_on_a_softmax_output_train_through_the_softmax_jacobian(loss_name, shortcuts):
    x, y = _data(sparse=False)
    y = (y > 0.25).astype(np.float64)
    fast = _train(_model("dense"), loss_name, x, y, None, True)
    assert shortcuts == []
    _assert_same_training(fast, _train(_model("dense"), loss_name, x, y, None, False))


@pytest.mark.parametrize("make_layer", [layers.Softmax, lambda **kw: layers.Activation("softmax", **kw)])
@pytest.mark.parametrize("input_gradient", [True, False])
def test_the_step_is_the_layers_forward_and_backward(make_layer, input_gradient):
    rng = np.random.default_rng(5)
    x, upstream = rng.normal(size=(3, 2, 5)), rng.normal(size=(3, 2, 5))
    layer = make_layer(dtype="float64")
    step = SoftmaxStep(layer)
    y = step.forward(x, training=True)
    np.testing.assert_array_equal(y, layer.forward(x, training=True))
    grad_x = step.backward(upstream, input_gradient=input_gradient)
    expected = layer.backward(upstream)
    if input_gradient:
        np.testing.assert_allclose(grad_x, expected, rtol=1e-13, atol=1e-15)
    else:
        assert grad_x is None
    step.forward(x, training=True)
    assert step.backward_from_logits(upstream, input_gradient=input_gradient) is (upstream if input_gradient else None)
    step.forward(x, training=False)
    with pytest.raises(RuntimeError, match="training=True"):
        step.backward(upstream)
