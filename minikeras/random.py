"""Keras 3's `keras.random`: seeded random tensors and `SeedGenerator`, for layers that draw in `call`.

Seeds behave as Keras users expect (the numbers themselves differ from Keras's, which come from
another generator):

- `seed=42` (an int): the same numbers at every call.
- `seed=SeedGenerator(42)`: a new draw at every call, the same sequence of draws from any
  generator made with the same seed; keep one on the layer (`self.seed_generator`) and pass it.
- `seed=None`: minikeras's global generator, repeatable after
  `minikeras.utils.set_random_seed`.

Example:
    >>> import minikeras as keras
    >>> gen = keras.random.SeedGenerator(1337)
    >>> a = keras.random.normal((2, 3), seed=gen)
    >>> b = keras.random.normal((2, 3), seed=gen)   # differs from a
    >>> c = keras.random.normal((2, 3), seed=1337)  # the same at every call
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.ops.backend import array_module, value_of
from minikeras.utils.random import global_rng

_SEED_ERROR = "Argument `seed` must be either an integer or an instance of `SeedGenerator`."


class SeedGenerator:
    """A stateful seed: each random op given it draws new numbers, and two generators with the
    same seed give the same sequence of draws.

    Args:
        seed: an int; None draws one from minikeras's global generator (so
            `minikeras.utils.set_random_seed` makes it repeatable).
        name: an optional name.

    Example:
        >>> class Noise(keras.layers.Layer):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.seed_generator = keras.random.SeedGenerator(1337)
        ...     def call(self, x):
        ...         return x + keras.random.normal(keras.ops.shape(x), seed=self.seed_generator)
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self._initial_seed = seed
        if seed is None:
            seed = int(global_rng().integers(1, 10**9))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self.name = name if name is not None else "seed_generator"
        self._seed = int(seed)
        self._counter = 0

    @property
    def state(self) -> np.ndarray:
        """The generator's state `[seed, draws so far]` (uint32, as Keras keeps it)."""
        return np.array([self._seed & 0xFFFFFFFF, self._counter & 0xFFFFFFFF], dtype=np.uint32)

    def next(self, ordered: bool = True) -> np.ndarray:
        """Return the current state and advance to the next one."""
        current = self.state
        self._counter += 1
        return current

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name!r} seed={self._seed} draws={self._counter}>"


def _generator(seed: Any) -> np.random.Generator:
    """The numpy generator one random op draws from, by Keras's seed rules (see the module's doc)."""
    if isinstance(seed, SeedGenerator):
        return np.random.default_rng([int(v) for v in seed.next()])
    if seed is None:
        return global_rng()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng([int(seed) & 0xFFFFFFFF, 0])
    if isinstance(seed, (np.ndarray, list, tuple)) and np.asarray(seed).dtype.kind in "iu":
        return np.random.default_rng([int(v) & 0xFFFFFFFF for v in np.asarray(seed).reshape(-1)])
    raise ValueError(f"{_SEED_ERROR} Received: seed={seed!r} (of type {type(seed)})")


def _shape(shape: Any) -> tuple[int, ...]:
    shape = value_of(shape)
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    result = np.dtype(config.floatx() if dtype is None else dtype)
    if result.kind != "f":
        raise ValueError(f"`keras.random.{op}` requires a floating point `dtype`. Received: dtype={dtype!r}")
    return result


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> np.ndarray:
    """Draws from the normal distribution of mean `mean` and standard deviation `stddev`.

    Args:
        shape: the shape of the result.
        mean: the distribution's mean.
        stddev: its standard deviation.
        dtype: a float dtype (`floatx()` by default).
        seed: an int, a `SeedGenerator` or None (see the module's doc).
    """
    dtype = _float_dtype(dtype, "normal")
    values = _generator(seed).standard_normal(_shape(shape)) * stddev + mean
    return values.astype(dtype)


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> np.ndarray:
    """Draws from the uniform distribution on `[minval, maxval)`.

    Args:
        shape: the shape of the result.
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        dtype: a float dtype (`floatx()` by default); use `randint` for integers.
        seed: an int, a `SeedGenerator` or None.
    """
    dtype = _float_dtype(dtype, "uniform")
    values = _generator(seed).uniform(minval, maxval, _shape(shape)).astype(dtype)
    # Rounding to a narrower dtype can land on maxval; keep the interval half-open.
    return np.where(values >= maxval, np.nextafter(dtype.type(maxval), dtype.type(minval)), values).astype(dtype)


