"""Array kernels the layers share: pure functions on arrays, no state.

These are the reference algorithms (`windows`: padding arithmetic, im2col and its adjoint
col2im); `minikeras.fast.windows` holds the faster variants the fast paths use.
"""

from minikeras.ops.windows import (
    col2im,
    crop_spatial,
    im2col,
    output_length,
    pad_spatial,
    padding_amounts,
    window_slice,
)

__all__ = [
    "col2im",
    "crop_spatial",
    "im2col",
    "output_length",
    "pad_spatial",
    "padding_amounts",
    "window_slice",
]
