"""Optimizers: each updates (param, grad) pairs in place and keeps per-parameter slots."""

from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.rmsprop import RMSprop
from minikeras.optimizers.sgd import SGD
from minikeras.saving import registry

ALL_OPTIMIZERS: dict[str, type] = {"sgd": SGD, "rmsprop": RMSprop, "SGD": SGD, "RMSprop": RMSprop}


def get(identifier) -> Optimizer:
    """Return an optimizer for a name (`"sgd"`), a config dict or an Optimizer instance."""
    return registry.resolve(identifier, ALL_OPTIMIZERS, "optimizer", Optimizer)


def serialize(optimizer: Optimizer) -> dict:
    """Return Keras's config form of `optimizer`."""
    return registry.serialize(optimizer, "keras.optimizers")


__all__ = ["Optimizer", "RMSprop", "SGD", "get", "serialize"]
