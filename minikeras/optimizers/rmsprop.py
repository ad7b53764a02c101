"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class RMSprop(Optimizer):
    """RMSprop, Keras's default optimizer for `compile()`, updating as Keras does.

    `v = rho * v + (1 - rho) * g^2`; the step is
    `learning_rate * g / sqrt(v + epsilon)` (centered: `v - a^2 + epsilon`,
    with `a = rho * a + (1 - rho) * g`); with momentum the step accumulates in
    `m = momentum * m + step` and `w = w - m`, else `w = w - step`.

    Args:
        learning_rate: float or schedule (default 0.001).
        rho: decay of the moving average of squared gradients (default 0.9).
        momentum: default 0.0.
        epsilon: added inside the square root (default 1e-7).
        centered: subtract the squared mean gradient (default False).
    """

    default_name = "rm_sprop"  # what Keras 3 calls it

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"rho must be in [0, 1). Received: rho={rho}")
        if momentum < 0:
            raise ValueError(f"momentum must be >= 0. Received: momentum={momentum}")
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)

    slot_groups = (("velocity",), ("momentum",), ("average_gradient",))

    def active_slot_groups(self) -> list[tuple[str, ...]]:
        groups: list[tuple[str, ...]] = [("velocity",)]
        return groups + [("momentum",)] * (self.momentum > 0) + [("average_gradient",)] * self.centered

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Update the running averages (in place) and return minus the step (or minus the accumulated steps)."""
        velocity = slots["velocity"]
        velocity *= self.rho
        velocity += (1 - self.rho) * np.square(grad)
        if self.centered:
            average = slots["average_gradient"]
            average *= self.rho
            average += (1 - self.rho) * grad
            denominator = velocity - np.square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        if self.momentum > 0:
            accumulated = slots["momentum"]
            accumulated *= self.momentum
            accumulated += learning_rate * grad / np.sqrt(denominator)
            return np.negative(accumulated, out=out)  # `w + (-m)` is `w - m` exactly
        # -learning_rate inside the product: exactly the negation of the step (IEEE rounding is symmetric).
        return -learning_rate * grad / np.sqrt(denominator)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
