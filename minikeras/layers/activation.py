"""Activation layers with arguments: `ReLU`, `Softmax`, `LeakyReLU`, `ELU` and `PReLU`."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from minikeras import activations, initializers, regularizers
from minikeras.layers.base import Layer
from minikeras.layers.input_spec import InputSpec


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    `y = max_value` where `x >= max_value`, `y = x` where
    `threshold < x < max_value`, and `y = negative_slope * (x - threshold)`
    otherwise. The derivative is 1, 0 or `negative_slope` on those pieces.
    The function is `activations.relu` with these options (`activations.Rectifier`).

    Args:
        max_value: optional upper bound (None: unbounded).
        negative_slope: slope below the threshold (default 0.0).
        threshold: where the function switches (default 0.0).
    """

    splittable_inference = True

    min_ndim = 1

    def __init__(
        self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(
                f"max_value of a ReLU layer cannot be a negative value. Received: max_value={max_value} "
                f"(layer '{self.name}')."
            )
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative value. "
                f"Received: negative_slope={negative_slope} (layer '{self.name}')."
            )
        if threshold is None or threshold < 0:
            raise ValueError(
                "threshold of a ReLU layer cannot be None or a negative value. "
                f"Received: threshold={threshold} (layer '{self.name}')."
            )
        self.max_value = max_value
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self._function = activations.Rectifier(self.negative_slope, max_value, self.threshold)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = self._function(x)
        if training:
            # Only what the derivative reads: x with options, y (where y > 0) without.
            self.save_for_backward({"x": x, "y": None} if self._function.uses_input else {"x": None, "y": y})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        return self._function.gradient(grad, cache["x"], cache["y"])

    def get_config(self) -> dict:
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

    splittable_inference = True

    min_ndim = 1

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self._function = activations.Softmax(axis=axis)
        if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            # The input needs the axis the softmax runs along: rank > axis (or >= -axis).
            self.input_spec = InputSpec(min_ndim=max(1, axis + 1 if axis >= 0 else -axis))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y = self._function(x)
        if training:
            self.save_for_backward({"y": y})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self._function.gradient(grad, None, self.saved_for_backward()["y"])

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _real_number(value, argument: str, layer: Layer) -> float:
    """Return `value` as a float, or raise a ValueError naming the layer and the value."""
    real = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if not real or not np.isfinite(value):
        raise ValueError(f"{argument} of layer '{layer.name}' must be a finite number. Received: {argument}={value!r}")
    return float(value)


def _scale_where_negative(grad: np.ndarray, negative: np.ndarray, slope) -> np.ndarray:
    """`grad` times `slope` where `negative`, unchanged elsewhere: `grad + grad * negative * (slope - 1)`.

    Three simple passes, several times faster than `np.where` with a broadcast product.
    """
    grad_x = grad * negative
    grad_x *= np.asarray(slope, dtype=grad.dtype) - 1
    grad_x += grad
    return grad_x


