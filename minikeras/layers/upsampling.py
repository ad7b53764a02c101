"""`UpSampling2D`: enlarges images by whole factors, by nearest-neighbour or bilinear interpolation."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.layers.base import Layer, normalize_data_format, normalize_tuple

INTERPOLATIONS = ("nearest", "bilinear")


def linear_resize_matrix(in_size: int, factor: int, dtype: Any) -> np.ndarray:
    """The `(in_size * factor, in_size)` matrix of 1-D linear interpolation with half-pixel centres.

    Output pixel `o` samples the input at `(o + 0.5) / factor - 0.5`, clamped to `[0, in_size - 1]`
    (the edge pixel is repeated past the border), as Keras's `ops.image.resize` does when enlarging.
    """
    out = np.arange(in_size * factor)
    source = np.clip((out + 0.5) / factor - 0.5, 0.0, in_size - 1)
    low = np.floor(source).astype(np.intp)
    high = np.minimum(low + 1, in_size - 1)
    frac = source - low
    matrix = np.zeros((out.size, in_size), dtype=np.float64)
    np.add.at(matrix, (out, low), 1.0 - frac)
    np.add.at(matrix, (out, high), frac)
    return matrix.astype(dtype)


class UpSampling2D(Layer):
    """Enlarges each image `size[0]` times in height and `size[1]` times in width.

    Shapes (channels_last): `(batch, rows, cols, channels)` -> `(batch, rows * size[0], cols * size[1],
    channels)`; channels_first enlarges axes 2 and 3.

    "nearest" repeats each pixel; its backward sums the gradients of each pixel's copies.
    "bilinear" is separable linear interpolation with half-pixel centres, `y = A_h x A_w^T`
    per channel with the interpolation matrices `A_h` and `A_w`; its backward is the transpose,
    `dL/dx = A_h^T g A_w`.

    Args:
        size: an int or a pair `(rows, cols)` of positive upsampling factors. Default `(2, 2)`.
        data_format: "channels_last" (default) or "channels_first".
        interpolation: "nearest" (default) or "bilinear".

    Example:
        >>> UpSampling2D((2, 3))(np.ones((1, 2, 2, 1))).shape
        (1, 4, 6, 1)
    """

    splittable_inference = True

    input_ndim = 4

    def __init__(
        self,
        size: int | tuple[int, int] = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.name)
        self.size = normalize_tuple(size, 2, "size", self.name)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"Invalid value for argument `interpolation`: expected one of {INTERPOLATIONS} (the ones minikeras "
                f"implements). Received: interpolation={interpolation!r} (layer '{self.name}')"
            )
        self.interpolation = interpolation

    @property
    def _axes(self) -> tuple[int, int]:
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = list(input_shape)
        for axis, factor in zip(self._axes, self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def _matrices(self, rows: int, cols: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        return linear_resize_matrix(rows, self.size[0], dtype), linear_resize_matrix(cols, self.size[1], dtype)

    # einsum subscripts: (interpolation along rows, image, interpolation along cols) -> output.
    @property
    def _subscripts(self) -> str:
        return "oh,bhwc,pw->bopc" if self.data_format == "channels_last" else "oh,bchw,pw->bcop"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        row_axis, col_axis = self._axes
        if self.interpolation == "nearest":
            return np.repeat(np.repeat(x, self.size[0], axis=row_axis), self.size[1], axis=col_axis)
        rows_matrix, cols_matrix = self._matrices(x.shape[row_axis], x.shape[col_axis], x.dtype)
        return np.einsum(self._subscripts, rows_matrix, x, cols_matrix, optimize=True)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        row_axis, col_axis = self._axes
        rows, cols = grad.shape[row_axis] // self.size[0], grad.shape[col_axis] // self.size[1]
        if self.interpolation == "nearest":
            # Split each enlarged axis into (pixel, copy) and sum the copies.
            shape = list(grad.shape)
            shape[col_axis : col_axis + 1] = [cols, self.size[1]]
            shape[row_axis : row_axis + 1] = [rows, self.size[0]]
            return grad.reshape(shape).sum(axis=(row_axis + 1, col_axis + 2))
        rows_matrix, cols_matrix = self._matrices(rows, cols, grad.dtype)
        inputs, output = self._subscripts.split("->")
        rows_sub, image_sub, cols_sub = inputs.split(",")
        transposed = f"{rows_sub},{output},{cols_sub}->{image_sub}"
        return np.einsum(transposed, rows_matrix, grad, cols_matrix, optimize=True)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }
