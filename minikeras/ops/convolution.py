"""Convolution and pooling over any number of spatial axes, channels last, with their vector-Jacobian products.

The kernels behind `ops.conv`, `ops.depthwise_conv`, `ops.max_pool` and `ops.average_pool`.
Each is a numpy forward and its VJPs, made an autograd primitive by
`minikeras.ops.backend.differentiable`, so gradients cost one pass each, not autograd's
tracing of every slice. Loops run over the window's offsets (9 for a 3x3 kernel), never over
samples or pixels.

Layout: inputs `(batch, *spatial, channels)`; a convolution kernel is
`(*window, in_channels // groups, out_channels)` (Keras's layout; groups are read from the
channel counts, as Keras's `ops.conv` does). `pads` is one `(before, after)` pair per spatial axis.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minikeras.ops import groups as channel_groups
from minikeras.ops.backend import differentiable
from minikeras.ops.windows import padding_amounts

Pads = Sequence[tuple[int, int]]


def tuple_argument(value: Any, rank: int, name: str) -> tuple[int, ...]:
    """`value` (an int or one int per spatial axis) as a tuple of `rank` positive ints."""
    values = (int(value),) * rank if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
    if len(values) != rank or min(values) < 1:
        raise ValueError(f"`{name}` must be a positive int or {rank} positive ints. Received: {name}={value}")
    return values


def padding_pairs(
    spatial: Sequence[int], window: Sequence[int], strides: Sequence[int], dilation: Sequence[int], padding: str
) -> list[tuple[int, int]]:
    """The `(before, after)` padding per spatial axis (`windows.padding_amounts` along each): none for
    "valid"; for "same", enough for `ceil(length / stride)` outputs, the odd one after (as Keras pads)."""
    return [padding_amounts(n, k, s, padding, d) for n, k, s, d in zip(spatial, window, strides, dilation)]


def _geometry(
    spatial: Sequence[int], window: Sequence[int], strides: Sequence[int], dilation: Sequence[int], pads: Pads
) -> tuple[tuple[int, ...], list[tuple[slice, ...]]]:
    """Output spatial shape, and for each window offset the slices of the padded input it reads."""
    out = tuple(
        max((n + lo + hi - (k - 1) * d - 1) // s + 1, 0)
        for n, (lo, hi), k, s, d in zip(spatial, pads, window, strides, dilation)
    )
    reads = [
        tuple(slice(o * d, o * d + (m - 1) * s + 1, s) for o, d, m, s in zip(offset, dilation, out, strides))
        for offset in itertools.product(*(range(k) for k in window))
    ]
    return out, reads


def _batch(read: tuple[slice, ...]) -> tuple[slice, ...]:
    """The index of one window offset's reads, every sample of the batch and every channel."""
    return (slice(None), *read)


def _padded(x: np.ndarray, pads: Pads, value: float) -> np.ndarray:
    if all(lo == hi == 0 for lo, hi in pads):
        return x
    return np.pad(x, [(0, 0), *pads, (0, 0)], mode="constant", constant_values=value)


def _cropped(x: np.ndarray, pads: Pads) -> np.ndarray:
    key = (slice(None), *(slice(lo, x.shape[i + 1] - hi) for i, (lo, hi) in enumerate(pads)), slice(None))
    return x[key]


# --------------------------------------------------------------------------- convolution
def _columns(x: np.ndarray, window, strides, dilation, pads) -> tuple[np.ndarray, tuple[int, ...]]:
    """im2col: `(batch, *out, offsets, channels)`, every window of the padded input."""
    out, reads = _geometry(x.shape[1:-1], window, strides, dilation, pads)
    padded = _padded(x, pads, 0.0)
    lead = (slice(None),)
    return np.stack([padded[lead + read] for read in reads], axis=-2), out


def _grouped_columns(x: np.ndarray, kernel: np.ndarray, strides, dilation, pads) -> tuple[np.ndarray, tuple]:
    """The im2col matrix of `x` split by channel group, `(groups, rows, offsets * in / groups)`, and the output's
    spatial shape."""
    cols, out = _columns(x, kernel.shape[:-2], strides, dilation, pads)
    rows, offsets = math.prod(cols.shape[:-2]), cols.shape[-2]
    groups = x.shape[-1] // kernel.shape[-2]
    return channel_groups.group_columns(cols.reshape(rows, -1), offsets, groups), out


def _conv_forward(x: np.ndarray, kernel: np.ndarray, strides, dilation, pads) -> np.ndarray:
    groups = x.shape[-1] // kernel.shape[-2]
    cols, out = _grouped_columns(x, kernel, strides, dilation, pads)
    y = np.matmul(cols, channel_groups.group_kernel(kernel, groups))  # (groups, rows, cout / groups)
    return channel_groups.ungroup_outputs(y).reshape((x.shape[0], *out, kernel.shape[-1]))


