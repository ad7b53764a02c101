"""Losses: each gives its value and its gradient with respect to the predictions.

A loss object is called as `loss(y_true, y_pred, sample_weight=None)` and
returns a scalar: the per-sample values (one per sample, the last axis
reduced) weighted by `sample_weight` and reduced as Keras does:
`"sum_over_batch_size"` (default) divides the weighted sum by the number of
values, not by the sum of weights. `loss.gradient(...)` returns `dL/dy_pred`
of that same scalar, with `y_pred`'s shape; `value_and_gradient` returns both
from one pass, which is what the training loop uses.

The functions `categorical_crossentropy(y_true, y_pred)` and friends return the
unreduced per-sample values, as Keras's do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from minikeras import activations
from minikeras import config as _config
from minikeras.ops.constants import index_vector
from minikeras.saving import registry
from minikeras.utils.sample_weights import broadcast_sample_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike
    from typing_extensions import Self

# A loss's value: a numpy float, or the per-sample values with `reduction="none"`.
LossValue: TypeAlias = "np.floating | np.ndarray"
# The per-sample values and, when asked, their gradient with respect to the predictions.
ValuesAndGradient: TypeAlias = "tuple[np.ndarray, np.ndarray | None]"

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """Base class of losses.

    Subclasses implement `compute(y_true, y_pred, with_gradient)` returning the
    per-sample values and, if asked, `d values / d y_pred` (each sample's value
    depends only on its own row).

    Args:
        name: the name shown in logs.
        reduction: "sum_over_batch_size" (default), "sum", "mean" (same as the
            default), "mean_with_sample_weight" (divide by the sum of weights)
            or "none" (return the per-sample values; the gradient is that of
            their sum).
    """

    default_name = "loss"

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: DTypeLike | None = None
    ) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"Invalid reduction for loss {name or self.default_name}: {reduction!r}. Expected one of {_REDUCTIONS}."
            )
        self.name = name or self.default_name
        self.reduction = reduction
        self.dtype = dtype

    # -- what subclasses define
    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        raise NotImplementedError

    # -- public API
    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> LossValue:
        value, _ = self._reduce(y_true, y_pred, sample_weight, with_gradient=False)
        return value

    def gradient(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> np.ndarray:
        """Return dL/dy_pred of the reduced loss, shaped like `y_pred`."""
        return self._reduce(y_true, y_pred, sample_weight, with_gradient=True)[1]

    def value_and_gradient(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[LossValue, np.ndarray]:
        """Return `(loss, dL/dy_pred)` computed in one pass."""
        return self._reduce(y_true, y_pred, sample_weight, with_gradient=True)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    # -- the softmax shortcut (the cross-entropies on probabilities)
    def takes_softmax_shortcut(self) -> bool:
        """Whether `value_and_logits_gradient` applies to this loss as configured."""
        return False

    def value_and_logits_gradient(
        self, y_true: ArrayLike, probs: np.ndarray, sample_weight: ArrayLike | None = None
    ) -> tuple[LossValue, np.ndarray] | None:
        """`(loss, dL/dz)` for `probs = softmax(z)` over the last axis, or None where a
        probability is clipped (see `softmax_shortcut`). Only when `takes_softmax_shortcut()`."""
        try:
            return self._reduce(y_true, probs, sample_weight, True, compute=self._compute_from_softmax)
        except _ClipActive:
            return None

    def _compute_from_softmax(self, y_true, probs, with_gradient):
        raise NotImplementedError(f"{type(self).__name__} has no softmax shortcut.")

    @classmethod
    def from_config(cls, config: dict) -> Self:
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    # -- internals
    def _reduce(self, y_true, y_pred, sample_weight, with_gradient, compute=None):
        y_pred = np.asarray(y_pred)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(_config.floatx())
        y_true = np.asarray(y_true)
        values, grad = (compute or self.compute)(y_true, y_pred, with_gradient)
        weights = None
        if sample_weight is not None:
            weights = broadcast_sample_weight(np.asarray(sample_weight, dtype=values.dtype), values)
            values = values * weights
        if self.reduction in ("none", None):
            scale = 1.0
            value = values
        elif self.reduction == "sum":
            scale = 1.0
            value = values.sum()
        else:
            if self.reduction == "mean_with_sample_weight" and weights is not None:
                divisor = float(np.broadcast_to(weights, values.shape).sum())
            else:
                divisor = float(values.size)
            scale = 1.0 / divisor if divisor else 0.0
            value = values.sum() * scale
        if not with_gradient:
            return value, None
        assert grad is not None  # `compute` returns the gradient when asked for it
        factor = np.asarray(scale, dtype=grad.dtype)
        if weights is not None:
            # one weight per value; the values reduced `reduced_axis` of y_pred away
            per_value = np.broadcast_to(weights * factor, values.shape)
            factor = np.expand_dims(per_value, self.reduced_axis % grad.ndim).astype(grad.dtype, copy=False)
        return value, grad * factor

    @property
    def reduced_axis(self) -> int:
        """The axis of `y_pred` that each per-sample value is reduced over (the last, unless `axis` says otherwise)."""
        return getattr(self, "axis", -1)


def _match_rank(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Give `y_true` the rank of `y_pred` when they differ by a trailing axis of 1 (see `check_target_shape`)."""
    shape = check_target_shape(y_true.shape, y_pred.shape)
    return y_true if shape == y_true.shape else y_true.reshape(shape)


