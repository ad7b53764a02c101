"""2D max pooling, vectorized over the window offsets."""

from __future__ import annotations

import numpy as np

from minikeras import ops
from minikeras.layers.base import Layer, normalize_data_format, normalize_padding, normalize_tuple
from minikeras.layers.convolutional import from_channels_last, spatial_output_shape, to_channels_last


class MaxPooling2D(Layer):
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

    input_ndim = 4

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size", self.name)
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, 2, "strides", self.name)
        self.padding = normalize_padding(padding, self.name)
        self.data_format = normalize_data_format(data_format, self.name)

    def compute_output_shape(self, input_shape):
        shape = to_channels_last(input_shape, self.data_format)
        out_h, out_w = spatial_output_shape(self, shape, self.pool_size, self.strides, self.padding)
        return from_channels_last((shape[0], out_h, out_w, shape[3]), self.data_format)

    def _offsets(self):
        ph, pw = self.pool_size
        return [(i, j) for i in range(ph) for j in range(pw)]

    def forward(self, x, training=False):
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        _, height, width, _ = x.shape
        pads = tuple(
            ops.padding_amounts(length, size, stride, self.padding)
            for length, size, stride in zip((height, width), self.pool_size, self.strides)
        )
        out_h, out_w = (
            ops.output_length(length, size, stride, self.padding)
            for length, size, stride in zip((height, width), self.pool_size, self.strides)
        )
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
            self._cache = cache
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
            if training:
                # Offsets come in increasing order, so "set to k where better" is a maximum
                # (np.where and copyto(where=) are ~10x slower here).
                np.maximum(winner, (candidate > result).view(np.uint8) * np.uint16(k), out=winner)
            np.maximum(result, candidate, out=result)
        return result, winner

    def backward(self, grad):
        cache = self._pop_cache()
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
                np.multiply(grad_rows, cache["row_winner"] == k, out=grad_padded[:, ops.window_slice(k, ph, out_h), :, :])
        grad_x = ops.crop_spatial(grad_padded, cache["pads"], cache["input_hw"])
        return np.moveaxis(grad_x, -1, 1) if self.data_format == "channels_first" else grad_x

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        }


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

    result = x[offset(0)].copy()
    winner = np.zeros(result.shape, dtype=np.uint8) if training else None
    for k in range(1, size):
        candidate = x[offset(k)]
        if training:
            # Offsets come in increasing order, so "set to k where better" is a maximum
            # (np.where and copyto(where=) are ~10x slower here).
            np.maximum(winner, (candidate > result).view(np.uint8) * np.uint8(k), out=winner)
        np.maximum(result, candidate, out=result)
    return result, winner
