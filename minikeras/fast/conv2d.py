"""The fast path of `Conv2D`: what `Conv2D.forward` and `Conv2D.backward` compute, with less memory traffic.

Against the reference (`minikeras.layers.convolutional.Conv2D`), it changes:

- a large batch runs in chunks of samples whose im2col matrix stays in cache
  (`minikeras.fast.chunks`);
- the bias rides under the kernel matrix, as the product with a column of ones added to the
  im2col matrix (`fast.windows.im2col`): the product adds it, and the kernel gradient's product
  sums its gradient;
- in training, the large temporaries live in buffers reused from step to step
  (`minikeras.fast.work_buffers`), and an activation that needs only its output overwrites `z`;
- dL/dx comes from `fast.windows.col2im` (offset-major, no gradient of the padding), or, with
  stride 1 and at most twice as many filters as input channels, kernel row by kernel row
  (`input_gradient`), with fewer and contiguous additions;
- the first step of a model skips dL/dx (`backward(grad, input_gradient=False)`).

Outputs and gradients equal the reference's up to the order of floating-point sums
(tests/fast/test_conv2d.py compares the two through `minikeras.config.fast_paths(False)`).
"""

from __future__ import annotations

import numpy as np

from minikeras.fast import chunks, windows
from minikeras.fast.work_buffers import buffers_of
from minikeras.layers.convolutional import Conv2D


