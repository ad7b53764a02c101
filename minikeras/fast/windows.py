"""Faster variants of the window kernels in `minikeras.ops.windows`, for the fast paths.

Each function here computes exactly what the reference function it names computes; only the
memory layout and the number of numpy calls differ:

- `pad_spatial(x, pads, empty)`: `ops.pad_spatial`, written into a buffer kept between
  training steps (only the border is filled), so no fresh pages are faulted in every step.
- `im2col`: `ops.im2col`, with an optional column of ones (a bias stacked under the kernel
  matrix is then added by the product itself, and its gradient comes out of the kernel
  gradient's product); one channel is gathered offset-major and returned transposed (BLAS
  multiplies that layout at full speed), and a window row of several channels moves as one
  block (`copy_by_runs`).
- `im2col_by_pool_offset`: `ops.im2col` of a stride-1 convolution followed by 2x2 max
  pooling, with its rows grouped by pool offset so that the pooling becomes three maxima of
  whole contiguous blocks (`minikeras.fast.conv_pool`).
- `col2im`: `ops.col2im` followed by `ops.crop_spatial`, taking the window gradients
  offset-major (each addition reads contiguous memory), never forming the gradient of the
  padding, and starting from a copy of the one offset that covers every pixel instead of
  from zeros.
- `copy_by_runs`: `np.copyto`, moving each contiguous run of values as one opaque element.

Their tests (tests/fast/test_windows.py) compare each with the reference function.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minikeras.ops.windows import window_slice, window_view

# Below this many pooling windows in a chunk, a one-channel input's pool-offset im2col is one
# strided gather; from it, two copies by column phase (`_copy_shifted_by_column_phase`): the
# two ways cross between 4 and 8 samples of 28 x 28 with a 3x3 kernel (docs/performance.md).
MIN_WINDOWS_BY_COLUMN_PHASE = 1024


def pad_spatial(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], empty=None) -> np.ndarray:
    """`ops.pad_spatial(x, pads)` (zero padding), written into `empty(shape, dtype)` when given.

    With `empty` (a buffer kept between training steps) only the border is zeroed, then `x` is
    copied inside. Returns `x` itself when no padding.
    """
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    shape = (n, h + top + bottom, w + left + right, c)
    if empty is None:  # zeros come from already-zeroed pages, faster than filling
        padded = np.zeros(shape, dtype=x.dtype)
        padded[:, top : top + h, left : left + w, :] = x
        return padded
    padded = empty(shape, x.dtype)
    padded[:, :top] = 0
    padded[:, top + h :] = 0
    padded[:, top : top + h, :left] = 0
    padded[:, top : top + h, left + w :] = 0
    padded[:, top : top + h, left : left + w, :] = x
    return padded


def copy_by_runs(destination: np.ndarray, source: np.ndarray) -> None:
    """`np.copyto(destination, source)`, each contiguous run moved as one block of bytes.

    numpy's copy loop is entered once per innermost run, and for the runs of a few values that
    im2col gathers (a window row: kw pixels of C channels) entering it costs more than the bytes
    it moves. The trailing axes over which both arrays are contiguous (a window row's pixels and
    channels, when they lie side by side) are viewed as one opaque element (`np.void`), so the
    loop moves whole runs; it is never slower than copyto. The bytes, and so the values, are
    exactly those of copyto; arrays with no common contiguous axis, or of different dtypes, are
    copied by copyto itself.

    Args:
        destination: array to write, of the shape of `source`.
        source: array to read; any strides (a window view).
    """
    run_axes, run_bytes = _common_run(destination, source)
    if run_axes:
        destination = _as_runs(destination, run_axes, run_bytes)
        source = _as_runs(source, run_axes, run_bytes)
    np.copyto(destination, source)


def _common_run(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """`(axes, bytes)`: how many trailing axes both arrays hold contiguously, and the run's size."""
    if a.dtype != b.dtype or a.shape != b.shape or a.size == 0:
        return 0, 0
    axes, run = 0, a.itemsize
    for size, stride_a, stride_b in zip(reversed(a.shape), reversed(a.strides), reversed(b.strides)):
        if size != 1 and (stride_a != run or stride_b != run):
            break
        axes, run = axes + 1, run * size
    return axes, run


