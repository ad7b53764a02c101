"""Sample weights shaped to broadcast against per-sample values, the one rule losses and metrics share."""

from __future__ import annotations

import numpy as np


def broadcast_sample_weight(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Reshape `weights` so that `values * weights` weighs each sample (or value) as Keras does.

    A trailing axis of 1 is dropped when the weights have more axes than the
    values (`(batch, 1)` weights against `(batch,)` values); axes of 1 are then
    appended until the ranks match, so `(batch,)` weights weigh every value of
    their sample in `(batch, steps)` values. Weights of the values' own shape
    are returned as they are. Nothing is copied.

    Args:
        weights: array of weights, e.g. `(batch,)`, `(batch, 1)` or `values.shape`.
        values: the array the weights will multiply.

    Returns:
        A view of `weights` with `values.ndim` axes (more only where the weights
        had more to begin with), ready to broadcast against `values`.
    """
    if weights.ndim > values.ndim and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    while weights.ndim < values.ndim:
        weights = weights[..., None]
    return weights
