"""When a callback that saves every `save_freq` batches is due: shared by ModelCheckpoint and BackupAndRestore."""

from __future__ import annotations

import numbers
from typing import Literal


class BatchSaveCounter:
    """Counts training batches across epochs and says when `save_freq` of them have passed."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.batches_since_save = 0
        self.last_batch = -1

    def due(self, batch: int, save_freq: Literal["epoch"] | int) -> bool:
        """Count batch `batch` (0-based within its epoch); True when a save is due now.

        `save_freq` is the callback's: "epoch" (never due on a batch) or a positive number of batches.
        """
        if save_freq == "epoch":
            return False
        # Batch indices restart at 0 every epoch: count batches across epochs.
        self.batches_since_save += batch + 1 if batch <= self.last_batch else batch - self.last_batch
        self.last_batch = batch
        if self.batches_since_save >= save_freq:
            self.batches_since_save = 0
            return True
        return False


def is_positive_int(value: object) -> bool:
    """Whether `value` is a positive integer (numpy's too) and not a bool: a valid `save_freq`."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and int(value) > 0
