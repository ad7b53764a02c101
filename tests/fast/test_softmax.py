"""A softmax output trained with a cross-entropy takes one step, `q * sum(t) - t`, to the softmax's input:
it must give what the loss's gradient followed by the softmax's Jacobian gives."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, losses
from minikeras.models.sequential import Sequential


def _model(last: str, dtype="float64"):
    keras.utils.set_random_seed(7)
    stack = [keras.Input(shape=(6,)), layers.Dense(5, activation="tanh", dtype=dtype)]
    if last == "dense":
        stack.append(layers.Dense(4, activation="softmax", dtype=dtype))
    elif last == "softmax_layer":
        stack += [layers.Dense(4, dtype=dtype), layers.Softmax(dtype=dtype)]
    else:
        stack += [layers.Dense(4, dtype=dtype), layers.Activation("softmax", dtype=dtype)]
    return keras.Sequential(stack)


def _train(model, loss, x, y, sample_weight, shortcut, monkeypatch):
    monkeypatch.setattr(Sequential, "_ends_in_softmax", Sequential._ends_in_softmax if shortcut else (lambda self: False))
    model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss=loss)
    values = [model.train_on_batch(x, y, sample_weight=sample_weight) for _ in range(4)]
    monkeypatch.undo()
    return values, model.get_weights()


def _data(sparse, rows=12):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(rows, 6))
    labels = rng.integers(0, 4, rows)
    if sparse:
        return x, labels
    soft = rng.uniform(0.0, 1.0, size=(rows, 4))
    return x, soft / soft.sum(axis=1, keepdims=True) * rng.uniform(0.5, 1.5, size=(rows, 1))  # soft labels, sums != 1


@pytest.mark.parametrize("last", ["dense", "softmax_layer", "activation_layer"])
@pytest.mark.parametrize("loss_name", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_shortcut_trains_exactly_as_the_two_steps(last, loss_name, reduction, weighted, monkeypatch):
    sparse = loss_name.startswith("sparse")
    x, y = _data(sparse)
    weights = np.random.default_rng(4).uniform(0, 2, len(x)) if weighted else None
    loss_class = losses.SparseCategoricalCrossentropy if sparse else losses.CategoricalCrossentropy
    with_shortcut = _train(_model(last), loss_class(reduction=reduction), x, y, weights, True, monkeypatch)
    without = _train(_model(last), loss_class(reduction=reduction), x, y, weights, False, monkeypatch)
    np.testing.assert_allclose(with_shortcut[0], without[0], rtol=1e-12)
    for a, b in zip(with_shortcut[1], without[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_shortcut_is_taken_and_a_clipped_probability_falls_back_to_the_two_steps(monkeypatch):
    loss = losses.SparseCategoricalCrossentropy()
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    value, grad = loss.value_and_logits_gradient(np.array([0, 2]), probs)
    np.testing.assert_allclose(grad, (probs - np.eye(3)[[0, 2]]) / 2, rtol=1e-6)
    np.testing.assert_allclose(value, loss(np.array([0, 2]), probs), rtol=1e-6)
    clipped = np.array([[1.0, 0.0, 0.0], [0.1, 0.1, 0.8]], dtype=np.float32)
    assert loss.value_and_logits_gradient(np.array([1, 2]), clipped) is None
    # ...and a model whose softmax saturates still trains exactly as the two steps do.
    x = np.array([[60.0, -60.0, 0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]) * 30
    y = np.array([1, 2])
    answers = []
    original = losses.SparseCategoricalCrossentropy.value_and_logits_gradient

    def recording(self, *args, **kwargs):
        answers.append(original(self, *args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(losses.SparseCategoricalCrossentropy, "value_and_logits_gradient", recording)
    def saturating():
        keras.utils.set_random_seed(2)
        return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="softmax", dtype="float64")])

    with_shortcut = _train(saturating(), "sparse_categorical_crossentropy", x, y, None, True, monkeypatch)
    assert answers and answers[0] is None  # the first step saw a clipped probability
    without = _train(saturating(), "sparse_categorical_crossentropy", x, y, None, False, monkeypatch)
    for a, b in zip(with_shortcut[1], without[1]):
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
    np.testing.assert_allclose(shortcut[1], keras.activations.get("softmax").gradient(grad_probs, z, probs), rtol=1e-9, atol=1e-15)
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
    assert not getattr(loss, "takes_softmax_shortcut", lambda: False)()


def test_layers_that_do_not_end_in_a_last_axis_softmax():
    assert not layers.Dense(3, activation="relu").ends_in_softmax()
    assert not layers.Softmax(axis=1).ends_in_softmax()
    assert not layers.Activation("sigmoid").ends_in_softmax()
    assert not layers.Dense(3).ends_in_softmax()
    assert layers.Dense(3, activation="softmax").ends_in_softmax()
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, activation="softmax", activity_regularizer="l2")])
    assert not model._ends_in_softmax()  # the activity penalty's gradient is with respect to the output


def test_a_single_softmax_layer_model_takes_it_without_an_input_gradient(monkeypatch):
    x, y = _data(True)
    results = []
    for shortcut in (True, False):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="softmax", dtype="float64")])
        results.append(_train(model, "sparse_categorical_crossentropy", x, y, None, shortcut, monkeypatch)[1])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss_name", ["binary_crossentropy", "mean_squared_error"])
def test_other_losses_on_a_softmax_output_train_through_the_softmax_jacobian(loss_name, monkeypatch):
    x, y = _data(sparse=False)
    y = (y > 0.25).astype(np.float64)
    taken = _train(_model("dense"), loss_name, x, y, None, True, monkeypatch)
    two_steps = _train(_model("dense"), loss_name, x, y, None, False, monkeypatch)
    np.testing.assert_allclose(taken[0], two_steps[0], rtol=1e-12)
    for a, b in zip(taken[1], two_steps[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
