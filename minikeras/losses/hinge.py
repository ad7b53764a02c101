"""Hinge losses: hinge, squared hinge and categorical hinge, for labels in {-1, 1} (or 0/1) and scores."""

from __future__ import annotations

import numpy as np

from minikeras.losses.base import Loss, ValuesAndArrayGradient, labels_like


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

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        t = _hinge_labels(labels_like(y_true, y_pred))
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

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        t = labels_like(y_true, y_pred)
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
