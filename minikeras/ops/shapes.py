"""Keras's shape and indexing ops: `reshape`, `transpose`, `concatenate`, `split`, `take`, `take_along_axis`, `pad`...

All are differentiable under autograd. Where autograd.numpy has no gradient for the numpy
function (or only for some arguments, as `repeat` with per-entry counts or `sort` on a matrix),
the op is written as an indexing expression instead, whose gradient autograd has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.ops import OPS_BY_MODULE
from minikeras.ops.backend import array_module, is_traced, value_of
from minikeras.ops.core import Tensor, convert_to_tensor

Axis = Any
"""None, an int or a tuple/list of ints."""


def _ints(values: Any) -> Any:
    """Python ints (or a tuple of them) from numbers, arrays or lists, for shape arguments."""
    values = value_of(values)
    if isinstance(values, (int, np.integer)):
        return int(values)
    return tuple(int(v) for v in np.asarray(values).reshape(-1))


def reshape(x: Any, newshape: Any) -> Tensor:
    """`x` with shape `newshape` (one entry may be -1: inferred)."""
    x = convert_to_tensor(x)
    return array_module(x).reshape(x, _ints(newshape))


def ravel(x: Any) -> Tensor:
    """`x` flattened to one axis."""
    return reshape(x, (-1,))


def transpose(x: Any, axes: Any = None) -> Tensor:
    """`x` with its axes permuted by `axes` (reversed when None)."""
    x = convert_to_tensor(x)
    return array_module(x).transpose(x, None if axes is None else _ints(axes))


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """`x` with axes `source` moved to positions `destination`, the others in order."""
    x = convert_to_tensor(x)
    return array_module(x).moveaxis(x, _ints(source), _ints(destination))


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """`x` with axes `axis1` and `axis2` exchanged."""
    x = convert_to_tensor(x)
    return array_module(x).swapaxes(x, axis1, axis2)


def expand_dims(x: Any, axis: Any) -> Tensor:
    """`x` with new axes of length 1 at `axis` (an int or a tuple, positions in the result)."""
    x = convert_to_tensor(x)
    axis = _ints(axis)
    axes = (axis,) if isinstance(axis, int) else axis
    rank = x.ndim + len(axes)
    positions = sorted(a % rank for a in axes)
    shape = list(x.shape)
    for p in positions:
        shape.insert(p, 1)
    return array_module(x).reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """`x` without its axes of length 1 (only those in `axis` when given; they must have length 1)."""
    x = convert_to_tensor(x)
    if axis is None:
        return array_module(x).reshape(x, tuple(d for d in x.shape if d != 1))
    axis = _ints(axis)
    axes = {a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis {a}: its length is {x.shape[a]}, not 1. Received: x.shape={x.shape}")
    return array_module(x).reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def _tensors(xs: Any) -> list[Any]:
    tensors = [convert_to_tensor(x) for x in xs]
    if any(is_traced(t) for t in tensors):
        return tensors
    dtype = np.result_type(*tensors) if tensors else None
    return [t.astype(dtype, copy=False) for t in tensors]


def concatenate(xs: Any, axis: int | None = 0) -> Tensor:
    """The tensors `xs` joined along the existing axis `axis` (flattened first when None)."""
    tensors = _tensors(xs)
    xp = array_module(tensors)
    if axis is None:
        tensors, axis = [xp.reshape(t, (-1,)) for t in tensors], 0
    return xp.concatenate(tensors, axis=axis)


def stack(x: Any, axis: int = 0) -> Tensor:
    """The tensors `x` (all the same shape) stacked along a new axis `axis`."""
    tensors = _tensors(x)
    return array_module(tensors).stack(tensors, axis=axis)


def hstack(xs: Any) -> Tensor:
    """The tensors joined along axis 1 (axis 0 for 1-D tensors)."""
    tensors = _tensors(xs)
    return concatenate(tensors, axis=0 if tensors[0].ndim == 1 else 1)


def vstack(xs: Any) -> Tensor:
    """The tensors (1-D ones as rows) joined along axis 0."""
    return concatenate([t if t.ndim > 1 else reshape(t, (1, -1)) for t in _tensors(xs)], axis=0)


def append(x1: Any, x2: Any, axis: int | None = None) -> Tensor:
    """`x2` joined after `x1` along `axis` (both flattened when None)."""
    return concatenate([x1, x2], axis=axis)


def _slices(x: Any, bounds: list[int], axis: int) -> list[Tensor]:
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    edges = [0, *bounds, x.shape[axis]]
    return [x[lead + (slice(lo, max(lo, hi)),)] for lo, hi in zip(edges[:-1], edges[1:])]


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """`x` cut along `axis` into `indices_or_sections` equal parts, or at the given indices.

    Raises:
        ValueError: when a number of sections does not divide the axis's length.
    """
    x = convert_to_tensor(x)
    length = x.shape[axis]
    sections = _ints(indices_or_sections)
    if isinstance(sections, int):
        if sections <= 0 or length % sections:
            raise ValueError(
                f"`indices_or_sections` must divide the length of axis {axis} ({length}) evenly. "
                f"Received: indices_or_sections={sections}"
            )
        step = length // sections
        return _slices(x, [step * i for i in range(1, sections)], axis)
    return _slices(x, list(sections), axis)


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """`x` cut along `axis` into `indices_or_sections` near-equal parts (the first ones one longer)."""
    x = convert_to_tensor(x)
    sections = _ints(indices_or_sections)
    if not isinstance(sections, int):
        return _slices(x, list(sections), axis)
    length = x.shape[axis]
    size, extra = divmod(length, sections)
    bounds = np.cumsum([size + 1] * extra + [size] * (sections - extra))[:-1]
    return _slices(x, [int(b) for b in bounds], axis)


def tile(x: Any, repeats: Any) -> Tensor:
    """`x` repeated `repeats[i]` times along each axis `i` (`repeats` may be longer than `x`'s rank)."""
    x = convert_to_tensor(x)
    return array_module(x).tile(x, _ints(repeats))


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """The entries of `x` at `indices` along `axis` (of the flattened `x` when None).

    Args:
        x: a tensor.
        indices: integers of any shape (negative ones count from the end).
        axis: the axis to pick along.

    Returns:
        A tensor of shape `x.shape[:axis] + indices.shape + x.shape[axis + 1:]`.
    """
    x = convert_to_tensor(x)
    indices = np.asarray(value_of(convert_to_tensor(indices)))
    if indices.dtype.kind not in "iu":
        indices = indices.astype(np.int64)
    if not is_traced(x):
        return np.take(x, indices, axis=axis)
    if axis is None:
        return array_module(x).reshape(x, (-1,))[indices]
    return x[(slice(None),) * (axis % x.ndim) + (indices,)]


def _broadcast_along(x: Any, indices: np.ndarray, axis: int) -> tuple[Any, np.ndarray]:
    """`x` and `indices` broadcast against each other on every axis but `axis`, as take_along_axis does."""
    x_shape, i_shape = list(x.shape), list(indices.shape)
    x_shape[axis] = i_shape[axis] = 1
    common = list(np.broadcast_shapes(tuple(x_shape), tuple(i_shape)))
    x_target, i_target = list(common), list(common)
    x_target[axis], i_target[axis] = x.shape[axis], indices.shape[axis]
    if tuple(x_target) != x.shape:
        x = broadcast_to(x, tuple(x_target))
    return x, np.broadcast_to(indices, tuple(i_target))


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """The entries of `x` picked by `indices` along `axis` (matching positions on the other axes).

    Args:
        x: a tensor.
        indices: integers with `x`'s rank; the other axes broadcast against `x`'s.
        axis: the axis to pick along (both flattened when None).

    Returns:
        A tensor shaped like the broadcast `indices`.
    """
    x = convert_to_tensor(x)
    indices = np.asarray(value_of(convert_to_tensor(indices)))
    xp = array_module(x)
    if axis is None:
        x, indices, axis = xp.reshape(x, (-1,)), indices.reshape(-1), 0
    if indices.ndim != x.ndim:
        raise ValueError(
            f"`indices` must have the rank of `x`. Received: x.shape={x.shape}, indices.shape={indices.shape}"
        )
    axis = axis % x.ndim
    x, indices = _broadcast_along(x, indices, axis)
    if not is_traced(x):
        return np.take_along_axis(x, indices, axis=axis)
    # An advanced index: aranges on the other axes, `indices` on this one (autograd differentiates indexing).
    grid = list(np.ogrid[tuple(slice(d) for d in indices.shape)])
    grid[axis] = indices
    return x[tuple(grid)]


def get_item(x: Any, key: Any) -> Tensor:
    """`x[key]`."""
    return convert_to_tensor(x)[key]


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Each entry of `x` repeated `repeats` times (an int, or one count per entry) along `axis`.

    With `axis=None`, `x` is flattened first.
    """
    x = convert_to_tensor(x)
    xp = array_module(x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    counts = np.asarray(value_of(repeats))
    return take(x, np.repeat(np.arange(x.shape[axis]), counts), axis=axis)


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """`x` broadcast to `shape` (numpy's broadcasting rules)."""
    x = convert_to_tensor(x)
    shape = _ints(shape)
    shape = (shape,) if isinstance(shape, int) else shape
    xp = array_module(x)
    if len(shape) > x.ndim:  # autograd's gradient wants the leading axes made explicit
        x = xp.reshape(x, (1,) * (len(shape) - x.ndim) + tuple(x.shape))
    return xp.broadcast_to(x, shape)


def flip(x: Any, axis: Any = None) -> Tensor:
    """`x` with the order of its entries reversed along `axis` (every axis when None)."""
    x = convert_to_tensor(x)
    axes = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    axes = {a % x.ndim for a in axes}
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """`x` shifted cyclically by `shift` positions along `axis` (of the flattened `x` when None)."""
    x = convert_to_tensor(x)
    if not is_traced(x):
        return np.roll(x, shift, axis=axis)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), x.shape)
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    for s, a in zip(shifts.reshape(-1), axes.reshape(-1)):
        n = x.shape[int(a)]
        x = take(x, (np.arange(n) - int(s)) % n, axis=int(a))
    return x


