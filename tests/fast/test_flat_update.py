"""SGD in `fit` updates all weights through flat arrays (optimizers/flat.py), Dense layers writing their
gradients straight into the optimizer's buffer. It must train exactly as the weight-by-weight path does."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, optimizers
from minikeras.optimizers.flat import FlatState


def _model(kind: str, regularized: bool = False):
    keras.utils.set_random_seed(5)
    penalty = {"kernel_regularizer": "l2"} if regularized else {}
    if kind == "mlp":
        stack = [keras.Input(shape=(6,)), layers.Dense(7, activation="relu", **penalty), layers.Dense(3, activation="softmax")]
    else:
        stack = [
            keras.Input(shape=(6, 6, 1)),
            layers.Conv2D(3, 3, padding="same", activation="relu", **penalty),
            layers.MaxPooling2D(2),
            layers.BatchNormalization(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    return keras.Sequential([*stack])


def _data(kind: str):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6) if kind == "mlp" else (40, 6, 6, 1)).astype(np.float32)
    return x, rng.integers(0, 3, 40)


def _train(kind, optimizer, regularized=False, flat=True, monkeypatch=None):
    if not flat:
        monkeypatch.setattr(FlatState, "fits", staticmethod(lambda params: False))
    model = _model(kind, regularized)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(kind)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    if not flat:
        monkeypatch.undo()
    return model, history


OPTIMIZERS = [
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9}),
    (optimizers.SGD, {"learning_rate": 0.05}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "clipnorm": 0.5}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.01}),
    (optimizers.Adam, {"learning_rate": 0.01}),
    (optimizers.Adam, {"learning_rate": 0.01, "amsgrad": True, "global_clipnorm": 1.0}),
    (optimizers.AdamW, {"learning_rate": 0.01}),
    (optimizers.Nadam, {"learning_rate": 0.01}),  # its own update_step: weight by weight either way
]


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("optimizer_class, options", OPTIMIZERS)
def test_flat_and_weight_by_weight_training_agree_bit_for_bit(kind, optimizer_class, options, monkeypatch):
    regularized = "clipnorm" in options
    flat_model, flat_history = _train(kind, optimizer_class(**options), regularized)
    assert flat_model.optimizer._flat is not None
    plain_model, plain_history = _train(kind, optimizer_class(**options), regularized, flat=False, monkeypatch=monkeypatch)
    assert plain_model.optimizer._flat is None
    for a, b in zip(flat_model.get_weights(), plain_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(flat_model.optimizer.variables, plain_model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)
    assert flat_history.history == plain_history.history


def test_dense_layers_write_their_gradients_into_the_optimizers_buffer_during_fit_only():
    model = _model("mlp")
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            flat = self.model.optimizer._flat.gradients
            seen.append(all(np.shares_memory(grad, flat) for layer in self.model.layers for grad in layer.grads.values()))

    x, y = _data("mlp")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Watch()])
    assert seen and all(seen)
    assert all(layer._gradient_buffers == {} for layer in model.layers)  # taken back when fit ends
    model.train_on_batch(x[:8], y[:8])
    assert all(layer._gradient_buffers == {} for layer in model.layers)
    # outside training a backward pass makes its own arrays
    layer = model.layers[0]
    layer.forward(x[:4], training=True)
    layer.backward(np.ones((4, 7), np.float32))
    assert not np.shares_memory(layer.grads["kernel"], model.optimizer._flat.gradients)


def test_a_subclass_that_overrides_only_update_step_is_updated_weight_by_weight():
    calls = []

    class CountingSGD(optimizers.SGD):
        def update_step(self, param, grad, learning_rate):
            calls.append(param.shape)
            super().update_step(param, grad, learning_rate)

    model = _model("mlp")
    model.compile(optimizer=CountingSGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    x, y = _data("mlp")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(calls) == 5 * 4  # five batches, four weights each


def test_weights_of_two_dtypes_keep_their_own_slots():
    params = [np.zeros((2, 2), np.float32), np.zeros(3, np.float64)]
    optimizer = optimizers.SGD(0.1, momentum=0.9)
    optimizer.build(params)
    assert optimizer._flat is None and optimizer.gradient_buffer(params[0]) is None
    optimizer.apply([(p, np.ones_like(p)) for p in params], gradients_disposable=True)
    np.testing.assert_allclose(params[0], -0.1)
    np.testing.assert_allclose(params[1], -0.1)
