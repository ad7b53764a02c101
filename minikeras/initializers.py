"""Weight initializers by name or object, with Keras's names, arguments and fan rules.

An initializer is called as `initializer(shape, dtype)` and returns a new array.
Unseeded initializers draw from minikeras's shared generator, so
`minikeras.utils.set_random_seed` makes them repeatable; a seeded one returns
the same values on every call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias, overload

import numpy as np

from minikeras import config as _config
from minikeras.saving import registry
from minikeras.utils.random import make_rng

if TYPE_CHECKING:
    from numpy.typing import DTypeLike
    from typing_extensions import Self

# What `get` accepts: an initializer object, a name ("glorot_uniform") or a config dict.
InitializerLike: TypeAlias = "Initializer | str | dict"


def compute_fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """Return `(fan_in, fan_out)` for a weight of `shape`.

    Dense kernels `(in, out)` give `(in, out)`; convolution kernels
    `(kh, kw, in, out)` give `(kh * kw * in, kh * kw * out)`.
    """
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive_field = math.prod(shape[:-2])
    return float(shape[-2] * receptive_field), float(shape[-1] * receptive_field)


class Initializer:
    """Base class: `__call__(shape, dtype=None) -> ndarray` and `get_config()`."""

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Self:
        return cls(**config)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return np.zeros(shape, dtype=_config.standardize_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return np.ones(shape, dtype=_config.standardize_dtype(dtype))


class Constant(Initializer):
    """Every element equal to `value`: a number, or an array broadcast to the weight's shape.

    Args:
        value: a number or an array-like. An array is written to configs as Keras writes it,
            `{"class_name": "__numpy__", "config": {"value": [...], "dtype": "float64"}}`, and read back
            from that form.
    """

    def __init__(self, value: float | np.ndarray | dict = 0.0) -> None:
        if isinstance(value, dict):
            value = _array_from_config(value)
        elif isinstance(value, (list, tuple, np.ndarray)):
            value = np.asarray(value)
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        dtype = _config.standardize_dtype(dtype)
        if isinstance(self.value, np.ndarray):
            try:
                return np.broadcast_to(self.value, tuple(shape)).astype(dtype)
            except ValueError:
                raise ValueError(
                    f"Constant initializer: a value of shape {self.value.shape} cannot fill a weight of shape "
                    f"{tuple(shape)}."
                ) from None
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self) -> dict:
        if isinstance(self.value, np.ndarray):
            config = {"value": self.value.tolist(), "dtype": self.value.dtype.name}
            return {"value": {"class_name": "__numpy__", "config": config}}
        return {"value": self.value}


def _array_from_config(entry: dict) -> np.ndarray:
    """The array of Keras's `{"class_name": "__numpy__", "config": {"value", "dtype"}}`: numbers only."""
    config = entry.get("config") if entry.get("class_name") == "__numpy__" else None
    if not isinstance(config, dict) or "value" not in config:
        raise ValueError(f"Constant initializer: value must be a number or an array. Received: value={entry!r}")
    dtype = np.dtype(str(config.get("dtype", "float64")))
    if dtype.kind not in "biuf":
        raise ValueError(f"Constant initializer: an array value must be numeric. Received dtype={dtype.name!r}")
    return np.asarray(config["value"], dtype=dtype)