def _pad_widths(pad_width: Any, rank: int) -> list[tuple[int, int]]:
    widths = np.broadcast_to(np.asarray(value_of(pad_width), dtype=np.int64), (rank, 2))
    return [(int(a), int(b)) for a, b in widths]


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """`x` padded by `pad_width` (per axis `(before, after)`), numpy's `pad` modes.

    Args:
        x: a tensor.
        pad_width: one `(before, after)` pair per axis, a single pair or a single int.
        mode: `"constant"`, `"edge"`, `"reflect"`, `"symmetric"` or `"wrap"` (and numpy's other
            modes without autograd).
        constant_values: the fill for `"constant"` (0 when None).

    Returns:
        The padded tensor.
    """
    x = convert_to_tensor(x)
    widths = _pad_widths(pad_width, x.ndim)
    numpy_mode: Any = mode  # numpy's stubs want one of its literal mode names
    if constant_values is not None and mode != "constant":
        raise ValueError(f"`constant_values` only applies to mode='constant'. Received: mode={mode!r}")
    if not is_traced(x):
        if mode == "constant":
            return np.pad(x, widths, mode="constant", constant_values=constant_values or 0)
        return np.pad(x, widths, mode=numpy_mode)
    if mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
        raise ValueError(
            f"Under autograd, `mode` must be constant, edge, reflect, symmetric or wrap. Received: mode={mode!r}"
        )
    xp = array_module(x)
    # Padding is a gather: pad each axis's index vector the same way and pick those entries.
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        n = x.shape[axis]
        if mode == "constant":
            source = np.pad(np.arange(n), (before, after), mode="constant", constant_values=-1)
            picked = take(x, np.maximum(source, 0), axis=axis)
            shape = [1] * x.ndim
            shape[axis] = source.size
            x = xp.where((source >= 0).reshape(shape), picked, constant_values or 0)
        else:
            x = take(x, np.pad(np.arange(n), (before, after), mode=numpy_mode), axis=axis)
    return x


