"""Inference on one batch, spread over the CPU cores.

numpy runs each elementwise operation (im2col copies, bias adds, ReLU, pooling) on one core, and
at these matrix sizes BLAS gains little from its own threads. Inference treats every sample on its
own, so a large batch can instead be cut into one slice per core and the slices run in threads:
numpy releases the GIL inside each operation, so the cores really do work at once. BLAS must then
be held at one thread per call, or its threads and ours fight over the same cores (slower than not
splitting at all); `threadpoolctl` does that, so the split happens only when it is installed
(`pip install "minikeras[fast]"`); docs/performance.md gives what it gains. Every slice's rows
are computed exactly as they would be in one piece. With the fast paths off
(`minikeras.config.set_fast_paths(False)`), batches are never split.

A layer takes part only if its class says its inference is safe to split:
`splittable_inference = True` (the built-in layers; a custom layer may set it when its
`forward(x, training=False)` keeps no state on `self` and treats each sample independently).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

MIN_ROWS_PER_SLICE = 64  # smaller slices gained nothing measurable on README.md's CNN (2 cores)

_lock = threading.Lock()
_state: dict[str, Any] = {"executor": None, "blas": None, "users": 0, "limiter": None}
_inside_worker = threading.local()


def core_count() -> int:
    """The number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def layer_allows_split(layer) -> bool:
    """Whether `layer`'s inference may run on slices of a batch.

    The answer is the `splittable_inference` of the most derived class that says either that or
    defines `forward`: a subclass that overrides `forward` must declare it again, so that a built-in
    layer's True never vouches for code it has not seen.
    """
    if "splittable_inference" in vars(layer):
        return bool(layer.splittable_inference)
    for klass in type(layer).__mro__:
        if "splittable_inference" in vars(klass):
            return bool(vars(klass)["splittable_inference"])
        if "forward" in vars(klass):
            return False
    return False


def _blas_controller():
    """threadpoolctl's handle on the BLAS libraries, or None when threadpoolctl is not installed."""
    if _state["blas"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _state["blas"] = False
        else:
            _state["blas"] = ThreadpoolController().select(user_api="blas")
    return _state["blas"] or None


def slice_count(rows: int) -> int:
    """How many slices a batch of `rows` samples is cut into (1: run it whole)."""
    if rows < 2 * MIN_ROWS_PER_SLICE:  # first: a one-sample predict pays for nothing else
        return 1
    cores = core_count()
    if cores < 2 or getattr(_inside_worker, "active", False):
        return 1
    if _blas_controller() is None:
        return 1
    return min(cores, rows // MIN_ROWS_PER_SLICE)


def _enter_single_threaded_blas():
    # Counted, so that overlapping calls from several user threads give BLAS its threads back
    # only when the last of them is done.
    with _lock:
        if _state["users"] == 0:
            _state["limiter"] = _blas_controller().limit(limits=1)
        _state["users"] += 1
        if _state["executor"] is None:
            from concurrent.futures import ThreadPoolExecutor  # here, not at import: serving starts faster

            _state["executor"] = ThreadPoolExecutor(
                max_workers=core_count(), thread_name_prefix="minikeras-inference", initializer=_block_interrupts
            )
        return _state["executor"]


def _block_interrupts():
    """Keep Ctrl-C (SIGINT) and SIGTERM away from the workers, which live as long as the process.

    The kernel hands a process's signal to any thread that does not block it, and CPython only
    notices a signal that landed on another thread late: an idle worker could delay a Ctrl-C
    (and `fit`'s stop at the next step) indefinitely. Blocked here, the main thread gets them.
    """
    if hasattr(signal, "pthread_sigmask"):  # POSIX only
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _leave_single_threaded_blas():
    with _lock:
        _state["users"] -= 1
        if _state["users"] == 0:
            _state["limiter"].restore_original_limits()
            _state["limiter"] = None


def _run_in_worker(forward, x):
    _inside_worker.active = True
    try:
        return forward(x)
    finally:
        _inside_worker.active = False


class Splitter:
    """Runs the inference of one `predict` or `evaluate` call, batch by batch, on all cores.

    Use it as a context manager around the call's batch loop and call it on each batch. BLAS is
    held at one thread from the first split batch to the end of the call, not batch by batch:
    giving OpenBLAS its threads back wakes them, which costs more than a small batch's work.

    Args:
        forward: function of one array `(rows, ...)` returning `(rows, ...)`; called from
            worker threads, so it must not change shared state.
        allowed: False runs every batch whole in the calling thread (a layer that cannot be split).
    """

    def __init__(self, forward, allowed: bool = True):
        self.forward = forward
        self.allowed = allowed
        self._executor: ThreadPoolExecutor | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._executor is not None:
            self._executor = None
            _leave_single_threaded_blas()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """`forward(x)`, computed on consecutive slices of `x` at once when the batch is large enough."""
        slices = slice_count(len(x)) if self.allowed else 1
        if slices <= 1:
            return self.forward(x)
        if self._executor is None:
            self._executor = _enter_single_threaded_blas()
        bounds = np.linspace(0, len(x), slices + 1).astype(int)
        futures = [self._executor.submit(_run_in_worker, self.forward, x[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        return np.concatenate([future.result() for future in futures])
