"""Keras's elementwise ops: arithmetic, exponentials and logarithms, trigonometry, rounding, comparisons, `where`.

Each takes tensors (numpy arrays, or autograd Boxes while autograd traces; see
`minikeras.ops.backend`) or Python numbers and broadcasts as numpy does. Functions that only
make sense in floating point (`exp`, `sin`, `sqrt`...) compute integer input in `floatx()`, as
Keras does; Python numbers combine with a tensor without changing its dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import config
from minikeras.ops import OPS_BY_MODULE, special
from minikeras.ops.backend import array_module, differentiable, value_of
from minikeras.ops.core import Tensor, cast, convert_to_tensor, float_operand, operand


def _kind(x: Any) -> str:
    """ "f", "i", "u" or "b" for a tensor; "F" (float) or "I" (int or bool) for a Python number."""
    if isinstance(x, (bool, int)):
        return "I"
    if isinstance(x, float):
        return "F"
    return x.dtype.kind


def _binary(x1: Any, x2: Any) -> tuple[Any, Any, Any]:
    """Both operands ready for a numpy binary function, and the module to call it from.

    numpy's promotion, except where Keras's differs: an integer tensor meets a float one in
    the float's dtype (numpy would widen int32 with float32 to float64), and a Python float
    makes an integer tensor `floatx()`.
    """
    x1, x2 = operand(x1), operand(x2)
    k1, k2 = _kind(x1), _kind(x2)
    if k1 in "IF" and k2 in "IF":  # two Python numbers: a tensor as Keras gives, not a numpy scalar
        x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
        k1, k2 = _kind(x1), _kind(x2)
    if k1 in "iub" and k2 in "fF":
        x1 = cast(x1, x2.dtype if k2 == "f" else config.floatx())
    elif k2 in "iub" and k1 in "fF":
        x2 = cast(x2, x1.dtype if k1 == "f" else config.floatx())
    return x1, x2, array_module(x1, x2)


def _is_integer(x: Any) -> bool:
    return isinstance(x, (bool, int)) or (hasattr(x, "dtype") and x.dtype.kind in "biu")


def _float_pair(x1: Any, x2: Any) -> tuple[Any, Any, Any]:
    """Operands of a function that is only defined in floating point: two integers compute in floatx()."""
    x1, x2, xp = _binary(x1, x2)
    if _is_integer(x1) and _is_integer(x2):
        x1, x2 = cast(x1, config.floatx()), cast(x2, config.floatx())
    return x1, x2, xp


# --------------------------------------------------------------------------- arithmetic
def add(x1: Any, x2: Any) -> Tensor:
    """`x1 + x2`, elementwise."""
    x1, x2, xp = _binary(x1, x2)
    return xp.add(x1, x2)


def subtract(x1: Any, x2: Any) -> Tensor:
    """`x1 - x2`, elementwise."""
    x1, x2, xp = _binary(x1, x2)
    return xp.subtract(x1, x2)


def multiply(x1: Any, x2: Any) -> Tensor:
    """`x1 * x2`, elementwise."""
    x1, x2, xp = _binary(x1, x2)
    return xp.multiply(x1, x2)


def divide(x1: Any, x2: Any) -> Tensor:
    """`x1 / x2`, elementwise (true division: integers give `floatx()`)."""
    x1, x2, xp = _float_pair(x1, x2)
    return xp.true_divide(x1, x2)


true_divide = divide


def divide_no_nan(x1: Any, x2: Any) -> Tensor:
    """`x1 / x2`, elementwise, with 0 wherever `x2` is 0."""
    x1, x2, xp = _float_pair(x1, x2)
    zero = value_of(x2) == 0
    safe = xp.where(zero, 1, x2)
    return xp.where(zero, 0, xp.true_divide(x1, safe))


def floor_divide(x1: Any, x2: Any) -> Tensor:
    """`x1 // x2`, elementwise."""
    x1, x2, xp = _binary(x1, x2)
    return xp.floor_divide(x1, x2)


def mod(x1: Any, x2: Any) -> Tensor:
    """The remainder of `x1 / x2` with the sign of `x2` (numpy's and Python's `%`)."""
    x1, x2, xp = _binary(x1, x2)
    return xp.mod(x1, x2)


def fmod(x1: Any, x2: Any) -> Tensor:
    """The remainder of `x1 / x2` with the sign of `x1` (C's `fmod`)."""
    x1, x2, xp = _binary(x1, x2)
    if xp is np:
        return np.fmod(x1, x2)
    # autograd has no fmod gradient: x1 - trunc(x1 / x2) * x2, the quotient a constant (its gradient is 0).
    return x1 - np.trunc(value_of(x1) / value_of(x2)) * x2


def power(x1: Any, x2: Any) -> Tensor:
    """`x1 ** x2`, elementwise."""
    x1, x2, xp = _binary(x1, x2)
    return xp.power(x1, x2)


def negative(x: Any) -> Tensor:
    """`-x`, elementwise."""
    x = convert_to_tensor(x)
    return array_module(x).negative(x)


def abs(x: Any) -> Tensor:  # noqa: A001  (Keras's name)
    """`|x|`, elementwise."""
    x = convert_to_tensor(x)
    return array_module(x).abs(x)


absolute = abs


def square(x: Any) -> Tensor:
    """`x * x`, elementwise."""
    x = convert_to_tensor(x)
    if x.dtype == bool:
        x = cast(x, "int32")
    return array_module(x).square(x)


def sqrt(x: Any) -> Tensor:
    """Square root, elementwise."""
    x = float_operand(x)
    return array_module(x).sqrt(x)


def rsqrt(x: Any) -> Tensor:
    """`1 / sqrt(x)`, elementwise."""
    x = float_operand(x)
    return 1.0 / array_module(x).sqrt(x)


def cbrt(x: Any) -> Tensor:
    """Cube root, elementwise (negative for negative `x`)."""
    x = float_operand(x)
    xp = array_module(x)
    return xp.sign(x) * xp.power(xp.abs(x), 1.0 / 3.0)


def reciprocal(x: Any) -> Tensor:
    """`1 / x`, elementwise."""
    x = float_operand(x)
    return 1.0 / x


def sign(x: Any) -> Tensor:
    """-1, 0 or 1 by the sign of `x`, elementwise (its gradient is zero)."""
    x = convert_to_tensor(x)
    return np.sign(value_of(x))


def maximum(x1: Any, x2: Any) -> Tensor:
    """The larger of `x1` and `x2`, elementwise (ties share the gradient)."""
    x1, x2, xp = _binary(x1, x2)
    return xp.maximum(x1, x2)


def minimum(x1: Any, x2: Any) -> Tensor:
    """The smaller of `x1` and `x2`, elementwise (ties share the gradient)."""
    x1, x2, xp = _binary(x1, x2)
    return xp.minimum(x1, x2)


def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    """`x` limited to `[x_min, x_max]`, elementwise.

    Args:
        x: a tensor.
        x_min: the lower bound (a number or a tensor broadcastable to `x`).
        x_max: the upper bound.

    Returns:
        The clipped tensor (bool input comes back as int32, as in Keras).
    """
    x = convert_to_tensor(x)
    if x.dtype == bool:
        x = cast(x, "int32")
    xp = array_module(x, x_min, x_max)
    return xp.minimum(xp.maximum(x, x_min), x_max)


# --------------------------------------------------------------------------- exponentials and logarithms
def exp(x: Any) -> Tensor:
    """`e ** x`, elementwise."""
    x = float_operand(x)
    return array_module(x).exp(x)


def exp2(x: Any) -> Tensor:
    """`2 ** x`, elementwise."""
    x = float_operand(x)
    return array_module(x).exp2(x)


def expm1(x: Any) -> Tensor:
    """`exp(x) - 1`, elementwise, accurate near 0."""
    x = float_operand(x)
    return array_module(x).expm1(x)


def log(x: Any) -> Tensor:
    """Natural logarithm, elementwise."""
    x = float_operand(x)
    return array_module(x).log(x)


def log1p(x: Any) -> Tensor:
    """`log(1 + x)`, elementwise, accurate near 0."""
    x = float_operand(x)
    return array_module(x).log1p(x)


def log2(x: Any) -> Tensor:
    """Base-2 logarithm, elementwise."""
    x = float_operand(x)
    return array_module(x).log2(x)


def log10(x: Any) -> Tensor:
    """Base-10 logarithm, elementwise."""
    x = float_operand(x)
    return array_module(x).log10(x)


def logaddexp(x1: Any, x2: Any) -> Tensor:
    """`log(exp(x1) + exp(x2))`, elementwise, without overflow."""
    x1, x2, xp = _float_pair(x1, x2)
    return xp.logaddexp(x1, x2)


def logaddexp2(x1: Any, x2: Any) -> Tensor:
    """`log2(2 ** x1 + 2 ** x2)`, elementwise, without overflow."""
    x1, x2, xp = _float_pair(x1, x2)
    return xp.logaddexp2(x1, x2)


# --------------------------------------------------------------------------- error function
def _erfc_vjp(ans: Any, x: np.ndarray) -> Any:
    return lambda g: g * (-2.0 / math.sqrt(math.pi)) * np.exp(-np.square(x))


_erfc = differentiable(special.erfc, _erfc_vjp)


def erfc(x: Any) -> Tensor:
    """The complementary error function `1 - erf(x)`, elementwise."""
    x = float_operand(x)
    return cast(_erfc(x), x.dtype)


def erf(x: Any) -> Tensor:
    """The error function `2 / sqrt(pi) * integral from 0 to x of exp(-t**2) dt`, elementwise."""
    return 1.0 - erfc(x)


# --------------------------------------------------------------------------- trigonometry and hyperbolic functions
def _unary_float(name: str, doc: str) -> Any:
    def op(x: Any) -> Tensor:
        x = float_operand(x)
        return getattr(array_module(x), name)(x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


sin = _unary_float("sin", "Sine, elementwise (radians).")
cos = _unary_float("cos", "Cosine, elementwise (radians).")
tan = _unary_float("tan", "Tangent, elementwise (radians).")
arcsin = _unary_float("arcsin", "Inverse sine, elementwise, in `[-pi/2, pi/2]`.")
arccos = _unary_float("arccos", "Inverse cosine, elementwise, in `[0, pi]`.")
arctan = _unary_float("arctan", "Inverse tangent, elementwise, in `[-pi/2, pi/2]`.")
sinh = _unary_float("sinh", "Hyperbolic sine, elementwise.")
cosh = _unary_float("cosh", "Hyperbolic cosine, elementwise.")
tanh = _unary_float("tanh", "Hyperbolic tangent, elementwise.")
arcsinh = _unary_float("arcsinh", "Inverse hyperbolic sine, elementwise.")
arccosh = _unary_float("arccosh", "Inverse hyperbolic cosine, elementwise.")
arctanh = _unary_float("arctanh", "Inverse hyperbolic tangent, elementwise.")
deg2rad = _unary_float("deg2rad", "Degrees to radians, elementwise.")
rad2deg = _unary_float("rad2deg", "Radians to degrees, elementwise.")


def arctan2(x1: Any, x2: Any) -> Tensor:
    """The angle of the point `(x2, x1)`, elementwise, in `[-pi, pi]`."""
    x1, x2, xp = _float_pair(x1, x2)
    return xp.arctan2(x1, x2)


def hypot(x1: Any, x2: Any) -> Tensor:
    """`sqrt(x1 ** 2 + x2 ** 2)`, elementwise."""
    x1, x2, xp = _float_pair(x1, x2)
    return xp.hypot(x1, x2)


# --------------------------------------------------------------------------- rounding (zero gradient, as in Keras)
def _rounding(x: Any) -> np.ndarray:
    x = convert_to_tensor(x)
    return np.asarray(value_of(float_operand(x)))


def floor(x: Any) -> Tensor:
    """The largest integer `<= x`, elementwise, as a float."""
    return np.floor(_rounding(x))


def ceil(x: Any) -> Tensor:
    """The smallest integer `>= x`, elementwise, as a float."""
    return np.ceil(_rounding(x))


def trunc(x: Any) -> Tensor:
    """`x` rounded towards zero, elementwise."""
    x = convert_to_tensor(x)
    return np.trunc(value_of(x))


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001  (Keras's name)
    """`x` rounded to `decimals` decimals, halves to even, elementwise."""
    x = convert_to_tensor(x)
    return np.round(value_of(x), decimals)


# --------------------------------------------------------------------------- comparisons and logic (no gradient)
def _compare(name: str, doc: str) -> Any:
    def op(x1: Any, x2: Any) -> np.ndarray:
        x1, x2, _ = _binary(value_of(x1), value_of(x2))
        return getattr(np, name)(x1, x2)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


equal = _compare("equal", "`x1 == x2`, elementwise.")
not_equal = _compare("not_equal", "`x1 != x2`, elementwise.")
greater = _compare("greater", "`x1 > x2`, elementwise.")
greater_equal = _compare("greater_equal", "`x1 >= x2`, elementwise.")
less = _compare("less", "`x1 < x2`, elementwise.")
less_equal = _compare("less_equal", "`x1 <= x2`, elementwise.")
logical_and = _compare("logical_and", "`x1 and x2`, elementwise.")
logical_or = _compare("logical_or", "`x1 or x2`, elementwise.")
logical_xor = _compare("logical_xor", "`x1 xor x2`, elementwise.")


def logical_not(x: Any) -> np.ndarray:
    """`not x`, elementwise."""
    return np.logical_not(value_of(convert_to_tensor(x)))


def isnan(x: Any) -> np.ndarray:
    """Whether each entry is NaN."""
    return np.isnan(value_of(convert_to_tensor(x)))


def isinf(x: Any) -> np.ndarray:
    """Whether each entry is +inf or -inf."""
    return np.isinf(value_of(convert_to_tensor(x)))


def isfinite(x: Any) -> np.ndarray:
    """Whether each entry is finite (neither inf nor NaN)."""
    return np.isfinite(value_of(convert_to_tensor(x)))


def signbit(x: Any) -> np.ndarray:
    """Whether each entry has its sign bit set (negative, or -0.0)."""
    return np.signbit(value_of(convert_to_tensor(x)))


def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> np.ndarray:
    """Whether `|x1 - x2| <= atol + rtol * |x2|`, elementwise."""
    return np.isclose(value_of(operand(x1)), value_of(operand(x2)), rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> np.ndarray:
    """Whether `isclose` holds for every entry."""
    return np.asarray(np.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor:
    """`x1` where `condition` holds, else `x2`; with neither, the indices where it holds.

    Args:
        condition: a boolean tensor (other dtypes: nonzero is true).
        x1: the values taken where `condition` is true.
        x2: the values taken where it is false.

    Returns:
        The broadcast selection, or (with `x1` and `x2` both None) a tuple of index arrays,
        one per axis, as `nonzero` gives.
    """
    condition = np.asarray(value_of(convert_to_tensor(condition)))
    if x1 is None and x2 is None:
        return tuple(index.astype(np.int32) for index in np.nonzero(condition))
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` must both be given or both be None. Received: only one of them")
    x1, x2, xp = _binary(x1, x2)
    return xp.where(condition.astype(bool, copy=False), x1, x2)


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """`x` with NaN replaced by `nan` and infinities by `posinf` / `neginf` (default: the dtype's extremes)."""
    x = convert_to_tensor(x)
    if x.dtype.kind not in "fc":
        return x
    raw = value_of(x)
    info = np.finfo(x.dtype)
    xp = array_module(x)
    out = xp.where(np.isnan(raw), nan, x)
    out = xp.where(np.isposinf(raw), info.max if posinf is None else posinf, out)
    return xp.where(np.isneginf(raw), info.min if neginf is None else neginf, out)


__all__ = list(OPS_BY_MODULE["elementwise"])  # the names this module publishes, listed once in ops/__init__
