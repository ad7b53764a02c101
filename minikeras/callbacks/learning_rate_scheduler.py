"""`LearningRateScheduler`: set the learning rate at the start of every epoch from a function."""

from __future__ import annotations

from minikeras.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At the start of each epoch, set `optimizer.learning_rate = schedule(epoch, lr)`.

    Args:
        schedule: a function of the epoch index (0-based) and the current learning
            rate returning the new one (a function of the epoch alone works too).
        verbose: 1 prints each new rate.

    Example:
        >>> def halve_after_ten(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.5
        >>> model.fit(x, y, epochs=20, callbacks=[LearningRateScheduler(halve_after_ten)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = float(self.model.optimizer.learning_rate)
        try:
            learning_rate = self.schedule(epoch, learning_rate)
        except TypeError:  # a schedule of the epoch alone (Keras 1 style)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, int)) and not hasattr(learning_rate, "__float__"):
            raise ValueError(f'The output of the "schedule" function should be a float. Got: {learning_rate!r}')
        self.model.optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
