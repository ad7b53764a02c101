"""The base of every metric: `Metric`, the running weighted `Mean`, and a per-sample function as a metric.

A metric accumulates sums over the whole epoch, so its result is exact over
all samples seen (not an average of per-batch averages, which would weight a
short last batch wrongly). `MeanMetricWrapper` turns a function returning one
value per sample (an accuracy, a loss's per-sample values) into such a mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from minikeras import config as _config
from minikeras.utils.sample_weights import broadcast_sample_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike
    from typing_extensions import Self


class Metric:
    """Base class of metrics.

    Args:
        name: the key the metric's result has in logs.
        dtype: unused (results are Python floats); kept for Keras's signature.
            None means `keras.config.floatx()` ("float32"), as in Keras, and
            `get_config()` writes that name.

    Attributes:
        direction: "up" when larger is better (accuracy), "down" otherwise;
            callbacks with `mode="auto"` read it.
    """

    direction = "down"

    def __init__(self, name: str | None = None, dtype: DTypeLike | None = None) -> None:
        self.name = name or registry_name(type(self))
        self.dtype = _config.floatx() if dtype is None else dtype
        self.reset_state()

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Add one batch: `(y_true, y_pred, sample_weight=None)`, or `Mean`'s `(values, sample_weight=None)`."""
        raise NotImplementedError

    def result(self) -> float | np.ndarray:
        raise NotImplementedError

    def reset_state(self) -> None:
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> float | np.ndarray:
        """Add one batch (`update_state`) and return the result so far, as calling a Keras metric does.

        Example:
            >>> m = Mean()
            >>> float(m([1.0, 3.0]))
            2.0
        """
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Self:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def registry_name(cls: type) -> str:
    from minikeras.utils.naming import to_snake_case

    return to_snake_case(cls.__name__)


class Mean(Metric):
    """Weighted mean of all values given to `update_state(values, sample_weight=None)`."""

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: float | ArrayLike, sample_weight: float | ArrayLike | None = None) -> None:
        if isinstance(values, float) and isinstance(sample_weight, (int, float, type(None))):
            # One number (the loss tracker, every step): plain arithmetic, no arrays.
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += values * weight
            self.count += weight
            return
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += float(values.size)
            return
        if np.ndim(sample_weight) == 0:  # one weight for all (the loss tracker's batch size): no broadcast
            weight = float(sample_weight)  # type: ignore[arg-type]  # a number or a 0-d array
            self.total += float(values.sum()) * weight
            self.count += values.size * weight
            return
        weights = broadcast_sample_weight(np.asarray(sample_weight, dtype=np.float64), values)
        weights = np.broadcast_to(weights, values.shape)
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Mean over samples of `fn(y_true, y_pred, **kwargs)` (a per-sample function).

    Args:
        fn: function returning one value per sample (or per element).
        name: the key in logs.
    """

    def __init__(
        self, fn: Callable[..., ArrayLike], name: str | None = None, dtype: DTypeLike | None = None, **kwargs: Any
    ) -> None:
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    # Keras's signature: a function metric takes labels and predictions, where `Mean` takes values.
    def update_state(  # type: ignore[override]
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}


def _wrapper_class(class_name: str, fn, default_name: str, direction: str, doc: str, *, module: str, **fixed):
    """Make a named MeanMetricWrapper subclass for `fn`, as Keras has for each metric.

    `module` is the module the class is published from (its `__module__`, so it
    pickles and prints by that name).
    """

    def __init__(self, name: str = default_name, dtype: DTypeLike | None = None, **kwargs: Any) -> None:
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**fixed, **kwargs})

    namespace = {"__init__": __init__, "direction": direction, "__doc__": doc, "__module__": module}
    return type(class_name, (MeanMetricWrapper,), namespace)


def _same_rank(x1: np.ndarray, x2: np.ndarray, expand_rank_1: bool = True):
    """Keras's `squeeze_or_expand_to_same_rank`: fix ranks differing by a trailing axis of 1."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2
