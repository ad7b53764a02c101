"""Keras 3's `serialize_keras_object` and `deserialize_keras_object`, and a model's JSON.

`serialize_keras_object` gives the dict Keras 3 gives for the same object: built-in
classes as `{"module": "keras.layers", "class_name": "Dense", "config": {...},
"registered_name": None}` (in Keras's form: see `keras_form`), functions as
`{"module": "builtins", "class_name": "function", "config": "relu", ...}`, numpy arrays
as `{"class_name": "__numpy__", ...}`, plain values as themselves (a tuple stays a tuple,
which JSON writes as a list).

`deserialize_keras_object` reads those dicts, whether minikeras or Keras wrote them. Nothing
a config says is imported or executed: a class or function is only ever taken from
minikeras's own tables (found by the config's `module` and `class_name`), from the objects
registered with `register_keras_serializable`, or from `custom_objects`.
"""

from __future__ import annotations

import json
import types
from typing import Any

import numpy as np

from minikeras import activations as activations_module
from minikeras import config as config_module
from minikeras import initializers as initializers_module
from minikeras import layers as layers_module
from minikeras import losses as losses_module
from minikeras import metrics as metrics_module
from minikeras import optimizers as optimizers_module
from minikeras import regularizers as regularizers_module
from minikeras.layers.base import Layer
from minikeras.metrics.base import MeanMetricWrapper
from minikeras.models.sequential import Sequential
from minikeras.optimizers import schedules as schedules_module
from minikeras.saving import keras_compat, keras_form, registry, serialization
from minikeras.saving.legacy_h5 import _json_default

PLAIN_TYPES = (str, int, float, bool)

# Keras's public functions that are no part of a model; Keras refuses them in a config by name.
NON_MODELING_APIS = frozenset(
    {
        "keras.backend.clear_session",
        "keras.config.enable_unsafe_deserialization",
        "keras.models.load_model",
        "keras.models.model_from_json",
        "keras.models.save_model",
        "keras.preprocessing.image_dataset_from_directory",
        "keras.preprocessing.image.load_img",
        "keras.preprocessing.image.save_img",
        "keras.preprocessing.text_dataset_from_directory",
        "keras.saving.deserialize_keras_object",
        "keras.saving.load_model",
        "keras.saving.load_weights",
        "keras.saving.register_keras_serializable",
        "keras.saving.save_model",
        "keras.saving.save_weights",
        "keras.saving.serialize_keras_object",
        "keras.utils.audio_dataset_from_directory",
        "keras.utils.clear_session",
        "keras.utils.deserialize_keras_object",
        "keras.utils.get_file",
        "keras.utils.image_dataset_from_directory",
        "keras.utils.load_img",
        "keras.utils.register_keras_serializable",
        "keras.utils.save_img",
        "keras.utils.serialize_keras_object",
        "keras.utils.text_dataset_from_directory",
    }
)

_METRIC_CLASSES = {**metrics_module.ALL_METRICS, "MeanMetricWrapper": MeanMetricWrapper}
# The Keras module each table of built-in classes is published under, in the order a class is looked for.
CLASS_TABLES: dict[str, dict[str, Any]] = {
    "keras": {"Sequential": Sequential},
    "keras.models": {"Sequential": Sequential},
    "keras.layers": layers_module.ALL_LAYERS,
    "keras.losses": losses_module.ALL_LOSSES,
    "keras.metrics": _METRIC_CLASSES,
    "keras.optimizers": optimizers_module.ALL_OPTIMIZERS,
    "keras.optimizers.schedules": schedules_module.ALL_SCHEDULES,
    "keras.initializers": initializers_module.ALL_INITIALIZERS,
    "keras.regularizers": regularizers_module.ALL_REGULARIZERS,
    # Configured activations (`GELU(approximate=True)`), which Keras has no entry for.
    "minikeras.activations": activations_module.ACTIVATION_CLASSES,
}
# Built-in functions by module; Keras writes its own with module "builtins", found in these in turn.
FUNCTION_TABLES: dict[str, dict[str, Any]] = {
    "keras.activations": activations_module.ALL_ACTIVATIONS,
    "keras.losses": losses_module.LOSS_FUNCTIONS,
    "keras.metrics": metrics_module.METRIC_FUNCTIONS,
}
# The Keras policy classes a layer's `dtype` may be written as; minikeras keeps a dtype as its name.
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")


