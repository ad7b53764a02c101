"""Regression metrics: means of squared, absolute, percentage and logarithmic errors, their root, and cosine.

Each but `RootMeanSquaredError` is the running mean of a loss's per-sample
values (`minikeras.losses`); the root is taken of the mean over the epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minikeras import losses
from minikeras.metrics.base import Mean, _same_rank, _wrapper_class

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

MeanSquaredError = _wrapper_class(
    "MeanSquaredError",
    losses.mean_squared_error,
    "mean_squared_error",
    "down",
    "Mean of squared errors over the epoch.",
    module=__name__,
)
MeanAbsoluteError = _wrapper_class(
    "MeanAbsoluteError",
    losses.mean_absolute_error,
    "mean_absolute_error",
    "down",
    "Mean of absolute errors over the epoch.",
    module=__name__,
)


def _cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity per sample (positive: 1 means the same direction), the loss's negative."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


_cosine_similarity.__name__ = "cosine_similarity"

MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError",
    losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "down",
    "Mean absolute percentage error over the epoch.",
    module=__name__,
)
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError",
    losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "down",
    "Mean squared logarithmic error over the epoch.",
    module=__name__,
)
CosineSimilarity = _wrapper_class(
    "CosineSimilarity",
    _cosine_similarity,
    "cosine_similarity",
    "up",
    "Mean cosine similarity along `axis` (default -1).",
    module=__name__,
    axis=-1,
)
LogCoshError = _wrapper_class(
    "LogCoshError", losses.log_cosh, "logcosh", "down", "Mean of log(cosh(error)) over the epoch.", module=__name__
)


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over every value of the epoch: `sqrt(sum w e^2 / sum w)`.

    The squares are accumulated, and the root taken only in `result`, so the
    figure is exact over the epoch (not a mean of per-batch roots).
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: DTypeLike | None = None) -> None:
        super().__init__(name=name, dtype=dtype)

    # Keras's signature: labels and predictions, where `Mean` takes values.
    def update_state(  # type: ignore[override]
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        y_true, y_pred = _same_rank(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64))
        error = y_pred - y_true
        super().update_state(error * error, sample_weight)

    def result(self) -> float:
        return float(np.sqrt(super().result()))
