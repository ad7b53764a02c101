"""A Conv2D and the 2x2 max pooling after it, run as one step: the fast path of the pair.

In most small Keras CNNs (README.md's among them), `Conv2D(..., activation="relu")` is followed
by `MaxPooling2D(2)`. Run one layer after the other, the convolution writes its full-size
output, and the pooling reads it back through strided slices whose inner run is only
`filters` values long, numpy's slowest case; backward does the same twice more. Run as one
step, the arithmetic is the same but the layout changes:

- the im2col rows are grouped by pool offset (`fast.windows.im2col_by_pool_offset`), so the product
  with the kernel holds the four offsets of every pooling window as four contiguous blocks,
  and pooling is three elementwise maxima of whole blocks;
- ReLU is applied after the pooling, to a quarter of the values. Max and ReLU commute (ReLU
  never decreases), and so do their gradients: the gradient reaches a window's winner only
  where the maximum is positive, which is the element, and the value, that ReLU followed
  by pooling gives; where the maximum is not positive both give zero.
- the winner is chosen as `MaxPooling2D` chooses it: over rows first, then over columns,
  the first one on ties.

So the outputs and gradients are those of the two layers run in turn; only the order of
the floating-point sums inside the kernel gradient differs: the reference is
`MaxPooling2D.forward(Conv2D.forward(x))` and their backward passes in turn. A model runs this
step in training and in inference wherever `fits` says it applies (`minikeras.fast.plan`);
calling a layer directly, `layer(x)`, runs that layer's own `forward`.
"""

from __future__ import annotations

import numpy as np

from minikeras import activations
from minikeras.fast import chunks, windows
from minikeras.fast.conv2d import (
    by_kernel_rows,
    gradient_width_padding,
    input_gradient_of,
    kernel_matrix,
    store_weight_gradients,
)
from minikeras.fast.work_buffers import buffers_of
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.pooling import MaxPooling2D


