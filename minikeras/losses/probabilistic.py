"""Cross-entropies (categorical, sparse, binary), KL divergence and Poisson: values and gradients."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from minikeras import activations
from minikeras import config as _config
from minikeras.losses.base import ClipActive, Loss, ValuesAndArrayGradient, fits, labels_like
from minikeras.ops.constants import index_vector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike


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
    one_hot_targets = True

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

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        y_true = labels_like(y_true, y_pred)
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
        return softmax_shortcut(labels_like(y_true, probs), probs, with_gradient)


def categorical_crossentropy_with_gradient(
    y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool, with_gradient: bool
) -> ValuesAndArrayGradient:
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
    labels. Labels must be integers in `[0, classes)`, except `ignore_class`.

    Args:
        from_logits: whether `y_pred` holds logits (default False).
        ignore_class: a label (such as -1 or 255, a "void" class in segmentation
            maps) whose samples or positions contribute no loss and no gradient.
            As in Keras they are masked out: `"sum_over_batch_size"` divides by
            the number of values that are not ignored, and
            `"mean_with_sample_weight"` by the weights of those. Default None.
        axis: the class axis of `y_pred` (default -1); the labels have
            `y_pred`'s shape without it.
    """

    default_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if ignore_class is not None and (isinstance(ignore_class, bool) or not float(ignore_class).is_integer()):
            raise ValueError(f"ignore_class must be an integer or None. Received: ignore_class={ignore_class!r}")
        self.from_logits = bool(from_logits)
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.axis = axis

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        moved = self.axis not in (-1, y_pred.ndim - 1)
        if moved:
            y_pred = np.moveaxis(y_pred, self.axis, -1)
        labels = checked_sparse_labels(y_true, y_pred.shape, ignore_class=self.ignore_class)
        valid = self._valid(y_true, labels.shape)
        if valid is not None:  # ignored rows may hold anything (zeros): give them a harmless row, zeroed below
            y_pred = np.where(valid[..., None], y_pred, np.asarray(1.0, dtype=y_pred.dtype))
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        np.put_along_axis(one_hot, labels[..., None], 1.0, axis=-1)
        values, grad = categorical_crossentropy_with_gradient(one_hot, y_pred, self.from_logits, with_gradient)
        if valid is not None:
            values = np.where(valid, values, 0.0).astype(values.dtype, copy=False)
            grad = None if grad is None else np.where(valid[..., None], grad, 0.0).astype(grad.dtype, copy=False)
        if moved and grad is not None:
            grad = np.moveaxis(grad, -1, self.axis)
        return values, grad

    def value_mask(self, y_true: np.ndarray, y_pred: np.ndarray, values: np.ndarray) -> np.ndarray | None:
        """The values whose label is not `ignore_class` (None without one)."""
        return self._valid(y_true, values.shape)

    def _valid(self, y_true: np.ndarray, shape: tuple) -> np.ndarray | None:
        if self.ignore_class is None:
            return None
        return np.asarray(y_true).reshape(shape) != self.ignore_class

    def get_config(self) -> dict:
        # Keras's config has no `axis`: at its default it is left out, so the dict is Keras's; another axis is
        # written so that the loss round-trips (Keras ignores the extra key).
        config = {**super().get_config(), "from_logits": self.from_logits, "ignore_class": self.ignore_class}
        if self.axis != -1:
            config["axis"] = self.axis
        return config

    def takes_softmax_shortcut(self) -> bool:
        """Probabilities, not logits, classes on the last axis."""
        return not self.from_logits and self.axis in (-1,)

    def _compute_from_softmax(self, y_true, probs, with_gradient):
        labels = checked_sparse_labels(y_true, probs.shape, ignore_class=self.ignore_class)
        return sparse_softmax_shortcut(labels, probs, with_gradient, self._valid(y_true, labels.shape))


