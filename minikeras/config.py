"""Global numeric settings: the default float type and the fuzz factor.

These mirror `keras.config.floatx()` / `set_floatx()` and `epsilon()` / `set_epsilon()`.
"""

from __future__ import annotations

import numpy as np

_FLOAT_TYPES = ("float16", "float32", "float64")
_settings = {"floatx": "float32", "epsilon": 1e-7}


def floatx() -> str:
    """Return the default float type as a string, e.g. `"float32"`."""
    return _settings["floatx"]


def set_floatx(value: str) -> None:
    """Set the default float type used by layers created afterwards.

    Args:
        value: one of `"float16"`, `"float32"`, `"float64"`.
    """
    value = standardize_dtype(value)
    _settings["floatx"] = value


def epsilon() -> float:
    """Return the fuzz factor used to keep logarithms and divisions finite (1e-7)."""
    return _settings["epsilon"]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by `epsilon()`."""
    _settings["epsilon"] = float(value)


def standardize_dtype(dtype) -> str:
    """Return the float dtype name for `dtype`, or `floatx()` when it is None.

    Raises:
        ValueError: when `dtype` is not a float type minikeras computes in.
    """
    if dtype is None:
        return floatx()
    if isinstance(dtype, dict):  # Keras 3 writes dtype policies as {"config": {"name": ...}}
        dtype = dtype.get("config", {}).get("name", dtype)
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_TYPES:
        raise ValueError(f"dtype must be one of {_FLOAT_TYPES}. Received: dtype={dtype!r}")
    return name
