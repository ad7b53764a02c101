"""Correlation metrics: the Pearson and the concordance correlation coefficients, per sample and over an epoch.

Each function computes one coefficient per sample along `axis` (by default
over a sample's last axis, so a `(batch, features)` batch gives `batch`
coefficients); the metrics are the weighted running mean of those per-sample
coefficients over every batch seen, as any `MeanMetricWrapper`. A 1-D batch is
one sample: its coefficient is one value, counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import config as _config
from minikeras.metrics.base import MeanMetricWrapper, _same_rank

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

Axis = int | Sequence[int]


def _checked_axis(axis: Any) -> int | tuple[int, ...]:
    """`axis` as numpy takes it (a list, as a config read from JSON gives, becomes a tuple)."""
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    if (
        isinstance(axis, (list, tuple))
        and axis
        and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis)
    ):
        return tuple(int(a) for a in axis)
    raise TypeError(f"`axis` must be an integer or a non-empty tuple of integers. Received: axis={axis!r}")


def _prepared(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Both in the predictions' float dtype, ranks matched as Keras does (a trailing axis of 1 added or dropped)."""
    predictions = np.asarray(y_pred)
    if predictions.dtype.kind != "f":
        predictions = predictions.astype(_config.floatx())
    labels = np.asarray(y_true).astype(predictions.dtype, copy=False)
    labels, predictions = _same_rank(labels, predictions)
    try:
        np.broadcast_shapes(labels.shape, predictions.shape)
    except ValueError:
        raise ValueError(
            "y_true and y_pred must have the same shape (or shapes that broadcast). "
            f"Received: y_true.shape={np.shape(y_true)}, y_pred.shape={np.shape(y_pred)}"
        ) from None
    return labels, predictions


def pearson_correlation(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = -1) -> np.ndarray:
    """Pearson correlation coefficient of labels and predictions along `axis`, per sample.

    Both are centred and divided by their (population) standard deviation along
    `axis`; the coefficient is the mean of the products. A sample whose labels or
    predictions are constant along `axis` has no coefficient: NaN, as in Keras.

    Args:
        y_true: labels, e.g. `(batch, features)`.
        y_pred: predictions, of `y_true`'s shape (or differing by a trailing axis of 1).
        axis: the axis or axes the coefficient is computed along (default -1).

    Returns:
        The coefficients in `[-1, 1]`: the inputs' shape without `axis`
        (`(batch,)` for `(batch, features)` inputs), in the predictions' float dtype.

    Example:
        >>> pearson_correlation([[0.0, 1.0, 0.5]], [[0.0, 2.0, 1.0]]).round(6)
        array([1.])
    """
    axis = _checked_axis(axis)
    labels, predictions = _prepared(y_true, y_pred)
    labels = labels - labels.mean(axis=axis, keepdims=True)
    predictions = predictions - predictions.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant sample is 0 / 0: NaN, as Keras gives
        labels = labels / labels.std(axis=axis, keepdims=True)
        predictions = predictions / predictions.std(axis=axis, keepdims=True)
    return np.asarray(np.mean(labels * predictions, axis=axis))


def concordance_correlation(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = -1) -> np.ndarray:
    """Lin's concordance correlation coefficient of labels and predictions along `axis`, per sample.

    `2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))^2 + epsilon)` with
    population (co)variances along `axis`: the Pearson coefficient scaled down
    as the predictions drift from the labels in mean or spread, 1 only when
    they are equal. `epsilon()` (1e-7) keeps a sample whose labels and
    predictions are one same constant at 0 rather than NaN, as in Keras.

    Args:
        y_true: labels, e.g. `(batch, features)`.
        y_pred: predictions, of `y_true`'s shape (or differing by a trailing axis of 1).
        axis: the axis or axes the coefficient is computed along (default -1).

    Returns:
        The coefficients in `[-1, 1]`: the inputs' shape without `axis`, in the
        predictions' float dtype.

    Example:
        >>> concordance_correlation([[0.0, 1.0, 0.5]], [[0.0, 1.0, 0.5]]).round(6)
        array([1.])
    """
    axis = _checked_axis(axis)
    labels, predictions = _prepared(y_true, y_pred)
    labels_mean = labels.mean(axis=axis, keepdims=True)
    predictions_mean = predictions.mean(axis=axis, keepdims=True)
    covariance = np.mean((labels - labels_mean) * (predictions - predictions_mean), axis=axis, keepdims=True)
    spread = (
        labels.var(axis=axis, keepdims=True)
        + predictions.var(axis=axis, keepdims=True)
        + np.square(labels_mean - predictions_mean)
    )
    coefficients = 2 * covariance / (spread + np.asarray(_config.epsilon(), dtype=spread.dtype))
    return np.asarray(np.squeeze(coefficients, axis=axis))


class PearsonCorrelation(MeanMetricWrapper):
    """Mean Pearson correlation coefficient (PCC) over the samples of the epoch.

    Each sample's coefficient of labels and predictions along `axis` (see
    `pearson_correlation`): 1 for a perfect increasing linear relation, 0 for
    none, -1 for a perfect decreasing one. The result is their mean over every
    sample seen, weighted by `sample_weight` (one weight per sample).

    Args:
        name: the key in logs (default "pearson_correlation").
        dtype: kept for Keras's signature and config.
        axis: the axis or axes of a sample the coefficient is computed along (default -1).

    Example:
        >>> m = PearsonCorrelation()
        >>> m.update_state([[0.0, 1.0, 0.5], [1.0, 0.0, 2.0]], [[0.0, 2.0, 1.0], [2.0, 0.0, 4.0]])
        >>> round(m.result(), 6)
        1.0
    """

    direction = "up"
    _fn_in_config = False

    def __init__(self, name: str = "pearson_correlation", dtype: DTypeLike | None = None, axis: Axis = -1) -> None:
        _checked_axis(axis)
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(MeanMetricWrapper):
    """Mean concordance correlation coefficient (CCC) over the samples of the epoch.

    Each sample's coefficient of labels and predictions along `axis` (see
    `concordance_correlation`): agreement with the line `y_pred = y_true`, 1 only
    for equal values. The result is their mean over every sample seen, weighted
    by `sample_weight` (one weight per sample).

    Args:
        name: the key in logs (default "concordance_correlation").
        dtype: kept for Keras's signature and config.
        axis: the axis or axes of a sample the coefficient is computed along (default -1).

    Example:
        >>> m = ConcordanceCorrelation()
        >>> m.update_state([[0.0, 1.0, 0.5]], [[0.0, 1.0, 0.5]])
        >>> round(m.result(), 6)
        1.0
    """

    direction = "up"
    _fn_in_config = False

    def __init__(self, name: str = "concordance_correlation", dtype: DTypeLike | None = None, axis: Axis = -1) -> None:
        _checked_axis(axis)
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