# ---------------------------------------------------------------------------------------------- serializing
def serialize_keras_object(obj: Any) -> Any:
    """Return the config Keras 3 writes for `obj`, the reverse of `deserialize_keras_object`.

    Args:
        obj: a minikeras object (layer, model, loss, metric, optimizer, learning-rate schedule,
            initializer, regularizer, activation), a registered custom object, a function, or a
            plain value: None, str, int, float, bool, a list, tuple or dict of these, a numpy
            array or number, bytes, a slice or Ellipsis.

    Returns:
        Plain values unchanged (tuples stay tuples, numpy numbers become Python numbers), a numpy
        array as `{"class_name": "__numpy__", "config": {"value": [...], "dtype": "float32"}}`, and
        an object as `{"module", "class_name", "config", "registered_name"}` (plus `build_config`
        for a built layer or model, `compile_config` for a model).

    Raises:
        TypeError: for an object with no `get_config()` and no name.
        ValueError: for a `lambda`, whose code minikeras never writes or runs.
    """
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, list):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(serialize_keras_object(item) for item in obj)
    if isinstance(obj, dict):
        return serialize_dict(obj)
    special = _serialize_special(obj)
    if special is not None:
        return special
    if isinstance(obj, Sequential):
        return _serialize_model(obj)
    if isinstance(obj, activations_module.Activation):
        activation = _serialize_activation(obj)
        if activation is not None:
            return activation
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise ValueError(
            "Cannot serialize a Python lambda: its config would have to carry code, which minikeras never "
            "writes or runs. Use a named function registered with "
            "minikeras.saving.register_keras_serializable()."
        )
    entry = _class_entry(type(obj), _inner_config(obj))
    if isinstance(obj, Layer):
        base = _builtin_layer_class(type(obj))
        entry["config"] = keras_form.keras_layer_config(base, entry["config"])
        if (
            obj.built
            and obj._build_input_shape is not None
            and base not in keras_form.KERAS_LAYERS_WITHOUT_BUILD_CONFIG
        ):
            entry["build_config"] = {"input_shape": obj._build_input_shape}
    if isinstance(entry["config"], dict):
        entry["config"] = keras_form.keras_nested(entry["config"])
    return keras_form.keras_entry(entry)


def serialize_dict(obj: dict) -> dict:
    """Serialize every value of `obj` (the keys are kept)."""
    return {key: serialize_keras_object(value) for key, value in obj.items()}


def _serialize_special(obj: Any) -> Any:
    """Keras's entries for bytes, slices, Ellipsis and numpy values; None for anything else."""
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        parts = {"start": obj.start, "stop": obj.stop, "step": obj.step}
        return {"class_name": "__slice__", "config": serialize_dict(parts)}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if type(obj).__module__ == np.__name__:  # numpy arrays and scalars (a dtype is not one: Keras refuses it too)
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
        return obj.item()
    return None


def _inner_config(obj: Any) -> Any:
    """The `config` of `obj`'s entry: its serialized `get_config()`, or for a function or class, its name."""
    if isinstance(obj, types.FunctionType):
        return registry.get_registered_name(obj)
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"The `get_config()` method of {obj} should return a dict. It returned: {config}")
        if type(obj) is MeanMetricWrapper:  # Keras writes the wrapped function too
            config = {**config, "fn": obj._fn}
        return serialize_dict(config)
    if hasattr(obj, "__name__"):
        return registry.get_registered_name(obj)
    raise TypeError(
        f"Cannot serialize object {obj} of type {type(obj)}. "
        "To be serializable, a class must implement the `get_config()` method."
    )


