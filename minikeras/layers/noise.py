"""Noise layers, active in training only: `GaussianNoise`, `GaussianDropout`, `SpatialDropout1D`, `SpatialDropout2D`.

In inference each is the identity. With a `seed` a layer owns a generator started from it (two layers with the
same seed draw the same noise, call after call); without one the noise comes from minikeras's shared generator,
which `minikeras.utils.set_random_seed` makes repeatable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras.layers.base import Layer, normalize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.regularization import Dropout, _is_real
from minikeras.utils.random import check_seed, global_rng


def _check_unit_interval(value: Any, argument: str, layer_name: str) -> float:
    if not _is_real(value) or not 0 <= value <= 1:
        raise ValueError(
            f"Invalid value received for argument `{argument}`. Expected a float value between 0 and 1. "
            f"Received: {argument}={value!r} (layer '{layer_name}')"
        )
    return float(value)


class _NoiseLayer(Layer):
    """Shared parts: the seed, the generator, the identity shape."""

    splittable_inference = True
    min_ndim = 1

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = check_seed(seed, self.name)
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)

    def _generator(self) -> np.random.Generator:
        return self._rng if self._rng is not None else global_rng()

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean Gaussian noise in training: `y = x + n`, `n ~ N(0, stddev**2)`; backward `dL/dx = g`.

    Args:
        stddev: standard deviation of the noise, in [0, 1].
        seed: optional non-negative integer.

    Example:
        >>> layer = GaussianNoise(0.1, seed=0)
        >>> x = np.zeros((2, 3))
        >>> bool(np.array_equal(layer(x), x)), bool(np.any(layer(x, training=True) != 0))
        (True, True)
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        name = kwargs.get("name") or "gaussian_noise"
        self.stddev = _check_unit_interval(stddev, "stddev", name)
        super().__init__(seed=seed, **kwargs)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.stddev == 0:
            return x
        noise = self._generator().standard_normal(x.shape, dtype=np.float32).astype(x.dtype, copy=False)
        return x + noise * np.asarray(self.stddev, dtype=x.dtype)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies the input by Gaussian noise of mean 1 in training: `y = x * m`, `m ~ N(1, rate / (1 - rate))`.

    Backward: `dL/dx = g * m`, with the noise of the forward pass.

    Args:
        rate: drop probability of the matching Dropout, in [0, 1]; the noise's
            standard deviation is `sqrt(rate / (1 - rate))`.
        seed: optional non-negative integer.

    Example:
        >>> layer = GaussianDropout(0.5, seed=0)
        >>> x = np.ones((2, 3))
        >>> bool(np.array_equal(layer(x), x))
        True
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        name = kwargs.get("name") or "gaussian_dropout"
        self.rate = _check_unit_interval(rate, "rate", name)
        super().__init__(seed=seed, **kwargs)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0:
            if training:
                self.save_for_backward({"noise": None})
            return x
        stddev = math.sqrt(self.rate / (1.0 - self.rate)) if self.rate < 1 else math.inf
        noise = self._generator().standard_normal(x.shape, dtype=np.float32).astype(x.dtype, copy=False)
        noise = noise * np.asarray(stddev, dtype=x.dtype) + np.asarray(1.0, dtype=x.dtype)
        self.save_for_backward({"noise": noise})
        return x * noise

    def backward(self, grad: np.ndarray) -> np.ndarray:
        noise = self.saved_for_backward()["noise"]
        return grad if noise is None else grad * noise

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per sample and channel, shared over the spatial axes."""

    rank = 3

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.input_spec = InputSpec(ndim=self.rank)

    def _channel_axis(self) -> int:
        return self.rank - 1

    def build(self, input_shape: tuple) -> None:
        self.input_spec = InputSpec(ndim=self.rank)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        channel = self._channel_axis()
        # noise_shape of the mask: the batch and channel axes, 1 on the spatial axes (the mask broadcasts).
        self.noise_shape = tuple(None if a in (0, channel) else 1 for a in range(x.ndim))
        try:
            return super().forward(x, training)
        finally:
            self.noise_shape = None

    def get_config(self) -> dict:
        # As Keras: only these keys (no `trainable`).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of a `(batch, steps, channels)` input in training, scaling the rest by `1 / (1 - rate)`.

    Backward: `dL/dx = g * mask / (1 - rate)`, with the mask of the forward pass.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: optional non-negative integer.
        name: the layer's name.
        dtype: the layer's dtype.
    """

    rank = 3


class SpatialDropout2D(_SpatialDropout):
    """Drops whole channels of an image batch in training, scaling the rest by `1 / (1 - rate)`.

    Shapes: `(batch, rows, cols, channels)` for "channels_last", `(batch, channels, rows, cols)`
    for "channels_first". Backward: `dL/dx = g * mask / (1 - rate)`.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: "channels_last" or "channels_first" (default: the configured image data format).
        seed: optional non-negative integer.
        name: the layer's name.
        dtype: the layer's dtype.
    """

    rank = 4

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = normalize_data_format(data_format, self.name)

    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else 3

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
