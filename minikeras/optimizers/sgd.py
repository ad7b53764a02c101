"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum, updating as Keras does.

    Without momentum: `w = w - learning_rate * g`.
    With momentum: `v = momentum * v - learning_rate * g`, then `w = w + v`,
    or with `nesterov=True`: `w = w + momentum * v - learning_rate * g`.

    Args:
        learning_rate: float or schedule (default 0.01).
        momentum: float in [0, 1] (default 0.0).
        nesterov: whether to use Nesterov momentum (default False).
        **kwargs: the base optimizer's options (clipnorm, weight_decay, ...).

    Example:
        >>> opt = SGD(learning_rate=0.01, momentum=0.9)
        >>> opt.learning_rate = 0.001  # takes effect at the next step
    """

    default_name = "sgd"

    def __init__(
        self, learning_rate: LearningRate = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    slot_groups = (("momentum",),)

    def active_slot_groups(self) -> list[tuple[str, ...]]:
        return list(self.slot_groups) if self.momentum != 0 else []

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """`-learning_rate * grad`, or with momentum the new velocity `v = momentum * v - learning_rate * grad`
        (updated in place), or with Nesterov `momentum * v - learning_rate * grad`."""
        # Scaled by -learning_rate rather than negated afterwards: the same bits (`a - b` is
        # `a + (-b)` in floating point), one pass over the gradients fewer without momentum.
        descent = np.multiply(grad, -learning_rate, out=out)
        if not self.momentum:
            return descent
        velocity = slots["momentum"]
        velocity *= self.momentum
        velocity += descent
        if self.nesterov:
            return np.add(self.momentum * velocity, descent, out=descent)
        return velocity

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
