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
    is the running maximum of those slices. In training the layer also keeps,
    per output, which position won (the first one on ties, as TensorFlow does).

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
        sh, sw = self.strides
        result = winner = None
        for k, (i, j) in enumerate(self._offsets()):
            candidate = x_padded[:, ops.window_slice(i, sh, out_h), ops.window_slice(j, sw, out_w), :]
            if result is None:
                result = candidate.copy()
                if training:
                    winner = np.zeros(result.shape, dtype=np.uint16)
                continue
            if training:
                np.copyto(winner, k, where=candidate > result)
            np.maximum(result, candidate, out=result)
        if training:
            self._cache = {
                "winner": winner,
                "padded_shape": x_padded.shape,
                "pads": pads,
                "input_hw": (height, width),
            }
        return np.moveaxis(result, -1, 1) if self.data_format == "channels_first" else result

    def backward(self, grad):
        cache = self._pop_cache()
        if self.data_format == "channels_first":
            grad = np.moveaxis(grad, 1, -1)
        winner = cache["winner"]
        out_h, out_w = winner.shape[1:3]
        sh, sw = self.strides
        grad_padded = np.zeros(cache["padded_shape"], dtype=grad.dtype)
        for k, (i, j) in enumerate(self._offsets()):
            grad_padded[:, ops.window_slice(i, sh, out_h), ops.window_slice(j, sw, out_w), :] += grad * (winner == k)
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
