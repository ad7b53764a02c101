"""Layers that move values without computing on them: `ZeroPadding2D` and `Reshape`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minikeras.layers.base import Layer, normalize_border, normalize_data_format


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image.

    Shapes (channels_last): x `(batch, height, width, channels)` ->
    y `(batch, top + height + bottom, left + width + right, channels)`.

    Backward: the gradient of the padded output, cropped back to the input.

    Args:
        padding: an int (the same on all four sides), a pair `(rows, cols)`
            (`rows` above and below, `cols` left and right), or a pair of pairs
            `((top, bottom), (left, right))`. Default `(1, 1)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(np.ones((1, 3, 3, 1))).shape
        (1, 4, 7, 1)
    """

    splittable_inference = True

    input_ndim = 4

    def __init__(
        self,
        padding: int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] = (1, 1),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.name)
        self.padding = normalize_border(padding, "padding", self.name)

    @property
    def _axes(self) -> tuple[int, int]:
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.padding):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def _interior(self, ndim: int, input_shape: tuple) -> tuple:
        """The index of the input inside the padded output."""
        index = [slice(None)] * ndim
        for axis, (before, _) in zip(self._axes, self.padding):
            index[axis] = slice(before, before + input_shape[axis])
        return tuple(index)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = np.zeros(self.compute_output_shape(x.shape), dtype=x.dtype)
        y[self._interior(x.ndim, x.shape)] = x
        if training:
            self.save_for_backward({"shape": x.shape})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self.saved_for_backward()["shape"]
        return grad[self._interior(grad.ndim, shape)]

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Reshape(Layer):
    """Gives each sample a new shape: `(batch, *input_dims)` -> `(batch, *target_shape)`.

    The values keep their row-major order (a reshape, not a transpose).

    Args:
        target_shape: the new shape of one sample, without the batch axis. One
            entry may be -1: it is inferred from the size of the input.

    Example:
        >>> Reshape((-1, 2))(np.zeros((4, 3, 2, 2))).shape
        (4, 6, 2)
    """

    splittable_inference = True

    min_ndim = 1  # any input whose samples hold the right number of values

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            dims = tuple(target_shape)
        except TypeError:
            dims = None
        valid = dims is not None and all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= -1 for d in dims
        )
        if dims is None or not valid or dims.count(-1) > 1:
            raise ValueError(
                f"target_shape of layer '{self.name}' must be a tuple of non-negative integers with at most one -1. "
                f"Received: target_shape={target_shape!r}"
            )
        self.target_shape = tuple(int(d) for d in dims)

    def _resolved(self, sample_shape: tuple) -> tuple:
        """`target_shape` with its -1 filled in for samples of `sample_shape` (None if unknown)."""
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            fits = known != 0 and size % known == 0
            resolved = tuple(size // known if d == -1 else d for d in self.target_shape) if fits else ()
        else:
            fits = known == size
            resolved = self.target_shape
        if not fits:
            raise ValueError(
                f"The total size of the tensor must be unchanged: layer '{self.name}' (Reshape) cannot reshape "
                f"samples of shape {tuple(sample_shape)} ({size} values) to target_shape={self.target_shape}."
            )
        return resolved

    def build(self, input_shape: tuple) -> None:
        self._resolved(input_shape[1:])  # refuse an impossible reshape as soon as the shape is known

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *self._resolved(tuple(input_shape[1:])))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if training:
            self.save_for_backward({"shape": x.shape})
        return x.reshape(x.shape[0], *self._resolved(x.shape[1:]))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(self.saved_for_backward()["shape"])

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}
