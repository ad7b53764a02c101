"""Configs exactly as Keras 3 writes them: the writing-side mirror of `keras_compat`.

minikeras's `get_config()` leaves out the options it does not implement (constraints,
quantization, `input_axes` of the variance-scaling initializers...) and keeps a layer's
dtype as a string. Keras 3 writes those options at their neutral values, a layer's dtype as
a `DTypePolicy` entry, and the values it keeps in float32 variables (an optimizer's
learning rate, `L1`'s factor) rounded to float32. `keras_entry` and `keras_layer_config`
put a minikeras config into that form, so that `serialize_keras_object` gives the dict
Keras gives for the same object; `keras_compat` drops the same neutral options on reading.

Every step only adds a missing key or rewrites a value into the form Keras uses, so applying
it twice changes nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Options Keras 3.15 writes in these layers' configs that minikeras's configs leave out, at the
# value at which they change nothing.
KERAS_LAYER_OPTIONS: dict[str, dict[str, Any]] = {
    "Layer": {"activity_regularizer": None, "autocast": True},
    "InputLayer": {"ragged": False, "optional": False},
    "Dense": {"kernel_constraint": None, "bias_constraint": None, "quantization_config": None},
    "Conv2D": {"activity_regularizer": None, "groups": 1, "kernel_constraint": None, "bias_constraint": None},
}
# Keras layers with no `build` of their own: Keras writes no `build_config` for them, built or not.
KERAS_LAYERS_WITHOUT_BUILD_CONFIG = frozenset(
    {
        "InputLayer",
        "Activation",
        "ActivityRegularization",
        "Identity",
        "AveragePooling2D",
        "Dropout",
        "ELU",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "LeakyReLU",
        "MaxPooling2D",
        "ReLU",
        "Reshape",
        "Softmax",
        "UnitNormalization",
        "GaussianNoise",
        "GaussianDropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
    }
)
# Keras layers whose config keeps the dtype as a plain name rather than a DTypePolicy entry.
KERAS_LAYERS_WITH_DTYPE_NAME = frozenset({"InputLayer", "SpatialDropout1D", "SpatialDropout2D"})
_VARIANCE_SCALING_OPTIONS = {"input_axes": None, "output_axes": None}
KERAS_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "keras.initializers": {
        name: _VARIANCE_SCALING_OPTIONS
        for name in (
            "VarianceScaling",
            "GlorotUniform",
            "GlorotNormal",
            "HeUniform",
            "HeNormal",
            "LecunUniform",
            "LecunNormal",
        )
    },
    "keras.losses": {"SparseCategoricalCrossentropy": {"ignore_class": None}},
}
# Config values Keras holds in float32 variables, so that its configs give them rounded to float32.
FLOAT32_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "keras.optimizers": {"*": ("learning_rate",)},
    "keras.regularizers": {"L1": ("l1",)},
}


def dtype_policy(name: str) -> dict:
    """Keras 3's entry for a layer's dtype policy named `name` ("float32", "mixed_float16"...)."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def keras_layer_config(builtin_class: str | None, config: dict) -> dict:
    """Return a layer's config as Keras writes it.

    Args:
        builtin_class: the name of the nearest built-in `keras.layers` class the layer's class is
            (or derives from), whose `get_config` Keras runs and whose missing options are added;
            None for a layer that derives from `Layer` alone.
        config: its `get_config()` output (not changed).
    """
    config = dict(config)
    # Keras 3 never writes a layer's `input_shape`: the model's InputLayer entry carries it.
    config.pop("batch_input_shape", None)
    if builtin_class not in KERAS_LAYERS_WITH_DTYPE_NAME and isinstance(config.get("dtype"), str):
        config["dtype"] = dtype_policy(config["dtype"])
    for key, value in KERAS_LAYER_OPTIONS.get(builtin_class or "", {}).items():
        config.setdefault(key, value)
    return config


def keras_entry(entry: dict) -> dict:
    """Return a `{"module", "class_name", "config", ...}` entry of a Keras module in Keras's form.

    Entries of other modules (custom objects) are returned unchanged; nested entries (an
    optimizer's learning-rate schedule, a layer's initializers) are handled by `keras_nested`.
    """
    module, class_name, config = entry.get("module"), entry.get("class_name"), entry.get("config")
    if not isinstance(module, str) or not isinstance(class_name, str) or not isinstance(config, dict):
        return entry
    options = KERAS_OPTIONS.get(module, {}).get(class_name, {})
    rounded = FLOAT32_VALUES.get(module, {})
    keys = rounded.get(class_name, ()) + rounded.get("*", ())
    if not options and not keys:
        return entry
    config = {**config}
    for key, value in options.items():
        config.setdefault(key, value)
    for key in keys:
        if isinstance(config.get(key), float):
            config[key] = float(np.float32(config[key]))
    return {**entry, "config": config}


def keras_nested(value: Any) -> Any:
    """Apply `keras_entry` to every entry inside `value` (dicts, lists and tuples, at any depth)."""
    if isinstance(value, dict):
        walked = {key: keras_nested(item) for key, item in value.items()}
        return keras_entry(walked) if "class_name" in walked and "config" in walked else walked
    if isinstance(value, list):
        return [keras_nested(item) for item in value]
    if isinstance(value, tuple):
        return tuple(keras_nested(item) for item in value)
    return value
