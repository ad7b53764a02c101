"""The loop skips per-batch hooks (and their logs) only when no callback does anything per batch."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks, layers
from minikeras.callbacks.callback_list import CallbackList


class OldStyle(callbacks.Callback):
    def on_batch_end(self, batch, logs=None):
        pass


class TrainEnd(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


class EvaluationBatchBegin(callbacks.Callback):
    def on_test_batch_begin(self, batch, logs=None):
        pass


class EpochOnly(callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


@pytest.mark.parametrize(
    "callback, train, test",
    [
        (EpochOnly(), False, False),
        (OldStyle(), True, False),
        (TrainEnd(), True, False),
        (EvaluationBatchBegin(), False, True),
        (callbacks.LambdaCallback(on_batch_end=lambda batch, logs: None), True, False),
        (callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None), False, False),
        (callbacks.EarlyStopping(), False, False),
        (callbacks.TerminateOnNaN(), True, False),
    ],
)
def test_which_callbacks_want_batch_hooks(callback, train, test):
    callback_list = CallbackList([callback], add_history=True)
    assert callback_list.wants_batch_hooks("train") is train
    assert callback_list.wants_batch_hooks("test") is test


def test_a_progress_bar_wants_them():
    assert CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=1).wants_batch_hooks("train")


def test_batch_logs_are_built_only_when_a_callback_reads_them(monkeypatch):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32), np.arange(40) % 2
    built = []
    original = model._logs
    monkeypatch.setattr(model, "_logs", lambda: built.append(1) or original())
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.25)
    assert len(built) == 2 * 2  # once per epoch for fit, once for validation: never per batch
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    seen = []
    built.clear()
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs["loss"]))],
    )
    assert len(seen) == 5 and all(np.isfinite(seen))
    assert len(built) == 5 + 1  # each batch, and the epoch
