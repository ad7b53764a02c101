"""An optimizer's learning rate when it is a number: a variable, as Keras's `optimizer.learning_rate`.

Keras keeps such a rate in a scalar variable: code reads it (`float(lr)`, `lr.numpy()`, `lr * 2`,
`lr > 0.01`) and changes it in place (`lr.assign(0.01)`, or `optimizer.learning_rate = 0.01`),
and the optimizer's next step uses the new value. `LearningRateVariable` is that variable for
minikeras. It keeps the rate exactly as given (a Python float) and every step uses that value;
`numpy()`, `value` and `np.asarray(lr)` give it as float32, the dtype Keras stores and model files hold.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras.variables import ValueArithmetic

# Keras's words for a learning rate of the wrong kind (the optimizer's constructor and setter use them).
WRONG_KIND = (
    "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
    "(that takes no argument and returns the learning rate value)."
)


def to_rate(value: Any) -> float:
    """`value` (a number, a 0-d array, a `LearningRateVariable`) as a learning rate, checked.

    Raises:
        ValueError: `value` is not a real number, not of shape `()`, negative or not finite.
    """
    if isinstance(value, LearningRateVariable):
        return value._value
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"A learning rate must be a number. Received: {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"A learning rate must be a number. Received: {value!r}") from None
    if array.shape != ():
        # Keras's phrase: assigning a value of another shape to a variable.
        raise ValueError(
            "The shape of the target variable and the shape of the target value in `variable.assign(value)` "
            f"must match. variable.shape=(), Received: value.shape={array.shape}"
        )
    rate = float(array)
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"learning_rate must be a non-negative finite number. Received: learning_rate={rate}")
    return rate


def _plain(other: Any) -> Any:
    """`other` with any variable replaced by the value it computes with."""
    return other._operand() if isinstance(other, ValueArithmetic) else other


class LearningRateVariable(ValueArithmetic):
    """The learning rate of an optimizer created with a number (Keras's `learning_rate` variable).

    Args:
        value: the rate, a non-negative finite number.
        optimizer_name: the optimizer's name, for `path` (`"adam/learning_rate"`).

    Attributes:
        name: `"learning_rate"`.
        path: `"<optimizer name>/learning_rate"`.
        dtype: `"float32"`, the dtype of `numpy()` and of the saved state.
        shape: `()`.

    Example:
        >>> optimizer = SGD(learning_rate=0.1)
        >>> optimizer.learning_rate.assign(0.05)   # or: optimizer.learning_rate = 0.05
        >>> float(optimizer.learning_rate) * 2
        0.1
    """

    name = "learning_rate"
    dtype = "float32"
    shape: tuple[int, ...] = ()
    ndim = 0
    trainable = False
    # Keras's variables compare by value, so they are not hashable.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: Any, optimizer_name: str) -> None:
        self._value = to_rate(value)
        self.path = f"{optimizer_name}/{self.name}"

    def _operand(self) -> float:
        # Arithmetic uses the exact float given (the steps compute with it), not the float32 of `numpy()`.
        return self._value

    # ------------------------------------------------------------- read, write
    @property
    def value(self) -> np.ndarray:
        """The rate as a float32 scalar array (Keras: the variable's tensor)."""
        return self.numpy()

    def numpy(self) -> np.ndarray:
        """The rate as a float32 scalar array, as Keras stores it."""
        return np.array(self._value, dtype=np.float32)

    def assign(self, value: Any) -> np.ndarray:
        """Set the rate; the optimizer's next step uses it. Returns the new value as `numpy()` does.

        Raises:
            ValueError: `value` is not a non-negative finite number of shape `()`. The rate is then unchanged.
        """
        self._value = to_rate(value)
        return self.numpy()

    def assign_add(self, delta: Any) -> np.ndarray:
        """Add `delta` to the rate."""
        return self.assign(self._value + _plain(delta))

    def assign_sub(self, delta: Any) -> np.ndarray:
        """Subtract `delta` from the rate."""
        return self.assign(self._value - _plain(delta))

    # ------------------------------------------------------ conversions
    def __float__(self) -> float:
        return self._value

    def __int__(self) -> int:
        return int(self._value)

    def __round__(self, ndigits: int | None = None) -> float:
        return round(self._value, ndigits)

    def __format__(self, spec: str) -> str:
        return format(self._value, spec)

    def __bool__(self) -> bool:
        raise TypeError("The learning rate variable cannot be used as a boolean; compare it with a number instead.")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.array(self._value, dtype=dtype or np.float32)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # `array * lr` or `np.log(lr)`: numpy computes with the rate as with a Python float.
        return getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)

    def __repr__(self) -> str:
        return f"<LearningRateVariable path={self.path}, shape=(), dtype={self.dtype}, value={self._value!r}>"

    # ---------------------------- equality by value (the ordering comes with ValueArithmetic)
    def __eq__(self, other: object) -> Any:
        return self._value == _plain(other)

    def __ne__(self, other: object) -> Any:
        return self._value != _plain(other)
