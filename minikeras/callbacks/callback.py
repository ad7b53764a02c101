"""The `Callback` base class: Keras's hook names, `self.model` and `self.params`."""

from __future__ import annotations

from typing import Any

# Every hook the training loop calls, in the order of a run (the old on_batch_* names are
# reached through on_train_batch_*).
HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


class Callback:
    """Base class of callbacks; override the hooks you need.

    Hooks receive `logs`, a dict of floats:

    * `on_train_batch_end` / `on_test_batch_end`: the running loss and metrics
      of the epoch so far (`{"loss": ..., "accuracy": ...}`);
    * `on_epoch_end`: the epoch's `loss`, each metric, and their `val_`
      versions when there is validation data;
    * `on_predict_batch_end`: `{"outputs": predictions of the batch}`.

    Attributes:
        model: the model being trained (set by `set_model`).
        params: `{"epochs", "steps", "verbose"}` (set by `set_params`).

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        ...         print(epoch, logs["loss"])
    """

    def __init__(self) -> None:
        self.params: dict = {}
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The model the hooks are called for (a `Sequential`), None until `set_model`."""
        return self._model

    def set_model(self, model: Any) -> None:
        self._model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    # Keras's older names: a subclass may override on_batch_begin/end, which the
    # training-batch hooks call, as in Keras.
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
