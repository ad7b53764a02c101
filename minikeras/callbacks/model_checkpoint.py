"""`ModelCheckpoint`: save the model (or its weights) during training."""

from __future__ import annotations

import os
import warnings

from minikeras.callbacks.monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model every epoch, every `save_freq` batches, or when `monitor` improves.

    `filepath` is formatted with `epoch` (1-based), `batch` (1-based, when saving every
    `save_freq` batches) and every key of the logs, e.g.
    `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`; its directories are created. Saving goes
    through `model.save` (`.keras` or `.h5`) or, with `save_weights_only`,
    `model.save_weights` (`.weights.h5`); both write a temporary file and rename it,
    so a crash while saving never destroys the previous checkpoint.

    Args:
        filepath: where to save, a format string.
        monitor: log key watched by `save_best_only` (default "val_loss").
        verbose: 1 prints a line when it saves.
        save_best_only: save only when `monitor` improves on the best so far.
        save_weights_only: save weights (and optimizer state) only.
        mode: "auto", "min" or "max".
        save_freq: "epoch", or an integer number of batches.
        initial_value_threshold: a value `monitor` must beat before the first save.

    Example:
        >>> ModelCheckpoint("best.keras", monitor="val_accuracy", save_best_only=True)
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a positive integer.")
        self.save_freq = save_freq
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(f"With save_weights_only=True the filepath must end in `.weights.h5`. Received: filepath={self.filepath}")
        if not save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(f"The filepath must end in `.keras` or `.h5` (a whole model). Received: filepath={self.filepath}")
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _should_save_on_batch(self, batch) -> bool:
        if self.save_freq == "epoch":
            return False
        # Batches restart at 0 each epoch: count them across epochs.
        added = batch + 1 if self._last_batch_seen is None or batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _file_path(self, epoch, batch, logs) -> str:
        fields = {"epoch": epoch + 1, **(logs or {})}
        if batch is not None:
            fields.setdefault("batch", batch + 1)  # 1-based, as Keras formats it
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}') from None

    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        if self.monitor_op is None:
            self._set_monitor_op()
        path = self._file_path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", stacklevel=3)
                return
            if not self._is_improvement(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                best = "None" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
