"""BackupAndRestore: a fit that was interrupted or killed resumes and ends as an uninterrupted run."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import tiny_data, tiny_model

from minikeras import callbacks


class FailAt(callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise RuntimeError("simulated crash")


def uninterrupted(epochs=5):
    model = tiny_model(seed=4, optimizer=None)
    model.fit(*tiny_data(), batch_size=4, epochs=epochs, verbose=0)  # shuffled: the generator state matters
    return model


def test_an_interrupted_fit_resumes_from_the_last_finished_epoch(tmp_path):
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    first = tiny_model(seed=4)
    with pytest.raises(RuntimeError, match="simulated crash"):
        first.fit(*tiny_data(), batch_size=4, epochs=5, verbose=0, callbacks=[backup, FailAt(epoch=2, batch=3)])
    assert os.path.exists(tmp_path / "backup" / "latest.weights.h5")  # a crash keeps the backup

    resumed = tiny_model(seed=99)  # another start: everything must come from the backup
    history = resumed.fit(*tiny_data(), batch_size=4, epochs=5, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")])
    assert history.epoch == [2, 3, 4]
    for a, b in zip(resumed.get_weights(), uninterrupted().get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed.optimizer.iterations == uninterrupted().optimizer.iterations
    assert not os.path.exists(tmp_path / "backup" / "latest.weights.h5")  # deleted once training completed


def test_keep_the_backup_when_asked_and_refuse_batch_backups(tmp_path):
    tiny_model().fit(*tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)])
    assert os.path.exists(tmp_path / "latest.weights.h5")
    with pytest.raises(ValueError, match="save_freq='epoch'"):
        callbacks.BackupAndRestore(tmp_path, save_freq=10)


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
    x, y = tiny_data(n=4000)
    cbs = [callbacks.BackupAndRestore(sys.argv[1]), Announce()]
    model.fit(x, y, batch_size=4, epochs=6, verbose=0, callbacks=cbs)
    np.savez(sys.argv[2], *model.get_weights())
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_a_fit_killed_with_sigkill_resumes_and_ends_as_an_uninterrupted_run(tmp_path):
    script = KILLABLE_FIT.format(helpers=os.path.dirname(__file__))
    command = [sys.executable, "-c", script]
    subprocess.run([*command, str(tmp_path / "reference_backup"), str(tmp_path / "reference.npz")], check=True, capture_output=True, timeout=300)

    child = subprocess.Popen([*command, str(tmp_path / "backup"), str(tmp_path / "resumed.npz")], stdout=subprocess.PIPE, text=True)
    try:
        while child.stdout.readline().strip() != "epoch 3":  # epochs 0-2 are finished and backed up
            pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert not os.path.exists(tmp_path / "resumed.npz")
    finished = subprocess.run([*command, str(tmp_path / "backup"), str(tmp_path / "resumed.npz")], check=True, capture_output=True, text=True, timeout=300)
    assert "epoch 0" not in finished.stdout and "epoch 3" in finished.stdout  # it resumed, it did not restart
    reference, resumed = np.load(tmp_path / "reference.npz"), np.load(tmp_path / "resumed.npz")
    for key in reference.files:
        np.testing.assert_array_equal(resumed[key], reference[key])
