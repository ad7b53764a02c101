"""Sliding-window arithmetic shared by convolution and pooling (channels_last).

Everything here is a pure function of arrays: no layer state. The layout is
`(batch, height, width, channels)` throughout.

Padding follows Keras (and TensorFlow): for `"same"` the output length is
`ceil(length / stride)` and the total padding needed to get it is split with
the smaller half before and the larger half after, so with a stride above 1 an
odd amount of padding puts the extra row at the bottom and the extra column on
the right.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def output_length(length: int, window: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Return the output length of a sliding window along one axis.

    Args:
        length: input length (height or width).
        window: window size (kernel or pool size).
        stride: step between windows.
        padding: "valid" (no padding) or "same" (output length ceil(length / stride)).
        dilation: spacing between window elements (1 for a dense window).
    """
    if padding == "same":
        return -(-length // stride)
    effective = (window - 1) * dilation + 1
    return max((length - effective) // stride + 1, 0)


def padding_amounts(length: int, window: int, stride: int, padding: str, dilation: int = 1) -> tuple[int, int]:
    """Return `(before, after)` padding along one axis, as Keras pads."""
    if padding != "same":
        return 0, 0
    effective = (window - 1) * dilation + 1
    out = output_length(length, window, stride, "same")
    total = max((out - 1) * stride + effective - length, 0)
    return total // 2, total - total // 2


def pad_spatial(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """Pad the height and width axes of `x` `(N, H, W, C)` with `value`; returns `x` itself when no padding.

    Args:
        x: input of shape `(N, H, W, C)`.
        pads: `((top, bottom), (left, right))`.
        value: the fill (0 for convolution and average pooling, -inf for max pooling).

    Returns:
        Array of shape `(N, H + top + bottom, W + left + right, C)`.
    """
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    padded = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    padded[:, top : top + h, left : left + w, :] = x
    return padded


def window_slice(offset: int, stride: int, count: int) -> slice:
    """The slice that picks element `offset` of each of `count` windows spaced `stride` apart."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def im2col(
    x_padded: np.ndarray,
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Gather every convolution window into one row of a matrix.

    Row `(n, i, j)` holds the window whose top-left tap is at `(i * stride_h, j * stride_w)`
    of sample `n`; its columns run over the window's taps `(kernel row, kernel col, channel)`,
    the order of a Keras kernel `(kh, kw, C, F)` reshaped to `(kh * kw * C, F)`. The windows are
    first seen through a strided view of `x_padded` (no copy), then copied into the matrix.

    Args:
        x_padded: input of shape `(N, Hp, Wp, C)`, already padded.
        kernel_size, strides, dilation: `(rows, cols)` each.
        out_hw: `(out_h, out_w)`, the number of windows along each axis.

    Returns:
        Array of shape `(N * out_h * out_w, kh * kw * C)`.
    """
    n, _, _, c = x_padded.shape
    kh, kw = kernel_size
    sh, sw = strides
    dh, dw = dilation
    oh, ow = out_hw
    sn, sy, sx, sc = x_padded.strides
    windows = as_strided(
        x_padded,
        shape=(n, oh, ow, kh, kw, c),
        strides=(sn, sy * sh, sx * sw, sy * dh, sx * dw, sc),
        writeable=False,
    )
    return windows.reshape(n * oh * ow, kh * kw * c)


def col2im(
    grad_cols: np.ndarray,
    padded_shape: tuple[int, int, int, int],
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """Add window gradients back to the pixels they came from: the adjoint of `im2col`.

    Every pixel of the padded input receives the sum of the gradients of all the windows that
    saw it. The loop runs over the `kh * kw` taps of the window only; each step adds that tap's
    gradient for every window at once through one strided slice.

    Args:
        grad_cols: `(N * out_h * out_w, kh * kw * C)`, the gradient of `im2col`'s matrix.
        padded_shape: `(N, Hp, Wp, C)` of the padded input.
        kernel_size, strides, dilation: `(rows, cols)` each, as given to `im2col`.
        out_hw: `(out_h, out_w)`.

    Returns:
        The gradient of the padded input, shape `padded_shape` (crop it with `crop_spatial`).
    """
    n, _, _, c = padded_shape
    kh, kw = kernel_size
    sh, sw = strides
    dh, dw = dilation
    oh, ow = out_hw
    grad_taps = grad_cols.reshape(n, oh, ow, kh, kw, c)
    grad_padded = np.zeros(padded_shape, dtype=grad_cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = window_slice(i * dh, sh, oh), window_slice(j * dw, sw, ow)
            grad_padded[:, rows, cols, :] += grad_taps[:, :, :, i, j, :]
    return grad_padded


def crop_spatial(
    x_padded: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], hw: tuple[int, int]
) -> np.ndarray:
    """Undo `pad_spatial`: return the (N, H, W, C) interior of a padded array."""
    (top, _), (left, _) = pads
    h, w = hw
    if x_padded.shape[1] == h and x_padded.shape[2] == w:
        return x_padded
    return x_padded[:, top : top + h, left : left + w, :]