class Conv2DStep:
    """Runs one `Conv2D` layer on the fast path; its gradients go to `conv.grads`.

    Args:
        conv: the layer (exactly a `Conv2D`: a subclass may change `forward`).
        chunk_values: about how many values one chunk's im2col matrix and product hold.
        by_rows: compute dL/dx kernel row by kernel row (True) or by col2im (False); None
            (the default) chooses by `by_kernel_rows(conv)`.
    """

    def __init__(self, conv: Conv2D, chunk_values: int = chunks.CHUNK_VALUES, by_rows: bool | None = None):
        if not self.fits(conv):
            raise ValueError(
                f"Conv2DStep runs convolutions with groups=1 only; layer '{conv.name}' has groups={conv.groups} "
                "(fast.plan runs it through its own forward and backward)."
            )
        self.layer = conv
        self.chunk_values = chunk_values
        self.by_rows = by_rows
        self._cache: dict | None = None

    @staticmethod
    def fits(conv: Conv2D) -> bool:
        """Whether this step computes `conv`: not a grouped convolution (one kernel matrix for all channels)."""
        return conv.groups == 1

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """`conv.forward(x, training)`: `(batch, height, width, in)` -> `(batch, out_h, out_w, filters)`."""
        conv = self.layer
        if conv.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        _, height, width, _ = x.shape
        pads, out_hw = conv._geometry(height, width)
        kernel = kernel_matrix(conv)
        buffers = buffers_of(conv) if training else None

        def forward_chunk(x_chunk, index, out):
            return self._forward_chunk(x_chunk, pads, out_hw, kernel, buffers, index)

        values_per_sample = out_hw[0] * out_hw[1] * (kernel.shape[0] + conv.filters)
        dtype = np.result_type(x.dtype, kernel.dtype)
        y, chunk_caches = chunks.forward_in_chunks(
            x, values_per_sample, (*out_hw, conv.filters), dtype, forward_chunk, self.chunk_values
        )
        if training:
            self._cache = {"chunks": chunk_caches, "input_shape": x.shape, "pads": pads, "out_hw": out_hw}
        return np.moveaxis(y, -1, 1) if conv.data_format == "channels_first" else y

    def _forward_chunk(self, x, pads, out_hw, kernel, buffers, index):
        """The output `(samples, out_h, out_w, filters)` of samples `x` (chunk `index` of the batch),
        and (in training, when `buffers` is given) what backward needs of them."""
        conv = self.layer
        training = buffers is not None
        x_padded = windows.pad_spatial(x, pads, empty=buffers.allocator("x_padded") if training else None)
        # In training the matrix lives until backward, in a buffer the next step reuses.
        empty = buffers.allocator(f"cols{index}") if training else np.empty
        cols = windows.im2col(
            x_padded, conv.kernel_size, conv.strides, conv.dilation_rate, out_hw, conv.use_bias, empty
        )
        z = cols @ kernel
        # z is ours: an activation that needs only its output may overwrite it.
        y = conv.activation(z) if conv.activation.uses_input else conv.activation.apply_in_place(z)
        cache = None
        if training:
            cache = {
                "cols": cols,
                "z": z if conv.activation.uses_input else None,
                "y": y,
                "padded_shape": x_padded.shape,
            }
        return y.reshape(len(x), *out_hw, conv.filters), cache

    def backward(self, grad: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """`conv.backward(grad)`: sets `conv.grads`; returns dL/dx, or None without `input_gradient`."""
        conv = self.layer
        cache = self._cache
        if cache is None:
            raise RuntimeError(f"Layer '{conv.name}': backward() needs a preceding forward(x, training=True).")
        self._cache = None
        buffers = buffers_of(conv)
        by_rows = by_kernel_rows(conv) if self.by_rows is None else self.by_rows
        if conv.data_format == "channels_first":
            grad = np.moveaxis(grad, 1, -1)

        def backward_chunk(grad_chunk, chunk):
            grad_z = conv.activation.gradient(grad_chunk.reshape(-1, conv.filters), chunk["z"], chunk["y"])
            grad_x = None
            if input_gradient:
                # the layout `input_gradient` takes: (samples, out_h, out_w, filters), zero columns either side
                grad_out = grad_z.reshape(len(grad_chunk), *cache["out_hw"], conv.filters)
                width_pads = gradient_width_padding(conv, cache["pads"], by_rows)
                grad_out = windows.pad_spatial(grad_out, ((0, 0), width_pads), empty=buffers.allocator("grad_rows"))
                grad_x = input_gradient_of(
                    conv, grad_out, chunk["padded_shape"], cache["out_hw"], cache["pads"], buffers, by_rows
                )
            return chunk["cols"].T @ grad_z, grad_x

        matrix_grad, grad_x = chunks.backward_in_chunks(cache["chunks"], grad, cache["input_shape"], backward_chunk)
        store_weight_gradients(conv, matrix_grad)
        if not input_gradient:
            return None
        return np.moveaxis(grad_x, -1, 1) if conv.data_format == "channels_first" else grad_x


def kernel_matrix(conv: Conv2D) -> np.ndarray:
    """The kernel as `(kh * kw * in, filters)`, with the bias as one more row when there is one."""
    matrix = conv.kernel.reshape(-1, conv.filters)
    return np.concatenate([matrix, conv.bias[None, :]]) if conv.bias is not None else matrix  # use_bias


def store_weight_gradients(conv: Conv2D, matrix_grad: np.ndarray) -> None:
    """Set `conv.grads` from `cols.T @ grad_z`, `(kh * kw * in [+ 1], filters)`."""
    if conv.use_bias:  # the ones column's row: the sum of grad_z over all positions
        conv.grads["kernel"] = matrix_grad[:-1].reshape(conv.kernel.shape)
        conv.grads["bias"] = matrix_grad[-1]
    else:
        conv.grads["kernel"] = matrix_grad.reshape(conv.kernel.shape)


def by_kernel_rows(conv: Conv2D) -> bool:
    """Whether `input_gradient_of` works kernel row by kernel row rather than by col2im.

    It needs stride 1 and no dilation, and pays while the filters are at most twice the
    input channels: its matrix of gradient windows has `kw * filters` columns where col2im's
    product has `kh * kw * in` (docs/performance.md gives the measurements).
    """
    channels = conv.kernel.shape[2]
    return conv.strides == (1, 1) and conv.dilation_rate == (1, 1) and conv.filters <= 2 * channels


def gradient_width_padding(conv: Conv2D, pads, by_rows: bool) -> tuple[int, int]:
    """Zero columns `(left, right)` that `input_gradient_of(..., by_rows)` wants around each row of dL/dz."""
    if not by_rows:
        return 0, 0
    kw = conv.kernel_size[1]
    (_, _), (left, right) = pads
    return kw - 1 - left, kw - 1 - right


def input_gradient_of(conv: Conv2D, grad, padded_shape, out_hw, pads, buffers, by_rows: bool):
    """dL/dx (channels_last) from dL/dz: what `Conv2D.backward` returns.

    Args:
        conv: the layer.
        grad: dL/dz, `(batch, out_h, out_w + left + right, filters)` with
            `(left, right) = gradient_width_padding(conv, pads, by_rows)` columns of zeros either side.
        padded_shape: `(batch, Hp, Wp, in)` of the padded input.
        out_hw: `(out_h, out_w)`.
        pads: the input's padding, `((top, bottom), (left, right))`.
        buffers: the layer's `WorkBuffers`.
        by_rows: kernel row by kernel row (True, stride 1 and no dilation only) or by col2im
            (False); `by_kernel_rows(conv)` says which pays.

    Returns:
        dL/dx, `(batch, Hp - top - bottom, Wp - left - right, in)`.
    """
    kh, kw, channels, filters = conv.kernel.shape
    dtype = np.result_type(grad.dtype, conv.kernel.dtype)
    if by_rows:
        # Stride 1: along a row, dL/dx is the correlation of the zero-padded row of dL/dz
        # with the kernel row reversed, one product of the rows' windows (im2col with a
        # 1 x kw window: kw * filters columns) with the kh kernel rows at once. What each
        # kernel row gives goes to the input row it is offset to: col2im with a kh x 1
        # window, kh whole-row additions instead of kh * kw scattered ones.
        n, _, padded_width, _ = grad.shape
        width = padded_width - kw + 1
        row_windows = windows.im2col(
            grad, (1, kw), (1, 1), (1, 1), (out_hw[0], width), empty=buffers.allocator("grad_windows")
        )
        row_kernels = conv.kernel[:, ::-1].transpose(0, 1, 3, 2).reshape(kh, kw * filters, channels)
        buffer = buffers.get("grad_by_kernel_row", (kh, row_windows.shape[0], channels), dtype)
        by_kernel_row = np.matmul(row_windows, row_kernels, out=buffer)
        rows_shape = (n, padded_shape[1], width, channels)  # padded along the height only
        return windows.col2im(by_kernel_row, rows_shape, (kh, 1), (1, 1), (1, 1), (out_hw[0], width), (pads[0], (0, 0)))
    # dL/dcols, computed offset by offset: (kh * kw, rows, in) = grad_z @ kernel[i, j]^T for every (i, j).
    grad_z = grad.reshape(-1, filters)
    per_offset_kernel = conv.kernel.reshape(kh * kw, channels, filters).transpose(0, 2, 1)
    buffer = buffers.get("grad_patches", (kh * kw, grad_z.shape[0], channels), dtype)
    grad_patches = np.matmul(grad_z, per_offset_kernel, out=buffer)
    return windows.col2im(grad_patches, padded_shape, conv.kernel_size, conv.strides, conv.dilation_rate, out_hw, pads)
