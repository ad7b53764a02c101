"""Keras's `keras.ops.nn`: activations, softmax, cross-entropies, normalization, convolution and pooling.

Every function is differentiable under autograd. The activations are written so that their
gradient is finite wherever the function is (both sides of a `where` are computed, so each
side is kept in its safe range), and, as in Keras, the gradient of a kink (`relu` at 0) is the
one-sided value Keras's JAX backend gives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import config
from minikeras.ops import OPS_BY_MODULE, convolution
from minikeras.ops.backend import array_module, value_of
from minikeras.ops.core import Tensor, cast, convert_to_tensor, float_operand
from minikeras.ops.elementwise import erfc
from minikeras.ops.linalg import norm
from minikeras.ops.reductions import logsumexp

# --------------------------------------------------------------------------- activations


def relu(x: Any) -> Tensor:
    """`max(x, 0)`, elementwise (gradient 0 at 0)."""
    x = convert_to_tensor(x)
    return array_module(x).where(value_of(x) > 0, x, 0)


def relu6(x: Any) -> Tensor:
    """`min(max(x, 0), 6)`, elementwise."""
    x = convert_to_tensor(x)
    raw = value_of(x)
    return array_module(x).where((raw > 0) & (raw < 6), x, np.where(raw >= 6, 6, 0).astype(x.dtype))


def sigmoid(x: Any) -> Tensor:
    """`1 / (1 + exp(-x))`, elementwise, accurate in both tails."""
    x = float_operand(x)
    xp = array_module(x)
    positive = value_of(x) >= 0
    # exp of the non-positive side only: exp(-|x|) never overflows.
    e = xp.exp(xp.where(positive, -x, x))
    return xp.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(x: Any) -> Tensor:
    """`log(1 + exp(x))`, elementwise, without overflow."""
    x = float_operand(x)
    return array_module(x).logaddexp(x, 0.0)


def softsign(x: Any) -> Tensor:
    """`x / (1 + |x|)`, elementwise."""
    x = float_operand(x)
    return x / (1.0 + array_module(x).abs(x))


def silu(x: Any) -> Tensor:
    """`x * sigmoid(x)`, elementwise (also called swish)."""
    x = float_operand(x)
    return x * sigmoid(x)


swish = silu


def log_sigmoid(x: Any) -> Tensor:
    """`log(sigmoid(x)) = -softplus(-x)`, elementwise, without overflow."""
    return -softplus(-float_operand(x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """`x` where `x >= 0`, else `negative_slope * x`."""
    x = float_operand(x)
    return array_module(x).where(value_of(x) >= 0, x, negative_slope * x)


def hard_sigmoid(x: Any) -> Tensor:
    """`relu6(x + 3) / 6`: a piecewise linear sigmoid."""
    x = float_operand(x)
    return relu6(x + 3.0) / 6.0


def hard_silu(x: Any) -> Tensor:
    """`x * hard_sigmoid(x)` (also called hard swish)."""
    x = float_operand(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def _expm1_negative(x: Any) -> Any:
    """`exp(x) - 1` for the non-positive part of `x` (0 elsewhere), safe on both sides of a `where`."""
    xp = array_module(x)
    return xp.expm1(xp.minimum(x, 0.0))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """`x` where `x > 0`, else `alpha * (exp(x) - 1)`."""
    x = float_operand(x)
    return array_module(x).where(value_of(x) > 0, x, alpha * _expm1_negative(x))


def selu(x: Any) -> Tensor:
    """`scale * elu(x, alpha)` with the self-normalizing constants (alpha 1.6733..., scale 1.0507...)."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """`max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)`."""
    x = float_operand(x)
    return array_module(x).where(value_of(x) > 0, x, alpha * _expm1_negative(x / alpha))


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """The Gaussian error linear unit `x * Phi(x)` (`Phi` the standard normal CDF).

    Args:
        x: a tensor.
        approximate: use the tanh approximation
            `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` (Keras's default) instead of the
            exact `0.5 x erfc(-x / sqrt(2))`.
    """
    x = float_operand(x)
    xp = array_module(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + xp.tanh(inner))
    return 0.5 * x * erfc(-x / math.sqrt(2.0))


def glu(x: Any, axis: int = -1) -> Tensor:
    """The gated linear unit: `a * sigmoid(b)` with `a`, `b` the two halves of `x` along `axis`."""
    from minikeras.ops.shapes import split

    x = float_operand(x)
    if x.shape[axis] % 2:
        raise ValueError(f"`x` must have an even length along axis {axis}. Received: x.shape={x.shape}")
    a, b = split(x, 2, axis=axis)
    return a * sigmoid(b)


def hard_tanh(x: Any) -> Tensor:
    """`x` clipped to `[-1, 1]`."""
    x = float_operand(x)
    raw = value_of(x)
    return array_module(x).where(np.abs(raw) < 1, x, np.sign(raw).astype(x.dtype))


def tanh_shrink(x: Any) -> Tensor:
    """`x - tanh(x)`."""
    x = float_operand(x)
    return x - array_module(x).tanh(x)


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    x = float_operand(x)
    raw = value_of(x)
    xp = array_module(x)
    return xp.where(raw > threshold, x - threshold, xp.where(raw < -threshold, x + threshold, 0.0))


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """`x` where `|x| > threshold`, else 0."""
    x = float_operand(x)
    return array_module(x).where(np.abs(value_of(x)) > threshold, x, 0.0)


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """`x` where `x > threshold`, else `default_value`."""
    x = convert_to_tensor(x)
    return array_module(x).where(value_of(x) > threshold, x, default_value)


def squareplus(x: Any, b: float = 4) -> Tensor:
    """`(x + sqrt(x^2 + b)) / 2`: a smooth relu."""
    x = float_operand(x)
    return (x + array_module(x).sqrt(x * x + b)) / 2.0


def sparse_plus(x: Any) -> Tensor:
    """0 below -1, `(x + 1)^2 / 4` on `[-1, 1]`, `x` above 1."""
    x = float_operand(x)
    raw = value_of(x)
    xp = array_module(x)
    return xp.where(raw >= 1, x, xp.where(raw <= -1, 0.0, (x + 1.0) * (x + 1.0) / 4.0))


def sparse_sigmoid(x: Any) -> Tensor:
    """0 below -1, `(x + 1) / 2` on `[-1, 1]`, 1 above 1."""
    x = float_operand(x)
    raw = value_of(x)
    xp = array_module(x)
    return xp.where(raw >= 1, 1.0, xp.where(raw <= -1, 0.0, (x + 1.0) / 2.0))


def _axes(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def softmax(x: Any, axis: Any = -1) -> Tensor:
    """`exp(x) / sum(exp(x))` along `axis` (an int, a tuple, or None for all axes), without overflow."""
    x = float_operand(x)
    xp = array_module(x)
    axis = _axes(axis)
    # The shift is a constant for the gradient: softmax does not depend on it.
    shift = np.max(value_of(x), axis=axis, keepdims=True)
    e = xp.exp(x - np.where(np.isfinite(shift), shift, 0).astype(x.dtype))
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: Any = -1) -> Tensor:
    """`x - logsumexp(x)` along `axis`: the log of `softmax`, without its underflow."""
    x = float_operand(x)
    return x - logsumexp(x, axis=_axes(axis), keepdims=True)


def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """The Euclidean projection of `x` onto the probability simplex along `axis`: a softmax with exact zeros."""
    from minikeras.ops.shapes import moveaxis

    x = float_operand(x)
    xp = array_module(x)
    moved = moveaxis(x, axis, -1)
    raw = np.sort(value_of(moved), axis=-1)[..., ::-1]
    k = np.arange(1, raw.shape[-1] + 1, dtype=raw.dtype)
    cumulative = np.cumsum(raw, axis=-1)
    support = (1 + k * raw > cumulative).sum(axis=-1, keepdims=True)
    in_support = value_of(moved) >= np.take_along_axis(raw, support - 1, axis=-1)
    # tau is a differentiable function of the entries in the support.
    tau = (xp.sum(xp.where(in_support, moved, 0.0), axis=-1, keepdims=True) - 1.0) / support.astype(raw.dtype)
    return moveaxis(xp.maximum(moved - tau, 0.0), -1, axis)


# --------------------------------------------------------------------------- encodings
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> np.ndarray:
    """Integer labels as one-hot vectors along a new axis `axis`; labels outside `[0, num_classes)` give zeros.

    Args:
        x: integer labels of any shape.
        num_classes: the length of the new axis.
        axis: where the new axis goes (-1: last).
        dtype: the result's dtype (`floatx()` by default).
        sparse: only False (minikeras has no sparse tensors).

    Returns:
        A tensor of rank `x.ndim + 1`.
    """
    if sparse:
        raise ValueError("minikeras has no sparse tensors: `sparse` must be False.")
    labels = np.asarray(value_of(convert_to_tensor(x)))
    encoded = np.expand_dims(labels, -1) == np.arange(int(num_classes))
    if axis != -1:
        encoded = np.moveaxis(encoded, -1, axis)
    return encoded.astype(config.floatx() if dtype is None else np.dtype(dtype))


def multi_hot(
    inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None, sparse: bool = False, **kwargs: Any
) -> np.ndarray:
    """Integer labels as multi-hot vectors: 1 for each class present (per row when `inputs` is 2-D).

    Args:
        inputs: integer labels, 1-D (one set) or 2-D (one set per row).
        num_classes: the length of the encoding.
        axis: where the class axis goes.
        dtype: the result's dtype (`floatx()` by default).
        sparse: only False.
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("`num_classes` must be given.")
    labels = np.asarray(value_of(convert_to_tensor(inputs))).astype(np.int64)
    encoded = one_hot(labels, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return encoded.max(axis=1 if labels.ndim > 1 else 0)


# --------------------------------------------------------------------------- cross-entropies
def _same_shape(target: Any, output: Any) -> None:
    if tuple(np.shape(value_of(target))) != tuple(np.shape(value_of(output))):
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={np.shape(value_of(target))}, output.shape={np.shape(value_of(output))}"
        )


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Elementwise binary cross-entropy `-(t log p + (1 - t) log(1 - p))` (no reduction).

    Args:
        target: the labels (0 or 1, or probabilities), shaped like `output`.
        output: probabilities (clipped to `[epsilon, 1 - epsilon]`), or logits with `from_logits`.
        from_logits: whether `output` holds logits.
    """
    target, output = convert_to_tensor(target), float_operand(output)
    _same_shape(target, output)
    xp = array_module(target, output)
    if from_logits:
        return -target * log_sigmoid(output) - (1.0 - target) * log_sigmoid(-output)
    eps = config.epsilon()
    output = xp.clip(output, eps, 1.0 - eps)
    return -(target * xp.log(output) + (1.0 - target) * xp.log(1.0 - output))


def _log_probabilities(output: Any, from_logits: bool, axis: int) -> Tensor:
    xp = array_module(output)
    if from_logits:
        return log_softmax(output, axis=axis)
    output = output / xp.sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    return xp.log(xp.clip(output, eps, 1.0 - eps))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Categorical cross-entropy `-sum(t log p)` along `axis` (no other reduction).

    Args:
        target: one-hot (or soft) labels, shaped like `output`.
        output: probabilities (rescaled to sum to 1, then clipped to `[epsilon, 1 - epsilon]`), or
            logits with `from_logits`.
        from_logits: whether `output` holds logits.
        axis: the class axis.

    Returns:
        The loss per sample: `output`'s shape without `axis`.
    """
    target, output = convert_to_tensor(target), float_operand(output)
    _same_shape(target, output)
    if output.ndim < 1:
        raise ValueError(
            f"Arguments `target` and `output` must be at least rank 1. Received: output.shape={output.shape}"
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    return -array_module(target, log_prob).sum(target * log_prob, axis=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Categorical cross-entropy with integer labels: `-log p[label]` along `axis`.

    Args:
        target: integer labels, shaped like `output` without `axis` (a trailing axis of
            length 1 is dropped).
        output: probabilities or logits (see `categorical_crossentropy`).
        from_logits: whether `output` holds logits.
        axis: the class axis.

    Returns:
        The loss per sample. Labels outside `[0, classes)` give 0.
    """
    labels = np.asarray(value_of(convert_to_tensor(target))).astype(np.int32)
    output = float_operand(output)
    if output.ndim < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={output.shape}")
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != output.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={labels.shape}, output.shape={output.shape}"
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    picked = one_hot(labels, output.shape[axis], axis=axis, dtype=output.dtype)
    return -array_module(log_prob).sum(picked * log_prob, axis=axis)


# --------------------------------------------------------------------------- normalization
def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """The mean and variance of `x` over `axes`.

    Args:
        x: a tensor.
        axes: the axes to reduce (an int or a list).
        keepdims: keep the reduced axes with length 1.
        synchronized: only False (there is one device).

    Returns:
        `(mean, variance)`.
    """
    if synchronized:
        raise NotImplementedError("Argument synchronized=True is not supported: minikeras runs on one device.")
    x = float_operand(x)
    original = x.dtype
    if original == np.float16:  # float16's range is too narrow for the statistics
        x = cast(x, "float32")
    xp = array_module(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    mean = xp.mean(x, axis=axes, keepdims=True)
    centred = x - mean
    variance = xp.mean(centred * centred, axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = xp.squeeze(mean, axis=axes), xp.squeeze(variance, axis=axes)
    if original == np.float16:
        limit = float(np.finfo(np.float16).max)
        mean, variance = cast(xp.clip(mean, -limit, limit), original), cast(xp.clip(variance, -limit, limit), original)
    return mean, variance


def batch_normalization(
    x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None, epsilon: float = 1e-3
) -> Tensor:
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the statistics given per entry of `axis`.

    Args:
        x: a tensor.
        mean, variance: 1-D, one entry per position on `axis`.
        axis: the feature axis.
        offset, scale: optional 1-D beta and gamma.
        epsilon: added to the variance.
    """
    x = float_operand(x)
    mean, variance = convert_to_tensor(mean), convert_to_tensor(variance)
    xp = array_module(x, mean, variance, offset, scale)
    shape = [1] * x.ndim
    shape[axis] = mean.shape[0]
    shape_t = tuple(shape)
    inv = 1.0 / xp.sqrt(xp.reshape(variance, shape_t) + epsilon)
    if scale is not None:
        inv = inv * xp.reshape(convert_to_tensor(scale), shape_t)
    out = (x - xp.reshape(mean, shape_t)) * inv
    if offset is not None:
        out = out + xp.reshape(convert_to_tensor(offset), shape_t)
    return out


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """`x / max(norm(x), epsilon)` along `axis` (`epsilon` defaults to `config.epsilon()`)."""
    x = float_operand(x)
    if epsilon is None:
        epsilon = config.epsilon()
    xp = array_module(x)
    if order == 2:  # x * rsqrt(sum(x^2)), the reciprocal capped at 1 / epsilon
        square_sum = xp.sum(x * x, axis=axis, keepdims=True)
        return x * xp.minimum(1.0 / xp.sqrt(square_sum), 1.0 / epsilon)
    return x / xp.maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon)


def layer_normalization(
    x: Any, gamma: Any = None, beta: Any = None, axis: int = -1, epsilon: float | None = None, **kwargs: Any
) -> Tensor:
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta`, the statistics over `axis` (`epsilon`: `config.epsilon()`)."""
    x = float_operand(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    mean, variance = moments(x, axes=[axis], keepdims=True)
    xp = array_module(x, gamma, beta)
    out = (x - mean) / xp.sqrt(variance + epsilon)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out


def rms_normalization(x: Any, scale: Any = None, axis: int = -1, epsilon: float | None = None) -> Tensor:
    """`x / sqrt(mean(x^2) + epsilon) * scale`, the mean over `axis` (`epsilon` `config.epsilon()` by default)."""
    x = float_operand(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    xp = array_module(x, scale)
    out = x / xp.sqrt(xp.mean(x * x, axis=axis, keepdims=True) + epsilon)
    return out if scale is None else out * scale


# --------------------------------------------------------------------------- convolution and pooling
def _data_format(data_format: str | None) -> str:
    data_format = data_format or getattr(config, "image_data_format", lambda: "channels_last")()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return data_format


def _padding(padding: str) -> str:
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same'. Received: padding={padding!r}")
    return padding


def _to_channels_last(x: Any, data_format: str) -> Any:
    if data_format == "channels_last":
        return x
    return array_module(x).moveaxis(x, 1, -1)


def _from_channels_last(x: Any, data_format: str) -> Any:
    if data_format == "channels_last":
        return x
    return array_module(x).moveaxis(x, -1, 1)


def conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """N-D convolution (cross-correlation, as every deep-learning library computes it).

    Args:
        inputs: `(batch, *spatial, channels)` (channels_last) or `(batch, channels, *spatial)`;
            1, 2 or 3 spatial axes.
        kernel: `(*window, in_channels // groups, out_channels)`; a kernel with fewer input
            channels than `inputs` convolves `groups` channel groups separately.
        strides: an int or one per spatial axis.
        padding: `"valid"` (no padding) or `"same"` (`ceil(length / stride)` outputs).
        data_format: `"channels_last"` (the default) or `"channels_first"`.
        dilation_rate: an int or one per spatial axis: spacing between kernel taps.

    Returns:
        `(batch, *out_spatial, out_channels)` (or channels first).
    """
    data_format, padding = _data_format(data_format), _padding(padding)
    inputs, kernel = float_operand(inputs), float_operand(kernel)
    x = _to_channels_last(inputs, data_format)
    rank = x.ndim - 2
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"`kernel` must have rank {rank + 2} for inputs with {rank} spatial axes. "
            f"Received: kernel.shape={kernel.shape}"
        )
    channels, kernel_in, kernel_out = x.shape[-1], kernel.shape[-2], kernel.shape[-1]
    if channels % kernel_in or kernel_out % (channels // kernel_in):
        raise ValueError(
            "The input channels must be a multiple of the kernel's input channels (the groups), and the "
            "kernel's output channels a multiple of the groups. "
            f"Received: input channels={channels}, kernel.shape={kernel.shape}"
        )
    strides = convolution.tuple_argument(strides, rank, "strides")
    dilation = convolution.tuple_argument(dilation_rate, rank, "dilation_rate")
    pads = convolution.padding_pairs(x.shape[1:-1], kernel.shape[:-2], strides, dilation, padding)
    out = convolution.conv_channels_last(x, kernel, strides, dilation, pads)
    return _from_channels_last(out, data_format)


def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """Depthwise convolution: each input channel convolved with its own `multiplier` filters.

    Args:
        inputs: as for `conv`.
        kernel: `(*window, in_channels, multiplier)`; output channel `c * multiplier + m`.
        strides, padding, data_format, dilation_rate: as for `conv`.

    Returns:
        `(batch, *out_spatial, in_channels * multiplier)` (or channels first).
    """
    kernel = float_operand(kernel)
    shape = tuple(kernel.shape[:-2]) + (1, kernel.shape[-2] * kernel.shape[-1])
    return conv(inputs, array_module(kernel).reshape(kernel, shape), strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """A depthwise convolution followed by a pointwise (1x1) one mixing the channels.

    Args:
        inputs: as for `conv`.
        depthwise_kernel: `(*window, in_channels, multiplier)`.
        pointwise_kernel: `(*ones, in_channels * multiplier, out_channels)`.
        strides, padding, data_format, dilation_rate: as for `conv` (for the depthwise step).
    """
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def _pool_arguments(inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: str | None) -> Any:
    data_format, padding = _data_format(data_format), _padding(padding)
    x = _to_channels_last(float_operand(inputs), data_format)
    rank = x.ndim - 2
    window = convolution.tuple_argument(pool_size, rank, "pool_size")
    steps = window if strides is None else convolution.tuple_argument(strides, rank, "strides")
    pads = convolution.padding_pairs(x.shape[1:-1], window, steps, (1,) * rank, padding)
    return x, window, steps, pads, data_format


def max_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: str | None = None
) -> Tensor:
    """The largest entry of each window (padding never wins).

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        pool_size: an int or one per spatial axis.
        strides: an int or one per spatial axis (`pool_size` when None).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (the default) or `"channels_first"`.
    """
    x, window, steps, pads, data_format = _pool_arguments(inputs, pool_size, strides, padding, data_format)
    return _from_channels_last(convolution.max_pool_channels_last(x, window, steps, pads), data_format)


def average_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: str | None = None
) -> Tensor:
    """The mean of each window; with `"same"` padding, of its real (unpadded) entries only.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        pool_size: an int or one per spatial axis.
        strides: an int or one per spatial axis (`pool_size` when None).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (the default) or `"channels_first"`.
    """
    x, window, steps, pads, data_format = _pool_arguments(inputs, pool_size, strides, padding, data_format)
    return _from_channels_last(convolution.average_pool_channels_last(x, window, steps, pads), data_format)


# --------------------------------------------------------------------------- metrics
def psnr(x1: Any, x2: Any, max_val: float) -> Tensor:
    """The peak signal-to-noise ratio `20 log10(max_val) - 10 log10(mse(x1, x2))`, in dB."""
    x1, x2 = float_operand(x1), float_operand(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"`x1` and `x2` must have the same shape. Received: {x1.shape} and {x2.shape}")
    xp = array_module(x1, x2)
    mse = xp.mean(xp.square(x1 - x2))
    return 20.0 * math.log10(max_val) - 10.0 * xp.log10(mse)


__all__ = list(OPS_BY_MODULE["nn"])  # the names this module publishes, listed once in ops/__init__
