"""Per-sample normalization layers: `LayerNormalization` and `UnitNormalization`."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minikeras import initializers, regularizers
from minikeras.layers.base import Layer
from minikeras.layers.input_spec import InputSpec


def _check_axis(axis: Any, message: str) -> int | list[int]:
    """Return `axis` as an int or a list of ints, raising TypeError (as Keras) otherwise."""
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            raise TypeError(message % (axis,))
        return [int(a) for a in axis]
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(message % (axis,))


def _axes_in_range(axis: int | list[int], input_shape: tuple, layer_name: str) -> list[int]:
    """The axes of `axis` as non-negative integers for an input of `input_shape`; ValueError if out of range."""
    ndim = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. Received: axis={axis} "
                f"(layer '{layer_name}')"
            )
    return [a % ndim for a in axes]


def _min_rank(axis: int | list[int]) -> int:
    """The smallest rank that has every axis of `axis` (axis 2 needs rank 3, axis -2 rank 2)."""
    axes = [axis] if isinstance(axis, int) else axis
    return max([1] + [a + 1 if a >= 0 else -a for a in axes])


class LayerNormalization(Layer):
    """Normalizes each sample over `axis` to zero mean and unit variance, then scales and shifts it.

    Shapes: x and y `(batch, ...)`. The statistics of each sample are taken over
    the axes of `axis` (default the last); `gamma` and `beta` have the sizes of
    those axes, in the order of the sorted `axis` (Keras's order), and broadcast
    over the other axes.

    Forward: with `mean` and biased `var` over `axis`, `s = 1 / sqrt(var + epsilon)`,
    `x_hat = (x - mean) * s` and `y = gamma * x_hat + beta`. With the deprecated
    `rms_scaling=True` (as Keras: the input is divided by its standard deviation,
    not centered, and there is no `beta`): `y = gamma * x * s`.

    Backward, with g = dL/dy, g' = g * gamma and means over `axis`:
    `dL/dgamma = sum(g * x_hat)` and `dL/dbeta = sum(g)` over the other axes,
    `dL/dx = s * (g' - mean(g') - x_hat * mean(g' * x_hat))`; with `rms_scaling`,
    `dL/dgamma = sum(g * x * s)` and `dL/dx = s * (g' - x_hat * mean(g' * x * s))`.

    Args:
        axis: an integer or a list of integers, the axes to normalize over (default -1).
        epsilon: small number added to the variance (default 1e-3).
        center: learn the offset `beta` (default True).
        scale: learn the factor `gamma` (default True).
        rms_scaling: Keras's deprecated option (see above; default False).
        beta_initializer: default "zeros".
        gamma_initializer: default "ones".
        beta_regularizer: optional regularizer of `beta`.
        gamma_regularizer: optional regularizer of `gamma`.
        beta_constraint: Keras's option, accepted so Keras configs load; only None.
        gamma_constraint: Keras's option, accepted so Keras configs load; only None.

    Example:
        >>> LayerNormalization()(np.array([[1.0, 2.0, 3.0]])).round(3).tolist()
        [[-1.224, 0.0, 1.224]]
    """

    splittable_inference = True

    def __init__(
        self,
        axis: int | list[int] | tuple[int, ...] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: initializers.InitializerLike = "zeros",
        gamma_initializer: initializers.InitializerLike = "ones",
        beta_regularizer: regularizers.RegularizerLike = None,
        gamma_regularizer: regularizers.RegularizerLike = None,
        beta_constraint: None = None,
        gamma_constraint: None = None,
        **kwargs: Any,
    ) -> None:
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated: it divides the input by its standard "
                "deviation, not by its root mean square.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.axis: int | list[int] = _check_axis(
            axis, "Expected an int or a list/tuple of ints for the argument 'axis', but received: %r"
        )
        for argument, value in (("beta_constraint", beta_constraint), ("gamma_constraint", gamma_constraint)):
            if value is not None:
                raise ValueError(
                    f"Layer '{self.name}': minikeras does not implement {argument} in LayerNormalization. "
                    f"Received: {argument}={value!r}"
                )
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape: tuple) -> None:
        _axes_in_range(self.axis, input_shape, self.name)
        # As Keras: the built axis is a sorted list, and the weights follow its order.
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(input_shape[a] for a in self.axis)
        if any(size is None for size in shape):
            raise ValueError(
                f"Layer '{self.name}' (LayerNormalization) needs known sizes on its axes. "
                f"Received: axis={self.axis}, input_shape={input_shape}"
            )
        self.gamma = (
            self._add_param("gamma", shape, self.gamma_initializer, regularizer=self.gamma_regularizer)
            if self.scale or self.rms_scaling
            else None
        )
        self.beta = (
            self._add_param("beta", shape, self.beta_initializer, regularizer=self.beta_regularizer)
            if self.center and not self.rms_scaling
            else None
        )
        # As Keras's computation: any rank that has the axes, with the weights' sizes on them.
        self.input_spec = InputSpec(min_ndim=_min_rank(self.axis), axes={a: input_shape[a] for a in self.axis})

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _axes_in_range(self.axis, input_shape, self.name)
        return tuple(input_shape)

    def _layout(self, ndim: int, shape: tuple) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """The normalized axes, the other axes, and the shape that broadcasts gamma and beta over x."""
        axes = tuple(_axes_in_range(self.axis, shape, self.name))
        others = tuple(a for a in range(ndim) if a not in axes)
        broadcast = tuple(shape[a] if a in axes else 1 for a in range(ndim))
        return axes, others, broadcast

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        axes, others, broadcast = self._layout(x.ndim, x.shape)
        gamma = None if self.gamma is None else self.gamma.reshape(broadcast)
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        variance = np.mean(centered * centered, axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(variance + np.asarray(self.epsilon, dtype=x.dtype))
        x_hat = centered * inv_std
        # rms_scaling scales the uncentered input by the same factor.
        normalized = x * inv_std if self.rms_scaling else x_hat
        y = normalized * gamma if gamma is not None else normalized.copy()
        if self.beta is not None:
            y += self.beta.reshape(broadcast)
        if training:
            self.save_for_backward(
                {"x_hat": x_hat, "normalized": normalized, "inv_std": inv_std, "layout": (axes, others, broadcast)}
            )
        return y.astype(x.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        x_hat, normalized, inv_std = cache["x_hat"], cache["normalized"], cache["inv_std"]
        axes, others, broadcast = cache["layout"]
        if self.gamma is not None:
            self.grads["gamma"] = np.sum(grad * normalized, axis=others).reshape(self.gamma.shape)
        if self.beta is not None:
            self.grads["beta"] = np.sum(grad, axis=others).reshape(self.beta.shape)
        g = grad * self.gamma.reshape(broadcast) if self.gamma is not None else grad
        # The mean (not with rms_scaling) and the variance depend on every x of the sample: their share of the
        # gradient is the mean of g and the projection of g on the normalized input, taken away from g.
        projection = np.mean(g * normalized, axis=axes, keepdims=True)
        if self.rms_scaling:
            return inv_std * (g - x_hat * projection)
        return inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * projection)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None,
            "gamma_constraint": None,
        }


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`.

    Shapes: x and y `(batch, ...)`. Forward: with `S = sum(x ** 2)` over `axis`,
    `r = min(1 / sqrt(S), 1e12)` (so a zero vector stays zero) and `y = x * r`.
    Backward, with g = dL/dy: `dL/dx = r * (g - y * sum(g * y))` where the norm
    exceeds 1e-12, and `g * r` where the cap holds `r` constant.

    Args:
        axis: an integer or a list of integers, the axes the norm is taken over (default -1).

    Example:
        >>> UnitNormalization()(np.array([[3.0, 4.0]])).round(3).tolist()
        [[0.6, 0.8]]
    """

    splittable_inference = True
    min_ndim = 1

    def __init__(self, axis: int | list[int] | tuple[int, ...] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis: int | list[int] = _check_axis(
            axis, "Invalid value for `axis` argument: expected an int or a list/tuple of ints. Received: axis=%r"
        )
        self.input_spec = InputSpec(min_ndim=_min_rank(self.axis))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _axes_in_range(self.axis, input_shape, self.name)
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        axes = tuple(_axes_in_range(self.axis, x.shape, self.name))
        square_sum = np.sum(x * x, axis=axes, keepdims=True)
        with np.errstate(divide="ignore"):
            inv_norm = np.minimum(1.0 / np.sqrt(square_sum), np.asarray(1e12, dtype=x.dtype))
        y = x * inv_norm
        if training:
            self.save_for_backward({"y": y, "inv_norm": inv_norm, "capped": square_sum <= 1e-24, "axes": axes})
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        y, inv_norm = cache["y"], cache["inv_norm"]
        projection = np.where(cache["capped"], 0.0, np.sum(grad * y, axis=cache["axes"], keepdims=True))
        return (inv_norm * (grad - y * projection)).astype(grad.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
