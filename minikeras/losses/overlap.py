"""Overlap losses for segmentation: Dice and Tversky, one minus a soft overlap ratio of labels and predictions.

The sums run over `axis`: by default (None) over every axis, so the whole
batch gives a single value, as in Keras; `axis=(1, 2)` on `(batch, height,
width, channels)` gives one value per image and channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from minikeras import config as _config
from minikeras.losses.base import Loss, ValuesAndArrayGradient, labels_like

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


def _check_axis(axis: int | Sequence[int] | None) -> int | tuple[int, ...] | None:
    """Keras's `axis` for the overlap losses: None, an int, or a tuple (a list, as JSON gives it, becomes one)."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            raise ValueError(f"`axis` must be None, an int or a tuple of ints. Received: axis={axis!r}")
        return tuple(int(a) for a in axis)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"`axis` must be None, an int or a tuple of ints. Received: axis={axis!r}")
    return int(axis)


class Tversky(Loss):
    """Tversky loss: `1 - I / (I + alpha * A + beta * B + eps)` summed over `axis`.

    With Keras's terms `I = sum(t p)`, `A = sum((1 - p) t)` and
    `B = sum(p (1 - t))`, `t` the labels and `p` the predictions. `alpha =
    beta = 0.5` gives the Dice loss.

    Gradient, with `D` the denominator: `-(t D - I (t - alpha t + beta (1 - t))) / D^2`.

    Args:
        alpha: the weight of `A` (default 0.5).
        beta: the weight of `B` (default 0.5).
        axis: the axes summed over: None (all, the default), an int or a tuple.
    """

    default_name = "tversky"

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "tversky",
        axis: int | Sequence[int] | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.axis = _check_axis(axis)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        t = labels_like(y_true, y_pred)
        axis = self.axis
        intersection = np.sum(t * y_pred, axis=axis, keepdims=True)
        missed = np.sum((1.0 - y_pred) * t, axis=axis, keepdims=True)
        extra = np.sum(y_pred * (1.0 - t), axis=axis, keepdims=True)
        denominator = intersection + self.alpha * missed + self.beta * extra + _config.epsilon()
        values = _drop(1.0 - intersection / denominator, axis)
        if not with_gradient:
            return values, None
        d_denominator = t - self.alpha * t + self.beta * (1.0 - t)
        grad = -(t * denominator - intersection * d_denominator) / (denominator * denominator)
        return values, grad.astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta, "axis": self.axis}


class Dice(Loss):
    """Dice loss: `1 - 2 sum(t p) / (sum(t) + sum(p) + eps)` summed over `axis`.

    Gradient, with `I = sum(t p)` and `S` the denominator: `(2 I - 2 t S) / S^2`.

    Args:
        axis: the axes summed over: None (all, the default: one value for the
            whole batch), an int or a tuple.
    """

    default_name = "dice"

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "dice",
        axis: int | Sequence[int] | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = _check_axis(axis)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        t = labels_like(y_true, y_pred)
        axis = self.axis
        intersection = np.sum(t * y_pred, axis=axis, keepdims=True)
        total = np.sum(t, axis=axis, keepdims=True) + np.sum(y_pred, axis=axis, keepdims=True) + _config.epsilon()
        values = _drop(1.0 - 2.0 * intersection / total, axis)
        if not with_gradient:
            return values, None
        grad = (2.0 * intersection - 2.0 * t * total) / (total * total)
        return values, grad.astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _drop(kept: np.ndarray, axis: int | tuple[int, ...] | None) -> np.ndarray:
    """Remove the axes kept (as size 1) by a `keepdims` sum."""
    return np.squeeze(kept, axis=axis) if axis is not None else kept.reshape(())
