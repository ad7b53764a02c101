"""A Conv2D and the 2x2 max pooling after it, run as one step in training.

In the seed CNN, as in most small Keras CNNs, `Conv2D(..., activation="relu")` is followed
by `MaxPooling2D(2)`. Run one layer after the other, the convolution writes its full-size
output, and the pooling reads it back through strided slices whose inner run is only
`filters` values long, numpy's slowest case; backward does the same twice more. Run as one
step, the arithmetic is the same but the layout changes:

- the im2col rows are grouped by pool offset (`ops.im2col_by_pool_offset`), so the product
  with the kernel holds the four offsets of every pooling window as four contiguous blocks,
  and pooling is three elementwise maxima of whole blocks;
- ReLU is applied after the pooling, to a quarter of the values. Max and ReLU commute (ReLU
  never decreases), and so do their gradients: the gradient reaches a window's winner only
  where the maximum is positive, which is the element, and the value, that ReLU followed
  by pooling gives; where the maximum is not positive both give zero.
- the winner is chosen as `MaxPooling2D` chooses it: over rows first, then over columns,
  the first one on ties.

So the outputs and gradients are those of the two layers run in turn; only the order of
the floating-point sums inside the kernel gradient differs. `Sequential` runs this step in
training and in inference wherever `fits` says it applies (`plan`); calling a layer
directly, `layer(x)`, runs that layer's own `forward`.
"""

from __future__ import annotations

import numpy as np

from minikeras import activations, ops
from minikeras.layers import batch_chunks
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.pooling import MaxPooling2D


