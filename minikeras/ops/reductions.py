"""Keras's reductions and orderings: `sum`, `mean`, `max`, `std`, `logsumexp`, `argmax`, `cumsum`, `sort`, `top_k`...

`axis` is None (every axis), an int or a tuple of ints; `keepdims=True` keeps the reduced axes
with length 1. Dtypes follow Keras: sums and products of small integers (and bools) are int32,
means and spreads of integers are `floatx()`, indices are int32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.ops import OPS_BY_MODULE
from minikeras.ops.backend import array_module, is_traced, value_of
from minikeras.ops.core import Tensor, cast, convert_to_tensor, float_operand

Axis = Any
"""None, an int or a tuple/list of ints."""


def _axis(axis: Axis) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _accumulator_dtype(x: Any) -> str | None:
    """The dtype Keras sums and multiplies `x` in: int32 for bools and small integers, else `x`'s own."""
    if x.dtype.kind == "b" or (x.dtype.kind in "iu" and x.dtype.itemsize < 4):
        return "int32"
    if x.dtype.kind == "u" and x.dtype.itemsize == 4:
        return "uint32"
    return x.dtype.name if x.dtype.kind in "iu" else None


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001  (Keras's name)
    """The sum of `x` over `axis` (all axes when None)."""
    x = convert_to_tensor(x)
    out = array_module(x).sum(x, axis=_axis(axis), keepdims=keepdims)
    dtype = _accumulator_dtype(x)
    return out if dtype is None else cast(out, dtype)


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """The product of `x` over `axis` (all axes when None).

    Note:
        Under autograd the gradient is `g * prod / x`, so it is NaN where `x` is exactly 0.
    """
    x = convert_to_tensor(x)
    target = dtype if dtype is not None else _accumulator_dtype(x)
    if target is not None:
        x = cast(x, target)
    out = array_module(x).prod(x, axis=_axis(axis), keepdims=keepdims)
    return out if target is None else cast(out, target)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The mean of `x` over `axis` (all axes when None); integers average in `floatx()`."""
    x = float_operand(x)
    return array_module(x).mean(x, axis=_axis(axis), keepdims=keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The variance of `x` over `axis` (dividing by the count, not count - 1)."""
    x = float_operand(x)
    xp = array_module(x)
    axis = _axis(axis)
    centred = x - xp.mean(x, axis=axis, keepdims=True)
    return xp.mean(centred * centred, axis=axis, keepdims=keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The standard deviation of `x` over `axis` (the square root of `var`)."""
    v = var(x, axis=axis, keepdims=keepdims)
    return array_module(v).sqrt(v)


def _extremum(x: Any, axis: Axis, keepdims: bool, initial: Any, largest: bool) -> Tensor:
    x = convert_to_tensor(x)
    xp = array_module(x)
    out = (xp.max if largest else xp.min)(x, axis=_axis(axis), keepdims=keepdims)
    if initial is not None:
        out = (xp.maximum if largest else xp.minimum)(out, initial)
    return out


def max(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """The largest entry of `x` over `axis`, at least `initial` when given (ties share the gradient)."""
    return _extremum(x, axis, keepdims, initial, largest=True)


def min(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """The smallest entry of `x` over `axis`, at most `initial` when given (ties share the gradient)."""
    return _extremum(x, axis, keepdims, initial, largest=False)


def amax(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The largest entry of `x` over `axis` (as `max`)."""
    return _extremum(x, axis, keepdims, None, largest=True)


def amin(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The smallest entry of `x` over `axis` (as `min`)."""
    return _extremum(x, axis, keepdims, None, largest=False)


def ptp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The range `max - min` of `x` over `axis`."""
    return amax(x, axis, keepdims) - amin(x, axis, keepdims)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """`log(sum(exp(x)))` over `axis`, computed without overflow.

    The largest entry is taken out before exponentiating (and added back after), so large
    inputs do not overflow; all `-inf` gives `-inf`.
    """
    x = float_operand(x)
    xp = array_module(x)
    axis = _axis(axis)
    # The shift is a constant for the gradient: its derivative cancels out exactly.
    shift = np.max(value_of(x), axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0).astype(x.dtype)
    with np.errstate(divide="ignore"):  # all -inf: log(0) = -inf is the answer
        out = xp.log(xp.sum(xp.exp(x - shift), axis=axis, keepdims=True)) + shift
    if not keepdims:
        out = xp.squeeze(out, axis=axis) if axis is not None else xp.reshape(out, ())
    return out


def _index_result(index: np.ndarray, x: np.ndarray, axis: int | None, keepdims: bool) -> np.ndarray:
    index = index.astype(np.int32)
    if keepdims:
        index = np.expand_dims(index, axis) if axis is not None else index.reshape((1,) * x.ndim)
    return index


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """The index of the largest entry along `axis` (of the flattened `x` when None), as int32; ties: the first."""
    x = np.asarray(value_of(convert_to_tensor(x)))
    return _index_result(np.asarray(np.argmax(x, axis=axis)), x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """The index of the smallest entry along `axis` (of the flattened `x` when None), as int32; ties: the first."""
    x = np.asarray(value_of(convert_to_tensor(x)))
    return _index_result(np.asarray(np.argmin(x, axis=axis)), x, axis, keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001  (Keras's name)
    """Whether any entry over `axis` is true (nonzero)."""
    return np.any(value_of(convert_to_tensor(x)), axis=_axis(axis), keepdims=keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001  (Keras's name)
    """Whether every entry over `axis` is true (nonzero)."""
    return np.all(value_of(convert_to_tensor(x)), axis=_axis(axis), keepdims=keepdims)


def count_nonzero(x: Any, axis: Axis = None) -> np.ndarray:
    """How many entries over `axis` are nonzero, as int32."""
    return np.asarray(np.count_nonzero(value_of(convert_to_tensor(x)), axis=_axis(axis))).astype(np.int32)


def average(x: Any, axis: int | None = None, weights: Any = None) -> Tensor:
    """The mean of `x` over `axis`, weighted by `weights` (1-D along `axis`, or shaped like `x`)."""
    x = float_operand(x)
    if weights is None:
        return mean(x, axis=axis)
    weights = convert_to_tensor(weights)
    xp = array_module(x, weights)
    if axis is not None and weights.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = weights.shape[0]
        weights = xp.reshape(weights, tuple(shape))
    return xp.sum(x * weights, axis=axis) / xp.sum(weights * xp.ones_like(value_of(x)), axis=axis)


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Running sums along `axis` (of the flattened `x` when None)."""
    x = convert_to_tensor(x)
    target = dtype if dtype is not None else _accumulator_dtype(x)
    if target is not None:
        x = cast(x, target)
    xp = array_module(x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    out = xp.cumsum(x, axis=axis)
    return out if target is None else cast(out, target)


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Running products along `axis` (of the flattened `x` when None)."""
    x = convert_to_tensor(x)
    target = dtype if dtype is not None else _accumulator_dtype(x)
    if target is not None:
        x = cast(x, target)
    xp = array_module(x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    if not is_traced(x):
        return np.cumprod(x, axis=axis).astype(x.dtype, copy=False)
    # autograd has no cumprod gradient: multiply step by step along the axis (exact also at zeros).
    moved = xp.moveaxis(x, axis, 0)
    running = [moved[0]]
    for i in range(1, moved.shape[0]):
        running.append(running[-1] * moved[i])
    return xp.moveaxis(xp.stack(running), 0, axis)


def sort(x: Any, axis: int = -1) -> Tensor:
    """`x` sorted in ascending order along `axis`."""
    x = convert_to_tensor(x)
    if not is_traced(x):
        return np.sort(x, axis=axis)
    from minikeras.ops.shapes import take_along_axis

    # autograd sorts only vectors differentiably; picking by argsort works on any rank.
    return take_along_axis(x, np.argsort(value_of(x), axis=axis, kind="stable"), axis=axis)


def argsort(x: Any, axis: int = -1) -> np.ndarray:
    """The indices that sort `x` along `axis` (stable), as int32."""
    return np.argsort(value_of(convert_to_tensor(x)), axis=axis, kind="stable").astype(np.int32)


def median(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The median of `x` over `axis` (the mean of the two middle entries for an even count)."""
    x = float_operand(x)
    xp = array_module(x)
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % x.ndim for a in axes)
    kept = [a for a in range(x.ndim) if a not in axes]
    flat = xp.reshape(xp.transpose(x, kept + list(axes)), tuple(x.shape[a] for a in kept) + (-1,))
    ordered = sort(flat, axis=-1)
    n = ordered.shape[-1]
    out = (ordered[..., (n - 1) // 2] + ordered[..., n // 2]) / 2
    if keepdims:
        out = xp.reshape(out, tuple(1 if a in axes else d for a, d in enumerate(x.shape)))
    return out


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, np.ndarray]:  # noqa: A002  (Keras's name)
    """The `k` largest entries along the last axis and their indices (int32), largest first.

    Args:
        x: a tensor of rank >= 1.
        k: how many entries to keep.
        sorted: kept for Keras's signature; the result is always sorted, largest first.

    Returns:
        `(values, indices)`, each of shape `x.shape[:-1] + (k,)`.
    """
    from minikeras.ops.shapes import take_along_axis

    x = convert_to_tensor(x)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"`k` must be between 0 and the last axis's length {x.shape[-1]}. Received: k={k}")
    # A stable sort of -x keeps equal values in index order, as top_k orders ties.
    indices = np.argsort(-np.asarray(value_of(x)), axis=-1, kind="stable")[..., :k].astype(np.int32)
    return take_along_axis(x, indices, axis=-1), indices


__all__ = list(OPS_BY_MODULE["reductions"])  # the names this module publishes, listed once in ops/__init__
