"""Gradients of users' own code, by the `autograd` library (the optional extra `minikeras[autodiff]`).

Built-in layers and losses write their backward passes out; that is what this project
teaches, and it is faster. A Keras user's custom code defines only the computation —
a `Layer` subclass with `call`, a `Loss` subclass with `call`, a loss function — in
`minikeras.ops` or numpy-style expressions. For those, the vector-Jacobian product comes
from autograd, a maintained numpy autodiff library, by tracing the call once per training
step: one forward pass that records, one backward pass that replays.

autograd is imported only here, and only when such code trains: `import minikeras`,
inference and the built-in training path never load it.

Why autograd: it differentiates numpy code as written (its `autograd.numpy` is numpy
with a tracer), it is pure Python with numpy as its only dependency, and it is small
enough to start in milliseconds. JAX and PyTorch would differentiate too, but bring a
second array type, a compiler or hundreds of megabytes for what is here a few small
vector-Jacobian products.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

INSTALL_HINT = "pip install 'minikeras[autodiff]'"

# The seed of the losses `call`s add with `add_loss` in a backward pass: the optimizer's
# `loss_scale_factor` while the training step differentiates a scaled loss, else 1.
_ADDED_LOSS_SCALE: contextvars.ContextVar[float] = contextvars.ContextVar("added_loss_scale", default=1.0)


@contextmanager
def added_loss_scale(scale: float | None) -> Iterator[None]:
    """Within the block, the gradients of added losses (`add_loss`) are multiplied by `scale` (None: 1),
    as the training step's loss, which they are part of, is (`Optimizer.loss_scale_factor`)."""
    token = _ADDED_LOSS_SCALE.set(1.0 if scale is None else float(scale))
    try:
        yield
    finally:
        _ADDED_LOSS_SCALE.reset(token)


def require_autograd() -> Any:
    """Import autograd, or raise an ImportError that names the extra to install."""
    try:
        import autograd
    except ImportError:
        raise ImportError(
            "Training custom code that defines no backward pass (a Layer with only call(), a Loss with only "
            "call(), a loss function) needs the autograd library for its gradients: " + INSTALL_HINT + ". "
            "Or write the backward pass yourself (Layer.backward, Loss.compute)."
        ) from None
    return autograd


def value_and_vjp(function: Callable[[Any], Any], argument: np.ndarray) -> tuple[np.ndarray, Callable]:
    """`function(argument)` and its vector-Jacobian product `g -> g . d function / d argument`."""
    autograd = require_autograd()
    vjp, value = autograd.make_vjp(function)(argument)
    return np.asarray(value), vjp


@contextmanager
def _weights_as(layer: Any, replacements: dict[int, Any]) -> Iterator[None]:
    """Within the block, every attribute of `layer` that holds a replaced variable (directly, or in a
    list or tuple) holds its replacement instead; the attributes are restored afterwards."""
    saved: dict[str, Any] = {}
    for attribute, value in list(vars(layer).items()):
        if id(value) in replacements:
            saved[attribute] = value
            object.__setattr__(layer, attribute, replacements[id(value)])
        elif isinstance(value, (list, tuple)) and any(id(item) in replacements for item in value):
            saved[attribute] = value
            swapped = [replacements.get(id(item), item) for item in value]
            object.__setattr__(layer, attribute, type(value)(swapped) if isinstance(value, tuple) else swapped)
    try:
        yield
    finally:
        for attribute, value in saved.items():
            object.__setattr__(layer, attribute, value)


def traced_call(layer: Any, x: np.ndarray, call: Callable[[Any], Any]) -> tuple[np.ndarray, Callable]:
    """Run `call(x)` for `layer` recording it; return its output and a function from dL/dy to
    `(dL/dx, {weight name: dL/dw})` for the layer's trainable variables (the losses `call` adds with
    `add_loss` included: their total is left in `layer._call_losses`).

    The trainable variables are seen by `call` through the layer's attributes (`self.w`, or a list
    `self.kernels`), as Keras's custom layers hold them; inside the trace those attributes hold the
    traced values, so that `x @ self.w` or `ops.matmul(x, self.w)` is differentiated.
    """
    autograd = require_autograd()
    from autograd.builtins import tuple as traced_tuple

    names = [name for name, variable in layer._variables.items() if variable.trainable and layer.trainable]
    variables = [layer._variables[name] for name in names]

    def run(arguments: Any) -> Any:
        inputs, *weights = arguments
        layer._call_losses = []
        with _weights_as(layer, {id(v): w for v, w in zip(variables, weights)}):
            output = call(inputs)
        # The losses `call` added with `add_loss` are part of what is differentiated: their
        # gradient reaches the weights through the same trace.
        added = sum(layer._call_losses) if layer._call_losses else 0.0
        return traced_tuple((output, added))

    vjp, (y, added) = autograd.make_vjp(run)(traced_tuple((x, *[v.value for v in variables])))
    layer._call_losses = [float(added)] if np.ndim(added) == 0 and added != 0.0 else layer._call_losses

    def backward(grad: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        gradients = vjp((grad, _ADDED_LOSS_SCALE.get()))
        grad_x = np.asarray(gradients[0], dtype=x.dtype)
        weight_grads = {
            name: np.asarray(g, dtype=v.value.dtype) for name, v, g in zip(names, variables, gradients[1:])
        }
        return grad_x, weight_grads

    return np.asarray(y), backward
