"""Turning what a user passes to fit/evaluate/predict into checked arrays and batches."""

from __future__ import annotations

import math

import numpy as np


def as_input_array(x, what: str = "x") -> np.ndarray:
    """Return `x` as a numeric array without copying it (casting happens batch by batch).

    Raises:
        TypeError: when `x` is not numeric.
    """
    if x is None:
        raise ValueError(f"{what} is required. Received: {what}=None")
    array = x if isinstance(x, np.ndarray) else np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric. Received an array of dtype {array.dtype}.")
    if array.ndim == 0:
        raise ValueError(f"{what} must have a batch axis. Received a scalar.")
    return array


def check_finite(array: np.ndarray, what: str, chunk_values: int = 1 << 22) -> None:
    """Raise if `array` holds NaN or infinity; scans in chunks so memory stays bounded.

    A sum is finite only if every term is, so the row sums of a chunk clear it in one read
    without a boolean copy (a matrix-vector product with a ones vector: BLAS, both cores);
    only a chunk with a sum that is not finite (a NaN, an infinity, or an overflow of large
    but finite values) is scanned value by value. This keeps the check a small part of `fit`.
    """
    if array.dtype.kind != "f" or array.size == 0:
        return
    rows = max(1, chunk_values // max(1, array[0].size))
    ones = np.ones(array[0].size, dtype=array.dtype)
    blas = array.dtype in (np.float32, np.float64)
    for start in range(0, len(array), rows):
        chunk = array[start : start + rows]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow here is not the user's concern
            sums = chunk.reshape(len(chunk), -1) @ ones if blas else np.add.reduce(chunk, axis=None)
            if np.isfinite(sums).all():
                continue
        if not np.isfinite(chunk).all():
            bad = start + int(np.flatnonzero(~np.isfinite(chunk).reshape(len(chunk), -1).all(axis=1))[0])
            raise ValueError(
                f"{what} contains NaN or infinity (first at sample {bad}). Clean the data before training."
            )


def as_target_array(y, what: str = "y") -> np.ndarray:
    """Return labels/targets as a numeric array (integers stay integers)."""
    array = np.asarray(y)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric. Received an array of dtype {array.dtype}.")
    if array.ndim == 0:
        raise ValueError(f"{what} must have a batch axis. Received a scalar.")
    return array


def check_same_length(**arrays) -> int:
    """Return the common number of samples, or raise naming the arrays that differ."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(
            "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
            f"Received: {described}."
        )
    return next(iter(lengths.values()))


def class_weights_to_sample_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights from `{class_index: weight}`, as Keras computes them.

    The class of a sample is its label for integer labels or a single column
    (rounded), and the argmax for one-hot rows.
    """
    if y.ndim >= 2 and y.shape[-1] > 1:
        classes = np.argmax(y, axis=-1)
    else:
        classes = np.round(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    missing = sorted(set(np.unique(classes).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(
            f"class_weight has no entry for classes {missing} present in y. Received: class_weight={class_weight}"
        )
    table = np.zeros(int(max(class_weight)) + 1, dtype=np.float64)
    for key, weight in class_weight.items():
        table[int(key)] = weight
    return table[classes]


def split_validation(arrays: tuple, validation_split: float) -> tuple[tuple, tuple]:
    """Split off the last `validation_split` fraction of every array (before any shuffling).

    Returns:
        (training arrays, validation arrays), None entries passed through.
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1). Received: validation_split={validation_split}")
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a validation and "
            f"training set as specified by validation_split={validation_split}."
        )
    train = tuple(None if a is None else a[:split_at] for a in arrays)
    val = tuple(None if a is None else a[split_at:] for a in arrays)
    return train, val


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Slices covering `range(n)` in order, the last one possibly shorter."""
    return [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def check_batch_size(batch_size) -> int:
    """Return a positive integer batch size (default 32)."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


def resolve_verbose(verbose) -> int:
    """Keras's verbose: "auto" means 1; otherwise 0, 1 or 2."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


def unpack_validation_data(validation_data) -> tuple:
    """Accept `(x, y)` or `(x, y, sample_weight)`; return a 3-tuple."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight). "
            f"Received: {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
        )
    x_val, y_val, *rest = validation_data
    return x_val, y_val, rest[0] if rest else None
