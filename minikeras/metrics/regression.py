"""Regression metrics: means of squared, absolute, percentage and logarithmic errors, their root, cosine, R^2.

Each but `RootMeanSquaredError` and `R2Score` is the running mean of a loss's
per-sample values (`minikeras.losses`); the root is taken of the mean over the
epoch, and `R2Score` keeps per-column sums from which it computes R^2 at the end.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import losses
from minikeras.metrics.base import Mean, MeanMetricWrapper, Metric, _same_rank, _wrapper_class

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


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions along `axis` (1 means the same direction).

    Args:
        name: the key in logs (default "cosine_similarity").
        dtype: kept for Keras's signature and config.
        axis: the axis the similarity is computed along (default -1).

    Keras's `get_config()` leaves `axis` out, so its configs lose a non-default
    axis; minikeras writes `axis` only when it is not -1 (a config Keras reads
    too), so the default config is Keras's and a round trip keeps the axis.
    """

    direction = "up"
    _fn_in_config = False

    def __init__(self, name: str = "cosine_similarity", dtype: DTypeLike | None = None, axis: int = -1) -> None:
        super().__init__(_cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        config: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.axis != -1:
            config["axis"] = self.axis
        return config


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


_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """Coefficient of determination `R^2 = 1 - SS_res / SS_tot` over every sample of the epoch, per output column.

    `y_true` and `y_pred` are `(batch, outputs)` (a `(batch,)` one is given a
    trailing axis when the other is `(batch, 1)`). The metric keeps, per column,
    the weighted sums of `y`, `y^2`, `(y - y_pred)^2` and of the weights, so the
    result is exact over the epoch. A column whose labels do not vary and whose
    predictions are wrong scores 0 (not -inf); one that is also predicted
    exactly scores NaN, as in Keras.

    Args:
        class_aggregation: how the columns' scores are combined:
            "uniform_average" (their mean, the default), "variance_weighted_average"
            (weighted by each column's `SS_tot`), or None (one score per column).
        num_regressors: the number of independent variables `p` for the adjusted
            R^2, `1 - (1 - R^2) (n - 1) / (n - p - 1)`, `n` the number of values seen
            (Keras counts every value, not every row). 0 (the default) gives plain
            R^2; when `p >= n - 1` plain R^2 is returned with a warning.
        name: the key in logs (default "r2_score").
        dtype: kept for Keras's signature and config.

    Example:
        >>> m = R2Score()
        >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
        >>> round(m.result(), 6)
        0.571429
    """

    direction = "up"

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: DTypeLike | None = None,
    ) -> None:
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_CLASS_AGGREGATIONS}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        # The per-column sums get their width from the first batch.
        self._sums: dict[str, np.ndarray] | None = None
        self.num_samples = 0.0

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Add one batch of `(batch, outputs)` labels and predictions, with optional per-sample or per-value weights."""
        y_true, y_pred = _same_rank(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64))
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred.shape} and y_true.shape={y_true.shape}."
            )
        width = y_pred.shape[-1]
        if self._sums is not None and self._sums["sum"].shape[0] != width:
            raise ValueError(
                f"R2Score was first given {self._sums['sum'].shape[0]} output columns; this batch has {width}. "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        given = np.ones(()) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        weights = given
        if weights.ndim == 1:  # one weight per sample: the same for each of its columns
            weights = weights[:, None]
        try:
            weights = np.broadcast_to(weights, y_true.shape)
            weighted_true = y_true * weights
            residual = (y_true - y_pred) ** 2 * weights
        except ValueError:
            raise ValueError(
                "R2Score needs y_true, y_pred and sample_weight of broadcastable shapes. Received: "
                f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}, "
                f"sample_weight.shape={given.shape}"
            ) from None
        batch = {
            "sum": weighted_true.sum(axis=0),
            "squared_sum": (y_true * weighted_true).sum(axis=0),
            "residual": residual.sum(axis=0),
            "count": weights.sum(axis=0),
        }
        if self._sums is None:
            self._sums = batch
        else:
            for key, value in batch.items():
                self._sums[key] = self._sums[key] + value
        self.num_samples += y_true.size

    def result(self) -> float | np.ndarray:
        """R^2 as `class_aggregation` combines it; 0.0 before any update."""
        if self._sums is None:
            return 0.0
        sums = self._sums
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sums["sum"] / sums["count"]
            total = sums["squared_sum"] - sums["sum"] * mean
            scores = 1.0 - sums["residual"] / total
        scores = np.where(np.isinf(scores), 0.0, scores)
        if self.class_aggregation == "uniform_average":
            r2: float | np.ndarray = float(np.mean(scores))
        elif self.class_aggregation == "variance_weighted_average":
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = float(np.sum(total * scores) / np.sum(total))
        else:
            r2 = scores
        if self.num_regressors == 0:
            return r2
        n, p = self.num_samples, float(self.num_regressors)
        if p > n - 1:
            warnings.warn(
                "More independent predictors than datapoints in adjusted R2 score. Falling back to standard R2 score.",
                stacklevel=2,
            )
            return r2
        if p == n - 1:
            warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.", stacklevel=2)
            return r2
        adjusted = 1.0 - (1.0 - np.asarray(r2)) * (n - 1.0) / (n - p - 1.0)
        return adjusted if isinstance(r2, np.ndarray) else float(adjusted)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
