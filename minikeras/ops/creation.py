"""Keras's tensor creation ops: `zeros`, `ones`, `full`, `*_like`, `arange`, `linspace`, `eye`, `identity`, `tri`.

Without a `dtype`, new float tensors are `floatx()`, integer ranges int32, and `*_like` tensors
take the dtype of their model (as Keras makes them). None of them carries a gradient.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from minikeras.ops import OPS_BY_MODULE
from minikeras.ops.backend import value_of
from minikeras.ops.core import Tensor, convert_to_tensor, standardize_dtype


def _shape(shape: Any) -> tuple[int, ...]:
    shape = value_of(shape)
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def zeros(shape: Any, dtype: Any = None) -> np.ndarray:
    """A tensor of zeros of `shape` (`floatx()` unless `dtype` is given)."""
    return np.zeros(_shape(shape), dtype=standardize_dtype(dtype))


def ones(shape: Any, dtype: Any = None) -> np.ndarray:
    """A tensor of ones of `shape` (`floatx()` unless `dtype` is given)."""
    return np.ones(_shape(shape), dtype=standardize_dtype(dtype))


def empty(shape: Any, dtype: Any = None) -> np.ndarray:
    """A tensor of `shape` whose entries are not set (zeros here, as an uninitialized tensor may hold anything)."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> np.ndarray:
    """A tensor of `shape` filled with `fill_value` (`floatx()` unless `dtype` is given)."""
    return np.full(_shape(shape), np.asarray(value_of(fill_value)), dtype=standardize_dtype(dtype))


def _like_dtype(x: Any, dtype: Any) -> str:
    return standardize_dtype(dtype) if dtype is not None else convert_to_tensor(x).dtype.name


def zeros_like(x: Any, dtype: Any = None) -> np.ndarray:
    """Zeros shaped like `x`, of `x`'s dtype unless `dtype` is given."""
    return np.zeros(np.shape(value_of(convert_to_tensor(x))), dtype=_like_dtype(x, dtype))


def ones_like(x: Any, dtype: Any = None) -> np.ndarray:
    """Ones shaped like `x`, of `x`'s dtype unless `dtype` is given."""
    return np.ones(np.shape(value_of(convert_to_tensor(x))), dtype=_like_dtype(x, dtype))


def empty_like(x: Any, dtype: Any = None) -> np.ndarray:
    """A tensor shaped like `x` whose entries are not set (zeros here)."""
    return zeros_like(x, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> np.ndarray:
    """A tensor shaped like `x` filled with `fill_value`, of `x`'s dtype unless `dtype` is given."""
    shape = np.shape(value_of(convert_to_tensor(x)))
    return np.full(shape, np.asarray(value_of(fill_value)), dtype=_like_dtype(x, dtype))


def _is_integral(*values: Any) -> bool:
    return builtins.all(
        isinstance(v, (int, np.integer)) or (isinstance(v, np.ndarray) and v.dtype.kind in "iu")
        for v in values
        if v is not None
    )


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> np.ndarray:
    """Evenly spaced values in `[start, stop)` (`[0, start)` without `stop`), `step` apart (1 by default).

    Without `dtype`: int32 when every bound is an integer, else `floatx()`.
    """
    start, stop, step = value_of(start), value_of(stop), value_of(step)
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if dtype is None:
        dtype = "int32" if _is_integral(start, stop, step) else None
    return np.arange(start, stop, step, dtype=standardize_dtype(dtype))


def linspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype: Any = None, axis: int = 0
) -> Any:
    """`num` evenly spaced values from `start` to `stop` (included with `endpoint`), `floatx()` by default.

    With `retstep`, returns `(values, step)`.
    """
    values, step = np.linspace(value_of(start), value_of(stop), num, endpoint=endpoint, retstep=True, axis=axis)
    values = values.astype(standardize_dtype(dtype))
    return (values, step) if retstep else values


def logspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10, dtype: Any = None, axis: int = 0
) -> np.ndarray:
    """`base ** linspace(start, stop, num)`, `floatx()` by default."""
    values = np.logspace(value_of(start), value_of(stop), num, endpoint=endpoint, base=base, axis=axis)
    return values.astype(standardize_dtype(dtype))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> np.ndarray:  # noqa: N803  (Keras's names)
    """An `N x M` matrix with ones on the `k`-th diagonal, zeros elsewhere (`floatx()` by default)."""
    return np.eye(int(N), None if M is None else int(M), int(k), dtype=standardize_dtype(dtype))


def identity(n: int, dtype: Any = None) -> np.ndarray:
    """The `n x n` identity matrix (`floatx()` by default)."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> np.ndarray:  # noqa: N803  (Keras's names)
    """An `N x M` matrix with ones on and below the `k`-th diagonal (`floatx()` by default)."""
    return np.tri(int(N), None if M is None else int(M), int(k), dtype=standardize_dtype(dtype))


def array(x: Any, dtype: Any = None) -> Tensor:
    """`x` as a tensor (as `convert_to_tensor`)."""
    return convert_to_tensor(x, dtype=dtype)


__all__ = list(OPS_BY_MODULE["creation"])  # the names this module publishes, listed once in ops/__init__
