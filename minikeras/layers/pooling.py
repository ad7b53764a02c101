"""2D pooling: max and average over sliding windows, and global pooling, vectorized over window offsets."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import ops
from minikeras.layers.base import Layer, normalize_data_format, normalize_padding, normalize_tuple
from minikeras.layers.convolutional import from_channels_last, spatial_output_shape, to_channels_last


class BasePooling2D(Layer):
    """What the sliding-window pooling layers share: their arguments, output shape and geometry.

    Args:
        pool_size: int or (rows, cols), default (2, 2).
        strides: int or (rows, cols); defaults to `pool_size`.
        padding: "valid" or "same".
        data_format: "channels_last" (default) or "channels_first".
    """

    splittable_inference = True

    input_ndim = 4

    def __init__(
        self,
        pool_size: int | tuple[int, int] = (2, 2),
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size", self.name)
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, 2, "strides", self.name)
        self.padding = normalize_padding(padding, self.name)
        self.data_format = normalize_data_format(data_format, self.name)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = to_channels_last(input_shape, self.data_format)
        out_h, out_w = spatial_output_shape(self, shape, self.pool_size, self.strides, self.padding)
        return from_channels_last((shape[0], out_h, out_w, shape[3]), self.data_format)

    def _geometry(self, height, width):
        """`(pads, (out_h, out_w))` for an input of `height` x `width`, padded as Keras pads."""
        pads = tuple(
            ops.padding_amounts(length, size, stride, self.padding)
            for length, size, stride in zip((height, width), self.pool_size, self.strides)
        )
        out_hw = tuple(
            ops.output_length(length, size, stride, self.padding)
            for length, size, stride in zip((height, width), self.pool_size, self.strides)
        )
        return pads, out_hw

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling2D(BasePooling2D):
    """Max pooling over 2D windows.

    Shapes (channels_last): x `(batch, height, width, channels)` ->
    y `(batch, out_h, out_w, channels)`.

    Forward: for each of the `ph * pw` positions inside a window, one strided
    slice of the input holds that position of every window at once; the output
    is the running maximum of those slices. When the windows tile the input
    (strides equal to pool_size, the usual case) the maximum is taken over rows
    first and then over columns, `ph + pw` slices instead of `ph * pw`. In
    training the layer also keeps, per output, which position won (the first
    one on ties).

    Backward: each output's gradient goes to the input element that won its
    window; overlapping windows add up.

    Args:
        pool_size: int or (rows, cols), default (2, 2).
        strides: int or (rows, cols); defaults to `pool_size`.
        padding: "valid" or "same" ("same" pads with -inf, as Keras).
        data_format: "channels_last" (default) or "channels_first".
    """

    splittable_inference = True

    def _offsets(self):
        ph, pw = self.pool_size
        return [(i, j) for i in range(ph) for j in range(pw)]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        _, height, width, _ = x.shape
        pads, (out_h, out_w) = self._geometry(height, width)
        x_padded = ops.pad_spatial(x, pads, value=-np.inf)
        cache = {"padded_shape": x_padded.shape, "pads": pads, "input_hw": (height, width), "out_hw": (out_h, out_w)}
        if self.pool_size == self.strides:
            # Windows that tile the input: max over rows first (whole contiguous rows at a
            # time), then over columns of the result, ph + pw steps instead of ph * pw.
            rows_max, cache["row_winner"] = _max_over_offsets(x_padded, 1, self.pool_size[0], out_h, training)
            result, cache["col_winner"] = _max_over_offsets(rows_max, 2, self.pool_size[1], out_w, training)
            cache["rows_shape"] = rows_max.shape
        else:
            result, cache["winner"] = self._overlapping_max(x_padded, out_h, out_w, training)
        if training:
            self.save_for_backward(cache)
        return np.moveaxis(result, -1, 1) if self.data_format == "channels_first" else result

    def _overlapping_max(self, x_padded, out_h, out_w, training):
        """Running maximum over the ph * pw offsets of (possibly overlapping) windows."""
        sh, sw = self.strides
        result = winner = None
        for k, (i, j) in enumerate(self._offsets()):
            candidate = x_padded[:, ops.window_slice(i, sh, out_h), ops.window_slice(j, sw, out_w), :]
            if result is None:
                result = candidate.copy()
                winner = np.zeros(result.shape, dtype=np.uint16) if training else None
                continue
            if winner is not None:  # training
                # Offsets come in increasing order, so "set to k where better" is a maximum
                # (np.where and copyto(where=) are ~10x slower here).
                np.maximum(winner, (candidate > result).view(np.uint8) * np.uint16(k), out=winner)
            np.maximum(result, candidate, out=result)
        return result, winner

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        if self.data_format == "channels_first":
            grad = np.moveaxis(grad, 1, -1)
        out_h, out_w = cache["out_hw"]
        grad_padded = np.zeros(cache["padded_shape"], dtype=grad.dtype)
        if "winner" in cache:
            sh, sw = self.strides
            for k, (i, j) in enumerate(self._offsets()):
                rows, cols = ops.window_slice(i, sh, out_h), ops.window_slice(j, sw, out_w)
                grad_padded[:, rows, cols, :] += grad * (cache["winner"] == k)
        else:
            ph, pw = self.pool_size
            grad_rows = np.zeros(cache["rows_shape"], dtype=grad.dtype)
            for k in range(pw):  # written straight into the strided destination: no temporaries
                np.multiply(grad, cache["col_winner"] == k, out=grad_rows[:, :, ops.window_slice(k, pw, out_w), :])
            for k in range(ph):
                np.multiply(
                    grad_rows, cache["row_winner"] == k, out=grad_padded[:, ops.window_slice(k, ph, out_h), :, :]
                )
        grad_x = ops.crop_spatial(grad_padded, cache["pads"], cache["input_hw"])
        return np.moveaxis(grad_x, -1, 1) if self.data_format == "channels_first" else grad_x


def _max_over_offsets(x: np.ndarray, axis: int, size: int, count: int, training: bool):
    """Maximum over `count` adjacent, non-overlapping windows of `size` along `axis` (1 or 2).

    Returns:
        (maxima, winner): `winner` (uint8, or None when not training) is the
        offset inside each window that held the maximum, the first one on ties.
    """

    def offset(k):
        index = [slice(None)] * x.ndim
        index[axis] = ops.window_slice(k, size, count)
        return tuple(index)

    if size == 1:
        return x[offset(0)].copy(), (np.zeros(x[offset(0)].shape, dtype=np.uint8) if training else None)
    first, second = x[offset(0)], x[offset(1)]
    # The first two offsets in one pass each: no copy of the first slice to start from.
    winner = np.greater(second, first).view(np.uint8) if training else None
    result = np.maximum(first, second)
    for k in range(2, size):
        candidate = x[offset(k)]
        if winner is not None:  # training
            # Offsets come in increasing order, so "set to k where better" is a maximum
            # (np.where and copyto(where=) are ~10x slower here).
            np.maximum(winner, (candidate > result).view(np.uint8) * np.uint8(k), out=winner)
        np.maximum(result, candidate, out=result)
    return result, winner


class AveragePooling2D(BasePooling2D):
    """Average pooling over 2D windows.

    Shapes (channels_last): x `(batch, height, width, channels)` ->
    y `(batch, out_h, out_w, channels)`.

    Forward: a window's sum is separable, so the layer first adds the `ph`
    strided row slices of the (zero-padded) input, then the `pw` strided column
    slices of that, `ph + pw` additions over whole arrays, and divides by the
    number of input pixels in each window. With `padding="same"` the padding is
    not counted, as in Keras: a corner window that covers one real pixel
    returns that pixel.

    Backward: each output's gradient, divided by its window's count, is added
    back to every input pixel of the window, through the same two steps in
    reverse; overlapping windows add up.

    Args:
        pool_size: int or (rows, cols), default (2, 2).
        strides: int or (rows, cols); defaults to `pool_size`.
        padding: "valid" or "same".
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AveragePooling2D(2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]], dtype=float32)
    """

    splittable_inference = True

    def _window_counts(self, height, width, pads, out_hw, dtype):
        """The number of real (unpadded) pixels in each window, shaped `(out_h, out_w, 1)`."""
        counts = []
        for length, size, stride, (before, _), out in zip((height, width), self.pool_size, self.strides, pads, out_hw):
            starts = np.arange(out) * stride - before
            counts.append(np.minimum(starts + size, length) - np.maximum(starts, 0))
        return (counts[0][:, None, None] * counts[1][None, :, None]).astype(dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        _, height, width, _ = x.shape
        pads, out_hw = self._geometry(height, width)
        x_padded = ops.pad_spatial(x, pads)
        row_sums = _sum_over_offsets(x_padded, 1, self.pool_size[0], self.strides[0], out_hw[0])
        y = _sum_over_offsets(row_sums, 2, self.pool_size[1], self.strides[1], out_hw[1])
        if self.padding == "same":
            counts = self._window_counts(height, width, pads, out_hw, x.dtype)
        else:
            counts = np.asarray(self.pool_size[0] * self.pool_size[1], dtype=x.dtype)
        y /= counts
        if training:
            self.save_for_backward(
                {
                    "counts": counts,
                    "padded_shape": x_padded.shape,
                    "pads": pads,
                    "input_hw": (height, width),
                    "out_hw": out_hw,
                }
            )
        return np.moveaxis(y, -1, 1) if self.data_format == "channels_first" else y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        if self.data_format == "channels_first":
            grad = np.moveaxis(grad, 1, -1)
        (ph, pw), (sh, sw), (out_h, out_w) = self.pool_size, self.strides, cache["out_hw"]
        grad_sums = grad / cache["counts"]
        n, padded_h, padded_w, channels = cache["padded_shape"]
        grad_rows = np.zeros((n, out_h, padded_w, channels), dtype=grad.dtype)
        for j in range(pw):
            grad_rows[:, :, ops.window_slice(j, sw, out_w), :] += grad_sums
        grad_padded = np.zeros(cache["padded_shape"], dtype=grad.dtype)
        for i in range(ph):
            grad_padded[:, ops.window_slice(i, sh, out_h), :, :] += grad_rows
        grad_x = ops.crop_spatial(grad_padded, cache["pads"], cache["input_hw"])
        return np.moveaxis(grad_x, -1, 1) if self.data_format == "channels_first" else grad_x


def _sum_over_offsets(x: np.ndarray, axis: int, size: int, stride: int, count: int) -> np.ndarray:
    """Sums over `count` windows of `size` spaced `stride` apart along `axis` (1 or 2): a fresh array."""

    def offset(k):
        index = [slice(None)] * x.ndim
        index[axis] = ops.window_slice(k, stride, count)
        return tuple(index)

    result = x[offset(0)].copy()
    for k in range(1, size):
        result += x[offset(k)]
    return result


class BaseGlobalPooling2D(Layer):
    """What the global pooling layers share: arguments, output shape and the pooled axes.

    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the two spatial axes, with length 1 (default False).
    """

    splittable_inference = True

    input_ndim = 4

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.name)
        if not isinstance(keepdims, (bool, np.bool_)):
            raise ValueError(f"keepdims of layer '{self.name}' must be True or False. Received: keepdims={keepdims!r}")
        self.keepdims = bool(keepdims)

    @property
    def _axes(self) -> tuple[int, int]:
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        batch, channels = input_shape[0], to_channels_last(input_shape, self.data_format)[-1]
        if not self.keepdims:
            return (batch, channels)
        return from_channels_last((batch, 1, 1, channels), self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(BaseGlobalPooling2D):
    """The mean of each channel over all positions: `(batch, height, width, channels)` -> `(batch, channels)`.

    Backward: every input pixel receives its channel's gradient divided by
    `height * width`.

    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the spatial axes with length 1, giving
            `(batch, 1, 1, channels)` (default False).

    Example:
        >>> GlobalAveragePooling2D()(np.ones((2, 4, 5, 3))).shape
        (2, 3)
    """

    splittable_inference = True

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if training:
            self.save_for_backward({"shape": x.shape})
        return x.mean(axis=self._axes, keepdims=self.keepdims)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self.saved_for_backward()["shape"]
        if not self.keepdims:
            grad = np.expand_dims(grad, self._axes)
        grad_x = np.empty(shape, dtype=grad.dtype)
        grad_x[...] = grad / (shape[self._axes[0]] * shape[self._axes[1]])
        return grad_x


class GlobalMaxPooling2D(BaseGlobalPooling2D):
    """The maximum of each channel over all positions: `(batch, height, width, channels)` -> `(batch, channels)`.

    Backward: a channel's gradient goes to the pixel that held the maximum;
    when several pixels tie, it is shared equally between them, as Keras's
    backends differentiate a reduce-max.

    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the spatial axes with length 1, giving
            `(batch, 1, 1, channels)` (default False).

    Example:
        >>> GlobalMaxPooling2D(keepdims=True)(np.ones((2, 4, 5, 3))).shape
        (2, 1, 1, 3)
    """

    splittable_inference = True

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = x.max(axis=self._axes, keepdims=True)
        if training:
            winners = x == y
            self.save_for_backward(
                {"winners": winners, "ties": winners.sum(axis=self._axes, keepdims=True, dtype=x.dtype)}
            )
        return y if self.keepdims else y.reshape(y.shape[0], -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        if not self.keepdims:
            grad = np.expand_dims(grad, self._axes)
        return cache["winners"] * (grad / cache["ties"])