class ConvMaxPool:
    """Runs `conv` and the 2x2 max pooling `pool` after it as one step.

    It has the part of the layer contract the training loop uses: `forward(x, training)`,
    `backward(grad)` and `backward_without_input_gradient(grad)`. The kernel and bias
    gradients go to `conv.grads`, as `conv.backward` would leave them.

    Args:
        conv: a `Conv2D` for which `ConvMaxPool.fits(conv, pool)` holds.
        pool: the `MaxPooling2D` right after it.
    """

    def __init__(self, conv: Conv2D, pool: MaxPooling2D):
        self.conv = conv
        self.pool = pool
        self._cache = None

    @staticmethod
    def fits(conv, pool) -> bool:
        """Whether the pair can run as one step with the same results.

        The classes must be exactly Conv2D and MaxPooling2D (a subclass may change
        `forward`), the convolution dense (strides and dilation 1) with a ReLU or no
        activation, the pooling 2x2 with strides 2 and "valid" padding, both channels_last,
        and no activity regularizer on either (its penalty needs the unpooled output).
        """
        return (
            type(conv) is Conv2D
            and type(pool) is MaxPooling2D
            and type(conv.activation) in (activations.ReLU, activations.Linear)
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
        """`pool.forward(conv.forward(x))`: x `(batch, height, width, in)` -> `(batch, out_h // 2, out_w // 2, filters)`.

        A large batch runs in chunks of samples (`ops.sample_chunks`) that stay in cache.
        """
        conv = self.conv
        _, height, width, _ = x.shape
        pads, out_hw = conv._geometry(height, width)
        pooled_hw = (out_hw[0] // 2, out_hw[1] // 2)  # "valid" pooling leaves an odd last row or column out
        kernel = conv._kernel_matrix()

        def forward_chunk(x_chunk, index, out):
            return self._forward_chunk(x_chunk, pads, pooled_hw, kernel, training, index, out)

        values_per_sample = out_hw[0] * out_hw[1] * (kernel.shape[0] + conv.filters)
        dtype = np.result_type(x.dtype, kernel.dtype)
        shape = (*pooled_hw, conv.filters)
        pooled, chunks = batch_chunks.forward_in_chunks(x, values_per_sample, shape, dtype, forward_chunk)
        if training:
            self._cache = {"chunks": chunks, "input_shape": x.shape, "pads": pads, "out_hw": out_hw}
        return pooled

    def _forward_chunk(self, x, pads, pooled_hw, kernel, training, index, out=None):
        """The pooled output of samples `x` (chunk `index` of the batch, written into `out` if
        given), and (in training) what backward needs of them."""
        conv = self.conv
        # In training, the large temporaries go to the convolution's work buffers, reused every
        # step: the im2col matrix and the winners live until backward, the rest only until pooling.
        x_padded = ops.pad_spatial(x, pads, empty=conv._work_allocator("x_padded") if training else None)
        empty = conv._work_allocator(f"cols{index}") if training else np.empty
        cols = ops.im2col_by_pool_offset(x_padded, conv.kernel_size, pooled_hw, ones_column=conv.use_bias, empty=empty)
        dtype = np.result_type(cols.dtype, kernel.dtype)
        z = conv._work_buffer("z", (len(cols), conv.filters), dtype) if training else None
        z = np.matmul(cols, kernel, out=z).reshape(2, 2, -1)  # z[dy, dx]: that offset of every window, flat
        column_max = conv._work_buffer("column_max", z.shape[1:], dtype) if training else None
        column_max = np.maximum(z[0], z[1], out=column_max)  # over the two rows, for each column offset
        pooled = np.maximum(column_max[0], column_max[1], out=None if out is None else out.reshape(-1))
        relu = type(conv.activation) is activations.ReLU
        if relu:
            np.maximum(pooled, 0, out=pooled)
        cache = None
        if training:
            row_winner = conv._work_buffer(f"row_winner{index}", z.shape[1:], np.bool_)
            column_winner = conv._work_buffer(f"column_winner{index}", column_max.shape[1:], np.bool_)
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

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """dL/dx from dL/d(pooled output); sets `conv.grads`."""
        return self._backward(grad, input_gradient=True)

    def backward_without_input_gradient(self, grad: np.ndarray) -> None:
        """Set `conv.grads` only (the pair is the model's first step)."""
        self._backward(grad, input_gradient=False)

    def _backward(self, grad, input_gradient):
        cache = self._cache
        if cache is None:
            raise RuntimeError(
                f"Layers '{self.conv.name}' and '{self.pool.name}': backward needs a preceding forward in training."
            )
        self._cache = None

        def backward_chunk(grad_chunk, chunk):
            return self._backward_chunk(grad_chunk, chunk, cache, input_gradient)

        matrix_grad, grad_x = batch_chunks.backward_in_chunks(
            cache["chunks"], grad, cache["input_shape"], backward_chunk
        )
        self.conv._store_weight_gradients(matrix_grad)
        return grad_x

    def _backward_chunk(self, grad, chunk, cache, input_gradient):
        """`(cols^T dL/dz, dL/dx or None)` for the samples of one chunk."""
        conv = self.conv
        grad_pooled = grad.reshape(-1)
        if chunk["pooled"] is not None:  # ReLU: only where the window's maximum is positive
            positive = np.greater(chunk["pooled"], 0, out=conv._work_buffer("positive", grad_pooled.shape, np.bool_))
            grad_pooled = np.multiply(
                grad_pooled, positive, out=conv._work_buffer("grad_pooled", grad_pooled.shape, grad_pooled.dtype)
            )
        # To each window's winner: its column, then its row. g - g * w is g * (1 - w) exactly.
        # These temporaries never leave the step: the convolution's work buffers hold them.
        grad_columns = conv._work_buffer("grad_columns", (2, grad_pooled.size), grad_pooled.dtype)
        np.multiply(grad_pooled, chunk["column_winner"], out=grad_columns[1])
        np.subtract(grad_pooled, grad_columns[1], out=grad_columns[0])
        grad_z = conv._work_buffer("grad_z", (2, 2, grad_pooled.size), grad_pooled.dtype)
        np.multiply(grad_columns, chunk["row_winner"], out=grad_z[1])
        np.subtract(grad_columns, grad_z[1], out=grad_z[0])
        matrix_grad = chunk["cols"].T @ grad_z.reshape(-1, conv.filters)
        if not input_gradient:
            return matrix_grad, None
        # Back to the convolution's own (n, row, column) order for its input gradient, with the
        # zero columns it wants either side of each row.
        n, ph, pw, filters = grad.shape
        out_h, out_w = cache["out_hw"]
        left, right = conv._gradient_width_padding(cache["pads"])
        grad_out = conv._work_buffer("grad_out", (n, out_h, left + out_w + right, filters), grad_z.dtype)
        grad_out[:, :, :left] = 0
        grad_out[:, :, left + 2 * pw :] = 0  # with the column pooling left out, if any
        grad_out[:, 2 * ph :] = 0  # the row pooling left out, if any
        ops.copy_by_runs(
            grad_out[:, : 2 * ph, left : left + 2 * pw].reshape(n, ph, 2, pw, 2, filters),
            grad_z.reshape(2, 2, n, ph, pw, filters).transpose(2, 3, 0, 4, 1, 5),
        )
        grad_x = conv._input_gradient(grad_out, chunk["padded_shape"], (out_h, out_w), cache["pads"])
        return matrix_grad, grad_x


def plan(layers: list) -> list[tuple[int, object]]:
    """The steps of one pass through `layers`: `(index of the step's last layer, runner)` in order.

    A runner is a layer, or a `ConvMaxPool` in place of a Conv2D and the pooling after it.
    """
    steps = []
    index = 0
    while index < len(layers):
        if index + 1 < len(layers) and ConvMaxPool.fits(layers[index], layers[index + 1]):
            steps.append((index + 1, ConvMaxPool(layers[index], layers[index + 1])))
            index += 2
        else:
            steps.append((index, layers[index]))
            index += 1
    return steps
