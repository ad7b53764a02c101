"""Layers that rearrange sequences without computing on them: `RepeatVector`, `Permute`,
`ZeroPadding1D`, `Cropping1D` and `UpSampling1D`.

Each backward pass is the adjoint of its forward pass: what the forward pass copied is summed
back (`RepeatVector`, `UpSampling1D`), what it moved is moved back (`Permute`), and what it
added or dropped is dropped or zero-filled (`ZeroPadding1D`, `Cropping1D`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minikeras.layers.base import Layer, normalize_data_format, normalize_tuple
from minikeras.layers.input_spec import InputSpec


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class RepeatVector(Layer):
    """Repeats each input vector `n` times: `(batch, features)` -> `(batch, n, features)`.

    Backward: the gradients of the `n` copies summed, `dL/dx = sum_t g[:, t, :]`.

    Args:
        n: the number of repetitions, a positive integer.

    Example:
        >>> RepeatVector(3)(np.ones((2, 4))).shape
        (2, 3, 4)
    """

    splittable_inference = True

    input_ndim = 2

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not _is_int(n):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}. (layer '{self.name}')")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n} (layer '{self.name}')")
        self.n = int(n)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        # A copy, not a broadcast view: the caller may write into the output.
        return np.repeat(x[:, None, :], self.n, axis=1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.sum(axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Permutes the axes of each sample: output axis `i` is input axis `dims[i - 1]` (the batch stays first).

    Backward: the gradient permuted back by the inverse permutation.

    Args:
        dims: a permutation of `1, ..., rank - 1` (axis 0, the batch, is not listed), e.g. `(2, 1)`
            swaps the two axes of a sequence batch.

    Example:
        >>> Permute((2, 1))(np.zeros((4, 10, 64))).shape
        (4, 64, 10)
    """

    splittable_inference = True

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            values = tuple(dims)
        except TypeError:
            values = ()
        if not values or not all(_is_int(d) for d in values) or sorted(values) != list(range(1, len(values) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be "
                f"consecutive and start from 1. Received dims={dims!r} (layer '{self.name}')"
            )
        self.dims = tuple(int(d) for d in values)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    @property
    def _order(self) -> tuple[int, ...]:
        return (0, *self.dims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[axis] for axis in self._order)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(x, self._order))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(grad, np.argsort(self._order)))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class ZeroPadding1D(Layer):
    """Adds zeros at the start and end of each sequence.

    Shapes (channels_last): `(batch, steps, features)` -> `(batch, left + steps + right, features)`;
    channels_first pads axis 2 of `(batch, features, steps)`.

    Backward: the gradient of the padded output, cropped back to the input.

    Args:
        padding: an int (the same at both ends) or a pair `(left, right)`. Default 1.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> ZeroPadding1D((1, 2))(np.ones((2, 3, 4))).shape
        (2, 6, 4)
    """

    splittable_inference = True

    input_ndim = 3

    def __init__(self, padding: int | tuple[int, int] = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = normalize_tuple(padding, 2, "padding", self.name, allow_zero=True)
        self.data_format = normalize_data_format(data_format, self.name)

    @property
    def _axis(self) -> int:
        return 1 if self.data_format == "channels_last" else 2

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = list(input_shape)
        if shape[self._axis] is not None:
            shape[self._axis] += sum(self.padding)
        return tuple(shape)

    def _interior(self, steps: int) -> tuple:
        index: list[slice] = [slice(None)] * 3
        index[self._axis] = slice(self.padding[0], self.padding[0] + steps)
        return tuple(index)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = np.zeros(self.compute_output_shape(x.shape), dtype=x.dtype)
        y[self._interior(x.shape[self._axis])] = x
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        steps = grad.shape[self._axis] - sum(self.padding)
        return np.ascontiguousarray(grad[self._interior(steps)])

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(Layer):
    """Drops steps at the start and end of each sequence (axis 1).

    Shapes: `(batch, steps, features)` -> `(batch, steps - start - end, features)`.

    Backward: the gradient placed back where the kept steps were, zeros where steps were dropped.

    Args:
        cropping: an int (the same at both ends) or a pair `(start, end)`. Default `(1, 1)`.

    Example:
        >>> Cropping1D((1, 2))(np.ones((2, 6, 4))).shape
        (2, 3, 4)
    """

    splittable_inference = True

    input_ndim = 3

    def __init__(self, cropping: int | tuple[int, int] = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = normalize_tuple(cropping, 2, "cropping", self.name, allow_zero=True)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        steps = input_shape[1]
        if steps is not None:
            steps -= sum(self.cropping)
            if steps <= 0:
                raise ValueError(
                    "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                    f"Received: input_shape={tuple(input_shape)}, cropping={self.cropping} (layer '{self.name}')"
                )
        return (input_shape[0], steps, input_shape[2])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        steps = self.compute_output_shape(x.shape)[1]
        if training:
            self.save_for_backward({"shape": x.shape})
        return np.ascontiguousarray(x[:, self.cropping[0] : self.cropping[0] + steps])

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self.saved_for_backward()["shape"]
        grad_x = np.zeros(shape, dtype=grad.dtype)
        grad_x[:, self.cropping[0] : self.cropping[0] + grad.shape[1]] = grad
        return grad_x

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling1D(Layer):
    """Repeats each step `size` times along the time axis: `(batch, steps, features)` -> `(batch, steps * size,
    features)`.

    Backward: the gradients of each step's `size` copies summed.

    Args:
        size: the number of repetitions of each step, a positive integer. Default 2.

    Example:
        >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]]))[0, :, 0]
        array([1., 1., 2., 2.], dtype=float32)
    """

    splittable_inference = True

    input_ndim = 3

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not _is_int(size) or size <= 0:
            raise ValueError(
                f"Argument `size` should be a positive integer. Received: size={size!r} (layer '{self.name}')"
            )
        self.size = int(size)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return np.repeat(x, self.size, axis=1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        batch, steps, features = grad.shape
        return grad.reshape(batch, steps // self.size, self.size, features).sum(axis=2)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}
