"""Confusion-matrix metrics: weighted true/false positive/negative counts per threshold, Precision and Recall.

`confusion_counts` counts one batch as Keras does (also for `AUC` and the
metrics at a constraint); the metrics add the counts up over the epoch:
`TruePositives`, `FalsePositives`, `TrueNegatives` and `FalseNegatives`
report them, `Precision` and `Recall` take their ratios in `result`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from minikeras.metrics.base import Metric, _same_rank

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

_NEG_INF = -1e10  # the score Keras gives predictions outside the top k
_EPSILON = 1e-7


def _divide_no_nan(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _evenly_spaced(thresholds) -> bool:
    """True for `[0, 1/(n-1), ..., 1]` with n >= 3 (to within epsilon), where counting by buckets is exact."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=_EPSILON))


def _keep_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Keep each row's `k` highest scores (the first on ties) and set the others to -1e10."""
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, scores, np.float32(_NEG_INF)).astype(scores.dtype, copy=False)


def confusion_counts(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    thresholds: Sequence[float],
    sample_weight: ArrayLike | None = None,
    top_k: int | None = None,
    class_id: int | None = None,
    multi_label: bool = False,
    label_weights: ArrayLike | None = None,
    buckets: bool = False,
    endpoints_padded: bool = False,
) -> dict[str, np.ndarray]:
    """Weighted true/false positive/negative counts of one batch at each threshold, as Keras counts them.

    A prediction counts as positive at threshold `t` when `y_pred > t`; a label
    is positive when nonzero. Labels and predictions are compared in float32
    like Keras's variables.

    Args:
        y_true, y_pred: labels and scores of the same shape (a trailing axis of
            1 on one of them is dropped or added, as in Keras).
        thresholds: the thresholds, increasing.
        sample_weight: per-sample `(batch,)` or per-value weights.
        top_k: keep only each row's `top_k` highest scores as candidates.
        class_id: count only this column.
        multi_label: count each column of `(batch, labels)` data separately;
            the counts then have shape `(thresholds, labels)`.
        label_weights: one weight per column, multiplying the sample weights.
        buckets: the thresholds are `k / (n - 1)`: count by bucketing each score
            once (Keras's fast path; predictions are clipped to [0, 1] there).
        endpoints_padded: with `buckets`, the end thresholds are `-eps` and
            `1 + eps` (AUC's), so a score of exactly 0 counts at the first.

    Returns:
        `{"tp", "fp", "tn", "fn"}`, each of shape `(thresholds,)` or
        `(thresholds, labels)`, float64.
    """
    y_true = np.asarray(y_true, dtype=np.float32)
    y_pred = np.asarray(y_pred, dtype=np.float32)
    y_pred, y_true = _same_rank(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float32)[..., None]
        _, weights = _same_rank(y_true, weights, expand_rank_1=False)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes). "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape. Received: y_true {y_true.shape}, y_pred {y_pred.shape}"
        )
    weights = np.ones_like(y_pred) if weights is None else np.broadcast_to(weights, y_pred.shape)
    if label_weights is not None:
        weights = weights * np.broadcast_to(np.asarray(label_weights, dtype=np.float32), y_pred.shape)
    positive = y_true != 0
    columns = y_pred.shape[-1] if multi_label else 1  # multi-label: one column per label; else all pooled
    y_pred, positive, weights = (array.reshape(-1, columns) for array in (y_pred, positive, weights))
    true_weights = np.where(positive, weights, 0).astype(np.float64)
    false_weights = np.where(positive, 0, weights).astype(np.float64)
    count = len(thresholds)
    if buckets:
        clipped = np.clip(y_pred, 0.0, 1.0)
        bucket = np.ceil(clipped * np.float32(count - 1)) - 1
        if endpoints_padded:
            bucket = np.maximum(bucket, 0)
        bucket = bucket.astype(np.int64)
        tp = np.zeros((count, columns))
        fp = np.zeros((count, columns))
        inside = bucket >= 0  # a score of 0 is above no threshold of 0
        column = np.broadcast_to(np.arange(columns), bucket.shape)
        np.add.at(tp, (bucket[inside], column[inside]), true_weights[inside])
        np.add.at(fp, (bucket[inside], column[inside]), false_weights[inside])
        tp = np.cumsum(tp[::-1], axis=0)[::-1]  # above threshold i: every bucket from i up
        fp = np.cumsum(fp[::-1], axis=0)[::-1]
    else:
        above = y_pred[None, :, :] > np.asarray(thresholds, dtype=np.float32)[:, None, None]
        tp = np.sum(np.where(above, true_weights, 0.0), axis=1)
        fp = np.sum(np.where(above, false_weights, 0.0), axis=1)
    fn = true_weights.sum(axis=0) - tp
    tn = false_weights.sum(axis=0) - fp
    if not multi_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


