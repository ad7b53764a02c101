"""minikeras.fast.windows: each faster variant against the reference function in minikeras.ops it names."""

import numpy as np
import pytest

from minikeras import ops
from minikeras.fast import windows


def out_hw_of(hw, kernel, strides, dilation):
    return tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip(hw, kernel, strides, dilation))


def with_ones(cols):
    return np.concatenate([cols, np.ones((len(cols), 1), cols.dtype)], axis=1)


def by_pool_offset(cols, n, out_hw, pooled_hw):
    """`ops.im2col`'s rows of the pooled outputs, regrouped `(dy, dx, n, i, j)` as `im2col_by_pool_offset` has them."""
    full = cols.reshape(n, *out_hw, -1)
    rows, columns = 2 * pooled_hw[0], 2 * pooled_hw[1]
    return np.concatenate(
        [full[:, dy:rows:2, dx:columns:2].reshape(-1, full.shape[-1]) for dy in (0, 1) for dx in (0, 1)]
    )


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("strides, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((1, 1), (2, 2))])
@pytest.mark.parametrize("ones_column", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_is_the_reference_im2col(channels, strides, dilation, ones_column, dtype):
    x = np.random.default_rng(0).normal(size=(2, 7, 6, channels)).astype(dtype)
    kernel = (3, 2)
    out_hw = out_hw_of((7, 6), kernel, strides, dilation)
    cols = windows.im2col(x, kernel, strides, dilation, out_hw, ones_column=ones_column)
    expected = ops.im2col(x, kernel, strides, dilation, out_hw)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, with_ones(expected) if ones_column else expected)


def test_im2col_writes_into_the_array_empty_makes():
    x = np.random.default_rng(1).normal(size=(2, 5, 5, 3))
    made = []

    def empty(shape, dtype):
        made.append(np.full(shape, np.nan, dtype))
        return made[-1]

    cols = windows.im2col(x, (3, 3), (1, 1), (1, 1), (3, 3), ones_column=True, empty=empty)
    assert len(made) == 1 and np.shares_memory(cols, made[0])
    np.testing.assert_array_equal(cols, with_ones(ops.im2col(x, (3, 3), (1, 1), (1, 1), (3, 3))))


@pytest.mark.parametrize("channels, ones_column", [(1, True), (1, False), (3, True), (3, False)])
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 1)])
@pytest.mark.parametrize("by_column_phase", [False, True, None])  # one channel's two ways, and its own choice
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_by_pool_offset_holds_the_reference_windows_of_each_pool_offset(
    channels, ones_column, kernel, by_column_phase, dtype
):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 9, 8, channels)).astype(dtype)  # 3x3: 7x6 valid outputs, pooled 3x3, a row left out
    out_hw = (9 - kernel[0] + 1, 8 - kernel[1] + 1)
    pooled_hw = (out_hw[0] // 2, out_hw[1] // 2)
    cols = windows.im2col_by_pool_offset(x, kernel, pooled_hw, ones_column=ones_column, by_column_phase=by_column_phase)
    expected = by_pool_offset(ops.im2col(x, kernel, (1, 1), (1, 1), out_hw), 2, out_hw, pooled_hw)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, with_ones(expected) if ones_column else expected)


@pytest.mark.parametrize("by_column_phase", [False, True])
def test_one_channel_by_pool_offset_from_a_strided_input(by_column_phase):
    """The input is read through its own strides (here every other row and column of a larger array)."""
    x = np.random.default_rng(7).normal(size=(3, 20, 18, 1)).astype(np.float32)[:, ::2, ::2]  # (3, 10, 9, 1)
    cols = windows.im2col_by_pool_offset(x, (3, 3), (4, 3), by_column_phase=by_column_phase)
    expected = by_pool_offset(ops.im2col(x, (3, 3), (1, 1), (1, 1), (8, 7)), 3, (8, 7), (4, 3))
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("layout", ["channels_first", "strided_channels", "float64"])
def test_inputs_whose_window_rows_are_not_one_run(layout):
    """Window rows are copied whole only where they are contiguous; other layouts give the same matrices."""
    rng = np.random.default_rng(4)
    if layout == "channels_first":  # a (N, C, H, W) array seen as channels_last: channels strided
        x = np.moveaxis(rng.normal(size=(2, 3, 9, 8)).astype(np.float32), 1, -1)
    elif layout == "strided_channels":  # every other channel: window rows evenly spaced, but not contiguous
        x = rng.normal(size=(2, 9, 8, 6)).astype(np.float32)[..., ::2]
    else:
        x = rng.normal(size=(2, 9, 8, 3))
    expected = ops.im2col(x, (3, 3), (1, 1), (1, 1), (7, 6))
    cols = windows.im2col(x, (3, 3), (1, 1), (1, 1), (7, 6), ones_column=True)
    assert cols.dtype == x.dtype
    np.testing.assert_array_equal(cols, with_ones(expected))
    by_offset = windows.im2col_by_pool_offset(x, (3, 3), (3, 3))
    np.testing.assert_array_equal(by_offset, by_pool_offset(expected, 2, (7, 6), (3, 3)))


