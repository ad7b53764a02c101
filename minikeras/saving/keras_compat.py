"""Reading configs that Keras 3, Keras 2 and tf.keras wrote.

Keras configs carry options minikeras does not implement (regularizers,
constraints, dtype policies, quantization...). An option at its neutral value
(the value that changes nothing, such as `kernel_regularizer=None`) is dropped;
at any other value the layer is refused with a message naming the option,
because loading it without the option would silently change the results.
"""

from __future__ import annotations

import inspect

from minikeras import config as _config
from minikeras.saving.h5_reading import ModelFileError

# Options Keras layers may carry, with the value at which they change nothing.
NEUTRAL_LAYER_OPTIONS = {
    "kernel_regularizer": None,
    "bias_regularizer": None,
    "activity_regularizer": None,
    "kernel_constraint": None,
    "bias_constraint": None,
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "optional": False,
    "ragged": False,
    "sparse": False,
    "input_tensor": None,
    "autocast": True,
}
# Options read from the file that cannot change a minikeras computation, whatever their value.
IGNORED_LAYER_OPTIONS = ("build_config",)
NEUTRAL_INITIALIZER_OPTIONS = {"input_axes": None, "output_axes": None}
NEUTRAL_OPTIMIZER_OPTIONS = {"decay": 0.0, "is_legacy_optimizer": False}
IGNORED_OPTIMIZER_OPTIONS = ("jit_compile",)


def accepted_arguments(cls) -> set[str] | None:
    """Names `cls.__init__` accepts, following `**kwargs` into base classes; None if unknowable."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            return names
    return names


def normalize_layer_entry(entry: dict, cls) -> dict:
    """Return a copy of a layer entry whose config only holds options `cls` accepts.

    Raises:
        ModelFileError: for an option minikeras lacks set to a value that matters.
    """
    config = dict(entry.get("config") or {})
    name = config.get("name", "?")
    if "dtype" in config:
        config["dtype"] = _layer_dtype(config["dtype"], name, entry["class_name"])
    accepted = accepted_arguments(cls)
    for key in list(config):
        if accepted is None or key in accepted:
            continue
        if key in IGNORED_LAYER_OPTIONS:
            del config[key]
        elif key in NEUTRAL_LAYER_OPTIONS and config[key] == NEUTRAL_LAYER_OPTIONS[key]:
            del config[key]
        elif key in NEUTRAL_LAYER_OPTIONS:
            raise ModelFileError(
                f"Layer '{name}' ({entry['class_name']}) uses {key}={config[key]!r}, which minikeras does not "
                "implement; loading it without that option would change the results."
            )
    for key in ("kernel_initializer", "bias_initializer"):
        if isinstance(config.get(key), dict):
            config[key] = _initializer(config[key])
    if isinstance(config.get("activation"), dict):  # {"class_name": "function", "config": "relu"} in some Keras 3 files
        activation = config["activation"]
        if activation.get("class_name") == "function" and isinstance(activation.get("config"), str):
            config["activation"] = activation["config"]
    return {**entry, "config": config}


def _layer_dtype(dtype, name: str, class_name: str) -> str:
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name", dtype)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise ModelFileError(
            f"Layer '{name}' ({class_name}) uses the mixed-precision policy {dtype!r}, which minikeras does not "
            "implement."
        )
    try:
        return _config.standardize_dtype(dtype)
    except (TypeError, ValueError):
        raise ModelFileError(
            f"Layer '{name}' ({class_name}) has dtype {dtype!r}; minikeras computes in float16/32/64."
        ) from None


def _initializer(entry: dict) -> dict:
    config = dict(entry.get("config") or {})
    for key, neutral in NEUTRAL_INITIALIZER_OPTIONS.items():
        if key in config and config[key] == neutral:
            del config[key]
    return {**entry, "config": config}


def normalize_optimizer_config(entry: dict, cls) -> dict:
    """Drop Keras 2 / Keras 3 optimizer options that `cls` lacks and that are neutral or change nothing."""
    config = dict(entry.get("config") or {})
    if "lr" in config and "learning_rate" not in config:  # Keras 1 and early Keras 2
        config["learning_rate"] = config.pop("lr")
    accepted = accepted_arguments(cls)
    for key in list(config):
        if accepted is None or key in accepted:
            continue
        if key in IGNORED_OPTIMIZER_OPTIONS:
            del config[key]
        elif key in NEUTRAL_OPTIMIZER_OPTIONS and config[key] == NEUTRAL_OPTIMIZER_OPTIONS[key]:
            del config[key]
        elif key in NEUTRAL_OPTIMIZER_OPTIONS:
            raise ModelFileError(
                f"Optimizer option {key}={config[key]!r} is not implemented by minikeras; "
                "it would change how training continues."
            )
    return {**entry, "config": config}


def optimizer_entry(entry):
    """Undo tf.keras 2.11+'s registration prefix: `{"class_name": "Custom>SGD"}` names Keras's own SGD."""
    if (
        isinstance(entry, dict)
        and isinstance(entry.get("class_name"), str)
        and entry["class_name"].startswith("Custom>")
    ):
        return {**entry, "class_name": entry["class_name"].split(">", 1)[1]}
    return entry


def align_optimizer_state(names: list[str], expected_count: int, learning_rate):
    """tf.keras 2 saves optimizer state without the learning rate; return where to insert it, or None."""
    has_rate = any(name.rsplit("/", 1)[-1].startswith("learning_rate") for name in names)
    if not has_rate and learning_rate is not None and len(names) == expected_count - 1:
        return 1
    return None


def metric_entries(metrics):
    """Flatten tf.keras 2's per-output nesting (`[[m1, m2]]`) and turn its
    `MeanMetricWrapper(fn="categorical_accuracy", name="accuracy")` entries into names."""
    if metrics is None:
        return []
    if isinstance(metrics, dict):  # one output, keyed by its name
        metrics = list(metrics.values())
    flat = []
    for entry in metrics:
        flat.extend(entry if isinstance(entry, list) else [entry])
    result = []
    for entry in flat:
        config = entry.get("config") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and entry.get("class_name") == "MeanMetricWrapper" and isinstance(config, dict):
            function, name = config.get("fn"), config.get("name")
            result.append({"function": function, "name": name} if isinstance(function, str) else entry)
        else:
            result.append(entry)
    return result


def drop_neutral_options(entry: dict, cls, neutral: dict) -> dict:
    """Return a copy of `entry` without the options of `neutral` that `cls` does not accept and that
    hold their neutral value (such as `ignore_class=None` on SparseCategoricalCrossentropy).

    An option `cls` lacks at any other value is left in place, so that `cls` refuses it by name.
    """
    config = dict(entry.get("config") or {})
    accepted = accepted_arguments(cls)
    if accepted is None:
        return entry
    for key, value in neutral.items():
        if key in config and key not in accepted and config[key] == value:
            del config[key]
    return {**entry, "config": config}
