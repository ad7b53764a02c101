"""The one random generator minikeras draws from, and `set_random_seed`."""

from __future__ import annotations

import random as _python_random

import numpy as np

_state = {"rng": np.random.default_rng()}


def set_random_seed(seed: int) -> None:
    """Make every later random draw of minikeras repeatable.

    Seeds minikeras's generator (weight initialization, shuffling, validation
    splits, dropout) and, as Keras does, Python's `random` and NumPy's legacy
    global generator, so a script that also uses those repeats bitwise.

    Args:
        seed: a non-negative integer.

    Example:
        >>> minikeras.utils.set_random_seed(42)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    _python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _state["rng"] = np.random.default_rng(int(seed))


def global_rng() -> np.random.Generator:
    """Return minikeras's shared generator (reseeded by `set_random_seed`)."""
    return _state["rng"]


def make_rng(seed: int | None) -> np.random.Generator:
    """Return a fresh generator for `seed`, or the shared one when `seed` is None."""
    if seed is None:
        return global_rng()
    return np.random.default_rng(seed)


def check_seed(seed: object, layer_name: str) -> int | None:
    """A layer's `seed` argument as an int (or None), or a ValueError naming the layer."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(
            f"seed of layer '{layer_name}' must be a non-negative integer or None. Received: seed={seed!r}"
        )
    return None if seed is None else int(seed)
