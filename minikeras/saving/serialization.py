"""Model and training configs: to the JSON Keras writes, and back to objects, safely.

Only classes in minikeras's tables, registered with `register_serializable`,
or passed in `custom_objects` are ever instantiated; nothing a file says is
imported or executed.
"""

from __future__ import annotations

from minikeras import layers as layers_module
from minikeras import losses as losses_module
from minikeras import metrics as metrics_module
from minikeras import optimizers as optimizers_module
from minikeras.saving import keras_compat, registry
from minikeras.saving.h5_reading import ModelFileError

# Keras layers whose config carries Python code (or a reference to a function) to run.
_CODE_CARRYING_LAYERS = ("Lambda", "TFOpLambda", "SlicingOpLambda")


def model_config(model) -> dict:
    """Return `{"class_name": "Sequential", "config": ...}` for `model`."""
    return {"class_name": type(model).__name__, "config": model.get_config()}


def model_from_config(config, custom_objects=None):
    """Rebuild an (uncompiled) Sequential model from a model config read from a file."""
    from minikeras.models.sequential import Sequential

    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ModelFileError("The model config must be a JSON object with 'class_name' and 'config'.")
    class_name = config.get("class_name")
    if class_name != "Sequential":
        raise ModelFileError(f"minikeras loads Sequential models; this file holds a model of class {class_name!r}.")
    body = _checked_sequential_config(config["config"], custom_objects)
    try:
        return Sequential.from_config(body, custom_objects=custom_objects)
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        raise ModelFileError(f"The model config cannot be rebuilt: {error}") from None


def _checked_sequential_config(body: dict, custom_objects=None, depth: int = 0) -> dict:
    """Check a Sequential config's layer entries (refusing code-carrying layers) and bring each
    to minikeras's form; a nested Sequential's entries are checked the same way."""
    if depth > 32:
        raise ModelFileError("The model config nests Sequential models more than 32 deep.")
    entries = body.get("layers")
    if not isinstance(entries, list):
        raise ModelFileError("The model config has no list of layers.")
    normalized = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            raise ModelFileError(f"Layer entry #{index} of the model config is not an object with a 'class_name'.")
        if entry["class_name"] in _CODE_CARRYING_LAYERS:
            raise ModelFileError(
                f"Layer entry #{index} is a {entry['class_name']} layer, which carries Python code. "
                "minikeras never runs code from a file: rewrite it as a custom layer class and pass it "
                "in custom_objects (or register it with minikeras.saving.register_serializable)."
            )
        if entry["class_name"] == "Sequential" and isinstance(entry.get("config"), dict):
            entry = {**entry, "config": _checked_sequential_config(entry["config"], custom_objects, depth + 1)}
        else:
            cls = registry.lookup(entry, layers_module.ALL_LAYERS, custom_objects)
            entry = keras_compat.normalize_layer_entry(entry, cls) if isinstance(cls, type) else entry
        normalized.append(entry)
    return {**body, "layers": normalized}


def training_config(model) -> dict | None:
    """Return Keras's training config (compile arguments plus the optimizer), or None if uncompiled."""
    if not model.compiled:
        return None
    return {
        "loss": _serialize_value(model.loss, "keras.losses"),
        "loss_weights": None if model._loss_weight == 1.0 else model._loss_weight,
        "metrics": [_serialize_value(m, "keras.metrics") for m in model._metric_specs] or None,
        "weighted_metrics": [_serialize_value(m, "keras.metrics") for m in model._weighted_metric_specs] or None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
        "optimizer_config": {
            "class_name": type(model.optimizer).__name__,
            "config": model.optimizer.get_config(),
        },
    }


def compile_config(model) -> dict | None:
    """Return the `compile_config` of a `.keras` file: compile arguments, the optimizer included."""
    training = training_config(model)
    if training is None:
        return None
    training.pop("optimizer_config")
    return {"optimizer": registry.serialize(model.optimizer, "keras.optimizers"), **training}


