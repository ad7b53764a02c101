"""ModelCheckpoint: file names from the logs, save_best_only in both modes, save_freq in batches."""

import os

import numpy as np
import pytest
from helpers import run_epochs, tiny_data, tiny_model

import minikeras as keras
from minikeras import callbacks


def test_file_names_are_formatted_with_the_epoch_and_the_logs(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    path = str(tmp_path / "ckpt" / "model.{epoch:02d}-{val_loss:.2f}.keras")
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    expected = sorted(f"model.{e + 1:02d}-{v:.2f}.keras" for e, v in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path / "ckpt")) == expected
    last = keras.models.load_model(tmp_path / "ckpt" / expected[-1])
    np.testing.assert_array_equal(last.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    "mode, monitor, values, saved_epochs",
    [
        ("min", "val_loss", [1.0, 0.8, 0.9, 0.7, 0.75], [1, 2, 4]),
        ("max", "val_accuracy", [0.5, 0.4, 0.6, 0.6, 0.9], [1, 3, 5]),
        ("auto", "val_accuracy", [0.5, 0.4, 0.6, 0.6, 0.9], [1, 3, 5]),
    ],
)
def test_save_best_only_saves_only_on_improvement(tmp_path, mode, monitor, values, saved_epochs):
    saved = []
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "best.h5"), monitor=monitor, mode=mode, save_best_only=True)
    model = tiny_model()
    model.fit(*tiny_data(), epochs=1, verbose=0)  # the accuracy metric exists for mode="auto"
    original_save = model.save

    def recording_save(path, overwrite=True):
        saved.append(checkpoint._current_epoch + 1)
        original_save(path, overwrite=overwrite)

    model.save = recording_save
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch, value in enumerate(values):
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {monitor: value})
    assert saved == saved_epochs
    assert os.path.exists(tmp_path / "best.h5")


def test_initial_value_threshold_must_be_beaten_first(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True, initial_value_threshold=0.5)
    run_epochs(checkpoint, [0.9, 0.6])
    assert not os.path.exists(tmp_path / "m.keras")
    run_epochs(checkpoint, [0.4])
    assert os.path.exists(tmp_path / "m.keras")


def test_save_freq_counts_batches_across_epochs(tmp_path):
    model = tiny_model()
    x, y = tiny_data(n=24)
    path = str(tmp_path / "w-{epoch}-{batch}.weights.h5")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=2)])
    # Three batches an epoch, a save every two: after the 2nd, 4th and 6th batch of the run.
    assert sorted(os.listdir(tmp_path)) == ["w-1-2.weights.h5", "w-2-1.weights.h5", "w-2-3.weights.h5"]


def test_weights_only_checkpoints_restore(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)])
    fresh = tiny_model(seed=3)
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"filepath": "m.h5", "save_weights_only": True}, r"\.weights\.h5"), ({"filepath": "m.txt"}, r"\.keras"), ({"filepath": "m.keras", "save_freq": "batch"}, "save_freq")],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        callbacks.ModelCheckpoint(**kwargs)


CHECKPOINT_EVERY_BATCH = """
import sys, numpy as np, minikeras as keras
from minikeras import callbacks, layers
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input(shape=(1000,)), layers.Dense(2000), layers.Dense(10)])
model.compile(optimizer=keras.optimizers.SGD(0.001, momentum=0.9), loss="mse")
announce = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: print("batch", batch, flush=True))
x = np.random.default_rng(0).normal(size=(64, 1000)).astype("float32")
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
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", CHECKPOINT_EVERY_BATCH, str(path)], stdout=subprocess.PIPE, text=True)
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