def _conv_vjp_input(ans, x, kernel, strides, dilation, pads):
    def vjp(g: np.ndarray) -> np.ndarray:
        groups = x.shape[-1] // kernel.shape[-2]
        window = kernel.shape[:-2]
        offsets = math.prod(window)
        grouped_grad = channel_groups.group_outputs(g.reshape(-1, g.shape[-1]), groups)
        grad_cols = np.matmul(grouped_grad, channel_groups.group_kernel(kernel, groups).transpose(0, 2, 1))
        grad_cols = channel_groups.ungroup_columns(grad_cols, offsets).reshape((*g.shape[:-1], offsets, x.shape[-1]))
        padded_shape = (x.shape[0], *(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], pads)), x.shape[-1])
        grad = np.zeros(padded_shape, dtype=np.result_type(g, kernel))
        _, reads = _geometry(x.shape[1:-1], window, strides, dilation, pads)
        for p, read in enumerate(reads):  # col2im: each offset's columns go back where they were read
            grad[_batch(read)] += grad_cols[..., p, :]
        return _cropped(grad, pads)

    return vjp


def _conv_vjp_kernel(ans, x, kernel, strides, dilation, pads):
    def vjp(g: np.ndarray) -> np.ndarray:
        groups = x.shape[-1] // kernel.shape[-2]
        cols, _ = _grouped_columns(x, kernel, strides, dilation, pads)
        grad = np.matmul(cols.transpose(0, 2, 1), channel_groups.group_outputs(g.reshape(-1, g.shape[-1]), groups))
        return channel_groups.ungroup_kernel(grad, kernel.shape)

    return vjp


conv_channels_last = differentiable(_conv_forward, _conv_vjp_input, _conv_vjp_kernel)
"""`conv_channels_last(x, kernel, strides, dilation, pads)`: the convolution (cross-correlation), differentiable."""


# --------------------------------------------------------------------------- pooling
def _max_pool_forward(x: np.ndarray, window, strides, pads) -> np.ndarray:
    out, reads = _geometry(x.shape[1:-1], window, strides, (1,) * len(window), pads)
    padded = _padded(x, pads, -np.inf)
    result = padded[_batch(reads[0])].copy()
    for read in reads[1:]:
        np.maximum(result, padded[_batch(read)], out=result)
    return result


def _max_pool_vjp(ans, x, window, strides, pads):
    def vjp(g: np.ndarray) -> np.ndarray:
        _, reads = _geometry(x.shape[1:-1], window, strides, (1,) * len(window), pads)
        padded = _padded(x, pads, -np.inf)
        grad = np.zeros(padded.shape, dtype=g.dtype)
        unclaimed = np.ones(ans.shape, dtype=bool)
        for read in reads:  # each window's gradient goes to its first maximum only
            winner = unclaimed & (padded[_batch(read)] == ans)
            grad[_batch(read)] += np.where(winner, g, 0)
            unclaimed &= ~winner
        return _cropped(grad, pads)

    return vjp


max_pool_channels_last = differentiable(_max_pool_forward, _max_pool_vjp)
"""`max_pool_channels_last(x, window, strides, pads)`: max pooling, padding never wins, differentiable."""


def window_counts(spatial: Sequence[int], window, strides, pads) -> np.ndarray:
    """How many real (unpadded) entries each output window covers, shaped `(1, *out, 1)`."""
    ones = np.ones((1, *spatial, 1))
    out, reads = _geometry(spatial, window, strides, (1,) * len(window), pads)
    padded = _padded(ones, pads, 0.0)
    return sum(padded[_batch(read)] for read in reads)  # type: ignore[return-value]


def _average_pool_forward(x: np.ndarray, window, strides, pads) -> np.ndarray:
    _, reads = _geometry(x.shape[1:-1], window, strides, (1,) * len(window), pads)
    padded = _padded(x, pads, 0.0)
    total = padded[_batch(reads[0])].copy()
    for read in reads[1:]:
        total += padded[_batch(read)]
    return total / window_counts(x.shape[1:-1], window, strides, pads).astype(x.dtype)


def _average_pool_vjp(ans, x, window, strides, pads):
    def vjp(g: np.ndarray) -> np.ndarray:
        _, reads = _geometry(x.shape[1:-1], window, strides, (1,) * len(window), pads)
        share = g / window_counts(x.shape[1:-1], window, strides, pads).astype(g.dtype)
        padded_shape = (x.shape[0], *(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], pads)), x.shape[-1])
        grad = np.zeros(padded_shape, dtype=g.dtype)
        for read in reads:
            grad[_batch(read)] += share
        return _cropped(grad, pads)

    return vjp


average_pool_channels_last = differentiable(_average_pool_forward, _average_pool_vjp)
"""`average_pool_channels_last(x, window, strides, pads)`: mean over each window's real entries, differentiable."""
