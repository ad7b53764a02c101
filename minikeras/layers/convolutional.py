"""2D convolution, vectorized as one matrix product per batch (im2col), one per group of channels."""

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
from minikeras.layers.input_spec import InputSpec
from minikeras.ops import groups as channel_groups


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
                f"Computed output size would be zero or negative in layer '{layer.name}' ({type(layer).__name__}): "
                f"window {tuple(window)} with padding='{padding}' does not fit the input of shape "
                f"{tuple(input_shape)}. Use padding='same' or a smaller window."
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
    `(kh, kw, in // groups, filters)` as Keras stores it, bias `(filters,)`, y
    `(batch, out_h, out_w, filters)`.

    Forward: every window of the padded input becomes one row of a matrix
    `cols` of shape `(batch * out_h * out_w, kh * kw * in)` (`ops.im2col`), and the
    convolution is one matrix product `z = cols @ kernel.reshape(kh * kw * in, filters)`,
    plus the bias, then the activation.

    Groups: with `groups = G`, the input channels and the filters are cut into G
    consecutive blocks, and filter block g sees only channel block g. The columns of
    `cols` are cut the same way, giving G matrices `(rows, kh * kw * in / G)`, and the
    kernel gives G matrices `(kh * kw * in / G, filters / G)`: the convolution is one
    batched product of the G pairs (`np.matmul` over a leading group axis), whose G
    results, side by side, are the filters in order. With G = 1 it is the product above.

    Backward, with g = dL/dz of shape `(batch * out_h * out_w, filters)`, per group:
    `dL/dkernel = cols^T g`, `dL/dbias = sum of g over rows`, and
    `dL/dcols = g kernel^T`, whose rows are added back to the pixels each window
    came from (`ops.col2im`): the loops over samples, positions and taps of a
    window-by-window convolution, as three matrix products and a loop over the taps.
    (`minikeras.fast.conv2d` computes the same with less memory traffic, for `groups=1`.)

    Args:
        filters: number of output channels, divisible by `groups`.
        kernel_size: int or (rows, cols).
        strides: int or (rows, cols), default 1.
        padding: "valid" (no padding) or "same" (output size ceil(input / stride),
            padding split as Keras does, the extra row/column at the bottom/right).
        data_format: "channels_last" (default) or "channels_first".
        dilation_rate: int or (rows, cols), spacing of kernel taps (default 1).
        groups: positive integer dividing both `filters` and the input channels
            (default 1: every filter sees every channel; `groups = in` with
            `filters = in`: a depthwise convolution).
        activation: name or activation object (default None: linear).
        use_bias: default True.
        kernel_initializer: default "glorot_uniform".
        bias_initializer: default "zeros".

    Example:
        >>> Conv2D(8, 3, padding="same")(np.zeros((2, 28, 28, 1))).shape
        (2, 28, 28, 8)
        >>> layer = Conv2D(6, 3, groups=2)
        >>> layer(np.zeros((1, 5, 5, 4))).shape, layer.kernel.shape
        ((1, 3, 3, 6), (3, 3, 2, 6))
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
        groups: int = 1,
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
                "Invalid value for argument `filters`. Expected a strictly positive value. "
                f"Received filters={filters!r} (layer '{self.name}')."
            )
        self.filters = int(filters)
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(
                f"The number of groups must be a positive integer. Received: groups={groups!r} (layer '{self.name}')."
            )
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={self.groups}, filters={self.filters} (layer '{self.name}')."
            )
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

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape: tuple) -> None:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"The channel axis of the input to Conv2D layer '{self.name}' must be known. Received: {input_shape}"
            )
        if channels % self.groups:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of groups. "
                f"Received groups={self.groups}, but the input has {channels} channels "
                f"(full input shape is {input_shape}; layer '{self.name}')."
            )
        self.kernel = self._add_param(
            "kernel",
            (*self.kernel_size, channels // self.groups, self.filters),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self._add_param("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)
            if self.use_bias
            else None
        )
        # The kernel fixes the channel axis only: any height and width the window fits in will do.
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})

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

    @property
    def _taps(self) -> int:
        return self.kernel_size[0] * self.kernel_size[1]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        n, height, width, _ = x.shape
        pads, out_hw = self._geometry(height, width)
        x_padded = ops.pad_spatial(x, pads)
        cols = ops.im2col(x_padded, self.kernel_size, self.strides, self.dilation_rate, out_hw)
        cols = channel_groups.group_columns(cols, self._taps, self.groups)  # one batched product over the groups
        z = channel_groups.ungroup_outputs(np.matmul(cols, channel_groups.group_kernel(self.kernel, self.groups)))
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
        grouped_grad_z = channel_groups.group_outputs(grad_z, self.groups)
        grad_kernel = np.matmul(cache["cols"].transpose(0, 2, 1), grouped_grad_z)
        self.grads["kernel"] = channel_groups.ungroup_kernel(grad_kernel, self.kernel.shape)
        if self.use_bias:
            self.grads["bias"] = grad_z.sum(axis=0)
        grouped_kernel = channel_groups.group_kernel(self.kernel, self.groups)
        grouped_grad_cols = np.matmul(grouped_grad_z, grouped_kernel.transpose(0, 2, 1))
        grad_cols = channel_groups.ungroup_columns(grouped_grad_cols, self._taps)
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
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }
