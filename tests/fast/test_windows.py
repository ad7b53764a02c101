"""minikeras.ops.windows: im2col is the windows of the input, col2im its adjoint."""

import numpy as np
import pytest

from minikeras import ops
from minikeras.ops import windows


def _reference_im2col(x_padded, kernel_size, strides, dilation, out_hw):
    """Window by window, in Python loops: slow and obviously right."""
    n, _, _, c = x_padded.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_hw
    rows = []
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                rows.append(x_padded[b, i * sh : i * sh + (kh - 1) * dh + 1 : dh, j * sw : j * sw + (kw - 1) * dw + 1 : dw, :].reshape(-1))
    return np.array(rows).reshape(n * oh * ow, kh * kw * c)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("strides, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((1, 1), (2, 2))])
@pytest.mark.parametrize("ones_column", [False, True])
def test_im2col_rows_are_the_windows(channels, strides, dilation, ones_column):
    x = np.random.default_rng(0).normal(size=(2, 7, 6, channels)).astype(np.float32)
    kernel = (3, 2)
    out_hw = tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip((7, 6), kernel, strides, dilation))
    cols = windows.im2col(x, kernel, strides, dilation, out_hw, ones_column=ones_column)
    expected = _reference_im2col(x, kernel, strides, dilation, out_hw)
    if ones_column:
        expected = np.concatenate([expected, np.ones((len(expected), 1), np.float32)], axis=1)
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("channels", [1, 4])
def test_col2im_is_the_adjoint_of_im2col(channels):
    """<im2col(x), g> == <x, col2im(g)> for every x and g: the defining property of the adjoint."""
    rng = np.random.default_rng(1)
    shape, kernel, strides, dilation = (2, 8, 7, channels), (3, 3), (2, 1), (1, 1)
    out_hw = tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip(shape[1:3], kernel, strides, dilation))
    x = rng.normal(size=shape)
    cols = windows.im2col(x, kernel, strides, dilation, out_hw)
    g = rng.normal(size=cols.shape)
    offset_major = g.reshape(-1, 9, channels).transpose(1, 0, 2)  # col2im takes (kh * kw, rows, C)
    back = windows.col2im(offset_major, shape, kernel, strides, dilation, out_hw)
    np.testing.assert_allclose(np.sum(cols * g), np.sum(x * back), rtol=1e-12)


@pytest.mark.parametrize(
    "pads, strides, dilation",
    [
        (((1, 1), (1, 1)), (1, 1), (1, 1)),  # "same", 3x3
        (((0, 1), (1, 2)), (2, 2), (1, 1)),  # uneven, strided
        (((2, 2), (2, 2)), (1, 1), (2, 2)),  # dilated
        (((3, 0), (0, 3)), (3, 2), (1, 1)),  # some offsets see only padding in some windows
    ],
)
def test_col2im_with_pads_is_the_cropped_padded_gradient(pads, strides, dilation):
    rng = np.random.default_rng(2)
    (top, bottom), (left, right) = pads
    n, h, w, c, kernel = 2, 7, 6, 3, (3, 3)
    padded_shape = (n, h + top + bottom, w + left + right, c)
    out_hw = tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip(padded_shape[1:3], kernel, strides, dilation))
    patches = rng.normal(size=(9, n * out_hw[0] * out_hw[1], c))
    padded = windows.col2im(patches, padded_shape, kernel, strides, dilation, out_hw)
    cropped = windows.col2im(patches, padded_shape, kernel, strides, dilation, out_hw, pads)
    assert cropped.shape == (n, h, w, c) and cropped.flags.c_contiguous
    # the same sums; where one offset covers the input it is added first, so the order may differ
    np.testing.assert_allclose(cropped, padded[:, top : top + h, left : left + w], rtol=1e-13, atol=1e-13)


def _reference_col2im(patches, padded_shape, kernel_size, strides, dilation, out_hw, pads):
    """Window by window, in Python loops: each window's gradient added to the pixels it saw, padding cropped."""
    n, hp, wp, c = padded_shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_hw
    grad = np.zeros(padded_shape)
    by_window = patches.reshape(kh, kw, n, oh, ow, c)
    for b in range(n):
        for y in range(oh):
            for x in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        grad[b, y * sh + i * dh, x * sw + j * dw] += by_window[i, j, b, y, x]
    (top, bottom), (left, right) = pads
    return grad[:, top : hp - bottom, left : wp - right]


@pytest.mark.parametrize(
    "kernel, pads, strides, dilation",
    [
        ((3, 3), ((1, 1), (1, 1)), (1, 1), (1, 1)),  # the centre covers the input: copied, not added to zeros
        ((3, 1), ((1, 1), (0, 0)), (1, 1), (1, 1)),  # the input gradient by kernel row: whole slices
        ((3, 3), ((0, 2), (2, 0)), (1, 1), (1, 1)),  # the covering offset is a corner
        ((3, 3), ((0, 0), (0, 0)), (1, 1), (1, 1)),  # "valid": no offset covers the input
        ((3, 3), ((1, 1), (1, 1)), (2, 1), (1, 1)),  # strided rows: none covers them
        ((3, 3), ((2, 2), (2, 2)), (1, 1), (2, 2)),  # dilated
    ],
)
def test_col2im_against_the_window_loop(kernel, pads, strides, dilation):
    rng = np.random.default_rng(7)
    n, h, w, c = 2, 6, 5, 3
    (top, bottom), (left, right) = pads
    padded_shape = (n, h + top + bottom, w + left + right, c)
    out_hw = tuple(
        ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip(padded_shape[1:3], kernel, strides, dilation)
    )
    patches = rng.normal(size=(kernel[0] * kernel[1], n * out_hw[0] * out_hw[1], c))
    kept = patches.copy()
    grad = windows.col2im(patches, padded_shape, kernel, strides, dilation, out_hw, pads)
    expected = _reference_col2im(patches, padded_shape, kernel, strides, dilation, out_hw, pads)
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-13)
    assert grad.flags.c_contiguous and not np.shares_memory(grad, patches)
    np.testing.assert_array_equal(patches, kept)  # the patches are read, never written


