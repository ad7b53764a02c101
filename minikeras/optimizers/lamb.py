"""Lamb: Adam's step rescaled, weight by weight, by the ratio of the weight's norm to the step's norm."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


def _norm(array: np.ndarray) -> float:
    """The L2 norm of all of `array`, summed in float64."""
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments), updating as Keras does.

    With `t` the step (1 for the first), the moments follow Adam: `m = m + (g - m)(1 - beta_1)`,
    `v = v + (g^2 - v)(1 - beta_2)`; the Adam direction is
    `u = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon)` and
    `w = w - lr * ratio * u`, with the trust ratio `ratio = ||w|| / ||u||` over the whole weight
    (1 when either norm is 0). The ratio needs the whole weight, so Lamb updates weight by
    weight (`update_step`), never on the flat path.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: decay of the first moment (default 0.9).
        beta_2: decay of the second moment (default 0.999).
        epsilon: added to the denominator (default 1e-7).
        **kwargs: the base optimizer's options (clipnorm, weight_decay, name, ...).
    """

    default_name = "lamb"
    slot_groups = (("momentum", "velocity"),)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        for label, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{label} must be in [0, 1). Received: {label}={value}")
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def update_step(self, param: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        """Update the moments of `param` and move it by its trust-ratio-scaled Adam direction, in place."""
        step = self.iterations + 1
        slots = self.slots(param)
        momentum, velocity = slots["momentum"], slots["velocity"]
        momentum += (grad - momentum) * (1 - self.beta_1)
        velocity += (np.square(grad) - velocity) * (1 - self.beta_2)
        direction = momentum / (1.0 - self.beta_1**step)
        direction /= np.sqrt(velocity / (1.0 - self.beta_2**step)) + self.epsilon
        weight_norm, direction_norm = _norm(param), _norm(direction)
        ratio = weight_norm / direction_norm if weight_norm > 0 and direction_norm > 0 else 1.0
        direction *= -ratio * learning_rate
        param += direction

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
