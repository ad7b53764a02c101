"""fit / evaluate / predict on PyDatasets, generators, HDF5 files and memory-mapped arrays."""

import subprocess
import sys
import textwrap
import threading

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.utils.py_dataset import BatchFetchError

N, BATCH = 40, 8


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 6)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[np.arange(N) % 3]


def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential(
        [keras.Input(shape=(6,)), layers.Dense(5, activation="tanh"), layers.Dense(3, activation="softmax")]
    )
    m.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"])
    return m


class Batches(keras.utils.PyDataset):
    """The arrays above, in batches of BATCH; records every index fetched and the epoch hooks."""

    def __init__(self, fail_at=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = data()
        self.fetched = []
        self.hooks = []
        self.fail_at = fail_at

    def __len__(self):
        return N // BATCH

    def __getitem__(self, index):
        if index == self.fail_at:
            raise KeyError(f"no batch {index} here")
        self.fetched.append(index)
        rows = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[rows], self.y[rows]

    def on_epoch_begin(self):
        self.hooks.append("begin")

    def on_epoch_end(self):
        self.hooks.append("end")


def reference(epochs=2):
    m = model()
    x, y = data()
    history = m.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    return m, history


def generator(epochs):
    x, y = data()
    for _ in range(epochs):
        for start in range(0, N, BATCH):
            yield x[start : start + BATCH], y[start : start + BATCH]


def assert_same_weights(a, b):
    for left, right in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(left, right)


@pytest.mark.parametrize(
    "make_input, kwargs",
    [
        (lambda: Batches(), {}),
        (lambda: Batches(workers=3), {}),
        (lambda: Batches(workers=2, use_multiprocessing=True), {}),
        (lambda: generator(2), {"steps_per_epoch": N // BATCH}),
        (lambda: iter(list(generator(2))), {"steps_per_epoch": N // BATCH}),
    ],
    ids=["pydataset", "pydataset_threads", "pydataset_processes", "generator", "iterator"],
)
def test_training_on_batches_equals_training_on_the_same_arrays(make_input, kwargs):
    expected, expected_history = reference()
    trained = model()
    history = trained.fit(make_input(), epochs=2, shuffle=False, verbose=0, **kwargs)
    assert_same_weights(trained, expected)
    assert history.history == expected_history.history


def test_hdf5_dataset_trains_evaluates_and_predicts_like_the_arrays(tmp_path):
    x, y = data()
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["x"], f["y"] = x, y
    source = keras.utils.HDF5Dataset(tmp_path / "d.h5", batch_size=BATCH)
    expected, _ = reference()
    trained = model()
    trained.fit(source, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(trained, expected)
    assert trained.evaluate(source, verbose=0) == pytest.approx(expected.evaluate(x, y, batch_size=BATCH, verbose=0))
    inputs_only = keras.utils.HDF5Dataset(tmp_path / "d.h5", y=None, batch_size=BATCH, workers=2)
    np.testing.assert_allclose(trained.predict(inputs_only, verbose=0), expected.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("workers", [1, 3])
def test_every_index_is_fetched_once_per_epoch_and_the_hooks_run(workers):
    dataset = Batches(workers=workers)
    model().fit(dataset, epochs=3, verbose=0)  # shuffled batch order
    assert sorted(dataset.fetched) == sorted(list(range(N // BATCH)) * 3)
    assert dataset.hooks == ["begin", "end"] * 3


def test_evaluate_and_predict_accept_batches():
    trained, _ = reference()
    x, y = data()
    assert trained.evaluate(Batches(), verbose=0) == pytest.approx(trained.evaluate(x, y, batch_size=BATCH, verbose=0))
    np.testing.assert_allclose(trained.predict(Batches(workers=2), verbose=0), trained.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(
        trained.predict((x[i : i + 8] for i in range(0, N, 8)), verbose=0), trained.predict(x, verbose=0), rtol=1e-6
    )
    assert trained.evaluate(Batches(), steps=2, verbose=0, return_dict=True)["loss"] == pytest.approx(
        trained.evaluate(x[:16], y[:16], batch_size=BATCH, verbose=0, return_dict=True)["loss"]
    )


def test_steps_per_epoch_shorter_than_the_data():
    dataset = Batches()
    trained = model()
    trained.fit(dataset, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    assert dataset.fetched == [0, 1, 0, 1]
    assert trained.optimizer.iterations == 4
    consumed = model()
    consumed.fit(generator(1), epochs=2, steps_per_epoch=2, verbose=0)  # a generator goes on where it stopped
    expected = model()
    x, y = data()
    expected.fit(x[:32], y[:32], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert_same_weights(consumed, expected)


def test_a_generator_that_runs_dry_warns_and_stops():
    trained = model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = trained.fit(generator(1), epochs=3, steps_per_epoch=3, verbose=0)
    assert trained.optimizer.iterations == 5
    assert len(history.epoch) == 2


def test_a_generator_without_steps_runs_an_epoch_to_its_end():
    trained = model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = trained.fit(generator(1), epochs=3, verbose=0)
    assert trained.optimizer.iterations == N // BATCH and history.epoch == [0]


def test_worker_errors_reach_the_caller_and_no_worker_is_left():
    before = threading.active_count()
    for workers in (1, 3):
        with pytest.raises(BatchFetchError, match=r"Batches.__getitem__\(3\) raised KeyError") as caught:
            model().fit(Batches(fail_at=3, workers=workers), epochs=1, shuffle=False, verbose=0)
        assert isinstance(caught.value.__cause__, KeyError)
    assert threading.active_count() == before


def test_validation_data_as_a_pydataset_or_generator():
    expected, _ = reference()
    x, y = data()
    trained = model()
    history = trained.fit(
        x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, validation_data=Batches(), validation_freq=2
    )
    assert "val_loss" in history.history and len(history.history["val_loss"]) == 1
    assert history.history["val_loss"][0] == pytest.approx(expected.evaluate(x, y, batch_size=BATCH, verbose=0)[0])
    history = model().fit(x, y, batch_size=BATCH, epochs=1, verbose=0, validation_data=generator(1), validation_steps=2)
    assert "val_accuracy" in history.history


class Broken(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


X, Y = data()


@pytest.mark.parametrize(
    "batches, message",
    [
        ([(X[:8], Y[:8]), {"x": X[:8]}], r"Batch 1 of the training data.*received a dict"),
        ([(X[:8], Y[:8], None, 1)], r"x, \(x, y\) or \(x, y, sample_weight\); received a tuple of 4 items"),
        ([(X[:8], Y[:8]), (X[:8], Y[:7])], r"Batch 1 of the training data: .*x has 8, y has 7"),
        (
            [(X[:8], Y[:8]), (X[:8, :5], Y[:8])],
            r"Batch 1 of the training data: Input 0 of layer 'dense.*' is incompatible with the layer: "
            r"expected axis -1 of input shape to have value 6, but received input with shape \(8, 5\)",
        ),
        ([(X[:8],)], r"Batch 0 of the training data: it has no targets"),
    ],
    ids=["dict", "four_items", "lengths", "feature_shape", "no_targets"],
)
def test_malformed_batches_are_refused_naming_the_step(batches, message):
    with pytest.raises(ValueError, match=message):
        model().fit(Broken(batches), epochs=1, shuffle=False, verbose=0)


def test_other_refusals():
    with pytest.raises(ValueError, match="has no batches: __len__ returned 0"):
        model().fit(Broken([]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`batch_size` must not be given when x is a PyDataset"):
        model().fit(Batches(), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"`y` must not be given when x is a generator"):
        model().fit(generator(1), Y, verbose=0)
    with pytest.raises(ValueError, match=r"steps_per_epoch must be a positive integer"):
        model().fit(Batches(), steps_per_epoch=0, verbose=0)


def test_memory_mapped_arrays_train_batch_by_batch(tmp_path):
    x, y = data()
    np.save(tmp_path / "x.npy", x)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    from_file, in_memory = model(), model()
    keras.utils.set_random_seed(5)
    from_file.fit(mapped, y, batch_size=BATCH, epochs=2, verbose=0)  # shuffle=True means batch order for a file
    keras.utils.set_random_seed(5)
    in_memory.fit(x, y, batch_size=BATCH, epochs=2, shuffle="batch", verbose=0)
    assert_same_weights(from_file, in_memory)


STREAM_FIT = textwrap.dedent(
    """
    import resource, sys, numpy as np, minikeras as keras
    from minikeras import layers
    model = keras.Sequential([keras.Input(shape=(1000,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    data = keras.utils.HDF5Dataset(sys.argv[1], batch_size=256, workers=2, max_queue_size=4)
    model.fit(data[0][0], data[0][1], verbose=0)  # warm up: everything but the data is now in memory
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model.fit(data, epochs=1, verbose=0)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    """
)


@pytest.mark.slow
def test_a_fit_over_an_hdf5_file_larger_than_the_memory_it_may_use(tmp_path):
    rows = 40_000  # 160 MB of float32 inputs
    with h5py.File(tmp_path / "big.h5", "w") as f:
        x = f.create_dataset("x", shape=(rows, 1000), dtype="float32")
        for start in range(0, rows, 5000):
            x[start : start + 5000] = np.random.default_rng(start).normal(size=(5000, 1000)).astype(np.float32)
        f["y"] = np.zeros((rows, 1), dtype=np.float32)
    file_mb = rows * 1000 * 4 / 2**20
    result = subprocess.run(
        [sys.executable, "-c", STREAM_FIT, str(tmp_path / "big.h5")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    growth_mb = float(result.stdout.split()[-1])
    print(f"peak memory growth {growth_mb:.1f} MB while training over a {file_mb:.0f} MB file")
    assert growth_mb < file_mb / 4, f"peak memory grew {growth_mb:.0f} MB for a {file_mb:.0f} MB file"


def test_the_progress_bar_counts_without_a_total_when_the_length_is_unknown(capsys):
    with pytest.warns(UserWarning, match="ran out of data"):
        model().fit(generator(1), epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "5step" in out.replace(" ", "") and "/5" not in out  # five steps counted, no total shown
    model().fit(Batches(), epochs=1, verbose=1)
    assert "5/5" in capsys.readouterr().out
