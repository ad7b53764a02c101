"""F-scores of `(batch, classes)` data: `FBetaScore` and `F1Score`, per class or averaged as Keras does.

Per class, true positives, false positives, false negatives and the support
(the weighted sum of the labels) are summed over the epoch; `result` turns
them into `(1 + beta^2) P R / (beta^2 P + R)` with Keras's epsilon in every
denominator, so a class that is never predicted nor labelled scores 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import config as _config
from minikeras.metrics.base import Metric
from minikeras.utils.sample_weights import broadcast_sample_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

_AVERAGES = (None, "micro", "macro", "weighted")
_ZERO_SCORE = 1e-9  # with threshold=None, a row's maximum counts only when it is not (about) zero


class FBetaScore(Metric):
    """F-beta score: the weighted harmonic mean of precision and recall, `beta` times more weight on recall.

    `F = (1 + beta^2) * P * R / (beta^2 * P + R)`, from the counts of the whole
    epoch. For multi-class (one-hot) and multi-label data of shape
    `(batch, classes)`: labels are used as they are (0/1), predictions become
    0/1 by `threshold`.

    Args:
        average: None (default: one score per class), "micro" (one score from
            the counts of all classes pooled), "macro" (the mean of the classes'
            scores) or "weighted" (their mean weighted by each class's support,
            the weighted number of its positive labels).
        beta: weight of recall, a Python float > 0 (default 1.0).
        threshold: a prediction is positive where it is greater than this
            float in (0, 1]; None (default) marks each row's largest
            prediction(s) positive, ties included, unless they are 0.
        name: the key in logs (default "fbeta_score").
        dtype: kept for Keras's signature.

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().round(4)
        array([0.3846, 0.9091, 0.8333])
    """

    direction = "up"
    # Per class, summed over the epoch; None until the first batch gives the number of classes.
    true_positives: Any
    false_positives: Any
    false_negatives: Any
    intermediate_weights: Any  # the support: weighted sum of the labels

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: DTypeLike | None = None,
    ) -> None:
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self._classes: int | None = None
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        if self._classes is None:
            self.true_positives = self.false_positives = self.false_negatives = self.intermediate_weights = None
            return
        self.true_positives = np.zeros(self._classes)
        self.false_positives = np.zeros(self._classes)
        self.false_negatives = np.zeros(self._classes)
        self.intermediate_weights = np.zeros(self._classes)

    def _check_shapes(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        if y_pred.ndim != 2 or y_true.ndim != 2:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred.shape} and y_true.shape={y_true.shape}."
            )
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y_true and y_pred must have the same shape. Received: y_true {y_true.shape}, y_pred {y_pred.shape}"
            )
        if self._classes is not None and y_pred.shape[1] != self._classes:
            raise ValueError(
                f"{type(self).__name__} was built for {self._classes} classes (output_dim); "
                f"received y_pred.shape={y_pred.shape}. reset_state() keeps the classes: use a new metric."
            )

    def _predicted(self, y_pred: np.ndarray) -> np.ndarray:
        """0/1 predictions, compared in float32 as Keras compares them."""
        if self.threshold is not None:
            return y_pred > np.float32(self.threshold)
        row_max = np.max(y_pred, axis=-1, keepdims=True)
        return (y_pred >= row_max) & (np.abs(y_pred) > np.float32(_ZERO_SCORE))

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Add one batch of `(batch, classes)` labels and scores; `sample_weight` per sample or per value."""
        y_true = np.asarray(y_true, dtype=np.float32)
        y_pred = np.asarray(y_pred, dtype=np.float32)
        self._check_shapes(y_true, y_pred)
        predicted = self._predicted(y_pred).astype(np.float64)
        labels = y_true.astype(np.float64)
        if sample_weight is None:
            weights: np.ndarray | float = 1.0
        else:
            weights = broadcast_sample_weight(np.asarray(sample_weight, dtype=np.float32).astype(np.float64), labels)
        if self._classes is None:
            self._classes = y_pred.shape[1]
            self.reset_state()
        self.true_positives += np.sum(predicted * labels * weights, axis=0)
        self.false_positives += np.sum(predicted * (1.0 - labels) * weights, axis=0)
        self.false_negatives += np.sum((1.0 - predicted) * labels * weights, axis=0)
        self.intermediate_weights += np.sum(labels * weights, axis=0)

    def result(self) -> float | np.ndarray:
        """The F-beta score: one per class (`average=None`), else a float. 0.0 before any update."""
        if self.true_positives is None:
            return 0.0
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        if self.average == "micro":
            tp, fp, fn = np.sum(tp), np.sum(fp), np.sum(fn)
        epsilon = _config.epsilon()
        precision = tp / (tp + fp + epsilon)
        recall = tp / (tp + fn + epsilon)
        beta2 = self.beta**2
        score = (1.0 + beta2) * precision * recall / (beta2 * precision + recall + epsilon)
        if self.average is None:
            return score
        if self.average == "weighted":
            support = self.intermediate_weights
            return float(np.sum(score * support / (np.sum(support) + epsilon)))
        return float(np.mean(score))

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score: the harmonic mean of precision and recall, `2 P R / (P + R)`; `FBetaScore` with `beta=1`.

    Args:
        average: None (one score per class), "micro", "macro" or "weighted";
            see `FBetaScore`.
        threshold: a float in (0, 1], or None for each row's largest prediction.
        name: the key in logs (default "f1_score").
        dtype: kept for Keras's signature.

    Example:
        >>> m = F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().round(4)
        array([0.5   , 0.8   , 0.6667])
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