def check_target_shape(
    target_shape: Sequence[int],
    prediction_shape: Sequence[int | None],
    what: str = "y_true",
    predictions: str = "y_pred",
    loss: Loss | None = None,
) -> tuple:
    """Check that targets can go with predictions one to one, as every loss but the sparse ones needs.

    The two may differ by one trailing axis of 1 (targets `(samples,)` for
    predictions `(samples, 1)`, or the other way round); past that they must be
    equal. A `None` in `prediction_shape` (the batch axis of a model's output
    before any data) matches any size.

    Args:
        target_shape: shape of the targets.
        prediction_shape: shape of the predictions, or of the model's output.
        what: the targets' name in the error (`"y_true"`, `"y"`, `"y_val"`).
        predictions: the predictions' name in the error.
        loss: the loss the targets are for; names it in the error, and hints at
            one-hot encoding for integer labels given to `CategoricalCrossentropy`.

    Returns:
        The shape the targets take to match the predictions.

    Raises:
        ValueError: naming both shapes.
    """
    target_shape, prediction_shape = tuple(target_shape), tuple(prediction_shape)
    shape = target_shape
    if len(target_shape) == len(prediction_shape) - 1 and prediction_shape[-1] == 1:
        shape = (*target_shape, 1)
    elif len(target_shape) == len(prediction_shape) + 1 and target_shape[-1] == 1:
        shape = target_shape[:-1]
    if shape == prediction_shape or _fits(shape, prediction_shape):
        return shape
    prefix = f"{type(loss).__name__}: " if loss is not None else ""
    if _fits(shape[1:], prediction_shape[1:]):
        need = "both must have the same number of samples"
    else:
        need = f"each target must have shape {prediction_shape[1:]}"
    hint = ""
    if isinstance(loss, CategoricalCrossentropy) and len(target_shape) == 1:
        hint = " One-hot encode the labels (minikeras.utils.to_categorical) or use sparse_categorical_crossentropy."
    raise ValueError(
        f"{prefix}{what} has shape {target_shape}, but {predictions} has shape {prediction_shape}; {need}.{hint}"
    )


def _fits(shape: tuple, expected: tuple) -> bool:
    """Whether `shape` is `expected`, a `None` in `expected` standing for any size."""
    return len(shape) == len(expected) and all(e is None or e == s for s, e in zip(shape, expected))


