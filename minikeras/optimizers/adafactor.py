"""Adafactor: Adam-like steps with the second moment of a matrix kept as row and column averages."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


def _rms(array: np.ndarray) -> float:
    """The root mean square of all of `array`, summed in float64."""
    return float(np.sqrt(np.mean(np.square(array, dtype=np.float64))))


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018), updating as Keras does.

    With `t` the step (1 for the first), `rho = min(lr, 1 / sqrt(t))`,
    `alpha = max(epsilon_2, rms(w)) * rho`, `beta = 1 - t^beta_2_decay` and `s = g^2 + epsilon_1`:

    * a weight of 2 or more dimensions keeps `r`, the running mean of `s` over its last axis, and
      `c`, over its second-to-last axis; its second moment is `v = (r / mean(r)) outer c`
      (`r = beta * r + (1 - beta) * mean(s, -1)`, likewise `c`);
    * a weight of fewer dimensions keeps `v = beta * v + (1 - beta) * s` itself.

    Then `u = g / sqrt(v)`, clipped to `u / max(1, rms(u) / clip_threshold)`, and `w = w - alpha * u`.
    The step needs whole-weight means, so Adafactor updates weight by weight (`update_step`), never on
    the flat path.

    Slots, in Keras's saving order weight after weight: `r` (shape `w.shape[:-1]`), `c`
    (`w.shape[:-2] + w.shape[-1:]`) and `velocity` (like `w`, set to `v` every step). For a weight of
    fewer than 2 dimensions, `r` and `c` are int32 zeros of shape `()`, unused, as Keras keeps them.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_2_decay: exponent of the step in the second moment's decay (default -0.8).
        epsilon_1: added to the squared gradient (default 1e-30).
        epsilon_2: the least weight scale `alpha` is taken from (default 1e-3).
        clip_threshold: the largest root mean square of the normalized step (default 1.0).
        relative_step: cap the rate at `1 / sqrt(t)` (default True). Keras caps `rho` so in every case,
            so this changes nothing; it is kept for the config.
        **kwargs: the base optimizer's options (clipnorm, weight_decay, name, ...).
    """

    default_name = "adafactor"
    slot_groups = (("r", "c", "velocity"),)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = float(epsilon_1)
        self.epsilon_2 = float(epsilon_2)
        self.clip_threshold = float(clip_threshold)
        self.relative_step = bool(relative_step)

    def build(self, params: Iterable[np.ndarray]) -> None:
        """Create the slots of new weights; `r` and `c` take the factored shapes (see the class docstring)."""
        params = list(params)
        new = [param for param in {id(p): p for p in params}.values() if id(param) not in self._slots]
        super().build(params)
        for param in new:
            slots = self.slots(param)
            if param.ndim < 2:
                slots["r"] = np.zeros((), dtype=np.int32)
                slots["c"] = np.zeros((), dtype=np.int32)
            else:
                slots["r"] = np.zeros(param.shape[:-1], dtype=param.dtype)
                slots["c"] = np.zeros(param.shape[:-2] + param.shape[-1:], dtype=param.dtype)

    def update_step(self, param: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        """Update the second-moment slots of `param` and move it by the clipped, weight-scaled step, in place."""
        step = self.iterations + 1
        rho = min(learning_rate, 1.0 / math.sqrt(step))
        alpha = max(self.epsilon_2, _rms(param)) * rho
        squared = np.square(grad) + self.epsilon_1
        beta = 1.0 - step**self.beta_2_decay
        slots = self.slots(param)
        velocity = slots["velocity"]
        if param.ndim >= 2:
            r, c = slots["r"], slots["c"]
            r[...] = beta * r + (1 - beta) * np.mean(squared, axis=-1)
            c[...] = beta * c + (1 - beta) * np.mean(squared, axis=-2)
            np.multiply((r / np.mean(r, axis=-1, keepdims=True))[..., None], c[..., None, :], out=velocity)
        else:
            velocity[...] = beta * velocity + (1 - beta) * squared
        direction = grad / np.sqrt(velocity)
        direction /= max(1.0, _rms(direction) / self.clip_threshold)
        direction *= -alpha
        param += direction

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
