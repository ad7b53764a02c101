"""Circle loss (Sun et al., 2020): a metric-learning loss on integer labels and embeddings.

Each sample's value depends on every other sample of the batch (its positives
share its label, its negatives do not), so the gradient is given as a function
of the weights of the values (see `ValuesAndGradient`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minikeras.losses.base import Loss, ValuesAndGradient

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike


def _masked_logsumexp(scores: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise log-sum-exp of `scores` where `mask`, and the softmax weights (-inf and 0 for an empty row)."""
    masked = np.where(mask, scores, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    exp = np.where(mask, np.exp(masked - safe_top), 0.0)
    total = exp.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        lse = (np.log(total) + safe_top)[:, 0]
    weights = exp / np.where(total > 0, total, 1.0)
    return lse, weights


def circle_with_gradient(
    labels: np.ndarray,
    embeddings: np.ndarray,
    ref_labels: np.ndarray | None = None,
    ref_embeddings: np.ndarray | None = None,
    remove_diagonal: bool = True,
    gamma: float = 80.0,
    margin: float = 0.4,
    with_gradient: bool = False,
):
    """Per-sample circle loss and, if asked, a function from `dL/dvalues` to `dL/dembeddings`.

    With `D = max(1 - e r^T, 0)` the cosine distances to the reference embeddings
    `r` (the embeddings themselves by default), positives `P` (same label, the
    diagonal left out when `remove_diagonal`) and negatives `N`:
    `a = -gamma max(m + D, 0) (m - D)` on `P`, `b = gamma max(1 + m - D, 0) (1 - m - D)`
    on `N`, and the value is `softplus(logsumexp_P(a) + logsumexp_N(b))`: 0 for a
    sample with no positive or no negative.
    """
    same_reference = ref_embeddings is None
    ref_embeddings = embeddings if ref_embeddings is None else ref_embeddings
    ref_labels = labels if ref_labels is None else ref_labels
    similarity = embeddings @ ref_embeddings.T
    raw = 1.0 - similarity
    distance = np.maximum(raw, 0.0)
    positive = labels[:, None] == ref_labels[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels), len(ref_labels), dtype=bool)
    positive_weight = np.where(positive, np.maximum(margin + distance, 0.0), 0.0)
    negative_weight = np.where(negative, np.maximum(1.0 + margin - distance, 0.0), 0.0)
    a = -gamma * positive_weight * (margin - distance)
    b = gamma * negative_weight * (1.0 - margin - distance)
    positive_lse, positive_softmax = _masked_logsumexp(a, positive)
    negative_lse, negative_softmax = _masked_logsumexp(b, negative)
    logits = positive_lse + negative_lse
    values = (np.maximum(logits, 0.0) + np.log1p(np.exp(-np.abs(logits)))).astype(embeddings.dtype, copy=False)
    if not with_gradient:
        return values, None

    def gradient(upstream: np.ndarray) -> np.ndarray:
        # d softplus = sigmoid; a row with -inf (no positive or negative) passes nothing
        finite = np.isfinite(logits)
        slope = np.where(finite, 0.5 * (1.0 + np.tanh(0.5 * np.where(finite, logits, 0.0))), 0.0)
        row = (upstream * slope)[:, None]
        positive_active = positive & (margin + distance > 0)
        negative_active = negative & (1.0 + margin - distance > 0)
        d_a = -gamma * (np.where(positive_active, margin - distance, 0.0) - positive_weight)
        d_b = -gamma * (np.where(negative_active, 1.0 - margin - distance, 0.0) + negative_weight)
        d_distance = row * (positive_softmax * d_a + negative_softmax * d_b)
        d_similarity = -np.where(raw > 0, d_distance, 0.0)
        grad = d_similarity @ ref_embeddings
        if same_reference:
            grad = grad + d_similarity.T @ embeddings
        return grad.astype(embeddings.dtype, copy=False)

    return values, gradient


class Circle(Loss):
    """Circle loss between integer labels `(batch,)` and embeddings `(batch, dim)`.

    The embeddings should be L2-normalized (a `UnitNormalization` layer after an
    output without activation). Samples with no positive or no negative in the
    batch have value 0 and, as in Keras, are masked out of the average.

    Args:
        gamma: the scale of the similarity scores (default 80.0).
        margin: the relaxation margin (default 0.4).
        remove_diagonal: whether a sample is left out of its own positives
            (default True).
    """

    default_name = "circle"

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "circle",
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.gamma = float(gamma)
        self.margin = float(margin)
        self.remove_diagonal = bool(remove_diagonal)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndGradient:
        labels = circle_labels(y_true, y_pred)
        return circle_with_gradient(
            labels,
            y_pred,
            remove_diagonal=self.remove_diagonal,
            gamma=self.gamma,
            margin=self.margin,
            with_gradient=with_gradient,
        )

    def value_mask(self, y_true: np.ndarray, y_pred: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Keras's mask: the samples whose value is positive."""
        return values > 0

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "gamma": self.gamma,
            "margin": self.margin,
            "remove_diagonal": self.remove_diagonal,
        }


def circle_labels(y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
    """Integer labels `(batch,)` (or `(batch, 1)`) for embeddings `(batch, dim)`, checked."""
    labels = np.asarray(y_true)
    if y_pred.ndim != 2:
        raise ValueError(f"Circle loss expects embeddings of shape (batch, dim). Received: y_pred.shape={y_pred.shape}")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.shape != y_pred.shape[:1]:
        raise ValueError(
            f"Circle loss expects one integer label per embedding: y_true of shape ({y_pred.shape[0]},). "
            f"Received: y_true.shape={np.shape(y_true)}"
        )
    return labels.astype(np.int64)
