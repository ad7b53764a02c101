"""Layers that return their input unchanged: `Identity` and `ActivityRegularization`."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import regularizers
from minikeras.layers.base import Layer


class Identity(Layer):
    """Returns its input unchanged, of any shape (a placeholder in a model).

    Backward: the gradient unchanged.

    Example:
        >>> Identity()(np.arange(3.0))
        array([0., 1., 2.], dtype=float32)
    """

    splittable_inference = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.input_spec = None  # any rank, as in Keras

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds `l1 * sum(|x|) + l2 * sum(x^2)` of it to the training loss.

    The penalty is this layer's activity regularizer (`L1L2(l1, l2)`): the model adds it, divided
    by the batch size as Keras 3 does, to the loss of each training step, and adds its gradient to
    the gradient flowing back through the layer. The layer's own backward is the identity.

    Args:
        l1: L1 factor, a non-negative float. Default 0.0.
        l2: L2 factor, a non-negative float. Default 0.0.

    Example:
        >>> layer = ActivityRegularization(l1=0.1)
        >>> layer(np.array([[1.0, -2.0]]))
        array([[ 1., -2.]], dtype=float32)
        >>> round(float(layer.activity_regularizer(np.array([[1.0, -2.0]]))), 6)
        0.3
    """

    splittable_inference = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)  # the layer's own factors define it
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        regularizer = self.activity_regularizer
        assert isinstance(regularizer, regularizers.L1L2)
        self.l1, self.l2 = regularizer.l1, regularizer.l2
        self.input_spec = None  # any rank, as in Keras

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
