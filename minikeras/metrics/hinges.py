"""Hinge metrics: running means of the hinge, squared hinge and categorical hinge losses."""

from __future__ import annotations

from minikeras import losses
from minikeras.metrics.base import _wrapper_class

Hinge = _wrapper_class("Hinge", losses.hinge, "hinge", "down", "Mean hinge loss over the epoch.", module=__name__)
SquaredHinge = _wrapper_class(
    "SquaredHinge",
    losses.squared_hinge,
    "squared_hinge",
    "down",
    "Mean squared hinge loss over the epoch.",
    module=__name__,
)
CategoricalHinge = _wrapper_class(
    "CategoricalHinge",
    losses.categorical_hinge,
    "categorical_hinge",
    "down",
    "Mean categorical hinge loss over the epoch.",
    module=__name__,
)
