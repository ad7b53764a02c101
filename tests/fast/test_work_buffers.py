"""Training reuses a convolution's large temporaries between steps (Layer._work_buffer): same numbers, no leaks."""

import numpy as np
import pytest

import minikeras
from minikeras import layers
from minikeras.layers import base
from minikeras.ops import windows


def small_cnn(seed=0):
    minikeras.utils.set_random_seed(seed)
    model = minikeras.Sequential(
        [
            minikeras.Input(shape=(9, 8, 2)),
            layers.Conv2D(3, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),  # runs fused with the Conv2D before it
            layers.Conv2D(4, 2, activation="tanh"),  # runs on its own
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=minikeras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model


def data(seed=1, n=10):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 9, 8, 2)).astype("float32"), rng.integers(0, 3, n)


def train_steps(model, x, y, steps=3):
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model.get_weights()


def fresh_buffer(self, name, shape, dtype):
    """What `_work_buffer` would be without reuse: a new array, full of garbage, every call."""
    return np.full(shape, np.nan if np.issubdtype(dtype, np.floating) else True, dtype=dtype)


@pytest.mark.parametrize("chunk_values", [None, 400])
def test_reused_buffers_train_exactly_as_fresh_arrays(chunk_values, monkeypatch):
    if chunk_values:  # several chunks per batch, the last one smaller
        monkeypatch.setattr(windows, "CHUNK_VALUES", chunk_values)
    x, y = data()
    reused = train_steps(small_cnn(), x, y)
    with monkeypatch.context() as patch:
        patch.setattr(base.Layer, "_work_buffer", fresh_buffer)
        fresh = train_steps(small_cnn(), x, y)
    for a, b in zip(reused, fresh):
        np.testing.assert_array_equal(a, b)


def test_steps_reuse_the_same_memory_and_fit_releases_it():
    model, (x, y) = small_cnn(), data()
    conv = model.layers[0]
    model.train_on_batch(x, y)
    first = {name: buffer for name, buffer in conv._work_buffers.items()}
    assert "cols0" in first and "grad_z" in first
    model.train_on_batch(x, y)
    assert all(conv._work_buffers[name] is buffer for name, buffer in first.items())
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    assert all(not layer._work_buffers for layer in model.layers)


def test_inference_uses_no_work_buffers():
    """predict may run in many threads at once: it allocates its own arrays."""
    model, (x, _) = small_cnn(), data()
    model.predict(x, verbose=0)
    model.layers[0](x)
    assert all(not layer._work_buffers for layer in model.layers)


def test_buffer_grows_for_a_larger_batch_and_keeps_its_memory_for_a_smaller_one():
    conv = layers.Conv2D(2, 3)
    big = conv._work_buffer("b", (4, 5), np.float32)
    small = conv._work_buffer("b", (2, 3), np.float32)
    assert small.shape == (2, 3) and np.shares_memory(big, small)
    larger = conv._work_buffer("b", (5, 5), np.float32)
    assert larger.shape == (5, 5) and not np.shares_memory(big, larger)
    assert conv._work_buffer("b", (5, 5), np.float64).dtype == np.float64


@pytest.mark.parametrize("value", [0.0, -np.inf])
def test_pad_spatial_into_a_dirty_buffer_sets_the_whole_border(value):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 2))
    pads = ((1, 2), (2, 1))
    expected = windows.pad_spatial(x, pads, value)
    into = windows.pad_spatial(x, pads, value, empty=lambda shape, dtype: np.full(shape, np.nan, dtype=dtype))
    np.testing.assert_array_equal(into, expected)