class ConvMaxPool:
    """Runs `conv` and the 2x2 max pooling `pool` after it as one step.

    Like every step of `minikeras.fast.plan`, it has `forward(x, training)` and
    `backward(grad, input_gradient)`. The kernel and bias gradients go to `conv.grads`, as
    `conv.backward` would leave them.

    Args:
        conv: a `Conv2D` for which `ConvMaxPool.fits(conv, pool)` holds.
        pool: the `MaxPooling2D` right after it.
        chunk_values: about how many values one chunk's im2col matrix and product hold.
        by_column_phase: passed to `fast.windows.im2col_by_pool_offset` (None: its own choice).
        by_rows: dL/dx kernel row by kernel row or by col2im, as in `fast.conv2d.Conv2DStep`.
    """

    def __init__(
        self,
        conv: Conv2D,
        pool: MaxPooling2D,
        chunk_values: int = chunks.CHUNK_VALUES,
        by_column_phase: bool | None = None,
        by_rows: bool | None = None,
    ):
        self.conv = conv
        self.pool = pool
        self.chunk_values = chunk_values
        self.by_column_phase = by_column_phase
        self.by_rows = by_rows
        self._cache: dict | None = None

    @staticmethod
    def fits(conv, pool) -> bool:
        """Whether the pair can run as one step with the same results.

        The classes must be exactly Conv2D and MaxPooling2D (a subclass may change
        `forward`), the convolution dense (strides and dilation 1, one group) with a ReLU or no
        activation, the pooling 2x2 with strides 2 and "valid" padding, both channels_last,
        and no activity regularizer on either (its penalty needs the unpooled output).
        """
        return (
            type(conv) is Conv2D
            and type(pool) is MaxPooling2D
            and conv.groups == 1
            and (_is_plain_relu(conv.activation) or type(conv.activation) is activations.Linear)
            and conv.data_format == "channels_last"
            and pool.data_format == "channels_last"
            and conv.strides == (1, 1)
            and conv.dilation_rate == (1, 1)
            and pool.pool_size == (2, 2)
            and pool.strides == (2, 2)
            and pool.padding == "valid"
            and conv.activity_regularizer is None
            and pool.activity_regularizer is None
        )

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """`pool.forward(conv.forward(x))`: `(batch, height, width, in)` -> `(batch, out_h // 2, out_w // 2, filters)`.

        A large batch runs in chunks of samples (`fast.chunks`) that stay in cache.
        """
        conv = self.conv
        _, height, width, _ = x.shape
        pads, out_hw = conv._geometry(height, width)
        pooled_hw = (out_hw[0] // 2, out_hw[1] // 2)  # "valid" pooling leaves an odd last row or column out
        kernel = kernel_matrix(conv)
        buffers = buffers_of(conv) if training else None

        def forward_chunk(x_chunk, index, out):
            return self._forward_chunk(x_chunk, pads, pooled_hw, kernel, buffers, index, out)

        values_per_sample = out_hw[0] * out_hw[1] * (kernel.shape[0] + conv.filters)
        dtype = np.result_type(x.dtype, kernel.dtype)
        shape = (*pooled_hw, conv.filters)
        pooled, chunk_caches = chunks.forward_in_chunks(
            x, values_per_sample, shape, dtype, forward_chunk, self.chunk_values
        )
        if training:
            self._cache = {"chunks": chunk_caches, "input_shape": x.shape, "pads": pads, "out_hw": out_hw}
        return pooled

    def _forward_chunk(self, x, pads, pooled_hw, kernel, buffers, index, out=None):
        """The pooled output of samples `x` (chunk `index` of the batch, written into `out` if
        given), and (in training, when `buffers` is given) what backward needs of them."""
        conv = self.conv
        training = buffers is not None
        # In training, the large temporaries go to the convolution's work buffers, reused every
        # step: the im2col matrix and the winners live until backward, the rest only until pooling.
        x_padded = windows.pad_spatial(x, pads, empty=buffers.allocator("x_padded") if training else None)
        empty = buffers.allocator(f"cols{index}") if training else np.empty
        cols = windows.im2col_by_pool_offset(
            x_padded, conv.kernel_size, pooled_hw, conv.use_bias, empty, self.by_column_phase
        )
        dtype = np.result_type(cols.dtype, kernel.dtype)
        z = buffers.get("z", (len(cols), conv.filters), dtype) if training else None
        z = np.matmul(cols, kernel, out=z).reshape(2, 2, -1)  # z[dy, dx]: that offset of every window, flat
        column_max = buffers.get("column_max", z.shape[1:], dtype) if training else None
        column_max = np.maximum(z[0], z[1], out=column_max)  # over the two rows, for each column offset
        pooled = np.maximum(column_max[0], column_max[1], out=None if out is None else out.reshape(-1))
        relu = _is_plain_relu(conv.activation)
        if relu:
            np.maximum(pooled, 0, out=pooled)
        cache = None
        if training:
            row_winner = buffers.get(f"row_winner{index}", z.shape[1:], np.bool_)
            column_winner = buffers.get(f"column_winner{index}", column_max.shape[1:], np.bool_)
            cache = {
                "cols": cols,
                "pooled": pooled if relu else None,
                # for each column offset: the bottom row strictly greater
                "row_winner": np.greater(z[1], z[0], out=row_winner),
                # then the right column strictly greater
                "column_winner": np.greater(column_max[1], column_max[0], out=column_winner),
                "padded_shape": x_padded.shape,
            }
        return pooled.reshape(len(x), *pooled_hw, conv.filters), cache

    def backward(self, grad: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """dL/dx from dL/d(pooled output), or None without `input_gradient`; sets `conv.grads`."""
        cache = self._cache
        if cache is None:
            raise RuntimeError(
                f"Layers '{self.conv.name}' and '{self.pool.name}': backward needs a preceding forward in training."
            )
        self._cache = None

        def backward_chunk(grad_chunk, chunk):
            return self._backward_chunk(grad_chunk, chunk, cache, input_gradient)

        matrix_grad, grad_x = chunks.backward_in_chunks(cache["chunks"], grad, cache["input_shape"], backward_chunk)
        store_weight_gradients(self.conv, matrix_grad)
        return grad_x

    def _backward_chunk(self, grad, chunk, cache, input_gradient):
        """`(cols^T dL/dz, dL/dx or None)` for the samples of one chunk."""
        conv = self.conv
        buffers = buffers_of(conv)
        grad_pooled = grad.reshape(-1)
        if chunk["pooled"] is not None:  # ReLU: only where the window's maximum is positive
            positive = np.greater(chunk["pooled"], 0, out=buffers.get("positive", grad_pooled.shape, np.bool_))
            grad_pooled = np.multiply(
                grad_pooled, positive, out=buffers.get("grad_pooled", grad_pooled.shape, grad_pooled.dtype)
            )
        # To each window's winner: its column, then its row. g - g * w is g * (1 - w) exactly.
        # These temporaries never leave the step: the convolution's work buffers hold them.
        grad_columns = buffers.get("grad_columns", (2, grad_pooled.size), grad_pooled.dtype)
        np.multiply(grad_pooled, chunk["column_winner"], out=grad_columns[1])
        np.subtract(grad_pooled, grad_columns[1], out=grad_columns[0])
        grad_z = buffers.get("grad_z", (2, 2, grad_pooled.size), grad_pooled.dtype)
        np.multiply(grad_columns, chunk["row_winner"], out=grad_z[1])
        np.subtract(grad_columns, grad_z[1], out=grad_z[0])
        matrix_grad = chunk["cols"].T @ grad_z.reshape(-1, conv.filters)
        if not input_gradient:
            return matrix_grad, None
        # Back to the convolution's own (n, row, column) order for its input gradient, with the
        # zero columns it wants either side of each row.
        n, ph, pw, filters = grad.shape
        out_h, out_w = cache["out_hw"]
        by_rows = by_kernel_rows(conv) if self.by_rows is None else self.by_rows
        left, right = gradient_width_padding(conv, cache["pads"], by_rows)
        grad_out = buffers.get("grad_out", (n, out_h, left + out_w + right, filters), grad_z.dtype)
        grad_out[:, :, :left] = 0
        grad_out[:, :, left + 2 * pw :] = 0  # with the column pooling left out, if any
        grad_out[:, 2 * ph :] = 0  # the row pooling left out, if any
        windows.copy_by_runs(
            grad_out[:, : 2 * ph, left : left + 2 * pw].reshape(n, ph, 2, pw, 2, filters),
            grad_z.reshape(2, 2, n, ph, pw, filters).transpose(2, 3, 0, 4, 1, 5),
        )
        grad_x = input_gradient_of(
            conv, grad_out, chunk["padded_shape"], (out_h, out_w), cache["pads"], buffers, by_rows
        )
        return matrix_grad, grad_x


def _is_plain_relu(activation) -> bool:
    """Whether `activation` is `max(x, 0)`: a built-in rectifier (exact class: a subclass may change
    `compute`) without slope, cap or threshold."""
    return type(activation) in (activations.ReLU, activations.Rectifier) and activation.plain
