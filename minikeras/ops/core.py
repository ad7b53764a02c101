"""Keras's core ops: tensors in and out (`convert_to_tensor`, `cast`, `shape`), slicing and scatter, control flow.

A "tensor" here is a numpy array, or, while autograd traces a computation, an autograd `Box`
around one; every op accepts both (see `minikeras.ops.backend`). Python numbers and nested
lists become arrays as Keras converts them: floats in `floatx()`, integers in int32.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minikeras import config
from minikeras.ops import OPS_BY_MODULE
from minikeras.ops.backend import array_module, differentiable, is_traced, value_of

Tensor = Any
"""A numpy array, or an autograd Box around one while autograd traces the op."""

_PYTHON_SCALARS = (bool, int, float)


def standardize_dtype(dtype: Any) -> str:
    """The dtype's name (`"float32"`, `"int32"`, `"bool"`...); None gives `floatx()`."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, dict):  # a Keras dtype policy's config
        dtype = dtype.get("config", {}).get("name", dtype)
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name is None:
        name = np.dtype(dtype).name
    if name in ("mixed_float16", "mixed_bfloat16"):
        return "float32"
    try:
        return np.dtype(name).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


def _contains_array(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return builtins.any(_contains_array(item) for item in x)
    return isinstance(x, (np.ndarray, np.generic)) or is_traced(x)


def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None) -> Tensor:
    """Convert `x` to a tensor (a numpy array, or the traced value itself).

    Arrays keep their dtype unless `dtype` is given. Python floats (and lists of them) become
    `floatx()`, Python ints int32, as Keras converts them.

    Args:
        x: an array, a traced value, a number, or a (nested) list or tuple of them.
        dtype: the dtype wanted; None keeps the array's or infers one as above.
        sparse: only False/None (minikeras has no sparse tensors).
        ragged: only False/None (minikeras has no ragged tensors).

    Returns:
        The tensor.
    """
    if sparse or ragged:
        raise ValueError(f"minikeras has no sparse or ragged tensors. Received: sparse={sparse}, ragged={ragged}")
    if is_traced(x):
        return x if dtype is None or standardize_dtype(dtype) == x.dtype.name else cast(x, dtype)
    if isinstance(x, np.ndarray):
        return x if dtype is None else x.astype(standardize_dtype(dtype), copy=False)
    if isinstance(x, (list, tuple)) and builtins.any(is_traced(item) for item in x):
        import autograd.numpy as anp

        array = anp.stack([convert_to_tensor(item) for item in x])
        return array if dtype is None else cast(array, dtype)
    if hasattr(x, "value") and not isinstance(x, (np.generic, *_PYTHON_SCALARS)) and hasattr(x, "assign"):
        return convert_to_tensor(x.value, dtype)  # a Variable: its current value
    array = np.asarray(x)
    if dtype is not None:
        return array.astype(standardize_dtype(dtype), copy=False)
    if not _contains_array(x):
        if array.dtype == np.float64:
            return array.astype(config.floatx())
        int32 = np.iinfo(np.int32)
        if array.dtype == np.int64 and (array.size == 0 or int32.min <= array.min() <= array.max() <= int32.max):
            return array.astype(np.int32)
    return array


def operand(x: Any) -> Any:
    """`x` as an op's argument: arrays, traced values and Python numbers as they are, the rest converted.

    Python numbers stay numbers so numpy promotes them weakly, as Keras does
    (`float32 tensor * 2.0` stays float32).
    """
    if isinstance(x, (np.ndarray, *_PYTHON_SCALARS)) or is_traced(x):
        return x
    return convert_to_tensor(x)


def float_operand(x: Any) -> Tensor:
    """`x` as a tensor in a float dtype: integer and bool input become `floatx()`, as Keras's float ops do."""
    x = convert_to_tensor(x)
    if x.dtype.kind in "biu":
        return cast(x, config.floatx())
    return x


def convert_to_numpy(x: Any) -> np.ndarray:
    """`x` as a numpy array, without any autograd trace.

    Args:
        x: a tensor, a number or a (nested) list.

    Returns:
        A numpy array.
    """
    if isinstance(x, (list, tuple)):
        return np.asarray([convert_to_numpy(item) for item in x])
    return np.asarray(value_of(convert_to_tensor(x)))


def cast(x: Any, dtype: Any) -> Tensor:
    """Cast `x` to `dtype` (differentiable between float types).

    Args:
        x: a tensor.
        dtype: the target dtype, e.g. `"float32"` or `"int32"`.

    Returns:
        A tensor of that dtype.
    """
    name = standardize_dtype(dtype)
    x = convert_to_tensor(x)
    if x.dtype.name == name:
        return x
    return x.astype(name)


