"""Learning-rate schedules: callables of the step number, usable as `learning_rate=`.

The optimizer evaluates its schedule at its step count (`optimizer.iterations`, 0 for the
first step), as Keras does. A rate that depends on the step is a `LearningRateSchedule`
subclass: the optimizer calls any other callable with no arguments, as Keras does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from minikeras.saving import registry

if TYPE_CHECKING:
    from typing_extensions import Self


class LearningRateSchedule:
    """Base class: `schedule(step) -> learning rate`, with `get_config` for saving."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be saved.")

    @classmethod
    def from_config(cls, config: dict) -> Self:
        return cls(**config)


def _keras_positive(name: str, value) -> None:
    """Keras's check of a schedule's step count, in Keras's words."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value!r}")


def _positive(name: str, value, owner: str):
    if not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{owner}: {name} must be > 0. Received: {name}={value!r}")


class _StepDecay(LearningRateSchedule):
    """Shared arguments of the decays driven by `step / decay_steps` (floored with `staircase`)."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ) -> None:
        _positive("decay_steps", decay_steps, type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StepDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; with `staircase`, the exponent is floored.

    Example:
        >>> SGD(learning_rate=ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96))
    """

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`,
    `values[-1]` after the last boundary."""

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant") -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "PiecewiseConstantDecay needs one more value than boundaries. "
                f"Received: {len(boundaries)} boundaries and {len(values)} values."
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay boundaries must increase. Received: boundaries={boundaries}")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class InverseTimeDecay(_StepDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`; with `staircase`, the ratio is floored."""

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class CosineDecay(LearningRateSchedule):
    """Cosine decay from a start rate to `alpha` times it over `decay_steps`, with an optional linear warmup.

    Without warmup (`warmup_target=None`): `lr(step) = initial * ((1 - alpha) * c + alpha)` with
    `c = (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2`. With warmup, the rate first
    climbs linearly from `initial_learning_rate` to `warmup_target` over `warmup_steps`, then
    decays from `warmup_target` as above.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        _positive("decay_steps", decay_steps, "CosineDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start_rate):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start_rate * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            return (
                self.warmup_target - self.initial_learning_rate
            ) * step / self.warmup_steps + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class PolynomialDecay(LearningRateSchedule):
    """A polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`.

    `lr(step) = (initial - end) * (1 - step / decay_steps) ** power + end`, with `step` held at
    `decay_steps` afterwards. With `cycle=True` the decay starts again, ever longer: `decay_steps` is
    multiplied by `ceil(step / decay_steps)` (1 at step 0), so the rate falls to `end` at each
    multiple of `decay_steps` and climbs back above it after.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to reach `end_learning_rate`, > 0.
        end_learning_rate: the last rate (default 0.0001).
        power: the polynomial's power (default 1.0: linear).
        cycle: restart after `decay_steps` (default False).
        name: default "PolynomialDecay".

    Example:
        >>> SGD(learning_rate=PolynomialDecay(0.1, decay_steps=10000, end_learning_rate=0.01, power=0.5))
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        _keras_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: int) -> float:
        decay_steps: float = self.decay_steps
        if self.cycle:
            decay_steps *= max(1, math.ceil(step / self.decay_steps))
        else:
            step = min(step, self.decay_steps)
        remaining = 1 - step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * remaining**self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov and Hutter, 2016).

    The rate follows a cosine from `initial_learning_rate` down to `alpha` times it over
    `first_decay_steps`, then restarts; the i-th period (from 0) lasts `first_decay_steps * t_mul**i`
    steps and starts from `initial_learning_rate * m_mul**i`. Within a period, at fraction `f` of it:
    `lr = initial * ((1 - alpha) * m_mul**i * (1 + cos(pi * f)) / 2 + alpha)`.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: length of the first period, > 0.
        t_mul: each period is this many times longer than the last (default 2.0).
        m_mul: each period starts this many times lower than the last (default 1.0).
        alpha: the floor, as a fraction of `initial_learning_rate` (default 0.0).
        name: default "SGDRDecay".
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        _keras_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def _period(self, step: int) -> tuple[int, float]:
        """The period `step` falls in (from 0) and the fraction of that period done."""
        done = step / self.first_decay_steps  # in units of the first period
        if self.t_mul == 1.0:
            period = math.floor(done)
            return period, done - period
        # Periods 0..i-1 last (t_mul**i - 1) / (t_mul - 1) first periods: solve for i.
        period = math.floor(math.log(1.0 - done * (1.0 - self.t_mul)) / math.log(self.t_mul))
        fraction = self._fraction(done, period)
        # At a restart the logarithm may round to the wrong side of an integer: the step starts the next period.
        if fraction >= 1.0:
            period += 1
        elif fraction < 0.0:
            period -= 1
        return period, self._fraction(done, period)

    def _fraction(self, done: float, period: int) -> float:
        """The fraction of period `period` done `done` first periods after step 0 (t_mul != 1)."""
        before = (1.0 - self.t_mul**period) / (1.0 - self.t_mul)
        return (done - before) / self.t_mul**period

    def __call__(self, step: int) -> float:
        period, fraction = self._period(step)
        cosine = 0.5 * self.m_mul**period * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_SCHEDULES = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        InverseTimeDecay,
        CosineDecay,
        PolynomialDecay,
        CosineDecayRestarts,
    )
}


def get(identifier: LearningRateSchedule | Callable[[int], float] | dict) -> Callable[[int], float]:
    """Return a schedule from a config dict or a schedule object (other callables pass through unchanged)."""
    if callable(identifier) and not isinstance(identifier, dict):
        return identifier
    return registry.resolve(identifier, ALL_SCHEDULES, "learning rate schedule", LearningRateSchedule)


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """Return Keras's config form of a schedule: `{"module", "class_name", "config", "registered_name"}`."""
    return registry.serialize(learning_rate_schedule, "keras.optimizers.schedules")


def deserialize(config: dict | str, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Return the schedule a config (as `serialize` gives) or a class name stands for.

    Args:
        config: `{"class_name": ..., "config": {...}}`.
        custom_objects: extra names to accept (custom `LearningRateSchedule` subclasses).

    Raises:
        ValueError: an unknown class name.
    """
    return registry.resolve(
        config, ALL_SCHEDULES, "learning rate schedule", LearningRateSchedule, custom_objects=custom_objects
    )
