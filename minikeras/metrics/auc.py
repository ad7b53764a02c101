"""AUC: the area under the ROC, precision-recall or precision-recall-gain curve, as Keras computes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import activations
from minikeras.metrics.base import Metric
from minikeras.metrics.confusion import _EPSILON, _divide_no_nan, _evenly_spaced, confusion_counts

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by Keras's bucketed algorithm.

    Scores are counted into `num_thresholds` thresholds
    (`-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps`); true/false positives and
    negatives at each threshold are accumulated over the epoch, and `result`
    sums the area of the curve they trace: trapezoids for ROC
    (`summation_method="interpolation"`), Davis & Goadrich's interpolation
    for PR, or the lower (`"minoring"`) or upper (`"majoring"`) rectangles.
    The figure therefore matches Keras, and approaches the exact area as
    `num_thresholds` grows.

    Args:
        num_thresholds: number of thresholds (default 200, at least 2).
        curve: "ROC" (default), "PR" or "PRGAIN".
        summation_method: "interpolation" (default), "minoring" or "majoring".
        thresholds: explicit thresholds in [0, 1] instead of evenly spaced ones.
        multi_label: treat each column of `(batch, labels)` data as its own
            label and average their AUCs (default False: all values pooled).
        num_labels: number of labels, when `multi_label` (else found from data).
        label_weights: weights of the labels in the average, or of the columns
            when pooled.
        from_logits: apply a sigmoid to the predictions first (default False).

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.75
    """

    direction = "up"
    # The counts per threshold (and label); None until multi-label data gives the number of labels.
    true_positives: Any
    false_positives: Any
    true_negatives: Any
    false_negatives: Any

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: DTypeLike | None = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: ArrayLike | None = None,
        from_logits: bool = False,
    ) -> None:
        if str(curve).lower() not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
            self._buckets = _evenly_spaced([0.0, *inner, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._buckets = True
        self._thresholds = [0.0 - _EPSILON, *inner, 1.0 + _EPSILON]
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        if not multi_label and num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        self.from_logits = bool(from_logits)
        self._num_labels = num_labels if multi_label else None
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self) -> list:
        """The thresholds, the two padded ends included."""
        return list(self._thresholds)

    def reset_state(self) -> None:
        if self.multi_label and self._num_labels is None:
            self.true_positives = self.false_positives = self.true_negatives = self.false_negatives = None
            return
        shape: tuple = (self.num_thresholds, self._num_labels) if self.multi_label else (self.num_thresholds,)
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.true_negatives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        y_pred = np.asarray(y_pred, dtype=np.float32)
        if self.multi_label and self.true_positives is None:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Received: y_pred.shape={y_pred.shape}"
                )
            self._num_labels = y_pred.shape[1]
            self.reset_state()
        if self.from_logits:
            y_pred = activations.sigmoid(y_pred)
        counts = confusion_counts(
            y_true,
            y_pred,
            self._thresholds,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            buckets=self._buckets,
            endpoints_padded=True,
        )
        self.true_positives += counts["tp"]
        self.false_positives += counts["fp"]
        self.true_negatives += counts["tn"]
        self.false_negatives += counts["fn"]

    def _average(self, per_threshold: np.ndarray) -> float:
        if not self.multi_label:
            return float(np.sum(per_threshold))
        by_label = np.sum(per_threshold, axis=0)
        if self.label_weights is None:
            return float(np.mean(by_label))
        return float(_divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights)))

    def _interpolated_pr_auc(self) -> float:
        """Davis & Goadrich's PR interpolation, in Keras's closed form.

        Between two thresholds, true positives and predicted positives `P` are
        taken to vary linearly, so precision is `(TP_A + slope (P - P_A)) / P`
        and its integral over recall has a closed form with a `log(P_A / P_B)` term.
        """
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        d_tp = tp[:-1] - tp[1:]
        predicted = tp + fp
        d_predicted = predicted[:-1] - predicted[1:]
        slope = _divide_no_nan(d_tp, np.maximum(d_predicted, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.where(both_positive, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
        increments = _divide_no_nan(slope * (d_tp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increments)

    def result(self) -> float:
        if self.true_positives is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN, with Keras's guards for no true positives and negative gains
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * _divide_no_nan(fn, tp))
            precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * _divide_no_nan(fp, tp))
            x, y = np.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
