"""Keras's products of tensors (`matmul`, `dot`, `einsum`, `tensordot`, `outer`, `inner`, `kron`, `cross`) and the
matrix functions of its numpy namespace (`trace`, `slogdet`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.ops import OPS_BY_MODULE
from minikeras.ops.backend import array_module
from minikeras.ops.core import Tensor, cast, convert_to_tensor, float_operand
from minikeras.ops.shapes import diagonal, moveaxis


def _pair(x1: Any, x2: Any) -> tuple[Any, Any, Any]:
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    # bool matrices multiply as int32 (numpy would give bools)
    x1 = cast(x1, "int32") if x1.dtype == bool else x1
    x2 = cast(x2, "int32") if x2.dtype == bool else x2
    return x1, x2, array_module(x1, x2)


def matmul(x1: Any, x2: Any) -> Tensor:
    """The matrix product `x1 @ x2` (batched over leading axes; 1-D operands act as vectors)."""
    x1, x2, xp = _pair(x1, x2)
    return xp.matmul(x1, x2)


def dot(x1: Any, x2: Any) -> Tensor:
    """numpy's `dot`: sum over the last axis of `x1` and the second-to-last of `x2` (scalars multiply)."""
    x1, x2, xp = _pair(x1, x2)
    return xp.dot(x1, x2)


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    """Sum of products over `axes` (the last `axes` of `x1` with the first of `x2`, or two lists of axes)."""
    x1, x2, xp = _pair(x1, x2)
    return xp.tensordot(x1, x2, axes=axes)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    """Einstein summation over `operands` as `subscripts` describes (e.g. `"ij,jk->ik"`)."""
    tensors = [convert_to_tensor(t) for t in operands]
    xp = array_module(*tensors)
    if xp is not np and "->" in subscripts and "." not in subscripts:
        inputs, output = subscripts.replace(" ", "").split("->")
        pairs = [_without_repeats(sub, t) for sub, t in zip(inputs.split(","), tensors)]
        subscripts = ",".join(sub for sub, _ in pairs) + "->" + output
        tensors = [t for _, t in pairs]
    elif xp is not np and "->" not in subscripts and any(len(set(s)) < len(s) for s in subscripts.split(",")):
        # implicit output: the letters that appear once, in alphabetical order
        letters = subscripts.replace(",", "")
        return einsum(f"{subscripts}->{''.join(sorted(c for c in set(letters) if letters.count(c) == 1))}", *tensors)
    return xp.einsum(subscripts, *tensors, **kwargs)


def _without_repeats(subscript: str, tensor: Any) -> tuple[str, Any]:
    """`subscript` and `tensor` with each repeated letter (a diagonal, as in `"ii"`) taken as a diagonal first.

    autograd's einsum gradient cannot handle a letter twice in one operand.
    """
    while len(set(subscript)) < len(subscript):
        letter = next(c for c in subscript if subscript.count(c) > 1)
        first = subscript.index(letter)
        second = subscript.index(letter, first + 1)
        tensor = diagonal(tensor, 0, first, second)  # the diagonal becomes the last axis
        subscript = "".join(c for i, c in enumerate(subscript) if i not in (first, second)) + letter
    return subscript, tensor


def outer(x1: Any, x2: Any) -> Tensor:
    """The outer product of `x1` and `x2`, both flattened: shape `(x1.size, x2.size)`."""
    x1, x2, xp = _pair(x1, x2)
    return xp.reshape(x1, (-1, 1)) * xp.reshape(x2, (1, -1))


def inner(x1: Any, x2: Any) -> Tensor:
    """Sum of products over the last axes of `x1` and `x2` (scalars multiply)."""
    x1, x2, xp = _pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    return xp.tensordot(x1, x2, axes=([-1], [-1]))


def vdot(x1: Any, x2: Any) -> Tensor:
    """The dot product of `x1` and `x2` flattened."""
    x1, x2, xp = _pair(x1, x2)
    return xp.sum(xp.reshape(x1, (-1,)) * xp.reshape(x2, (-1,)))


def kron(x1: Any, x2: Any) -> Tensor:
    """The Kronecker product: blocks of `x2` scaled by each entry of `x1`."""
    x1, x2, xp = _pair(x1, x2)
    rank = max(x1.ndim, x2.ndim)
    x1 = xp.reshape(x1, (1,) * (rank - x1.ndim) + tuple(x1.shape))
    x2 = xp.reshape(x2, (1,) * (rank - x2.ndim) + tuple(x2.shape))
    # interleave the axes: (a0, b0, a1, b1, ...) then merge each pair
    spread1 = xp.reshape(x1, tuple(d for a in x1.shape for d in (a, 1)))
    spread2 = xp.reshape(x2, tuple(d for b in x2.shape for d in (1, b)))
    return xp.reshape(spread1 * spread2, tuple(a * b for a, b in zip(x1.shape, x2.shape)))


def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None) -> Tensor:
    """The cross product of 3-vectors (or the z component for 2-vectors) along the given axes.

    Args:
        x1, x2: tensors whose vector axis (`axisa`, `axisb`) has length 2 or 3.
        axisa, axisb: the vector axis of each operand.
        axisc: where the result's vector axis goes.
        axis: when given, overrides all three.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2, xp = _pair(x1, x2)
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"The vector axes must have length 2 or 3. Received: {a.shape[-1]} and {b.shape[-1]}")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    a2 = a[..., 2] if a.shape[-1] == 3 else 0
    b2 = b[..., 2] if b.shape[-1] == 3 else 0
    z = a0 * b1 - a1 * b0
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    out = xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, z], axis=-1)
    return moveaxis(out, -1, axisc)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The sum of the `offset`-th diagonal of the matrices on axes `axis1`, `axis2`."""
    d = diagonal(x, offset, axis1, axis2)
    return array_module(d).sum(d, axis=-1)


def slogdet(x: Any) -> tuple[Tensor, Tensor]:
    """The sign and the log of the absolute value of the determinant of each square matrix."""
    x = float_operand(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"`slogdet` expects square matrices on the last two axes. Received: x.shape={x.shape}")
    sign, logabsdet = array_module(x).linalg.slogdet(x)
    return sign, logabsdet


__all__ = list(OPS_BY_MODULE["products"])  # the names this module publishes, listed once in ops/__init__
