"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Adadelta(Optimizer):
    """Adadelta, updating as Keras does.

    `A = rho A + (1 - rho) g^2`; `d = -sqrt(D + eps) / sqrt(A + eps) * g`;
    `D = rho D + (1 - rho) d^2`; `w = w + lr * d`.

    Args:
        learning_rate: float or schedule (default 0.001, as Keras).
        rho: decay of the running averages (default 0.95).
        epsilon: added inside the square roots (default 1e-7).
    """

    default_name = "adadelta"
    slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(
        self, learning_rate: LearningRate = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Update both running averages (in place) and return `learning_rate * delta`."""
        accumulated_grad = slots["accumulated_grad"]
        accumulated_delta = slots["accumulated_delta_var"]
        accumulated_grad *= self.rho
        accumulated_grad += (1 - self.rho) * np.square(grad)
        delta = -np.sqrt(accumulated_delta + self.epsilon) * grad / np.sqrt(accumulated_grad + self.epsilon)
        accumulated_delta *= self.rho
        accumulated_delta += (1 - self.rho) * np.square(delta)
        return learning_rate * delta

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
