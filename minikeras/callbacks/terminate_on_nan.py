"""`TerminateOnNaN`: stop training at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import math

from minikeras.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stop training at the end of the first batch whose loss is NaN or infinite.

    By default it sets `model.stop_training = True`: `fit` ends after that batch
    (the epoch's `on_epoch_end` still runs, then `on_train_end`), and the weights
    are those of that step. With `raise_error=True` it raises a `RuntimeError`
    instead, so that `fit` fails; minikeras still calls every callback's
    `on_train_end`, and `BackupAndRestore` then keeps its backup.

    Args:
        raise_error: raise a `RuntimeError` instead of stopping quietly
            (default False).

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
