"""Generalized cross-entropy (Zhang and Sabuncu, 2018): a noise-robust loss between cross-entropy and MAE."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minikeras.losses.base import Loss, ValuesAndArrayGradient
from minikeras.losses.probabilistic import checked_sparse_labels

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


class CategoricalGeneralizedCrossEntropy(Loss):
    """`(1 - p^q) / q` per sample, `p` the predicted probability of the sample's integer label.

    As in Keras there is no clipping: `y_pred` should hold probabilities. The
    gradient is `-p^(q - 1)` at the label and 0 elsewhere.

    Args:
        q: in (0, 1) (default 0.5): towards 0 the loss behaves like the
            cross-entropy, towards 1 like the mean absolute error.
    """

    default_name = "categorical_generalized_cross_entropy"

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: DTypeLike | None = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.q = float(q)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        labels = checked_sparse_labels(y_true, y_pred.shape)
        p = np.take_along_axis(y_pred, labels[..., None], axis=-1)
        values = ((1.0 - np.power(p, self.q)) / self.q)[..., 0]
        if not with_gradient:
            return values, None
        grad = np.zeros_like(y_pred)
        with np.errstate(divide="ignore"):  # p = 0: an infinite slope, as Keras's has
            np.put_along_axis(grad, labels[..., None], -np.power(p, self.q - 1.0), axis=-1)
        return values, grad

    def get_config(self) -> dict:
        return {**super().get_config(), "q": self.q}
