"""`CallbackList`: the one object the training loop talks to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from minikeras.callbacks.callback import HOOKS, Callback
from minikeras.callbacks.history import History
from minikeras.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Calls each hook on every callback in order.

    Args:
        callbacks: the user's callbacks (a list, or None).
        add_history: add a `History` after the user's callbacks unless one is given, as Keras does: it
            then records what they add to the logs (`learning_rate`, from the learning-rate callbacks).
        add_progbar: add a `ProgbarLogger` (last) unless one is given.
        model: the model, passed to every callback's `set_model`.
        **params: `epochs`, `steps`, `verbose`, passed to `set_params`.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        callbacks = list(callbacks or [])
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be instances of minikeras.callbacks.Callback. Received: {callback!r}")
        if add_history and not any(isinstance(c, History) for c in callbacks):
            callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            callbacks.append(ProgbarLogger())
        self.callbacks = callbacks
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def wants_batch_hooks(self, mode: str) -> bool:
        """Whether any callback does something per batch in `mode` ("train", "test" or "predict").

        As Keras does, the loop skips the batch hooks (and building their logs) when none of
        the callbacks overrides them: with `verbose=0` and no batch-level callback, that is
        two calls and a dict fewer per batch.
        """
        names = [f"on_{mode}_batch_begin", f"on_{mode}_batch_end"]
        if mode == "train":
            names += ["on_batch_begin", "on_batch_end"]  # the old names the train hooks call
        return any(_overrides(callback, name) for callback in self.callbacks for name in names)


def _overrides(callback: Callback, name: str) -> bool:
    """Whether `callback`'s hook `name` is anything but `Callback`'s own (class, instance or
    `__getattr__` tricks alike: whatever the instance answers counts)."""
    hook = getattr(callback, name)
    return getattr(hook, "__func__", hook) is not getattr(Callback, name)


def _dispatch(hook: str):
    # Keras always passes logs (a dict, {} when there is nothing to say), so that
    # user functions written as `lambda epoch, logs: ...` receive them.
    arity = 2 if ("batch" in hook or "epoch" in hook) else 1

    def call_all(self, *args):
        if len(args) < arity:
            args = (*args, {})
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    call_all.__name__ = hook
    return call_all


for _hook in HOOKS:
    setattr(CallbackList, _hook, _dispatch(_hook))
