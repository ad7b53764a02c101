"""Name lookup for the objects a user may give by name or by config.

Activations, initializers, losses, metrics and optimizers all accept either an
object, a string name (`"relu"`, `"glorot_uniform"`) or a config dictionary of
Keras's shape `{"class_name": ..., "config": {...}}`. `resolve` turns any of
these into an object using a table of known names: nothing outside the table is
ever imported or executed, which is what keeps loading a file safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

_T = TypeVar("_T")

_custom_objects: dict[str, Any] = {}
# The dictionaries of the `CustomObjectScope`s open in this thread, innermost last.
_scopes = threading.local()


class CustomObjectScope:
    """Within the block, the names of `custom_objects` are known to every lookup by name (loading included).

    Keras's `keras.saving.custom_object_scope` (also `CustomObjectScope`): scopes nest, the innermost
    wins, and each thread has its own.

    Args:
        *custom_objects: dictionaries `{name: class or function}`.

    Example:
        >>> with minikeras.saving.custom_object_scope({"Scale": Scale}):
        ...     model = minikeras.models.load_model("scaled.keras")
    """

    def __init__(self, *custom_objects: dict[str, Any]) -> None:
        merged: dict[str, Any] = {}
        for objects in custom_objects:
            if not isinstance(objects, dict):
                raise TypeError(f"custom_object_scope expects dictionaries of name -> object. Received: {objects!r}")
            merged.update(objects)
        self.custom_objects = merged

    def __enter__(self) -> CustomObjectScope:
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _scope_stack().pop()


custom_object_scope = CustomObjectScope


def _scope_stack() -> list[dict[str, Any]]:
    stack = getattr(_scopes, "stack", None)
    if stack is None:
        stack = _scopes.stack = []
    return stack


def get_registered_name(obj: Any) -> str:
    """The name `obj` (a class or function) is saved under: `"package>Name"` when registered, else its own name."""
    return _own_registered_name(obj) or obj.__name__


def _own_registered_name(obj: Any) -> str | None:
    """The name `obj` itself was registered under, or None.

    Read from `obj`'s own namespace, not through inheritance: a subclass of a registered
    class is not registered (Keras keys its table by the object, with the same effect).
    """
    try:
        return vars(obj).get("_registered_name")
    except TypeError:  # an object without a __dict__
        return None


def get_custom_objects() -> dict[str, Any]:
    """The global table of registered objects (Keras's `keras.saving.get_custom_objects`).

    It is the live table: adding `{"name": object}` to it makes the name known to every lookup,
    as registering does.
    """
    return _custom_objects


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None, module_objects: dict[str, Any] | None = None
) -> Any:
    """The class or function known by `name`, or None.

    Looks in the open `custom_object_scope`s, then `custom_objects`, the registered objects
    (`register_serializable`), then `module_objects`, as Keras does.
    """
    for objects in reversed(_scope_stack()):
        if name in objects:
            return objects[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _custom_objects:
        return _custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable[[_T], _T]:
    """Decorator that makes a custom class or function known by name.

    Args:
        package: a namespace for the name, so two libraries cannot clash.
        name: the name to register under; the class or function name by default.

    Example:
        >>> @minikeras.saving.register_serializable(package="my_project")
        ... class MyLayer(minikeras.layers.Layer):
        ...     ...
    """

    def decorate(obj: Any) -> Any:
        registered = name or obj.__name__
        key = f"{package}>{registered}"
        _custom_objects[key] = obj
        _custom_objects.setdefault(registered, obj)
        obj._registered_name = key
        return obj

    return decorate


# Keras's name for the same decorator.
register_keras_serializable = register_serializable


def registered_objects() -> dict[str, Any]:
    """Return a copy of the table of registered custom objects."""
    return dict(_custom_objects)


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean "x"?' for the closest of `choices`, or ''."""
    import difflib

    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


# How Keras names a kind of object in "Could not interpret ... identifier".
_KERAS_KIND_NAMES = {"activation": "activation function"}


def resolve(
    identifier: Any,
    table: dict[str, Any],
    kind: str,
    base_type: type | tuple[type, ...],
    custom_objects: dict[str, Any] | None = None,
    instantiate: Callable[[Any, dict], Any] | None = None,
) -> Any:
    """Turn a name, a config dictionary or an object into an object of `kind`.

    Args:
        identifier: an instance of `base_type`, a string key of `table`, or a
            dict `{"class_name": name, "config": {...}}`.
        table: the known names for this kind, mapping to classes or instances.
        kind: what is being looked up, for error messages ("activation", ...).
        base_type: instances of these types are returned unchanged.
        custom_objects: extra names to accept, checked before the registry.
        instantiate: builds an object from a table entry and a config dict;
            by default `entry.from_config(config)` or `entry(**config)`.

    Returns:
        The resolved object.

    Raises:
        ValueError: for an unknown name, with the closest known name suggested.
        TypeError: for an identifier of the wrong type.
    """
    if isinstance(identifier, base_type):
        return identifier
    config: dict = {}
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(f"A {kind} config needs a 'class_name' key. Received: {identifier!r}")
        name = identifier.get("registered_name") or identifier["class_name"]
        config = dict(identifier.get("config") or {})
    elif isinstance(identifier, str):
        name = identifier
    else:
        raise TypeError(
            f"Could not interpret {kind} identifier: {identifier!r}. "
            f"Expected a string name, a config dict or a {kind} object."
        )
    entry = _find(name, table, custom_objects)
    if entry is None and isinstance(identifier, dict):
        entry = _find(identifier["class_name"], table, custom_objects)
    if entry is None:
        scoped = {key for objects in _scope_stack() for key in objects}
        known = sorted(set(table) | set(custom_objects or {}) | set(_custom_objects) | scoped)
        # Keras's own first sentence, so code that matches on it keeps working; then what minikeras knows.
        if isinstance(identifier, dict):
            opening = (
                f"Could not locate class '{name}'. Make sure custom classes are decorated with "
                "`@keras.saving.register_keras_serializable()`."
            )
        else:
            opening = f"Could not interpret {_KERAS_KIND_NAMES.get(kind, kind)} identifier: {name}."
        raise ValueError(
            f"{opening} Unknown {kind}: '{name}'.{suggest(name, known)} Known names: {', '.join(sorted(table))}. "
            f"A custom {kind} must be registered with "
            "minikeras.saving.register_serializable() or passed in custom_objects."
        )
    if isinstance(entry, type) or config:
        if instantiate is not None:
            return instantiate(entry, config)
        if hasattr(entry, "from_config"):
            return entry.from_config(config)
        return entry(**config)
    return entry


def lookup(identifier: Any, table: dict, custom_objects: dict | None = None) -> Any:
    """Return the table entry (usually a class) a name or config dict refers to, or None."""
    if isinstance(identifier, dict):
        for key in ("registered_name", "class_name"):
            name = identifier.get(key)
            if isinstance(name, str):
                found = _find(name, table, custom_objects)
                if found is not None:
                    return found
        return None
    if isinstance(identifier, str):
        return _find(identifier, table, custom_objects)
    return None


def _find(name: str, table: dict, custom_objects: dict | None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for objects in reversed(_scope_stack()):
        if name in objects:
            return objects[name]
    if name in table:
        return table[name]
    if name.lower() in table:
        return table[name.lower()]
    return _custom_objects.get(name)


def serialize(obj: Any, module: str) -> dict:
    """Return Keras's config form `{"module", "class_name", "config", "registered_name"}`."""
    registered = _own_registered_name(type(obj))
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": registered,
    }