def _class_entry(cls: type, inner: Any) -> dict:
    """`{"module", "class_name", "config", "registered_name"}` for an object of class `cls`."""
    module = builtin_module(cls)
    if module is not None:
        return {"module": module, "class_name": cls.__name__, "config": inner, "registered_name": None}
    # A custom class (or a function, whose class is `function`): Keras writes its Python module
    # (None for `__main__`) and the name it is registered under (its own name when it is not).
    return {
        "module": None if cls.__module__ == "__main__" else cls.__module__,
        "class_name": cls.__name__,
        "config": inner,
        "registered_name": registry.get_registered_name(cls),
    }


def builtin_module(cls: type) -> str | None:
    """The Keras module `cls` is published under when it is one of minikeras's built-in classes, else None."""
    for module, table in CLASS_TABLES.items():
        if table.get(cls.__name__) is cls and module != "minikeras.activations":
            return module
    return None


def _builtin_layer_class(cls: type) -> str | None:
    """The name of the nearest built-in layer class `cls` is or derives from (`Layer` only for itself)."""
    for klass in cls.__mro__:
        if builtin_module(klass) == "keras.layers" and (klass is cls or klass is not Layer):
            return klass.__name__
    return None


def _serialize_activation(activation: activations_module.Activation) -> dict | None:
    """A built-in activation: at its defaults, Keras's entry of the function of that name; with other
    options, minikeras's own entry (Keras has none). None for a custom activation."""
    cls = type(activation)
    if activations_module.ACTIVATION_CLASSES.get(cls.__name__) is not cls:
        return None
    default = activations_module.ALL_ACTIVATIONS.get(activation.name)
    if type(default) is cls and default.get_config() == activation.get_config():
        return {
            "module": "builtins",
            "class_name": "function",
            "config": activation.name,
            "registered_name": "function",
        }
    return {
        "module": "minikeras.activations",
        "class_name": cls.__name__,
        "config": serialize_dict(activation.get_config()),
        "registered_name": None,
    }


def _serialize_model(model: Sequential) -> dict:
    """Keras's entry of a Sequential model: its config with every layer in Keras's form, built and compiled state."""
    config = model.get_config()
    layers = ([model._input_layer] if model._input_layer is not None else []) + model.layers
    body: dict[str, Any] = {}
    for key, value in config.items():
        body[key] = [serialize_keras_object(layer) for layer in layers] if key == "layers" else value
        if key == "trainable" and "dtype" not in config:
            body["dtype"] = keras_form.dtype_policy(config_module.floatx())
    entry = _class_entry(type(model), serialize_dict(body))
    if model.built and model.input_shape is not None:
        entry["build_config"] = {"input_shape": model.input_shape}
    entry["compile_config"] = _compile_config(model)
    return entry


def _compile_config(model: Sequential) -> dict:
    """The model's compile arguments as Keras writes them ({} when it is not compiled).

    Unlike a file's training config, any metric `serialize_keras_object` can write is accepted
    (a plain function included, as Keras writes it).
    """
    if not model.compiled:
        return {}
    metrics, weighted = model._metric_specs, model._weighted_metric_specs
    config = {
        "optimizer": serialize_keras_object(model.optimizer),
        "loss": serialize_keras_object(model.loss),
        "loss_weights": None if model._loss_weight == 1.0 else model._loss_weight,
        "metrics": serialize_keras_object(list(metrics)) if metrics else None,
        "weighted_metrics": serialize_keras_object(list(weighted)) if weighted else None,
        # Keras's execution options, which minikeras accepts and ignores: it runs eagerly, with no JIT.
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }
    return keras_form.keras_nested(config)


