"""The channel groups of a grouped convolution (`Conv2D(groups=G)`, `ops.conv`), as one batched product.

With `G` groups, input channel block `g` meets only filter block `g`. Putting the group axis first
turns the `G` products into one `np.matmul` over a leading axis; these reshapes do that and undo it.
With one group each is a reshape without a copy. Layout: an im2col matrix `(rows, taps * channels)`
with the channels of each tap together (Keras's kernel order `(*window, in / G, filters)`).
"""

from __future__ import annotations

import numpy as np


def group_columns(cols: np.ndarray, taps: int, groups: int) -> np.ndarray:
    """`(rows, taps * in)` -> `(groups, rows, taps * in / groups)`: each group's channels of every tap."""
    rows = cols.shape[0]
    per_tap = cols.reshape(rows, taps, groups, -1)
    return per_tap.transpose(2, 0, 1, 3).reshape(groups, rows, -1)


def ungroup_columns(grouped: np.ndarray, taps: int) -> np.ndarray:
    """The inverse of `group_columns`: `(groups, rows, taps * in / groups)` -> `(rows, taps * in)`."""
    groups, rows, _ = grouped.shape
    return grouped.reshape(groups, rows, taps, -1).transpose(1, 2, 0, 3).reshape(rows, -1)


def group_kernel(kernel: np.ndarray, groups: int) -> np.ndarray:
    """`(*window, in / groups, filters)` -> `(groups, taps * in / groups, filters / groups)` (a view)."""
    return kernel.reshape(-1, groups, kernel.shape[-1] // groups).transpose(1, 0, 2)


def ungroup_kernel(grouped: np.ndarray, kernel_shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of `group_kernel`: back to Keras's kernel layout `kernel_shape`."""
    return grouped.transpose(1, 0, 2).reshape(kernel_shape)


def group_outputs(outputs: np.ndarray, groups: int) -> np.ndarray:
    """`(rows, filters)` -> `(groups, rows, filters / groups)`, matching the grouped columns and kernel."""
    return outputs.reshape(len(outputs), groups, -1).transpose(1, 0, 2)


def ungroup_outputs(grouped: np.ndarray) -> np.ndarray:
    """The inverse of `group_outputs`: `(groups, rows, filters / groups)` -> `(rows, filters)`."""
    return grouped.transpose(1, 0, 2).reshape(grouped.shape[1], -1)
