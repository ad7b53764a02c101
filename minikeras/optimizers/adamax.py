"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Adamax(Optimizer):
    """Adamax, updating as Keras does.

    With `t` the step (1 for the first): `m = m + (g - m)(1 - beta_1)`, `u = max(beta_2 * u, |g|)` and
    `w = w - lr / (1 - beta_1^t) * m / (u + epsilon)`. The update is elementwise, so it runs on all
    weights at once on the fast path.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: decay of the first moment (default 0.9).
        beta_2: decay of the infinity norm (default 0.999).
        epsilon: added to the norm (default 1e-7).
        **kwargs: the base optimizer's options (clipnorm, weight_decay, name, ...).
    """

    default_name = "adamax"
    # Keras creates, weight after weight, a momentum and a norm: the saving order.
    slot_groups = (("momentum", "norm"),)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        for label, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{label} must be in [0, 1). Received: {label}={value}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Update the momentum and the norm in `slots` and return `-lr / (1 - beta_1^t) * m / (u + epsilon)`."""
        step = self.iterations + 1
        momentum, norm = slots["momentum"], slots["norm"]
        momentum += (grad - momentum) * (1 - self.beta_1)
        norm *= self.beta_2
        np.maximum(norm, np.abs(grad), out=norm)
        # The negative scale inside the product: `w + increment` is `w - step` bit for bit.
        scaled = np.multiply(momentum, -learning_rate / (1 - self.beta_1**step), out=out)
        return np.divide(scaled, norm + self.epsilon, out=scaled)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