def saturate_cast(x: Any, dtype: Any) -> Tensor:
    """Cast `x` to `dtype`, first clipping it to the range that dtype can hold."""
    name = standardize_dtype(dtype)
    x = convert_to_tensor(x)
    info = np.iinfo(name) if np.dtype(name).kind in "iu" else np.finfo(name)
    if x.dtype.kind in "iu" and np.dtype(name).kind == "f":
        return cast(x, name)
    xp = array_module(x)
    return cast(xp.clip(x, info.min, info.max), name)


def shape(x: Any) -> tuple[int, ...]:
    """The shape of `x` as a tuple of Python ints."""
    return tuple(int(d) for d in np.shape(value_of(x)))


def dtype(x: Any) -> str:
    """The dtype name of `x`, e.g. `"float32"`."""
    return standardize_dtype(convert_to_tensor(x).dtype)


def is_tensor(x: Any) -> bool:
    """Whether `x` is a tensor of this backend (a numpy array, or a traced one)."""
    return isinstance(x, np.ndarray) or is_traced(x)


def stop_gradient(variable: Any) -> Tensor:
    """`variable`'s value with no gradient flowing back through it."""
    return value_of(convert_to_tensor(variable))


# --------------------------------------------------------------------------- slices and scatter
def _static_ints(values: Any, name: str) -> tuple[int, ...]:
    values = np.asarray(value_of(values))
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must be a list of integers, one per axis. Received: {name}={values!r}")
    return tuple(int(v) for v in values)


def slice(inputs: Any, start_indices: Any, shape: Any) -> Tensor:  # noqa: A001  (Keras's name)
    """The block of `inputs` of size `shape` starting at `start_indices`.

    Args:
        inputs: a tensor.
        start_indices: one start index per axis of `inputs`.
        shape: the block's size, one entry per axis.

    Returns:
        The block, of shape `shape`.

    Example:
        >>> ops.slice(np.arange(10), [2], [3])
        array([2, 3, 4])
    """
    inputs = convert_to_tensor(inputs)
    starts, sizes = _static_ints(start_indices, "start_indices"), _static_ints(shape, "shape")
    if not len(starts) == len(sizes) == inputs.ndim:
        raise ValueError(
            "`start_indices` and `shape` need one entry per axis of `inputs`. "
            f"Received: inputs.shape={inputs.shape}, start_indices={starts}, shape={sizes}"
        )
    # Like XLA's dynamic slice, the block is moved inside the array when it would run past the end.
    starts = tuple(builtins.min(builtins.max(s, 0), n - z) for s, n, z in zip(starts, inputs.shape, sizes))
    return inputs[tuple(builtins.slice(s, s + z) for s, z in zip(starts, sizes))]


def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Tensor:
    """`inputs` with the block starting at `start_indices` replaced by `updates` (a new tensor).

    Args:
        inputs: a tensor.
        start_indices: one start index per axis.
        updates: the new block; its shape gives the block's size.

    Returns:
        A tensor shaped like `inputs`.
    """
    inputs, updates = convert_to_tensor(inputs), convert_to_tensor(updates)
    starts = _static_ints(start_indices, "start_indices")
    if len(starts) != inputs.ndim or updates.ndim != inputs.ndim:
        raise ValueError(
            "`start_indices` and `updates` need one entry/axis per axis of `inputs`. "
            f"Received: inputs.shape={inputs.shape}, start_indices={starts}, updates.shape={updates.shape}"
        )
    starts = tuple(builtins.min(builtins.max(s, 0), n - u) for s, n, u in zip(starts, inputs.shape, updates.shape))
    return _slice_update(inputs, updates, starts)


def _slice_update_forward(inputs: np.ndarray, updates: np.ndarray, starts: tuple[int, ...]) -> np.ndarray:
    out = np.array(inputs, dtype=np.result_type(inputs, updates))
    out[tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))] = updates
    return out


def _slice_update_vjp_inputs(ans: Any, inputs: Any, updates: Any, starts: tuple[int, ...]) -> Callable:
    def vjp(g: np.ndarray) -> np.ndarray:
        return _slice_update_forward(g, np.zeros(np.shape(updates), g.dtype), starts)

    return vjp


def _slice_update_vjp_updates(ans: Any, inputs: Any, updates: Any, starts: tuple[int, ...]) -> Callable:
    return lambda g: g[tuple(builtins.slice(s, s + n) for s, n in zip(starts, np.shape(updates)))]


_slice_update = differentiable(_slice_update_forward, _slice_update_vjp_inputs, _slice_update_vjp_updates)


def _index_tuple(indices: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.moveaxis(indices, -1, 0))


