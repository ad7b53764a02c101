"""The `Layer` contract every minikeras layer follows.

A layer is a function with weights, run in two directions:

* `build(input_shape)` creates the weights from the shape of the first input
  (shape inference: nobody passes `in_channels`). Weights are made with
  `add_weight`, in the order Keras stores them.
* `forward(x, training=False) -> y` computes the output. Only when `training`
  is true does it keep what `backward` will need (`save_for_backward`); in
  inference it leaves nothing on the layer, so many threads may call
  `predict` or `layer(x)` on one model at once.
* `backward(grad) -> grad_x` receives `dL/dy`, stores the gradient of each
  trainable weight in `self.grads[name]` and returns `dL/dx`. After it,
  `self.grads[name]` holds dL/dw until the next `backward`: nothing else
  writes into it. A layer never changes its own weights: the optimizer does
  that, from the (param, grad) pairs of `param_grad_pairs()`.
* `compute_output_shape(input_shape)` says what `forward` will return without
  running it; `get_config()` returns every constructor argument by its Keras
  name, so `type(layer).from_config(layer.get_config())` makes a twin.
* `input_spec` (an `InputSpec`) says which inputs the layer accepts: its rank
  rules from the start, and, set by `build`, the axes its weights fix. Every
  other axis may change from call to call, as in Keras.

Shapes always include the batch axis, written `None` when unknown:
`(None, 28, 28, 1)`.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from minikeras import config as _config
from minikeras import initializers, regularizers
from minikeras.layers.input_spec import InputSpec
from minikeras.ops.backend import is_traced, value_of
from minikeras.utils.naming import to_snake_case, unique_name
from minikeras.variables import Variable

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike
    from typing_extensions import Self

# While a model file is loaded, the number of weight values its layers may still create:
# a config that claims more than the file holds is refused before anything is allocated.
_weight_budget: contextvars.ContextVar[list | None] = contextvars.ContextVar("weight_budget", default=None)


@contextlib.contextmanager
def weight_allocation_limit(max_values: int) -> Iterator[None]:
    """Within this block, layers may create at most `max_values` weight values in total."""
    token = _weight_budget.set([int(max_values)])
    try:
        yield
    finally:
        _weight_budget.reset(token)


class Layer:
    """Base class of all layers.

    Args:
        name: unique name; by default the snake-case class name with a counter
            (`dense`, `dense_1`, ...).
        trainable: whether the optimizer updates this layer's weights.
        dtype: float type of the weights and computation (default `floatx()`,
            "float32").
        input_shape: shape of one sample, without the batch axis; only
            meaningful on the first layer of a `Sequential` model.

    Subclasses set `input_ndim` (the rank they accept, batch axis included, or
    None for any rank >= `min_ndim`) and override `build`, `forward`,
    `backward`, `compute_output_shape` and `get_config`. The rank rules become
    the layer's `input_spec`; a `build` whose weights fix some axes replaces it
    with one that also lists those axes (Dense: `InputSpec(min_ndim=2,
    axes={-1: in_features})`), so later calls accept any other size elsewhere.

    A subclass whose `forward(x, training=False)` keeps nothing on `self` and
    treats each sample on its own may set `splittable_inference = True`: then
    `predict` may cut a large batch into slices run on several cores at once
    (see `minikeras.models.parallel`). The built-in layers all do; a subclass
    that overrides `forward` must set it again.
    """

    input_ndim: int | None = None
    min_ndim: int = 2
    splittable_inference: bool = False

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: DTypeLike | dict | None = None,
        input_shape: Sequence[int | None] | int | None = None,
        batch_input_shape: Sequence[int | None] | None = None,
        activity_regularizer: regularizers.RegularizerLike = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"Layer name must be a non-empty string without '/'. Received: name={name!r}")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.dtype = _config.standardize_dtype(dtype)
        self.built = False
        self.grads: dict[str, np.ndarray] = {}
        self._params: dict[str, np.ndarray] = {}
        self._variables: dict[str, Variable] = {}  # what add_weight handed to custom code, by weight name
        self._sublayers: dict[str, Layer] = {}  # layers this layer holds as attributes (see __setattr__)
        self._call_losses: list = []  # what the last call() added with add_loss
        self._trainable_params: dict[str, bool] = {}
        self._cache: dict | None = None
        self._lent_gradients: dict[str, np.ndarray] = {}
        self._build_input_shape: tuple | None = None
        # Before build: the class's rank rules only. `build` adds the axes the weights fix.
        self.input_spec: InputSpec | None = (
            InputSpec(ndim=self.input_ndim) if self.input_ndim is not None else InputSpec(min_ndim=self.min_ndim)
        )
        self._build_lock = threading.Lock()
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._input_shape_arg = None if input_shape is None else _as_shape(input_shape, "input_shape", self.name)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._regularizers: dict[str, regularizers.Regularizer] = {}

    # ----------------------------------------------------------------- weights
    def add_weight(self, *args: Any, **kwargs: Any) -> Variable:
        """Create a weight, register it and return it as a `Variable` (Keras's API for custom code).

        Keras's signature: `add_weight(shape=None, initializer=None, dtype=None, trainable=True,
        autocast=True, regularizer=None, constraint=None, aggregation="none",
        overwrite_with_gradient=False, name=None)`. minikeras's older order, with the name first,
        `add_weight(name, shape, initializer="glorot_uniform", trainable=True, dtype=None,
        regularizer=None)`, is read too (a string first argument says which).

        The variable shares its array with the layer: the optimizer's updates show in it and
        `assign` changes what the layer computes with. Weights are returned by `get_weights()` in
        the order they were added; a `regularizer`'s penalty is added to the training loss.
        `autocast`, `aggregation` and `overwrite_with_gradient` change nothing here (one device,
        one dtype); a `constraint` is refused, as minikeras does not apply constraints.
        """
        legacy = bool(args) and isinstance(args[0], str)
        bound = (_LEGACY_ADD_WEIGHT if legacy else _KERAS_ADD_WEIGHT).bind(*args, **kwargs).arguments
        if bound.get("constraint") is not None:
            raise ValueError(
                f"Layer '{self.name}': minikeras does not apply weight constraints. "
                f"Received: constraint={bound['constraint']!r}"
            )
        if bound.get("shape") is None:
            bound["shape"] = ()
        name = bound.get("name") or _unused_name(self._params, "variable")
        trainable = bool(bound.get("trainable", True))
        self._add_param(
            name,
            bound["shape"],
            bound.get("initializer") or ("glorot_uniform" if legacy else _default_initializer(bound.get("dtype"))),
            trainable=trainable,
            dtype=bound.get("dtype"),
            regularizer=bound.get("regularizer"),
        )
        variable = Variable(self._params[name], name=name, trainable=trainable, path=f"{self.name}/{name}")
        self._variables[name] = variable
        return variable

    def add_variable(self, *args: Any, **kwargs: Any) -> Variable:
        """Keras's other name for `add_weight` (its state variables default to non-trainable in metrics)."""
        return self.add_weight(*args, **kwargs)

    def _add_param(
        self,
        name: str,
        shape: Sequence[int],
        initializer: initializers.InitializerLike = "glorot_uniform",
        trainable: bool = True,
        dtype: DTypeLike | None = None,
        regularizer: regularizers.RegularizerLike = None,
    ) -> np.ndarray:
        """Create a weight of `shape`, register it under `name` and return the array itself
        (what the built-in layers compute with).

        Weights are returned by `get_weights()` in the order they were added. A
        `regularizer`'s penalty on this weight is added to the training loss.
        """
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        if name in self._params:
            raise ValueError(f"Layer '{self.name}' already has a weight named '{name}'.")
        shape = tuple(shape)
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
            raise ValueError(
                f"Layer '{self.name}': weight '{name}' needs a shape of non-negative integers. Received: {shape}"
            )
        budget = _weight_budget.get()
        if budget is not None:
            size = math.prod(shape)
            if size > budget[0]:
                raise ValueError(
                    f"Layer '{self.name}' would create weight '{name}' of shape {shape} ({size} values), "
                    f"more than the {budget[0]} values the file being loaded holds."
                )
            budget[0] -= size
        # None means Keras's default for a float weight.
        value = initializers.get(initializer or "glorot_uniform")(shape, dtype=dtype or self.dtype)
        value = np.ascontiguousarray(value, dtype=dtype or self.dtype).reshape(shape)  # (0-d stays 0-d)
        self._params[name] = value
        self._trainable_params[name] = bool(trainable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularizers[name] = regularizer
        return value

    # Weights of the layer and of the layers it holds (a custom layer made of layers, as in Keras's guide):
    # each entry is (owning layer, weight name, array), the layer's own first, then each sublayer's in turn.
    def _weight_entries(self, trainable_only: bool = False) -> list[tuple[Layer, str, np.ndarray]]:
        if trainable_only and not self.trainable:
            return []
        entries = [
            (self, key, value)
            for key, value in self._params.items()
            if not trainable_only or self._trainable_params[key]
        ]
        for sublayer in self._sublayers.values():
            entries.extend(sublayer._weight_entries(trainable_only))
        return entries

    def regularization_penalty(self) -> float:
        """Sum of the weight regularizers' penalties (what Keras's `layer.losses` holds for weights)."""
        own = sum(regularizer(self._params[name]) for name, regularizer in self._regularizers.items())
        return float(own + sum(sublayer.regularization_penalty() for sublayer in self._sublayers.values()))

    def add_regularization_gradients(self, loss_scale: float | None = None) -> None:
        """Add each weight regularizer's gradient to the gradient `backward` stored for that weight
        (multiplied by `loss_scale`, the optimizer's `loss_scale_factor`, when the loss is scaled)."""
        for name, regularizer in self._regularizers.items():
            if name in self.grads:
                gradient = regularizer.gradient(self._params[name])
                if loss_scale is not None:
                    gradient = gradient * loss_scale
                self.grads[name] = self.grads[name] + gradient
        for sublayer in self._sublayers.values():
            sublayer.add_regularization_gradients(loss_scale)

    def _has_regularizers(self) -> bool:
        return bool(self._regularizers) or any(sub._has_regularizers() for sub in self._sublayers.values())

    @property
    def weights(self) -> list[np.ndarray]:
        """The layer's weight arrays themselves (not copies), in Keras's order; then those of the layers it holds."""
        if not self._sublayers:
            return list(self._params.values())
        return [value for _, _, value in self._weight_entries()]

    @property
    def weight_names(self) -> list[str]:
        """The names of the weights, in the order of `weights` (`"<sublayer>/<name>"` for a held layer's)."""
        if not self._sublayers:
            return list(self._params)
        return [key if owner is self else f"{owner.name}/{key}" for owner, key, _ in self._weight_entries()]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """The weights the optimizer updates (none when `trainable` is False)."""
        return [value for _, _, value in self._weight_entries(trainable_only=True)]

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        """The weights the optimizer leaves alone."""
        trainable = {id(w) for w in self.trainable_weights}
        return [value for value in self.weights if id(value) not in trainable]

    def get_weights(self) -> list[np.ndarray]:
        """Return copies of the weights, in Keras's order (Dense: kernel, bias)."""
        return [value.copy() for value in self.weights]

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        """Copy `weights` (a list in `get_weights()` order) into the layer.

        Every shape is checked before anything is written, so a refused call
        leaves the layer unchanged. Values are copied into the existing arrays,
        which keeps the optimizer's per-weight state attached to them.
        """
        weights = list(weights)
        names, current_weights = self.weight_names, self.weights
        if len(weights) != len(current_weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(current_weights)} weights "
                f"({', '.join(names) or 'none'})."
            )
        arrays = []
        for key, current, new in zip(names, current_weights, weights):
            new = np.asarray(new)
            if new.shape != current.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{key}' has shape {current.shape}, "
                    f"but the value given has shape {new.shape}."
                )
            arrays.append(new)
        for current, new in zip(current_weights, arrays):
            current[...] = new

    def count_params(self) -> int:
        """Return the number of scalars in all weights."""
        return int(sum(value.size for value in self.weights))

    def param_grad_pairs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return `(weight, gradient)` pairs of the trainable weights after `backward`."""
        if not self.trainable:
            return []
        pairs = [
            (value, self.grads[key])
            for key, value in self._params.items()
            if self._trainable_params[key] and key in self.grads
        ]
        for sublayer in self._sublayers.values():
            pairs.extend(sublayer.param_grad_pairs())
        return pairs

    def __setattr__(self, name: str, value: Any) -> None:
        # A layer held by a layer (`self.dense = Dense(4)`, or a list of them) is tracked, as Keras does:
        # its weights count among this layer's.
        if not name.startswith("_") and "_sublayers" in self.__dict__:
            held = [value] if isinstance(value, Layer) else list(value) if isinstance(value, (list, tuple)) else []
            layers_held = [item for item in held if isinstance(item, Layer) and item is not self]
            single = isinstance(value, Layer)
            for index, layer in enumerate(layers_held):
                self._sublayers[name if single else f"{name}.{index}"] = layer
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shapes
    def build(self, input_shape: tuple) -> None:
        """Create the weights for inputs of `input_shape` (batch axis included)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Return the output shape for `input_shape`.

        Identity by default. A layer defined by Keras's `call` (and no `forward`) that does not say
        its output shape is run once on zeros of that shape (unknown sizes taken as 1) to find it,
        as Keras infers it by running `call` symbolically.
        """
        if self._defines_call() and self.built:
            probe = np.zeros([1 if d is None else d for d in input_shape], dtype=self.dtype)
            output = np.shape(self._run_call(probe, training=False))
            return (input_shape[0], *output[1:]) if output else output
        return tuple(input_shape)

    def build_for(self, input_shape: Sequence[int | None]) -> None:
        """Build the layer for `input_shape` once; later calls only check the shape.

        Safe to call from several threads: the weights are made exactly once. Raises
        before anything changes when the input does not fit (`check_input_shape`).
        """
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
        if not self.built:
            self._assert_input_spec(input_shape)  # rank rules, before any weight exists
            with self._build_lock:
                if not self.built:
                    self.build(input_shape)
                    self._build_input_shape = input_shape
                    self.built = True
        self.check_input_shape(input_shape)

    def check_input_shape(self, input_shape: Sequence[int | None]) -> None:
        """Raise a ValueError naming the layer when an input of `input_shape` does not fit it.

        Checks `input_spec` (rank rules and the axes the weights fix; the message starts as
        Keras's: `Input 0 of layer 'dense' is incompatible with the layer: ...`), then, once
        the layer is built, whether `compute_output_shape` accepts the shape (a window larger
        than the padded input, a reshape to a different size). Changes nothing.
        """
        input_shape = tuple(input_shape)
        self._assert_input_spec(input_shape)
        if self.built:
            self.compute_output_shape(input_shape)

    def _assert_input_spec(self, input_shape: tuple) -> None:
        if self.input_spec is not None:
            self.input_spec.assert_compatible(input_shape, self.name)

    # ----------------------------------------------------------------- compute
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Compute the output for `x`; keep what `backward` needs only if `training`.

        A layer written as Keras's are, with only `call(inputs)` (optionally `training`), runs it
        here; in training the call is traced by autograd (`minikeras.autodiff`), so `backward` is
        its vector-Jacobian product.
        """
        if not self._defines_call():
            raise NotImplementedError(f"{type(self).__name__} must implement forward() (or Keras's call()).")
        if not training:
            self._call_losses = []
            return np.asarray(self._run_call(x, training=False))
        from minikeras import autodiff

        y, vjp = autodiff.traced_call(self, x, lambda inputs: self._run_call(inputs, training=True))
        self.save_for_backward({"vjp": vjp})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Given dL/dy, store the weight gradients in `self.grads` and return dL/dx."""
        if not self._defines_call():
            raise NotImplementedError(f"{type(self).__name__} must implement backward().")
        grad_x, weight_grads = self.saved_for_backward()["vjp"](grad)
        for (owner, name), value in weight_grads.items():
            out = owner.gradient_out(name)
            if out is not None:
                out[...] = value
                value = out
            owner.grads[name] = value
        return grad_x

    def add_loss(self, loss: Any) -> None:
        """Add a scalar to the training loss from inside `call` (Keras's `add_loss`), e.g. an activity
        penalty: it is added to the model's loss for this batch, and trained on through the trace."""
        self._call_losses.append(loss)

    @property
    def losses(self) -> list[float]:
        """The losses the last `call` added (`add_loss`) and the current weight penalties."""
        added = [float(np.asarray(value_of(value))) for value in self._call_losses]
        return added + [float(regularizer(self._params[n])) for n, regularizer in self._regularizers.items()]

    def _defines_call(self) -> bool:
        """Whether this layer is written as Keras's: a `call` method instead of `forward`."""
        return callable(getattr(self, "call", None)) and type(self).forward is Layer.forward

    def _run_call(self, x: Any, training: bool) -> Any:
        """`self.call(x)`, passing `training` if `call` takes it (Keras passes it only then)."""
        call = self.call  # type: ignore[attr-defined]
        parameters = _call_parameters(type(self))
        if "training" in parameters:
            return call(x, training=training)
        return call(x)

    def lend_gradient_arrays(self, arrays: dict[str, np.ndarray] | None) -> None:
        """Give the layer arrays where `backward` may write its weights' gradients, or take them back.

        The training loop calls this on the fast path with, for each trainable weight, a
        view of the optimizer's flat gradient buffer: a gradient written there is read by the
        update without a copy. `None` takes the arrays back (when `fit` or `train_on_batch`
        ends). A layer does not have to use them: see `gradient_out`.

        Args:
            arrays: `{weight name: array shaped like the weight}`, or None.
        """
        self._lent_gradients = dict(arrays or {})

    def gradient_out(self, name: str) -> np.ndarray | None:
        """The array lent for the gradient of weight `name`, or None (see `lend_gradient_arrays`).

        Optional: a `backward` may write a weight's gradient into it with `out=`, e.g.
        `self.grads["kernel"] = np.matmul(x.T, g, out=self.gradient_out("kernel"))`, and must
        still store the result in `self.grads`. Ignoring it costs one copy per step, nothing else.
        """
        return self._lent_gradients.get(name)

    def save_for_backward(self, values: dict) -> None:
        """Keep `values` (arrays by name) for the next `backward`.

        Call it from `forward` only when `training` is true: in inference a layer keeps
        nothing on itself, so many threads can predict with one model at once.
        """
        self._cache = values

    def saved_for_backward(self) -> dict:
        """Return, and let go of, what the last training-mode `forward` kept with `save_for_backward`."""
        cache = self._cache
        if cache is None:
            raise RuntimeError(f"Layer '{self.name}': backward() needs a preceding forward(x, training=True).")
        self._cache = None
        return cache

    def __call__(self, x: ArrayLike, training: bool | None = None) -> np.ndarray:
        """Build the layer from `x`'s shape if needed, then return `forward(x, training)`.

        `training=None` means inference, except inside a custom layer's `call` traced for a training
        step, where a layer called without `training` trains too, as Keras passes the mode down.
        """
        if is_traced(x):
            # Called inside a custom layer's call() that is being traced: join that trace.
            in_training = True if training is None else bool(training)
            self.build_for(np.shape(x))
            if self._defines_call():
                return self._run_call(x, training=in_training)
            return _autodiff().explicit_layer(self, x, in_training)
        training = bool(training)
        x = np.asarray(x)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        self.build_for(x.shape)
        return self.forward(x, training=training)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Return the constructor arguments under Keras's names."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = (None, *self._input_shape_arg)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Self:
        """Create a layer from the output of `get_config()`."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _as_shape(shape, argument: str, owner: str) -> tuple:
    """Validate a per-sample shape given by a user: a tuple of positive ints or None."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{argument} of '{owner}' must be a tuple of ints. Received: {argument}={shape!r}") from None
    for dim in shape:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim <= 0):
            raise ValueError(
                f"{argument} of '{owner}' must contain positive integers or None. Received: {argument}={shape!r}"
            )
    return tuple(None if d is None else int(d) for d in shape)


@overload
def normalize_tuple(
    value: Any, n: Literal[2], argument: str, layer_name: str, allow_zero: bool = False
) -> tuple[int, int]: ...
@overload
def normalize_tuple(
    value: Any, n: int, argument: str, layer_name: str, allow_zero: bool = False
) -> tuple[int, ...]: ...
def normalize_tuple(value: Any, n: int, argument: str, layer_name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """Turn an int or an n-tuple into an n-tuple of positive ints, or raise naming the layer."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v for v in value)
        except TypeError:
            values = ()
    low = 0 if allow_zero else 1
    if len(values) != n or not all(isinstance(v, int) and v >= low for v in values):
        relation = "value >= 0" if allow_zero else "value > 0"
        raise ValueError(
            f"The `{argument}` argument must be a tuple of {n} integers. Received {argument}={value!r}, "
            f"including values that do not satisfy `{relation}` (layer '{layer_name}'; an integer "
            f"stands for {n} equal values)."
        )
    return values


def normalize_border(value: Any, argument: str, layer_name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """An amount added or removed at the image borders (`ZeroPadding2D`'s `padding`, `Cropping2D`'s
    `cropping`): an int, a pair `(rows, cols)` or a pair of pairs `((top, bottom), (left, right))`, as
    `((top, bottom), (left, right))`; or raise naming the layer."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        rows = cols = (int(value), int(value))
    else:
        try:
            if isinstance(value, str):
                raise TypeError
            rows, cols = value
        except (TypeError, ValueError):
            raise ValueError(
                f"`{argument}` should have two elements. Received: {argument}={value!r}. The {argument} of layer "
                f"'{layer_name}' is an int, a pair (rows, cols) or a pair of pairs ((top, bottom), (left, right))."
            ) from None
    return (
        normalize_tuple(rows, 2, argument, layer_name, allow_zero=True),
        normalize_tuple(cols, 2, argument, layer_name, allow_zero=True),
    )


def normalize_padding(value: str, layer_name: str) -> str:
    """Return "valid" or "same" (case-insensitive), or raise naming the layer."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same"):
        raise ValueError(
            f"The `padding` argument must be one of {{'valid', 'same'}}. Received: {value!r} (layer '{layer_name}')."
        )
    return padding


def normalize_data_format(value: str | None, layer_name: str) -> str:
    """Return "channels_last" (default) or "channels_first", or raise naming the layer."""
    data_format = "channels_last" if value is None else str(value).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={value!r} (layer '{layer_name}')."
        )
    return data_format


def is_last_axis_softmax(activation: object) -> bool:
    """Whether `activation` (an activations.Activation) is a softmax over the last axis."""
    return getattr(activation, "name", None) == "softmax" and getattr(activation, "axis", None) == -1


# `add_weight`'s two argument orders: Keras 3's, and minikeras's older one with the name first.
def _keras_add_weight(
    shape=None,
    initializer=None,
    dtype=None,
    trainable=True,
    autocast=True,
    regularizer=None,
    constraint=None,
    aggregation="none",
    overwrite_with_gradient=False,
    name=None,
): ...


def _legacy_add_weight(name, shape, initializer="glorot_uniform", trainable=True, dtype=None, regularizer=None): ...


_KERAS_ADD_WEIGHT = inspect.signature(_keras_add_weight)
_LEGACY_ADD_WEIGHT = inspect.signature(_legacy_add_weight)


def _default_initializer(dtype: Any) -> str:
    """Keras's default initializer when none is given: glorot_uniform for floats, zeros otherwise."""
    return "glorot_uniform" if dtype is None or np.dtype(_config.standardize_dtype(dtype)).kind == "f" else "zeros"


def _unused_name(taken: dict, base: str) -> str:
    """`base`, `base_1`, ... : the first not in `taken`."""
    name, count = base, 0
    while name in taken:
        count += 1
        name = f"{base}_{count}"
    return name


def _call_parameters(cls: type) -> tuple[str, ...]:
    """The parameter names of `cls.call` (cached on the class: `forward` asks at every step)."""
    cached = cls.__dict__.get("_minikeras_call_parameters")
    if cached is None:
        cached = tuple(inspect.signature(cls.call).parameters)  # type: ignore[attr-defined]
        cls._minikeras_call_parameters = cached  # type: ignore[attr-defined]
    return cached


def _autodiff() -> Any:
    from minikeras import autodiff

    return autodiff
