"""The `Loss` base class: a loss's values, its gradient, and Keras's reductions of both.

A loss object is called as `loss(y_true, y_pred, sample_weight=None)` and
returns a scalar: the per-sample values (one per sample, the last axis reduced,
unless the loss reduces other axes) weighted by `sample_weight` and reduced as
Keras does: `"sum_over_batch_size"` (default) divides the weighted sum by the
number of values, not by the sum of weights. `loss.gradient(...)` returns
`dL/dy_pred` of that same scalar, with `y_pred`'s shape; `value_and_gradient`
returns both from one pass, which is what the training loop uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from minikeras import config as _config
from minikeras.utils.sample_weights import broadcast_sample_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike
    from typing_extensions import Self

# A loss's value: a numpy float, or the per-sample values with `reduction="none"`.
LossValue: TypeAlias = "np.floating | np.ndarray"
# What `Loss.compute` returns: the values and, when asked, their gradient with respect to the predictions:
# an array shaped like `y_pred` (each value depends only on the entries of y_pred it was reduced from), or a
# function taking `dL/dvalues` (the values' shape) to `dL/dy_pred` (a value depends on several samples).
ValuesAndGradient: TypeAlias = "tuple[np.ndarray, np.ndarray | Callable[[np.ndarray], np.ndarray] | None]"
# The same when the gradient, if any, is an array (every loss but those comparing samples with each other).
ValuesAndArrayGradient: TypeAlias = "tuple[np.ndarray, np.ndarray | None]"

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction: str | None) -> str | None:
    """Return `reduction` if Keras knows it.

    Raises:
        ValueError: "Invalid value for argument `reduction`", with the accepted values.
    """
    if not (reduction is None or isinstance(reduction, str)) or reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. Received: reduction={reduction!r}"
        )
    return reduction


class Loss:
    """Base class of losses.

    Subclasses implement `compute(y_true, y_pred, with_gradient)` returning the
    per-sample values and, if asked, their gradient with respect to `y_pred`
    (see `ValuesAndGradient`). A subclass that only defines Keras's
    `call(y_true, y_pred)` gives values but cannot train: minikeras has no
    automatic differentiation.

    Args:
        name: the name shown in logs.
        reduction: "sum_over_batch_size" (default), "sum", "mean" (same as the
            default), "mean_with_sample_weight" (divide by the sum of weights)
            or "none"/None (return the per-sample values; the gradient is that
            of their sum).
        dtype: accepted for Keras's signature; the computation runs in the
            predictions' float dtype.
    """

    default_name = "loss"

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: DTypeLike | None = None
    ) -> None:
        self.reduction = standardize_reduction(reduction)
        self.name = name or self.default_name
        self.dtype = dtype

    # -- what subclasses define
    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        """The per-sample values and, if `with_gradient`, their gradient (see `ValuesAndGradient`)."""
        if type(self).call is Loss.call:
            raise NotImplementedError(f"{type(self).__name__} must define compute(y_true, y_pred, with_gradient).")
        if not with_gradient:
            return np.asarray(self.call(y_true, y_pred)), None
        # Keras's way: only call() is written; its gradient comes from autograd (`minikeras.autodiff`).
        from minikeras import autodiff

        values, vjp = autodiff.value_and_vjp(lambda p: self.call(y_true, p), y_pred)
        return values, lambda coefficients: np.asarray(vjp(coefficients), dtype=y_pred.dtype)

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Keras's hook for a custom loss: the per-sample values. Written in `minikeras.ops`, its
        gradient comes from autograd (the `autodiff` extra); `compute` gives one by hand instead."""
        raise NotImplementedError

    def value_mask(self, y_true: np.ndarray, y_pred: np.ndarray, values: np.ndarray) -> np.ndarray | None:
        """Which values count (Keras's mask on the loss's output), or None for all of them.

        Masked-out values weigh 0, and `"sum_over_batch_size"` divides by the number of values that count.
        """
        return None

    def reduced_axes(self, ndim: int) -> tuple[int, ...] | None:
        """The axes of a `ndim`-dimensional `y_pred` that each value is reduced over (None: all of them).

        The last axis unless the loss has an `axis` saying otherwise.
        """
        axis = getattr(self, "axis", -1)
        if axis is None:
            return None
        return tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)

    # -- public API
    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> LossValue:
        value, _ = self._reduce(y_true, y_pred, sample_weight, with_gradient=False)
        return value

    def gradient(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> np.ndarray:
        """Return dL/dy_pred of the reduced loss, shaped like `y_pred`."""
        return self._reduce(y_true, y_pred, sample_weight, with_gradient=True)[1]

    def value_and_gradient(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[LossValue, np.ndarray]:
        """Return `(loss, dL/dy_pred)` computed in one pass."""
        return self._reduce(y_true, y_pred, sample_weight, with_gradient=True)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Self:
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    # -- the softmax shortcut (the cross-entropies on probabilities)
    def takes_softmax_shortcut(self) -> bool:
        """Whether `value_and_logits_gradient` applies to this loss as configured."""
        return False

    def value_and_logits_gradient(
        self, y_true: ArrayLike, probs: np.ndarray, sample_weight: ArrayLike | None = None
    ) -> tuple[LossValue, np.ndarray] | None:
        """`(loss, dL/dz)` for `probs = softmax(z)` over the last axis, or None where a
        probability is clipped (see `softmax_shortcut`). Only when `takes_softmax_shortcut()`."""
        try:
            return self._reduce(y_true, probs, sample_weight, True, compute=self._compute_from_softmax)
        except ClipActive:
            return None

    def _compute_from_softmax(self, y_true, probs, with_gradient):
        raise NotImplementedError(f"{type(self).__name__} has no softmax shortcut.")

    # -- internals
    def _reduce(self, y_true, y_pred, sample_weight, with_gradient, compute=None):
        y_pred = np.asarray(y_pred)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(_config.floatx())
        y_true = np.asarray(y_true)
        values, grad = (compute or self.compute)(y_true, y_pred, with_gradient)
        values = np.asarray(values)
        weights = None
        if sample_weight is not None:
            weights = broadcast_sample_weight(np.asarray(sample_weight, dtype=values.dtype), values)
        mask = self.value_mask(y_true, y_pred, values)
        if mask is not None:
            weights = _merge_mask(weights, mask, self.reduction, values.dtype)
        # (weights broadcast against values: a single value, such as Dice's over the whole batch, times one
        # weight per sample gives one weighted value per sample, as in Keras)
        weighted = values if weights is None else values * weights
        if self.reduction in ("none", None):
            scale = 1.0
            value = weighted
        elif self.reduction == "sum":
            scale = 1.0
            value = weighted.sum()
        else:
            if self.reduction == "mean_with_sample_weight" and weights is not None:
                divisor = float(np.broadcast_to(weights, weighted.shape).sum())
            else:
                divisor = float(weighted.size)
            scale = 1.0 / divisor if divisor else 0.0
            value = weighted.sum() * scale
        if not with_gradient:
            return value, None
        assert grad is not None  # `compute` returns the gradient when asked for it
        # d value / d values: `scale` times each value's weight (summed where one value met several weights)
        if weights is None:
            coefficients = None
        else:
            coefficients = _sum_to_shape(np.broadcast_to(weights * scale, weighted.shape), values.shape)
        if callable(grad):
            if coefficients is None:
                coefficients = np.full(values.shape, scale, dtype=values.dtype)
            return value, grad(coefficients)
        if coefficients is None:
            return value, grad * np.asarray(scale, dtype=grad.dtype)
        axes = self.reduced_axes(grad.ndim)
        if axes is not None:
            coefficients = np.expand_dims(coefficients, tuple(sorted(axis % grad.ndim for axis in axes)))
        return value, grad * coefficients.astype(grad.dtype, copy=False)


class ClipActive(Exception):
    """Raised inside the reduction when the softmax shortcut does not give the clipped loss's gradient."""


def _merge_mask(weights: np.ndarray | None, mask: np.ndarray, reduction: str | None, dtype) -> np.ndarray:
    """Fold a mask on the values into the sample weights, as Keras does.

    For the averaging reductions a value that counts weighs `total / valid`, so
    that dividing by the number of values divides by the number that count.
    """
    if reduction in ("sum_over_batch_size", "mean"):
        valid = int(np.count_nonzero(mask))
        mask_weights = np.where(mask, mask.size / valid if valid else 0.0, 0.0).astype(dtype)
    else:
        mask_weights = mask.astype(dtype)
    return mask_weights if weights is None else weights * mask_weights


def _sum_to_shape(array: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `array` over the axes that broadcasting added to or stretched from `shape`."""
    extra = array.ndim - len(shape)
    if extra:
        array = array.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and array.shape[axis] != 1)
    return array.sum(axis=stretched, keepdims=True) if stretched else array


def match_rank(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Give `y_true` the rank of `y_pred` when they differ by a trailing axis of 1 (see `check_target_shape`)."""
    shape = check_target_shape(y_true.shape, y_pred.shape)
    return y_true if shape == y_true.shape else y_true.reshape(shape)


def labels_like(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """`y_true` with `y_pred`'s rank (see `match_rank`) and float dtype."""
    return match_rank(y_true, y_pred).astype(y_pred.dtype, copy=False)


def check_target_shape(
    target_shape: Sequence[int],
    prediction_shape: Sequence[int | None],
    what: str = "y_true",
    predictions: str = "y_pred",
    loss: Loss | None = None,
) -> tuple:
    """Check that targets can go with predictions one to one, as every loss but the sparse ones needs.

    The two may differ by one trailing axis of 1 (targets `(samples,)` for
    predictions `(samples, 1)`, or the other way round); past that they must be
    equal. A `None` in `prediction_shape` (the batch axis of a model's output
    before any data) matches any size.

    Args:
        target_shape: shape of the targets.
        prediction_shape: shape of the predictions, or of the model's output.
        what: the targets' name in the error (`"y_true"`, `"y"`, `"y_val"`).
        predictions: the predictions' name in the error.
        loss: the loss the targets are for; names it in the error, and hints at
            one-hot encoding for integer labels given to a loss that wants one-hot
            targets (`CategoricalCrossentropy`).

    Returns:
        The shape the targets take to match the predictions.

    Raises:
        ValueError: naming both shapes.
    """
    target_shape, prediction_shape = tuple(target_shape), tuple(prediction_shape)
    shape = target_shape
    if len(target_shape) == len(prediction_shape) - 1 and prediction_shape[-1] == 1:
        shape = (*target_shape, 1)
    elif len(target_shape) == len(prediction_shape) + 1 and target_shape[-1] == 1:
        shape = target_shape[:-1]
    if shape == prediction_shape or fits(shape, prediction_shape):
        return shape
    prefix = f"{type(loss).__name__}: " if loss is not None else ""
    if fits(shape[1:], prediction_shape[1:]):
        need = "both must have the same number of samples"
    else:
        need = f"each target must have shape {prediction_shape[1:]}"
    hint = ""
    if getattr(loss, "one_hot_targets", False) and len(target_shape) == 1:
        hint = " One-hot encode the labels (minikeras.utils.to_categorical) or use sparse_categorical_crossentropy."
    raise ValueError(
        f"{prefix}{what} has shape {target_shape}, but {predictions} has shape {prediction_shape}; {need}.{hint}"
    )


def fits(shape: tuple, expected: tuple) -> bool:
    """Whether `shape` is `expected`, a `None` in `expected` standing for any size."""
    return len(shape) == len(expected) and all(e is None or e == s for s, e in zip(shape, expected))
