"""CSVLogger, TerminateOnNaN, LambdaCallback and model.stop_training."""

import csv

import numpy as np
import pytest
from helpers import tiny_data, tiny_model

from minikeras import callbacks


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_csv_logger_writes_a_header_and_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = tiny_model().fit(*tiny_data(), epochs=3, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    assert [float(row[3]) for row in rows[1:]] == pytest.approx(history.history["loss"])


def test_csv_logger_append_adds_rows_without_a_second_header(tmp_path):
    path = tmp_path / "log.csv"
    model = tiny_model()
    model.fit(*tiny_data(), epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    model.fit(*tiny_data(), epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch;accuracy;learning_rate;loss" and len(lines) == 5
    model.fit(*tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    assert len(path.read_text().splitlines()) == 2  # without append: overwritten


def test_csv_logger_marks_epochs_without_validation(tmp_path):
    path = tmp_path / "log.csv"
    x, y = tiny_data()
    tiny_model().fit(x, y, epochs=2, validation_data=(x, y), validation_freq=2, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = read_rows(path)
    assert "val_loss" not in rows[0]  # the first epoch decides the columns, as in Keras


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    import minikeras as keras

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.SGD(1e18), loss="mse")  # squared errors overflow float32 within a few steps
    x, y = tiny_data()
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[record, callbacks.TerminateOnNaN()])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert not np.isfinite(seen[-1]) and all(np.isfinite(seen[:-1]))  # stopped at the first bad batch
    assert len(history.epoch) == 1 and model.optimizer.iterations == len(seen) < 5 * len(x) // 4


def test_lambda_callback_calls_each_hook():
    calls = []
    hooks = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch}"),
        on_batch_end=lambda batch, logs: calls.append(f"batch_end {batch}"),
        on_test_end=lambda logs: calls.append("test_end"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    x, y = tiny_data(n=8)
    tiny_model().fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), verbose=0, callbacks=[hooks])
    assert calls == ["train_begin", "batch_end 0", "batch_end 1", "test_end", "epoch_end 0", "train_end"]
    with pytest.raises(TypeError, match="unknown hooks"):
        callbacks.LambdaCallback(on_epoch_finish=print)


def test_stop_training_from_on_epoch_end_finishes_that_epoch():
    class StopAfterSecondEpoch(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = tiny_model()
    x, y = tiny_data(n=24)
    history = model.fit(x, y, batch_size=8, epochs=10, verbose=0, callbacks=[StopAfterSecondEpoch()])
    assert history.epoch == [0, 1] and model.optimizer.iterations == 6
    assert np.isfinite(model.predict(x, verbose=0)).all()
