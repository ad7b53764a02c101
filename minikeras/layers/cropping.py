"""`Cropping2D`: drops rows and columns at the edges of each image."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.layers.base import Layer, normalize_border, normalize_data_format


class Cropping2D(Layer):
    """Drops rows and columns at the edges of each image.

    Shapes (channels_last): `(batch, height, width, channels)` ->
    `(batch, height - top - bottom, width - left - right, channels)`; channels_first crops
    axes 2 and 3.

    Backward: the gradient placed back where the kept pixels were, zeros at the cropped edges.

    Args:
        cropping: an int (the same on all four sides), a pair `(rows, cols)` (`rows` at top and
            bottom, `cols` at left and right), or a pair of pairs `((top, bottom), (left, right))`.
            Default `((0, 0), (0, 0))`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> Cropping2D(((1, 0), (2, 2)))(np.ones((1, 5, 6, 3))).shape
        (1, 4, 2, 3)
    """

    splittable_inference = True

    input_ndim = 4

    def __init__(
        self,
        cropping: int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.name)
        self.cropping = normalize_border(cropping, "cropping", self.name)

    @property
    def _axes(self) -> tuple[int, int]:
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.cropping):
            if shape[axis] is not None:
                shape[axis] -= before + after
                if shape[axis] <= 0:
                    raise ValueError(
                        "Values in `cropping` argument should be smaller than the corresponding spatial dimension "
                        f"of the input. Received: input_shape={tuple(input_shape)}, cropping={self.cropping} "
                        f"(layer '{self.name}')"
                    )
        return tuple(shape)

    def _kept(self, output_shape: tuple) -> tuple:
        """The index of the kept pixels inside the input."""
        index: list[slice] = [slice(None)] * 4
        for axis, (before, _) in zip(self._axes, self.cropping):
            index[axis] = slice(before, before + output_shape[axis])
        return tuple(index)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        kept = self._kept(self.compute_output_shape(x.shape))
        if training:
            self.save_for_backward({"shape": x.shape})
        return np.ascontiguousarray(x[kept])

    def backward(self, grad: np.ndarray) -> np.ndarray:
        grad_x = np.zeros(self.saved_for_backward()["shape"], dtype=grad.dtype)
        grad_x[self._kept(grad.shape)] = grad
        return grad_x

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
