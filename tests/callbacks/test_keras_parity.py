"""The decisions of minikeras's callbacks match Keras 3's, fed the same logs.

Random sequences of monitored values go through Keras's and minikeras's callbacks, each
driven by the same fake model; every stop, learning rate, restored epoch and save must agree.
The one deliberate difference is EarlyStopping's `baseline` (minikeras starts `best` at the
baseline, see early_stopping.py): baselines are left out here and tested on their own.
Skipped when Keras 3 is not installed (pip install '.[interop]').
"""

import csv
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")  # as tests/interop: one backend for the whole session
keras = pytest.importorskip("keras", reason="Keras 3 is not installed: pip install '.[interop]'")

from minikeras import callbacks  # noqa: E402

RUNS = 300
# Off the 0.01 grid of the values: no difference lands on min_delta, where Keras's float32
# arithmetic (JAX backend) and float64 could round a tie each their own way.
MIN_DELTAS = [0.0, 0.045, 0.095]


class FakeModel:
    """Just what the callbacks touch; its "weights" are the index of the epoch that produced them."""

    built = True

    def __init__(self):
        self.stop_training = False
        self.metrics = []
        self.weights = -1
        self.saved = []
        self.optimizer = type("Optimizer", (), {"learning_rate": 0.1})()

    def get_weights(self):
        return [self.weights]

    def set_weights(self, weights):
        self.weights = weights[0]

    def save(self, filepath, overwrite=True):
        self.saved.append(filepath)


def drive(callback, values):
    """Run `values` through `callback` as a fit would; return what the model went through."""
    model = FakeModel()
    callback.set_model(model)
    callback.on_train_begin({})
    trace = []
    for epoch, value in enumerate(values):
        model.weights = epoch
        callback.on_epoch_begin(epoch, {})
        logs = {"m": value}
        callback.on_epoch_end(epoch, logs)
        trace.append((model.stop_training, float(model.optimizer.learning_rate), logs.get("learning_rate")))
        if model.stop_training:
            break
    callback.on_train_end({})
    return trace, model.weights, model.saved


def sequences(seed):
    """`RUNS` random walks of 2 to 11 values on a 0.01 grid (finite: Keras would keep a NaN as its best)."""
    rng = np.random.default_rng(seed)
    for _ in range(RUNS):
        values = np.round(rng.normal(size=rng.integers(2, 12)).cumsum() * 0.1, 2)
        yield rng, [float(v) for v in values]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_early_stopping_matches_keras():
    for rng, values in sequences(0):
        kwargs = {
            "monitor": "m",
            "mode": str(rng.choice(["min", "max"])),
            "patience": int(rng.integers(0, 4)),
            "min_delta": float(rng.choice(MIN_DELTAS)),
            "restore_best_weights": bool(rng.integers(2)),
            "start_from_epoch": int(rng.integers(0, 3)),
        }
        expected = drive(keras.callbacks.EarlyStopping(**kwargs), values)
        assert drive(callbacks.EarlyStopping(**kwargs), values) == expected, (values, kwargs)


def test_reduce_lr_on_plateau_matches_keras():
    for rng, values in sequences(1):
        kwargs = {
            "monitor": "m",
            "mode": str(rng.choice(["min", "max"])),
            "factor": 0.5,
            "patience": int(rng.integers(0, 4)),
            "min_delta": float(rng.choice(MIN_DELTAS)),
            "cooldown": int(rng.integers(0, 3)),
            "min_lr": float(rng.choice([0.0, 0.02])),
        }
        expected = drive(keras.callbacks.ReduceLROnPlateau(**kwargs), values)
        assert drive(callbacks.ReduceLROnPlateau(**kwargs), values) == expected, (values, kwargs)


def test_model_checkpoint_save_best_only_matches_keras():
    for rng, values in sequences(2):
        kwargs = {
            "filepath": "m-{epoch}.keras",
            "monitor": "m",
            "mode": str(rng.choice(["min", "max"])),
            "save_best_only": True,
            "initial_value_threshold": None if rng.integers(2) else float(rng.normal() * 0.2),
        }
        expected = drive(keras.callbacks.ModelCheckpoint(**kwargs), values)
        assert drive(callbacks.ModelCheckpoint(**kwargs), values) == expected, (values, kwargs)


def test_csv_logger_writes_what_keras_writes(tmp_path):
    epochs = [{"loss": 1.5, "accuracy": 0.25}, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.25, "val_accuracy": 0.5}]
    for name, make in (("keras.csv", keras.callbacks.CSVLogger), ("minikeras.csv", callbacks.CSVLogger)):
        for append in (False, True):
            logger = make(str(tmp_path / name), separator=";", append=append)
            logger.set_model(FakeModel())
            logger.on_train_begin({})
            for epoch, logs in enumerate(epochs):
                logger.on_epoch_end(epoch, dict(logs))
            logger.on_train_end({})

    def rows(name):
        with open(tmp_path / name, newline="") as handle:
            return list(csv.reader(handle, delimiter=";"))

    assert rows("minikeras.csv") == rows("keras.csv")
    assert len(rows("keras.csv")) == 5  # one header, two fits of two epochs
