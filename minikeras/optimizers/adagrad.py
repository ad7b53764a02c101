"""Adagrad: per-weight learning rates that shrink with the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Adagrad(Optimizer):
    """Adagrad, updating as Keras does: `a = a + g^2`, `w = w - lr * g / sqrt(a + epsilon)`.

    Args:
        learning_rate: float or schedule (default 0.001).
        initial_accumulator_value: the start of `a` (default 0.1).
        epsilon: added inside the square root (default 1e-7).
    """

    default_name = "adagrad"
    slot_groups = (("accumulator",),)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError(f"initial_accumulator_value must be >= 0. Received: {initial_accumulator_value}")
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def slot_initial_value(self, name: str) -> float:
        return self.initial_accumulator_value

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Add `g^2` to the accumulator `a` (in place) and return `-learning_rate * g / sqrt(a + epsilon)`."""
        accumulator = slots["accumulator"]
        accumulator += np.square(grad)
        # -learning_rate inside the product: exactly the negation of the step (IEEE rounding is symmetric).
        return -learning_rate * grad / np.sqrt(accumulator + self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