class CategoricalCrossentropy(Loss):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    Per sample: `-sum_c t_c log(q_c)` where, as in Keras, the predictions are
    first divided by their sum (`q = p / sum(p)`) and clipped to
    `[eps, 1 - eps]`. With `from_logits=True` the predictions are logits and
    `log q = log_softmax(z)`, with no clipping.

    Gradient: through the clip and the normalization,
    `dL/dp_k = (g_k - sum_j g_j q_j) / sum(p)` with `g = -t / q` (zero where the
    clip is active). From logits it is `softmax(z) * sum(t) - t`.

    Args:
        from_logits: whether `y_pred` holds logits (default False).
        label_smoothing: in [0, 1]; labels become `t (1 - s) + s / classes`,
            `classes` being the size of the labels' last axis (as in Keras,
            even when `axis` is another one).
        axis: the class axis (default -1).
    """

    default_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1]. Received: label_smoothing={label_smoothing}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        classes = y_true.shape[-1]  # Keras smooths with the last axis's size, whatever `axis` is
        if self.axis not in (-1, y_pred.ndim - 1):
            y_pred = np.moveaxis(y_pred, self.axis, -1)
            y_true = np.moveaxis(y_true, self.axis, -1)
        if self.label_smoothing:
            y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / classes
        values, grad = categorical_crossentropy_with_gradient(y_true, y_pred, self.from_logits, with_gradient)
        if grad is not None and self.axis not in (-1, y_pred.ndim - 1):
            grad = np.moveaxis(grad, -1, self.axis)
        return values, grad

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }

    def takes_softmax_shortcut(self) -> bool:
        """Probabilities, no smoothing, classes on the last axis."""
        return not self.from_logits and not self.label_smoothing and self.axis == -1

    def _compute_from_softmax(self, y_true, probs, with_gradient):
        return softmax_shortcut(_match_rank(y_true, probs).astype(probs.dtype, copy=False), probs, with_gradient)


def categorical_crossentropy_with_gradient(
    y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool, with_gradient: bool
) -> ValuesAndGradient:
    """Per-sample categorical cross-entropy over the last axis and, if asked, its gradient."""
    if from_logits:
        log_q = activations.log_softmax(y_pred)
        values = -(y_true * log_q).sum(axis=-1)
        if not with_gradient:
            return values, None
        return values, np.exp(log_q) * y_true.sum(axis=-1, keepdims=True) - y_true
    eps = _config.epsilon()
    total = y_pred.sum(axis=-1, keepdims=True)
    q = y_pred / total
    q_clipped = np.clip(q, eps, 1.0 - eps)
    values = -(y_true * np.log(q_clipped)).sum(axis=-1)
    if not with_gradient:
        return values, None
    inside = (q >= eps) & (q <= 1.0 - eps)
    grad_q = np.where(inside, -y_true / q_clipped, 0.0).astype(y_pred.dtype, copy=False)
    grad_p = (grad_q - (grad_q * q).sum(axis=-1, keepdims=True)) / total
    return values, grad_p


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer labels `(batch,)` or `(batch, 1)`.

    The same value and gradient as `CategoricalCrossentropy` on the one-hot
    labels. Labels must be integers in `[0, classes)`.

    Args:
        from_logits: whether `y_pred` holds logits (default False).
    """

    default_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        one_hot = sparse_labels_to_one_hot(y_true, y_pred)
        return categorical_crossentropy_with_gradient(one_hot, y_pred, self.from_logits, with_gradient)

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits}

    def takes_softmax_shortcut(self) -> bool:
        """Probabilities, not logits."""
        return not self.from_logits

    def _compute_from_softmax(self, y_true, probs, with_gradient):
        return sparse_softmax_shortcut(checked_sparse_labels(y_true, probs.shape), probs, with_gradient)


class _ClipActive(Exception):
    """Raised inside the reduction when the softmax shortcut does not give the clipped loss's gradient."""


