"""`pad_sequences` and `normalize`: Keras's array helpers for variable-length data and row scaling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: DTypeLike = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: float = 0.0,
) -> np.ndarray:
    """Pad (or cut) sequences of different lengths to one length, as one array.

    Args:
        sequences: a list of sequences; each item may itself be an array (its shape
            after the first axis must be the same for all).
        maxlen: the length of the result; the longest sequence's by default.
        dtype: dtype of the result (default "int32"; use a float type for float data).
        padding: "pre" or "post": pad before or after each sequence.
        truncating: "pre" or "post": drop values from the start or the end of longer sequences.
        value: the padding value.

    Returns:
        Array of shape `(len(sequences), maxlen, *item_shape)`.

    Example:
        >>> pad_sequences([[1, 2, 3], [4, 5]], maxlen=3)
        array([[1, 2, 3],
               [0, 4, 5]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood. Expected "pre" or "post".')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood. Expected "pre" or "post".')
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be iterable and have a length. Received: {type(sequences).__name__}")
    arrays = [np.asarray(sequence) for sequence in sequences]
    lengths = [len(a) for a in arrays]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    item_shape = next((a.shape[1:] for a in arrays if len(a)), ())
    result = np.full((len(arrays), maxlen, *item_shape), value, dtype=dtype)
    for row, array in enumerate(arrays):  # one slice assignment per sequence, not per value
        if not len(array) or maxlen == 0:
            continue
        kept = array[-maxlen:] if truncating == "pre" else array[:maxlen]
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {row} is different from expected shape "
                f"{item_shape}"
            )
        if padding == "post":
            result[row, : len(kept)] = kept
        else:
            result[row, maxlen - len(kept) :] = kept
    return result


def normalize(x: ArrayLike, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale `x` to unit norm along `axis` (rows of zeros stay zero).

    Args:
        x: array to normalize.
        axis: the axis along which the norm is taken.
        order: the norm's order (2 for Euclidean, 1 for the sum of absolute values).

    Returns:
        `x / ||x||` along `axis`, same shape as `x`.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