@pytest.mark.parametrize("channels, ones_column", [(1, True), (1, False), (3, True), (3, False)])
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 1)])
@pytest.mark.parametrize("by_column_phase", [False, True])  # one channel's two ways
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_by_pool_offset_holds_the_windows_of_each_pool_offset(
    channels, ones_column, kernel, by_column_phase, dtype, monkeypatch
):
    monkeypatch.setattr(windows, "MIN_WINDOWS_BY_COLUMN_PHASE", 1 if by_column_phase else 10**9)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 9, 8, channels)).astype(dtype)  # 3x3: 7x6 valid outputs, pooled 3x3, a row left out
    out_hw = (9 - kernel[0] + 1, 8 - kernel[1] + 1)
    pooled_hw = (out_hw[0] // 2, out_hw[1] // 2)
    cols = windows.im2col_by_pool_offset(x, kernel, pooled_hw, ones_column=ones_column)
    full = _reference_im2col(x, kernel, (1, 1), (1, 1), out_hw).reshape(2, *out_hw, -1)
    rows, columns = 2 * pooled_hw[0], 2 * pooled_hw[1]
    expected = np.stack([full[:, dy:rows:2, dx:columns:2].reshape(-1, full.shape[-1]) for dy in (0, 1) for dx in (0, 1)])
    expected = expected.reshape(-1, full.shape[-1])
    if ones_column:
        expected = np.concatenate([expected, np.ones((len(expected), 1), dtype)], axis=1)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("layout", ["channels_first", "strided_channels", "float64"])
def test_im2col_of_inputs_whose_window_rows_are_not_one_run(layout):
    """Window rows are copied whole only where they are contiguous; other layouts give the same matrices."""
    rng = np.random.default_rng(4)
    if layout == "channels_first":  # a (N, C, H, W) array seen as channels_last: channels strided
        x = np.moveaxis(rng.normal(size=(2, 3, 9, 8)).astype(np.float32), 1, -1)
    elif layout == "strided_channels":  # every other channel: window rows evenly spaced, but not contiguous
        x = rng.normal(size=(2, 9, 8, 6)).astype(np.float32)[..., ::2]
    else:
        x = rng.normal(size=(2, 9, 8, 3))
    cols = windows.im2col(x, (3, 3), (1, 1), (1, 1), (7, 6), ones_column=True)
    expected = _reference_im2col(x, (3, 3), (1, 1), (1, 1), (7, 6))
    np.testing.assert_array_equal(cols[:, :-1], expected)
    assert cols.dtype == x.dtype
    by_offset = windows.im2col_by_pool_offset(x, (3, 3), (3, 3))
    full = expected.reshape(2, 7, 6, -1)
    np.testing.assert_array_equal(
        by_offset, np.concatenate([full[:, dy:6:2, dx:6:2].reshape(-1, 27) for dy in (0, 1) for dx in (0, 1)])
    )


@pytest.mark.parametrize(
    "make_source, destination_dtype",
    [
        (lambda rng: rng.normal(size=(2, 3, 4, 5)).astype(np.float32).transpose(2, 0, 1, 3), np.float32),  # runs
        (lambda rng: rng.normal(size=(4, 2, 3, 5)).astype(np.float32)[..., ::1], np.float64),  # a cast
        (lambda rng: rng.normal(size=(5, 3, 2, 4)).astype(np.float32).T, np.float32),  # last axis strided
        (lambda rng: np.zeros((4, 2, 3, 0), np.float32), np.float32),  # nothing to copy
        (lambda rng: rng.normal(size=(3, 8, 5, 6)).astype(np.float32)[:, ::2], np.float32),  # two axes, one run
    ],
)
def test_copy_by_runs_is_copyto(make_source, destination_dtype):
    source = make_source(np.random.default_rng(5))
    expected = np.empty(source.shape, destination_dtype)
    np.copyto(expected, source)
    destination = np.full(source.shape, np.nan, destination_dtype)
    ops.copy_by_runs(destination, source)
    np.testing.assert_array_equal(destination, expected)


def test_copy_by_runs_writes_into_a_strided_destination():
    """Only the destination's own elements change: the views' gaps (here every other row) stay."""
    rng = np.random.default_rng(6)
    source = rng.normal(size=(3, 4, 6)).astype(np.float32)
    buffer = np.zeros((3, 8, 7), np.float32)
    ops.copy_by_runs(buffer[:, ::2, 1:], source)
    np.testing.assert_array_equal(buffer[:, ::2, 1:], source)
    assert not buffer[:, 1::2].any() and not buffer[:, :, 0].any()


def test_one_channel_by_column_phase_from_a_strided_input(monkeypatch):
    """The column phases are read through the input's own strides (here every other row and column of a larger array)."""
    monkeypatch.setattr(windows, "MIN_WINDOWS_BY_COLUMN_PHASE", 1)
    x = np.random.default_rng(7).normal(size=(3, 20, 18, 1)).astype(np.float32)[:, ::2, ::2]  # (3, 10, 9, 1)
    cols = windows.im2col_by_pool_offset(x, (3, 3), (4, 3))
    full = _reference_im2col(x, (3, 3), (1, 1), (1, 1), (8, 7)).reshape(3, 8, 7, 9)
    expected = np.concatenate([full[:, dy:8:2, dx:6:2].reshape(-1, 9) for dy in (0, 1) for dx in (0, 1)])
    np.testing.assert_array_equal(cols, expected)
