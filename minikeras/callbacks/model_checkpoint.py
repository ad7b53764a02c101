"""`ModelCheckpoint`: save the model (or its weights) during training."""

from __future__ import annotations

import os
from typing import Literal

from minikeras.callbacks.monitor_callback import MonitorCallback
from minikeras.callbacks.save_frequency import BatchSaveCounter, is_positive_int


class ModelCheckpoint(MonitorCallback):
    """Save the model at the end of every epoch, every `save_freq` batches, or only when `monitor` improves.

    `filepath` is a format string filled with `epoch` (1-based), with `batch`
    (1-based, when saving every `save_freq` batches) and with every key of the
    logs, e.g. `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`; missing directories
    are created. The whole model goes through `model.save` (a path ending in
    `.keras` or `.h5`); with `save_weights_only=True`, the weights and the
    optimizer's state go through `model.save_weights` (a path ending in
    `.weights.h5`). Both write a temporary file and rename it into place, so a
    process killed while saving never destroys the previous checkpoint.

    With `save_best_only=True`, a save happens only when `monitor` beats the
    best value so far (which starts at `initial_value_threshold`); a fixed
    `filepath` then always holds the best model. The best value is kept across
    several `fit` calls with the same callback, as in Keras. When `monitor` is
    missing from the logs, it warns and saves anyway, as Keras 3 does.

    Args:
        filepath: where to save: a string or path-like, a format string.
        monitor: the log key `save_best_only` watches (default "val_loss").
        verbose: 0 (default) silent, 1 prints a line at each save decision.
        save_best_only: save only when `monitor` improves (default False).
        save_weights_only: save the weights (and optimizer state) only, with
            `model.save_weights` (default False: the whole model).
        mode: "auto" (default), "min" or "max"; see `MonitorCallback`.
        save_freq: "epoch" (default), or a positive integer: save after every
            this many training batches, counted across epochs. Batch logs hold
            the running figures of the epoch so far.
        initial_value_threshold: with `save_best_only`, the value `monitor`
            has to beat before the first save (default None).

    Example:
        >>> checkpoint = ModelCheckpoint("best.keras", monitor="val_accuracy", save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
        >>> best = minikeras.models.load_model("best.keras")
    """

    _missing_monitor_message = "Can save best model only with {monitor} available."

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Literal["epoch"] | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.initial_value_threshold = initial_value_threshold
        if save_freq != "epoch" and not is_positive_int(save_freq):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a positive integer number of batches."
            )
        self.save_freq = save_freq
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
                f"`.weights.h5`. Received: filepath={self.filepath}"
            )
        if not save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` or `.h5` (a whole model). Received: "
                f"filepath={self.filepath}"
            )
        self._batch_counter = BatchSaveCounter()
        self._current_epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._batch_counter.due(batch, self.save_freq):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _get_file_path(self, epoch: int, batch, logs) -> str:
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}; '
                f"the logs hold: {', '.join(sorted(logs or {}))}"
            ) from None

    def _should_save(self, epoch: int, logs, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()  # only now: the compiled metrics exist after the first batch
        current = self.get_monitor_value(logs)
        if current is None:
            return True  # Keras 3 saves when it cannot compare (the warning said so)
        previous = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, saving model to "
                    f"{filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {previous}")
        return False

    def _save_model(self, epoch: int, batch, logs) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
                f"directory: {filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
