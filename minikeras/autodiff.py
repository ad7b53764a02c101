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
from contextlib import ExitStack, contextmanager
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


def _layers_within(layer: Any) -> list[Any]:
    """`layer` and every layer it holds, depth first."""
    found = [layer]
    for sublayer in layer._sublayers.values():
        found.extend(_layers_within(sublayer))
    return found


def _trainable_variables(layer: Any) -> list[tuple[Any, str, Any]]:
    """(owning layer, weight name, Variable) for every trainable variable `call` may use."""
    if not layer.trainable:
        return []
    entries = [(layer, name, v) for name, v in layer._variables.items() if v.trainable]
    for sublayer in layer._sublayers.values():
        entries.extend(_trainable_variables(sublayer))
    return entries


def traced_call(layer: Any, x: np.ndarray, call: Callable[[Any], Any]) -> tuple[np.ndarray, Callable]:
    """Run `call(x)` for `layer` recording it; return its output and a function from dL/dy to
    `(dL/dx, {(owning layer, weight name): dL/dw})` for the trainable variables of the layer and of the
    layers it holds (the losses `call` adds with `add_loss` included: their total is left in
    `layer._call_losses`).

    The trainable variables are seen by `call` through the layers' attributes (`self.w`, or a list
    `self.kernels`), as Keras's custom layers hold them; inside the trace those attributes hold the
    traced values, so that `x @ self.w` or `ops.matmul(x, self.w)` is differentiated. A built-in layer
    called inside `call` joins the trace with its own written-out backward pass (`explicit_layer`).
    """
    autograd = require_autograd()
    from autograd.builtins import tuple as traced_tuple

    entries = _trainable_variables(layer)
    owners = _layers_within(layer)

    def run(arguments: Any) -> Any:
        inputs, *weights = arguments
        layer._call_losses = []
        with ExitStack() as stack:
            for owner in owners:
                replacements = {id(v): w for (o, _, v), w in zip(entries, weights) if o is owner}
                if replacements:
                    stack.enter_context(_weights_as(owner, replacements))
            output = call(inputs)
        # The losses `call` added with `add_loss` are part of what is differentiated: their
        # gradient reaches the weights through the same trace.
        added = sum(layer._call_losses) if layer._call_losses else 0.0
        return traced_tuple((output, added))

    vjp, (y, added) = autograd.make_vjp(run)(traced_tuple((x, *[v.value for _, _, v in entries])))
    layer._call_losses = [float(added)] if np.ndim(added) == 0 and added != 0.0 else layer._call_losses

    def backward(grad: np.ndarray) -> tuple[np.ndarray, dict[tuple[Any, str], np.ndarray]]:
        gradients = vjp((grad, _ADDED_LOSS_SCALE.get()))
        grad_x = np.asarray(gradients[0], dtype=x.dtype)
        weight_grads = {
            (owner, name): np.asarray(g, dtype=v.value.dtype)
            for (owner, name, v), g in zip(entries, gradients[1:])
        }
        return grad_x, weight_grads

    return np.asarray(y), backward


_explicit_apply: Any = None


def explicit_layer(layer: Any, x: Any, training: bool) -> Any:
    """Apply a layer with a written-out backward pass to a traced value inside a custom layer's `call`:
    an autograd primitive whose forward is `layer.forward` and whose vector-Jacobian product is
    `layer.backward` (which also leaves dL/dw in `layer.grads` for the optimizer)."""
    global _explicit_apply
    if _explicit_apply is None:
        require_autograd()
        from autograd.extend import defvjp, primitive

        @primitive
        def apply(inputs: np.ndarray, owner: Any, in_training: bool) -> np.ndarray:
            return owner.forward(inputs, training=True) if in_training else owner.forward(inputs)

        defvjp(apply, lambda ans, inputs, owner, in_training: owner.backward)
        _explicit_apply = apply
    return _explicit_apply(x, layer, training)