def _parse_thresholds(thresholds, top_k) -> list:
    if thresholds is None:
        return [0.5 if top_k is None else _NEG_INF]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


class _ConfusionMetric(Metric):
    """Shared state of Precision and Recall: counts per threshold, accumulated over the epoch."""

    direction = "up"

    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, top_k)
        self._buckets = _evenly_spaced(self.thresholds)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.true_positives = np.zeros(len(self.thresholds))
        self.false_positives = np.zeros(len(self.thresholds))
        self.false_negatives = np.zeros(len(self.thresholds))

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight, self.top_k, self.class_id, buckets=self._buckets
        )
        self.true_positives += counts["tp"]
        self.false_positives += counts["fp"]
        self.false_negatives += counts["fn"]

    def _finish(self, ratio: np.ndarray) -> float | np.ndarray:
        return float(ratio[0]) if len(self.thresholds) == 1 else ratio

    def get_config(self) -> dict:
        thresholds = self.init_thresholds
        if isinstance(thresholds, (tuple, np.ndarray)):
            thresholds = [float(t) for t in thresholds]
        return {**super().get_config(), "thresholds": thresholds, "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ConfusionMetric):
    """Precision over the epoch: `true positives / (true positives + false positives)`.

    A prediction is positive where `y_pred > threshold`; a label where it is
    nonzero. Counts are accumulated over every batch (weighted by
    `sample_weight`), and the ratio is taken in `result`; 0 when nothing was
    predicted positive.

    Args:
        thresholds: a threshold in [0, 1] or a list of them (one result per
            threshold); 0.5 by default, or none at all with `top_k`.
        top_k: count only each sample's `top_k` highest predictions as positive.
        class_id: compute the precision of this column only.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        0.6666666666666666
    """

    def result(self) -> float | np.ndarray:
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ConfusionMetric):
    """Recall over the epoch: `true positives / (true positives + false negatives)`.

    Same arguments and counting as `Precision`; 0 when there were no positive labels.

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        0.6666666666666666
    """

    def result(self) -> float | np.ndarray:
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


class _ConfusionCount(Metric):
    """One weighted count of the confusion matrix per threshold, summed over the epoch.

    Subclasses name the count (`_count`: "tp", "fp", "tn" or "fn").
    """

    _count = ""

    def __init__(
        self, thresholds: float | Sequence[float] | None = None, name: str | None = None, dtype: DTypeLike | None = None
    ) -> None:
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, None)
        self._buckets = _evenly_spaced(self.thresholds)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.accumulator = np.zeros(len(self.thresholds))

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Add the batch's weighted count at each threshold (`sample_weight` per sample or per value)."""
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, buckets=self._buckets)
        self.accumulator += counts[self._count]

    def result(self) -> float | np.ndarray:
        """The count: a float for one threshold, else an array of one count per threshold."""
        return float(self.accumulator[0]) if len(self.thresholds) == 1 else self.accumulator.copy()

    def get_config(self) -> dict:
        thresholds = self.init_thresholds
        if isinstance(thresholds, (tuple, np.ndarray)):
            thresholds = [float(t) for t in thresholds]
        return {**super().get_config(), "thresholds": thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of true positives over the epoch: positive labels predicted positive.

    A prediction is positive where `y_pred > threshold`; a label where it is
    nonzero. With `sample_weight` the weights are summed instead of counted
    (a weight of 0 masks a value). Evenly spaced thresholds `[0, 1/(n-1), ..., 1]`
    (n >= 3) are counted by bucketing, as in Keras, which clips the
    predictions to [0, 1] first.

    Args:
        thresholds: a threshold in [0, 1] or a list of them (one result per
            threshold); 0.5 by default.
        name: the key in logs.
        dtype: kept for Keras's signature.

    Example:
        >>> m = TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        2.0
    """

    _count = "tp"


class FalsePositives(_ConfusionCount):
    """The (weighted) number of false positives over the epoch: negative labels predicted positive.

    Same arguments and counting as `TruePositives`.

    Example:
        >>> m = FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> m.result()
        2.0
    """

    _count = "fp"


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of true negatives over the epoch: negative labels predicted negative.

    Same arguments and counting as `TruePositives`.

    Example:
        >>> m = TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    _count = "tn"


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of false negatives over the epoch: positive labels predicted negative.

    Same arguments and counting as `TruePositives`.

    Example:
        >>> m = FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> m.result()
        2.0
    """

    _count = "fn"