def softmax_shortcut(y_true: np.ndarray, probs: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
    """Per-sample cross-entropy of `probs = softmax(z)` and its gradient with respect to `z`.

    Through the softmax's Jacobian the clipped cross-entropy's gradient (see
    `categorical_crossentropy_with_gradient`) collapses to `q * sum(t) - t`, with `q` the
    normalized probabilities, as long as no `q` that a label weighs is clipped (a clipped
    `q` where `t = 0` enters neither the value nor the gradient): the classic shortcut,
    taken only where it is exact. Raises `ClipActive` otherwise.
    """
    q = probs / probs.sum(axis=-1, keepdims=True)
    _check_unclipped(q[y_true != 0])
    values = -(y_true * np.log(q)).sum(axis=-1)
    if not with_gradient:
        return values, None
    return values, q * y_true.sum(axis=-1, keepdims=True) - y_true


def sparse_softmax_shortcut(
    labels: np.ndarray, probs: np.ndarray, with_gradient: bool, valid: np.ndarray | None = None
) -> ValuesAndArrayGradient:
    """`softmax_shortcut` for integer labels, without building one-hot rows: `q` minus 1 at each label.

    Only the probability at each label enters the loss, so only those need to be unclipped.
    Rows where `valid` is False (an ignored class) give 0 and no gradient.
    """
    rows = probs.reshape(-1, probs.shape[-1])
    q = rows / np.add.reduce(rows, axis=-1, keepdims=True)
    picked = (index_vector(len(q)), labels.reshape(-1))
    q_label = q[picked]
    ignored = None if valid is None else ~valid.reshape(-1)
    if ignored is None:
        _check_unclipped(q_label)
        values = -np.log(q_label).reshape(labels.shape)
    else:
        _check_unclipped(q_label[~ignored])
        q_label[ignored] = 1.0  # log(1) = 0: no loss
        values = -np.log(q_label).reshape(labels.shape)
    if not with_gradient:
        return values, None
    q[picked] = q_label - 1.0  # q is ours: it becomes the gradient in place
    if ignored is not None:
        q[ignored] = 0.0
    return values, q.reshape(probs.shape)


def _check_unclipped(q: np.ndarray) -> None:
    """Raise `ClipActive` if the cross-entropy's clip to `[eps, 1 - eps]` would change any of `q`."""
    eps = _config.epsilon()
    if q.size and (np.minimum.reduce(q, axis=None) < eps or np.maximum.reduce(q, axis=None) > 1.0 - eps):
        raise ClipActive


def checked_sparse_labels(
    y_true: ArrayLike,
    prediction_shape: Sequence[int | None],
    what: str = "y_true",
    predictions: str = "y_pred",
    ignore_class: int | None = None,
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
        ignore_class: a label allowed outside the range (it is replaced by 0).

    Returns:
        The labels as int64, shaped `prediction_shape[:-1]`.

    Raises:
        ValueError: for a shape, a value that is not an integer, or a class out of range.
    """
    labels = np.asarray(y_true)
    prediction_shape = tuple(prediction_shape)
    if labels.ndim == len(prediction_shape) and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != prediction_shape[:-1] and not fits(labels.shape, prediction_shape[:-1]):
        raise ValueError(
            f"Sparse categorical labels must have shape (samples,) or (samples, 1) to go with {predictions} of shape "
            f"{prediction_shape}. Received {what} of shape {np.shape(y_true)}."
        )
    classes = prediction_shape[-1]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(f"Sparse categorical labels must be integers; {what} holds non-integer values.")
    labels = labels.astype(np.int64, copy=False)
    if ignore_class is not None:
        labels = np.where(labels == ignore_class, 0, labels)
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

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        y_true = labels_like(y_true, y_pred)
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


class KLDivergence(Loss):
    """Kullback-Leibler divergence `sum(t * log(t / p))` over the last axis.

    Both labels and predictions are clipped to `[eps, 1]` first, as Keras does;
    the gradient `-t / p` is zero where the prediction is clipped.
    """

    default_name = "kl_divergence"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        eps = _config.epsilon()
        t = np.clip(labels_like(y_true, y_pred), eps, 1.0)
        p = np.clip(y_pred, eps, 1.0)
        values = np.sum(t * np.log(t / p), axis=-1)
        if not with_gradient:
            return values, None
        inside = (y_pred >= eps) & (y_pred <= 1.0)
        return values, np.where(inside, -t / p, 0.0).astype(y_pred.dtype, copy=False)


class Poisson(Loss):
    """Mean of `y_pred - y_true * log(y_pred + eps)` over the last axis; gradient `(1 - t / (p + eps)) / width`."""

    default_name = "poisson"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        eps = _config.epsilon()
        t = labels_like(y_true, y_pred)
        values = np.mean(y_pred - t * np.log(y_pred + eps), axis=-1)
        if not with_gradient:
            return values, None
        return values, ((1.0 - t / (y_pred + eps)) / y_pred.shape[-1]).astype(y_pred.dtype, copy=False)
