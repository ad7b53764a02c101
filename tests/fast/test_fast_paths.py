"""The two paths through a model, compared through `minikeras.config.fast_paths`.

With the switch on, `fit` and `predict` run the steps of `minikeras.fast`; with it off, every
layer's own `forward` and `backward` and the optimizers' `update_step`, weight by weight. Whole
trainings must end at the same weights, predictions and History (float64, to rounding), the
reference path must really run the reference layers, and either way `layer.grads` must still
hold dL/dw after the optimizer's step.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient
from readme_model import readme_cnn

import minikeras as keras
from minikeras import config, layers, losses, optimizers
from minikeras.layers.activation import Softmax
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.core import Dense
from minikeras.layers.pooling import MaxPooling2D
from minikeras.models import parallel
from minikeras.models.sequential import Sequential

# What float64 trainings of a few epochs hold between the two paths, whose sums run in different
# orders: the weights, predictions and losses below differ by at most a few 1e-15 (relative: up to
# 4e-12, on weights near zero), so these leave a margin of about 30 and still catch any real change.
RTOL, ATOL = 1e-10, 1e-13


@pytest.fixture
def float64():
    """Layers made inside the test compute in float64; the default comes back afterwards."""
    before = config.floatx()
    config.set_floatx("float64")
    yield
    config.set_floatx(before)


def lines(n_train=100, n_test=20, dtype="float64"):
    (x, y), (x_test, _) = keras.datasets.lines.load_data(n_train=n_train, n_test=n_test, seed=0)
    return x.astype(dtype), y.astype(dtype), x_test.astype(dtype)


def mlp():
    return keras.Sequential(
        [
            keras.Input(shape=(12,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(16, activation="tanh"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def channels_first_cnn():
    return keras.Sequential(
        [
            keras.Input(shape=(2, 12, 12)),
            layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", data_format="channels_first"),
            layers.BatchNormalization(axis=1),
            layers.AveragePooling2D(2, data_format="channels_first"),
            layers.Conv2D(4, 2, data_format="channels_first"),
            layers.Flatten(data_format="channels_first"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def train(fast, make_model, make_optimizer, loss, x, y, x_test, **fit_options):
    """Weights, predictions and History of a seeded fit (shuffled) on one path."""
    with config.fast_paths(fast):
        keras.utils.set_random_seed(0)
        model = make_model()
        model.compile(optimizer=make_optimizer(), loss=loss, metrics=["accuracy"])
        history = model.fit(x, y, shuffle=True, verbose=0, **fit_options)
        return model.get_weights(), model.predict(x_test, verbose=0), history.history


def assert_same_training(fast, reference):
    for a, b in zip(fast[0], reference[0], strict=True):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(fast[1], reference[1], rtol=RTOL, atol=ATOL)
    assert fast[2].keys() == reference[2].keys()
    for key in fast[2]:
        np.testing.assert_allclose(fast[2][key], reference[2][key], rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.usefixtures("float64")
def test_the_readme_cnn_trains_to_the_same_weights_on_both_paths():
    x, y, x_test = lines()
    runs = [
        train(
            fast,
            readme_cnn,
            lambda: optimizers.SGD(learning_rate=0.01, momentum=0.9),
            "categorical_crossentropy",
            x,
            y,
            x_test,
            epochs=3,
            batch_size=10,
            validation_split=0.1,
        )
        for fast in (True, False)
    ]
    assert runs[0][2]["loss"][-1] < runs[0][2]["loss"][0]  # it did learn
    assert_same_training(*runs)


@pytest.mark.usefixtures("float64")
def test_an_mlp_with_adam_trains_to_the_same_weights_on_both_paths():
    rng = np.random.default_rng(1)
    x, x_test = rng.normal(size=(96, 12)), rng.normal(size=(10, 12))
    y = (x[:, :3] @ rng.normal(size=(3, 3))).argmax(axis=1)
    runs = [
        train(
            fast,
            mlp,
            lambda: optimizers.Adam(0.01),
            "sparse_categorical_crossentropy",
            x,
            y,
            x_test,
            epochs=4,
            batch_size=16,
        )
        for fast in (True, False)
    ]
    assert_same_training(*runs)


@pytest.mark.usefixtures("float64")
def test_a_channels_first_strided_cnn_with_batch_normalization_trains_the_same_on_both_paths():
    rng = np.random.default_rng(2)
    x, x_test = rng.normal(size=(48, 2, 12, 12)), rng.normal(size=(6, 2, 12, 12))
    y = keras.utils.to_categorical(rng.integers(0, 3, 48), 3)
    runs = [
        train(
            fast,
            channels_first_cnn,
            lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
            "categorical_crossentropy",
            x,
            y,
            x_test,
            epochs=3,
            batch_size=8,
        )
        for fast in (True, False)
    ]
    assert_same_training(*runs)


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls of some reference layers' methods during the test: a breakpoint's view of
    which path runs. The wrappers only observe: each calls the method it wraps."""
    counts = {}
    for cls, method in [
        (Conv2D, "forward"),
        (Conv2D, "backward"),
        (MaxPooling2D, "backward"),
        (Dense, "backward"),
        (Softmax, "backward"),
    ]:
        key = f"{cls.__name__}.{method}"
        counts[key] = 0
        original = getattr(cls, method)

        def counting(self, *args, _original=original, _key=key, **kwargs):
            counts[_key] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, counting)
    return counts


