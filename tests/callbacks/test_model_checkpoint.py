"""ModelCheckpoint: file names from the logs, save_best_only in both modes, thresholds, save_freq in batches."""

import os

import numpy as np
import pytest
from helpers import run_epochs, tiny_data, tiny_model

import minikeras as keras
from minikeras import callbacks


def test_file_names_are_formatted_with_the_epoch_and_the_logs(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    path = tmp_path / "made" / "here" / "model.{epoch:02d}-{val_loss:.2f}.h5"  # the directories do not exist yet
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    expected = [f"model.{epoch + 1:02d}-{loss:.2f}.h5" for epoch, loss in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path / "made" / "here")) == sorted(expected)
    last = keras.models.load_model(tmp_path / "made" / "here" / expected[-1])
    np.testing.assert_array_equal(last.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_fixed_name_holds_the_last_epoch(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(tmp_path / "last.keras")])
    np.testing.assert_array_equal(
        keras.models.load_model(tmp_path / "last.keras").predict(x, verbose=0), model.predict(x, verbose=0)
    )


@pytest.mark.parametrize(
    "mode, monitor, values, saved_epochs",
    [
        ("min", "val_loss", [1.0, 0.8, 0.9, 0.7, 0.75], [1, 2, 4]),
        ("auto", "val_loss", [1.0, 0.8, 0.9, 0.7, 0.75], [1, 2, 4]),
        ("max", "val_accuracy", [0.5, 0.4, 0.6, 0.6, 0.9], [1, 3, 5]),  # equal is not better
        ("auto", "val_accuracy", [0.5, 0.4, 0.6, 0.6, 0.9], [1, 3, 5]),
        ("max", "val_loss", [1.0, 0.8, 0.9, 0.7, 0.75], [1]),  # the mode wins over the name
    ],
)
def test_save_best_only_saves_the_improving_epochs(tmp_path, mode, monitor, values, saved_epochs):
    checkpoint = callbacks.ModelCheckpoint(
        tmp_path / "best-{epoch}.h5", monitor=monitor, mode=mode, save_best_only=True
    )
    run_epochs(checkpoint, values, key=monitor)
    assert sorted(os.listdir(tmp_path)) == sorted(f"best-{epoch}.h5" for epoch in saved_epochs)


def test_save_best_only_keeps_the_best_model_in_a_fixed_file(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    saved = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: saved.append((logs["val_loss"], model.predict(x, verbose=0)))
    )
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "best.keras", save_best_only=True)
    # A rate that makes val_loss go up and down, so that the best epoch is not the last.
    model.compile(optimizer=keras.optimizers.SGD(3.0), loss="categorical_crossentropy")
    model.fit(
        x,
        y,
        epochs=6,
        batch_size=4,
        validation_data=(x[::-1] * 1.5, y[::-1]),
        verbose=0,
        callbacks=[record, checkpoint],
    )
    losses = [loss for loss, _ in saved]
    best = int(np.argmin(losses))
    assert best != len(losses) - 1  # otherwise the last save would prove nothing
    np.testing.assert_array_equal(
        keras.models.load_model(tmp_path / "best.keras").predict(x, verbose=0), saved[best][1]
    )
    assert checkpoint.best == losses[best]


def test_initial_value_threshold_must_be_beaten_first(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(
        tmp_path / "m-{epoch}.keras", save_best_only=True, initial_value_threshold=0.5
    )
    run_epochs(checkpoint, [0.9, 0.6, 0.4, 0.45, 0.3])
    assert sorted(os.listdir(tmp_path)) == ["m-3.keras", "m-5.keras"]


def test_the_best_value_carries_over_to_the_next_fit(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "m.keras", save_best_only=True)
    run_epochs(checkpoint, [0.5])
    os.remove(tmp_path / "m.keras")
    run_epochs(checkpoint, [0.6, 0.55])  # worse than the first fit's best: the best file would get worse
    assert not os.path.exists(tmp_path / "m.keras")


def test_without_the_monitored_key_it_warns_and_saves(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "m-{epoch}.keras", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        run_epochs(checkpoint, [1.0, 2.0], key="loss")
    assert sorted(os.listdir(tmp_path)) == ["m-1.keras", "m-2.keras"]


def test_save_freq_counts_batches_across_epochs(tmp_path):
    model = tiny_model()
    x, y = tiny_data(n=24)
    path = tmp_path / "w-{epoch}-{batch}.weights.h5"
    model.fit(
        x,
        y,
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=2)],
    )
    # Three batches an epoch, a save every two batches: after batches 2 and 6 of the run ...
    # i.e. epoch 1 batch 2, epoch 2 batch 1, epoch 2 batch 3 (1-based, as Keras formats them).
    assert sorted(os.listdir(tmp_path)) == ["w-1-2.weights.h5", "w-2-1.weights.h5", "w-2-3.weights.h5"]