class Identity(Initializer):
    """`gain` times the identity matrix (for 2D weights only; a non-square one is cut from a larger identity).

    Args:
        gain: the value on the diagonal (default 1.0).
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(_config.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base for initializers that draw random numbers; holds the optional `seed`."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal distribution with `mean` and `stddev` (defaults 0.0 and 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        values = make_rng(self.seed).normal(self.mean, self.stddev, size=shape)
        return values.astype(_config.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform distribution on `[minval, maxval)` (defaults -0.05 and 0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        values = make_rng(self.seed).uniform(self.minval, self.maxval, size=shape)
        return values.astype(_config.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(rng: np.random.Generator, stddev: float, shape, mean: float = 0.0) -> np.ndarray:
    """Normal samples redrawn until all lie within two standard deviations."""
    values = rng.normal(0.0, 1.0, size=shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.normal(0.0, 1.0, size=int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


class TruncatedNormal(RandomInitializer):
    """Normal distribution cut at two standard deviations (values beyond are redrawn)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        values = _truncated_normal(make_rng(self.seed), self.stddev, shape, self.mean)
        return values.astype(_config.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(RandomInitializer):
    """Samples with variance `scale / n`, n being fan_in, fan_out or their mean.

    Args:
        scale: positive scaling factor.
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal", "untruncated_normal" or "uniform".
        seed: optional integer for repeatable values.
    """

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal", seed: int | None = None
    ) -> None:
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"scale must be positive. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be fan_in, fan_out or fan_avg. Received: mode={mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(
                "distribution must be truncated_normal, untruncated_normal or uniform. "
                f"Received: distribution={distribution!r}"
            )
        self.scale, self.mode = scale, mode
        self.distribution = "truncated_normal" if distribution == "normal" else distribution

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        fan_in, fan_out = compute_fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = make_rng(self.seed)
        if self.distribution == "truncated_normal":
            # 0.8796... is the standard deviation of a unit normal truncated at +-2.
            values = _truncated_normal(rng, math.sqrt(variance) / 0.87962566103423978, shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), size=shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        return values.astype(_config.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _variance_scaling_preset(class_name: str, scale: float, mode: str, distribution: str, doc: str):
    """Make a named VarianceScaling subclass whose only argument is `seed`."""

    def __init__(self, seed: int | None = None) -> None:
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}

    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _variance_scaling_preset(
    "GlorotUniform", 1.0, "fan_avg", "uniform", "Uniform on +-sqrt(6 / (fan_in + fan_out)) (Keras's default kernel)."
)
GlorotNormal = _variance_scaling_preset(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal", "Truncated normal, stddev sqrt(2 / (fan_in + fan_out))."
)
HeNormal = _variance_scaling_preset(
    "HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(2 / fan_in)."
)
HeUniform = _variance_scaling_preset("HeUniform", 2.0, "fan_in", "uniform", "Uniform on +-sqrt(6 / fan_in).")
LecunNormal = _variance_scaling_preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(1 / fan_in)."
)
LecunUniform = _variance_scaling_preset("LecunUniform", 1.0, "fan_in", "uniform", "Uniform on +-sqrt(3 / fan_in).")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, as Keras makes it.

    The shape is read as (rows = product of all but the last axis, cols = last
    axis); the Q of a QR decomposition of a normal matrix, with its column signs
    fixed by R's diagonal, is transposed when rows < cols and reshaped back.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The Orthogonal initializer needs a shape of rank >= 2. Received: shape={shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        normal = make_rng(self.seed).normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(normal)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_config.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


ALL_INITIALIZERS: dict[str, type] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
ALL_INITIALIZERS.update({cls.__name__: cls for cls in list(ALL_INITIALIZERS.values())})
# The names Keras 2 wrote in model files (and Keras 3 still reads).
ALL_INITIALIZERS.update({"uniform": RandomUniform, "normal": RandomNormal, "zero": Zeros, "one": Ones})


@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: InitializerLike) -> Initializer: ...
def get(identifier: InitializerLike | None) -> Initializer | None:
    """Return an initializer for a name, a config dict or an initializer object; None for None, as Keras."""
    if identifier is None:
        return None
    return registry.resolve(identifier, ALL_INITIALIZERS, "initializer", Initializer)


def serialize(initializer: Initializer) -> dict:
    """Return Keras's config form of `initializer`."""
    return registry.serialize(initializer, "keras.initializers")


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Initializer:
    """Return the initializer a config dict (as `serialize` or Keras writes it) or a name stands for."""
    return registry.resolve(config, ALL_INITIALIZERS, "initializer", Initializer, custom_objects)


# Keras's other spellings of the same classes: snake-case names and the long class names.
zeros, ones, constant, identity, orthogonal = Zeros, Ones, Constant, Identity, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, glorot_uniform, glorot_normal = VarianceScaling, GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal


__all__ = [
    "ALL_INITIALIZERS",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
