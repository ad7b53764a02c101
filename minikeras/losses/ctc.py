"""CTC (connectionist temporal classification) loss: the negative log-likelihood of a label sequence.

The likelihood sums over every alignment of the labels to the time steps
(Graves et al., 2006), by the forward (alpha) and backward (beta) recursions
in log space: one step per time step, each over the whole batch and every
position of the labels at once. Their product gives the gradient with respect
to the logits: `softmax(y_pred) - occupancy`, the occupancy of class `k` at
time `t` being the share of the likelihood that passes through `k` at `t`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minikeras import activations
from minikeras.losses.base import Loss, ValuesAndArrayGradient

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

BLANK = 0  # Keras's mask index: the blank, and the padding of the labels


def ctc_with_gradient(labels: np.ndarray, logits: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
    """Per-sequence CTC loss of integer `labels` `(batch, max_length)` under `logits` `(batch, steps, classes)`.

    As Keras does, class 0 is the blank, each label sequence is its first
    `count_nonzero(row)` entries (the rest is padding), and every sequence uses
    all the time steps. A label sequence that cannot fit in the time steps has
    an infinite loss and no gradient.
    """
    batch, steps, classes = logits.shape
    lengths = np.count_nonzero(labels != BLANK, axis=1)
    positions = 2 * labels.shape[1] + 1
    # the labels with a blank before, between and after them
    extended = np.full((batch, positions), BLANK, dtype=np.int64)
    extended[:, 1::2] = labels
    log_probs = activations.log_softmax(logits)
    emit = np.take_along_axis(log_probs, np.broadcast_to(extended[:, None, :], (batch, steps, positions)), axis=2)
    # a path may jump over a blank from one label to the next when they differ
    skip = np.zeros((batch, positions), dtype=bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    skip &= extended != BLANK
    ends = np.stack([2 * lengths, np.maximum(2 * lengths - 1, 0)], axis=1)  # the two positions a path may end at
    rows = np.arange(batch)[:, None]
    minus_inf = np.asarray(-np.inf, dtype=log_probs.dtype)

    alpha = np.full((steps, batch, positions), minus_inf)
    alpha[0, :, 0] = emit[:, 0, 0]
    alpha[0, :, 1] = np.where(lengths > 0, emit[:, 0, 1], minus_inf)
    for t in range(1, steps):
        alpha[t] = _combine(alpha[t - 1], skip, shift=1) + emit[:, t]
    last = alpha[-1]
    final = np.take_along_axis(last, ends, axis=1)
    log_likelihood = np.logaddexp(final[:, 0], np.where(lengths > 0, final[:, 1], minus_inf))
    values = -log_likelihood
    if not with_gradient:
        return values, None

    beta = np.full((steps, batch, positions), minus_inf)
    beta[-1][rows, ends] = np.take_along_axis(emit[:, -1], ends, axis=1)
    skip_from = np.zeros_like(skip)
    skip_from[:, :-2] = skip[:, 2:]  # from position s a path may jump to s + 2
    for t in range(steps - 2, -1, -1):
        beta[t] = _combine(beta[t + 1], skip_from, shift=-1) + emit[:, t]

    feasible = np.isfinite(log_likelihood)
    with np.errstate(invalid="ignore"):
        log_occupancy = alpha + beta - np.moveaxis(emit, 1, 0) - np.where(feasible, log_likelihood, 0.0)[:, None]
    occupancy_by_position = np.where(feasible[:, None], np.exp(log_occupancy), 0.0)  # (steps, batch, positions)
    one_hot = np.zeros((batch, positions, classes), dtype=log_probs.dtype)
    np.put_along_axis(one_hot, extended[..., None], 1.0, axis=2)
    occupancy = np.einsum("tbs,bsk->btk", occupancy_by_position, one_hot)
    probs = np.exp(log_probs)
    grad = probs * occupancy.sum(axis=2, keepdims=True) - occupancy
    return values, grad.astype(logits.dtype, copy=False)


def _combine(previous: np.ndarray, skip: np.ndarray, shift: int) -> np.ndarray:
    """log(prev[s] + prev[s - shift] + skip[s] * prev[s - 2 shift]), -inf where a neighbour is off the end."""
    out = previous.copy()
    if shift > 0:
        out[:, 1:] = np.logaddexp(out[:, 1:], previous[:, :-1])
        out[:, 2:] = np.where(skip[:, 2:], np.logaddexp(out[:, 2:], previous[:, :-2]), out[:, 2:])
    else:
        out[:, :-1] = np.logaddexp(out[:, :-1], previous[:, 1:])
        out[:, :-2] = np.where(skip[:, :-2], np.logaddexp(out[:, :-2], previous[:, 2:]), out[:, :-2])
    return out


class CTC(Loss):
    """CTC loss between integer label sequences and per-step logits.

    `y_true`: `(batch, max_length)` integer labels, 0 being the blank (and the
    padding after the labels). `y_pred`: `(batch, steps, classes)` logits, not
    softmax outputs. Each sequence's value is the negative log-likelihood of its
    labels over all alignments (see `ctc_with_gradient`).
    """

    default_name = "ctc"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = "ctc", dtype: DTypeLike | None = None
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, with_gradient: bool) -> ValuesAndArrayGradient:
        if y_true.ndim != 2:
            raise ValueError(
                "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in integer format. "
                f"Received: y_true.shape={y_true.shape}"
            )
        if y_pred.ndim != 3:
            raise ValueError(
                "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, num_classes)`. "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        if y_true.shape[0] != y_pred.shape[0]:
            raise ValueError(
                f"y_true and y_pred must have the same number of sequences. Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}"
            )
        if y_true.dtype.kind == "f" and np.any(y_true != np.round(y_true)):
            raise ValueError("CTC labels must be integers; y_true holds non-integer values.")
        labels = y_true.astype(np.int64)
        classes = y_pred.shape[2]
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(
                f"CTC labels must be in [0, {classes}) for y_pred with {classes} classes (0 is the blank). "
                f"Received y_true from {labels.min()} to {labels.max()}."
            )
        return ctc_with_gradient(labels, y_pred, with_gradient)

    def reduced_axes(self, ndim: int) -> tuple[int, ...]:
        """Each sequence's value comes from its steps and classes."""
        return (1, 2)
