"""Activation functions by name, each with its derivative.

An activation is an object with two methods:

* `__call__(x) -> y`, elementwise (softmax: along the last axis);
* `gradient(grad, x, y) -> grad_x`, the vector-Jacobian product: given
  `grad = dL/dy` it returns `dL/dx`. Only one of `x` and `y` is needed, and the
  class attribute `uses_input` says which, so layers keep only that one.

`get(identifier)` accepts a name (`"relu"`), None (linear) or such an object.
The module-level names (`minikeras.activations.relu`, ...) are instances, so
`Dense(8, activation=minikeras.activations.relu)` works as in Keras.
"""

from __future__ import annotations

import numpy as np

from minikeras.saving import registry


class Activation:
    """Base class: a named elementwise function and its vector-Jacobian product."""

    name = "activation"
    uses_input = False  # True: gradient() needs x; False: it needs only y.

    def __call__(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def gradient(self, grad: np.ndarray, x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def apply_in_place(self, z: np.ndarray) -> np.ndarray:
        """`self(z)`, allowed to overwrite `z` (a fresh array the caller owns) to save an allocation."""
        return self(z)

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Linear(Activation):
    """Identity: `y = x`."""

    name = "linear"

    def __call__(self, x):
        return x

    def gradient(self, grad, x, y):
        return grad


class ReLU(Activation):
    """Rectified linear unit: `y = max(x, 0)`; dy/dx is 1 where y > 0, else 0."""

    name = "relu"

    def __call__(self, x):
        return np.maximum(x, 0)

    def apply_in_place(self, z):
        return np.maximum(z, 0, out=z)

    def gradient(self, grad, x, y):
        return grad * (y > 0)


class Sigmoid(Activation):
    """Logistic function `y = 1 / (1 + exp(-x))`; dy/dx = y (1 - y).

    Computed as `exp(min(x, 0)) / (1 + exp(-|x|))` so it never overflows.
    """

    name = "sigmoid"

    def __call__(self, x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0, e) / (1.0 + e)

    def gradient(self, grad, x, y):
        return grad * y * (1 - y)


class Tanh(Activation):
    """Hyperbolic tangent; dy/dx = 1 - y^2."""

    name = "tanh"

    def __call__(self, x):
        return np.tanh(x)

    def apply_in_place(self, z):
        return np.tanh(z, out=z)

    def gradient(self, grad, x, y):
        return grad * (1 - y * y)


class Softmax(Activation):
    """Softmax along the last axis: `y_i = exp(x_i) / sum_j exp(x_j)`.

    Its Jacobian is `dy_i/dx_k = y_i (delta_ik - y_k)`, so the vector-Jacobian
    product is `dL/dx = y * (g - sum(g * y))` with `g = dL/dy`, summed over the
    last axis. (The seed notebook returned `g` unchanged, which is right only
    when cross-entropy's shortcut `y - t` has already been applied.)
    """

    name = "softmax"

    def __init__(self, axis: int = -1):
        self.axis = axis

    def __call__(self, x):
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        e = np.exp(shifted)
        return e / np.sum(e, axis=self.axis, keepdims=True)

    def gradient(self, grad, x, y):
        return y * (grad - np.sum(grad * y, axis=self.axis, keepdims=True))


linear = Linear()
relu = ReLU()
sigmoid = Sigmoid()
tanh = Tanh()
softmax = Softmax()

ALL_ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
}


def get(identifier) -> Activation:
    """Return the activation for a name, None (linear) or an activation object.

    Raises:
        ValueError: for an unknown name (the closest known name is suggested).
    """
    if identifier is None:
        return linear
    if callable(identifier) and not isinstance(identifier, Activation):
        raise TypeError(
            f"Activation {identifier!r} is a plain function: minikeras needs its derivative too. "
            "Pass a name such as 'relu', or an instance of minikeras.activations.Activation "
            "that defines __call__ and gradient."
        )
    return registry.resolve(identifier, ALL_ACTIVATIONS, "activation", Activation)


def serialize(activation: Activation):
    """Return what Keras writes for `activation` in a layer config: its name, or for a
    registered custom activation its config dictionary."""
    if getattr(type(activation), "_registered_name", None):
        return registry.serialize(activation, "keras.activations")
    return activation.name
