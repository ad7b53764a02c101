"""Large inference batches cut into one slice per core (minikeras.models.parallel)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.models import parallel

threadpoolctl = pytest.importorskip("threadpoolctl", reason="the split needs threadpoolctl (the 'fast' extra)")


def lines_cnn():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, padding="same"),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


@pytest.fixture
def two_cores(monkeypatch):
    """Pretend to have two cores, whatever the test machine has."""
    monkeypatch.setattr(parallel, "core_count", lambda: 2)


def _blas_threads():
    return [entry["num_threads"] for entry in threadpoolctl.threadpool_info() if entry["user_api"] == "blas"]


@pytest.fixture
def blas_at_two_threads():
    """BLAS set to two threads for the test, so that a limit left behind shows (as 1)."""
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        yield _blas_threads()


class Spy:
    """Records the sizes and threads of the slices a model's inference is run on."""

    def __init__(self, model, monkeypatch):
        self.calls = []
        original = model._forward_inference

        def forward(x):
            self.calls.append((len(x), threading.current_thread().name))
            return original(x)

        monkeypatch.setattr(model, "_forward_inference", forward)


def test_a_large_batch_is_split_over_the_cores_with_the_rows_of_one_piece(two_cores, monkeypatch):
    model = lines_cnn()
    x = np.random.default_rng(0).normal(size=(300, 28, 28, 1)).astype(np.float32)
    whole = model._forward(x, training=False)
    spy = Spy(model, monkeypatch)
    out = model.predict(x, batch_size=300, verbose=0)
    assert sorted(size for size, _ in spy.calls) == [150, 150]
    assert all(name.startswith("minikeras-inference") for _, name in spy.calls)
    np.testing.assert_allclose(out, whole, rtol=1e-6, atol=1e-7)


def test_batches_below_two_slices_run_whole_in_the_calling_thread(two_cores, monkeypatch):
    model = lines_cnn()
    spy = Spy(model, monkeypatch)
    model.predict(np.zeros((2 * parallel.MIN_ROWS_PER_SLICE - 1, 28, 28, 1), np.float32), batch_size=256, verbose=0)
    assert spy.calls == [(2 * parallel.MIN_ROWS_PER_SLICE - 1, threading.current_thread().name)]


def test_evaluate_splits_too_and_gives_the_unsplit_loss(two_cores, monkeypatch):
    model = lines_cnn()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(256, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, 256)
    monkeypatch.setattr(parallel, "slice_count", lambda rows: 1)
    unsplit = model.evaluate(x, y, batch_size=256, verbose=0)
    monkeypatch.undo()
    monkeypatch.setattr(parallel, "core_count", lambda: 2)
    spy = Spy(model, monkeypatch)
    split = model.evaluate(x, y, batch_size=256, verbose=0)
    assert [size for size, _ in spy.calls] == [128, 128]
    np.testing.assert_allclose(split, unsplit, rtol=1e-6)


def test_a_custom_layer_that_does_not_allow_it_keeps_batches_whole(two_cores, monkeypatch):
    class BatchCentering(layers.Layer):
        """Subtracts the batch mean: its rows depend on the whole batch, so it must not be split."""

        def forward(self, x, training=False):
            return x - x.mean(axis=0)

        def compute_output_shape(self, input_shape):
            return input_shape

    model = keras.Sequential([keras.Input(shape=(4,)), BatchCentering(), layers.Dense(2)])
    x = np.random.default_rng(2).normal(size=(256, 4)).astype(np.float32)
    spy = Spy(model, monkeypatch)
    out = model.predict(x, batch_size=256, verbose=0)
    assert [size for size, _ in spy.calls] == [256]
    np.testing.assert_allclose(out, model._forward(x, training=False), rtol=1e-6)


def test_blas_gets_its_threads_back_after_the_call_even_when_a_layer_raises(two_cores, blas_at_two_threads):
    model = lines_cnn()
    before = blas_at_two_threads
    assert before and all(threads == 2 for threads in before)
    model.predict(np.zeros((256, 28, 28, 1), np.float32), batch_size=256, verbose=0)
    assert _blas_threads() == before

    class Failing(layers.Layer):
        splittable_inference = True

        def forward(self, x, training=False):
            raise RuntimeError("broken layer")

        def compute_output_shape(self, input_shape):
            return input_shape

    broken = keras.Sequential([keras.Input(shape=(3,)), Failing()])
    with pytest.raises(RuntimeError, match="broken layer"):
        broken.predict(np.zeros((256, 3), np.float32), batch_size=256, verbose=0)
    assert _blas_threads() == before