def test_save_freq_with_save_best_only_watches_the_batch_logs(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(
        tmp_path / "b-{batch}.keras", monitor="loss", save_best_only=True, save_freq=1
    )
    checkpoint.set_model(tiny_model())
    checkpoint.on_train_begin({})
    checkpoint.on_epoch_begin(0, {})
    for batch, loss in enumerate([1.0, 0.9, 0.95, 0.5]):
        checkpoint.on_train_batch_end(batch, {"loss": loss})
    assert sorted(os.listdir(tmp_path)) == ["b-1.keras", "b-2.keras", "b-4.keras"]


def test_weights_only_checkpoints_hold_weights_and_optimizer_state(tmp_path):
    model = tiny_model(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    x, y = tiny_data()
    model.fit(
        x,
        y,
        epochs=2,
        verbose=0,
        callbacks=[callbacks.ModelCheckpoint(tmp_path / "w.weights.h5", save_weights_only=True)],
    )
    fresh = tiny_model(seed=3, optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    assert fresh.optimizer.iterations == model.optimizer.iterations
    for restored, saved in zip(fresh.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(restored, saved)


def test_a_name_the_logs_cannot_fill_says_what_they_hold(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "{val_f1:.2f}.keras")
    with pytest.raises(
        KeyError, match=r"Failed to format this callback filepath.*val_f1.*the logs hold: loss, val_loss"
    ):
        run_epochs(checkpoint, [1.0])


def test_an_existing_directory_is_refused(tmp_path):
    (tmp_path / "taken.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="non-directory filepath"):
        run_epochs(callbacks.ModelCheckpoint(tmp_path / "taken.keras"), [1.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filepath": "m.h5", "save_weights_only": True}, r"must end in `\.weights\.h5`. Received: filepath=m.h5"),
        ({"filepath": "m.txt"}, r"must end in `\.keras` or `\.h5`.*Received: filepath=m.txt"),
        ({"filepath": "m.keras", "save_freq": "batch"}, "Unrecognized save_freq: 'batch'"),
        ({"filepath": "m.keras", "save_freq": 0}, "Unrecognized save_freq: 0"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        callbacks.ModelCheckpoint(**kwargs)


def test_verbose_says_what_it_decides(tmp_path, capsys):
    run_epochs(callbacks.ModelCheckpoint(tmp_path / "m.keras", save_best_only=True, verbose=1), [1.0, 2.0])
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from None to 1.00000, saving model to {tmp_path / 'm.keras'}" in out
    assert "Epoch 2: val_loss did not improve from 1.00000" in out


CHECKPOINT_EVERY_BATCH = """
import sys, numpy as np, minikeras as keras
from minikeras import callbacks, layers
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input(shape=(500,)), layers.Dense(1000), layers.Dense(10)])
model.compile(optimizer=keras.optimizers.SGD(0.001, momentum=0.9), loss="mse")
announce = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: print("batch", batch, flush=True))
x = np.random.default_rng(0).normal(size=(64, 500)).astype("float32")
model.fit(x, np.zeros((64, 10)), batch_size=4, epochs=100, verbose=0,
          callbacks=[announce, callbacks.ModelCheckpoint(sys.argv[1], save_freq=1)])
"""


@pytest.mark.slow
def test_a_process_killed_while_checkpointing_leaves_a_loadable_checkpoint(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "checkpoint.keras"
    rng = np.random.default_rng(1)
    for _ in range(2):
        child = subprocess.Popen(
            [sys.executable, "-c", CHECKPOINT_EVERY_BATCH, str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            while child.stdout.readline().strip() != "batch 3":  # three checkpoints written, more under way
                pass
            time.sleep(rng.uniform(0, 0.05))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        model = keras.models.load_model(path)
        assert model.optimizer.iterations >= 3
        assert all(np.isfinite(w).all() for w in model.get_weights())
