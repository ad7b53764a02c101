"""Global settings: the default float type, the fuzz factor, and the fast-path switch.

`floatx()` / `set_floatx()` and `epsilon()` / `set_epsilon()` mirror `keras.config`;
`set_fast_paths()` / `fast_paths()` choose between the fast paths of `minikeras.fast` and the
reference algorithms of `minikeras.layers` and `minikeras.optimizers`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

_FLOAT_TYPES = ("float16", "float32", "float64")
_settings: dict[str, Any] = {"floatx": "float32", "epsilon": 1e-7}


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


def standardize_dtype(dtype: DTypeLike | dict | None) -> str:
    """Return the float dtype name for `dtype`, or `floatx()` when it is None.

    Raises:
        ValueError: when `dtype` is not a float type minikeras computes in.
    """
    if dtype is None:
        return floatx()
    if isinstance(dtype, dict):  # Keras 3 writes dtype policies as {"config": {"name": ...}}
        # (mypy also sees numpy's dict form of a dtype here, which has no "config")
        dtype = dtype.get("config", {}).get("name", dtype)  # type: ignore[union-attr]
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_TYPES:
        raise ValueError(f"dtype must be one of {_FLOAT_TYPES}. Received: dtype={dtype!r}")
    return name


# --------------------------------------------------------------------------- fast paths
_fast_paths = {"enabled": True}


def fast_paths_enabled() -> bool:
    """Whether models run the fast paths of `minikeras.fast` (True by default).

    See `set_fast_paths`.
    """
    return _fast_paths["enabled"]


def set_fast_paths(enabled: bool) -> None:
    """Choose between the fast paths (the default) and the reference algorithms.

    With `enabled=False`, every model runs each layer's own `forward` and `backward` (the
    textbook algorithms in `minikeras.layers`), every optimizer updates weight by weight with
    its `update_step`, and `predict` runs each batch in one piece on the calling thread. The
    results agree with the fast paths to rounding; only the speed differs. The setting is
    process-wide and takes effect at the next batch.

    Args:
        enabled: True for the fast paths, False for the reference path.

    Example:
        >>> import minikeras
        >>> minikeras.config.set_fast_paths(False)  # follow one batch through Conv2D.backward
        >>> minikeras.config.set_fast_paths(True)
    """
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"set_fast_paths expects True or False. Received: enabled={enabled!r}")
    _fast_paths["enabled"] = bool(enabled)


@contextlib.contextmanager
def fast_paths(enabled: bool) -> Iterator[None]:
    """Within the block, use the fast paths or not (see `set_fast_paths`); the previous setting
    comes back when the block ends, also on an error.

    Example:
        >>> import minikeras
        >>> with minikeras.config.fast_paths(False):
        ...     pass  # model.fit(...) here runs the reference algorithms
    """
    previous = fast_paths_enabled()
    set_fast_paths(enabled)
    try:
        yield
    finally:
        _fast_paths["enabled"] = previous
