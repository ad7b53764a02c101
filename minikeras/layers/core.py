"""Core layers: `InputLayer` / `Input`, `Dense`, `Flatten`, `Activation`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import activations, initializers, regularizers
from minikeras.layers.base import Layer, _as_shape, normalize_data_format
from minikeras.layers.input_spec import InputSpec

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


class InputLayer(Layer):
    """Declares the shape of the model's input; it has no weights and computes nothing.

    Args:
        shape: shape of one sample, without the batch axis, e.g. `(28, 28, 1)`.
        batch_size: optional fixed batch size.
        dtype: float type of the input (default `floatx()`).
        batch_shape: the full shape including the batch axis, instead of
            `shape` and `batch_size`.
        name: optional name.
    """

    splittable_inference = True

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: DTypeLike | None = None,
        batch_shape: Sequence[int | None] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("sparse", None)  # Keras's flag; minikeras inputs are always dense
        kwargs.pop("ragged", None)
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
            shape, batch_size = batch_shape[1:], batch_shape[0]
        if shape is None:
            raise ValueError(
                f"You must pass a `shape` argument. InputLayer '{self.name}' received shape=None, batch_shape=None."
            )
        self.batch_shape = (batch_size, *_as_shape(shape, "shape", self.name))
        self.built = True

    @property
    def shape(self) -> tuple:
        """The input shape with its batch axis, e.g. `(None, 28, 28, 1)`."""
        return self.batch_shape

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad

    def get_config(self) -> dict:
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False, "name": self.name}


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: DTypeLike | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    **kwargs: Any,
) -> InputLayer:
    """Declare a model input of `shape` (one sample, no batch axis).

    Example:
        >>> model = minikeras.Sequential([minikeras.Input(shape=(28, 28, 1)), ...])
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name, **kwargs)


class Dense(Layer):
    """Fully connected layer: `y = activation(x @ kernel + bias)`.

    Shapes: x `(batch, ..., in)`, kernel `(in, units)`, bias `(units,)`,
    y `(batch, ..., units)`; the product runs over the last axis of `x`.

    Backward, with g = dL/dz the gradient through the activation:
    `dL/dkernel = x^T g`, `dL/dbias = sum of g over the batch`,
    `dL/dx = g kernel^T`.

    Args:
        units: positive integer, the output size.
        activation: name or activation object (default None: linear).
        use_bias: whether to add a bias vector (default True).
        kernel_initializer: default "glorot_uniform".
        bias_initializer: default "zeros".

    Example:
        >>> layer = Dense(3, activation="relu")
        >>> layer(np.ones((2, 4))).shape
        (2, 3)
    """

    splittable_inference = True

    def __init__(
        self,
        units: int,
        activation: activations.ActivationLike = None,
        use_bias: bool = True,
        kernel_initializer: initializers.InitializerLike = "glorot_uniform",
        bias_initializer: initializers.InitializerLike = "zeros",
        kernel_regularizer: regularizers.RegularizerLike = None,
        bias_regularizer: regularizers.RegularizerLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**_pop_input_dim(kwargs))
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units!r} (layer '{self.name}')."
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: tuple) -> None:
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(
                f"The last axis of the input to Dense layer '{self.name}' must be known. Received: {input_shape}"
            )
        self.kernel = self._add_param(
            "kernel", (in_features, self.units), self.kernel_initializer, regularizer=self.kernel_regularizer
        )
        self.bias = (
            self._add_param("bias", (self.units,), self.bias_initializer, regularizer=self.bias_regularizer)
            if self.use_bias
            else None
        )
        # The kernel fixes the last axis only: (batch, in) and (batch, steps, in) both fit.
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_features})

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        z = x @ self.kernel
        if self.use_bias:
            z = z + self.bias
        y = self.activation(z)
        if training:
            self.save_for_backward({"x": x, "z": z, "y": y})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        x = cache["x"]
        grad_z = self.activation.gradient(grad, cache["z"], cache["y"])
        # Over every axis but the last, rows are samples (or positions within one): flatten them.
        x_rows = x.reshape(-1, x.shape[-1])
        grad_rows = grad_z.reshape(-1, self.units)
        self.grads["kernel"] = x_rows.T @ grad_rows
        if self.use_bias:
            self.grads["bias"] = grad_rows.sum(axis=0)
        return grad_z @ self.kernel.T

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


def _pop_input_dim(kwargs: dict) -> dict:
    """Keras accepts `input_dim=n` on Dense as shorthand for `input_shape=(n,)`."""
    input_dim = kwargs.pop("input_dim", None)
    if input_dim is not None and "input_shape" not in kwargs:
        kwargs["input_shape"] = (input_dim,)
    return kwargs


class Flatten(Layer):
    """Flattens each sample to one axis: `(batch, d1, d2, ...)` -> `(batch, d1 * d2 * ...)`.

    The order is row-major over the channels_last layout `(H, W, C)`, as in
    Keras, so a Dense layer after it sees the same feature order. With
    `data_format="channels_first"` the input `(batch, C, H, W)` is first
    transposed to `(batch, H, W, C)`, as Keras does.
    """

    splittable_inference = True

    min_ndim = 1  # as Keras: `(batch,)` flattens to `(batch, 1)`

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.name)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        dims = input_shape[1:]
        size = None if any(d is None for d in dims) else int(np.prod(dims, dtype=np.int64))
        return (input_shape[0], size)

    def _to_last(self, x):
        if self.data_format == "channels_first" and x.ndim > 2:
            return np.moveaxis(x, 1, -1)
        return x

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if training:
            self.save_for_backward({"shape": x.shape})
        x = self._to_last(x)
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self.saved_for_backward()["shape"]
        if self.data_format == "channels_first" and len(shape) > 2:
            last_shape = (shape[0], *shape[2:], shape[1])
            return np.moveaxis(grad.reshape(last_shape), -1, 1)
        return grad.reshape(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Activation(Layer):
    """Applies an activation function by name or object: `Activation("relu")`."""

    splittable_inference = True

    min_ndim = 1

    def __init__(self, activation: activations.ActivationLike, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = self.activation(x)
        if training:
            self.save_for_backward({"x": x if self.activation.uses_input else None, "y": y})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        return self.activation.gradient(grad, cache["x"], cache["y"])

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
