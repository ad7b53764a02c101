"""`LossFunctionWrapper`: a plain function `fn(y_true, y_pred)` of per-sample values as a `Loss`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from minikeras.losses.base import Loss
from minikeras.saving import registry


class LossFunctionWrapper(Loss):
    """Wrap a loss function, as `compile(loss=my_function)` does in Keras.

    The function returns one value per sample (or per position); the reduction and sample
    weights apply as for the built-in losses, and the gradient comes from autograd (the
    `autodiff` extra), so the function is written in `minikeras.ops`.

    Args:
        fn: `fn(y_true, y_pred, **kwargs)` -> per-sample values.
        reduction: as for every `Loss`.
        name: the name in logs (the function's name by default).
        dtype: accepted for Keras's signature.
        **kwargs: passed to `fn` at every call.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> Any:
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        fn_name = getattr(type(self.fn), "_registered_name", None) or getattr(self.fn, "_registered_name", None)
        return {**super().get_config(), "fn": fn_name or registry.get_registered_name(self.fn), **self.fn_kwargs}
