"""Keras's `keras.ops.linalg`: norms, determinants, inverses, solves and decompositions of (batched) matrices.

Matrices are the last two axes. Under autograd, `norm`, `det`, `inv`, `solve`,
`solve_triangular`, `cholesky`, `eigh` and `svd` are differentiable (autograd's own gradients);
`qr` is not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.ops import OPS_BY_MODULE
from minikeras.ops.backend import array_module, value_of
from minikeras.ops.core import Tensor, float_operand
from minikeras.ops.shapes import swapaxes


def _square(x: Any, name: str) -> Any:
    x = float_operand(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"`{name}` expects square matrices on the last two axes. Received: x.shape={x.shape}")
    return x


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002  (Keras's name)
    """A vector norm (one `axis`) or matrix norm (two axes) of `x`.

    Args:
        x: a tensor.
        ord: vector norms: None or 2 (Euclidean), `inf`, `-inf`, 0 (count of nonzeros) or any
            power `p`; matrix norms: None or `"fro"`, `"nuc"`, 1, -1, 2, -2, `inf`, `-inf`.
        axis: an int (vector norm), a pair (matrix norm), or None: the Euclidean norm of all of
            `x` when `ord` is None, else a vector or matrix norm by `x`'s rank (1 or 2).
        keepdims: keep the reduced axes with length 1.

    Returns:
        The norm(s).
    """
    x = float_operand(x)
    xp = array_module(x)
    if axis is None:
        if ord is None:
            out = xp.sqrt(xp.sum(x * x))
            return xp.reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError(f"With `axis=None` and an `ord`, `x` must be 1-D or 2-D. Received: x.shape={x.shape}")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % x.ndim for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims, xp)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims, xp)
    raise ValueError(f"`axis` must be an int or a pair of ints. Received: axis={axis}")


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool, xp: Any) -> Tensor:  # noqa: A002
    if ord is None or ord == 2:
        return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))
    magnitude = xp.abs(x)
    if ord == np.inf:
        return xp.max(magnitude, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return xp.min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        return np.sum(value_of(x) != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    if ord == 1:
        return xp.sum(magnitude, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` for a vector norm: {ord!r}")
    return xp.power(xp.sum(xp.power(magnitude, ord), axis=axis, keepdims=keepdims), 1.0 / ord)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool, xp: Any) -> Tensor:  # noqa: A002
    row_axis, col_axis = axes
    if ord is None or ord == "fro":
        return xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum of |x|; inf: the largest row sum (the minus signs: the smallest).
        summed_axis = row_axis if ord in (1, -1) else col_axis
        sums = xp.sum(xp.abs(x), axis=summed_axis, keepdims=True)
        out = (xp.max if ord > 0 else xp.min)(sums, axis=axes, keepdims=True)
    elif ord in (2, -2, "nuc"):
        moved = xp.moveaxis(x, axes, (-2, -1))
        singular = xp.linalg.svd(moved, compute_uv=False)
        out = xp.sum(singular, axis=-1) if ord == "nuc" else (xp.max if ord == 2 else xp.min)(singular, axis=-1)
        out = xp.expand_dims(xp.expand_dims(out, -1), -1)
        out = xp.moveaxis(out, (-2, -1), axes)
    else:
        raise ValueError(f"Invalid `ord` for a matrix norm: {ord!r}")
    return out if keepdims else xp.squeeze(out, axis=axes)


def det(x: Any) -> Tensor:
    """The determinant of each square matrix."""
    x = _square(x, "det")
    return array_module(x).linalg.det(x)


def inv(x: Any) -> Tensor:
    """The inverse of each square matrix."""
    x = _square(x, "inv")
    return array_module(x).linalg.inv(x)


def solve(a: Any, b: Any) -> Tensor:
    """`x` with `a @ x = b` (`b` a vector or matrix per batch of `a`)."""
    a, b = _square(a, "solve"), float_operand(b)
    return array_module(a, b).linalg.solve(a, b)


def solve_triangular(a: Any, b: Any, lower: bool = False) -> Tensor:
    """`x` with `a @ x = b` for triangular `a` (only its `lower` or upper triangle is read)."""
    from minikeras.ops.shapes import tril, triu

    a = _square(a, "solve_triangular")
    return solve(tril(a) if lower else triu(a), b)


def cholesky(x: Any, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive definite matrix: lower `L` with `L @ L.T = x` (or `L.T`)."""
    x = _square(x, "cholesky")
    factor = array_module(x).linalg.cholesky(x)
    return swapaxes(factor, -1, -2) if upper else factor


def eigh(x: Any) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors (columns) of each symmetric matrix."""
    x = _square(x, "eigh")
    w, v = array_module(x).linalg.eigh(x)
    return w, v


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """The singular value decomposition `x = u @ diag(s) @ vh`: `(u, s, vh)`, or `s` alone without `compute_uv`."""
    x = float_operand(x)
    result = array_module(x).linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(result) if compute_uv else result


def qr(x: Any, mode: str = "reduced") -> tuple[np.ndarray, np.ndarray]:
    """The QR decomposition `x = q @ r` of each matrix (`mode` "reduced" or "complete"; not differentiable)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` must be 'reduced' or 'complete'. Received: mode={mode!r}")
    numpy_mode: Any = mode
    q, r = np.linalg.qr(np.asarray(value_of(float_operand(x))), mode=numpy_mode)
    return q, r


__all__ = list(OPS_BY_MODULE["linalg"])  # the names this module publishes, listed once in ops/__init__