def softmax_shortcut(y_true: np.ndarray, probs: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
    """Per-sample cross-entropy of `probs = softmax(z)` and its gradient with respect to `z`.

    Through the softmax's Jacobian the clipped cross-entropy's gradient (see
    `categorical_crossentropy_with_gradient`) collapses to `q * sum(t) - t`, with `q` the
    normalized probabilities, as long as no `q` that a label weighs is clipped (a clipped
    `q` where `t = 0` enters neither the value nor the gradient): the classic shortcut,
    taken only where it is exact. Raises `_ClipActive` otherwise.
    """
    q = probs / probs.sum(axis=-1, keepdims=True)
    _check_unclipped(q[y_true != 0])
    values = -(y_true * np.log(q)).sum(axis=-1)
    if not with_gradient:
        return values, None
    return values, q * y_true.sum(axis=-1, keepdims=True) - y_true


def sparse_softmax_shortcut(labels: np.ndarray, probs: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
    """`softmax_shortcut` for integer labels, without building one-hot rows: `q` minus 1 at each label.

    Only the probability at each label enters the loss, so only those need to be unclipped.
    """
    rows = probs.reshape(-1, probs.shape[-1])
    q = rows / np.add.reduce(rows, axis=-1, keepdims=True)
    picked = (index_vector(len(q)), labels.reshape(-1))
    q_label = q[picked]
    _check_unclipped(q_label)
    values = -np.log(q_label).reshape(labels.shape)
    if not with_gradient:
        return values, None
    q[picked] = q_label - 1.0  # q is ours: it becomes the gradient in place
    return values, q.reshape(probs.shape)


def _check_unclipped(q: np.ndarray) -> None:
    """Raise `_ClipActive` if the cross-entropy's clip to `[eps, 1 - eps]` would change any of `q`."""
    eps = _config.epsilon()
    if q.size and (np.minimum.reduce(q, axis=None) < eps or np.maximum.reduce(q, axis=None) > 1.0 - eps):
        raise _ClipActive


def sparse_labels_to_one_hot(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """One-hot rows for integer labels, checked against the number of classes in `y_pred`."""
    labels = checked_sparse_labels(y_true, y_pred.shape)
    one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
    np.put_along_axis(one_hot, labels[..., None], 1.0, axis=-1)
    return one_hot


def checked_sparse_labels(
    y_true: ArrayLike, prediction_shape: Sequence[int | None], what: str = "y_true", predictions: str = "y_pred"
) -> np.ndarray:
    """Integer labels shaped `prediction_shape[:-1]`, checked to be whole numbers in `[0, classes)`.

    Args:
        y_true: labels `(samples,)` or `(samples, 1)` (more axes for
            predictions with more axes), integer or whole floats.
        prediction_shape: shape of the predictions, or of the model's output: a
            `None` (the batch axis before any data) matches any size, and a
            `None` class count skips the range check.
        what: the labels' name in the errors (`"y_true"`, `"y"`, `"y_val"`).
        predictions: the predictions' name in the errors.

    Returns:
        The labels as int64, shaped `prediction_shape[:-1]`.

    Raises:
        ValueError: for a shape, a value that is not an integer, or a class out of range.
    """
    labels = np.asarray(y_true)
    prediction_shape = tuple(prediction_shape)
    if labels.ndim == len(prediction_shape) and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != prediction_shape[:-1] and not _fits(labels.shape, prediction_shape[:-1]):
        raise ValueError(
            f"Sparse categorical labels must have shape (samples,) or (samples, 1) to go with {predictions} of shape "
            f"{prediction_shape}. Received {what} of shape {np.shape(y_true)}."
        )
    classes = prediction_shape[-1]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(f"Sparse categorical labels must be integers; {what} holds non-integer values.")
    labels = labels.astype(np.int64, copy=False)
    # One reduction for both ends: seen as unsigned, a negative label is a huge number.
    if classes is not None and labels.size and np.maximum.reduce(labels.view(np.uint64), axis=None) >= classes:
        raise ValueError(
            f"Sparse categorical labels must be in [0, {classes}) for predictions with {classes} classes. "
            f"Received {what} from {labels.min()} to {labels.max()}."
        )
    return labels


class BinaryCrossentropy(Loss):
    """Binary cross-entropy, averaged over the last axis.

    Per element: `-(t log p + (1 - t) log(1 - p))` with `p` clipped to
    `[eps, 1 - eps]`; from logits `z` it is computed stably as
    `max(z, 0) - z t + log(1 + exp(-|z|))`, whose gradient is `sigmoid(z) - t`.

    Args:
        from_logits: whether `y_pred` holds logits (default False).
        label_smoothing: in [0, 1]; labels become `t (1 - s) + s / 2`.
        axis: the axis averaged over (default -1).
    """

    default_name = "binary_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1]. Received: label_smoothing={label_smoothing}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        if self.axis not in (-1, y_pred.ndim - 1):  # average over another axis: move it last
            values, grad = BinaryCrossentropy(self.from_logits, self.label_smoothing).compute(
                np.moveaxis(y_true, self.axis, -1), np.moveaxis(y_pred, self.axis, -1), with_gradient
            )
            return values, None if grad is None else np.moveaxis(grad, -1, self.axis)
        if self.label_smoothing:
            y_true = y_true * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        width = y_pred.shape[-1]
        if self.from_logits:
            elements = np.maximum(y_pred, 0) - y_pred * y_true + np.log1p(np.exp(-np.abs(y_pred)))
            grad = (activations.sigmoid(y_pred) - y_true) / width if with_gradient else None
        else:
            eps = _config.epsilon()
            p = np.clip(y_pred, eps, 1.0 - eps)
            elements = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
            grad = None
            if with_gradient:
                inside = (y_pred >= eps) & (y_pred <= 1.0 - eps)
                grad = np.where(inside, (p - y_true) / (p * (1.0 - p)), 0.0).astype(y_pred.dtype, copy=False) / width
        return elements.mean(axis=-1), grad

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class MeanSquaredError(Loss):
    """Mean of `(y_pred - y_true)^2` over the last axis; gradient `2 (y_pred - y_true) / width`."""

    default_name = "mean_squared_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        diff = y_pred - _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        values = np.mean(diff * diff, axis=-1)
        return values, (2.0 / diff.shape[-1]) * diff if with_gradient else None


class MeanAbsoluteError(Loss):
    """Mean of `|y_pred - y_true|` over the last axis; gradient `sign(y_pred - y_true) / width`."""

    default_name = "mean_absolute_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        diff = y_pred - _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        values = np.mean(np.abs(diff), axis=-1)
        return values, np.sign(diff) / diff.shape[-1] if with_gradient else None


def _difference(y_true, y_pred) -> np.ndarray:
    """`y_pred - y_true` after giving the labels the predictions' rank and dtype."""
    return y_pred - _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)


class MeanAbsolutePercentageError(Loss):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, eps))` over the last axis.

    As in Keras the denominator is bounded below by `epsilon()` (1e-7), so a zero
    label gives a large but finite value. Gradient:
    `100 * sign(y_pred - y_true) / max(|y_true|, eps) / width`.
    """

    default_name = "mean_absolute_percentage_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        scale = 100.0 / np.maximum(np.abs(y_true), _config.epsilon())
        diff = y_pred - y_true
        values = np.mean(np.abs(diff) * scale, axis=-1)
        return values, (np.sign(diff) * scale / diff.shape[-1]).astype(
            y_pred.dtype, copy=False
        ) if with_gradient else None


class MeanSquaredLogarithmicError(Loss):
    """`mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2)` over the last axis.

    Values below `epsilon()` are raised to it before the logarithm, as Keras
    does, so the gradient is zero where `y_pred < eps`; elsewhere it is
    `2 (a - b) / (y_pred + 1) / width` with `a`, `b` the two logarithms.
    """

    default_name = "mean_squared_logarithmic_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        eps = _config.epsilon()
        y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        shifted_pred = np.maximum(y_pred, eps) + 1.0
        diff = np.log(shifted_pred) - np.log(np.maximum(y_true, eps) + 1.0)
        values = np.mean(diff * diff, axis=-1)
        if not with_gradient:
            return values, None
        grad = np.where(y_pred >= eps, 2.0 * diff / shifted_pred, 0.0) / diff.shape[-1]
        return values, grad.astype(y_pred.dtype, copy=False)


class CosineSimilarity(Loss):
    """Negative cosine similarity along `axis`: `-sum(u * v)`, `u`, `v` the unit-length labels and predictions.

    Each vector is divided by `max(||x||, eps)`, Keras's `normalize`, so a zero
    vector gives 0. Values lie in [-1, 1]; -1 means the same direction.
    With `n = ||y_pred||`, the gradient is `-(u - (u . v) v) / n` where
    `n > eps`, else `-u / eps`.

    Args:
        axis: the axis the similarity is computed along (default -1).
    """

    default_name = "cosine_similarity"

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = axis

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        eps = _config.epsilon()
        y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        true_unit = y_true / np.maximum(np.sqrt(np.sum(y_true * y_true, axis=self.axis, keepdims=True)), eps)
        norm = np.sqrt(np.sum(y_pred * y_pred, axis=self.axis, keepdims=True))
        inverse = 1.0 / np.maximum(norm, eps)
        pred_unit = y_pred * inverse
        cosine = np.sum(true_unit * pred_unit, axis=self.axis, keepdims=True)
        values = -np.squeeze(cosine, axis=self.axis)
        if not with_gradient:
            return values, None
        grad = -inverse * (true_unit - np.where(norm > eps, cosine * pred_unit, 0.0))
        return values, grad.astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Huber(Loss):
    """Huber loss, averaged over the last axis: quadratic for small errors, linear for large.

    Per element, with `e = y_pred - y_true`: `e^2 / 2` where `|e| <= delta`,
    else `delta * |e| - delta^2 / 2`. Gradient: `e` or `delta * sign(e)`, over width.

    Args:
        delta: where the loss turns from quadratic to linear (default 1.0).
    """

    default_name = "huber_loss"

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = float(delta)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        error = _difference(y_true, y_pred)
        small = np.abs(error) <= self.delta
        elements = np.where(small, 0.5 * error * error, self.delta * np.abs(error) - 0.5 * self.delta**2)
        values = np.mean(elements, axis=-1)
        if not with_gradient:
            return values, None
        grad = np.where(small, error, self.delta * np.sign(error)) / error.shape[-1]
        return values, grad.astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(Loss):
    """Mean of `log(cosh(y_pred - y_true))` over the last axis.

    Computed as `e + softplus(-2 e) - log(2)`, finite for any error; about
    `e^2 / 2` for small errors and `|e| - log(2)` for large ones. Gradient:
    `tanh(e) / width`.
    """

    default_name = "log_cosh"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        error = _difference(y_true, y_pred)
        doubled = -2.0 * error
        softplus = np.maximum(doubled, 0) + np.log1p(np.exp(-np.abs(doubled)))
        values = np.mean(error + softplus - math.log(2.0), axis=-1)
        return values, np.tanh(error) / error.shape[-1] if with_gradient else None


class KLDivergence(Loss):
    """Kullback-Leibler divergence `sum(t * log(t / p))` over the last axis.

    Both labels and predictions are clipped to `[eps, 1]` first, as Keras does;
    the gradient `-t / p` is zero where the prediction is clipped.
    """

    default_name = "kl_divergence"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        eps = _config.epsilon()
        t = np.clip(_match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False), eps, 1.0)
        p = np.clip(y_pred, eps, 1.0)
        values = np.sum(t * np.log(t / p), axis=-1)
        if not with_gradient:
            return values, None
        inside = (y_pred >= eps) & (y_pred <= 1.0)
        return values, np.where(inside, -t / p, 0.0).astype(y_pred.dtype, copy=False)


class Poisson(Loss):
    """Mean of `y_pred - y_true * log(y_pred + eps)` over the last axis; gradient `(1 - t / (p + eps)) / width`."""

    default_name = "poisson"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        eps = _config.epsilon()
        t = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        values = np.mean(y_pred - t * np.log(y_pred + eps), axis=-1)
        if not with_gradient:
            return values, None
        return values, ((1.0 - t / (y_pred + eps)) / y_pred.shape[-1]).astype(y_pred.dtype, copy=False)


def _hinge_labels(y_true: np.ndarray) -> np.ndarray:
    """Keras's rule: when every label of the batch is 0 or 1, map them to -1 and 1; otherwise keep them."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


class Hinge(Loss):
    """Mean of `max(1 - t * y_pred, 0)` over the last axis, for labels `t` in {-1, 1}.

    Labels given as 0/1 are mapped to -1/1 (Keras does this when all labels of
    the call are 0 or 1). Gradient: `-t / width` where the margin is positive.
    """

    default_name = "hinge"
    squared = False

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        t = _hinge_labels(_match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False))
        margin = np.maximum(1.0 - t * y_pred, 0.0)
        width = y_pred.shape[-1]
        if self.squared:
            values = np.mean(margin * margin, axis=-1)
            grad = -2.0 * margin * t / width if with_gradient else None
        else:
            values = np.mean(margin, axis=-1)
            grad = np.where(margin > 0, -t, 0.0) / width if with_gradient else None
        return values, None if grad is None else grad.astype(y_pred.dtype, copy=False)


class SquaredHinge(Hinge):
    """Mean of `max(1 - t * y_pred, 0)^2` over the last axis; labels as in `Hinge`.

    Gradient: `-2 max(1 - t y_pred, 0) t / width`.
    """

    default_name = "squared_hinge"
    squared = True


class CategoricalHinge(Loss):
    """`max(neg - pos + 1, 0)` per sample, with `pos = sum(t * y_pred)` and `neg = max((1 - t) * y_pred)`.

    Labels are one-hot (0/1). Gradient where the loss is positive: `-t`, plus
    `(1 - t_k)` at the class `k` that attains `neg` (the first, on ties).
    """

    default_name = "categorical_hinge"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        t = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        positive = np.sum(t * y_pred, axis=-1)
        others = (1.0 - t) * y_pred
        negative = np.max(others, axis=-1)
        values = np.maximum(negative - positive + 1.0, 0.0)
        if not with_gradient:
            return values, None
        top = np.zeros_like(y_pred)
        np.put_along_axis(top, np.argmax(others, axis=-1)[..., None], 1.0, axis=-1)
        grad = ((values > 0)[..., None] * (top * (1.0 - t) - t)).astype(y_pred.dtype, copy=False)
        return values, grad


def _per_sample(loss_class: type[Loss], **options: Any) -> Callable[..., np.ndarray]:
    """Make Keras's functional form of a loss: per-sample values, no reduction."""

    def function(y_true, y_pred, **kwargs):
        loss = loss_class(reduction="none", **{**options, **kwargs})
        return loss(y_true, y_pred)

    function.__name__ = loss_class.default_name
    function.__doc__ = f"Per-sample values of `{loss_class.__name__}` (no reduction)."
    return function


categorical_crossentropy = _per_sample(CategoricalCrossentropy)
sparse_categorical_crossentropy = _per_sample(SparseCategoricalCrossentropy)
binary_crossentropy = _per_sample(BinaryCrossentropy)
mean_squared_error = _per_sample(MeanSquaredError)
mean_absolute_error = _per_sample(MeanAbsoluteError)
mean_absolute_percentage_error = _per_sample(MeanAbsolutePercentageError)
mean_squared_logarithmic_error = _per_sample(MeanSquaredLogarithmicError)
cosine_similarity = _per_sample(CosineSimilarity)
huber = _per_sample(Huber)
huber.__name__ = "huber"  # Keras's function name; the class's default name is "huber_loss"
log_cosh = _per_sample(LogCosh)
kl_divergence = _per_sample(KLDivergence)
poisson = _per_sample(Poisson)
hinge = _per_sample(Hinge)
squared_hinge = _per_sample(SquaredHinge)
categorical_hinge = _per_sample(CategoricalHinge)

# Keras's names and its legacy aliases (upper-case forms such as "MSE" are found by lower-casing).
_NAMES = {
    "categorical_crossentropy": (CategoricalCrossentropy, categorical_crossentropy),
    "sparse_categorical_crossentropy": (SparseCategoricalCrossentropy, sparse_categorical_crossentropy),
    "binary_crossentropy": (BinaryCrossentropy, binary_crossentropy),
    "bce": (BinaryCrossentropy, binary_crossentropy),
    "mean_squared_error": (MeanSquaredError, mean_squared_error),
    "mse": (MeanSquaredError, mean_squared_error),
    "mean_absolute_error": (MeanAbsoluteError, mean_absolute_error),
    "mae": (MeanAbsoluteError, mean_absolute_error),
    "mean_absolute_percentage_error": (MeanAbsolutePercentageError, mean_absolute_percentage_error),
    "mape": (MeanAbsolutePercentageError, mean_absolute_percentage_error),
    "mean_squared_logarithmic_error": (MeanSquaredLogarithmicError, mean_squared_logarithmic_error),
    "msle": (MeanSquaredLogarithmicError, mean_squared_logarithmic_error),
    "cosine_similarity": (CosineSimilarity, cosine_similarity),
    "huber": (Huber, huber),
    "log_cosh": (LogCosh, log_cosh),
    "logcosh": (LogCosh, log_cosh),
    "kl_divergence": (KLDivergence, kl_divergence),
    "kld": (KLDivergence, kl_divergence),
    "kullback_leibler_divergence": (KLDivergence, kl_divergence),
    "poisson": (Poisson, poisson),
    "hinge": (Hinge, hinge),
    "squared_hinge": (SquaredHinge, squared_hinge),
    "categorical_hinge": (CategoricalHinge, categorical_hinge),
}

ALL_LOSSES: dict[str, type] = {name: cls for name, (cls, _) in _NAMES.items()}
ALL_LOSSES.update({cls.__name__: cls for cls in list(ALL_LOSSES.values())})

LOSS_FUNCTIONS = {name: function for name, (_, function) in _NAMES.items()}


def get(identifier: Loss | str | dict) -> Loss:
    """Return a loss object for a name (`"mse"`), a config dict or a Loss instance."""
    return registry.resolve(identifier, ALL_LOSSES, "loss", Loss)


def serialize(loss: Loss) -> dict:
    """Return Keras's config form of `loss`."""
    return registry.serialize(loss, "keras.losses")
