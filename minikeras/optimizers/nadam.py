"""Nadam: Adam with Nesterov momentum and a momentum schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Nadam(Optimizer):
    """Nadam, updating as Keras does.

    With `t` the step (1 for the first) and `u(t) = beta_1 (1 - 0.5 * 0.96^t)`, the
    product `P(t) = u(1) ... u(t)` is kept across steps (the one optimizer-wide state
    array, saved after the slots). Then `m`, `v` as in Adam and
    `w = w - lr * m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)` with
    `m_hat = u(t+1) m / (1 - P(t) u(t+1)) + (1 - u(t)) g / (1 - P(t))`.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1, beta_2, epsilon: as Adam (0.9, 0.999, 1e-7).
    """

    default_name = "nadam"

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def active_slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum", "velocity")]

    def build(self, params: Iterable[np.ndarray]) -> None:
        params = list(params)
        if params and "u_product" not in self._extra_state:
            self._extra_state["u_product"] = np.ones((), dtype=params[0].dtype)
        super().build(params)

    def prepare_step(self) -> None:
        step = self.iterations + 1
        self._extra_state["u_product"] *= self.beta_1 * (1.0 - 0.5 * 0.96**step)

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Update the moving averages (in place) and return minus the Nesterov-corrected Adam step."""
        step = self.iterations + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96**step)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        u_product = float(self._extra_state["u_product"])
        momentum = slots["momentum"]
        velocity = slots["velocity"]
        momentum += (grad - momentum) * (1 - self.beta_1)
        velocity += (np.square(grad) - velocity) * (1 - self.beta_2)
        m_hat = u_next * momentum / (1 - u_product * u_next) + (1 - u_t) * grad / (1 - u_product)
        v_hat = velocity / (1 - self.beta_2**step)
        # -learning_rate inside the product: exactly the negation of the step (IEEE rounding is symmetric).
        return m_hat * -learning_rate / (np.sqrt(v_hat) + self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
