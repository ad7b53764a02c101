"""`Sequential`: a model that is a list of layers, run forward then backward."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import config
from minikeras import layers as layers_module
from minikeras.fast import plan as fast_plan
from minikeras.layers.base import Layer
from minikeras.layers.core import InputLayer
from minikeras.models import data as data_utils
from minikeras.models.summary import summary_lines
from minikeras.models.trainer import Trainer
from minikeras.saving import registry
from minikeras.utils.naming import unique_name

if TYPE_CHECKING:
    import os

    from numpy.typing import ArrayLike
    from typing_extensions import Self


class Sequential(Trainer):
    """A stack of layers, each feeding the next.

    The input shape comes from a leading `minikeras.Input(shape)`, from
    `input_shape=` on the first layer, or, failing both, from the first data
    the model sees; every layer's weights are then made from the shape of
    what reaches it.

    Args:
        layers: list of layers (an `Input` may come first).
        name: model name (default "sequential", "sequential_1", ...).
        trainable: whether fit updates the weights.

    Example:
        >>> model = Sequential([Input(shape=(4,)), layers.Dense(3, activation="softmax")])
        >>> model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, layers: Sequence[Layer] | None = None, trainable: bool = True, name: str | None = None) -> None:
        self.name = name or unique_name("sequential")
        self._layers: list[Layer | Sequential] = []
        self._trainable = bool(trainable)
        self._input_layer: InputLayer | None = None
        self.built = False
        self._build_lock = threading.Lock()
        self._train_steps: list = []  # the steps of the last training forward, for backward
        self._train_fast = False  # whether those are fast steps (`minikeras.fast.plan`)
        self._train_leaves: list[Layer] = []  # the layers those steps run (`_leaf_layers`)
        self._init_trainer()
        for layer in layers or []:
            self.add(layer)

    @property
    def trainable(self) -> bool:
        """Whether fit updates the weights. Setting it sets every layer's `trainable`, as in
        Keras (a frozen BatchNormalization then also runs with its moving statistics)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = self._trainable

    # ------------------------------------------------------------ layer list
    @property
    def layers(self) -> list[Layer | Sequential]:
        """The model's layers in order (the Input is not one of them, as in Keras); a nested
        Sequential model is one entry."""
        return list(self._layers)

    @layers.setter
    def layers(self, value: object) -> None:
        raise AttributeError(
            "`Sequential.layers` attribute is reserved and should not be used. "
            "Use `add()` and `pop()` to change the layers in this model."
        )

    def _leaf_layers(self) -> list[Layer]:
        """The layers that compute, in order: each nested Sequential model replaced by its own layers.

        Training, inference and the optimizer work on this flat list, so a model used as a layer
        costs nothing more than its layers written out in place.
        """
        leaves: list[Layer] = []
        for layer in self._layers:
            leaves.extend(layer._leaf_layers() if isinstance(layer, Sequential) else [layer])
        return leaves

    def add(self, layer: Layer | Sequential) -> None:
        """Append a layer, or a whole Sequential model used as one layer (or set the input with a
        `minikeras.Input`)."""
        if isinstance(layer, InputLayer):
            if self._input_layer is not None:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input shape "
                    f"{self._input_layer.batch_shape}. You cannot add a different Input layer to it."
                )
            if self._layers:
                raise ValueError(f"An Input can only be the first entry of Sequential model '{self.name}'.")
            self._input_layer = layer
            return
        if not isinstance(layer, (Layer, Sequential)):
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer)}) in model '{self.name}'."
            )
        if layer is self:
            raise ValueError(f"Sequential model '{self.name}' cannot be added to itself.")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(
                "All layers added to a Sequential model should have unique names. "
                f"Name '{layer.name}' is already the name of a layer in model '{self.name}'. "
                "Update the `name` argument to pass a unique name."
            )
        if not self._layers and self._input_layer is None:
            if isinstance(layer, Sequential):  # the inner model's declared input becomes this model's
                if layer.input_shape is not None:
                    self._input_layer = InputLayer(batch_shape=layer.input_shape, dtype=layer.input_dtype)
            elif layer._input_shape_arg is not None:
                self._input_layer = InputLayer(shape=layer._input_shape_arg, dtype=layer.dtype)
        self._layers.append(layer)
        self.built = False
        if self.input_shape is not None:
            self.build(self.input_shape)

    def pop(self) -> Layer | Sequential:
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError(f"There are no layers in Sequential model '{self.name}' to pop.")
        layer = self._layers.pop()
        self.built = bool(self._layers) and all(l.built for l in self._layers)
        return layer

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer | Sequential:
        """Return a layer by name or by index."""
        if index is not None:
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model '{self.name}' only has "
                    f"{len(self._layers)} layers."
                )
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[l.name for l in self._layers]} (model '{self.name}')."
        )

    # ------------------------------------------------------------------ shapes
    @property
    def input_shape(self) -> tuple | None:
        """Shape of the model's input with its batch axis, or None while unknown."""
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self) -> tuple:
        if self.input_shape is None:
            raise ValueError(f"Model '{self.name}' has no known input shape yet; call build() or pass data.")
        return self.compute_output_shape(self.input_shape)

    @property
    def input_dtype(self) -> str:
        if self._input_layer is not None:
            return self._input_layer.dtype
        return self._layers[0].dtype if self._layers else "float32"

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Make every layer's weights for inputs of `input_shape` (batch axis included)."""
        if input_shape is None:
            input_shape = self.input_shape
        if input_shape is None:
            raise ValueError(f"Model '{self.name}' needs an input shape to build: build((None, ...)) or pass data.")
        input_shape = tuple(input_shape)
        with self._build_lock:
            if self._input_layer is None:
                self._input_layer = InputLayer(batch_shape=(None, *input_shape[1:]), dtype=self.input_dtype)
            shape = input_shape
            for layer in self._layers:
                layer.build_for(shape)
                shape = layer.compute_output_shape(shape)
            self.built = True

    def build_for(self, input_shape: Sequence[int | None]) -> None:
        """Build this model as a layer of another one, for inputs of `input_shape`; once built,
        only check the shape (the `Layer.build_for` contract)."""
        input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
        else:
            self.check_input_shape(input_shape)

    def _prepare_input(self, x, cast: bool = True) -> np.ndarray:
        """Check `x` against the model's input, building the model from it if needed.

        With `cast`, `x` is also converted to the model's dtype (for one batch); the
        batch loops pass `cast=False` and convert each batch, so a big float64 or
        integer array is never copied whole.
        """
        x = data_utils.as_input_array(x)
        if not self._layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers; add some before using it.")
        if not self.built:
            self.build(self.input_shape or (None, *x.shape[1:]))
        self.check_input_shape(x.shape)
        return x.astype(self.input_dtype, copy=False) if cast else x

    def check_input_shape(self, input_shape: Sequence[int | None]) -> None:
        """Raise the first layer's error if an input of `input_shape` does not fit the layers (the `Layer`
        contract). As in Keras, what is fixed is what the weights fix (a Dense's last axis, a Conv2D's
        channels), not the shape the model was built for: a model built on 28x28 images runs on 32x32 ones."""
        shape = tuple(input_shape)
        for layer in self._layers:
            layer.check_input_shape(shape)
            shape = layer.compute_output_shape(shape)

    # ----------------------------------------------------------------- compute
    def _forward(self, x: np.ndarray, training: bool, activity: dict | None = None) -> np.ndarray:
        """Run every layer. With `activity` (a dict), the outputs of layers that have an
        activity regularizer are kept in it by layer index, for the penalty and its gradient.

        On the reference path each layer runs its own `forward`. On the fast path
        (`minikeras.config.fast_paths`) the steps come from `minikeras.fast.plan`: the same
        numbers with less memory traffic (a Conv2D and the 2x2 max pooling after it as one step).
        """
        fast = config.fast_paths_enabled()
        leaves = self._leaf_layers()
        steps: list[tuple[int, Any]] = fast_plan.plan(leaves, training) if fast else list(enumerate(leaves))
        if training:  # for the backward pass that follows
            self._train_steps, self._train_fast, self._train_leaves = steps, fast, leaves
        for index, step in steps:
            x = step.forward(x, training=training)
            if activity is not None and leaves[index].activity_regularizer is not None:
                activity[index] = x
        return x

    def _backward(
        self,
        grad: np.ndarray,
        activity: dict | None = None,
        from_logits: bool = False,
        input_gradient: bool = False,
        loss_scale: float | None = None,
    ) -> np.ndarray | None:
        """Backpropagate dL/d(output), or with `from_logits` dL/d(the last layer's softmax input),
        through the steps of the last training forward; return dL/d(input) if `input_gradient`
        (a model used as a layer needs it), else None. With `loss_scale` (the optimizer's
        `loss_scale_factor`, by which `grad` was multiplied), the activity penalties' gradients are
        multiplied by it too: the whole loss is scaled."""
        steps = self._train_steps
        last = len(self._train_leaves) - 1
        for position in range(len(steps) - 1, -1, -1):
            index, step = steps[position]
            if not self._train_fast:  # the reference path: each layer's own backward
                if activity and index in activity:
                    grad = grad + self._activity_gradient(index, activity[index], loss_scale)
                grad = step.backward(grad)
                continue
            # The first step's input is the data: its gradient is rarely needed, and it is the
            # most expensive one to compute (col2im over the full-size input).
            wanted = position > 0 or input_gradient
            if from_logits and index == last:
                grad = step.backward_from_logits(grad, input_gradient=wanted)
                continue
            if activity and index in activity:
                grad = grad + self._activity_gradient(index, activity[index], loss_scale)
            grad = step.backward(grad, input_gradient=wanted)
        return grad if input_gradient else None

    def _activity_gradient(self, index: int, output: np.ndarray, loss_scale: float | None = None) -> np.ndarray:
        """The gradient of layer `index`'s activity penalty at its `output`, divided by the batch as Keras 3
        (and multiplied by `loss_scale`, if given)."""
        regularizer = self._train_leaves[index].activity_regularizer
        assert regularizer is not None  # only layers with one are in `activity`
        gradient = regularizer.gradient(output) / len(output)
        return gradient if loss_scale is None else gradient * loss_scale

    def _ends_in_softmax(self) -> bool:
        """Whether the last training forward's last step can take the gradient at its softmax's
        input (fast path only; no activity penalty on the last layer)."""
        leaves = self._train_leaves
        if not self._train_fast or leaves[-1].activity_regularizer is not None:
            return False
        index, step = self._train_steps[-1]
        return index == len(leaves) - 1 and fast_plan.ends_in_softmax(step)

    def _regularization_penalty(self, activity: dict | None = None) -> float:
        """Weight penalties of every layer plus the activity penalties of this batch."""
        leaves = self._leaf_layers()
        penalty = sum(layer.regularization_penalty() for layer in leaves if layer._has_regularizers())
        for index, output in (activity or {}).items():
            penalty += leaves[index].activity_regularizer(output) / len(output)
        return float(penalty)

    @property
    def losses(self) -> list[float]:
        """The current weight-regularization penalties, one per regularized weight (Keras's `model.losses`)."""
        return [
            regularizer(layer._params[name])
            for layer in self._leaf_layers()
            for name, regularizer in layer._regularizers.items()
        ]

    def _param_grad_pairs(self) -> list:
        return [pair for layer in self._leaf_layers() for pair in layer.param_grad_pairs()] if self.trainable else []

    def __call__(self, x: ArrayLike, training: bool = False) -> np.ndarray:
        """Run the model on one batch `x` and return its outputs."""
        return self._forward(self._prepare_input(x), training=training)

    # ----------------------------------------------------------------- weights
    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        return [w for layer in self._layers for w in layer.trainable_weights] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all weights, layer by layer, each layer in Keras's order."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Set all weights from a list in `get_weights()` order; checked fully before any is written."""
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {expected} weights."
            )
        chunks, start = [], 0
        for layer in self._layers:
            count = len(layer.weights)
            chunk = weights[start : start + count]
            for current, new in zip(layer.weights, chunk):
                if np.shape(new) != current.shape:
                    raise ValueError(
                        f"Layer '{layer.name}' expects a weight of shape {current.shape}, but received {np.shape(new)}."
                    )
            chunks.append(chunk)
            start += count
        for layer, chunk in zip(self._layers, chunks):
            layer.set_weights(chunk)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                "You can build it manually via: `layer.build(input_shape)`."
            )
        return sum(layer.count_params() for layer in self._layers)

    # ------------------------------------------------ as a layer of another model
    # A Sequential model added to another one is one entry of its `layers`, saved as Keras saves
    # it (a nested config, a nested weights group); the outer model computes with its layers
    # written out in place (`_leaf_layers`), so only direct calls use `forward` / `backward`.
    activity_regularizer = None

    @property
    def weight_names(self) -> list[str]:
        """`"<layer name>/<weight name>"` for every weight, in `weights` order."""
        return [f"{layer.name}/{name}" for layer in self._leaf_layers() for name in layer.weight_names]

    @property
    def dtype(self) -> str:
        return self.input_dtype

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Run the layers on `x` (the `Layer` contract; `__call__` also checks and builds)."""
        return self._forward(x, training=training)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Backpropagate through the last training `forward`; return dL/d(input)."""
        result = self._backward(grad, input_gradient=True)
        assert result is not None  # asked for
        return result

    # ------------------------------------------------------------------ saving
    def save(self, filepath: str | os.PathLike[str], overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save the whole model to `filepath` (`.h5`); see `minikeras.saving.save_model`."""
        from minikeras.saving import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Save weights and optimizer state to a `.weights.h5` file; see `minikeras.saving.save_weights`."""
        from minikeras.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str | os.PathLike[str], skip_mismatch: bool = False) -> None:
        """Load weights (matched by layer order) and, if saved, the optimizer state."""
        from minikeras.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def __reduce__(self) -> tuple:
        """Pickle (and `copy.deepcopy`) a model through its `.keras` bytes, as Keras does: the copy has
        the same architecture, weights, compile settings and optimizer state, and shares nothing."""
        from minikeras.saving import keras_zip

        return (keras_zip.model_from_bytes, (keras_zip.model_to_bytes(self),))

    # ----------------------------------------------------------------- summary
    def summary(
        self,
        line_length: int | None = None,
        positions: Sequence[float] | None = None,
        print_fn: Callable[[str], Any] | None = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Sequence[str] | None = None,
    ) -> None:
        """Print a table of the layers, their output shapes and parameter counts.

        Args:
            line_length: total width of the table.
            print_fn: function called with the text (default `print`).
            show_trainable: add a column saying whether each layer trains.
        """
        text = "\n".join(summary_lines(self, line_length=line_length, show_trainable=show_trainable))
        (print_fn or print)(text)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Keras's Sequential config: name and the layer list (the input first, as an InputLayer)."""
        entries = []
        if self._input_layer is not None:
            entries.append(_serialize_layer(self._input_layer))
        entries.extend(_serialize_layer(layer) for layer in self._layers)
        config = {"name": self.name, "trainable": self.trainable, "layers": entries}
        if self.input_shape is not None:
            config["build_input_shape"] = self.input_shape
        return config

    def to_json(self, **kwargs: Any) -> str:
        """Return the model's config as Keras's JSON (`minikeras.models.model_from_json` reads it back).

        Args:
            **kwargs: passed to `json.dumps` (`indent=2`, `sort_keys=True`...).
        """
        from minikeras.saving.serialization_lib import model_to_json

        return model_to_json(self, **kwargs)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict[str, Any] | None = None) -> Self:
        """Rebuild a model (architecture only) from `get_config()` output."""
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config.get("layers", []):
            model.add(deserialize_layer(entry, custom_objects))
        if not model.built and config.get("build_input_shape") is not None:
            model.build(config["build_input_shape"])
        return model


def _serialize_layer(layer: Layer | Sequential) -> dict:
    if type(layer) is Sequential:  # a nested model: Keras writes it from its top-level module
        return registry.serialize(layer, "keras")
    return registry.serialize(layer, "keras.layers")


def deserialize_layer(entry: dict, custom_objects: dict[str, Any] | None = None) -> Layer | Sequential:
    """Create a layer from `{"class_name", "config"}`, only from known or registered classes
    (or a nested Sequential model, from its own config)."""
    if isinstance(entry, dict) and entry.get("class_name") == "Sequential" and isinstance(entry.get("config"), dict):
        return Sequential.from_config(entry["config"], custom_objects=custom_objects)
    return registry.resolve(entry, layers_module.ALL_LAYERS, "layer", Layer, custom_objects)
