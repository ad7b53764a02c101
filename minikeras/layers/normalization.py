"""Normalization layers: `BatchNormalization`."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from minikeras import initializers, regularizers
from minikeras.layers.base import Layer
from minikeras.layers.input_spec import InputSpec


class BatchNormalization(Layer):
    """Normalizes each feature (channel) to zero mean and unit variance, then scales and shifts it.

    Shapes: x and y `(batch, ..., features, ...)`; the feature axis is `axis`
    (-1 for Dense outputs and channels_last images, 1 for channels_first
    images), and every other axis is reduced over. The weights, in Keras's
    order, are `gamma` (if `scale`), `beta` (if `center`), `moving_mean` and
    `moving_variance`, each of shape `(features,)`; the moving ones are not
    trainable.

    Forward, training (`training=True` and the layer trainable): with the batch
    statistics `mean` and biased `var` of each feature over the reduced axes,
    `x_hat = (x - mean) / sqrt(var + epsilon)` and `y = gamma * x_hat + beta`;
    the moving statistics then move toward the batch's:
    `moving = moving * momentum + batch_statistic * (1 - momentum)`.

    Forward, inference: the same with `moving_mean` and `moving_variance` in
    place of the batch statistics, which are left unchanged. A layer with
    `trainable=False` always runs this way, as in Keras.

    Backward, training, with g = dL/dy and averages taken per feature over
    the reduced axes: `dL/dgamma = sum(g * x_hat)`, `dL/dbeta = sum(g)`, and,
    since the batch statistics depend on x,
    `dL/dx = gamma / sqrt(var + epsilon) * (g - mean(g) - x_hat * mean(g * x_hat))`.
    In inference the statistics are constants: `dL/dx = g * gamma / sqrt(moving_variance + epsilon)`.

    Args:
        axis: the feature axis (default -1).
        momentum: weight of the old value in the moving statistics, in [0, 1] (default 0.99).
        epsilon: positive number added to the variance (default 1e-3).
        center: learn the offset `beta` (default True).
        scale: learn the factor `gamma` (default True).
        beta_initializer: default "zeros".
        gamma_initializer: default "ones".
        moving_mean_initializer: default "zeros".
        moving_variance_initializer: default "ones".
        beta_regularizer: optional regularizer of `beta`.
        gamma_regularizer: optional regularizer of `gamma`.
        beta_constraint: Keras's option, accepted so Keras configs load; only None.
        gamma_constraint: Keras's option, accepted so Keras configs load; only None.
        renorm: Keras's batch renormalization; only False.
        renorm_clipping: used only with `renorm`; accepted and kept.
        renorm_momentum: used only with `renorm`; accepted and kept.
        synchronized: Keras's statistics across several devices; on one device
            either value computes the same.

    Example:
        >>> layer = BatchNormalization()
        >>> y = layer(np.random.default_rng(0).normal(3.0, 2.0, size=(64, 4)), training=True)
        >>> bool(abs(y.mean()) < 1e-5), layer.moving_mean.round(2)  # moved 1% toward the batch mean
        (True, array([0.03, 0.03, 0.03, 0.03], dtype=float32))
    """

    splittable_inference = True

    def __init__(
        self,
        axis: int | list[int] | tuple[int] = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: initializers.InitializerLike = "zeros",
        gamma_initializer: initializers.InitializerLike = "ones",
        moving_mean_initializer: initializers.InitializerLike = "zeros",
        moving_variance_initializer: initializers.InitializerLike = "ones",
        beta_regularizer: regularizers.RegularizerLike = None,
        gamma_regularizer: regularizers.RegularizerLike = None,
        beta_constraint: None = None,
        gamma_constraint: None = None,
        renorm: bool = False,
        renorm_clipping: dict | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:  # tf.keras 2 writes the built axis as [3]
            axis = axis[0]
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"axis of layer '{self.name}' must be an integer (one axis). Received: axis={axis!r}")
        if not _is_number(momentum) or not 0 <= momentum <= 1:
            raise ValueError(
                f"momentum of layer '{self.name}' must be a number in [0, 1]. Received: momentum={momentum!r}"
            )
        if not _is_number(epsilon) or epsilon <= 0:
            raise ValueError(f"epsilon of layer '{self.name}' must be a positive number. Received: epsilon={epsilon!r}")
        for argument, value in (
            ("beta_constraint", beta_constraint),
            ("gamma_constraint", gamma_constraint),
            ("renorm", renorm),
        ):
            if value not in (None, False):
                raise ValueError(
                    f"Layer '{self.name}': minikeras does not implement {argument} in BatchNormalization. "
                    f"Received: {argument}={value!r}"
                )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.synchronized = bool(synchronized)

    def _feature_axis(self, ndim: int) -> int:
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"axis of layer '{self.name}' is out of range for an input of rank {ndim}. Received: axis={self.axis}"
            )
        return self.axis % ndim

    def build(self, input_shape: tuple) -> None:
        axis = self._feature_axis(len(input_shape))
        features = input_shape[axis]
        if axis == 0 or features is None:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization) needs a known feature axis other than the batch axis. "
                f"Received: axis={self.axis}, input_shape={input_shape}"
            )
        shape = (features,)
        self.gamma = (
            self._add_param("gamma", shape, self.gamma_initializer, regularizer=self.gamma_regularizer)
            if self.scale
            else None
        )
        self.beta = (
            self._add_param("beta", shape, self.beta_initializer, regularizer=self.beta_regularizer)
            if self.center
            else None
        )
        self.moving_mean = self._add_param("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self._add_param(
            "moving_variance", shape, self.moving_variance_initializer, trainable=False
        )
        # As Keras: the rank and the feature axis are fixed, every other axis may change size.
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: features})

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._feature_axis(len(input_shape))
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        axis = self._feature_axis(x.ndim)
        sums = _PerFeatureSums(x.ndim, axis)
        gamma = None if self.gamma is None else self.gamma.reshape(sums.broadcast)
        beta = None if self.beta is None else self.beta.reshape(sums.broadcast)
        epsilon = np.asarray(self.epsilon, dtype=x.dtype)
        batch_statistics = training and self.trainable
        if batch_statistics:
            count = x.size // x.shape[axis]
            mean = sums.total(x) / count
            x_hat = x - mean.reshape(sums.broadcast)
            variance = sums.dot(x_hat, x_hat) / count  # biased, as Keras
            inv_std = (1.0 / np.sqrt(variance + epsilon)).reshape(sums.broadcast)
            x_hat *= inv_std  # in place: x_hat held x - mean until here
            y = x_hat * gamma if gamma is not None else x_hat.copy()
            if beta is not None:
                y += beta
            self.moving_mean[...] = self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
            self.moving_variance[...] = self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
        else:
            moving_mean = self.moving_mean.reshape(sums.broadcast)
            inv_std = 1.0 / np.sqrt(self.moving_variance.reshape(sums.broadcast) + epsilon)
            factor = inv_std if gamma is None else inv_std * gamma
            shift = -moving_mean * factor if beta is None else beta - moving_mean * factor
            y = x * factor
            y += shift
            x_hat = (x - moving_mean) * inv_std if training and self.scale else None
        if training:
            self.save_for_backward(
                {"x_hat": x_hat, "inv_std": inv_std, "sums": sums, "batch_statistics": batch_statistics}
            )
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        cache = self.saved_for_backward()
        x_hat, inv_std, sums = cache["x_hat"], cache["inv_std"], cache["sums"]
        # d/dx_hat = g * gamma: gamma folds into the per-feature factor applied last.
        factor = inv_std if self.gamma is None else inv_std * self.gamma.reshape(sums.broadcast)
        if self.scale:
            self.grads["gamma"] = sums.dot(grad, x_hat)
        if self.center:
            self.grads["beta"] = sums.total(grad)
        if not cache["batch_statistics"]:  # constant statistics: a per-feature scaling
            return grad * factor
        grad_sum = self.grads["beta"] if self.center else sums.total(grad)
        grad_x_hat_sum = self.grads["gamma"] if self.scale else sums.dot(grad, x_hat)
        # The batch mean and variance depend on every x of the feature: their share of the gradient is
        # the per-feature mean of g and the projection of g on x_hat, both taken away from g.
        count = grad.size // grad.shape[sums.axis]
        grad_x = x_hat * (grad_x_hat_sum / count).reshape(sums.broadcast)
        np.subtract(grad, grad_x, out=grad_x)
        grad_x -= (grad_sum / count).reshape(sums.broadcast)
        grad_x *= factor
        return grad_x

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None,
            "gamma_constraint": None,
            "synchronized": self.synchronized,
            "renorm": False,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


class _PerFeatureSums:
    """Sums over every axis but the feature axis, as `einsum` contractions (faster than `sum(axis=...)` here).

    `total(a)` is the per-feature sum of `a`, `dot(a, b)` that of `a * b` without forming the product;
    both return shape `(features,)` in `a`'s dtype, accumulated in float64: a float32 running sum
    over a large batch would lose digits of the mean. `broadcast` reshapes a `(features,)` array to
    broadcast against x.
    """

    def __init__(self, ndim: int, axis: int) -> None:
        letters = "abcdefghijklmnopqrstuvwxyz"[:ndim]
        self.axis = axis
        self.broadcast = tuple(-1 if a == axis else 1 for a in range(ndim))
        self._total = f"{letters}->{letters[axis]}"
        self._dot = f"{letters},{letters}->{letters[axis]}"

    def total(self, a: np.ndarray) -> np.ndarray:
        return np.einsum(self._total, a, dtype=np.float64).astype(a.dtype, copy=False)

    def dot(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.einsum(self._dot, a, b, dtype=np.float64).astype(a.dtype, copy=False)


def _is_number(value) -> bool:
    real = not isinstance(value, bool) and isinstance(value, numbers.Real)
    return real and bool(np.isfinite(value))
