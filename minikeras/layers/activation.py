"""Activation layers with arguments: `ReLU` and `Softmax`."""

from __future__ import annotations

import numpy as np

from minikeras import activations
from minikeras.layers.base import Layer


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    `y = max_value` where `x >= max_value`, `y = x` where
    `threshold <= x < max_value`, and `y = negative_slope * (x - threshold)`
    otherwise. The derivative is 1, 0 or `negative_slope` on those pieces.

    Args:
        max_value: optional upper bound (None: unbounded).
        negative_slope: slope below the threshold (default 0.0).
        threshold: where the function switches (default 0.0).
    """

    min_ndim = 1

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"max_value of layer '{self.name}' must be >= 0. Received: max_value={max_value}")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                f"negative_slope of layer '{self.name}' must be >= 0. Received: negative_slope={negative_slope}"
            )
        if threshold is None:
            raise ValueError(f"threshold of layer '{self.name}' must be a number. Received: threshold=None")
        self.max_value = max_value
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def forward(self, x, training=False):
        plain = self.max_value is None and self.negative_slope == 0.0 and self.threshold == 0.0
        if plain:
            y = np.maximum(x, 0)
        else:
            above = x >= self.threshold
            y = np.where(above, x, self.negative_slope * (x - self.threshold)).astype(x.dtype, copy=False)
            if self.max_value is not None:
                y = np.minimum(y, self.max_value).astype(x.dtype, copy=False)
        if training:
            self._cache = {"x": x, "plain": plain}
        return y

    def backward(self, grad):
        cache = self._pop_cache()
        x = cache["x"]
        if cache["plain"]:
            return grad * (x > 0)
        slope = np.where(x >= self.threshold, 1.0, self.negative_slope).astype(grad.dtype, copy=False)
        if self.max_value is not None:
            slope = slope * (x < self.max_value)
        return grad * slope

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class Softmax(Layer):
    """Softmax along `axis` (default the last): `y_i = exp(x_i) / sum_j exp(x_j)`.

    Backward is the true vector-Jacobian product `dL/dx = y * (g - sum(g * y))`,
    correct whatever loss follows (not only cross-entropy).
    """

    min_ndim = 1

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self._function = activations.Softmax(axis=axis)

    def forward(self, x, training=False):
        y = self._function(x)
        if training:
            self._cache = {"y": y}
        return y

    def backward(self, grad):
        return self._function.gradient(grad, None, self._pop_cache()["y"])

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
