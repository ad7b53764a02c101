"""2D convolution, vectorized as one matrix product per batch (im2col)."""

from __future__ import annotations

import numpy as np

from minikeras import activations, initializers, ops, regularizers
from minikeras.layers import batch_chunks
from minikeras.layers.base import (
    Layer,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)


def spatial_output_shape(layer, input_shape, window, strides, padding, dilation=(1, 1)):
    """Output (height, width) of a sliding-window layer, or a ValueError naming the layer.

    Used by Conv2D and the pooling layers; `input_shape` is channels_last.
    """
    height, width = input_shape[1], input_shape[2]
    out = []
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


def to_channels_last(shape, data_format):
    """Rewrite a channels_first shape `(N, C, H, W)` as `(N, H, W, C)`."""
    if data_format == "channels_first":
        return (shape[0], *shape[2:], shape[1])
    return tuple(shape)


def from_channels_last(shape, data_format):
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
    `cols` of shape `(batch * out_h * out_w, kh * kw * in)` (im2col), and the
    convolution is one matrix product `cols @ kernel.reshape(kh * kw * in, filters)`.

    Backward, with g = dL/dz of shape `(batch * out_h * out_w, filters)`:
    `dL/dkernel = cols^T g`, `dL/dbias = sum of g over rows`, and
    `dL/dcols = g kernel^T`, whose rows are added back to the pixels each window
    came from (col2im): the seed notebook's four nested loops, as three products.
    With stride 1 and filters at most twice the input channels, dL/dx is computed
    kernel row by kernel row instead, with fewer and contiguous additions
    (`_input_gradient`).

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
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
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

    def build(self, input_shape):
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

    def compute_output_shape(self, input_shape):
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

    def forward(self, x, training=False):
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        _, height, width, _ = x.shape
        pads, out_hw = self._geometry(height, width)
        kernel = self._kernel_matrix()

        def forward_chunk(x_chunk, index, out):
            return self._forward_chunk(x_chunk, pads, out_hw, kernel, training, index)

        # A large batch runs in chunks of samples whose im2col matrix stays in cache.
        values_per_sample = out_hw[0] * out_hw[1] * (kernel.shape[0] + self.filters)
        dtype = np.result_type(x.dtype, kernel.dtype)
        y, chunks = batch_chunks.forward_in_chunks(x, values_per_sample, (*out_hw, self.filters), dtype, forward_chunk)
        if training:
            self._cache = {"chunks": chunks, "input_shape": x.shape, "pads": pads, "out_hw": out_hw}
        return np.moveaxis(y, -1, 1) if self.data_format == "channels_first" else y

    def _forward_chunk(self, x, pads, out_hw, kernel, training, index):
        """The output `(samples, out_h, out_w, filters)` of samples `x` (chunk `index` of the batch),
        and (in training) what backward needs of them."""
        x_padded = ops.pad_spatial(x, pads, empty=self._work_allocator("x_padded") if training else None)
        # With a bias, cols gets a column of ones and the bias rides under the kernel matrix:
        # the product adds it, and in backward the kernel gradient's product sums its gradient.
        # In training, the matrix lives until backward in a buffer reused by the next step.
        empty = self._work_allocator(f"cols{index}") if training else np.empty
        cols = ops.im2col(x_padded, self.kernel_size, self.strides, self.dilation_rate, out_hw, self.use_bias, empty)
        z = cols @ kernel
        # z is ours: an activation that needs only its output may overwrite it.
        y = self.activation(z) if self.activation.uses_input else self.activation.apply_in_place(z)
        cache = None
        if training:
            cache = {
                "cols": cols,
                "z": z if self.activation.uses_input else None,
                "y": y,
                "padded_shape": x_padded.shape,
            }
        return y.reshape(len(x), *out_hw, self.filters), cache

    def _kernel_matrix(self):
        """The kernel as `(kh * kw * in, filters)`, with the bias as one more row when there is one."""
        matrix = self.kernel.reshape(-1, self.filters)
        return np.concatenate([matrix, self.bias[None, :]]) if self.use_bias else matrix

    def backward(self, grad):
        return self._backward(grad, input_gradient=True)

    def backward_without_input_gradient(self, grad):
        self._backward(grad, input_gradient=False)

    def _backward(self, grad, input_gradient):
        cache = self._pop_cache()
        if self.data_format == "channels_first":
            grad = np.moveaxis(grad, 1, -1)

        def backward_chunk(grad_chunk, chunk):
            grad_z = self.activation.gradient(grad_chunk.reshape(-1, self.filters), chunk["z"], chunk["y"])
            grad_x = None
            if input_gradient:
                # the layout `_input_gradient` takes: (samples, out_h, out_w, filters), zero columns either side
                grad_out = grad_z.reshape(len(grad_chunk), *cache["out_hw"], self.filters)
                width_pads = self._gradient_width_padding(cache["pads"])
                grad_out = ops.pad_spatial(grad_out, ((0, 0), width_pads), empty=self._work_allocator("grad_rows"))
                grad_x = self._input_gradient(grad_out, chunk["padded_shape"], cache["out_hw"], cache["pads"])
            return chunk["cols"].T @ grad_z, grad_x

        matrix_grad, grad_x = batch_chunks.backward_in_chunks(
            cache["chunks"], grad, cache["input_shape"], backward_chunk
        )
        self._store_weight_gradients(matrix_grad)
        if not input_gradient:
            return None
        return np.moveaxis(grad_x, -1, 1) if self.data_format == "channels_first" else grad_x

    def _store_weight_gradients(self, matrix_grad):
        """Set the kernel and bias gradients from `cols.T @ grad_z`, `(kh * kw * in [+ 1], filters)`."""
        if self.use_bias:  # the ones column's row: the sum of grad_z over all positions
            self.grads["kernel"] = matrix_grad[:-1].reshape(self.kernel.shape)
            self.grads["bias"] = matrix_grad[-1]
        else:
            self.grads["kernel"] = matrix_grad.reshape(self.kernel.shape)

    def _input_gradient_by_rows(self) -> bool:
        """Whether `_input_gradient` works kernel row by kernel row (see there) rather than by col2im.

        It needs stride 1 and no dilation, and pays while the filters are at most twice the
        input channels: its matrix of gradient windows has `kw * filters` columns where
        col2im's product has `kh * kw * in` (measured over 3x3 and 5x5 convolutions of 1 to
        64 channels: 0.7-1.0x the time of a whole backward at up to twice, 1.1-1.5x beyond).
        """
        channels = self.kernel.shape[2]
        return self.strides == (1, 1) and self.dilation_rate == (1, 1) and self.filters <= 2 * channels

    def _gradient_width_padding(self, pads) -> tuple[int, int]:
        """Zero columns `(left, right)` that `_input_gradient` wants around each row of dL/dz."""
        if not self._input_gradient_by_rows():
            return 0, 0
        kw = self.kernel_size[1]
        (_, _), (left, right) = pads
        return kw - 1 - left, kw - 1 - right

    def _input_gradient(self, grad, padded_shape, out_hw, pads):
        """dL/dx (channels_last) from dL/dz.

        Args:
            grad: dL/dz, `(batch, out_h, out_w + left + right, filters)` with
                `(left, right) = _gradient_width_padding(pads)` columns of zeros either side.
            padded_shape: `(batch, Hp, Wp, in)` of the padded input.
            out_hw: `(out_h, out_w)`.
            pads: the input's padding, `((top, bottom), (left, right))`.

        Returns:
            dL/dx, `(batch, Hp - top - bottom, Wp - left - right, in)`.
        """
        kh, kw, channels, filters = self.kernel.shape
        dtype = np.result_type(grad.dtype, self.kernel.dtype)
        if self._input_gradient_by_rows():
            # Stride 1: along a row, dL/dx is the correlation of the zero-padded row of dL/dz
            # with the kernel row reversed, one product of the rows' windows (im2col with a
            # 1 x kw window: kw * filters columns) with the kh kernel rows at once. What each
            # kernel row gives goes to the input row it is offset to: col2im with a kh x 1
            # window, kh whole-row additions instead of kh * kw scattered ones.
            n, _, padded_width, _ = grad.shape
            width = padded_width - kw + 1
            windows = ops.im2col(
                grad, (1, kw), (1, 1), (1, 1), (out_hw[0], width), empty=self._work_allocator("grad_windows")
            )
            row_kernels = self.kernel[:, ::-1].transpose(0, 1, 3, 2).reshape(kh, kw * filters, channels)
            buffer = self._work_buffer("grad_by_kernel_row", (kh, windows.shape[0], channels), dtype)
            by_kernel_row = np.matmul(windows, row_kernels, out=buffer)
            rows_shape = (n, padded_shape[1], width, channels)  # padded along the height only
            return ops.col2im(by_kernel_row, rows_shape, (kh, 1), (1, 1), (1, 1), (out_hw[0], width), (pads[0], (0, 0)))
        # dL/dcols, computed offset by offset: (kh * kw, rows, in) = grad_z @ kernel[i, j]^T for every (i, j).
        grad_z = grad.reshape(-1, filters)
        per_offset_kernel = self.kernel.reshape(kh * kw, channels, filters).transpose(0, 2, 1)
        buffer = self._work_buffer("grad_patches", (kh * kw, grad_z.shape[0], channels), dtype)
        grad_patches = np.matmul(grad_z, per_offset_kernel, out=buffer)
        return ops.col2im(grad_patches, padded_shape, self.kernel_size, self.strides, self.dilation_rate, out_hw, pads)

    def get_config(self):
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
