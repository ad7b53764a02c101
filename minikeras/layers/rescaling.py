"""`Rescaling`: multiplies the input by a scale and adds an offset."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from minikeras.layers.base import Layer


class Rescaling(Layer):
    """Returns `x * scale + offset`, e.g. `Rescaling(1 / 255)` maps pixel values to [0, 1].

    Shapes: x and y `(batch, ...)`. `scale` and `offset` are numbers or lists of
    numbers that broadcast over the last axes of x (e.g. one value per channel of
    a channels_last image; Keras reshapes a list scale to `(channels, 1, 1)` only
    when its global image data format is channels_first, which minikeras does not
    have). Backward: `dL/dx = g * scale`, summed back to x's shape where the scale
    broadcast x out. The layer has no weights.

    Args:
        scale: a number or a list of numbers.
        offset: a number or a list of numbers (default 0.0).

    Example:
        >>> Rescaling(2.0, offset=1.0)(np.array([[0.0, 1.0]])).tolist()
        [[1.0, 3.0]]
    """

    splittable_inference = True
    min_ndim = 1

    def __init__(self, scale: float | list[float], offset: float | list[float] = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scale = _numbers(scale, "scale", self.name)
        self._offset = _numbers(offset, "offset", self.name)
        self.scale = scale
        self.offset = offset

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = x * self._scale.astype(x.dtype) + self._offset.astype(x.dtype)
        if training:
            self.save_for_backward({"shape": x.shape})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self.saved_for_backward()["shape"]
        grad_x = grad * self._scale.astype(grad.dtype)
        # The offset (or the scale) may have widened x by broadcasting: sum the gradient back to x's shape.
        extra = grad_x.ndim - len(shape)
        if extra:
            grad_x = grad_x.sum(axis=tuple(range(extra)))
        widened = tuple(a for a, (n, m) in enumerate(zip(shape, grad_x.shape)) if n == 1 and m != 1)
        return grad_x.sum(axis=widened, keepdims=True) if widened else grad_x

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _numbers(value: Any, argument: str, layer_name: str) -> np.ndarray:
    """`value` (a number or nested lists of numbers) as a float64 array; ValueError for anything else."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or isinstance(value, (bool, str)) or (array.ndim == 0 and not isinstance(value, numbers.Real)):
        raise ValueError(
            f"{argument} of layer '{layer_name}' must be a number or a list of numbers. Received: {argument}={value!r}"
        )
    return array
