"""2D convolution, vectorized as one matrix product per batch (im2col)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minikeras import activations, initializers, ops, regularizers
from minikeras.layers.base import (
    Layer,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)


def spatial_output_shape(
    layer: Layer,
    input_shape: Sequence[int | None],
    window: Sequence[int],
    strides: Sequence[int],
    padding: str,
    dilation: Sequence[int] = (1, 1),
) -> tuple[int | None, ...]:
    """Output (height, width) of a sliding-window layer, or a ValueError naming the layer.

    Used by Conv2D and the pooling layers; `input_shape` is channels_last.
    """
    height, width = input_shape[1], input_shape[2]
    out: list[int | None] = []
    for length, size, stride, rate in zip((height, width), window, strides, dilation):
        if length is None:
            out.append(None)
            continue
        n = ops.output_length(length, size, stride, padding, rate)
        if n <= 0:
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}): window {tuple(window)} with padding='{padding}' "
                f"does not fit the input of shape {tuple(input_shape)}; the output would be empty. "
                "Use padding='same' or a smaller window."
            )
        out.append(n)
    return tuple(out)


def to_channels_last(shape: Sequence[int | None], data_format: str) -> tuple:
    """Rewrite a channels_first shape `(N, C, H, W)` as `(N, H, W, C)`."""
    if data_format == "channels_first":
        return (shape[0], *shape[2:], shape[1])
    return tuple(shape)


def from_channels_last(shape: Sequence[int | None], data_format: str) -> tuple:
    """Rewrite a channels_last shape `(N, H, W, C)` in `data_format`."""
    if data_format == "channels_first":
        return (shape[0], shape[-1], *shape[1:-1])
    return tuple(shape)


class Conv2D(Layer):
    """2D convolution: `y = activation(conv(x, kernel) + bias)`.

    Shapes (channels_last): x `(batch, height, width, in)`, kernel
    `(kh, kw, in, filters)` as Keras stores it, bias `(filters,)`, y
    `(batch, out_h, out_w, filters)`.

    Forward: every window of the padded input becomes one row of a matrix
    `cols` of shape `(batch * out_h * out_w, kh * kw * in)` (`ops.im2col`), and the
    convolution is one matrix product `z = cols @ kernel.reshape(kh * kw * in, filters)`,
    plus the bias, then the activation.

    Backward, with g = dL/dz of shape `(batch * out_h * out_w, filters)`:
    `dL/dkernel = cols^T g`, `dL/dbias = sum of g over rows`, and
    `dL/dcols = g kernel^T`, whose rows are added back to the pixels each window
    came from (`ops.col2im`): the loops over samples, positions and taps of a
    window-by-window convolution, as three matrix products and a loop over the taps.
    (`minikeras.fast.conv2d` computes the same with less memory traffic.)

    Args:
        filters: number of output channels.
        kernel_size: int or (rows, cols).
        strides: int or (rows, cols), default 1.
        padding: "valid" (no padding) or "same" (output size ceil(input / stride),
            padding split as Keras does, the extra row/column at the bottom/right).
        data_format: "channels_last" (default) or "channels_first".
        dilation_rate: int or (rows, cols), spacing of kernel taps (default 1).
        activation: name or activation object (default None: linear).
        use_bias: default True.
        kernel_initializer: default "glorot_uniform".
        bias_initializer: default "zeros".

    Example:
        >>> Conv2D(8, 3, padding="same")(np.zeros((2, 28, 28, 1))).shape
        (2, 28, 28, 8)
    """

    splittable_inference = True

    input_ndim = 4

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, int] = (1, 1),
        activation: activations.ActivationLike = None,
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        bias_initializer: initializers.InitializerLike = "zeros",
        kernel_regularizer: regularizers.RegularizerLike = None,
        bias_regularizer: regularizers.RegularizerLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(
                f"filters of layer '{self.name}' must be a positive integer. Received: filters={filters!r}"
            )
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size", self.name)
        self.strides = normalize_tuple(strides, 2, "strides", self.name)
        self.padding = normalize_padding(padding, self.name)
        self.data_format = normalize_data_format(data_format, self.name)
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate", self.name)
        if self.dilation_rate != (1, 1) and self.strides != (1, 1):
            raise ValueError(
                f"Layer '{self.name}': dilation_rate > 1 requires strides = 1, as in Keras. "
                f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: tuple) -> None:
        channels = to_channels_last(input_shape, self.data_format)[-1]
        if channels is None:
            raise ValueError(
                f"The channel axis of the input to Conv2D layer '{self.name}' must be known. Received: {input_shape}"
            )
        self.kernel = self.add_weight(
            "kernel",
            (*self.kernel_size, channels, self.filters),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)
            if self.use_bias
            else None
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = to_channels_last(input_shape, self.data_format)
        out_h, out_w = spatial_output_shape(
            self, shape, self.kernel_size, self.strides, self.padding, self.dilation_rate
        )
        return from_channels_last((shape[0], out_h, out_w, self.filters), self.data_format)

    def _geometry(self, height, width):
        """Padding and output size for an input of `height` x `width`."""
        pads = tuple(
            ops.padding_amounts(length, size, stride, self.padding, rate)
            for length, size, stride, rate in zip((height, width), self.kernel_size, self.strides, self.dilation_rate)
        )
        out_hw = tuple(
            ops.output_length(length, size, stride, self.padding, rate)
            for length, size, stride, rate in zip((height, width), self.kernel_size, self.strides, self.dilation_rate)
        )
        return pads, out_hw

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        n, height, width, _ = x.shape
        pads, out_hw = self._geometry(height, width)
        x_padded = ops.pad_spatial(x, pads)
        cols = ops.im2col(x_padded, self.kernel_size, self.strides, self.dilation_rate, out_hw)
        z = cols @ self.kernel.reshape(-1, self.filters)
        if self.use_bias:
            z = z + self.bias
        y = self.activation(z)
        if training:
            self.save_for_backward({
                "cols": cols,
                "z": z,
                "y": y,
                "padded_shape": x_padded.shape,
                "pads": pads,
                "input_hw": (height, width),
                "out_hw": out_hw,
            })
        y = y.reshape(n, *out_hw, self.filters)
        return np.moveaxis(y, -1, 1) if self.data_format == "channels_first" else y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        if self.data_format == "channels_first":
            grad = np.moveaxis(grad, 1, -1)
        grad_z = self.activation.gradient(grad.reshape(-1, self.filters), cache["z"], cache["y"])
        self.grads["kernel"] = (cache["cols"].T @ grad_z).reshape(self.kernel.shape)
        if self.use_bias:
            self.grads["bias"] = grad_z.sum(axis=0)
        grad_cols = grad_z @ self.kernel.reshape(-1, self.filters).T
        grad_padded = ops.col2im(
            grad_cols, cache["padded_shape"], self.kernel_size, self.strides, self.dilation_rate, cache["out_hw"]
        )
        grad_x = ops.crop_spatial(grad_padded, cache["pads"], cache["input_hw"])
        return np.moveaxis(grad_x, -1, 1) if self.data_format == "channels_first" else grad_x

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }
