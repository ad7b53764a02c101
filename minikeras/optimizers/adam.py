"""Adam and AdamW: moving averages of the gradient and of its square, bias-corrected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Adam(Optimizer):
    """Adam, updating as Keras does.

    With `t` the step (1 for the first), `m = m + (g - m)(1 - beta_1)`,
    `v = v + (g^2 - v)(1 - beta_2)` and
    `w = w - lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)`:
    the bias correction folded into the step size and epsilon added outside the
    square root, as in Keras. With `amsgrad`, `v` is replaced by its running maximum.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: decay of the first moment (default 0.9).
        beta_2: decay of the second moment (default 0.999).
        epsilon: added to the denominator (default 1e-7).
        amsgrad: use the maximum of past second moments (default False).
    """

    default_name = "adam"

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        for label, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{label} must be in [0, 1). Received: {label}={value}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)

    def active_slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum", "velocity")] + [("velocity_hat",)] * self.amsgrad

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Update the moving averages in `slots` and return `-alpha * m / (sqrt(v) + epsilon)`."""
        step = self.iterations + 1
        alpha = learning_rate * math.sqrt(1 - self.beta_2**step) / (1 - self.beta_1**step)
        momentum, velocity = slots["momentum"], slots["velocity"]
        momentum += (grad - momentum) * (1 - self.beta_1)
        velocity += (np.square(grad) - velocity) * (1 - self.beta_2)
        if self.amsgrad:
            velocity_hat = slots["velocity_hat"]
            np.maximum(velocity_hat, velocity, out=velocity_hat)
            velocity = velocity_hat
        # -alpha inside the product: exactly the negation of `momentum * alpha / ...` (IEEE
        # rounding is symmetric), so `w + increment` is `w - step` bit for bit.
        return momentum * -alpha / (np.sqrt(velocity) + self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay: each step first shrinks every weight by
    `weight * weight_decay * learning_rate`, then takes the Adam step (Keras's AdamW).

    Args:
        weight_decay: default 0.004; it must be set.
    """

    default_name = "adam_w"

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay; for none, use Adam. Received: weight_decay=None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
