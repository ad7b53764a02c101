"""Models: `Sequential`, its training loop, `load_model` and `clone_model`."""

from minikeras.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with `model.save`; see `minikeras.saving.load_model`."""
    from minikeras.saving import load_model as _load_model

    return _load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def clone_model(model, clone_function=None):
    """Return a new model with the same architecture and freshly initialized weights.

    Args:
        model: a Sequential model.
        clone_function: called on each layer to make its copy; by default
            `type(layer).from_config(layer.get_config())`.
    """
    if clone_function is None:
        def clone_function(layer):
            return type(layer).from_config(layer.get_config())

    clone = Sequential(name=model.name, trainable=model.trainable)
    if model._input_layer is not None:
        clone.add(clone_function(model._input_layer))
    for layer in model.layers:
        clone.add(clone_function(layer))
    return clone


__all__ = ["Sequential", "clone_model", "load_model"]