def _as_runs(array: np.ndarray, axes: int, run_bytes: int) -> np.ndarray:
    """`array` with its last `axes` axes (contiguous, `run_bytes` long) as one `np.void` element.

    Merging axes that are contiguous is always possible without a copy, so the reshape is a view
    (of the destination too: what is written to it lands in the caller's array).
    """
    merged = array.reshape(array.shape[:-axes] + (run_bytes // array.itemsize,))
    return merged.view(_void(run_bytes))


@functools.lru_cache(maxsize=64)
def _void(size: int) -> np.dtype:
    """The opaque dtype of `size` bytes (made once per size: building a dtype is not free)."""
    return np.dtype((np.void, size))


def im2col(
    x_padded: np.ndarray,
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
    ones_column: bool = False,
    empty=np.empty,
) -> np.ndarray:
    """`ops.im2col`, optionally with a column of ones, written into `empty(shape, dtype)`.

    Args:
        x_padded: input of shape (N, Hp, Wp, C), already padded.
        kernel_size, strides, dilation: (rows, cols) each.
        out_hw: (out_h, out_w), the number of windows along each axis.
        ones_column: append a column of ones, so that a bias stacked under the
            kernel matrix is added by the product itself and its gradient comes
            out of the kernel gradient's product (one pass less each way).
        empty: `empty(shape, dtype)` makes the array the matrix is written into
            (`np.empty`, or a buffer kept between training steps).

    Returns:
        Array of shape (N * out_h * out_w, kh * kw * C [+ 1]), rows in (n, i, j)
        order and columns in (kernel row, kernel col, channel) order, which
        matches a Keras kernel `(kh, kw, C, F)` reshaped to `(kh * kw * C, F)`.
        (For one channel it is the transposed view of a contiguous array.)
    """
    n, _, _, c = x_padded.shape
    kh, kw = kernel_size
    sh, sw = strides
    dh, dw = dilation
    oh, ow = out_hw
    extra = 1 if ones_column else 0
    if c == 1:
        # One channel: the view's rows would be only kh * kw scattered floats, slow to gather.
        # Copy each shifted slice whole into one row of an offset-major matrix instead and
        # return its transpose: BLAS multiplies the transposed layout at full speed.
        cols = empty((kh * kw + extra, n, oh, ow), x_padded.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[i * kw + j] = x_padded[:, window_slice(i * dh, sh, oh), window_slice(j * dw, sw, ow), 0]
        if ones_column:
            cols[-1] = 1
        return cols.reshape(kh * kw + extra, n * oh * ow).T
    windows = window_view(x_padded, kernel_size, strides, dilation, out_hw)
    cols = empty((n * oh * ow, kh * kw * c + extra), x_padded.dtype)
    copy_by_runs(cols[:, : kh * kw * c].reshape(n, oh, ow, kh, kw, c), windows)  # a window row's kw * c values at once
    if ones_column:
        cols[:, -1] = 1
    return cols


def im2col_by_pool_offset(
    x_padded: np.ndarray,
    kernel_size: tuple[int, int],
    pooled_hw: tuple[int, int],
    ones_column: bool = False,
    empty=np.empty,
    by_column_phase: bool | None = None,
) -> np.ndarray:
    """`ops.im2col` of a stride-1 convolution whose output goes to 2x2 max pooling, rows grouped by pool offset.

    The windows are those of the output pixels `(2i + dy, 2j + dx)` that the pooling windows
    cover, in `(dy, dx, n, i, j)` order: the product with the kernel matrix then holds the
    four offsets of every pooling window as four contiguous blocks, and pooling becomes an
    elementwise maximum of whole blocks instead of strided slices with a short inner run.

    Args:
        x_padded: input of shape (N, Hp, Wp, C), already padded.
        kernel_size: (kh, kw).
        pooled_hw: (ph, pw), the pooled output size: `2 * ph` conv output rows are used.
        ones_column: append a column of ones (for a bias under the kernel matrix).
        empty: `empty(shape, dtype)` makes the array the matrix is written into, as in `im2col`.
        by_column_phase: for one channel, copy by column phase (True) or by one strided
            gather (False); None chooses by `MIN_WINDOWS_BY_COLUMN_PHASE`. The two give the same values.

    Returns:
        Array of shape (4 * N * ph * pw, kh * kw * C [+ 1]), columns in the order `im2col` uses.
    """
    n, _, _, c = x_padded.shape
    kh, kw = kernel_size
    ph, pw = pooled_hw
    sn, sy, sx, sc = x_padded.strides
    extra = 1 if ones_column else 0
    if c == 1:
        # As in im2col: one offset-major row per kernel offset, returned transposed.
        cols = empty((kh * kw + extra, 2, 2, n, ph, pw), x_padded.dtype)
        if by_column_phase is None:
            by_column_phase = n * ph * pw >= MIN_WINDOWS_BY_COLUMN_PHASE
        if by_column_phase:
            _copy_shifted_by_column_phase(cols[: kh * kw].reshape(kh, kw, 2, 2, n, ph, pw), x_padded)
        else:  # a few samples: one gather of every-other-pixel runs beats two copies
            shifted = as_strided(
                x_padded, (kh, kw, 2, 2, n, ph, pw), (sy, sx, sy, sx, sn, 2 * sy, 2 * sx), writeable=False
            )
            np.copyto(cols[: kh * kw].reshape(kh, kw, 2, 2, n, ph, pw), shifted)
        if ones_column:
            cols[-1] = 1
        return cols.reshape(kh * kw + extra, -1).T
    windows = as_strided(
        x_padded, (2, 2, n, ph, pw, kh, kw, c), (sy, sx, sn, 2 * sy, 2 * sx, sy, sx, sc), writeable=False
    )
    cols = empty((4 * n * ph * pw, kh * kw * c + extra), x_padded.dtype)
    copy_by_runs(cols[:, : kh * kw * c].reshape(2, 2, n, ph, pw, kh, kw, c), windows)
    if ones_column:
        cols[:, -1] = 1
    return cols


def _copy_shifted_by_column_phase(destination: np.ndarray, x_padded: np.ndarray) -> None:
    """Fill `destination[i, j, dy, dx, n, r, q] = x_padded[n, 2r + dy + i, 2q + dx + j, 0]` (one channel).

    Read directly, every run of the copy is pw values two pixels apart, gathered value by value.
    A window's column `2q + dx + j` depends on `dx + j` only through `t = dx + j`: so first copy
    the `kw + 1` column phases `phases[t, n, y, q] = x_padded[n, y, 2q + t]` (every other pixel,
    once per phase rather than once per kernel offset), after which each run of pw values is
    contiguous and moves as one block (`copy_by_runs`).

    Args:
        destination: `(kh, kw, 2, 2, N, ph, pw)`, its last axis contiguous.
        x_padded: `(N, Hp, Wp, 1)`, with `2 * ph + kh - 1 <= Hp` and `2 * pw + kw - 1 <= Wp`.
    """
    kh, kw, _, _, n, ph, pw = destination.shape
    _, height, _, _ = x_padded.shape
    sn, sy, sx, _ = x_padded.strides
    phases = np.empty((kw + 1, n, height, pw), x_padded.dtype)
    np.copyto(phases, as_strided(x_padded, phases.shape, (sx, sn, sy, 2 * sx), writeable=False))
    st, sn, sy, sq = phases.strides
    # destination[i, j, dy, dx, n, r]: phase j + dx, sample n, row i + dy + 2r, all pw columns
    shifted = as_strided(phases, destination.shape, (sy, st, sy, st, sn, 2 * sy, sq), writeable=False)
    copy_by_runs(destination, shifted)


def col2im(
    patches: np.ndarray,
    padded_shape: tuple[int, int, int, int],
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
    pads: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
) -> np.ndarray:
    """`ops.crop_spatial(ops.col2im(...))`, from window gradients laid out offset-major.

    Every input pixel receives the sum of the gradients of all the windows that
    saw it. The loop runs over the kh * kw kernel offsets only; each step is one
    strided add over all samples, positions and channels at once. With `pads`,
    the gradient of the padding is never formed: each offset adds only the part
    of its slice that lands inside the input, and the result is the unpadded,
    contiguous input gradient (no crop, no copy after it). An offset whose windows
    cover every input pixel once (the centre of a stride-1 "same" convolution) is
    copied first, in place of the zeros the others are added to: one pass over
    the gradient fewer.

    Args:
        patches: array of shape (kh * kw, N * out_h * out_w, C): for each kernel
            offset, the gradient reaching the input pixel under that offset of
            every window. Offset-major, so each add reads contiguous memory.
        padded_shape: (N, Hp, Wp, C) of the padded input.
        pads: ((top, bottom), (left, right)) padding that `im2col`'s input had.

    Returns:
        Array of shape (N, Hp - top - bottom, Wp - left - right, C).
    """
    n, hp, wp, c = padded_shape
    (top, bottom), (left, right) = pads
    kh, kw = kernel_size
    oh, ow = out_hw
    patches = patches.reshape(kh, kw, n, oh, ow, c)
    height, width = hp - top - bottom, wp - left - right
    row_parts = [_inside(i * dilation[0], strides[0], oh, top, height) for i in range(kh)]
    column_parts = [_inside(j * dilation[1], strides[1], ow, left, width) for j in range(kw)]
    covering = _covering_offset(row_parts, height), _covering_offset(column_parts, width)
    if None in covering:
        copied = None
        grad = np.zeros((n, height, width, c), dtype=patches.dtype)
    else:
        (i, row_windows), (j, col_windows) = covering
        copied = (i, j)
        grad = patches[i, j][:, row_windows, col_windows, :].copy()  # a new array even when the slice is whole
    for i, (rows, row_windows) in enumerate(row_parts):
        for j, (cols, col_windows) in enumerate(column_parts):
            if rows is not None and cols is not None and (i, j) != copied:
                grad[:, rows, cols, :] += patches[i, j][:, row_windows, col_windows, :]
    return grad


def _covering_offset(parts: list, length: int):
    """Along one axis: `(offset, window slice)` of the first kernel offset whose windows
    reach every one of the `length` input positions, one window each, or None."""
    for offset, (positions, windows) in enumerate(parts):
        if positions is not None and positions.indices(length) == (0, length, 1):
            return offset, windows
    return None


def _inside(offset: int, stride: int, count: int, before: int, length: int):
    """Along one axis: `(input slice, window slice)` of the windows whose element `offset`
    falls inside the unpadded input (of `length`, after `before` padding), or (None, None)."""
    first = max(0, -(-(before - offset) // stride))  # first window whose element is past the padding
    last = min(count - 1, (length - 1 + before - offset) // stride)
    if first > last:
        return None, None
    start = first * stride + offset - before
    return slice(start, start + stride * (last - first) + 1, stride), slice(first, last + 1)
