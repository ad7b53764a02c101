"""Regularization layers: `Dropout`."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from minikeras.layers.base import Layer
from minikeras.layers.input_spec import InputSpec
from minikeras.utils.random import check_seed, global_rng


class Dropout(Layer):
    """Inverted dropout: in training, zeroes each input with probability `rate` and scales the rest up.

    In training `y = x * mask / (1 - rate)`, with `mask` 1 with probability
    `1 - rate` and 0 otherwise, so the expected value of `y` is `x`. In
    inference (`predict`, `evaluate`, `layer(x)`) the layer returns its input
    unchanged, and `rate=0` changes nothing in training either.

    Backward: `dL/dx = g * mask / (1 - rate)`, with the mask of the forward pass.

    Randomness: with a `seed`, the layer owns a generator started from it, so
    two layers made with the same seed drop the same units, call after call
    (each call draws a new mask). Without one, masks come from minikeras's
    shared generator, which `minikeras.utils.set_random_seed` makes repeatable.

    Args:
        rate: fraction of the inputs to drop, a number in [0, 1).
        noise_shape: optional shape of the mask, broadcast over the input; an
            entry of 1 shares one draw along that axis, None takes the input's
            size. E.g. `(None, 1, 1, None)` drops whole channels of an image batch.
        seed: optional non-negative integer.

    Example:
        >>> layer = Dropout(0.5, seed=1)
        >>> x = np.ones((2, 4))
        >>> np.array_equal(layer(x), x)  # inference: the identity
        True
        >>> sorted(set(layer(x, training=True).ravel().tolist()))  # training: dropped or doubled
        [0.0, 2.0]
    """

    splittable_inference = True

    min_ndim = 1

    def __init__(
        self, rate: float, noise_shape: Sequence[int | None] | None = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not _is_real(rate) or not 0 <= rate < 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                f"Received: rate={rate!r} (layer '{self.name}'; 1 would drop everything)."
            )
        self.seed = check_seed(seed, self.name)
        self.rate = float(rate)
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self._rng = None if seed is None else np.random.default_rng(self.seed)

    def _validate_noise_shape(self, noise_shape):
        if noise_shape is None:
            return None
        try:
            dims = tuple(noise_shape) if not isinstance(noise_shape, str) else None
        except TypeError:
            dims = None
        if dims is None or not all(
            d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0) for d in dims
        ):
            raise ValueError(
                f"noise_shape of layer '{self.name}' must be a tuple of positive integers or None. "
                f"Received: noise_shape={noise_shape!r}"
            )
        return tuple(None if d is None else int(d) for d in dims)

    def build(self, input_shape: tuple) -> None:
        if self.noise_shape is None:
            return
        fits = len(self.noise_shape) == len(input_shape) and all(
            n is None or n == 1 or d is None or n == d for n, d in zip(self.noise_shape, input_shape)
        )
        if not fits:
            raise ValueError(
                f"noise_shape of layer '{self.name}' must broadcast to its input, with 1 or the input's size "
                f"on each axis. Received: noise_shape={self.noise_shape} for an input of shape {input_shape}"
            )
        # The mask broadcasts over the input: its rank, and its axes of a size other than 1, are fixed.
        self.input_spec = InputSpec(
            ndim=len(self.noise_shape),
            axes={axis: size for axis, size in enumerate(self.noise_shape) if size is not None and size != 1},
        )

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return x
        if self.rate == 0:
            self.save_for_backward({"scale": None})
            return x
        shape = (
            x.shape
            if self.noise_shape is None
            else tuple(d if n is None else n for n, d in zip(self.noise_shape, x.shape))
        )
        rng = self._rng if self._rng is not None else global_rng()
        keep = 1.0 - self.rate
        # Dropped: 0; kept: 1 / keep. Broadcast over the input when noise_shape shares draws.
        scale = (rng.random(shape, dtype=np.float32) < keep) * np.asarray(1.0 / keep, dtype=x.dtype)
        self.save_for_backward({"scale": scale})
        return x * scale

    def backward(self, grad: np.ndarray) -> np.ndarray:
        scale = self.saved_for_backward()["scale"]
        return grad if scale is None else grad * scale

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


def _is_real(value: object) -> bool:
    """Whether `value` is a real number (numpy's too) and not a bool."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real)
