"""`LambdaCallback`: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minikeras.callbacks.callback import HOOKS, Callback

_HOOKS = (*HOOKS, "on_batch_begin", "on_batch_end")  # Keras 2's names for the train-batch hooks too


class LambdaCallback(Callback):
    """A callback whose hooks are the functions you give, for small jobs that need no class.

    Each function takes the hook's positional arguments: `(epoch, logs)` for
    the epoch hooks, `(batch, logs)` for the batch hooks, `(logs)` for the
    begin/end hooks. Hooks you do not give do nothing.

    Args:
        on_epoch_begin: called at the start of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called when training starts.
        on_train_end: called when training ends.
        on_train_batch_begin: called before every training batch; Keras's
            older name `on_batch_begin` works too.
        on_train_batch_end: called after every training batch; Keras's older
            name `on_batch_end` works too.
        **kwargs: any other hook by its name (`on_test_end=...`,
            `on_predict_batch_end=...`). Another keyword starting with `on_`
            is refused, since a misspelt hook would never be called; any
            other keyword becomes an attribute, as in Keras.

    Example:
        >>> import json
        >>> log = open("loss_log.json", "w")
        >>> json_logging = LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: log.write(json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\\n"),
        ...     on_train_end=lambda logs: log.close(),
        ... )
    """

    def __init__(
        self,
        on_epoch_begin: Callable[[int, dict], Any] | None = None,
        on_epoch_end: Callable[[int, dict], Any] | None = None,
        on_train_begin: Callable[[dict], Any] | None = None,
        on_train_end: Callable[[dict], Any] | None = None,
        on_train_batch_begin: Callable[[int, dict], Any] | None = None,
        on_train_batch_end: Callable[[int, dict], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        misspelt = sorted(name for name in kwargs if name.startswith("on_") and name not in _HOOKS)
        if misspelt:
            raise TypeError(f"LambdaCallback received unknown hooks: {misspelt}. The hooks are: {', '.join(_HOOKS)}")
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, value in kwargs.items():
            if name in _HOOKS and value is None:
                continue
            setattr(self, name, value)
        # The training loop calls on_train_batch_*; Keras's older on_batch_* names reach
        # the same point (when both are given, the on_train_batch_* function wins, as in Keras).
        for old, new in (("on_batch_begin", "on_train_batch_begin"), ("on_batch_end", "on_train_batch_end")):
            if hooks[new] is None and kwargs.get(old) is not None:
                hooks[new] = kwargs[old]
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
