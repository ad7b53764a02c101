"""Constant vectors the training step needs at every batch, made once and shared.

A fresh `np.ones(n)` or `np.arange(n)` per step is a small allocation and one more numpy call
on a path where each call shows; these are cached per length (and dtype) and read-only, so
threads and layers can share them.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=64)
def ones_vector(length: int, dtype) -> np.ndarray:
    """A read-only vector of `length` ones of `dtype`."""
    ones = np.ones(length, dtype=dtype)
    ones.flags.writeable = False
    return ones


@functools.lru_cache(maxsize=64)
def index_vector(length: int) -> np.ndarray:
    """The read-only vector `0, 1, ..., length - 1` (int64): row numbers for picking one entry per row."""
    indices = np.arange(length, dtype=np.int64)
    indices.flags.writeable = False
    return indices
