"""`MonitorCallback`: the monitor / mode / min_delta / best-value logic, written once.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau all watch one quantity of the
logs and ask "is this better than the best so far?"; they share this base, as in Keras.
"""

from __future__ import annotations

import operator
import warnings

from minikeras.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Base class for callbacks that watch one logged quantity.

    Args:
        monitor: the log key to watch (default "val_loss").
        mode: "min", "max" or "auto" (default). "auto" minimizes a loss and
            maximizes a metric whose `direction` is "up" (accuracy and the like);
            for anything else it asks you to choose.
        baseline: an initial best value, or None (the first value seen).
        min_delta: an improvement must beat the best by more than this.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in getattr(self.model, "metrics", []) or []:
                if metric.name == name and name != "loss":
                    self.monitor_op = operator.gt if getattr(metric, "direction", "down") == "up" else operator.lt
            if self.monitor_op is None and any(part in name for part in ("acc", "auc", "precision", "recall")):
                self.monitor_op = operator.gt  # a metric not compiled yet, named like accuracy
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but minikeras can't tell whether "
                    "that metric should be maximized or minimized. Pass mode='max' or mode='min'."
                )
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    # How a warning about a missing monitored key begins (each callback says what depends on it).
    missing_monitor_message = "{name} is conditioned on metric `{monitor}`"

    def get_monitor_value(self, logs):
        """The monitored value in `logs`, or None with a warning listing the keys there are."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            start = self.missing_monitor_message.format(name=type(self).__name__, monitor=self.monitor)
            warnings.warn(f"{start} which is not available. Available metrics are: {','.join(logs)}", stacklevel=3)
        return value

    def _is_improvement(self, value, reference) -> bool:
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))
