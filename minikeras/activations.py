"""Activation functions by name, each with its derivative.

An activation is an object with two methods:

* `compute(x) -> y`, elementwise (softmax: along the last axis), called as `activation(x)`;
  `activation(x, *options)` is Keras's functional form, the same with some options changed;
* `gradient(grad, x, y) -> grad_x`, the vector-Jacobian product: given
  `grad = dL/dy` it returns `dL/dx`. Only one of `x` and `y` is needed, and the
  class attribute `uses_input` says which, so layers keep only that one.

`get(identifier)` accepts a name (`"relu"`), None (linear), a config dictionary
or such an object. The module-level names (`minikeras.activations.relu`, ...)
are instances, so `Dense(8, activation=minikeras.activations.relu)` works as in
Keras; those with options also take them the way Keras's functions do, by
keyword or in Keras's order: `activations.gelu(x, approximate=True)`,
`activations.relu(x, 0.1, 6.0)` (negative_slope, max_value),
`activations.threshold(x, 0.5, 0.0)`. A configured object such as
`GELU(approximate=True)` or `Rectifier(max_value=4.0)` can be given to a layer
and is saved with its options.

Every function here is written to stay finite for inputs as large as 1e4 in
either direction (only `exponential` overflows, as it does in Keras).
"""

from __future__ import annotations

import inspect
import math
from typing import Any, TypeAlias

import numpy as np

from minikeras.ops.special import erfc
from minikeras.saving import registry

# What `get` accepts: an activation object, a name ("relu"), a config dict, or None for linear.
ActivationLike: TypeAlias = "Activation | str | dict | None"


