"""Saving and loading models; the registry of names for custom objects.

The file code (h5py, zipfile, json) is imported only when a file is actually read or
written, so `import minikeras` stays light for a script that only predicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minikeras.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
)

if TYPE_CHECKING:
    import os

    from minikeras.models import Sequential
    from minikeras.saving.h5_reading import ModelFileError


def save_model(
    model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True, include_optimizer: bool = True
) -> None:
    """Save the whole model to `.keras` or `.h5`; see `minikeras.saving.saving_api.save_model`."""
    from minikeras.saving import saving_api

    saving_api.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Sequential:
    """Load a model from `.keras` or `.h5`; see `minikeras.saving.saving_api.load_model`."""
    from minikeras.saving import saving_api

    return saving_api.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Save weights and optimizer state to `.weights.h5`; see `minikeras.saving.saving_api.save_weights`."""
    from minikeras.saving import saving_api

    saving_api.save_weights(model, filepath, overwrite=overwrite)


def load_weights(model: Sequential, filepath: str | os.PathLike[str], skip_mismatch: bool = False) -> None:
    """Load weights into `model`; see `minikeras.saving.saving_api.load_weights`."""
    from minikeras.saving import saving_api

    saving_api.load_weights(model, filepath, skip_mismatch=skip_mismatch)


def serialize_keras_object(obj: Any) -> Any:
    """Return the config Keras 3 writes for `obj`; see `minikeras.saving.serialization_lib.serialize_keras_object`."""
    from minikeras.saving import serialization_lib

    return serialization_lib.serialize_keras_object(obj)


def deserialize_keras_object(
    config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True, **kwargs: Any
) -> Any:
    """Return the object a config describes; see `minikeras.saving.serialization_lib.deserialize_keras_object`."""
    from minikeras.saving import serialization_lib

    return serialization_lib.deserialize_keras_object(
        config, custom_objects=custom_objects, safe_mode=safe_mode, **kwargs
    )


def __getattr__(name: str) -> Any:
    if name == "ModelFileError":  # the error class lives with the file readers
        from minikeras.saving.h5_reading import ModelFileError

        return ModelFileError
    raise AttributeError(f"module 'minikeras.saving' has no attribute {name!r}")


__all__ = [
    "CustomObjectScope",
    "ModelFileError",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
