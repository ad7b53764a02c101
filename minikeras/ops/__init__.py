"""Array kernels the layers share: pure functions on arrays, no state."""

from minikeras.ops.windows import (
    col2im,
    copy_by_runs,
    crop_spatial,
    im2col,
    im2col_by_pool_offset,
    output_length,
    pad_spatial,
    padding_amounts,
    sample_chunks,
    window_slice,
)

__all__ = [
    "col2im",
    "copy_by_runs",
    "crop_spatial",
    "im2col",
    "im2col_by_pool_offset",
    "output_length",
    "pad_spatial",
    "padding_amounts",
    "sample_chunks",
    "window_slice",
]