class Activation:
    """Base class: a named elementwise function and its vector-Jacobian product."""

    name = "activation"
    uses_input = False  # True: gradient() needs x; False: it needs only y.

    def __call__(self, x: np.ndarray, *args: Any, **options: Any) -> np.ndarray:
        """`y` for `x`; with options, Keras's functional form (`softmax(x, axis=1)`, `relu(x, 0.1, 6.0)`)."""
        if args or options:
            return self._for_call(args, options).compute(x)
        return self.compute(x)

    def compute(self, x: np.ndarray) -> np.ndarray:
        """`y` for `x` with this activation's own options (what subclasses implement)."""
        raise NotImplementedError

    # Subclasses take `x` and `y` as Any: each reads only the one `uses_input` names, which is never None.
    def gradient(self, grad: np.ndarray, x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def apply_in_place(self, z: np.ndarray) -> np.ndarray:
        """`self(z)`, allowed to overwrite `z` (a fresh array the caller owns) to save an allocation."""
        return self(z)

    def get_config(self) -> dict:
        """The constructor arguments (empty for activations without options)."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Activation:
        return cls(**config)

    def with_options(self, **options: Any) -> Activation:
        """Return a copy of this activation with some constructor arguments changed."""
        return type(self).from_config({**self.get_config(), **options})

    def _option_names(self) -> list[str]:
        """The constructor arguments in order: the positional options of Keras's function."""
        return list(inspect.signature(type(self).__init__).parameters)[1:]

    def _for_call(self, args: tuple, options: dict) -> Activation:
        """This activation with the options of a functional call `f(x, *args, **options)` applied."""
        names = self._option_names()
        if len(args) > len(names):
            raise TypeError(f"{self.name}() takes at most {len(names)} options after x ({names}); got {len(args)}")
        return self.with_options(**dict(zip(names, args)), **options)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"<activation {self.name}{' ' + options if options else ''}>"


class Linear(Activation):
    """Identity: `y = x`."""

    name = "linear"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad


class Rectifier(Activation):
    """Keras's `relu` with its options, the one implementation behind `relu`, `relu6` and the `ReLU` layer.

    `y = x` where `x > threshold`, `y = negative_slope * (x - threshold)` at and below
    it (so 0 at the threshold itself, as in Keras),
    and `y` is capped at `max_value` if one is given. The derivative is 1,
    `negative_slope` or 0 (at or above `max_value`) on those pieces. With the
    default options it is `max(x, 0)`, whose derivative needs only `y`
    (1 where `y > 0`); with others it needs `x` (`uses_input` says which).

    Args:
        negative_slope: slope below the threshold (default 0.0).
        max_value: optional upper bound (None: unbounded).
        threshold: where the function switches (default 0.0).

    Example:
        >>> relu(np.array([-10.0, -5.0, 0.0, 5.0, 10.0]), negative_slope=0.5, max_value=8.0)
        array([-5. , -2.5,  0. ,  5. ,  8. ])
    """

    name = "relu"

    def __init__(self, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> None:
        self.negative_slope = float(negative_slope)
        self.max_value = None if max_value is None else float(max_value)
        self.threshold = float(threshold)
        self.plain = self.max_value is None and self.negative_slope == 0.0 and self.threshold == 0.0
        self.uses_input = not self.plain

    def compute(self, x: np.ndarray) -> np.ndarray:
        if self.plain:
            return np.maximum(x, 0)
        y = np.where(x > self.threshold, x, self.negative_slope * (x - self.threshold)).astype(x.dtype, copy=False)
        if self.max_value is not None:
            y = np.minimum(y, self.max_value).astype(x.dtype, copy=False)
        return y

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        if self.plain:
            return grad * (y > 0)
        slope = np.where(x > self.threshold, 1.0, self.negative_slope).astype(grad.dtype, copy=False)
        if self.max_value is not None:
            slope = slope * (x < self.max_value)
        return grad * slope

    def get_config(self) -> dict:
        return {"negative_slope": self.negative_slope, "max_value": self.max_value, "threshold": self.threshold}


class ReLU(Rectifier):
    """Rectified linear unit: `y = max(x, 0)`; dy/dx is 1 where y > 0, else 0.

    The default `relu`. Its options (`relu(x, negative_slope=0.1)`) give a
    `Rectifier` with them.
    """

    def __init__(self) -> None:
        super().__init__()

    def apply_in_place(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0, out=z)

    def get_config(self) -> dict:
        return {}

    def _option_names(self) -> list[str]:
        return list(inspect.signature(Rectifier.__init__).parameters)[1:]

    def with_options(self, **options: Any) -> Activation:
        return Rectifier(**options)


class ReLU6(Rectifier):
    """`y = min(max(x, 0), 6)`: Keras's `relu6`, the rectifier capped at 6; derivative 1 for `0 < x < 6`."""

    name = "relu6"

    def __init__(self) -> None:
        super().__init__(max_value=6.0)

    def get_config(self) -> dict:
        return {}


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """`1 / (1 + exp(-x))` as `exp(min(x, 0)) / (1 + exp(-|x|))`, which never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(Activation):
    """Logistic function `y = 1 / (1 + exp(-x))`; dy/dx = y (1 - y).

    Computed as `exp(min(x, 0)) / (1 + exp(-|x|))` so it never overflows.
    """

    name = "sigmoid"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _stable_sigmoid(x)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * y * (1 - y)


class Tanh(Activation):
    """Hyperbolic tangent; dy/dx = 1 - y^2."""

    name = "tanh"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def apply_in_place(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z, out=z)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * (1 - y * y)


class Softmax(Activation):
    """Softmax along the last axis: `y_i = exp(x_i) / sum_j exp(x_j)`.

    Its Jacobian is `dy_i/dx_k = y_i (delta_ik - y_k)`, so the vector-Jacobian
    product is `dL/dx = y * (g - sum(g * y))` with `g = dL/dy`, summed over the
    last axis. (Returning `g` unchanged would be right only where
    cross-entropy's shortcut `y - t` has already been applied.)
    """

    name = "softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def compute(self, x: np.ndarray) -> np.ndarray:
        # ufunc reductions and in-place steps: this runs on every training step, where each
        # extra call and temporary shows.
        e = np.exp(x - np.maximum.reduce(x, axis=self.axis, keepdims=True))
        e /= np.add.reduce(e, axis=self.axis, keepdims=True)
        return e

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return y * (grad - np.sum(grad * y, axis=self.axis, keepdims=True))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class ELU(Activation):
    """Exponential linear unit: `y = x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    Derivative: 1 for `x > 0`, else `alpha * exp(x)`. The exponential is taken of
    `min(x, 0)` only, so large positive inputs never overflow.

    Args:
        alpha: the value the function tends to for large negative `x` is
            `-alpha` (default 1.0).

    Example:
        >>> elu(np.array([-1.0, 2.0]))
        array([-0.63212056,  2.        ])
    """

    name = "elu"
    uses_input = True

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * np.where(x > 0, 1.0, self.alpha * np.exp(np.minimum(x, 0)))

    def get_config(self) -> dict:
        return {"alpha": self.alpha}


class SELU(Activation):
    """Scaled ELU: `y = scale * x` for `x > 0`, else `scale * alpha * (exp(x) - 1)`.

    `alpha = 1.67326324...` and `scale = 1.05070098...` are the constants of
    Klambauer et al. (2017) that keep activations near zero mean and unit
    variance. Derivative: `scale` for `x > 0`, else `scale * alpha * exp(x)`,
    which is `y + scale * alpha` there, so only `y` is kept.
    """

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def compute(self, x: np.ndarray) -> np.ndarray:
        return self.scale * np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * np.where(y > 0, self.scale, y + self.scale * self.alpha)


class GELU(Activation):
    """Gaussian error linear unit: `y = x * Phi(x)`, `Phi` the standard normal CDF.

    Exact (the default, as in Keras's `gelu`): `Phi(x) = erfc(-x / sqrt(2)) / 2`,
    derivative `Phi(x) + x * phi(x)` with `phi(x) = exp(-x^2 / 2) / sqrt(2 pi)`.

    Approximate (`approximate=True`): `Phi(x) ~ (1 + tanh(c (x + 0.044715 x^3))) / 2`
    with `c = sqrt(2 / pi)`; derivative
    `(1 + t) / 2 + x (1 - t^2) c (1 + 3 * 0.044715 x^2) / 2` with `t` that tanh.

    Args:
        approximate: use the tanh approximation (default False).

    Example:
        >>> gelu(np.array([-1.0, 0.0, 1.0]))                    # exact
        array([-0.15865525,  0.        ,  0.84134475])
        >>> gelu(np.array([1.0]), approximate=True)              # Keras's keyword
        array([0.84119199])
        >>> Dense(8, activation=GELU(approximate=True))          # in a layer
    """

    name = "gelu"
    uses_input = True
    _c = math.sqrt(2.0 / math.pi)
    _k = 0.044715

    def __init__(self, approximate: bool = False) -> None:
        self.approximate = bool(approximate)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if self.approximate:
            return 0.5 * x * (1.0 + np.tanh(self._c * (x + self._k * x * x * x)))
        return x * (0.5 * erfc(-x / math.sqrt(2.0)))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        if self.approximate:
            t = np.tanh(self._c * (x + self._k * x * x * x))
            slope = 0.5 * (1.0 + t) + 0.5 * x * ((1.0 - t * t) * self._c * (1.0 + 3.0 * self._k * x * x))
            return grad * slope
        cdf = 0.5 * erfc(-x / math.sqrt(2.0))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        return grad * (cdf + x * pdf)

    def get_config(self) -> dict:
        return {"approximate": self.approximate}


class Softplus(Activation):
    """`y = log(1 + exp(x))`, computed as `max(x, 0) + log1p(exp(-|x|))`; derivative `sigmoid(x)`."""

    name = "softplus"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * _stable_sigmoid(x)


class Softsign(Activation):
    """`y = x / (1 + |x|)`; derivative `1 / (1 + |x|)^2`."""

    name = "softsign"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x / (1.0 + np.abs(x))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        denominator = 1.0 + np.abs(x)
        return grad / (denominator * denominator)


class SiLU(Activation):
    """Sigmoid linear unit, also called swish: `y = x * sigmoid(x)`.

    Derivative: `s + x s (1 - s)` with `s = sigmoid(x)`. `swish` and `silu` are
    the same object, saved as "silu" as Keras does.
    """

    name = "silu"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x * _stable_sigmoid(x)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        s = _stable_sigmoid(x)
        return grad * (s * (1.0 + x * (1.0 - s)))


class HardSigmoid(Activation):
    """Keras 3's piecewise-linear sigmoid: `y = clip(x / 6 + 1/2, 0, 1)`.

    (Keras 2 used `x / 5`; Keras 3 uses `relu6(x + 3) / 6`, which is this.)
    Derivative: 1/6 for `-3 < x < 3`, where `0 < y < 1`, else 0.
    """

    name = "hard_sigmoid"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x / 6.0 + 0.5, 0.0, 1.0)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return np.where((y > 0) & (y < 1), grad / 6.0, 0.0).astype(grad.dtype, copy=False)


class Exponential(Activation):
    """`y = exp(x)`; derivative `y`. Overflows to inf above about 88 (float32), as Keras does."""

    name = "exponential"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def apply_in_place(self, z: np.ndarray) -> np.ndarray:
        return np.exp(z, out=z)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * y


class LeakyReLU(Activation):
    """`y = x` for `x >= 0`, else `negative_slope * x`; derivative 1 or `negative_slope`.

    Args:
        negative_slope: the slope for negative inputs (default 0.2, Keras's
            `leaky_relu` function; the `LeakyReLU` layer defaults to 0.3).
    """

    name = "leaky_relu"
    uses_input = True

    def __init__(self, negative_slope: float = 0.2) -> None:
        self.negative_slope = float(negative_slope)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, x, self.negative_slope * x)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return np.where(x >= 0, grad, self.negative_slope * grad)

    def get_config(self) -> dict:
        return {"negative_slope": self.negative_slope}


class LogSoftmax(Activation):
    """Log of the softmax along `axis`: `y_i = x_i - max(x) - log(sum_j exp(x_j - max(x)))`.

    Vector-Jacobian product: `dL/dx = g - softmax(x) * sum(g)` (sum over the
    axis), and `softmax(x) = exp(y)`, so only `y` is kept.

    Args:
        axis: the axis normalized over (default -1).
    """

    name = "log_softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def compute(self, x: np.ndarray) -> np.ndarray:
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad - np.exp(y) * np.sum(grad, axis=self.axis, keepdims=True)

    def get_config(self) -> dict:
        return {"axis": self.axis}


class HardSiLU(Activation):
    """Hard SiLU, also called hard swish: `y = x * hard_sigmoid(x) = x * relu6(x + 3) / 6`.

    Derivative: 0 for `x < -3`, 1 for `x > 3`, `x / 3 + 1/2` between.
    `hard_swish` and `hard_silu` are the same object, saved as "hard_silu" as Keras does.
    """

    name = "hard_silu"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * np.where(x < -3.0, 0.0, np.where(x > 3.0, 1.0, x / 3.0 + 0.5))


def _softplus(x: np.ndarray) -> np.ndarray:
    """`log(1 + exp(x))` as `max(x, 0) + log1p(exp(-|x|))`, which never overflows."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Mish(Activation):
    """`y = x * tanh(softplus(x))` (Misra, 2019).

    Derivative: `t + x (1 - t^2) sigmoid(x)` with `t = tanh(softplus(x))`,
    since `softplus' = sigmoid`.
    """

    name = "mish"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x * np.tanh(_softplus(x))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        t = np.tanh(_softplus(x))
        return grad * (t + x * (1.0 - t * t) * _stable_sigmoid(x))


class CELU(Activation):
    """Continuously differentiable ELU: `y = x` for `x >= 0`, else `alpha * (exp(x / alpha) - 1)`.

    Derivative: 1 for `x > 0`, else `exp(x / alpha)`. The exponential is taken
    of `min(x, 0)` only, so large positive inputs never overflow.

    Args:
        alpha: the value the function tends to for large negative `x` is
            `-alpha` (default 1.0).
    """

    name = "celu"
    uses_input = True

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0) / self.alpha))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0) / self.alpha))

    def get_config(self) -> dict:
        return {"alpha": self.alpha}


class GLU(Activation):
    """Gated linear unit: split `x` in halves `a, b` along `axis`; `y = a * sigmoid(b)`.

    The output has half as many values along `axis` as the input. Vector-Jacobian
    product: `dL/da = g s` and `dL/db = g a s (1 - s)` with `s = sigmoid(b)`,
    joined back along `axis`.

    Args:
        axis: the axis split in two (default -1); its size must be even.
    """

    name = "glu"
    uses_input = True

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def _halves(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if x.shape[self.axis] % 2:
            raise ValueError(
                f"glu splits axis {self.axis} in two halves, so its size must be even. Received: shape {x.shape}"
            )
        a, b = np.split(x, 2, axis=self.axis)
        return a, b

    def compute(self, x: np.ndarray) -> np.ndarray:
        a, b = self._halves(x)
        return a * _stable_sigmoid(b)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        a, b = self._halves(x)
        s = _stable_sigmoid(b)
        grad_a = grad * s
        return np.concatenate([grad_a, grad_a * a * (1.0 - s)], axis=self.axis)

    def get_config(self) -> dict:
        return {"axis": self.axis}


class LogSigmoid(Activation):
    """`y = log(sigmoid(x)) = -softplus(-x)`, computed as `min(x, 0) - log1p(exp(-|x|))`; derivative `sigmoid(-x)`."""

    name = "log_sigmoid"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * _stable_sigmoid(-x)


class SparsePlus(Activation):
    """`y = 0` for `x <= -1`, `(x + 1)^2 / 4` for `-1 < x < 1`, `x` for `x >= 1`.

    Derivative: 0, `(x + 1) / 2` and 1 on those pieces. The square is taken of
    `x` clipped to [-1, 1], so it never overflows.
    """

    name = "sparse_plus"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        q = np.clip(x, -1.0, 1.0) + 1.0
        return np.where(x >= 1.0, x, 0.25 * q * q)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * (0.5 * (np.clip(x, -1.0, 1.0) + 1.0))


class Squareplus(Activation):
    """`y = (x + sqrt(x^2 + b)) / 2`, a smooth rectifier (So, 2021).

    With `s = sqrt(x^2 + b)` (as `hypot`, which never overflows), negative `x`
    use the equal form `b / (2 (s - x))`, free of the cancellation in `x + s`.
    Derivative: `(1 + x / s) / 2`, which is `y / s`.

    Args:
        b: smoothness, >= 0 (default 4); `b = 0` is ReLU.
    """

    name = "squareplus"
    uses_input = True

    def __init__(self, b: float = 4) -> None:
        if b < 0:
            raise ValueError(f"squareplus needs b >= 0. Received: b={b!r}")
        self.b = float(b)

    def _values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.hypot(x, np.asarray(math.sqrt(self.b), dtype=x.dtype))
        negative = x < 0
        # The unused branch of each np.where is kept finite: 1 where it would divide by s - x = 0.
        y = np.where(negative, self.b / np.where(negative, s - x, 1.0), x + s) * 0.5
        return y.astype(x.dtype, copy=False), s

    def compute(self, x: np.ndarray) -> np.ndarray:
        return self._values(x)[0]

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        y, s = self._values(x)
        # y / s is 0 / 0 only at x = 0 with b = 0, where the slope is taken as 1/2.
        return grad * np.where(s > 0, y / np.where(s > 0, s, 1.0), 0.5)

    def get_config(self) -> dict:
        return {"b": self.b}


class TanhShrink(Activation):
    """`y = x - tanh(x)`; derivative `tanh(x)^2`."""

    name = "tanh_shrink"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x - np.tanh(x)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        t = np.tanh(x)
        return grad * (t * t)


class SoftShrink(Activation):
    """`y = x - threshold` for `x > threshold`, `x + threshold` for `x < -threshold`, else 0.

    Derivative: 1 where `|x| > threshold`, else 0.

    Args:
        threshold: half the width of the band set to zero (default 0.5).
    """

    name = "soft_shrink"
    uses_input = True

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)

    def compute(self, x: np.ndarray) -> np.ndarray:
        t = self.threshold
        return np.where(x > t, x - t, np.where(x < -t, x + t, 0.0)).astype(x.dtype, copy=False)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * (np.abs(x) > self.threshold)

    def get_config(self) -> dict:
        return {"threshold": self.threshold}


class HardShrink(Activation):
    """`y = x` where `|x| > threshold`, else 0; derivative 1 where `|x| > threshold`, else 0.

    Args:
        threshold: half the width of the band set to zero (default 0.5).
    """

    name = "hard_shrink"
    uses_input = True

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.where(np.abs(x) > self.threshold, x, 0.0).astype(x.dtype, copy=False)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * (np.abs(x) > self.threshold)

    def get_config(self) -> dict:
        return {"threshold": self.threshold}


class HardTanh(Activation):
    """`y = clip(x, -1, 1)`; derivative 1 where `-1 < y < 1`, else 0."""

    name = "hard_tanh"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, -1.0, 1.0)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * ((y > -1.0) & (y < 1.0))


class Threshold(Activation):
    """`y = x` where `x > threshold`, else `default_value`; derivative 1 where `x > threshold`, else 0.

    Keras's `threshold(x, threshold, default_value)` has no defaults, so the
    object found by name (`activations.threshold`) must be given both, as
    `threshold(x, 0.5, 0.0)` or `Threshold(0.5, 0.0)`.

    Args:
        threshold: values at or below it are replaced.
        default_value: what replaces them.
    """

    name = "threshold"
    uses_input = True

    def __init__(self, threshold: float | None = None, default_value: float | None = None) -> None:
        self.threshold = None if threshold is None else float(threshold)
        self.default_value = None if default_value is None else float(default_value)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if self.threshold is None or self.default_value is None:
            raise TypeError(
                "threshold needs both `threshold` and `default_value`: call threshold(x, threshold, default_value) "
                "or use Threshold(threshold, default_value)."
            )
        return np.where(x > self.threshold, x, self.default_value).astype(x.dtype, copy=False)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * (x > self.threshold)

    def get_config(self) -> dict:
        return {"threshold": self.threshold, "default_value": self.default_value}


class SparseSigmoid(Activation):
    """`y = 0` below -1, `1` above 1, `(x + 1) / 2` between; derivative 1/2 where `-1 < x < 1`, else 0."""

    name = "sparse_sigmoid"
    uses_input = True

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.clip(0.5 * (x + 1.0), 0.0, 1.0).astype(x.dtype, copy=False)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        return grad * (0.5 * ((x > -1.0) & (x < 1.0))).astype(grad.dtype, copy=False)


class Sparsemax(Activation):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along `axis`.

    `y = max(x - tau, 0)`, with `tau` chosen per row so the row sums to 1; unlike
    softmax, small entries become exactly 0. On the support `S = {y > 0}` the
    Jacobian is `I - 1 1^T / |S|`, so the vector-Jacobian product is
    `g - mean(g over S)` on `S` and 0 elsewhere.

    Args:
        axis: the axis the projection runs along (default -1).
    """

    name = "sparsemax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def compute(self, x: np.ndarray) -> np.ndarray:
        z = np.moveaxis(x, self.axis, -1)
        sorted_z = -np.sort(-z, axis=-1)  # descending
        k = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        cumulative = np.cumsum(sorted_z, axis=-1)
        # The support size: the largest k with 1 + k * z_(k) > sum of the k largest.
        in_support = 1.0 + k * sorted_z > cumulative
        support = np.sum(in_support, axis=-1, keepdims=True)
        tau = (np.take_along_axis(cumulative, support - 1, axis=-1) - 1.0) / support.astype(x.dtype)
        return np.moveaxis(np.maximum(z - tau, 0.0), -1, self.axis).astype(x.dtype, copy=False)

    def gradient(self, grad: np.ndarray, x: Any, y: Any) -> np.ndarray:
        support = y > 0
        count = np.sum(support, axis=self.axis, keepdims=True).astype(grad.dtype)
        mean = np.sum(grad * support, axis=self.axis, keepdims=True) / count
        return ((grad - mean) * support).astype(grad.dtype, copy=False)

    def get_config(self) -> dict:
        return {"axis": self.axis}


linear = Linear()
relu = ReLU()
sigmoid = Sigmoid()
tanh = Tanh()
softmax = Softmax()
elu = ELU()
selu = SELU()
gelu = GELU()
softplus = Softplus()
softsign = Softsign()
silu = SiLU()
swish = silu
hard_sigmoid = HardSigmoid()
exponential = Exponential()
leaky_relu = LeakyReLU()
log_softmax = LogSoftmax()
relu6 = ReLU6()
hard_silu = HardSiLU()
hard_swish = hard_silu
mish = Mish()
celu = CELU()
glu = GLU()
log_sigmoid = LogSigmoid()
sparse_plus = SparsePlus()
squareplus = Squareplus()
tanh_shrink = TanhShrink()
soft_shrink = SoftShrink()
hard_shrink = HardShrink()
hard_tanh = HardTanh()
threshold = Threshold()
sparse_sigmoid = SparseSigmoid()
sparsemax = Sparsemax()

ALL_ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": swish,
    "hard_sigmoid": hard_sigmoid,
    "exponential": exponential,
    "leaky_relu": leaky_relu,
    "log_softmax": log_softmax,
    "relu6": relu6,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "mish": mish,
    "celu": celu,
    "glu": glu,
    "log_sigmoid": log_sigmoid,
    "sparse_plus": sparse_plus,
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
    "soft_shrink": soft_shrink,
    "hard_shrink": hard_shrink,
    "hard_tanh": hard_tanh,
    "threshold": threshold,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
}

# Class names, for configured activations saved as `{"class_name": "GELU", "config": {...}}`.
ACTIVATION_CLASSES: dict[str, type[Activation]] = {
    cls.__name__: cls
    for cls in (Linear, ReLU, Sigmoid, Tanh, Softmax, ELU, SELU, GELU, Softplus, Softsign, SiLU)
    + (HardSigmoid, Exponential, LeakyReLU, LogSoftmax, Rectifier, ReLU6, HardSiLU, Mish, CELU, GLU, LogSigmoid)
    + (SparsePlus, Squareplus, TanhShrink, SoftShrink, HardShrink, HardTanh, Threshold, SparseSigmoid, Sparsemax)
}


def get(identifier: ActivationLike) -> Activation:
    """Return the activation for a name, None (linear), a config dict or an activation object.

    Raises:
        ValueError: for an unknown name (the closest known name is suggested).
    """
    if identifier is None:
        return linear
    if callable(identifier) and not isinstance(identifier, Activation):
        raise TypeError(
            f"Activation {identifier!r} is a plain function: minikeras needs its derivative too. "
            "Pass a name such as 'relu', or an instance of minikeras.activations.Activation "
            "that defines compute (or __call__) and gradient."
        )
    if isinstance(identifier, dict) and identifier.get("class_name") in ACTIVATION_CLASSES:
        return ACTIVATION_CLASSES[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
    return registry.resolve(identifier, ALL_ACTIVATIONS, "activation", Activation)


def deserialize(config: str | dict, custom_objects: dict | None = None) -> Activation:
    """Return the activation a name or config (as `serialize` or Keras writes it) stands for.

    Keras 3 writes a built-in activation inside `serialize_keras_object` as
    `{"class_name": "function", "config": "relu", ...}`; that form is read too.
    """
    if isinstance(config, dict) and config.get("class_name") == "function" and isinstance(config.get("config"), str):
        config = config["config"]
    if isinstance(config, dict) and config.get("class_name") in ACTIVATION_CLASSES:
        return get(config)
    return registry.resolve(config, ALL_ACTIVATIONS, "activation", Activation, custom_objects)


def serialize(activation: Activation) -> str | dict:
    """Return what Keras writes for `activation` in a layer config.

    A built-in activation with its default options is written as its name
    ("gelu"), exactly as Keras writes it; one with other options
    (`GELU(approximate=True)`, `LeakyReLU(0.1)`) as `{"class_name", "config"}`,
    which `get` reads back; a registered custom activation as its config
    dictionary.
    """
    if getattr(type(activation), "_registered_name", None):
        return registry.serialize(activation, "keras.activations")
    cls = type(activation)
    if ACTIVATION_CLASSES.get(cls.__name__) is cls:
        default = ALL_ACTIVATIONS.get(activation.name)
        if type(default) is cls and default.get_config() == activation.get_config():
            return activation.name
        return {"module": "minikeras.activations", "class_name": cls.__name__, "config": activation.get_config()}
    return activation.name


__all__ = [
    "ACTIVATION_CLASSES",
    "ALL_ACTIVATIONS",
    "Activation",
    "CELU",
    "ELU",
    "Exponential",
    "GELU",
    "GLU",
    "HardShrink",
    "HardSiLU",
    "HardSigmoid",
    "HardTanh",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "ReLU",
    "ReLU6",
    "Rectifier",
    "SELU",
    "SiLU",
    "Sigmoid",
    "SoftShrink",
    "Softmax",
    "Softplus",
    "Softsign",
    "SparsePlus",
    "SparseSigmoid",
    "Sparsemax",
    "Squareplus",
    "Tanh",
    "TanhShrink",
    "Threshold",
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]
