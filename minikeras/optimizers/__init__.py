"""Optimizers: each updates (param, grad) pairs in place and keeps per-parameter slots."""

from typing import overload

from minikeras.optimizers import schedules
from minikeras.optimizers.adadelta import Adadelta
from minikeras.optimizers.adagrad import Adagrad
from minikeras.optimizers.adam import Adam, AdamW
from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.nadam import Nadam
from minikeras.optimizers.rmsprop import RMSprop
from minikeras.optimizers.sgd import SGD
from minikeras.saving import registry

ALL_OPTIMIZERS: dict[str, type] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "nadam": Nadam,
}
ALL_OPTIMIZERS.update({cls.__name__: cls for cls in list(ALL_OPTIMIZERS.values())})


@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: Optimizer | str | dict) -> Optimizer: ...
def get(identifier: Optimizer | str | dict | None) -> Optimizer | None:
    """Return an optimizer for a name (`"adam"`), a config dict or an Optimizer instance; None for None, as Keras."""
    if identifier is None:
        return None
    return registry.resolve(identifier, ALL_OPTIMIZERS, "optimizer", Optimizer)


def serialize(optimizer: Optimizer) -> dict:
    """Return Keras's config form of `optimizer`."""
    return registry.serialize(optimizer, "keras.optimizers")


__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "SGD",
    "get",
    "schedules",
    "serialize",
]
