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

import numpy as np

from minikeras import activations
from minikeras import config as _config
from minikeras.saving import registry

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

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid reduction for loss {name or self.default_name}: {reduction!r}. Expected one of {_REDUCTIONS}.")
        self.name = name or self.default_name
        self.reduction = reduction
        self.dtype = dtype

    # -- what subclasses define
    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool):
        raise NotImplementedError

    # -- public API
    def __call__(self, y_true, y_pred, sample_weight=None):
        value, _ = self._reduce(y_true, y_pred, sample_weight, with_gradient=False)
        return value

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:
        """Return dL/dy_pred of the reduced loss, shaped like `y_pred`."""
        return self._reduce(y_true, y_pred, sample_weight, with_gradient=True)[1]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """Return `(loss, dL/dy_pred)` computed in one pass."""
        return self._reduce(y_true, y_pred, sample_weight, with_gradient=True)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    # -- internals
    def _reduce(self, y_true, y_pred, sample_weight, with_gradient):
        y_pred = np.asarray(y_pred)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(_config.floatx())
        y_true = np.asarray(y_true)
        values, grad = self.compute(y_true, y_pred, with_gradient)
        weights = None
        if sample_weight is not None:
            weights = _broadcast_weights(np.asarray(sample_weight, dtype=values.dtype), values)
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
        factor = np.asarray(scale, dtype=grad.dtype)
        if weights is not None:
            factor = (weights * factor)[..., None].astype(grad.dtype, copy=False)
        return value, grad * factor


def _broadcast_weights(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Shape per-sample weights `(N,)` or `(N, 1)` to broadcast against `values`."""
    if weights.ndim > values.ndim and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    while weights.ndim < values.ndim:
        weights = weights[..., None]
    return weights


def _match_rank(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Give `y_true` the rank of `y_pred` when they differ by a trailing axis of 1."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape. Received: y_true {y_true.shape}, y_pred {y_pred.shape}")
    return y_true


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


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
        label_smoothing: in [0, 1]; labels become `t (1 - s) + s / classes`.
        axis: the class axis (default -1).
    """

    default_name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1]. Received: label_smoothing={label_smoothing}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def compute(self, y_true, y_pred, with_gradient):
        if self.axis not in (-1, y_pred.ndim - 1):
            y_pred = np.moveaxis(y_pred, self.axis, -1)
            y_true = np.moveaxis(y_true, self.axis, -1)
        y_true = _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        if self.label_smoothing:
            y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        values, grad = categorical_crossentropy_with_gradient(y_true, y_pred, self.from_logits, with_gradient)
        if grad is not None and self.axis not in (-1, y_pred.ndim - 1):
            grad = np.moveaxis(grad, -1, self.axis)
        return values, grad

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing, "axis": self.axis}


def categorical_crossentropy_with_gradient(y_true, y_pred, from_logits, with_gradient):
    """Per-sample categorical cross-entropy over the last axis and, if asked, its gradient."""
    if from_logits:
        log_q = _log_softmax(y_pred)
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

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)

    def compute(self, y_true, y_pred, with_gradient):
        one_hot = sparse_labels_to_one_hot(y_true, y_pred)
        return categorical_crossentropy_with_gradient(one_hot, y_pred, self.from_logits, with_gradient)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


def sparse_labels_to_one_hot(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """One-hot rows for integer labels, checked against the number of classes in `y_pred`."""
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            "Sparse categorical labels must have shape (batch,) or (batch, 1) matching the predictions "
            f"{y_pred.shape}. Received labels of shape {np.shape(y_true)}."
        )
    classes = y_pred.shape[-1]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("Sparse categorical labels must be integers. Received non-integer values.")
    labels = labels.astype(np.int64, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"Sparse categorical labels must be in [0, {classes}) for predictions with {classes} classes. "
            f"Received labels from {labels.min()} to {labels.max()}."
        )
    one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
    np.put_along_axis(one_hot, labels[..., None], 1.0, axis=-1)
    return one_hot


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

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1]. Received: label_smoothing={label_smoothing}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def compute(self, y_true, y_pred, with_gradient):
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

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing, "axis": self.axis}


class MeanSquaredError(Loss):
    """Mean of `(y_pred - y_true)^2` over the last axis; gradient `2 (y_pred - y_true) / width`."""

    default_name = "mean_squared_error"

    def compute(self, y_true, y_pred, with_gradient):
        diff = y_pred - _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        values = np.mean(diff * diff, axis=-1)
        return values, (2.0 / diff.shape[-1]) * diff if with_gradient else None


class MeanAbsoluteError(Loss):
    """Mean of `|y_pred - y_true|` over the last axis; gradient `sign(y_pred - y_true) / width`."""

    default_name = "mean_absolute_error"

    def compute(self, y_true, y_pred, with_gradient):
        diff = y_pred - _match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)
        values = np.mean(np.abs(diff), axis=-1)
        return values, np.sign(diff) / diff.shape[-1] if with_gradient else None


def _per_sample(loss_class, **options):
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

ALL_LOSSES: dict[str, type] = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
ALL_LOSSES.update({cls.__name__: cls for cls in list(ALL_LOSSES.values())})

LOSS_FUNCTIONS = {
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
}


def get(identifier) -> Loss:
    """Return a loss object for a name (`"mse"`), a config dict or a Loss instance."""
    return registry.resolve(identifier, ALL_LOSSES, "loss", Loss)


def serialize(loss: Loss) -> dict:
    """Return Keras's config form of `loss`."""
    return registry.serialize(loss, "keras.losses")