class LeakyReLU(Layer):
    """Leaky rectified linear unit: `y = x` where `x >= 0`, else `negative_slope * x`.

    Backward: `dL/dx = g` where `x >= 0`, else `negative_slope * g`.

    Args:
        negative_slope: slope for negative inputs, a number >= 0 (default 0.3).
            Keras 2's name for it, `alpha`, is accepted too.

    Example:
        >>> LeakyReLU(negative_slope=0.1)(np.array([[-2.0, 3.0]]))
        array([[-0.2,  3. ]], dtype=float32)
    """

    splittable_inference = True

    min_ndim = 1

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2 configs (and Keras 3, with a deprecation warning)
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "LeakyReLU's argument `alpha` is deprecated: use `negative_slope`.", DeprecationWarning, stacklevel=2
            )
        super().__init__(**kwargs)
        if _real_number(negative_slope, "negative_slope", self) < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. Expected a float. "
                f"Received: negative_slope={negative_slope!r} (layer '{self.name}')."
            )
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        slope = np.asarray(self.negative_slope, dtype=x.dtype)
        # max(x, slope * x) for slopes <= 1 (min above 1): faster than np.where (docs/performance.md).
        y = x * slope
        (np.maximum if self.negative_slope <= 1 else np.minimum)(x, y, out=y)
        if training:
            self.save_for_backward({"x": x})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x = self.saved_for_backward()["x"]
        return _scale_where_negative(grad, x < 0, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: `y = x` where `x > 0`, else `alpha * (exp(x) - 1)`.

    Backward: `dL/dx = g` where `x > 0`, else `g * alpha * exp(x)` (that is,
    `g * (y + alpha)`).

    Args:
        alpha: scale of the negative part (default 1.0).

    Example:
        >>> ELU()(np.array([[-1.0, 2.0]])).round(4)
        array([[-0.6321,  2.    ]], dtype=float32)
    """

    splittable_inference = True

    min_ndim = 1

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = _real_number(alpha, "alpha", self)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        # alpha * expm1(min(x, 0)) + max(x, 0): each piece is exactly 0 on the other side.
        y = np.expm1(np.minimum(x, 0))
        y *= np.asarray(self.alpha, dtype=x.dtype)
        y += np.maximum(x, 0)
        if training:
            self.save_for_backward({"x": x, "y": y})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        # Below zero the derivative alpha * exp(x) is y + alpha; above it, 1.
        slope = cache["y"] + np.asarray(self.alpha - 1, dtype=grad.dtype)
        slope *= cache["x"] <= 0
        slope += 1
        slope *= grad
        return slope

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric ReLU: `y = x` where `x > 0`, else `alpha * x`, with `alpha` learned.

    Shapes: x `(batch, d1, ..., dk)`; the weight `alpha` has the shape of one
    sample `(d1, ..., dk)`, with 1 on every axis listed in `shared_axes` (those
    axes share one slope), exactly as Keras stores it.

    Backward: `dL/dx = g` where `x > 0`, else `alpha * g`;
    `dL/dalpha = sum of g * min(x, 0)` over the batch and the shared axes.

    Args:
        alpha_initializer: initializer of `alpha` (default "zeros").
        alpha_regularizer: optional regularizer of `alpha`.
        alpha_constraint: Keras's constraint option; minikeras accepts only None.
        shared_axes: axis or list of axes (1 is the first axis after the batch
            axis) along which the slope is shared; e.g. `[1, 2]` for one slope
            per channel of an image `(batch, height, width, channels)`.

    Example:
        >>> layer = PReLU(shared_axes=[1, 2])
        >>> layer(np.ones((2, 4, 4, 3))).shape, layer.alpha.shape
        ((2, 4, 4, 3), (1, 1, 3))
    """

    splittable_inference = True

    def __init__(
        self,
        alpha_initializer: initializers.InitializerLike = "zeros",
        alpha_regularizer: regularizers.RegularizerLike = None,
        alpha_constraint: None = None,
        shared_axes: int | list[int] | tuple[int, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise ValueError(
                f"Layer '{self.name}': minikeras does not implement weight constraints. Received: "
                f"alpha_constraint={alpha_constraint!r}"
            )
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(
                    f"shared_axes of layer '{self.name}' must be integers >= 1 (axis 0 is the batch). "
                    f"Received: shared_axes={shared_axes!r}"
                )
            self.shared_axes = [int(a) for a in axes]

    def build(self, input_shape: tuple) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(
                    f"shared_axes of layer '{self.name}' must name axes of the input {input_shape}. "
                    f"Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer '{self.name}' (PReLU) needs every axis that is not shared to be known. "
                f"Received: input_shape={input_shape}, shared_axes={self.shared_axes}"
            )
        self.alpha = self._add_param("alpha", shape, self.alpha_initializer, regularizer=self.alpha_regularizer)
        # alpha fixes the rank and every axis it does not share; a shared axis may change size.
        shared = set(self.shared_axes or [])
        self.input_spec = InputSpec(
            ndim=len(input_shape),
            axes={axis: input_shape[axis] for axis in range(1, len(input_shape)) if axis not in shared},
        )

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        # relu(x) - alpha * relu(-x), Keras's formula, as min/max: faster than np.where.
        y = np.minimum(x, 0)
        y *= self.alpha
        y += np.maximum(x, 0)
        if training:
            self.save_for_backward({"x": x})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x = self.saved_for_backward()["x"]
        grad_alpha = grad * np.minimum(x, 0)
        if self.shared_axes:
            grad_alpha = grad_alpha.sum(axis=tuple(self.shared_axes), keepdims=True)
        self.grads["alpha"] = grad_alpha.sum(axis=0)
        return _scale_where_negative(grad, x <= 0, self.alpha)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": None,
            "shared_axes": self.shared_axes,
        }