def compile_from_config(model, config: dict, custom_objects=None) -> None:
    """Compile `model` from a `.keras` compile_config.

    An optimizer minikeras lacks leaves the model uncompiled, with a warning.
    """
    training = {key: value for key, value in config.items() if key != "optimizer"}
    training["optimizer_config"] = config.get("optimizer") or "rmsprop"
    compile_or_warn(model, training, custom_objects)


def compile_or_warn(model, training: dict, custom_objects=None) -> None:
    """Compile `model` from a training config.

    A file written by Keras may use an optimizer, loss or metric minikeras does not
    have; the model itself is still usable, so it is returned uncompiled with a warning
    (as Keras does when a training config cannot be restored).
    """
    import warnings

    try:
        arguments = compile_args(training, custom_objects)
    except ModelFileError as error:
        warnings.warn(
            f"The model was loaded without its compile settings: {error} Compile it before training.", stacklevel=3
        )
        return
    model.compile(**arguments)


def _serialize_value(value, module: str):
    if isinstance(value, str) or value is None:
        return value
    if hasattr(value, "get_config"):
        return registry.serialize(value, module)
    raise ValueError(f"Cannot save {value!r} in a training config: give it by name or as an object with get_config().")


def compile_args(config, custom_objects=None) -> dict:
    """Turn a training config read from a file into `model.compile` keyword arguments."""
    if not isinstance(config, dict):
        raise ModelFileError("The training config must be a JSON object.")
    if "optimizer_config" not in config:
        raise ModelFileError("The training config has no optimizer_config.")
    try:
        optimizer_entry = keras_compat.optimizer_entry(config["optimizer_config"])
        optimizer_class = registry.lookup(optimizer_entry, optimizers_module.ALL_OPTIMIZERS, custom_objects)
        if isinstance(optimizer_class, type) and isinstance(optimizer_entry, dict):
            optimizer_entry = keras_compat.normalize_optimizer_config(optimizer_entry, optimizer_class)
        optimizer = registry.resolve(
            optimizer_entry, optimizers_module.ALL_OPTIMIZERS, "optimizer", optimizers_module.Optimizer, custom_objects
        )
        loss = _deserialize(config.get("loss"), losses_module.ALL_LOSSES, "loss", losses_module.Loss, custom_objects)
        metrics = [_deserialize_metric(m, custom_objects) for m in keras_compat.metric_entries(config.get("metrics"))]
        weighted = [
            _deserialize_metric(m, custom_objects) for m in keras_compat.metric_entries(config.get("weighted_metrics"))
        ]
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise ModelFileError(f"The training config cannot be rebuilt: {error}") from None
    loss_weights = config.get("loss_weights")
    if isinstance(loss_weights, list) and len(loss_weights) == 1:
        loss_weights = loss_weights[0]
    if loss_weights is not None and not isinstance(loss_weights, (int, float)):
        raise ModelFileError(f"loss_weights in the training config must be a number. Received: {loss_weights!r}")
    return {
        "optimizer": optimizer,
        "loss": loss,
        "metrics": metrics,
        "weighted_metrics": weighted,
        "loss_weights": loss_weights,
    }


def _deserialize_metric(entry, custom_objects):
    if isinstance(entry, dict) and "function" in entry:  # a tf.keras 2 function metric
        metric = metrics_module.get(entry["function"])
        metric.name = entry.get("name") or entry["function"]
        return metric
    return _deserialize(entry, metrics_module.ALL_METRICS, "metric", metrics_module.Metric, custom_objects)


def _deserialize(value, table, kind, base_type, custom_objects):
    """Names stay names (compile resolves them, "accuracy" included); dicts become objects."""
    if isinstance(value, str) and custom_objects and value in custom_objects:
        return registry.resolve(value, table, kind, base_type, custom_objects)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return registry.resolve(value, table, kind, base_type, custom_objects)
    raise ModelFileError(f"Cannot read a {kind} from {value!r}.")
