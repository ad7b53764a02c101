"""Adamax, Ftrl, Lion, Lamb and Adafactor train a model on both paths.

Adamax and Lion update elementwise (`increment`), so on the fast path they update all weights at once from flat
arrays; that must give the same bits as their weight-by-weight reference (`update_step`). Ftrl, Lamb and Adafactor
need each whole weight (Ftrl computes the new weight rather than a step; Lamb's trust ratio and Adafactor's
means take norms over it), so they update weight by weight on both paths.
"""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, optimizers
from minikeras.optimizers.base import uses_increment

OPTIMIZERS = {
    "adamax": lambda: optimizers.Adamax(learning_rate=0.01),
    "adamax_clip_decay": lambda: optimizers.Adamax(learning_rate=0.01, clipnorm=0.5, weight_decay=0.01),
    "ftrl": lambda: optimizers.Ftrl(learning_rate=0.2, l1_regularization_strength=0.001),
    "lion": lambda: optimizers.Lion(learning_rate=0.002),
    "lion_decay": lambda: optimizers.Lion(learning_rate=0.002, weight_decay=0.1, global_clipnorm=1.0),
    "lamb": lambda: optimizers.Lamb(learning_rate=0.01),
    "adafactor": lambda: optimizers.Adafactor(learning_rate=0.05),
}
ELEMENTWISE = {optimizers.Adamax: True, optimizers.Lion: True}


def _model(linear: bool = False):
    """A small CNN; or, for Ftrl (made for linear models: its first step sets the weights afresh, near 0,
    where ReLU units learn nothing), a softmax regression."""
    keras.utils.set_random_seed(5)
    if linear:
        return keras.Sequential([keras.Input(shape=(6, 6, 1)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    return keras.Sequential(
        [
            keras.Input(shape=(6, 6, 1)),
            layers.Conv2D(3, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(5, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6, 6, 1)).astype(np.float32)
    return x, (x[:, :3, :3, 0].sum(axis=(1, 2)) > 0).astype(int) + (x[:, 3:, 3:, 0].sum(axis=(1, 2)) > 0)


def _fit(optimizer, epochs=4):
    model = _model(linear=isinstance(optimizer, optimizers.Ftrl))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    x, y = _data()
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return model, history.history["loss"]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fast_and_reference_paths_train_alike(name):
    fast_model, fast_loss = _fit(OPTIMIZERS[name]())
    with config.fast_paths(False):
        reference_model, reference_loss = _fit(OPTIMIZERS[name]())
    assert fast_loss[-1] < fast_loss[0]  # it learns
    np.testing.assert_allclose(fast_loss, reference_loss, rtol=1e-4)
    for a, b in zip(fast_model.get_weights(), reference_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(fast_model.optimizer.variables, reference_model.optimizer.variables, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
    elementwise = type(fast_model.optimizer) in ELEMENTWISE
    assert uses_increment(type(fast_model.optimizer)) is elementwise
    laid_out_flat = [fast_model.optimizer.gradient_buffer(w) is not None for w in fast_model.trainable_weights]
    assert laid_out_flat == [elementwise] * len(laid_out_flat)


@pytest.mark.parametrize("name", ["adamax", "adamax_clip_decay", "lion", "lion_decay"])
def test_the_flat_update_is_the_per_weight_update_bit_for_bit(name):
    """Same layers (fast path); the optimizer once on flat arrays, once weight by weight: the same bits."""
    flat_model, flat_loss = _fit(OPTIMIZERS[name]())

    class WeightByWeight(type(OPTIMIZERS[name]())):  # type: ignore[misc]
        def build(self, params):
            with config.fast_paths(False):
                super().build(params)

        def apply(self, pairs):
            with config.fast_paths(False):
                super().apply(pairs)

    reference = WeightByWeight.from_config(OPTIMIZERS[name]().get_config())
    plain_model, plain_loss = _fit(reference)
    assert reference.gradient_buffer(plain_model.trainable_weights[0]) is None
    assert flat_loss == plain_loss
    for a, b in zip(flat_model.get_weights(), plain_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(flat_model.optimizer.variables, plain_model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [OPTIMIZERS["adamax"], OPTIMIZERS["lion"]], ids=["adamax", "lion"])
def test_the_increment_never_writes_into_the_gradients(make):
    rng = np.random.default_rng(3)
    params = [rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    optimizer = make()
    for _ in range(3):
        grads = [rng.normal(size=p.shape).astype(np.float32) for p in params]
        kept = [g.copy() for g in grads]
        optimizer.apply(list(zip(params, grads)))
        for got, grad in zip(grads, kept):
            np.testing.assert_array_equal(got, grad)
