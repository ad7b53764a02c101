"""`BackupAndRestore`: a killed `fit` resumes from its last finished epoch."""

from __future__ import annotations

import os

from minikeras.callbacks.callback import Callback
from minikeras.utils.random import global_rng


class BackupAndRestore(Callback):
    """Back up the training state after every epoch; restore it when `fit` starts again
    with the same `backup_dir`.

    The backup holds the weights, the optimizer's state, the epoch count and
    minikeras's random generator (so a resumed, shuffled run ends bitwise as an
    uninterrupted one would). Files are replaced atomically: a process killed while
    backing up leaves the previous backup usable. When `fit` completes, the backup is
    deleted (unless `delete_checkpoint=False`).

    Args:
        backup_dir: a directory of its own for the backup.
        save_freq: "epoch" (the only choice: see the note in `__init__`).
        delete_checkpoint: delete the backup when training ends normally.

    Example:
        >>> model.fit(x, y, epochs=50, callbacks=[BackupAndRestore("backup")])  # run again after a crash
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore needs a backup_dir. Received: backup_dir=None")
        if save_freq != "epoch":
            # A backup taken mid-epoch could only resume that epoch from its start with
            # weights that already saw part of it: not the run it interrupted.
            raise ValueError(
                f"BackupAndRestore backs up at the end of each epoch, so that a resumed run ends exactly as an "
                f"uninterrupted one. Received: save_freq={save_freq!r}; use save_freq='epoch'."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._state_path = os.path.join(self.backup_dir, "training_metadata.json")

    def on_train_begin(self, logs=None):
        import json

        if not (os.path.exists(self._weights_path) and os.path.exists(self._state_path)):
            return
        with open(self._state_path, encoding="utf-8") as handle:
            state = json.load(handle)
        self.model.load_weights(self._weights_path)
        rng_state = state.get("rng_state")
        if rng_state is not None:
            global_rng().bit_generator.state = rng_state
        self.model._initial_epoch = int(state["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._backup(epoch)

    def _backup(self, finished_epoch: int) -> None:
        import json

        from minikeras.saving.atomic import atomic_write

        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path, overwrite=True)
        state = {"epoch": finished_epoch, "rng_state": _jsonable(global_rng().bit_generator.state)}
        with atomic_write(self._state_path) as temporary:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(state, handle)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and not self.model._fit_interrupted:  # a crash keeps the backup
            for path in (self._weights_path, self._state_path):
                if os.path.exists(path):
                    os.remove(path)


def _jsonable(state):
    """A numpy bit-generator state with plain ints (JSON cannot hold numpy integers)."""
    if isinstance(state, dict):
        return {key: _jsonable(value) for key, value in state.items()}
    if hasattr(state, "item"):
        return state.item()
    return state