# -------------------------------------------------------------------------------------------- deserializing
def deserialize_keras_object(
    config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True, **kwargs: Any
) -> Any:
    """Return the object a config describes, the reverse of `serialize_keras_object`.

    Args:
        config: a config as `serialize_keras_object` or Keras 3 writes it; plain values are
            returned as they are, lists and tuples as lists, dicts without `class_name` and
            `config` keys with each value deserialized.
        custom_objects: `{name: class or function}` for custom objects that are not registered.
        safe_mode: Keras's switch for lambdas. minikeras never runs code from a config, so a
            lambda is refused either way.
        **kwargs: `module_objects`, Keras's legacy `{name: class or function}` table searched for
            a name before anything else.

    Returns:
        The object: a layer, model (compiled when its config has a compile config), loss,
        metric, optimizer, initializer, regularizer, activation, function, numpy array...

    Raises:
        TypeError: for a class or function that is not found ("Could not locate class 'Foo'"),
            or a config of the wrong shape.
        ValueError: for a lambda, or a Keras function that is no part of a model.
    """
    module_objects = kwargs.pop("module_objects", None)
    if config is None:
        return None
    if isinstance(config, str):  # a function saved by its name (legacy formats), when it is a custom object
        found = registry.get_registered_object(config, custom_objects)
        if found is not None:
            return found
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects, safe_mode) for item in config]
    if module_objects is not None and isinstance(config, (str, dict)):
        return _from_module_objects(config, module_objects, custom_objects, safe_mode)
    if isinstance(config, PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode) for key, value in config.items()}

    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if isinstance(class_name, str) and class_name.startswith("__") and class_name.endswith("__"):
        return _deserialize_special(class_name, inner, config, custom_objects, safe_mode)
    module = config.get("module")
    registered_name = config.get("registered_name", class_name)
    if module == "keras" and class_name in _DTYPE_POLICIES and isinstance(inner, dict):
        return _dtype_from_policy(inner, config)
    if class_name == "function":
        if not isinstance(inner, str):
            raise TypeError(
                "Expected 'config' to be a non-null str for a function classname, "
                f"instead got {type(inner)}. Full config: {config}"
            )
        return retrieve(inner, registered_name, module, "function", config, custom_objects)
    if not isinstance(inner, dict):
        raise TypeError(
            f"Expected 'config' to be a dict for {class_name}, instead got {type(inner)}. Full config: {config}"
        )
    found = retrieve(class_name, registered_name, module, "class", config, custom_objects)
    if not isinstance(found, type):  # a registered function or object under a class's name
        return found
    if not hasattr(found, "from_config"):
        raise TypeError(
            f"Unable to reconstruct an instance of '{class_name}' because the class is missing a `from_config()` "
            f"method. Full object config: {config}"
        )
    with registry.CustomObjectScope(custom_objects or {}):
        return _instantiate(found, config, inner, custom_objects, safe_mode)


def _dtype_from_policy(inner: dict, config: dict) -> str:
    """minikeras keeps a layer's dtype policy as its dtype name: a Keras `DTypePolicy` entry gives that name."""
    name = inner.get("name")
    try:
        return config_module.standardize_dtype(name)
    except (TypeError, ValueError):
        raise ValueError(
            f"minikeras computes in float16/32/64 and has no dtype policy {name!r} (mixed precision included). "
            f"Full object config: {config}"
        ) from None


def _from_module_objects(config: str | dict, module_objects: dict, custom_objects: dict | None, safe_mode: bool) -> Any:
    """Keras's legacy lookup: a name, or a `{"class_name", "config"}` dict, among `module_objects`."""
    inner: Any = None
    name: Any = config
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"Unknown `config` as a `dict`, config={config}")
        inner = config.get("config")
        name = inner if config["class_name"] == "function" else config["class_name"]
    if not isinstance(name, str) or name not in module_objects:
        return name
    found = module_objects[name]
    if not isinstance(found, type):
        return found
    with registry.CustomObjectScope(custom_objects or {}):
        return _instantiate(found, {"class_name": found.__name__}, inner or {}, custom_objects, safe_mode)


