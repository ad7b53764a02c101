"""`OrthogonalRegularizer`: a penalty on the overlap between the rows (or columns) of a weight matrix.

Published as `minikeras.regularizers.OrthogonalRegularizer` (and `orthogonal_regularizer`), as in Keras.
"""

from __future__ import annotations

import math

import numpy as np

from minikeras import config
from minikeras.regularizers import Regularizer

_MODES = ("rows", "columns")


class OrthogonalRegularizer(Regularizer):
    """Encourages the rows (`mode="rows"`) or the columns (`mode="columns"`) of a matrix to be orthogonal.

    The vectors are L2-normalized, and the penalty is `factor` times the mean of the absolute
    dot products over all pairs of distinct vectors:

        factor * sum_{i != j} |<v_i, v_j>| / (k * (k - 1))    for k vectors v.

    For a `Dense` kernel of shape `(input_dim, units)`, rows mode pushes the feature vectors
    (the basis of the output space) apart. As in Keras, a vector is scaled by
    `min(1 / norm, 1 / epsilon)`, so a vector shorter than `epsilon` is scaled by `1 / epsilon`
    instead of being normalized; and a matrix with a single vector has no pairs, so its penalty
    is nan.

    Args:
        factor: the penalty factor, a non-negative float (default 0.01). It is kept in float32,
            as Keras keeps it, so `get_config()["factor"]` is the float32 value (0.01 reads
            0.009999999776482582).
        mode: `"rows"` (default) or `"columns"`.

    Example:
        >>> regularizer = OrthogonalRegularizer(factor=0.01)
        >>> layer = minikeras.layers.Dense(4, kernel_regularizer=regularizer)
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) or factor < 0:
            raise ValueError(
                f"Invalid value for argument factor: expected a non-negative float. Received: factor={factor!r}"
            )
        if mode not in _MODES:
            raise ValueError(
                f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. Received: mode={mode!r}'
            )
        self.factor = float(np.float32(factor))
        self.mode = mode

    def __call__(self, x: np.ndarray) -> float:
        vectors = self._vectors(x)
        products, _, _, _ = self._products(vectors)
        count = vectors.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):  # one vector: no pairs, nan as in Keras
            return float(self.factor * np.sum(np.abs(products)) / (count * (count - 1.0)))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """d penalty / d x, of `x`'s shape.

        Where a dot product is exactly 0 the penalty has a kink; its gradient is taken as 0 there
        (np.sign), as with Keras's TensorFlow and torch backends (jax takes 1).
        """
        vectors = self._vectors(x)
        products, normalized, scale, was_normalized = self._products(vectors)
        count = vectors.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            upstream = (self.factor / (count * (count - 1.0))) * np.sign(products)  # symmetric, 0 diagonal
        grad_normalized = 2.0 * (upstream @ normalized)
        # A vector that was normalized (scale = 1/norm) loses the part of its gradient along itself;
        # one scaled by the constant 1/epsilon keeps all of it.
        along = np.sum(normalized * grad_normalized, axis=1, keepdims=True) * was_normalized
        grad = scale * (grad_normalized - normalized * along)
        return (grad if self.mode == "rows" else grad.T).astype(x.dtype, copy=False)

    def _vectors(self, x: np.ndarray) -> np.ndarray:
        """The vectors that are made orthogonal, one per row."""
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}")
        if x.dtype.kind != "f":
            x = x.astype(config.floatx())
        return x if self.mode == "rows" else x.T

    def _products(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The dot products of the scaled vectors (diagonal zeroed), the scaled vectors, their scales
        (column of `min(1/norm, 1/epsilon)`), and which vectors were normalized (scale 1/norm)."""
        squares = np.sum(np.square(vectors), axis=1, keepdims=True)
        with np.errstate(divide="ignore"):
            inverse_norm = 1.0 / np.sqrt(squares)  # inf for a zero vector
        limit = np.asarray(1.0 / config.epsilon(), dtype=vectors.dtype)
        was_normalized = inverse_norm < limit
        scale = np.where(was_normalized, inverse_norm, limit)
        normalized = vectors * scale
        products = normalized @ normalized.T
        np.fill_diagonal(products, 0.0)
        return products, normalized, scale, was_normalized

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}
