"""The moving average of the weights an optimizer keeps with `use_ema=True` (Polyak averaging).

After every call of `Optimizer.apply` (also one that only accumulates a gradient, see
`gradient_accumulation_steps`), each weight's average becomes

    average = m * average + (1 - m) * weight

with `m = ema_momentum`, except at the first step (`iterations == 0`), where `m` is 0, so the
average starts at the weights after the first update. With `ema_overwrite_frequency=f`, the
weights are then replaced by their averages whenever `iterations + 1` is a multiple of `f`.
The averages are computed in the weights' dtype, as Keras does.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

Pairs = Iterable[tuple[np.ndarray, np.ndarray]]


def check_options(use_ema: bool, ema_momentum: Any, ema_overwrite_frequency: Any) -> None:
    """Refuse moving-average settings Keras refuses (checked only with `use_ema=True`, as Keras).

    Raises:
        ValueError: `ema_momentum` outside [0, 1], or `ema_overwrite_frequency` neither None nor an integer >= 1
            (0, which Keras lets through, means never, as None).
    """
    if not use_ema:
        return
    if (
        isinstance(ema_momentum, bool)
        or not isinstance(ema_momentum, numbers.Real)
        or not 0 <= float(ema_momentum) <= 1
    ):
        raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum!r}")
    frequency = ema_overwrite_frequency
    if frequency is not None and (
        isinstance(frequency, bool) or not isinstance(frequency, numbers.Integral) or frequency < 0
    ):  # 0 is Keras's "never", as None
        raise ValueError(
            "`ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={frequency!r}"
        )


def update(pairs: Pairs, momentum: float, first_step: bool) -> None:
    """`average = m * average + (1 - m) * weight` in place for each `(weight, average)`; `m = 0` at the first step.

    The two products are rounded separately and then added, in the weight's dtype, as in Keras.
    """
    for weight, average in pairs:
        m = weight.dtype.type(0.0 if first_step else momentum)
        average *= m
        average += (weight.dtype.type(1.0) - m) * weight


def overwrite(pairs: Pairs) -> None:
    """Write each average into its weight, in place."""
    for weight, average in pairs:
        np.copyto(weight, average)


def swap(pairs: Pairs) -> None:
    """Exchange each weight's values with its average's, both in place."""
    for weight, average in pairs:
        kept = weight.copy()
        np.copyto(weight, average)
        np.copyto(average, kept)
