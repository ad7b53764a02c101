"""Keras-style automatic names: `dense`, `dense_1`, `dense_2`, ..."""

from __future__ import annotations

import re
import threading

_counts: dict[str, int] = {}
_lock = threading.Lock()


def to_snake_case(name: str) -> str:
    """Convert a class name to Keras's snake case (`MaxPooling2D` -> `max_pooling2d`)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """Return `base` the first time it is asked for, then `base_1`, `base_2`, ..."""
    with _lock:
        count = _counts.get(base, 0)
        _counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session() -> None:
    """Reset the automatic name counters, as `keras.backend.clear_session()` does."""
    with _lock:
        _counts.clear()
