"""`HDF5Dataset`: batches read slice by slice from datasets in an HDF5 file."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras.utils.py_dataset import PyDataset

if TYPE_CHECKING:
    import h5py


class HDF5Dataset(PyDataset):
    """A PyDataset over arrays stored in an HDF5 file, reading one slice per batch.

    Memory holds a few batches, never the file: each `__getitem__` reads rows
    `[index * batch_size, (index + 1) * batch_size)` of each dataset through h5py.
    The file is opened lazily in each thread or process that reads it.

    Args:
        path: the HDF5 file.
        x: name of the inputs dataset (default "x").
        y: name of the targets dataset (default "y"), or None for inputs only.
        sample_weight: name of a per-sample weights dataset, or None.
        batch_size: rows per batch (default 32).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size`.

    Example:
        >>> data = HDF5Dataset("train.h5", x="images", y="labels", batch_size=64)
        >>> model.fit(data, epochs=3)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        x: str = "x",
        y: str | None = "y",
        sample_weight: str | None = None,
        batch_size: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        import h5py

        self.path = os.fspath(path)
        self.keys = [key for key in (x, y, sample_weight) if key is not None]
        self.x, self.y, self.sample_weight = x, y, sample_weight
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
        self.batch_size = batch_size
        with h5py.File(self.path, "r") as f:
            missing = [key for key in self.keys if key not in f]
            if missing:
                raise ValueError(f"{self.path!r} has no dataset {missing[0]!r}. It holds: {sorted(f)}")
            lengths = {key: len(f[key]) for key in self.keys}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"The datasets of {self.path!r} have different lengths: {lengths}")
        self.samples = next(iter(lengths.values()))
        self._file: h5py.File | None = None

    def __getstate__(self) -> dict:  # an open h5py file cannot travel to a worker process
        return {**self.__dict__, "_file": None}

    def __len__(self) -> int:
        return math.ceil(self.samples / self.batch_size)

    def __getitem__(self, index: int) -> np.ndarray | tuple[np.ndarray, ...]:
        import h5py

        if not 0 <= index < len(self):
            raise IndexError(f"Batch index {index} is out of range for {len(self)} batches.")
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        rows = slice(index * self.batch_size, min((index + 1) * self.batch_size, self.samples))
        arrays = tuple(self._file[key][rows] for key in self.keys)
        return arrays if len(arrays) > 1 else arrays[0]
