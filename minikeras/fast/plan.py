"""The steps of one pass through a model's layers on the fast path.

`plan(layers)` returns, in order, `(index of the step's last layer, step)` pairs. A step has
`forward(x, training)` and `backward(grad, input_gradient)`; it is the fast step of a layer
where one exists (exact classes only: a subclass may change `forward`), a Conv2D and the 2x2
max pooling after it as one step where `ConvMaxPool.fits` says so, and otherwise the layer's
own `forward` and `backward` (`LayerStep`). A grouped convolution (`groups > 1`) is one of
those: the fast steps multiply one kernel matrix, and its reference is already one batched
product over the groups. The steps are made anew for every pass, so
inference from many threads shares nothing but the weights.
"""

from __future__ import annotations

import numpy as np

from minikeras.fast.conv2d import Conv2DStep
from minikeras.fast.conv_pool import ConvMaxPool
from minikeras.fast.dense import DenseStep
from minikeras.fast.softmax import SoftmaxStep
from minikeras.layers.activation import Softmax
from minikeras.layers.base import Layer, is_last_axis_softmax
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.core import Activation, Dense


class LayerStep:
    """A layer with no fast step of its own: its `forward` and `backward`, as they are."""

    def __init__(self, layer: Layer):
        self.layer = layer

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.layer.forward(x, training=training)

    def backward(self, grad: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        grad_x = self.layer.backward(grad)
        return grad_x if input_gradient else None


def step_for(layer: Layer, training: bool = True):
    """The fast step that runs `layer` alone.

    A layer without one runs as itself: in training wrapped in a `LayerStep` (for the steps'
    common `backward`), in inference as the layer, whose `forward(x, training)` is all a pass needs.
    """
    # `type(layer) is X` (exact classes) each time: mypy narrows on it, a saved `type(layer)` it does not.
    if type(layer) is Conv2D and Conv2DStep.fits(layer):
        return Conv2DStep(layer)
    if type(layer) is Dense:
        return DenseStep(layer)
    if type(layer) is Softmax and layer.axis == -1:
        return SoftmaxStep(layer)
    if type(layer) is Activation and is_last_axis_softmax(layer.activation):
        return SoftmaxStep(layer)
    return LayerStep(layer) if training else layer


def plan(layers: list, training: bool = True) -> list[tuple[int, object]]:
    """The steps of one pass through `layers`: `(index of the step's last layer, step)` in order.

    Every step has `forward(x, training)`; in training every step also has `backward(grad, input_gradient)`.
    """
    steps: list[tuple[int, object]] = []
    index = 0
    count = len(layers)
    while index < count:
        layer = layers[index]
        if index + 1 < count and ConvMaxPool.fits(layer, layers[index + 1]):
            steps.append((index + 1, ConvMaxPool(layer, layers[index + 1])))
            index += 2
        else:
            steps.append((index, step_for(layer, training)))
            index += 1
    return steps


def ends_in_softmax(step) -> bool:
    """Whether `step` can start backward from its softmax's input (`backward_from_logits`)."""
    return bool(getattr(step, "ends_in_softmax", False))
