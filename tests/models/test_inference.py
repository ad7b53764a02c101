"""Serving concerns: many threads on one model, a light import, bounded predict memory."""

import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def lines_cnn():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


@pytest.mark.parametrize("method", ["predict", "predict_on_batch", "call"])
def test_eight_threads_predicting_at_once_get_exactly_the_sequential_results(method):
    model = lines_cnn()
    rng = np.random.default_rng(0)
    batches = [rng.normal(size=(size, 28, 28, 1)).astype(np.float32) for size in (1, 2, 3, 5, 8, 16, 32, 64)]
    run = {
        "predict": lambda x: model.predict(x, batch_size=len(x), verbose=0),
        "predict_on_batch": model.predict_on_batch,
        "call": model,
    }[method]
    expected = [run(x) for x in batches]
    results: dict = {}
    errors = []
    start = threading.Barrier(8)

    def worker(index):
        try:
            start.wait()
            for repeat in range(20):
                results[(index, repeat)] = run(batches[index])
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for (index, _), result in results.items():
        np.testing.assert_array_equal(result, expected[index])


def test_a_model_built_lazily_by_concurrent_first_calls_is_built_once():
    model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    x = np.ones((3, 5), dtype=np.float32)
    outputs = []
    threads = [threading.Thread(target=lambda: outputs.append(model.predict(x, verbose=0))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(model.get_weights()) == 4
    for out in outputs:
        np.testing.assert_array_equal(out, outputs[0])


def test_a_second_concurrent_fit_is_refused():
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    entered, release = threading.Event(), threading.Event()

    class Hold(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            entered.set()
            release.wait(10)

    first = threading.Thread(target=lambda: model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0, callbacks=[Hold()]))
    first.start()
    entered.wait(10)
    try:
        with pytest.raises(RuntimeError, match="already running"):
            model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    finally:
        release.set()
        first.join()


def test_import_loads_neither_h5py_nor_tqdm_nor_matplotlib():
    lazy = ("h5py", "tqdm", "matplotlib", "zipfile", "json", "concurrent.futures", "threadpoolctl")
    code = f"import sys, minikeras; print(sorted(m for m in {lazy!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_predict_on_a_large_array_holds_one_batch_of_activations_and_the_output():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(100,)), layers.Dense(512, activation="relu"), layers.Dense(10)])
    x = np.random.default_rng(0).normal(size=(50_000, 100)).astype(np.float32)
    output_bytes = 50_000 * 10 * 4
    tracemalloc.start()
    try:
        out = model.predict(x, batch_size=256, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (50_000, 10)
    # One batch of hidden activations is 256 * 512 * 4 = 0.5 MB; all of them at once would be 100 MB.
    assert peak < output_bytes + 4_000_000, f"predict peaked at {peak / 1e6:.1f} MB"
