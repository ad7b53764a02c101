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
        on_epoch_begin: function of (epoch, logs).
        on_epoch_end: function of (epoch, logs).
        on_train_begin: function of (logs).
        on_train_end: function of (logs).
        on_train_batch_begin: function of (batch, logs); Keras's older name on_batch_begin works too.
        on_train_batch_end: function of (batch, logs); Keras's older name on_batch_end works too.
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
