"""minikeras.fast.work_buffers: training reuses a convolution's large temporaries between steps.

Same numbers as fresh arrays (whatever a buffer held before), the same memory from step to
step, nothing for inference, and all of it released when `fit` ends.
"""

import numpy as np
import pytest

import minikeras
from minikeras import layers
from minikeras.fast import work_buffers
from minikeras.fast.conv2d import Conv2DStep
from minikeras.fast.conv_pool import ConvMaxPool
from minikeras.fast.work_buffers import WorkBuffers, buffers_of


def small_cnn(seed=0):
    minikeras.utils.set_random_seed(seed)
    model = minikeras.Sequential(
        [
            minikeras.Input(shape=(9, 8, 2)),
            layers.Conv2D(3, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),  # runs as one step with the Conv2D before it
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


class BufferSpy:
    """Records every `WorkBuffers.get`: which layer's buffers, the name, and the memory handed out."""

    def __init__(self, monkeypatch):
        self.calls = []
        original = WorkBuffers.get

        def get(buffers, name, shape, dtype):  # observes; hands out what `get` hands out
            array = original(buffers, name, shape, dtype)
            self.calls.append((id(buffers), name, array.__array_interface__["data"][0]))
            return array

        monkeypatch.setattr(WorkBuffers, "get", get)


def step_results(step, x, upstream):
    conv = step.conv if isinstance(step, ConvMaxPool) else step.layer
    y = step.forward(x, training=True).copy()
    grad_x = step.backward(upstream)
    return [y, grad_x.copy(), *(grad.copy() for grad in conv.grads.values())]


STEPS = {
    "conv_max_pool": lambda conv, chunk_values: ConvMaxPool(conv, layers.MaxPooling2D(2), chunk_values=chunk_values),
    "conv2d_by_rows": lambda conv, chunk_values: Conv2DStep(conv, chunk_values=chunk_values, by_rows=True),
    "conv2d_col2im": lambda conv, chunk_values: Conv2DStep(conv, chunk_values=chunk_values, by_rows=False),
}


@pytest.mark.parametrize("chunk_values", [1 << 20, 400], ids=["one_chunk", "several_chunks"])
@pytest.mark.parametrize("kind", sorted(STEPS))
def test_buffers_left_full_of_nan_give_what_fresh_buffers_give(kind, chunk_values):
    # A step on a larger batch of NaN leaves every buffer full of NaN (bigger than the next
    # batch needs, the last chunk smaller): any value read before it is written would show.
    rng = np.random.default_rng(0)
    conv = layers.Conv2D(3, 3, padding="same", activation="relu")
    conv.build_for((None, 9, 8, 2))
    x = rng.normal(size=(10, 9, 8, 2)).astype(np.float32)
    upstream_shape = (10, 4, 4, 3) if kind == "conv_max_pool" else (10, 9, 8, 3)
    upstream = rng.normal(size=upstream_shape).astype(np.float32)
    fresh = step_results(STEPS[kind](conv, chunk_values), x, upstream)
    poisoned = STEPS[kind](conv, chunk_values)
    step_results(poisoned, np.full((13, 9, 8, 2), np.nan, np.float32), np.full((13, *upstream_shape[1:]), np.nan))
    reused = step_results(poisoned, x, upstream)
    for a, b in zip(reused, fresh, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_model_trains_the_same_with_its_buffers_released_at_every_step():
    x, y = data()
    kept, released = small_cnn(), small_cnn()
    for rows in (slice(0, 10), slice(0, 7), slice(3, 10)):  # batch sizes 10, 7, 7
        kept.train_on_batch(x[rows], y[rows])
        released.train_on_batch(x[rows], y[rows])
        work_buffers.release(released.layers)
    for a, b in zip(kept.get_weights(), released.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_steps_reuse_the_same_memory_and_fit_releases_it(monkeypatch):
    model, (x, y) = small_cnn(), data()
    conv = model.layers[0]
    spy = BufferSpy(monkeypatch)
    model.train_on_batch(x, y)
    first = list(spy.calls)
    assert {owner for owner, _, _ in first} == {id(buffers_of(conv)), id(buffers_of(model.layers[2]))}
    spy.calls.clear()
    buffers = buffers_of(conv)
    model.train_on_batch(x, y)
    assert spy.calls == first  # the same names, in the same order, at the same addresses
    assert buffers_of(conv) is buffers
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    assert buffers_of(conv) is not buffers  # fit released them: a new, empty set is made on demand


def test_inference_uses_no_work_buffers(monkeypatch):
    """predict may run in many threads at once: it allocates its own arrays."""
    model, (x, _) = small_cnn(), data()
    spy = BufferSpy(monkeypatch)
    model.predict(x, verbose=0)
    model.layers[0](x)
    ConvMaxPool(model.layers[0], model.layers[1]).forward(x, training=False)
    Conv2DStep(model.layers[0]).forward(x, training=False)
    assert spy.calls == []


def test_a_buffer_grows_for_a_larger_batch_and_keeps_its_memory_for_a_smaller_one():
    buffers = WorkBuffers()
    big = buffers.get("b", (4, 5), np.float32)
    small = buffers.get("b", (2, 3), np.float32)
    assert small.shape == (2, 3) and np.shares_memory(big, small)
    larger = buffers.get("b", (5, 5), np.float32)
    assert larger.shape == (5, 5) and not np.shares_memory(big, larger)
    assert buffers.get("b", (5, 5), np.float64).dtype == np.float64
    other = buffers.allocator("c")((5, 5), np.float64)
    assert other.shape == (5, 5) and not np.shares_memory(other, buffers.get("b", (5, 5), np.float64))
    assert buffers.allocator("c")((2, 2), np.float64).base is other.base


def test_each_layer_has_its_own_buffers_until_released():
    conv, other = layers.Conv2D(2, 3), layers.Conv2D(2, 3)
    buffers = buffers_of(conv)
    assert buffers_of(conv) is buffers and buffers_of(other) is not buffers
    array = buffers.get("a", (3,), np.float32)
    work_buffers.release([conv, layers.Dense(2)])  # a layer without buffers is left alone
    assert buffers_of(conv) is not buffers
    assert not np.shares_memory(buffers_of(conv).get("a", (3,), np.float32), array)