def _triangle_mask(x: Any, k: int, lower: bool) -> np.ndarray:
    rows, cols = x.shape[-2], x.shape[-1]
    return np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)


def tril(x: Any, k: int = 0) -> Tensor:
    """`x` with the entries above the `k`-th diagonal set to zero (on the last two axes)."""
    x = convert_to_tensor(x)
    return array_module(x).where(_triangle_mask(x, k, lower=True), x, 0)


def triu(x: Any, k: int = 0) -> Tensor:
    """`x` with the entries below the `k`-th diagonal set to zero (on the last two axes)."""
    x = convert_to_tensor(x)
    return array_module(x).where(_triangle_mask(x, k, lower=False), x, 0)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The `offset`-th diagonal of the matrices on axes `axis1`, `axis2`, as the last axis."""
    x = convert_to_tensor(x)
    xp = array_module(x)
    x = xp.moveaxis(x, (axis1 % x.ndim, axis2 % x.ndim), (-2, -1))
    rows, cols = x.shape[-2], x.shape[-1]
    start_row, start_col = max(-offset, 0), max(offset, 0)
    length = max(min(rows - start_row, cols - start_col), 0)
    steps = np.arange(length)
    return x[..., start_row + steps, start_col + steps]


def diag(x: Any, k: int = 0) -> Tensor:
    """The `k`-th diagonal of a matrix, or a matrix with the vector `x` on its `k`-th diagonal."""
    x = convert_to_tensor(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"`x` must be 1-D or 2-D. Received: x.shape={x.shape}")
    n = x.shape[0] + abs(k)
    rows = np.arange(x.shape[0]) + max(-k, 0)
    cols = np.arange(x.shape[0]) + max(k, 0)
    from minikeras.ops.core import scatter

    return scatter(np.stack([rows, cols], axis=-1), x, (n, n))


def size(x: Any) -> int:
    """The number of entries of `x`."""
    return int(np.size(value_of(x)))


def ndim(x: Any) -> int:
    """The rank (number of axes) of `x`."""
    return int(np.ndim(value_of(x)))


def nonzero(x: Any) -> tuple[np.ndarray, ...]:
    """The indices of the nonzero entries of `x`: one int32 array per axis."""
    return tuple(i.astype(np.int32) for i in np.nonzero(value_of(convert_to_tensor(x))))


def meshgrid(*x: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D tensors (`indexing="xy"`: Cartesian, `"ij"`: matrix order)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"`indexing` must be 'xy' or 'ij'. Received: indexing={indexing!r}")
    vectors = [reshape(v, (-1,)) for v in x]
    shape = [v.shape[0] for v in vectors]
    if indexing == "xy" and len(vectors) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, v in enumerate(vectors):
        position = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(vectors) >= 2 else i
        view = [1] * len(vectors)
        view[position] = v.shape[0]
        grids.append(broadcast_to(reshape(v, tuple(view)), tuple(shape)))
    return grids


def unravel_index(indices: Any, shape: Any) -> tuple[np.ndarray, ...]:
    """The coordinates in an array of `shape` of the flat `indices`."""
    return tuple(i.astype(np.int32) for i in np.unravel_index(np.asarray(value_of(indices)), _ints(shape)))


def copy(x: Any) -> Tensor:
    """A copy of `x`."""
    x = convert_to_tensor(x)
    return x if is_traced(x) else np.array(x)


__all__ = list(OPS_BY_MODULE["shapes"])  # the names this module publishes, listed once in ops/__init__
