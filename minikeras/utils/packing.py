"""Keras's helpers for the `(x, y, sample_weight)` tuples that data pipelines yield."""

from __future__ import annotations

from typing import Any


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Pack inputs, targets and weights into the form `fit` reads from a data source.

    Args:
        x: the model's inputs.
        y: the targets, or None.
        sample_weight: per-sample weights, or None (only with `y`).

    Returns:
        `x` alone when `y` is None (wrapped as `(x,)` if `x` is itself a tuple or list, so it
        is not mistaken for `(x, y)`), `(x, y)`, or `(x, y, sample_weight)`.
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Split a batch from a data source into `(x, y, sample_weight)`, None for what is absent.

    Args:
        data: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` (a list counts as a tuple).

    Returns:
        The three parts.

    Raises:
        ValueError: for a tuple of more than three parts.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: a tuple of {len(data)} parts: {data!r:.200}"
    )