def test_the_reference_path_runs_the_layers_own_backward_and_the_fast_path_its_own_steps(calls):
    x, y, _ = lines(n_train=30, dtype="float32")
    with config.fast_paths(False):
        keras.utils.set_random_seed(0)
        model = readme_cnn()
        model.compile(optimizer=optimizers.SGD(0.01, momentum=0.9), loss="categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=10, verbose=0)
    batches = 3
    assert calls == {
        "Conv2D.forward": 2 * batches,
        "Conv2D.backward": 2 * batches,
        "MaxPooling2D.backward": 2 * batches,
        "Dense.backward": 2 * batches,
        "Softmax.backward": batches,  # the true Jacobian: no shortcut on the reference path
    }
    calls.update(dict.fromkeys(calls, 0))
    model.fit(x, y, epochs=1, batch_size=10, verbose=0)
    # The first Conv2D and its pooling run as one step (fast.conv_pool), the second Conv2D as
    # fast.conv2d's step, the Dense layers as fast.dense's; the pooling after ReLU is the layer's
    # own, and the softmax is skipped by the cross-entropy's shortcut (fast.softmax).
    assert calls == {
        "Conv2D.forward": 0,
        "Conv2D.backward": 0,
        "MaxPooling2D.backward": batches,
        "Dense.backward": 0,
        "Softmax.backward": 0,
    }


OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "momentum": lambda: optimizers.SGD(0.1, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(0.01),
}


def tiny_cnn():
    keras.utils.set_random_seed(4)
    return keras.Sequential(
        [
            keras.Input(shape=(5, 5, 1)),
            layers.Conv2D(2, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(4, activation="tanh"),
            layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.mark.usefixtures("float64")
@pytest.mark.parametrize("how", ["train_on_batch", "fit"])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_after_a_step_the_layers_grads_still_hold_the_gradient(optimizer, fast, how):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 5, 5, 1))
    y = keras.utils.to_categorical(rng.integers(0, 3, 6), 3)
    loss = losses.CategoricalCrossentropy()
    with config.fast_paths(fast):
        model = tiny_cnn()
        before = model.get_weights()
        model.compile(optimizer=OPTIMIZERS[optimizer](), loss=loss)
        if how == "fit":
            model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        else:
            model.train_on_batch(x, y)
    assert not any(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # every weight moved
    grads = [layer.grads[name] for layer in model.layers for name in layer.weight_names]
    assert len(grads) == 6 and all(np.any(grad != 0) for grad in grads)
    # the same batch through the reference layers, at the weights before the step
    twin = tiny_cnn()
    twin.set_weights(before)
    with config.fast_paths(False):
        twin.compile(optimizer=optimizers.SGD(0.0), loss=loss)
        twin.train_on_batch(x, y)
    expected = [layer.grads[name] for layer in twin.layers for name in layer.weight_names]
    for got, wanted in zip(grads, expected, strict=True):
        np.testing.assert_allclose(got, wanted, rtol=1e-10, atol=1e-14)
    # and central differences of the loss at those weights
    for got, weight in zip(grads, twin.weights, strict=True):
        assert_gradients_close(got, numerical_gradient(lambda: loss(y, twin(x)), weight))


def test_predict_on_the_reference_path_runs_each_batch_in_one_piece(monkeypatch):
    rows = []
    original = Sequential._forward

    def recording(self, x, training, *args, **kwargs):  # observes the pieces a batch is run in
        if not training:
            rows.append(len(x))
        return original(self, x, training, *args, **kwargs)

    monkeypatch.setattr(Sequential, "_forward", recording)
    keras.utils.set_random_seed(0)
    model = readme_cnn()
    x = np.random.default_rng(6).normal(size=(300, 28, 28, 1)).astype(np.float32)
    fast = model.predict(x, batch_size=300, verbose=0)
    assert sorted(rows) == sorted(len(part) for part in np.array_split(x, parallel.slice_count(300)))
    rows.clear()
    with config.fast_paths(False):
        reference = model.predict(x, batch_size=300, verbose=0)
    assert rows == [300]
    np.testing.assert_allclose(reference, fast, rtol=1e-5, atol=1e-7)
