"""Keras 3's `keras.ops` on numpy: the operations custom losses, metrics and layers are written in.

Every op takes numpy arrays (and Python numbers or lists) and returns numpy arrays, with Keras's
names, arguments and defaults. While `autograd` traces a computation (`pip install
"minikeras[autodiff]"`), the same ops take and return its traced values, so code written in them
has gradients; see `minikeras.ops.backend`. `ops.nn` and `ops.linalg` are Keras's namespaces of
those names (`ops.nn.relu` is `ops.relu`).

The ops live in modules by family (`core`, `elementwise`, `reductions`, `shapes`, `products`,
`linalg`, `creation`, `nn`), loaded on first use so that `import minikeras` does not pay for
them. The modules `windows`, `constants` and `special` are kernels of the built-in layers.

Example:
    >>> from minikeras import ops
    >>> ops.softmax(ops.convert_to_tensor([[1.0, 2.0, 3.0]]))
    array([[0.09003057, 0.24472846, 0.66524094]], dtype=float32)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The built-in layers' window kernels (internal; not part of keras.ops).
from minikeras.ops.windows import (  # noqa: F401
    col2im,
    crop_spatial,
    im2col,
    output_length,
    pad_spatial,
    padding_amounts,
    window_slice,
)

if TYPE_CHECKING:  # what the lazy loading below gives, for type checkers and editors
    from minikeras.ops import linalg, nn  # noqa: F401
    from minikeras.ops.core import *  # noqa: F403
    from minikeras.ops.creation import *  # noqa: F403
    from minikeras.ops.elementwise import *  # noqa: F403
    from minikeras.ops.linalg import *  # noqa: F403
    from minikeras.ops.nn import *  # noqa: F403
    from minikeras.ops.products import *  # noqa: F403
    from minikeras.ops.reductions import *  # noqa: F403
    from minikeras.ops.shapes import *  # noqa: F403

# Which module holds each op: the one list of them (each family module's `__all__` is its entry here).
OPS_BY_MODULE: dict[str, tuple[str, ...]] = {
    "core": (
        "cast",
        "cond",
        "convert_to_numpy",
        "convert_to_tensor",
        "dtype",
        "fori_loop",
        "is_tensor",
        "map",
        "saturate_cast",
        "scatter",
        "scatter_update",
        "shape",
        "slice",
        "slice_update",
        "stop_gradient",
        "switch",
        "unstack",
        "while_loop",
    ),
    "elementwise": (
        "abs",
        "absolute",
        "add",
        "allclose",
        "arccos",
        "arccosh",
        "arcsin",
        "arcsinh",
        "arctan",
        "arctan2",
        "arctanh",
        "cbrt",
        "ceil",
        "clip",
        "cos",
        "cosh",
        "deg2rad",
        "divide",
        "divide_no_nan",
        "equal",
        "erf",
        "erfc",
        "exp",
        "exp2",
        "expm1",
        "floor",
        "floor_divide",
        "fmod",
        "greater",
        "greater_equal",
        "hypot",
        "isclose",
        "isfinite",
        "isinf",
        "isnan",
        "less",
        "less_equal",
        "log",
        "log10",
        "log1p",
        "log2",
        "logaddexp",
        "logaddexp2",
        "logical_and",
        "logical_not",
        "logical_or",
        "logical_xor",
        "maximum",
        "minimum",
        "mod",
        "multiply",
        "nan_to_num",
        "negative",
        "not_equal",
        "power",
        "rad2deg",
        "reciprocal",
        "round",
        "rsqrt",
        "sign",
        "signbit",
        "sin",
        "sinh",
        "sqrt",
        "square",
        "subtract",
        "tan",
        "tanh",
        "true_divide",
        "trunc",
        "where",
    ),
    "reductions": (
        "all",
        "amax",
        "amin",
        "any",
        "argmax",
        "argmin",
        "argsort",
        "average",
        "count_nonzero",
        "cumprod",
        "cumsum",
        "logsumexp",
        "max",
        "mean",
        "median",
        "min",
        "prod",
        "ptp",
        "sort",
        "std",
        "sum",
        "top_k",
        "var",
    ),
    "shapes": (
        "append",
        "array_split",
        "broadcast_to",
        "concatenate",
        "copy",
        "diag",
        "diagonal",
        "expand_dims",
        "flip",
        "get_item",
        "hstack",
        "meshgrid",
        "moveaxis",
        "ndim",
        "nonzero",
        "pad",
        "ravel",
        "repeat",
        "reshape",
        "roll",
        "size",
        "split",
        "squeeze",
        "stack",
        "swapaxes",
        "take",
        "take_along_axis",
        "tile",
        "transpose",
        "tril",
        "triu",
        "unravel_index",
        "vstack",
    ),
    "products": (
        "cross",
        "dot",
        "einsum",
        "inner",
        "kron",
        "matmul",
        "outer",
        "slogdet",
        "tensordot",
        "trace",
        "vdot",
    ),
    "linalg": (
        "cholesky",
        "det",
        "eigh",
        "inv",
        "norm",
        "qr",
        "solve",
        "solve_triangular",
        "svd",
    ),
    "creation": (
        "arange",
        "array",
        "empty",
        "empty_like",
        "eye",
        "full",
        "full_like",
        "identity",
        "linspace",
        "logspace",
        "ones",
        "ones_like",
        "tri",
        "zeros",
        "zeros_like",
    ),
    "nn": (
        "average_pool",
        "batch_normalization",
        "binary_crossentropy",
        "categorical_crossentropy",
        "celu",
        "conv",
        "depthwise_conv",
        "elu",
        "gelu",
        "glu",
        "hard_shrink",
        "hard_sigmoid",
        "hard_silu",
        "hard_swish",
        "hard_tanh",
        "layer_normalization",
        "leaky_relu",
        "log_sigmoid",
        "log_softmax",
        "max_pool",
        "moments",
        "multi_hot",
        "normalize",
        "one_hot",
        "psnr",
        "relu",
        "relu6",
        "rms_normalization",
        "selu",
        "separable_conv",
        "sigmoid",
        "silu",
        "soft_shrink",
        "softmax",
        "softplus",
        "softsign",
        "sparse_categorical_crossentropy",
        "sparse_plus",
        "sparse_sigmoid",
        "sparsemax",
        "squareplus",
        "swish",
        "tanh_shrink",
        "threshold",
    ),
}
_MODULE_OF = {name: module for module, names in OPS_BY_MODULE.items() for name in names}
_NAMESPACES = ("linalg", "nn")


def __getattr__(name: str) -> Any:
    """Load an op's module on first use (`ops.sum` imports `minikeras.ops.reductions` once)."""
    if name in _NAMESPACES:
        return importlib.import_module(f"minikeras.ops.{name}")
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'minikeras.ops' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"minikeras.ops.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = sorted([*_MODULE_OF, *_NAMESPACES])
