"""`PyDataset`: batches made by your own code, prepared ahead by worker threads or processes.

Subclass it with `__len__` (the number of batches) and `__getitem__(index)` returning `x`,
`(x, y)` or `(x, y, sample_weight)` for batch `index`, and pass it to `fit`, `evaluate` or
`predict` in place of arrays, as with Keras's `keras.utils.PyDataset`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any


class PyDataset:
    """Base class for datasets that produce whole batches.

    Args:
        workers: how many batches are prepared at once (1: in the calling thread, in order).
        use_multiprocessing: prepare them in processes instead of threads (the
            dataset must then be picklable: a class defined at module level).
        max_queue_size: how many batches may be prepared ahead of the model.

    Example:
        >>> class Squares(PyDataset):
        ...     def __len__(self):
        ...         return 10
        ...     def __getitem__(self, index):
        ...         x = np.full((4, 1), index, dtype="float32")
        ...         return x, x**2
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer. Received: workers={workers!r}")
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(f"max_queue_size must be a positive integer. Received: max_queue_size={max_queue_size!r}")
        self.workers = workers
        self.use_multiprocessing = bool(use_multiprocessing)
        self.max_queue_size = max_queue_size

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (the number of batches).")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning a batch.")

    @property
    def num_batches(self) -> int:
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch's first batch is fetched."""

    def on_epoch_end(self) -> None:
        """Called after each epoch's last batch, e.g. to reshuffle your own data."""


class BatchFetchError(RuntimeError):
    """`__getitem__` of a PyDataset failed; the original exception is the cause."""


_worker_dataset = None


def _set_worker_dataset(dataset) -> None:
    global _worker_dataset
    _worker_dataset = dataset


def _fetch_in_worker(index: int):
    assert _worker_dataset is not None  # set by the pool's initializer
    return _worker_dataset[index]


def _fetch(dataset, index: int):
    try:
        return dataset[index]
    except Exception as error:
        raise BatchFetchError(
            f"{type(dataset).__name__}.__getitem__({index}) raised {type(error).__name__}: {error}"
        ) from error


def iterate_batches(dataset: PyDataset, order: Iterable[int]) -> Iterator[Any]:
    """Yield `dataset[i]` for each `i` in `order`, in that order.

    With `workers > 1`, up to `max_queue_size` batches are prepared ahead by a pool of
    threads (or processes); a worker's exception is raised here, at its batch, with the
    original traceback as its cause. The pool is shut down when the iteration ends, fails
    or is abandoned, so no worker outlives the `fit` that started it.
    """
    import concurrent.futures
    import multiprocessing

    order = list(order)
    if dataset.workers <= 1:
        for index in order:
            yield _fetch(dataset, index)
        return
    if dataset.use_multiprocessing:
        pool = concurrent.futures.ProcessPoolExecutor(
            dataset.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_set_worker_dataset,
            initargs=(dataset,),
        )

        def submit(index):
            return pool.submit(_fetch_in_worker, index)
    else:
        pool = concurrent.futures.ThreadPoolExecutor(dataset.workers, thread_name_prefix="minikeras-batches")

        def submit(index):
            return pool.submit(dataset.__getitem__, index)

    pending: deque = deque()
    try:
        upcoming = iter(order)
        for index in upcoming:
            pending.append((index, submit(index)))
            if len(pending) >= dataset.max_queue_size:
                break
        while pending:
            index, future = pending.popleft()
            try:
                batch = future.result()
            except Exception as error:
                raise BatchFetchError(
                    f"{type(dataset).__name__}.__getitem__({index}) raised {type(error).__name__}: {error}"
                ) from error
            next_index = next(upcoming, None)
            if next_index is not None:
                pending.append((next_index, submit(next_index)))
            yield batch
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