def _deserialize_special(class_name: str, inner: Any, config: dict, custom_objects, safe_mode: bool) -> Any:
    if class_name in ("__numpy__", "__tensor__"):  # minikeras's tensors are numpy arrays
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(
            *(deserialize_keras_object(inner[key], custom_objects, safe_mode) for key in ("start", "stop", "step"))
        )
    if class_name == "__lambda__":
        raise ValueError(
            "Requested the deserialization of a Python lambda. This carries a potential risk of arbitrary code "
            "execution, and minikeras never runs code from a config (whatever `safe_mode` says): rewrite it as a "
            "named function registered with minikeras.saving.register_keras_serializable() or passed in "
            "custom_objects."
        )
    raise TypeError(
        f"Cannot deserialize a {class_name} entry: minikeras has no symbolic tensors or type specs. "
        f"Full object config: {config}"
    )


def retrieve(name: str, registered_name: Any, module: Any, obj_type: str, full_config: dict, custom_objects=None):
    """Find the class or function a config names: registered or custom objects first, then minikeras's tables.

    A `module` is only ever a key into minikeras's tables; nothing is imported.

    Raises:
        TypeError: when it is found nowhere ("Could not locate class 'Foo'").
        ValueError: for a Keras module's name minikeras does not have, or a Keras function
            that is no part of a model.
    """
    custom = registry.get_registered_object(name if obj_type == "function" else registered_name, custom_objects)
    if custom is None and obj_type == "class" and registered_name != name:
        custom = registry.get_registered_object(name, custom_objects)
    if custom is not None:
        return custom
    if isinstance(module, str) and (module == "keras" or module.startswith("keras.")):
        api_name = f"{module}.{name}"
        if api_name in NON_MODELING_APIS:
            raise ValueError(
                f"Cannot deserialize `{api_name}` because it is not a modeling function. Non-modeling APIs are "
                "disallowed during deserialization for security."
            )
        found = _builtin(module, name, obj_type)
        if found is not None:
            _check_registered_name(full_config, name, api_name)
            return found
        known = sorted(_table_for(module, obj_type) or {})
        raise ValueError(
            f"Could not deserialize '{api_name}': minikeras has no {obj_type} of that name in {module}."
            f"{registry.suggest(name, known)} Full object config: {full_config}"
        )
    if module == "minikeras.activations" and obj_type == "class":
        found = activations_module.ACTIVATION_CLASSES.get(name)
        if found is not None:
            return found
    if obj_type == "function" and module == "builtins":
        for table in FUNCTION_TABLES.values():
            if name in table:
                _check_registered_name(full_config, name, name)
                return table[name]
        # Keras <= 3.6 saved registered functions by their bare name instead of "package>name".
        if ">" not in name:
            scoped = [objects for objects in reversed(registry._scope_stack())]
            for objects in [custom_objects or {}, *scoped, registry.get_custom_objects()]:
                for key, value in objects.items():
                    if key.endswith(f">{name}"):
                        return value
    raise TypeError(
        f"Could not locate {obj_type} '{name}'. Make sure custom classes and functions are decorated with "
        "`@minikeras.saving.register_keras_serializable()` or passed in `custom_objects`; minikeras never "
        f"imports the module a config names. Full object config: {full_config}"
    )


def _table_for(module: str, obj_type: str) -> dict | None:
    """The table of built-ins for a Keras module: a public one (`keras.layers`) or the internal
    `keras.src...` path Keras may write for a class it does not publish."""
    tables = FUNCTION_TABLES if obj_type == "function" else CLASS_TABLES
    if module in tables:
        return tables[module]
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "src":
        if "schedules" in parts and obj_type == "class":
            return CLASS_TABLES["keras.optimizers.schedules"]
        for part in parts[2:]:
            if f"keras.{part}" in tables:
                return tables[f"keras.{part}"]
    return None


def _builtin(module: str, name: str, obj_type: str) -> Any:
    table = _table_for(module, obj_type)
    if table is None or name not in table:
        return None
    return table[name]


def _check_registered_name(full_config: dict, name: str, resolved_name: str) -> None:
    """A built-in has no registered name: a config giving one is hand-made or damaged (Keras refuses it too)."""
    explicit = full_config.get("registered_name")
    if explicit and explicit not in (name, full_config.get("class_name"), "function"):
        raise ValueError(
            f"`registered_name={explicit!r}` was provided in the config, but '{resolved_name}' resolved to a "
            "built-in and does not use registered names. Remove the `registered_name` field from the config. "
            f"Full object config: {full_config}"
        )


