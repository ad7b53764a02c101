"""`LearningRateScheduler`: set the learning rate at the start of every epoch from a function."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

from minikeras.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At the start of each epoch, set `optimizer.learning_rate = schedule(epoch, lr)`.

    `schedule` gets the epoch index (0-based) and the current learning rate and
    returns the rate that whole epoch trains with. A function of the epoch alone
    is accepted too (Keras's older form). The epoch logs get `learning_rate`.

    Args:
        schedule: a function `(epoch, lr) -> new_lr` (or `epoch -> new_lr`)
            returning a float.
        verbose: 0 (default) silent, 1 prints each new rate.

    Example:
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(scheduler)])
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a function of (epoch, lr). Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        learning_rate = self._call_schedule(epoch, float(optimizer.learning_rate))
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise ValueError(f'The output of the "schedule" function should be a float. Got: {learning_rate!r}')
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.")

    def _call_schedule(self, epoch: int, learning_rate: float):
        try:
            return self.schedule(epoch, learning_rate)
        except TypeError:
            # Keras falls back to schedule(epoch) on a TypeError; a TypeError raised
            # inside a two-argument schedule is the user's and must not be hidden.
            if _accepts_two_arguments(self.schedule):
                raise
            return self.schedule(epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _accepts_two_arguments(function) -> bool:
    try:
        inspect.signature(function).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): assume Keras's two-argument form
        return True
    return True