def _scatter_add_forward(inputs: np.ndarray, values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    out = np.array(inputs, dtype=np.result_type(inputs, values))
    np.add.at(out, _index_tuple(indices), values)
    return out


def _scatter_set_forward(inputs: np.ndarray, values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    out = np.array(inputs, dtype=np.result_type(inputs, values))
    out[_index_tuple(indices)] = values
    return out


def _gather_vjp(ans: Any, inputs: Any, values: Any, indices: np.ndarray) -> Callable:
    return lambda g: g[_index_tuple(indices)]


def _scatter_set_vjp_inputs(ans: Any, inputs: Any, values: Any, indices: np.ndarray) -> Callable:
    def vjp(g: np.ndarray) -> np.ndarray:
        g = np.array(g)
        g[_index_tuple(indices)] = 0
        return g

    return vjp


_scatter_add = differentiable(_scatter_add_forward, lambda ans, inputs, values, indices: lambda g: g, _gather_vjp)
_scatter_set = differentiable(_scatter_set_forward, _scatter_set_vjp_inputs, _gather_vjp)


def _scatter_indices(indices: Any, rank: int) -> np.ndarray:
    indices = np.asarray(value_of(indices))
    if indices.dtype.kind not in "iu" or indices.ndim < 1 or indices.shape[-1] > rank:
        raise ValueError(
            f"`indices` must be integers of shape (..., k) with k <= {rank} (the rank of the target). "
            f"Received: indices with shape {indices.shape} and dtype {indices.dtype}"
        )
    return indices


def scatter(indices: Any, values: Any, shape: Any) -> Tensor:
    """A tensor of zeros of `shape` with `values` added at `indices` (repeated indices add up).

    Args:
        indices: integers of shape `(..., k)`: each row indexes the first `k` axes of the result.
        values: the values, of shape `indices.shape[:-1] + shape[k:]`.
        shape: the result's shape.

    Returns:
        The tensor.
    """
    values = convert_to_tensor(values)
    shape = tuple(int(d) for d in shape)
    indices = _scatter_indices(indices, len(shape))
    return _scatter_add(np.zeros(shape, values.dtype), values, indices)


def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Tensor:
    """`inputs` with the entries at `indices` set to (or combined with) `updates`.

    Args:
        inputs: a tensor.
        indices: integers of shape `(..., k)`, each row indexing the first `k` axes of `inputs`.
        updates: the new values, of shape `indices.shape[:-1] + inputs.shape[k:]`.
        reduction: None to replace the entries, `"add"` to add to them.

    Returns:
        A new tensor shaped like `inputs`.
    """
    if reduction not in (None, "add"):
        raise ValueError(f"`reduction` must be None or 'add'. Received: reduction={reduction!r}")
    inputs, updates = convert_to_tensor(inputs), convert_to_tensor(updates)
    indices = _scatter_indices(indices, inputs.ndim)
    return (_scatter_add if reduction == "add" else _scatter_set)(inputs, updates, indices)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """The slices of `x` along `axis`, as a list.

    Args:
        x: a tensor.
        num: the length of `axis` (checked when given).
        axis: the axis to unstack along.

    Returns:
        A list of `x.shape[axis]` tensors of rank `x.ndim - 1`.
    """
    x = convert_to_tensor(x)
    length = x.shape[axis]
    if num is not None and num != length:
        raise ValueError(f"`num` must equal the length of axis {axis}, {length}. Received: num={num}")
    xp = array_module(x)
    moved = xp.moveaxis(x, axis, 0) if axis not in (0, -x.ndim) else x
    return [moved[i] for i in range(length)]


# --------------------------------------------------------------------------- control flow (run eagerly)
def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """`true_fn()` if `pred` else `false_fn()`."""
    return true_fn() if bool(np.asarray(value_of(pred))) else false_fn()


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """`branches[index](*operands)`, with `index` clamped into range as Keras does."""
    i = builtins.min(builtins.max(int(np.asarray(value_of(index))), 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(
    cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any, maximum_iterations: int | None = None
) -> Any:
    """Run `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, at most `maximum_iterations` times.

    `loop_vars` is a tuple or list (passed unpacked) or a single value; the result has the same structure.
    """
    is_sequence = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_sequence else (loop_vars,)
    count = 0
    while (maximum_iterations is None or count < maximum_iterations) and bool(np.asarray(value_of(cond(*state)))):
        result = body(*state)
        state = tuple(result) if is_sequence else (result,)
        count += 1
    if not is_sequence:
        return state[0]
    return list(state) if isinstance(loop_vars, list) else state


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """`init_val` passed through `val = body_fun(i, val)` for `i` in `range(lower, upper)`."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def map(f: Callable[[Any], Any], xs: Any) -> Tensor:  # noqa: A001  (Keras's name)
    """`f` applied to each slice of `xs` along its first axis, the results stacked."""
    xs = convert_to_tensor(xs)
    results = [f(xs[i]) for i in range(shape(xs)[0])]
    return array_module(*results).stack(results)


__all__ = list(OPS_BY_MODULE["core"])  # the names this module publishes, listed once in ops/__init__
