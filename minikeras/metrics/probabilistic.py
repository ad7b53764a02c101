"""Probabilistic metrics: running means of the cross-entropies, the KL divergence and the Poisson loss."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import config as _config
from minikeras import losses
from minikeras.metrics.base import Mean, MeanMetricWrapper, _wrapper_class
from minikeras.utils.sample_weights import broadcast_sample_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

KLDivergence = _wrapper_class(
    "KLDivergence", losses.kl_divergence, "kl_divergence", "down", "Mean KL divergence over the epoch.", module=__name__
)
Poisson = _wrapper_class(
    "Poisson", losses.poisson, "poisson", "down", "Mean Poisson loss over the epoch.", module=__name__
)
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy",
    losses.binary_crossentropy,
    "binary_crossentropy",
    "down",
    "Mean binary cross-entropy over the epoch (`from_logits`, `label_smoothing` as the loss).",
    module=__name__,
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy",
    losses.categorical_crossentropy,
    "categorical_crossentropy",
    "down",
    "Mean categorical cross-entropy over the epoch (`from_logits`, `label_smoothing`, `axis` as the loss).",
    module=__name__,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)


def _sparse_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-position cross-entropy of integer labels against scores along `axis`, and where labels count.

    Args:
        y_true: integer labels, of `y_pred`'s shape without the class axis (or
            with it of size 1).
        y_pred: probabilities (normalized along `axis` first, then clipped to
            `[eps, 1 - eps]`) or, with `from_logits`, logits.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label whose positions score 0 (and are reported invalid).
        axis: the class axis of `y_pred`.

    Returns:
        `(values, valid)`: the values, of the labels' shape, and a boolean mask
        of the positions not ignored (None without `ignore_class`).
    """
    scores = np.asarray(y_pred, dtype=np.float64)
    labels = np.asarray(y_true)
    class_axis = axis % scores.ndim if scores.ndim else axis
    if labels.ndim == scores.ndim and labels.shape[class_axis] == 1:
        labels = np.squeeze(labels, axis=class_axis)
    scores = np.moveaxis(scores, class_axis, -1)
    if labels.shape != scores.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the class axis: "
            f"target.shape={labels.shape}, output.shape={np.shape(y_pred)}, axis={axis}"
        )
    labels = labels.astype(np.int64)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    classes = scores.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"Labels must be class indices in [0, {classes}). Received labels from {labels.min()} to {labels.max()}"
        )
    if from_logits:
        shifted = scores - scores.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    else:
        eps = _config.epsilon()
        with np.errstate(divide="ignore", invalid="ignore"):  # an all-zero row: NaN, never used once ignored
            probs = np.clip(scores / scores.sum(axis=-1, keepdims=True), eps, 1.0 - eps)
        log_probs = np.log(probs)
    values = -np.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]
    if valid is not None:
        values = np.where(valid, values, 0.0)
    return values, valid


def _sparse_crossentropy_values(y_true: ArrayLike, y_pred: ArrayLike, **kwargs: Any) -> np.ndarray:
    """The values of `_sparse_crossentropy` alone (the metric's function; its `update_state` also uses the mask)."""
    return _sparse_crossentropy(y_true, y_pred, **kwargs)[0]


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean sparse categorical cross-entropy over the epoch.

    Args:
        name: the key in logs (default "sparse_categorical_crossentropy").
        dtype: kept for Keras's signature and config.
        from_logits: whether `y_pred` holds logits (default False).
        ignore_class: a label to leave out (e.g. a "void" class in segmentation
            maps), or None. Its positions score 0; with `sample_weight` they also
            weigh 0, while without it they still count in the mean, as in Keras.
        axis: the class axis of `y_pred` (default -1).
    """

    direction = "down"
    _fn_in_config = False

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: DTypeLike | None = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(_sparse_crossentropy_values, name=name, dtype=dtype, from_logits=from_logits)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def update_state(  # type: ignore[override]
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        values, valid = _sparse_crossentropy(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)
        if sample_weight is not None and valid is not None:
            # Keras masks the weights only: unweighted, ignored positions count as zeros.
            weights = broadcast_sample_weight(np.asarray(sample_weight, dtype=np.float64), valid)
            sample_weight = weights * valid
        Mean.update_state(self, values, sample_weight)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }
