"""Lion: steps of fixed size in the sign of an interpolated momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Lion(Optimizer):
    """Lion (evolved sign momentum), updating as Keras does.

    `w = w - lr * sign(beta_1 * m + (1 - beta_1) * g)`, then `m = beta_2 * m + (1 - beta_2) * g`.
    Every element moves by exactly the learning rate, so Lion wants a smaller rate than Adam
    (3 to 10 times) and a larger `weight_decay`. Elementwise: it runs on all weights at once on the fast path.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: weight of the momentum in the direction of the step, in (0, 1] (default 0.9).
        beta_2: decay of the momentum (default 0.99).
        **kwargs: the base optimizer's options (clipnorm, weight_decay, name, ...).
    """

    default_name = "lion"
    slot_groups = (("momentum",),)

    def __init__(
        self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs: Any
    ) -> None:
        if not 0 < beta_1 <= 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to SignSGD. "
                f"Received: beta_1={beta_1}."
            )
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Return `-lr * sign(beta_1 * m + (1 - beta_1) * g)`, then move the momentum in `slots` towards `g`."""
        momentum = slots["momentum"]
        direction = np.multiply(momentum, self.beta_1, out=out)
        direction += grad * (1.0 - self.beta_1)
        step = np.sign(direction, out=direction)
        step *= -learning_rate
        momentum *= self.beta_2
        momentum += grad * (1.0 - self.beta_2)
        return step

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