def _instantiate(cls: type, config: dict, inner: dict, custom_objects, safe_mode: bool) -> Any:
    """`cls.from_config(inner)` after putting a config Keras wrote into the form minikeras reads."""
    if issubclass(cls, Sequential):
        return _instantiate_model(cls, config, inner, custom_objects)
    entry = {"class_name": config["class_name"], "config": inner}
    if issubclass(cls, Layer):
        entry = keras_compat.normalize_layer_entry(entry, cls)
    elif issubclass(cls, optimizers_module.Optimizer):
        entry = keras_compat.normalize_optimizer_config(entry, cls)
    elif cls is MeanMetricWrapper:
        entry["config"] = {**inner, "fn": deserialize_keras_object(inner.get("fn"), custom_objects, safe_mode)}
    else:
        neutral = keras_form.KERAS_OPTIONS.get(builtin_module(cls) or "", {}).get(cls.__name__, {})
        if neutral:
            entry = keras_compat.drop_neutral_options(entry, cls, neutral)
    try:
        instance = cls.from_config(entry["config"])  # type: ignore[attr-defined]
    except TypeError as error:
        raise TypeError(
            f"{cls} could not be deserialized properly: {error}. Please ensure that components that are Python "
            "object instances (layers, models, etc.) returned by `get_config()` are explicitly deserialized in "
            f"the class's `from_config()` method. Full object config: {config}"
        ) from None
    build_config = config.get("build_config")
    if isinstance(instance, Layer) and not instance.built and isinstance(build_config, dict):
        shape = build_config.get("input_shape")
        if isinstance(shape, (list, tuple)):
            instance.build_for(tuple(shape))
    return instance


def _instantiate_model(cls: type, config: dict, inner: dict, custom_objects) -> Sequential:
    if "layers" not in inner or "name" not in inner:
        raise ValueError(
            "A Sequential model configuration must be a dictionary containing the 'name' and 'layers' keys. "
            f"Received: config={inner}"
        )
    if not isinstance(inner["layers"], list):
        raise TypeError(
            f"{cls} could not be deserialized properly: its 'layers' must be a list of layer configs. "
            f"Full object config: {config}"
        )
    if cls is Sequential:
        model = serialization.model_from_config({"class_name": "Sequential", "config": inner}, custom_objects)
    else:
        model = cls.from_config(inner, custom_objects=custom_objects)  # type: ignore[attr-defined]
    build_config = config.get("build_config")
    if not model.built and isinstance(build_config, dict) and isinstance(build_config.get("input_shape"), list):
        model.build(tuple(build_config["input_shape"]))
    compile_config = config.get("compile_config")
    if isinstance(compile_config, dict) and compile_config:
        # As Keras: every compile argument deserialized (names stay names), then `compile`.
        model.compile(**deserialize_keras_object(compile_config, custom_objects))
    return model


# ----------------------------------------------------------------------------------------------------- JSON
def model_to_json(model: Sequential, **kwargs: Any) -> str:
    """`serialize_keras_object(model)` as a JSON string; `kwargs` are passed to `json.dumps` (`indent=2`...)."""
    return json.dumps(serialize_keras_object(model), default=_json_default, **kwargs)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a model from `model.to_json()` output (minikeras's or Keras 3's).

    Args:
        json_string: the JSON text.
        custom_objects: `{name: class or function}` for custom objects that are not registered.

    Returns:
        The model, compiled when the JSON holds a compile config (as Keras does).

    Raises:
        json.JSONDecodeError: for text that is not JSON.
        TypeError, ValueError: for a config that does not describe a model minikeras can build.
    """
    config = json.loads(json_string)
    if isinstance(config, dict) and config.get("class_name") == "Sequential" and "module" not in config:
        # Keras 2's JSON (no module keys), which Keras 2's `model_from_json` read.
        return serialization.model_from_config(config, custom_objects)
    return deserialize_keras_object(config, custom_objects=custom_objects)
