"""CSVLogger: Keras's header and rows, the separator, append and overwrite, epochs without validation."""

import csv

import pytest
from helpers import tiny_data, tiny_model

from minikeras import callbacks


def read_rows(path, separator=","):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=separator))


def test_a_header_then_one_row_per_epoch_with_the_logs(tmp_path):
    path = tmp_path / "log.csv"
    history = tiny_model().fit(
        *tiny_data(), epochs=3, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path)]
    )
    rows = read_rows(path)
    header = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]  # as Keras: no learning_rate
    assert rows[0] == header
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for column, key in enumerate(header[1:], start=1):
        assert [float(row[column]) for row in rows[1:]] == pytest.approx(history.history[key], rel=1e-12)


def test_the_separator(tmp_path):
    path = tmp_path / "log.tsv"
    tiny_model().fit(
        *tiny_data(), epochs=2, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")]
    )
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\taccuracy\tloss\tval_accuracy\tval_loss"
    assert len(lines) == 3 and all(len(line.split("\t")) == 5 for line in lines)


def test_append_adds_rows_under_the_existing_header(tmp_path):
    path = tmp_path / "log.csv"
    model = tiny_model()
    x, y = tiny_data()
    model.fit(x, y, epochs=2, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    model.fit(
        x,
        y,
        epochs=3,
        validation_split=0.25,
        verbose=0,
        callbacks=[callbacks.CSVLogger(path, separator=";", append=True)],
    )
    rows = read_rows(path, ";")
    assert rows[0][0] == "epoch" and [row[0] for row in rows[1:]] == ["0", "1", "0", "1", "2"]  # one header, five rows


def test_append_to_a_missing_or_empty_file_writes_the_header(tmp_path):
    path = tmp_path / "log.csv"
    tiny_model().fit(
        *tiny_data(), epochs=1, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)]
    )
    assert read_rows(path)[0][0] == "epoch" and len(read_rows(path)) == 2
    path.write_text("")
    tiny_model().fit(
        *tiny_data(), epochs=1, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)]
    )
    assert read_rows(path)[0][0] == "epoch" and len(read_rows(path)) == 2


def test_without_append_the_file_is_overwritten(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old,content\n1,2\n3,4\n")
    tiny_model().fit(*tiny_data(), epochs=1, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0][0] == "epoch" and len(rows) == 2


def test_epochs_without_validation_get_val_columns_marked_na(tmp_path):
    # Keras 3: when the first epoch has no val_ key, a val_ column is made for every key,
    # so that the epochs validated later (validation_freq=2) have their columns.
    path = tmp_path / "log.csv"
    x, y = tiny_data()
    history = tiny_model().fit(
        x, y, epochs=2, validation_data=(x, y), validation_freq=2, verbose=0, callbacks=[callbacks.CSVLogger(path)]
    )
    rows = read_rows(path)
    keys = ["accuracy", "loss"]
    assert rows[0] == ["epoch", *keys, *("val_" + key for key in keys)]
    first, second = (dict(zip(rows[0], row)) for row in rows[1:])
    assert first["val_loss"] == "NA" and float(second["val_loss"]) == pytest.approx(history.history["val_loss"][0])


def test_the_file_is_closed_when_fit_fails(tmp_path):
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(path)

    def fail(epoch, logs):
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        tiny_model().fit(
            *tiny_data(), epochs=3, verbose=0, callbacks=[logger, callbacks.LambdaCallback(on_epoch_end=fail)]
        )
    assert logger.csv_file.closed
    assert len(read_rows(path)) == 2  # the header and the epoch that finished, flushed
