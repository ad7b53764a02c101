"""`Variable`: a weight as Keras's custom code uses it.

A layer keeps its weights as plain numpy arrays (`layer._params`), which the built-in
layers and the optimizers read and update in place at full speed. `Layer.add_weight`
hands custom code a `Variable` wrapping that same array: Keras's API (`assign`,
`assign_add`, `value`, `numpy()`, `shape`, `dtype`, `trainable`) and the operators and
numpy conversions Keras's variables support. Since the array is shared, what the
optimizer writes is what the variable reads, and what `assign` writes is what the layer
computes with.

A `Variable` is not a numpy array subclass on purpose: arithmetic on it gives plain
arrays (never variables), and numpy functions see it through `__array__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras.ops.backend import value_of

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike


class ValueArithmetic:
    """The arithmetic and ordering of a variable-like object: each operator computes with its value
    (`_operand()`) and gives a plain value, never a variable, as Keras's variables do. Shared by
    `Variable` and the optimizers' `LearningRateVariable`."""

    def _operand(self) -> Any:
        raise NotImplementedError

    def __neg__(self) -> Any:
        return -self._operand()

    def __pos__(self) -> Any:
        return +self._operand()

    def __abs__(self) -> Any:
        return abs(self._operand())

    def __add__(self, other: Any) -> Any:
        return self._operand() + _operand_of(other)

    def __radd__(self, other: Any) -> Any:
        return _operand_of(other) + self._operand()

    def __sub__(self, other: Any) -> Any:
        return self._operand() - _operand_of(other)

    def __rsub__(self, other: Any) -> Any:
        return _operand_of(other) - self._operand()

    def __mul__(self, other: Any) -> Any:
        return self._operand() * _operand_of(other)

    def __rmul__(self, other: Any) -> Any:
        return _operand_of(other) * self._operand()

    def __truediv__(self, other: Any) -> Any:
        return self._operand() / _operand_of(other)

    def __rtruediv__(self, other: Any) -> Any:
        return _operand_of(other) / self._operand()

    def __floordiv__(self, other: Any) -> Any:
        return self._operand() // _operand_of(other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _operand_of(other) // self._operand()

    def __mod__(self, other: Any) -> Any:
        return self._operand() % _operand_of(other)

    def __rmod__(self, other: Any) -> Any:
        return _operand_of(other) % self._operand()

    def __pow__(self, other: Any) -> Any:
        return self._operand() ** _operand_of(other)

    def __rpow__(self, other: Any) -> Any:
        return _operand_of(other) ** self._operand()

    def __matmul__(self, other: Any) -> Any:
        return self._operand() @ _operand_of(other)

    def __rmatmul__(self, other: Any) -> Any:
        return _operand_of(other) @ self._operand()

    def __lt__(self, other: Any) -> Any:
        return self._operand() < _operand_of(other)

    def __le__(self, other: Any) -> Any:
        return self._operand() <= _operand_of(other)

    def __gt__(self, other: Any) -> Any:
        return self._operand() > _operand_of(other)

    def __ge__(self, other: Any) -> Any:
        return self._operand() >= _operand_of(other)


def _operand_of(other: Any) -> Any:
    """What an operand computes with: the value of a variable-like object, anything else as it is."""
    return other._operand() if isinstance(other, ValueArithmetic) else other


class Variable(ValueArithmetic):
    """A named array with Keras's variable API.

    Args:
        array: the array the variable shows; it is shared, not copied.
        name: the weight's name (`kernel`, `bias`, ...).
        trainable: whether the optimizer updates it.
        path: `"<layer name>/<name>"` when it belongs to a layer.

    Example:
        >>> v = Variable(np.zeros(3), name="counts")
        >>> v.assign_add(np.ones(3)).numpy()
        array([1., 1., 1.])
    """

    def __init__(self, array: np.ndarray, name: str = "variable", trainable: bool = True, path: str | None = None):
        self._array = array
        self.name = name
        self.trainable = bool(trainable)
        self.path = path or name

    # ----------------------------------------------------------------- value
    def _operand(self) -> np.ndarray:
        return self._array

    @property
    def value(self) -> np.ndarray:
        """The array itself (changes with every `assign` and optimizer step)."""
        return self._array

    def numpy(self) -> np.ndarray:
        """A copy of the current value, as Keras returns."""
        return np.array(self._array)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def dtype(self) -> str:
        return str(self._array.dtype)

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def size(self) -> int:
        return self._array.size

    @property
    def T(self) -> np.ndarray:  # noqa: N802  (numpy's name)
        return self._array.T

    # ---------------------------------------------------------------- assign
    def assign(self, value: ArrayLike) -> Variable:
        """Write `value` into the variable (same shape; cast to its dtype); return the variable.

        Inside a traced `call` a value may carry autodiff bookkeeping; only its number is stored.
        """
        value = np.asarray(value_of(_operand_of(value)))
        if value.shape != self._array.shape and not (value.size == 1 and self._array.size == 1):
            raise ValueError(
                f"The shape of the target variable and the shape of the target value in `variable.assign(value)` "
                f"must match. variable.shape={self._array.shape}, Received: value.shape={value.shape}. "
                f"Target variable: '{self.path}'"
            )
        self._array[...] = value
        return self

    def assign_add(self, value: ArrayLike) -> Variable:
        """Add `value` to the variable in place; return the variable."""
        return self.assign(self._array + np.asarray(value_of(_operand_of(value))))

    def assign_sub(self, value: ArrayLike) -> Variable:
        """Subtract `value` from the variable in place; return the variable."""
        return self.assign(self._array - np.asarray(value_of(_operand_of(value))))

    # ------------------------------------------------------- numpy interplay
    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self._array, dtype=dtype)
        return self._array if dtype is None else self._array.astype(dtype, copy=False)

    def __getitem__(self, index: Any) -> Any:
        return self._array[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        # Keras's variables have no item assignment; minikeras's weights always had it (`w[...] = v`).
        self._array[index] = _operand_of(value)

    def __len__(self) -> int:
        return len(self._array)

    def __float__(self) -> float:
        return float(self._array)

    def __int__(self) -> int:
        return int(self._array)

    def __bool__(self) -> bool:
        return bool(self._array)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self._array!r}>"

    # A variable is an object with identity (a dict key, a member of var_list), compared by `is`,
    # as Keras's are; `==` between values is `ops.equal` / `np.equal`.
    __hash__ = object.__hash__

