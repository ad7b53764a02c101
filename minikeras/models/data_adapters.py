"""Where batches come from: arrays, a PyDataset, or any generator or iterator of batches.

Each source yields `(x, y, sample_weight)` batches epoch by epoch and knows how many
steps an epoch has (None when it cannot know). The training loop sees only this.
"""

from __future__ import annotations

import warnings

import numpy as np

from minikeras.models import data as data_utils
from minikeras.utils.py_dataset import PyDataset, iterate_batches
from minikeras.utils.random import global_rng


def is_batch_source(x) -> bool:
    """True for inputs that produce whole batches (a PyDataset, a generator, any iterator)."""
    if isinstance(x, PyDataset):
        return True
    if isinstance(x, (np.ndarray, list, tuple, dict, str, bytes)) or x is None:
        return False
    return hasattr(x, "__next__") or (
        hasattr(x, "__iter__") and not hasattr(x, "__array__") and not hasattr(x, "shape")
    )


class ArraySource:
    """Batches of in-memory or memory-mapped arrays.

    `shuffle=True` draws a new sample order every epoch; `shuffle="batch"` (and
    `True` for a memory-mapped array, so that every batch is one contiguous read)
    keeps each batch's rows together and shuffles the order of the batches.
    """

    def __init__(self, x, y, sample_weight, batch_size: int, shuffle, cast):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.slices = data_utils.batch_slices(len(x), batch_size)
        self.steps = len(self.slices)
        self.cast = cast
        if shuffle is True and isinstance(x, np.memmap):
            shuffle = "batch"
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch'. Received: shuffle={shuffle!r}")
        self.shuffle = shuffle
        self.exhausted = False

    def epoch(self, epoch: int):
        if self.shuffle is True:
            order = global_rng().permutation(len(self.x))
            batches = (order[rows] for rows in self.slices)
        elif self.shuffle == "batch":
            batches = (self.slices[i] for i in global_rng().permutation(len(self.slices)))
        else:
            batches = iter(self.slices)
        for index in batches:
            sample_weight = None if self.sample_weight is None else self.sample_weight[index]
            yield self.cast(self.x[index]), None if self.y is None else self.y[index], sample_weight

    def end_epoch(self):
        pass


class PyDatasetSource:
    """Batches from a PyDataset, as `__getitem__` returns them (see `unpack_batch`): its length
    is the epoch unless `steps` says otherwise."""

    def __init__(self, dataset: PyDataset, steps, shuffle):
        length = len(dataset)
        if length <= 0:
            raise ValueError(f"{type(dataset).__name__} has no batches: __len__ returned {length}.")
        self.dataset = dataset
        self.steps = min(steps, length) if steps else length
        self.shuffle = bool(shuffle)
        self.exhausted = False

    def epoch(self, epoch: int):
        self.dataset.on_epoch_begin()
        order = global_rng().permutation(len(self.dataset)) if self.shuffle else np.arange(len(self.dataset))
        yield from iterate_batches(self.dataset, order[: self.steps].tolist())

    def end_epoch(self):
        self.dataset.on_epoch_end()


class IteratorSource:
    """Batches from a generator or iterator, consumed across epochs as Keras does.

    With `steps`, each epoch takes that many batches; without, an epoch lasts until the
    iterator is exhausted. Running dry early warns and ends training.
    """

    def __init__(self, iterable, steps):
        self.iterator = iter(iterable)
        self.steps = steps
        self.exhausted = False

    def epoch(self, epoch: int):
        produced = 0
        while self.steps is None or produced < self.steps:
            try:
                batch = next(self.iterator)
            except StopIteration:
                if self.steps is not None or produced == 0:
                    self.exhausted = True
                    wanted = "steps_per_epoch * epochs" if self.steps is not None else "at least one batch per epoch"
                    warnings.warn(
                        f"Your input ran out of data after {produced} batches of epoch {epoch + 1}; interrupting "
                        "training. "
                        f"Make sure that your generator can generate {wanted} batches.",
                        stacklevel=4,
                    )
                return
            produced += 1
            yield batch

    def end_epoch(self):
        pass


def unpack_batch(batch):
    """Accept `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; return a 3-tuple."""
    if isinstance(batch, (tuple, list)):
        if not 1 <= len(batch) <= 3:
            raise ValueError(
                f"A batch must be x, (x, y) or (x, y, sample_weight); received a {type(batch).__name__} of "
                f"{len(batch)} items."
            )
        x, y, sample_weight = (*batch, None, None)[:3]
        return x, y, sample_weight
    if isinstance(batch, dict):
        raise ValueError(
            "A batch must be x, (x, y) or (x, y, sample_weight); received a dict (minikeras models have one input)."
        )
    return batch, None, None


def make_source(x, steps, shuffle, what: str):
    """A PyDatasetSource or IteratorSource for a batch-producing input."""
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0):
        raise ValueError(f"{what} must be a positive integer. Received: {what}={steps!r}")
    if isinstance(x, PyDataset):
        return PyDatasetSource(x, steps, shuffle)
    return IteratorSource(x, steps)
