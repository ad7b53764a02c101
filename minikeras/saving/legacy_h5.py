"""Whole models in the HDF5 layout Keras uses for legacy `.h5` files.

Layout (what Keras 3 and tf.keras read):

    /                       attrs: model_config (JSON), training_config (JSON),
                            keras_version, backend, minikeras_version
    /model_weights          attrs: layer_names (every layer, in model order),
                                   backend, keras_version
    /model_weights/<layer>  attrs: weight_names (e.g. "dense/kernel"), one
                            dataset per name (the "/" nests it in a group)
    /model_weights/top_level_model_weights   attrs: weight_names = []
    /optimizer_weights      attrs: weight_names; datasets: the step count,
                            the learning rate and the slots, in Keras's order

Weights are matched to layers by order, counting only layers that have
weights, exactly as Keras's loader does.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from minikeras.saving import checksum, keras_compat, serialization
from minikeras.saving.h5_reading import (
    ModelFileError,
    declared_size,
    get_member,
    read_array,
    read_json_attr,
    read_names_attr,
)

# The Keras release whose file layout these files follow (what Keras's loader checks).
KERAS_LAYOUT_VERSION = "3.15.1"
BACKEND = "numpy"


def write_model(model, filepath: str, include_optimizer: bool = True) -> None:
    """Write `model` (config, weights, compile settings, optimizer state) to a new HDF5 file."""
    import h5py

    import minikeras

    with h5py.File(filepath, "w", userblock_size=checksum.USERBLOCK_SIZE) as f:
        f.attrs["keras_version"] = KERAS_LAYOUT_VERSION
        f.attrs["backend"] = BACKEND
        f.attrs["minikeras_version"] = minikeras.__version__
        # Configs go in as bytes, as Keras writes them: a fixed-length string whose size the header states.
        f.attrs["model_config"] = json.dumps(serialization.model_config(model), default=_json_default).encode("utf-8")
        training = serialization.training_config(model) if include_optimizer else None
        if training is not None:
            f.attrs["training_config"] = json.dumps(training, default=_json_default).encode("utf-8")
        write_model_weights(f.create_group("model_weights"), model)
        if training is not None:
            write_optimizer_weights(f, model.optimizer)
    checksum.seal(filepath)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"Cannot write {value!r} ({type(value).__name__}) into a JSON config.")


def _names_attr(names: list[str]) -> np.ndarray:
    return np.array([name.encode("utf-8") for name in names], dtype="S") if names else np.array([], dtype="S1")


def write_model_weights(group, model) -> None:
    """Write every layer's weights under `group` in Keras's legacy layout."""
    group.attrs["layer_names"] = _names_attr([layer.name for layer in model.layers])
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = KERAS_LAYOUT_VERSION
    for layer in sorted(model.layers, key=lambda layer: layer.name):  # sorted, as Keras writes them
        layer_group = group.create_group(layer.name)
        names = [f"{layer.name}/{weight_name}" for weight_name in layer.weight_names]
        layer_group.attrs["weight_names"] = _names_attr(names)
        for name, value in zip(names, layer.weights):
            layer_group.create_dataset(name, data=value)
    group.create_group("top_level_model_weights").attrs["weight_names"] = _names_attr([])


def write_optimizer_weights(f, optimizer) -> None:
    group = f.create_group("optimizer_weights")
    names = optimizer.variable_names
    group.attrs["weight_names"] = _names_attr(names)
    for name, value in zip(names, optimizer.variables):
        group.create_dataset(name, data=value)


def declared_weight_values(group) -> int:
    """Total number of values the weight datasets of `model_weights` claim (headers only)."""
    total = 0
    for layer_name in read_names_attr(group, "layer_names"):
        if layer_name not in group:
            continue
        layer_group = get_member(group, layer_name, "group")
        for weight_name in read_names_attr(layer_group, "weight_names"):
            total += declared_size(get_member(layer_group, weight_name, "dataset"))
    return total


def read_model_weights(group, model) -> None:
    """Load weights from a legacy `model_weights` group into `model`, by layer order.

    Every layer's arrays are checked and read before any is set, so a failure
    leaves the model as it was.
    """
    layers_with_weights = [layer for layer in model.layers if layer.weights]
    saved = []
    for layer_name in read_names_attr(group, "layer_names"):
        layer_group = get_member(group, layer_name, "group")
        weight_names = read_names_attr(layer_group, "weight_names")
        if weight_names:
            saved.append((layer_name, layer_group, weight_names))
    if len(saved) != len(layers_with_weights):
        raise ModelFileError(
            f"The file holds weights for {len(saved)} layers ({', '.join(n for n, _, _ in saved)}), but the model "
            f"has {len(layers_with_weights)} layers with weights ({', '.join(l.name for l in layers_with_weights)})."
        )
    values = []
    for layer, (saved_name, layer_group, weight_names) in zip(layers_with_weights, saved):
        if len(weight_names) != len(layer.weights):
            raise ModelFileError(
                f"Layer '{layer.name}' has {len(layer.weights)} weights, but the file holds {len(weight_names)} "
                f"for '{saved_name}'."
            )
        arrays = []
        for weight_name, key, weight in zip(weight_names, layer.weight_names, layer.weights):
            dataset = get_member(layer_group, weight_name, "dataset")
            arrays.append(read_array(dataset, weight.shape, f"Weight '{key}' of layer '{layer.name}'"))
        values.append(arrays)
    for layer, arrays in zip(layers_with_weights, values):
        layer.set_weights(arrays)


def read_optimizer_weights(f, model) -> None:
    """Restore the optimizer state saved with the model, if the file has it."""
    if "optimizer_weights" not in f:
        return
    group = get_member(f, "optimizer_weights", "group")
    optimizer = model.optimizer
    optimizer.build([w for layer in model.layers for w in layer.trainable_weights])
    expected = optimizer.variables
    names = read_names_attr(group, "weight_names")
    fixed = optimizer.fixed_variable_count
    rate = expected[1] if fixed == 2 else None  # the learning rate as stored: float32
    insert_at = keras_compat.align_optimizer_state(names, len(expected), rate)
    targets = list(expected)
    if insert_at is not None:
        del targets[insert_at]
    if len(names) not in (len(targets), fixed):
        # As Keras does: the model is fine, only the optimizer starts afresh (tf.keras 2, for
        # one, keeps unused momentum arrays for SGD without momentum).
        warnings.warn(
            f"The optimizer state was not restored: the file holds {len(names)} arrays, but optimizer "
            f"'{optimizer.name}' keeps {len(expected)} for this model. Training continues with a fresh optimizer "
            "state.",
            stacklevel=4,
        )
        return
    values = [
        read_array(get_member(group, name, "dataset"), target.shape, f"Optimizer state '{name}'")
        for name, target in zip(names, targets)
    ]
    if insert_at is not None and rate is not None:  # (an index comes only with a rate)
        values.insert(insert_at, rate)
    optimizer.set_weights(values)


def read_model(f, custom_objects=None, compile: bool = True):
    """Rebuild a model from an open legacy HDF5 file."""
    from minikeras.layers.base import weight_allocation_limit

    config = read_json_attr(f, "model_config")
    if config is None:
        raise ModelFileError("No model config found in the file (attribute 'model_config'); is it a weights-only file?")
    weights_group = get_member(f, "model_weights", "group") if "model_weights" in f else None
    budget = declared_weight_values(weights_group) if weights_group is not None else 0
    with weight_allocation_limit(budget):
        model = serialization.model_from_config(config, custom_objects)
    if weights_group is not None:
        read_model_weights(weights_group, model)
    training = read_json_attr(f, "training_config") if compile else None
    if training is not None:
        serialization.compile_or_warn(model, training, custom_objects)
        if model.compiled:
            read_optimizer_weights(f, model)
    return model
