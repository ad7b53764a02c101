"""Optimizers: each updates (param, grad) pairs in place and keeps per-parameter slots."""

from typing import Any, overload

from minikeras.optimizers import schedules
from minikeras.optimizers.adadelta import Adadelta
from minikeras.optimizers.adafactor import Adafactor
from minikeras.optimizers.adagrad import Adagrad
from minikeras.optimizers.adam import Adam, AdamW
from minikeras.optimizers.adamax import Adamax
from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.ftrl import Ftrl
from minikeras.optimizers.lamb import Lamb
from minikeras.optimizers.lion import Lion
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
    "adamax": Adamax,
    "ftrl": Ftrl,
    "lion": Lion,
    "lamb": Lamb,  # Keras's `get` does not know "lamb"; its files name the class, which it finds
    "adafactor": Adafactor,
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


def deserialize(config: dict | str, custom_objects: dict[str, Any] | None = None) -> Optimizer:
    """Return the optimizer a config (as `serialize` gives) or a name stands for.

    Args:
        config: `{"class_name": ..., "config": {...}}` (class names are matched case-insensitively, as Keras)
            or a name.
        custom_objects: extra names to accept (classes of custom optimizers).

    Raises:
        ValueError: an unknown name.
    """
    return registry.resolve(config, ALL_OPTIMIZERS, "optimizer", Optimizer, custom_objects=custom_objects)


__all__ = [
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "SGD",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
