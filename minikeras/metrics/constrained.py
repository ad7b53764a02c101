"""Metrics at a constraint: the best of one rate among the thresholds where another rate reaches a value.

`PrecisionAtRecall`, `RecallAtPrecision`, `SensitivityAtSpecificity` and
`SpecificityAtSensitivity` count true/false positives and negatives at
`num_thresholds` evenly spaced thresholds over the epoch (with
`confusion_counts`, as Keras counts them), and `result` returns the largest
value of the reported rate over the thresholds whose constrained rate is at
least the given value (0 when none is).
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

from minikeras.metrics.base import Metric
from minikeras.metrics.confusion import confusion_counts

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """`numerator / denominator` in float32 (0 where the denominator is 0).

    Keras keeps the counts and takes the ratios in float32; comparing float32
    ratios with a float32 constraint decides ties (a recall of exactly 2/3
    against 0.6666667) the way Keras does.
    """
    numerator = np.asarray(numerator, dtype=np.float32)
    denominator = np.asarray(denominator, dtype=np.float32)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


class _AtConstraint(Metric):
    """Counts at evenly spaced thresholds over the epoch; subclasses choose the two rates.

    Args:
        value: the constraint, in [0, 1] (checked by the subclass, which names it).
        num_thresholds: number of thresholds; 1 means the single threshold 0.5,
            n >= 2 means `[0, 1/(n-1), ..., 1]`.
        class_id: count only this column of `(batch, classes)` data.
    """

    direction = "up"

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        if num_thresholds <= 0:
            raise ValueError(
                f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}"
            )
        # 1 (or 1.0) is the single threshold 0.5; other counts must be integers (2.5 is a TypeError, as in Keras).
        count = 1 if num_thresholds == 1 else operator.index(num_thresholds)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if count == 1:
            self.thresholds = [0.5]
        else:
            self.thresholds = [0.0, *((i + 1) * 1.0 / (count - 1) for i in range(count - 2)), 1.0]
        # Keras counts n >= 2 thresholds by bucketing (predictions clipped to [0, 1]), even for n = 2.
        self._buckets = count >= 2
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        shape = (len(self.thresholds),)
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.true_negatives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Add the batch's weighted counts at every threshold (`sample_weight` per sample or per value)."""
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight, class_id=self.class_id, buckets=self._buckets
        )
        self.true_positives += counts["tp"]
        self.false_positives += counts["fp"]
        self.true_negatives += counts["tn"]
        self.false_negatives += counts["fn"]

    def _recall(self) -> np.ndarray:
        """Recall (= sensitivity) per threshold."""
        return _ratio(self.true_positives, self.true_positives + self.false_negatives)

    def _precision(self) -> np.ndarray:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    def _specificity(self) -> np.ndarray:
        return _ratio(self.true_negatives, self.true_negatives + self.false_positives)

    def _best_where_reached(self, constrained: np.ndarray, reported: np.ndarray) -> float:
        """Largest `reported` over the thresholds where `constrained >= value`; 0 if there is none."""
        feasible = constrained >= np.float32(self.value)
        return float(np.max(np.where(feasible, reported, np.float32(0.0)), initial=np.float32(0.0)))

    def get_config(self) -> dict:
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds}


def _check_fraction(argument: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{argument}` must be in the range [0, 1]. Received: {argument}={value}")


class PrecisionAtRecall(_AtConstraint):
    """The best precision over the thresholds where recall is at least `recall`.

    Args:
        recall: the least recall, in [0, 1].
        num_thresholds: number of evenly spaced thresholds `[0, 1/(n-1), ..., 1]`
            to try (default 200; 1 means the single threshold 0.5).
        class_id: compute it for this column of `(batch, classes)` data only.
        name: the key in logs.
        dtype: kept for Keras's signature.

    Example:
        >>> m = PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> m.result()
        0.5
    """

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        _check_fraction("recall", recall)
        self.recall = recall
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best_where_reached(self._recall(), self._precision())

    def get_config(self) -> dict:
        return {**super().get_config(), "recall": self.recall}


class RecallAtPrecision(_AtConstraint):
    """The best recall over the thresholds where precision is at least `precision` (0 if it is never reached).

    Args:
        precision: the least precision, in [0, 1].
        num_thresholds, class_id, name, dtype: as for `PrecisionAtRecall`.

    Example:
        >>> m = RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.5
    """

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        _check_fraction("precision", precision)
        self.precision = precision
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best_where_reached(self._precision(), self._recall())

    def get_config(self) -> dict:
        return {**super().get_config(), "precision": self.precision}


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity `tp / (tp + fn)` over the thresholds where specificity `tn / (tn + fp)` is at least
    `specificity`.

    Args:
        specificity: the least specificity, in [0, 1].
        num_thresholds, class_id, name, dtype: as for `PrecisionAtRecall`.

    Example:
        >>> m = SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> m.result()
        0.5
    """

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        _check_fraction("specificity", specificity)
        self.specificity = specificity
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best_where_reached(self._specificity(), self._recall())

    def get_config(self) -> dict:
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity `tn / (tn + fp)` over the thresholds where sensitivity `tp / (tp + fn)` is at least
    `sensitivity`.

    Args:
        sensitivity: the least sensitivity, in [0, 1].
        num_thresholds, class_id, name, dtype: as for `PrecisionAtRecall`.

    Example:
        >>> m = SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> m.result()
        0.6666666865348816
    """

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        _check_fraction("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best_where_reached(self._recall(), self._specificity())

    def get_config(self) -> dict:
        return {**super().get_config(), "sensitivity": self.sensitivity}
