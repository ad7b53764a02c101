"""`ReduceLROnPlateau`: lower the learning rate when a monitored quantity stops improving."""

from __future__ import annotations

import warnings
from typing import Any

from minikeras.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` after `patience` epochs without improvement.

    Models often gain from a learning rate 2-10 times smaller once learning
    stagnates. At the end of each epoch, a value that beats the best by more
    than `min_delta` resets the waiting count; otherwise the count grows, and
    when it reaches `patience` the optimizer's `learning_rate` becomes
    `max(learning_rate * factor, min_lr)`. A reduction is followed by
    `cooldown` epochs in which nothing is counted. The new rate is the one the
    next epoch trains with. The epoch logs get `learning_rate`: the rate the
    epoch trained with.

    Args:
        monitor: the log key to watch (default "val_loss").
        factor: the multiplier, below 1 (default 0.1).
        patience: epochs without improvement before a reduction (default 10).
        verbose: 0 (default) silent, 1 prints each reduction.
        mode: "auto" (default), "min" or "max"; see `MonitorCallback`.
        min_delta: the smallest change that counts as an improvement
            (default 1e-4).
        cooldown: epochs to wait after a reduction before counting again
            (default 0).
        min_lr: the lower bound of the learning rate (default 0).

    Example:
        >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
        >>> model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[reduce_lr])
    """

    _missing_monitor_message = "Learning rate reduction is conditioned on metric `{monitor}` which is not available."

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if "epsilon" in kwargs:  # Keras 2's name for min_delta
            warnings.warn(
                "ReduceLROnPlateau: `epsilon` is deprecated, use `min_delta` instead.", DeprecationWarning, stacklevel=2
            )
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to ReduceLROnPlateau: {kwargs}")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        if patience < 0 or cooldown < 0 or min_lr < 0:
            raise ValueError(
                "ReduceLROnPlateau patience, cooldown and min_lr must be non-negative. "
                f"Received: patience={patience}, cooldown={cooldown}, min_lr={min_lr}"
            )
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0
        self.monitor_op = None  # decided again from this fit's metrics

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # only now: the compiled metrics exist after the first batch
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_learning_rate(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_learning_rate(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = float(optimizer.learning_rate)
        if old_lr <= self.min_lr:
            return False  # already at the floor: nothing to reduce, no cooldown
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