def test_blas_is_held_at_one_thread_only_while_slices_run(two_cores, monkeypatch):
    seen = []

    class Probe(layers.Layer):
        splittable_inference = True

        def forward(self, x, training=False):
            seen.append(_blas_threads())
            return x

        def compute_output_shape(self, input_shape):
            return input_shape

    model = keras.Sequential([keras.Input(shape=(3,)), Probe()])
    model.predict(np.zeros((256, 3), np.float32), batch_size=256, verbose=0)
    assert seen and all(threads == [1] * len(threads) for threads in seen)


def test_concurrent_large_predicts_agree_and_restore_blas(two_cores, blas_at_two_threads):
    model = lines_cnn()
    rng = np.random.default_rng(3)
    inputs = [rng.normal(size=(200 + 40 * i, 28, 28, 1)).astype(np.float32) for i in range(6)]
    expected = [model._forward(x, training=False) for x in inputs]
    before = blas_at_two_threads
    results = [None] * len(inputs)

    def worker(i):
        results[i] = model.predict(inputs[i], batch_size=128, verbose=0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert _blas_threads() == before


def test_without_threadpoolctl_nothing_is_split(two_cores, monkeypatch):
    monkeypatch.setitem(parallel._state, "blas", False)  # as if the import had failed
    assert parallel.slice_count(10_000) == 1


def test_one_core_never_splits(monkeypatch):
    monkeypatch.setattr(parallel, "core_count", lambda: 1)
    assert parallel.slice_count(10_000) == 1


def test_slices_never_fall_below_the_minimum(two_cores, monkeypatch):
    monkeypatch.setattr(parallel, "core_count", lambda: 8)
    assert parallel.slice_count(2 * parallel.MIN_ROWS_PER_SLICE) == 2
    assert parallel.slice_count(3 * parallel.MIN_ROWS_PER_SLICE + 5) == 3
    assert parallel.slice_count(100 * parallel.MIN_ROWS_PER_SLICE) == 8


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"), reason="POSIX signal masks")
def test_the_worker_threads_never_take_ctrl_c(two_cores):
    """A signal that lands on an idle worker reaches the main thread's handler late: workers block it."""
    import signal

    masks = []

    class Probe(layers.Layer):
        splittable_inference = True

        def forward(self, x, training=False):
            masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, set()))
            return x

        def compute_output_shape(self, input_shape):
            return input_shape

    model = keras.Sequential([keras.Input(shape=(3,)), Probe()])
    model.predict(np.zeros((256, 3), np.float32), batch_size=256, verbose=0)
    assert len(masks) == 2 and all({signal.SIGINT, signal.SIGTERM} <= mask for mask in masks)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # the caller's mask is untouched


def test_a_subclass_that_overrides_forward_must_declare_it_again():
    class SameForward(layers.Dense):
        pass

    class NewForward(layers.Dense):
        def forward(self, x, training=False):
            return super().forward(x - x.mean(axis=0), training)  # mixes samples

    class Declared(NewForward):
        splittable_inference = True

    assert parallel.layer_allows_split(layers.Dense(2))
    assert parallel.layer_allows_split(layers.MaxPooling2D(2))
    assert parallel.layer_allows_split(SameForward(2))
    assert not parallel.layer_allows_split(NewForward(2))
    assert parallel.layer_allows_split(Declared(2))
    instance = NewForward(2)
    instance.splittable_inference = True  # an instance may vouch for itself too
    assert parallel.layer_allows_split(instance)


def test_every_built_in_layer_allows_the_split():
    built_in = [
        layers.Dense(2), layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.AveragePooling2D(),
        layers.GlobalMaxPooling2D(), layers.GlobalAveragePooling2D(), layers.Flatten(), layers.Reshape((4,)),
        layers.ZeroPadding2D(), layers.Dropout(0.5), layers.BatchNormalization(), layers.Activation("relu"),
        layers.ReLU(), layers.Softmax(), layers.LeakyReLU(), layers.ELU(), layers.PReLU(),
    ]  # fmt: skip
    assert [type(layer).__name__ for layer in built_in if not parallel.layer_allows_split(layer)] == []
