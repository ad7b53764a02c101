"""Regression losses: squared, absolute, percentage and logarithmic errors, cosine similarity, Huber, log-cosh."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minikeras import config as _config
from minikeras.losses.base import Loss, ValuesAndArrayGradient, labels_like

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


class MeanSquaredError(Loss):
    """Mean of `(y_pred - y_true)^2` over the last axis; gradient `2 (y_pred - y_true) / width`."""

    default_name = "mean_squared_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        diff = y_pred - labels_like(y_true, y_pred)
        values = np.mean(diff * diff, axis=-1)
        return values, (2.0 / diff.shape[-1]) * diff if with_gradient else None


class MeanAbsoluteError(Loss):
    """Mean of `|y_pred - y_true|` over the last axis; gradient `sign(y_pred - y_true) / width`."""

    default_name = "mean_absolute_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        diff = y_pred - labels_like(y_true, y_pred)
        values = np.mean(np.abs(diff), axis=-1)
        return values, np.sign(diff) / diff.shape[-1] if with_gradient else None


def _difference(y_true, y_pred) -> np.ndarray:
    """`y_pred - y_true` after giving the labels the predictions' rank and dtype."""
    return y_pred - labels_like(y_true, y_pred)


class MeanAbsolutePercentageError(Loss):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, eps))` over the last axis.

    As in Keras the denominator is bounded below by `epsilon()` (1e-7), so a zero
    label gives a large but finite value. Gradient:
    `100 * sign(y_pred - y_true) / max(|y_true|, eps) / width`.
    """

    default_name = "mean_absolute_percentage_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        y_true = labels_like(y_true, y_pred)
        scale = 100.0 / np.maximum(np.abs(y_true), _config.epsilon())
        diff = y_pred - y_true
        values = np.mean(np.abs(diff) * scale, axis=-1)
        return values, (np.sign(diff) * scale / diff.shape[-1]).astype(
            y_pred.dtype, copy=False
        ) if with_gradient else None


class MeanSquaredLogarithmicError(Loss):
    """`mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2)` over the last axis.

    Values below `epsilon()` are raised to it before the logarithm, as Keras
    does, so the gradient is zero where `y_pred < eps`; elsewhere it is
    `2 (a - b) / (y_pred + 1) / width` with `a`, `b` the two logarithms.
    """

    default_name = "mean_squared_logarithmic_error"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        eps = _config.epsilon()
        y_true = labels_like(y_true, y_pred)
        shifted_pred = np.maximum(y_pred, eps) + 1.0
        diff = np.log(shifted_pred) - np.log(np.maximum(y_true, eps) + 1.0)
        values = np.mean(diff * diff, axis=-1)
        if not with_gradient:
            return values, None
        grad = np.where(y_pred >= eps, 2.0 * diff / shifted_pred, 0.0) / diff.shape[-1]
        return values, grad.astype(y_pred.dtype, copy=False)


class CosineSimilarity(Loss):
    """Negative cosine similarity along `axis`: `-sum(u * v)`, `u`, `v` the unit-length labels and predictions.

    Each vector is divided by `max(||x||, eps)`, Keras's `normalize`, so a zero
    vector gives 0. Values lie in [-1, 1]; -1 means the same direction.
    With `n = ||y_pred||`, the gradient is `-(u - (u . v) v) / n` where
    `n > eps`, else `-u / eps`.

    Args:
        axis: the axis the similarity is computed along (default -1).
    """

    default_name = "cosine_similarity"

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = axis

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        eps = _config.epsilon()
        y_true = labels_like(y_true, y_pred)
        true_unit = y_true / np.maximum(np.sqrt(np.sum(y_true * y_true, axis=self.axis, keepdims=True)), eps)
        norm = np.sqrt(np.sum(y_pred * y_pred, axis=self.axis, keepdims=True))
        inverse = 1.0 / np.maximum(norm, eps)
        pred_unit = y_pred * inverse
        cosine = np.sum(true_unit * pred_unit, axis=self.axis, keepdims=True)
        values = -np.squeeze(cosine, axis=self.axis)
        if not with_gradient:
            return values, None
        grad = -inverse * (true_unit - np.where(norm > eps, cosine * pred_unit, 0.0))
        return values, grad.astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Huber(Loss):
    """Huber loss, averaged over the last axis: quadratic for small errors, linear for large.

    Per element, with `e = y_pred - y_true`: `e^2 / 2` where `|e| <= delta`,
    else `delta * |e| - delta^2 / 2`. Gradient: `e` or `delta * sign(e)`, over width.

    Args:
        delta: where the loss turns from quadratic to linear (default 1.0).
    """

    default_name = "huber_loss"

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = float(delta)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        error = _difference(y_true, y_pred)
        small = np.abs(error) <= self.delta
        elements = np.where(small, 0.5 * error * error, self.delta * np.abs(error) - 0.5 * self.delta**2)
        values = np.mean(elements, axis=-1)
        if not with_gradient:
            return values, None
        grad = np.where(small, error, self.delta * np.sign(error)) / error.shape[-1]
        return values, grad.astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(Loss):
    """Mean of `log(cosh(y_pred - y_true))` over the last axis.

    Computed as `e + softplus(-2 e) - log(2)`, finite for any error; about
    `e^2 / 2` for small errors and `|e| - log(2)` for large ones. Gradient:
    `tanh(e) / width`.
    """

    default_name = "log_cosh"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        error = _difference(y_true, y_pred)
        doubled = -2.0 * error
        softplus = np.maximum(doubled, 0) + np.log1p(np.exp(-np.abs(doubled)))
        values = np.mean(error + softplus - math.log(2.0), axis=-1)
        return values, np.tanh(error) / error.shape[-1] if with_gradient else None
