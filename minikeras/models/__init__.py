"""Models: `Sequential`, its training loop, `load_model` and `clone_model`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from minikeras.models.sequential import Sequential

if TYPE_CHECKING:
    import os

    from minikeras.layers.base import Layer


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Sequential:
    """Load a model saved with `model.save`; see `minikeras.saving.load_model`."""
    from minikeras.saving import load_model as _load_model

    return _load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(
    model: Sequential, filepath: str | os.PathLike[str], overwrite: bool = True, include_optimizer: bool = True
) -> None:
    """Save `model` to `.keras` or `.h5` (Keras's `keras.models.save_model`); see `minikeras.saving.save_model`."""
    from minikeras.saving import save_model as _save_model

    _save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Sequential:
    """Rebuild a model from `model.to_json()` output (minikeras's or Keras's).

    See `minikeras.saving.serialization_lib.model_from_json`.
    """
    from minikeras.saving.serialization_lib import model_from_json as _model_from_json

    return _model_from_json(json_string, custom_objects=custom_objects)


def clone_model(model: Sequential, clone_function: Callable[[Layer], Layer] | None = None) -> Sequential:
    """Return a new model with the same architecture and freshly initialized weights.

    Args:
        model: a Sequential model.
        clone_function: called on each layer to make its copy; by default
            `type(layer).from_config(layer.get_config())`. A nested Sequential
            model is cloned the same way, layer by layer.
    """
    if clone_function is None:

        def clone_function(layer: Layer) -> Layer:
            return type(layer).from_config(layer.get_config())

    clone = Sequential(name=model.name, trainable=model.trainable)
    if model._input_layer is not None:
        clone.add(clone_function(model._input_layer))
    for layer in model.layers:
        clone.add(clone_model(layer, clone_function) if isinstance(layer, Sequential) else clone_function(layer))
    return clone


__all__ = ["Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
