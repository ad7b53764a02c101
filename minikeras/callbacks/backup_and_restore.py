"""`BackupAndRestore`: a killed `fit` resumes from its last backup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from minikeras.callbacks.callback import Callback
from minikeras.callbacks.save_frequency import BatchSaveCounter, is_positive_int
from minikeras.utils.random import global_rng

_METADATA = "training_metadata.json"
_WEIGHTS_PATTERN = "backup-*.weights.h5"
_KERAS_WEIGHTS = "latest.weights.h5"  # the name Keras 3 uses, read when a backup comes from Keras


class BackupAndRestore(Callback):
    """Back up the training state during `fit`; restore it when `fit` is started again.

    At the end of every epoch (or every `save_freq` batches) the backup is
    replaced: the weights and the optimizer's state, written with
    `model.save_weights`, and `training_metadata.json`, which records `epoch`,
    the number of finished epochs, and the state of minikeras's random
    generator. When `fit` starts with a backup in `backup_dir`, it restores all
    of it and starts at `epoch`. With the default `save_freq="epoch"`, a run
    killed at any point and started again ends bitwise as an uninterrupted run
    with the same seed would, shuffling included.

    A backup is never half-written: the weights go to a new file first, and the
    metadata, replaced atomically after them, names the weights file it goes
    with; a process killed in between leaves the previous backup whole. When
    `fit` completes, the backup is deleted (unless `delete_checkpoint=False`);
    when `fit` fails (an error, Ctrl-C), it is kept for the next start.

    The state of other callbacks (EarlyStopping's count, for one) is not backed
    up, as in Keras; a learning rate set by a callback is, since it is part of
    the optimizer's state.

    Args:
        backup_dir: a directory used by this callback alone.
        save_freq: "epoch" (default), or a positive integer: back up every
            this many training batches. A run resumed from a backup taken in
            the middle of an epoch starts that epoch again, with the weights
            as they were backed up (Keras's rule); only "epoch" gives a resumed
            run that matches an uninterrupted one exactly.
        double_checkpoint: also keep the previous backup, and restore it when
            the latest one cannot be read (default False).
        delete_checkpoint: delete the backup when `fit` completes (default True).

    Example:
        >>> backup = BackupAndRestore("backup")
        >>> model.fit(x, y, epochs=50, callbacks=[backup])  # killed at epoch 20
        >>> model.fit(x, y, epochs=50, callbacks=[backup])  # resumes at epoch 20
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: Literal["epoch"] | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(f"Empty `backup_dir` argument passed. Received: backup_dir={backup_dir!r}")
        if save_freq != "epoch" and not is_positive_int(save_freq):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. Expected 'epoch' or a "
                "positive integer."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._previous_metadata_path = self._metadata_path + ".bkp"
        self._current_epoch = 0
        self._epoch_rng_state: Mapping[str, Any] | None = None
        self._batch_counter = BatchSaveCounter()

    # ---------------------------------------------------------------- restore
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._batch_counter.reset()
        candidates = [path for path in (self._metadata_path, self._previous_metadata_path) if os.path.exists(path)]
        if not candidates:
            return
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call `fit()`: "
                f"model '{self.model.name}' is unbuilt. Give it an Input, or call it on a batch of data."
            )
        first_error = None
        for path in candidates:  # the latest backup, then (double_checkpoint) the one before it
            try:
                self._restore(path)
                return
            except (OSError, ValueError, KeyError, TypeError) as error:
                first_error = first_error or error
        raise ValueError(
            f"BackupAndRestore could not restore the backup in {self.backup_dir!r}: {first_error}"
        ) from first_error

    def _restore(self, metadata_path: str) -> None:
        import json  # here, not at the top: `import minikeras` stays light

        with open(metadata_path, encoding="utf-8") as handle:
            metadata = json.load(handle)
        weights_name = metadata.get("weights", _KERAS_WEIGHTS)
        self.model.load_weights(os.path.join(self.backup_dir, os.path.basename(weights_name)))
        if metadata.get("rng_state") is not None:
            global_rng().bit_generator.state = metadata["rng_state"]
        self._current_epoch = int(metadata["epoch"])
        self.model._initial_epoch = self._current_epoch  # fit starts at this epoch

    # ----------------------------------------------------------------- backup
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch
        if self.save_freq != "epoch":
            # A mid-epoch backup resumes this epoch from its start: with the same shuffling.
            self._epoch_rng_state = global_rng().bit_generator.state

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._batch_counter.due(batch, self.save_freq):
            self._backup(self._current_epoch, batch, self._epoch_rng_state)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._backup(epoch + 1, None, global_rng().bit_generator.state)

    def _backup(self, resume_epoch: int, batch, rng_state) -> None:
        import json
        import uuid

        from minikeras.saving.atomic import atomic_write

        os.makedirs(self.backup_dir, exist_ok=True)
        # A new name every time: the file the current metadata names stays intact until
        # the new metadata replaces it.
        weights_name = f"backup-{uuid.uuid4().hex[:12]}.weights.h5"
        self.model.save_weights(os.path.join(self.backup_dir, weights_name), overwrite=True)
        metadata = {"epoch": resume_epoch, "batch": batch, "weights": weights_name, "rng_state": _jsonable(rng_state)}
        if self.double_checkpoint and os.path.exists(self._metadata_path):
            with open(self._metadata_path, encoding="utf-8") as handle:
                previous = handle.read()
            with (
                atomic_write(self._previous_metadata_path) as temporary,
                open(temporary, "w", encoding="utf-8") as handle,
            ):
                handle.write(previous)
        with atomic_write(self._metadata_path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
            json.dump(metadata, handle)
        self._remove_unreferenced_weights()

    def _remove_unreferenced_weights(self) -> None:
        """Delete weights files no metadata names: replaced backups, and leftovers of a killed run."""
        import glob
        import json

        referenced = set()
        for path in (self._metadata_path, self._previous_metadata_path):
            try:
                with open(path, encoding="utf-8") as handle:
                    referenced.add(json.load(handle).get("weights"))
            except (OSError, ValueError):
                continue
        for path in glob.glob(os.path.join(glob.escape(self.backup_dir), _WEIGHTS_PATTERN)):
            if os.path.basename(path) not in referenced:
                os.remove(path)

    # ----------------------------------------------------------------- delete
    def on_train_end(self, logs: dict | None = None) -> None:
        if not self.delete_checkpoint or getattr(self.model, "_fit_interrupted", False):
            return  # a failed fit keeps its backup: that is what it is for
        import glob

        paths = [self._metadata_path, self._previous_metadata_path, os.path.join(self.backup_dir, _KERAS_WEIGHTS)]
        paths += glob.glob(os.path.join(glob.escape(self.backup_dir), _WEIGHTS_PATTERN))
        for path in paths:
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only when empty: the directory may hold files of the user's
        except OSError:
            pass


def _jsonable(state):
    """A numpy bit-generator state with plain Python numbers and lists, which JSON can hold."""
    if isinstance(state, dict):
        return {key: _jsonable(value) for key, value in state.items()}
    if hasattr(state, "tolist"):
        return state.tolist()
    return state
