"""`MonitorCallback`: the monitor / mode / min_delta / best-value logic, written once.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau each watch one quantity of
the logs and ask the same question, "is this value better than the best so far?".
They share this base, as they do in Keras 3, so that the three cannot disagree
on what "better" means.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable
from typing import Any

from minikeras.callbacks.callback import Callback

# Parts of a quantity's name that mean "larger is better", for mode="auto" when the
# model has no metric of that name to ask (its compiled metrics are resolved from the
# first batch of data, so before the first fit there is only the loss).
_LARGER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "iou")


class MonitorCallback(Callback):
    """Base class for callbacks that watch one logged quantity and track its best value.

    A subclass calls `_set_monitor_op()` once the model's metrics exist (at the
    first `on_epoch_end`), reads the value with `get_monitor_value(logs)` and
    compares with `_is_improvement(value, reference)`. It is not meant to be
    used on its own.

    `mode="auto"` decides the direction from the quantity's name, the `val_`
    prefix removed: `loss` is minimized; a compiled metric of that name is
    maximized when its `direction` is "up" (accuracy and the like) and
    minimized otherwise; any other name is maximized when it contains "acc",
    "auc", "precision", "recall", "f1", "fmeasure" or "iou", and minimized
    otherwise.

    Args:
        monitor: the log key to watch (default "val_loss").
        mode: "auto" (default), "min" or "max". An unknown mode warns and
            falls back to "auto", as in Keras.
        baseline: the initial best value; None (default) means the first
            value seen is the first best.
        min_delta: an improvement must beat the reference by more than this
            (default 0); its sign is ignored.

    Attributes:
        best: the best value so far (None before the first one).
        monitor_op: `operator.lt` (minimize) or `operator.gt` (maximize), set
            by `_set_monitor_op`.
        min_delta: after `_set_monitor_op`, negative when minimizing, as in
            Keras, so that `monitor_op(value - min_delta, best)` reads
            "better by more than min_delta" in both modes.

    Example:
        >>> class PrintImprovements(MonitorCallback):
        ...     def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        ...         if self.monitor_op is None:
        ...             self._set_monitor_op()
        ...         value = self.get_monitor_value(logs)
        ...         if self._is_improvement(value, self.best):
        ...             self.best = value
        ...             print(f"epoch {epoch + 1}: {self.monitor} improved to {value:.4f}")
    """

    # Subclasses name what depends on the monitored quantity, for the missing-key warning.
    _missing_monitor_message = "{name} conditioned on metric `{monitor}` which is not available."

    def __init__(
        self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None, min_delta: float = 0
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[Any, Any], Any] | None = None

    # -------------------------------------------------------------- direction
    def _set_monitor_op(self) -> None:
        """Choose `monitor_op` from `mode` (and, in "auto", from the model's metrics) and sign `min_delta`."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            self.monitor_op = operator.gt if self._larger_is_better() else operator.lt
        # Minimizing, "better by more than min_delta" is value + |min_delta| < best.
        self.min_delta = -abs(self.min_delta) if self.monitor_op is operator.lt else abs(self.min_delta)

    def _larger_is_better(self) -> bool:
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return False
        for metric in getattr(self.model, "metrics", None) or []:
            if getattr(metric, "name", None) == name:
                # minikeras metrics say `direction`; Keras 3 metrics say `_direction`.
                direction = getattr(metric, "direction", None) or getattr(metric, "_direction", None)
                if direction is not None:
                    return direction == "up"
        return any(part in name for part in _LARGER_IS_BETTER)

    # ------------------------------------------------------------ comparisons
    def _is_improvement(self, value, reference) -> bool:
        """True when `value` beats `reference` by more than `min_delta` (anything beats None).

        A NaN value never counts as an improvement: every comparison with NaN is
        false, so a NaN kept as "best" would block all later improvements.
        """
        if value is None or _is_nan(value):
            return False
        if reference is None:
            return True
        assert self.monitor_op is not None  # chosen by `_set_monitor_op` first
        return bool(self.monitor_op(value - self.min_delta, reference))

    def get_monitor_value(self, logs: dict | None) -> Any:
        """Return `logs[monitor]`, or None with a warning naming the keys that are there."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            message = self._missing_monitor_message.format(name=type(self).__name__, monitor=self.monitor)
            warnings.warn(f"{message} Available metrics are: {','.join(logs)}", stacklevel=3)
        return value


def _is_nan(value) -> bool:
    try:
        return math.isnan(value)
    except TypeError:  # not a number: let the comparison say what is wrong
        return False