def reference_col2im(patches, padded_shape, kernel, strides, dilation, out_hw, pads):
    """`ops.col2im` of the same window gradients (taken row-major there), then `ops.crop_spatial`."""
    kh, kw = kernel
    rows, channels = patches.shape[1], patches.shape[2]
    grad_cols = patches.reshape(kh * kw, rows, channels).transpose(1, 0, 2).reshape(rows, kh * kw * channels)
    padded = ops.col2im(grad_cols, padded_shape, kernel, strides, dilation, out_hw)
    (top, bottom), (left, right) = pads
    return ops.crop_spatial(padded, pads, (padded_shape[1] - top - bottom, padded_shape[2] - left - right))


@pytest.mark.parametrize(
    "kernel, pads, strides, dilation",
    [
        ((3, 3), ((1, 1), (1, 1)), (1, 1), (1, 1)),  # the centre covers the input: copied, not added to zeros
        ((3, 1), ((1, 1), (0, 0)), (1, 1), (1, 1)),  # the input gradient by kernel row: whole slices
        ((3, 3), ((0, 2), (2, 0)), (1, 1), (1, 1)),  # the covering offset is a corner
        ((3, 3), ((0, 0), (0, 0)), (1, 1), (1, 1)),  # "valid": no offset covers the input
        ((3, 3), ((1, 1), (1, 1)), (2, 1), (1, 1)),  # strided rows: none covers them
        ((3, 3), ((2, 2), (2, 2)), (1, 1), (2, 2)),  # dilated
        ((3, 3), ((0, 1), (1, 2)), (2, 2), (1, 1)),  # uneven, strided
        ((3, 3), ((3, 0), (0, 3)), (3, 2), (1, 1)),  # some offsets see only padding in some windows
    ],
)
@pytest.mark.parametrize("channels", [1, 3])
def test_col2im_is_the_reference_col2im_cropped(kernel, pads, strides, dilation, channels):
    rng = np.random.default_rng(7)
    n, h, w = 2, 6, 5
    (top, bottom), (left, right) = pads
    padded_shape = (n, h + top + bottom, w + left + right, channels)
    out_hw = out_hw_of(padded_shape[1:3], kernel, strides, dilation)
    patches = rng.normal(size=(kernel[0] * kernel[1], n * out_hw[0] * out_hw[1], channels))
    kept = patches.copy()
    grad = windows.col2im(patches, padded_shape, kernel, strides, dilation, out_hw, pads)
    expected = reference_col2im(patches, padded_shape, kernel, strides, dilation, out_hw, pads)
    assert grad.shape == (n, h, w, channels) and grad.flags.c_contiguous
    # the same sums; where one offset covers the input it is added first, so the order may differ
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-13)
    assert not np.shares_memory(grad, patches)
    np.testing.assert_array_equal(patches, kept)  # the patches are read, never written


@pytest.mark.parametrize("pads", [((1, 2), (2, 1)), ((0, 0), (1, 0)), ((3, 0), (0, 0)), ((0, 0), (0, 0))])
@pytest.mark.parametrize("into_buffer", [False, True])
def test_pad_spatial_is_the_reference_zero_padding_even_into_a_dirty_buffer(pads, into_buffer):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 2))
    empty = (lambda shape, dtype: np.full(shape, np.nan, dtype=dtype)) if into_buffer else None
    padded = windows.pad_spatial(x, pads, empty=empty)
    np.testing.assert_array_equal(padded, ops.pad_spatial(x, pads))
    if pads == ((0, 0), (0, 0)):
        assert padded is x


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
    windows.copy_by_runs(destination, source)
    np.testing.assert_array_equal(destination, expected)


def test_copy_by_runs_writes_into_a_strided_destination():
    """Only the destination's own elements change: the views' gaps (here every other row) stay."""
    rng = np.random.default_rng(6)
    source = rng.normal(size=(3, 4, 6)).astype(np.float32)
    buffer = np.zeros((3, 8, 7), np.float32)
    windows.copy_by_runs(buffer[:, ::2, 1:], source)
    np.testing.assert_array_equal(buffer[:, ::2, 1:], source)
    assert not buffer[:, 1::2].any() and not buffer[:, :, 0].any()
