"""`LambdaCallback`: a callback made of plain functions."""

from __future__ import annotations

from minikeras.callbacks.callback import Callback

_HOOK_NAMES = {
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
}


class LambdaCallback(Callback):
    """Any hook from a function: `LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch))`.

    Args:
        on_epoch_begin, on_epoch_end: functions of (epoch, logs).
        on_train_batch_begin, on_train_batch_end (or Keras's older on_batch_begin,
            on_batch_end): functions of (batch, logs).
        on_train_begin, on_train_end: functions of (logs).
        **kwargs: any other hook by its name (on_test_end=..., on_predict_batch_end=...).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin or kwargs.pop("on_batch_begin", None),
            "on_train_batch_end": on_train_batch_end or kwargs.pop("on_batch_end", None),
        }
        unknown = set(kwargs) - _HOOK_NAMES
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks: {sorted(unknown)}. Hooks are: {sorted(_HOOK_NAMES)}")
        hooks.update(kwargs)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
