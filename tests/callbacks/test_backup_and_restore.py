"""BackupAndRestore: a fit that was interrupted or killed resumes and ends as an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import assert_same_weights, tiny_data, tiny_model

import minikeras as keras
from minikeras import callbacks

EPOCHS = 5


class Crash(callbacks.Callback):
    """Raise at batch `batch` of epoch `epoch`, as a crash would."""

    def __init__(self, epoch, batch=1):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise RuntimeError("simulated crash")


def model(seed=4):
    # Momentum: the optimizer has state of its own, which the backup must carry too.
    return tiny_model(seed=seed, optimizer=keras.optimizers.SGD(0.1, momentum=0.9))


def fit(model, callbacks_=(), epochs=EPOCHS):
    # Shuffled batches: the resumed run must also draw the same sample orders.
    return model.fit(*tiny_data(), batch_size=4, epochs=epochs, verbose=0, callbacks=list(callbacks_))


def uninterrupted():
    reference = model()
    fit(reference)
    return reference


def assert_ends_as_uninterrupted(resumed):
    reference = uninterrupted()
    assert_same_weights(resumed, reference)
    assert resumed.optimizer.iterations == reference.optimizer.iterations
    for a, b in zip(resumed.optimizer.variables, reference.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_crashed_fit_resumes_from_the_last_finished_epoch(tmp_path):
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    first = model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(first, [backup, Crash(epoch=2)])
    with open(tmp_path / "backup" / "training_metadata.json") as handle:
        assert json.load(handle)["epoch"] == 2  # epochs 0 and 1 finished; the backup survives the crash

    resumed = model(seed=99)  # another start: everything must come from the backup
    history = fit(resumed, [backup])
    assert history.epoch == [2, 3, 4]
    assert_ends_as_uninterrupted(resumed)
    assert not os.path.exists(tmp_path / "backup")  # deleted once training completed


def test_crashes_at_several_points_still_end_as_one_run(tmp_path):
    backup_dir = tmp_path / "backup"
    run = model()
    for crash_epoch in (1, 3):
        with pytest.raises(RuntimeError):
            fit(run, [callbacks.BackupAndRestore(backup_dir), Crash(epoch=crash_epoch, batch=0)])
        run = model(seed=crash_epoch)
    fit(run, [callbacks.BackupAndRestore(backup_dir)])
    assert_ends_as_uninterrupted(run)


def test_a_crash_between_writing_the_weights_and_the_metadata_leaves_the_previous_backup(tmp_path):
    backup_dir = tmp_path / "backup"
    first = model()
    saves = []
    real_save_weights = first.save_weights

    def save_weights_then_die_at_the_third_backup(path, overwrite=True):
        real_save_weights(path, overwrite=overwrite)  # the new weights reach the disk ...
        saves.append(path)
        if len(saves) == 3:
            raise KeyboardInterrupt  # ... and the process dies before the metadata names them

    first.save_weights = save_weights_then_die_at_the_third_backup
    with pytest.raises(KeyboardInterrupt):
        fit(first, [callbacks.BackupAndRestore(backup_dir)])
    resumed = model(seed=99)
    assert fit(resumed, [callbacks.BackupAndRestore(backup_dir)]).epoch == [2, 3, 4]  # from the second backup
    assert_ends_as_uninterrupted(resumed)


def test_double_checkpoint_restores_the_previous_backup_when_the_latest_is_damaged(tmp_path):
    backup_dir = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        fit(model(), [callbacks.BackupAndRestore(backup_dir, double_checkpoint=True), Crash(epoch=3)])
    with open(backup_dir / "training_metadata.json") as handle:
        latest = json.load(handle)
    (backup_dir / latest["weights"]).write_bytes(b"damaged")
    resumed = model(seed=99)
    history = fit(resumed, [callbacks.BackupAndRestore(backup_dir, double_checkpoint=True)])
    assert history.epoch == [2, 3, 4]  # one epoch earlier than the damaged backup
    assert_ends_as_uninterrupted(resumed)


def test_a_damaged_backup_without_a_previous_one_is_an_error(tmp_path):
    backup_dir = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        fit(model(), [callbacks.BackupAndRestore(backup_dir), Crash(epoch=2)])
    with open(backup_dir / "training_metadata.json") as handle:
        (backup_dir / json.load(handle)["weights"]).write_bytes(b"damaged")
    with pytest.raises(ValueError, match="could not restore the backup"):
        fit(model(), [callbacks.BackupAndRestore(backup_dir)])


def test_only_the_live_backup_stays_on_disk(tmp_path):
    backup_dir = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        fit(model(), [callbacks.BackupAndRestore(backup_dir), Crash(epoch=3)])
    assert sorted(os.listdir(backup_dir)) == sorted(
        [json.loads((backup_dir / "training_metadata.json").read_text())["weights"], "training_metadata.json"]
    )


def test_delete_checkpoint_false_keeps_the_backup_and_a_new_fit_resumes_from_it(tmp_path):
    fit(model(), [callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)], epochs=2)
    assert os.path.exists(tmp_path / "training_metadata.json")
    history = fit(model(), [callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)], epochs=4)
    assert history.epoch == [2, 3]


def test_deleting_leaves_other_files_in_the_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    fit(model(), [callbacks.BackupAndRestore(tmp_path)], epochs=2)
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_an_integer_save_freq_resumes_the_interrupted_epoch_from_its_start(tmp_path):
    backup = callbacks.BackupAndRestore(tmp_path / "backup", save_freq=4)  # 6 batches an epoch
    first = model()
    with pytest.raises(RuntimeError):
        fit(first, [backup, Crash(epoch=1, batch=3)])  # crash at batch 10 of the run; last backup after batch 8
    metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["batch"]) == (1, 1)
    resumed = model(seed=99)
    history = fit(resumed, [backup])
    assert history.epoch == [1, 2, 3, 4]
    assert resumed.optimizer.iterations == 8 + 4 * 6  # it kept the 8 steps backed up, then ran epochs 1 to 4


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq='batch'"):
        callbacks.BackupAndRestore("backup", save_freq="batch")


def test_an_unbuilt_model_cannot_restore(tmp_path):
    fit(model(), [callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)], epochs=1)
    unbuilt = keras.Sequential([keras.layers.Dense(6, activation="tanh"), keras.layers.Dense(3, activation="softmax")])
    unbuilt.compile(optimizer="sgd", loss="categorical_crossentropy")
    callback = callbacks.BackupAndRestore(tmp_path)
    callback.set_model(unbuilt)
    with pytest.raises(ValueError, match="must be built"):
        callback.on_train_begin({})


KILLABLE_FIT = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, {helpers!r})
    from helpers import tiny_data, tiny_model
    from minikeras import callbacks

    class Announce(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            print("epoch", epoch, flush=True)

    model = tiny_model(seed=4)
    x, y = tiny_data(n=2000)
    model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[callbacks.BackupAndRestore(sys.argv[1]), Announce()])
    np.savez(sys.argv[2], *model.get_weights())
    """
)


@pytest.mark.slow
def test_a_fit_killed_with_sigkill_resumes_and_ends_as_an_uninterrupted_run(tmp_path):
    command = [sys.executable, "-c", KILLABLE_FIT.format(helpers=os.path.dirname(__file__))]
    reference = subprocess.Popen([*command, str(tmp_path / "reference_backup"), str(tmp_path / "reference.npz")])
    child = subprocess.Popen(
        [*command, str(tmp_path / "backup"), str(tmp_path / "resumed.npz")], stdout=subprocess.PIPE, text=True
    )
    try:
        while child.stdout.readline().strip() != "epoch 3":  # epochs 0-2 are finished and backed up
            pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert not os.path.exists(tmp_path / "resumed.npz")
    finished = subprocess.run(
        [*command, str(tmp_path / "backup"), str(tmp_path / "resumed.npz")],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.stdout.split() == ["epoch", "3", "epoch", "4"]  # it resumed, it did not start again
    assert reference.wait(timeout=300) == 0
    expected, resumed = np.load(tmp_path / "reference.npz"), np.load(tmp_path / "resumed.npz")
    for key in expected.files:
        np.testing.assert_array_equal(resumed[key], expected[key])
