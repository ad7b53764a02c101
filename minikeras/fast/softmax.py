"""The softmax + cross-entropy shortcut: backward from the softmax's input.

With a softmax output `p` and a cross-entropy loss, the gradient at the softmax's input is
`p * sum(t) - t` (times the sample weights, over the batch): the loss gives it directly
(`Loss.value_and_logits_gradient`), and the model hands it to the last step's
`backward_from_logits` instead of going through the softmax's Jacobian. It is exactly what the
two backward passes compute in exact arithmetic; the loss declines (returns None) where a
probability it weighs was clipped, and then the model goes the long way.

The reference path never takes the shortcut: `Softmax.backward` computes the true
vector-Jacobian product, whatever loss follows.
"""

from __future__ import annotations

import numpy as np

from minikeras import activations
from minikeras.layers.base import Layer

# Stateless: one shared instance computes every step's vector-Jacobian product.
_SOFTMAX = activations.Softmax(axis=-1)


class SoftmaxStep:
    """Runs a `Softmax` layer, or an `Activation("softmax")` layer, over the last axis.

    Args:
        layer: the layer; `forward` is the layer's own (in inference mode: the step keeps
            the output itself).
    """

    ends_in_softmax = True  # `backward_from_logits` applies

    def __init__(self, layer: Layer):
        self.layer = layer
        self._output: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """`layer.forward(x)`; in training the output is kept for backward."""
        y = self.layer.forward(x, training=False)
        if training:
            self._output = y
        return y

    def backward(self, grad: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """dL/dx from dL/dy through the softmax's Jacobian (`layer.backward`'s result)."""
        y = self._take_output()
        return _SOFTMAX.gradient(grad, None, y) if input_gradient else None

    def backward_from_logits(self, grad_logits: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """Given dL/dx already (the softmax's input is this layer's input), return it."""
        self._take_output()
        return grad_logits if input_gradient else None

    def _take_output(self) -> np.ndarray:
        y = self._output
        if y is None:
            raise RuntimeError(f"Layer '{self.layer.name}': backward() needs a preceding forward(x, training=True).")
        self._output = None
        return y
