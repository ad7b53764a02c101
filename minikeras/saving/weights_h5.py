"""Weights (and optimizer state) in Keras 3's `.weights.h5` layout.

Layout (the same file sits inside a `.keras` archive as `model.weights.h5`):

    /vars                          attrs: name = the model's name
    /layers/<layer name>/vars      attrs: name; datasets "0", "1", ... (the
                                   layer's weights in Keras's order)
    /optimizer/vars                attrs: name; datasets "0", "1", ... (step
                                   count, learning rate, slots)

Layer groups are named as Keras names them: by class and position in the model
(`layer_paths`). minikeras also writes the `layers` group with its creation
order tracked and matches its own files by layer order; a file without that
order (one Keras wrote) is matched by those names, as Keras does.
"""

from __future__ import annotations

from minikeras.saving.h5_reading import ModelFileError, declared_size, get_member, read_array
from minikeras.utils.naming import to_snake_case


def layer_paths(model) -> list[str]:
    """The group name Keras gives each layer: its snake-case class name, numbered within the model.

    Keras 3 names a layer's weights by its place in the model (`dense`, `dense_1`, ...), not by
    `layer.name`, so a file matches any model of the same architecture. A nested Sequential
    model numbers its own layers afresh.
    """
    counts: dict[str, int] = {}
    paths = []
    for layer in model.layers:
        base = to_snake_case(type(layer).__name__)
        count = counts.get(base, -1) + 1
        counts[base] = count
        paths.append(base if count == 0 else f"{base}_{count}")
    return paths


def _is_model(layer) -> bool:
    """Whether `layer` is a model used as a layer (its weights sit in a nested `layers` group)."""
    return hasattr(layer, "_leaf_layers")


def write_weights(f, model) -> None:
    """Write the model's weights and its optimizer state into the open file `f`."""
    f.create_group("vars").attrs["name"] = model.name
    _write_layers(f.create_group("layers", track_order=True), model)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables = f.create_group("optimizer").create_group("vars")
        variables.attrs["name"] = optimizer.name
        for index, value in enumerate(optimizer.variables):
            variables.create_dataset(str(index), data=value)


def _write_layers(layers_group, model) -> None:
    for layer, path in zip(model.layers, layer_paths(model)):
        group = layers_group.create_group(path)
        if _is_model(layer):  # `<path>/layers/...` for its layers and an empty `<path>/vars`, as Keras
            _write_layers(group.create_group("layers", track_order=True), layer)
            group.create_group("vars").attrs["name"] = layer.name
            continue
        variables = group.create_group("vars")
        variables.attrs["name"] = layer.name
        for index, value in enumerate(layer.weights):
            variables.create_dataset(str(index), data=value)


def _saved_layer_groups(f, model) -> list:
    """Pair each layer with weights (nested models' layers included) to its `vars` group in the file:
    by order in minikeras's own files, by Keras's names in others."""
    return _pair_groups(get_member(f, "layers", "group"), model)


def _holds_weights(group) -> bool:
    """Whether a layer group of the file holds any weight (in its `vars` or a nested `layers` group)."""
    if "vars" in group and len(get_member(group, "vars", "group")):
        return True
    if "layers" in group:
        nested = get_member(group, "layers", "group")
        return any(_holds_weights(get_member(nested, name, "group")) for name in nested)
    return False


def _pair_groups(layers_group, model, prefix: str = "") -> list:
    model_layers = [layer for layer in model.layers if layer.weights]
    ordered = layers_group.id.get_create_plist().get_link_creation_order() != 0
    if ordered:
        saved = [name for name in layers_group if _holds_weights(get_member(layers_group, name, "group"))]
        if len(saved) != len(model_layers):
            raise ModelFileError(
                f"The file holds weights for {len(saved)} layers ({', '.join(saved)}), but the model "
                f"has {len(model_layers)} layers with weights ({', '.join(l.name for l in model_layers)})."
            )
        named = list(zip(model_layers, saved))
    else:
        named = []
        for layer, path in zip(model.layers, layer_paths(model)):
            if not layer.weights:
                continue
            if path not in layers_group:
                raise ModelFileError(
                    f"The file has no weights for layer '{layer.name}' (group '{prefix}{path}'). Groups in the file: "
                    f"{', '.join(layers_group)}."
                )
            named.append((layer, path))
    pairs = []
    for layer, name in named:
        group = get_member(layers_group, name, "group")
        if _is_model(layer):
            pairs.extend(_pair_groups(get_member(group, "layers", "group"), layer, f"{prefix}{name}/layers/"))
        else:
            pairs.append((layer, prefix + name, get_member(group, "vars", "group")))
    return pairs


def read_weights(f, model, skip_mismatch: bool = False) -> None:
    """Load layer weights (and the optimizer state, when present and the model is compiled).

    Everything is checked and read before anything is set.
    """
    staged = []
    for layer, saved_name, variables in _saved_layer_groups(f, model):
        if len(variables) != len(layer.weights):
            raise ModelFileError(
                f"Layer '{layer.name}' has {len(layer.weights)} weights, but the file holds {len(variables)} "
                f"for '{saved_name}'."
            )
        arrays = []
        for index, (key, weight) in enumerate(zip(layer.weight_names, layer.weights)):
            dataset = get_member(variables, str(index), "dataset")
            if skip_mismatch and dataset.shape != weight.shape:
                break
            arrays.append(read_array(dataset, weight.shape, f"Weight '{key}' of layer '{layer.name}'"))
        else:
            staged.append((layer, arrays))
    optimizer_values = _read_optimizer(f, model)
    for layer, arrays in staged:
        layer.set_weights(arrays)
    if optimizer_values is not None:
        model.optimizer.set_weights(optimizer_values)


def _read_optimizer(f, model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or "optimizer" not in f:
        return None
    variables = get_member(get_member(f, "optimizer", "group"), "vars", "group")
    optimizer.build([w for layer in model.layers for w in layer.trainable_weights])
    expected = optimizer.variables
    fixed = optimizer.fixed_variable_count
    if len(variables) not in (len(expected), fixed):
        raise ModelFileError(
            f"The file holds {len(variables)} optimizer state arrays, but optimizer '{optimizer.name}' "
            f"needs {len(expected)} for this model."
        )
    return [
        read_array(get_member(variables, str(i), "dataset"), target.shape, f"Optimizer state {i}")
        for i, target in zip(range(len(variables)), expected)
    ]


def declared_weight_values(f) -> int:
    """Total number of values the layer datasets of a weights file claim (headers only), nested
    models' layers included."""
    return _declared_in(f) if "layers" in f else 0


def _declared_in(group, depth: int = 0) -> int:
    if depth > 32:
        raise ModelFileError("The weights file nests layer groups more than 32 deep.")
    layers_group = get_member(group, "layers", "group")
    total = 0
    for name in layers_group:
        layer_group = get_member(layers_group, name, "group")
        if "vars" in layer_group:
            variables = get_member(layer_group, "vars", "group")
            total += sum(declared_size(get_member(variables, key, "dataset")) for key in variables)
        if "layers" in layer_group:
            total += _declared_in(layer_group, depth + 1)
    return total
