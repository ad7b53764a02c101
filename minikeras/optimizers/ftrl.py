"""FTRL: "Follow The Regularized Leader", with L1, L2 and L2-shrinkage regularization."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import LearningRate, Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), updating as Keras does.

    With `n` the accumulator, `z` the linear term, `p = -learning_rate_power` and
    `g' = g + 2 * l2_shrinkage_regularization_strength * w`:

        n_new = n + g^2
        z = z + g' - (n_new^p - n^p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new^p / lr + 2 * (l2 + beta / (2 * lr)))

    so a weight whose `|z|` stays below `l1` is exactly zero. The new weight is computed from the
    old one, not added to it, so Ftrl updates weight by weight (`update_step`), never on the flat path.

    Args:
        learning_rate: float or schedule (default 0.001).
        learning_rate_power: how the per-weight rate falls as the accumulator grows, <= 0
            (default -0.5; 0 for a fixed rate).
        initial_accumulator_value: the start of `n`, >= 0 (default 0.1).
        l1_regularization_strength: >= 0 (default 0.0).
        l2_regularization_strength: a stabilizing L2 penalty, >= 0 (default 0.0).
        l2_shrinkage_regularization_strength: an L2 penalty on the weights' magnitude, added to the
            gradient, >= 0 (default 0.0).
        beta: the paper's beta (default 0.0).
        **kwargs: the base optimizer's options (clipnorm, weight_decay, name, ...).
    """

    default_name = "ftrl"
    # Keras creates, weight after weight, an accumulator and a linear term: the saving order.
    slot_groups = (("accumulator", "linear"),)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        # Keras's checks and words, before anything is set.
        if initial_accumulator_value < 0.0:
            raise ValueError(
                "`initial_accumulator_value` needs to be positive or zero. "
                f"Received: initial_accumulator_value={initial_accumulator_value}."
            )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. "
                f"Received: learning_rate_power={learning_rate_power}."
            )
        for label, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(f"`{label}` needs to be positive or zero. Received: {label}={value}.")
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)

    def slot_initial_value(self, name: str) -> float:
        return self.initial_accumulator_value if name == "accumulator" else 0.0

    def update_step(self, param: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        """Set `param` (in place) to the FTRL-Proximal solution for its updated accumulator and linear term."""
        slots = self.slots(param)
        accumulator, linear = slots["accumulator"], slots["linear"]
        power = -self.learning_rate_power
        # beta's share of the L2 strength; numpy's division, so that a zero rate gives inf as in Keras, not an error.
        l2 = self.l2_regularization_strength + float(np.divide(self.beta, np.float64(2.0 * learning_rate)))
        shrunk = grad
        if self.l2_shrinkage_regularization_strength:
            shrunk = grad + (2 * self.l2_shrinkage_regularization_strength) * param
        new_accumulator = accumulator + np.square(grad)
        scaled_new = np.power(new_accumulator, power)
        linear += shrunk - (scaled_new - np.power(accumulator, power)) / learning_rate * param
        quadratic = scaled_new / learning_rate + 2 * l2
        l1 = self.l1_regularization_strength
        param[...] = (np.clip(linear, -l1, l1) - linear) / quadratic
        accumulator[...] = new_accumulator

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
