"""`CSVLogger`: one CSV row per epoch."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TextIO

from minikeras.callbacks.callback import Callback

if TYPE_CHECKING:
    import csv


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file, one row per epoch.

    The header is `epoch` followed by the first epoch's log keys in sorted
    order. When that first epoch has no `val_` key (no validation data, or
    `validation_freq` skipped it), a `val_` column is added for every key, as
    Keras 3 does, so that later validated epochs still have their columns. A
    value an epoch does not have is written as `NA`. The file is flushed after
    every row, and closed when training ends, also when it ends with an error.

    Args:
        filename: the CSV file, a string or path-like.
        separator: the string between fields (default ",").
        append: add rows to an existing file, writing no second header when
            it already has content (default False: overwrite the file).

    Example:
        >>> csv_logger = CSVLogger("training.csv")
        >>> model.fit(x, y, epochs=10, callbacks=[csv_logger])
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.writer: csv.DictWriter | None = None
        self.append_header = True
        self.csv_file: TextIO | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.append:
            # A file with content already has its header.
            self.append_header = not (os.path.exists(self.filename) and os.path.getsize(self.filename) > 0)
        else:
            self.append_header = True
        self._close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        assert self.csv_file is not None  # opened by on_train_begin
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += ["val_" + key for key in self.keys]
        if self.writer is None:
            import csv  # here, not at the top: `import minikeras` stays light

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _as_cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _as_cell(value):
    """A log value as one CSV field: numbers and strings as they are, a sequence as "[a, b, ...]"."""
    if isinstance(value, str) or not hasattr(value, "__iter__") or getattr(value, "ndim", None) == 0:
        return value
    return f"[{', '.join(map(str, value))}]"
