"""Large temporaries of training kept from one step to the next, per layer.

A training step of a convolution makes several arrays of a few megabytes (the im2col matrix,
the padded input, the product before pooling, the gradient before col2im). Made fresh every
step, each costs the allocator new pages from the system, which can take longer than the
arithmetic on them. The fast paths ask `buffers_of(layer)` for them instead, and the training
loop frees them all when `fit` ends (`release`).

Only training uses these: inference may run in many threads at once on one model, and keeps
nothing between calls. The reference path never uses them.
"""

from __future__ import annotations

import math
import weakref

import numpy as np


class WorkBuffers:
    """Named arrays of one layer, handed out again at every training step."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An uninitialized array `name` of `shape`: the same memory at every call.

        Kept flat and never shrunk: the last, smaller chunk of a batch takes the front of the
        same memory instead of a new array.
        """
        size = math.prod(shape)
        buffer = self._arrays.get(name)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = self._arrays[name] = np.empty(size, dtype=dtype)
        return buffer[:size].reshape(shape)

    def allocator(self, name: str):
        """`empty(shape, dtype)` handing out the buffer `name` (for `fast.windows`' `empty=`)."""
        return lambda shape, dtype: self.get(name, shape, dtype)

    def clear(self) -> None:
        """Free every array."""
        self._arrays.clear()


# Keyed by the layer, weakly: a layer that is dropped takes its buffers with it.
_buffers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def buffers_of(layer) -> WorkBuffers:
    """The work buffers of `layer`, made on first use."""
    buffers = _buffers.get(layer)
    if buffers is None:
        buffers = _buffers[layer] = WorkBuffers()
    return buffers


def release(layers) -> None:
    """Free the work buffers of `layers` (the training loop calls this when `fit` ends)."""
    for layer in layers:
        buffers = _buffers.pop(layer, None)
        if buffers is not None:
            buffers.clear()