def truncated_normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
) -> np.ndarray:
    """Draws from the normal distribution cut at two standard deviations (draws beyond are redrawn).

    Args: as for `normal`.
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    rng = _generator(seed)
    values = rng.standard_normal(_shape(shape))
    outside = np.abs(values) >= 2.0
    while outside.any():  # about 4.6% per round: a few rounds at most
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) >= 2.0
    return (values * stddev + mean).astype(dtype)


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> np.ndarray:
    """Integers drawn uniformly from `[minval, maxval)`.

    Args:
        shape: the shape of the result.
        minval: the smallest value (included).
        maxval: the bound (excluded).
        dtype: an integer dtype (int32 by default).
        seed: an int, a `SeedGenerator` or None.
    """
    if np.dtype(dtype).kind not in "iu":
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype!r}")
    return _generator(seed).integers(int(minval), int(maxval), _shape(shape)).astype(dtype)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> np.ndarray:
    """Class indices drawn per row of `logits` (unnormalized log-probabilities), `num_samples` per row.

    Args:
        logits: `(batch, classes)`.
        num_samples: draws per row.
        dtype: an integer dtype (int32 by default).
        seed: an int, a `SeedGenerator` or None.

    Returns:
        `(batch, num_samples)` indices.
    """
    logits = np.asarray(value_of(logits), dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor (batch, classes). Received: logits.shape={logits.shape}")
    gumbel = _generator(seed).gumbel(size=(logits.shape[0], num_samples, logits.shape[1]))
    # Gumbel-max: the argmax of logits plus Gumbel noise is distributed as softmax(logits).
    return np.argmax(logits[:, None, :] + gumbel, axis=-1).astype(dtype)


def gamma(shape: Any, alpha: float, dtype: Any = None, seed: Any = None) -> np.ndarray:
    """Draws from the gamma distribution of shape `alpha` (scale 1)."""
    dtype = _float_dtype(dtype, "gamma")
    return _generator(seed).gamma(alpha, 1.0, _shape(shape)).astype(dtype)


def beta(shape: Any, alpha: float, beta: float, dtype: Any = None, seed: Any = None) -> np.ndarray:
    """Draws from the beta distribution of parameters `alpha`, `beta`."""
    dtype = _float_dtype(dtype, "beta")
    return _generator(seed).beta(alpha, beta, _shape(shape)).astype(dtype)


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> np.ndarray:
    """Draws from the binomial distribution: successes in `counts` trials of success rate `probabilities`."""
    dtype = _float_dtype(dtype, "binomial")
    counts, probabilities = np.asarray(value_of(counts)), np.asarray(value_of(probabilities))
    return _generator(seed).binomial(counts.astype(np.int64), probabilities, _shape(shape)).astype(dtype)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """`inputs` with each entry zeroed with probability `rate` and the rest scaled by `1 / (1 - rate)`.

    Differentiable in `inputs` (under autograd): the gradient flows through the kept entries.

    Args:
        inputs: a tensor.
        rate: the fraction to drop, in `[0, 1]`.
        noise_shape: the shape of the keep/drop mask, broadcast to `inputs` (None entries take
            `inputs`' lengths), e.g. `(batch, 1, features)` to drop the same features at every step.
        seed: an int, a `SeedGenerator` or None.
    """
    from minikeras.ops.core import convert_to_tensor

    inputs = convert_to_tensor(inputs)
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"`rate` must be between 0 and 1. Received: rate={rate}")
    xp = array_module(inputs)
    if rate == 1.0:
        return inputs * 0.0
    if rate == 0.0:
        return inputs
    shape = tuple(np.shape(value_of(inputs)))
    if noise_shape is None:
        mask_shape = shape
    else:
        mask_shape = tuple(d if n is None else int(n) for n, d in zip(noise_shape, shape))
    keep = 1.0 - float(rate)
    mask = np.broadcast_to(_generator(seed).uniform(size=mask_shape) < keep, shape)
    return xp.where(mask, inputs / keep, 0.0)


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """`x` with its slices along `axis` in a random order (differentiable in `x`)."""
    from minikeras.ops.core import convert_to_tensor
    from minikeras.ops.shapes import take

    x = convert_to_tensor(x)
    length = np.shape(value_of(x))[axis]
    return take(x, _generator(seed).permutation(length), axis=axis)


__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]
