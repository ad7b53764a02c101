"""Focal cross-entropies (Lin et al., 2018): cross-entropy down-weighted on the examples already predicted well.

Both follow Keras's formulas: probabilities (after the sigmoid or softmax when
`from_logits=True`) are clipped to `[eps, 1 - eps]` inside the logarithm, so
the values saturate as Keras's do, and the gradient is zero where the clip is
active.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from minikeras import activations
from minikeras import config as _config
from minikeras.losses.base import Loss, ValuesAndArrayGradient, labels_like

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


def _check_smoothing(label_smoothing: float) -> float:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]. Received: label_smoothing={label_smoothing}")
    return float(label_smoothing)


def _check_axis(axis: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type {type(axis)}")
    return int(axis)


def _power_and_derivative(base: np.ndarray, gamma: float, with_derivative: bool):
    """`base ** gamma` and, if asked, its derivative `gamma * base ** (gamma - 1)` for `base >= 0`.

    At `base == 0` the derivative is taken as 0 (as `gamma > 1` gives; for `gamma < 1` it is
    infinite there, which would poison a whole batch's gradient).
    """
    power = np.power(base, gamma)
    if not with_derivative:
        return power, None
    if gamma == 0:
        return power, np.zeros_like(base)
    if gamma == 1:
        return power, np.ones_like(base)
    positive = base > 0
    derivative = np.where(positive, gamma * np.power(np.where(positive, base, 1.0), gamma - 1.0), 0.0)
    return power, derivative.astype(base.dtype, copy=False)


class BinaryFocalCrossentropy(Loss):
    """Binary focal cross-entropy, averaged over `axis`.

    Per element, with `p` the probability (`sigmoid(y_pred)` from logits) and
    `t` the (smoothed) label:

    `bce = -(t log p_c + (1 - t) log(1 - p_c))`, `p_c = clip(p, eps, 1 - eps)`;
    `p_t = t p + (1 - t)(1 - p)`; the value is `w (1 - p_t)^gamma bce`, with
    `w = t alpha + (1 - t)(1 - alpha)` when `apply_class_balancing`, else 1.

    Gradient with respect to `p`: `w [(1 - 2t) gamma (1 - p_t)^(gamma-1) bce +
    (1 - p_t)^gamma (p_c - t) / (p_c (1 - p_c))]` (the second term zero where
    clipped), times `p (1 - p)` from logits.

    Args:
        apply_class_balancing: whether to weigh class 1 by `alpha` and class 0
            by `1 - alpha` (default False).
        alpha: the weight of class 1 when balancing (default 0.25).
        gamma: the focusing parameter (default 2.0); 0 gives the binary
            cross-entropy.
        from_logits: whether `y_pred` holds logits (default False).
        label_smoothing: in [0, 1]; labels become `t (1 - s) + s / 2`.
        axis: the axis averaged over (default -1).
    """

    default_name = "binary_focal_crossentropy"

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_focal_crossentropy",
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing)
        self.axis = _check_axis(axis)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha = float(alpha)
        self.gamma = float(gamma)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        y_true = labels_like(y_true, y_pred)
        moved = self.axis not in (-1, y_pred.ndim - 1)
        if moved:  # average over another axis: move it last
            y_true, y_pred = np.moveaxis(y_true, self.axis, -1), np.moveaxis(y_pred, self.axis, -1)
        t = y_true * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing if self.label_smoothing else y_true
        p = activations.sigmoid(y_pred) if self.from_logits else y_pred
        eps = _config.epsilon()
        p_clipped = np.clip(p, eps, 1.0 - eps)
        bce = -(t * np.log(p_clipped) + (1.0 - t) * np.log(1.0 - p_clipped))
        p_t = t * p + (1.0 - t) * (1.0 - p)
        focal, focal_derivative = _power_and_derivative(1.0 - p_t, self.gamma, with_gradient)
        weight = t * self.alpha + (1.0 - t) * (1.0 - self.alpha) if self.apply_class_balancing else 1.0
        width = y_pred.shape[-1]
        values = np.mean(weight * focal * bce, axis=-1)
        if not with_gradient:
            return values, None
        assert focal_derivative is not None
        inside = (p >= eps) & (p <= 1.0 - eps)
        bce_grad = np.where(inside, (p_clipped - t) / (p_clipped * (1.0 - p_clipped)), 0.0)
        # d(1 - p_t)/dp = 1 - 2t
        grad = weight * ((1.0 - 2.0 * t) * focal_derivative * bce + focal * bce_grad) / width
        if self.from_logits:
            grad = grad * p * (1.0 - p)
        grad = grad.astype(y_pred.dtype, copy=False)
        return values, np.moveaxis(grad, -1, self.axis) if moved else grad

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }


class CategoricalFocalCrossentropy(Loss):
    """Alpha-balanced focal cross-entropy between one-hot (or soft) labels and class probabilities.

    As in Keras: probabilities (`softmax(y_pred)` from logits) are divided by
    their sum along `axis` and clipped, `q = clip(p / sum(p), eps, 1 - eps)`;
    per sample the value is `sum_k alpha_k (1 - q_k)^gamma (-t_k log q_k)`.

    Gradient with respect to `q_k`: `g_k = -alpha_k t_k [(1 - q_k)^gamma / q_k
    - gamma (1 - q_k)^(gamma-1) log q_k]`, zero where clipped; through the
    normalization `dL/dp_k = (g_k - sum_j g_j q_j) / sum(p)`, and through the
    softmax from logits `dL/dz = p (G - sum(G p))`.

    Args:
        alpha: weight of each class: a number, or a list with one weight per
            class (broadcast along the last axis, as in Keras). Default 0.25.
        gamma: the focusing parameter (default 2.0); 0 gives `alpha` times the
            categorical cross-entropy.
        from_logits: whether `y_pred` holds logits (default False).
        label_smoothing: in [0, 1]; labels become `t (1 - s) + s / classes`,
            `classes` being the size of the labels' last axis.
        axis: the class axis (default -1).
    """

    default_name = "categorical_focal_crossentropy"
    one_hot_targets = True

    def __init__(
        self,
        alpha: float | Sequence[float] = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_focal_crossentropy",
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        weights = np.asarray(alpha, dtype=np.float64)
        if weights.ndim > 1:
            raise ValueError(f"alpha must be a number or a list of one weight per class. Received: alpha={alpha!r}")
        self.alpha: float | list[float] = float(weights) if weights.ndim == 0 else weights.tolist()
        self.gamma = float(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing)
        self.axis = _check_axis(axis)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        y_true = labels_like(y_true, y_pred)
        alpha = np.asarray(self.alpha, dtype=y_pred.dtype)
        if alpha.ndim:
            if alpha.shape[0] != y_pred.shape[-1]:
                raise ValueError(
                    f"alpha must have one weight per class: {y_pred.shape[-1]} along y_pred's last axis. "
                    f"Received: alpha of length {alpha.shape[0]}"
                )
            alpha = np.broadcast_to(alpha, y_pred.shape)
        if self.label_smoothing:  # Keras smooths with the last axis's size, whatever `axis` is
            y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / y_true.shape[-1]
        moved = self.axis not in (-1, y_pred.ndim - 1)
        if moved:
            y_true, y_pred = np.moveaxis(y_true, self.axis, -1), np.moveaxis(y_pred, self.axis, -1)
            alpha = np.moveaxis(alpha, self.axis, -1) if alpha.ndim else alpha
        p = activations.softmax(y_pred) if self.from_logits else y_pred
        total = p.sum(axis=-1, keepdims=True)
        q = p / total
        eps = _config.epsilon()
        q_clipped = np.clip(q, eps, 1.0 - eps)
        log_q = np.log(q_clipped)
        modulating, modulating_derivative = _power_and_derivative(1.0 - q_clipped, self.gamma, with_gradient)
        values = np.sum(alpha * modulating * (-y_true * log_q), axis=-1)
        if not with_gradient:
            return values, None
        assert modulating_derivative is not None
        inside = (q >= eps) & (q <= 1.0 - eps)
        grad_q = np.where(inside, -alpha * y_true * (modulating / q_clipped - modulating_derivative * log_q), 0.0)
        grad = (grad_q - (grad_q * q).sum(axis=-1, keepdims=True)) / total
        if self.from_logits:
            grad = p * (grad - (grad * p).sum(axis=-1, keepdims=True))
        grad = grad.astype(y_pred.dtype, copy=False)
        return values, np.moveaxis(grad, -1, self.axis) if moved else grad

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }
