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
    `layer.name`, so a file matches any model of the same architecture.
    """
    counts: dict[str, int] = {}
    paths = []
    for layer in model.layers:
        base = to_snake_case(type(layer).__name__)
        count = counts.get(base, -1) + 1
        counts[base] = count
        paths.append(base if count == 0 else f"{base}_{count}")
    return paths


def write_weights(f, model) -> None:
    """Write the model's weights and its optimizer state into the open file `f`."""
    f.create_group("vars").attrs["name"] = model.name
    layers_group = f.create_group("layers", track_order=True)
    for layer, path in zip(model.layers, layer_paths(model)):
        variables = layers_group.create_group(path).create_group("vars")
        variables.attrs["name"] = layer.name
        for index, value in enumerate(layer.weights):
            variables.create_dataset(str(index), data=value)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables = f.create_group("optimizer").create_group("vars")
        variables.attrs["name"] = optimizer.name
        for index, value in enumerate(optimizer.variables):
            variables.create_dataset(str(index), data=value)


def _saved_layer_groups(f, model) -> list:
    """Pair each model layer with weights to its group in the file (by order, else by name)."""
    layers_group = get_member(f, "layers", "group")
    model_layers = [layer for layer in model.layers if layer.weights]
    ordered = layers_group.id.get_create_plist().get_link_creation_order() != 0
    if ordered:
        saved = []
        for name in layers_group:
            variables = get_member(get_member(layers_group, name, "group"), "vars", "group")
            if len(variables):
                saved.append((name, variables))
        if len(saved) != len(model_layers):
            raise ModelFileError(
                f"The file holds weights for {len(saved)} layers ({', '.join(n for n, _ in saved)}), but the model "
                f"has {len(model_layers)} layers with weights ({', '.join(l.name for l in model_layers)})."
            )
        return [(layer, name, variables) for layer, (name, variables) in zip(model_layers, saved)]
    pairs = []
    for layer, path in zip(model.layers, layer_paths(model)):
        if not layer.weights:
            continue
        if path not in layers_group:
            raise ModelFileError(
                f"The file has no weights for layer '{layer.name}' (group '{path}'). Groups in the file: "
                f"{', '.join(layers_group)}."
            )
        pairs.append((layer, path, get_member(get_member(layers_group, path, "group"), "vars", "group")))
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
    """Total number of values the layer datasets of a weights file claim (headers only)."""
    if "layers" not in f:
        return 0
    layers_group = get_member(f, "layers", "group")
    total = 0
    for name in layers_group:
        layer_group = get_member(layers_group, name, "group")
        if "vars" in layer_group:
            variables = get_member(layer_group, "vars", "group")
            total += sum(declared_size(get_member(variables, key, "dataset")) for key in variables)
    return total
