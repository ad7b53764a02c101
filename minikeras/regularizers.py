"""Weight and activity penalties that enter the loss, as Keras's regularizers do.

A regularizer is called on an array and returns a scalar penalty; `gradient(x)`
returns its derivative with respect to `x`. Keras's formulas: `L1`: `l1 * sum(|x|)`,
`L2`: `l2 * sum(x^2)` (no 1/2), `L1L2`: both. Weight penalties are added to the
loss every step; an activity penalty (on a layer's output) is divided by the batch
size first, as Keras 3 does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from minikeras.saving import registry

if TYPE_CHECKING:
    from typing_extensions import Self

# What `get` accepts: a regularizer object, a name ("l2"), a config dict, or None for none.
RegularizerLike: TypeAlias = "Regularizer | str | dict | None"


class Regularizer:
    """Base class: `__call__(x) -> float` and `gradient(x) -> array`."""

    def __call__(self, x: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Self:
        return cls(**config)


def _non_negative(name, value):
    if not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name} must be a non-negative number. Received: {name}={value!r}")
    return float(value)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x^2)`.

    Args:
        l1: L1 factor (default 0.0).
        l2: L2 factor (default 0.0).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _non_negative("l1", l1)
        self.l2 = _non_negative("l2", l2)

    def __call__(self, x: np.ndarray) -> float:
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.sum(np.abs(x)))
        if self.l2:
            penalty += self.l2 * float(np.sum(np.square(x)))
        return penalty

    def gradient(self, x: np.ndarray) -> np.ndarray:
        grad = np.zeros_like(x)
        if self.l1:
            grad += self.l1 * np.sign(x)
        if self.l2:
            grad += (2 * self.l2) * x
        return grad

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|x|)` (default l1=0.01)."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(x^2)` (default l2=0.01)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


ALL_REGULARIZERS: dict[str, type[Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}

# Defined in its own module, which subclasses Regularizer above (hence imported here, not at the top).
from minikeras.orthogonal_regularizer import OrthogonalRegularizer  # noqa: E402

ALL_REGULARIZERS.update(OrthogonalRegularizer=OrthogonalRegularizer, orthogonal_regularizer=OrthogonalRegularizer)


def get(identifier: RegularizerLike) -> Regularizer | None:
    """Return a regularizer for None, a name ("l2"), a config dict or a Regularizer."""
    if identifier is None:
        return None
    return registry.resolve(identifier, ALL_REGULARIZERS, "regularizer", Regularizer)


def serialize(regularizer: Regularizer | None) -> dict | None:
    """Return Keras's config form of `regularizer` (None stays None)."""
    return None if regularizer is None else registry.serialize(regularizer, "keras.regularizers")


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Regularizer:
    """Return the regularizer a config dict (as `serialize` or Keras writes it) or a name stands for."""
    return registry.resolve(config, ALL_REGULARIZERS, "regularizer", Regularizer, custom_objects)


# Keras's snake-case spellings of the classes.
l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer
