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
from minikeras import initializers as _initializers
from minikeras.variables import Variable

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
        self._state_variables: list[tuple[Variable, np.ndarray]] = []  # (variable, its initial value)
        # minikeras's metrics make their state in reset_state, so it runs here. A metric written as
        # Keras's makes its state with add_variable after this constructor returns: its reset_state
        # cannot run yet (it reads variables that do not exist), and need not (they start initialized).
        try:
            self.reset_state()
        except AttributeError:
            if type(self).reset_state.__module__.startswith("minikeras."):
                raise

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Add one batch: `(y_true, y_pred, sample_weight=None)`, or `Mean`'s `(values, sample_weight=None)`."""
        raise NotImplementedError

    def result(self) -> float | np.ndarray:
        raise NotImplementedError

    def reset_state(self) -> None:
        """Set every state variable (`add_variable`) back to its initial value."""
        for variable, initial in getattr(self, "_state_variables", ()):
            variable.assign(initial)

    # -- state variables, as Keras's custom metrics make them
    def add_variable(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: DTypeLike | None = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Create a state variable (a `Variable`: `assign`, `assign_add`, `value`, ...) that
        `reset_state` sets back to its initial value. `aggregation` is accepted for Keras's signature
        (one device: nothing to aggregate)."""
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
        dtype = _config.standardize_dtype(dtype or self.dtype)
        value = np.array(_initializers.get(initializer or "zeros")(shape, dtype=dtype), dtype=dtype).reshape(shape)
        variable = Variable(value, name=name or f"variable_{len(self._state_variables)}", trainable=False)
        variable.path = f"{self.name}/{variable.name}"
        self._state_variables.append((variable, value.copy()))
        return variable

    def add_weight(
        self,
        name: str | None = None,
        shape: Any = (),
        aggregation: str = "sum",
        initializer: Any = None,
        dtype: DTypeLike | None = None,
    ) -> Variable:
        """Keras's older name for `add_variable` (note its argument order: name first)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, aggregation=aggregation, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The state variables made with `add_variable` / `add_weight`."""
        return [variable for variable, _ in self._state_variables]

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


def _per_sample(
    values: ArrayLike, sample_weight: ArrayLike | None, reduce: Callable[..., np.ndarray]
) -> tuple[np.ndarray, np.ndarray | None]:
    """One value (and one weight) per sample, as Keras reduces a batch before adding it up.

    The first axis is the sample axis. The weights and the values are first
    brought to the same rank (a trailing axis of 1 dropped or added); values of
    higher rank than the weights are reduced with `reduce` down to the weights'
    rank and multiplied by them; the weights, and then the products, are reduced
    (weights by their mean) over every axis past the first. So `(batch,)` weights
    count each sample once, whatever its number of values, and one weight for all
    weighs the batch's reduced value once.

    Args:
        values: the batch's values, any shape.
        sample_weight: None, one weight, or weights broadcastable to the values
            (after the rank fix).
        reduce: `np.mean` (for `Mean`) or `np.sum` (for `Sum`), called with an
            `axis` tuple.

    Returns:
        `(values, weights)`: the weighted values reduced to at most one axis, and
        the weights reduced likewise (None when none were given).
    """
    values = np.asarray(values, dtype=np.float64)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        values, weights = _same_rank(values, weights)
        weight_rank = weights.ndim
        if values.ndim > weight_rank:
            values = reduce(values, axis=tuple(range(weight_rank, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                "sample_weight cannot be broadcast to the values. "
                f"Received: sample_weight.shape={np.shape(sample_weight)}, values.shape={values.shape}"
            ) from None
        values = values * weights
        if weight_rank > 1:
            weights = np.mean(weights, axis=tuple(range(1, weight_rank)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """Weighted sum of all values given to `update_state(values, sample_weight=None)`.

    Args:
        name: the key in logs (default "sum").
        dtype: kept for Keras's signature and config.

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        4.0
    """

    def __init__(self, name: str = "sum", dtype: DTypeLike | None = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values: float | ArrayLike, sample_weight: float | ArrayLike | None = None) -> None:
        """Add `sum(values * sample_weight)` (each sample's values summed, then weighted)."""
        summed, _ = _per_sample(values, sample_weight, np.sum)
        self.total += float(summed.sum())

    def result(self) -> float:
        return self.total


class Mean(Metric):
    """Weighted mean over samples of all values given to `update_state(values, sample_weight=None)`.

    As in Keras, each sample's values are first averaged into one value (the
    first axis is the sample axis), and the result is `sum(w_i v_i) / sum(w_i)`
    over the samples of every batch: per-value weights are averaged per sample
    too, and one weight for a whole batch weighs the batch's mean once (the loss
    tracker gives a batch's loss with its size as weight).

    Args:
        name: the key in logs (default "mean").
        dtype: kept for Keras's signature and config.

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    def __init__(self, name: str = "mean", dtype: DTypeLike | None = None) -> None:
        super().__init__(name=name, dtype=dtype)

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
        means, weights = _per_sample(values, sample_weight, np.mean)
        self.total += float(means.sum())
        if weights is not None:
            self.count += float(weights.sum())
        else:
            self.count += float(means.shape[0]) if means.ndim else 1.0

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


def _serialize_function(fn: Callable[..., Any]) -> dict:
    """Keras's config form of a plain function: its (registered) name."""
    from minikeras.saving import registry

    return {
        "module": "builtins",
        "class_name": "function",
        "config": registry.get_registered_name(fn),
        "registered_name": "function",
    }


def _function_from_config(fn: Any) -> Callable[..., Any]:
    """The function a `MeanMetricWrapper` config names: a metric or loss function, or a registered one."""
    if callable(fn):
        return fn
    name = fn.get("config") if isinstance(fn, dict) else fn
    if not isinstance(name, str):
        raise ValueError(f"Cannot read a metric function from {fn!r}: expected a name or a function config.")
    from minikeras import metrics as _metrics  # the package's table of functions (it imports this module)
    from minikeras.saving import registry

    found = registry.get_registered_object(name, module_objects=_metrics.METRIC_FUNCTIONS)
    if found is None or not callable(found):
        known = sorted(_metrics.METRIC_FUNCTIONS)
        raise ValueError(
            f"Unknown metric function: '{name}'.{registry.suggest(name, known)} A custom function must be "
            "registered with minikeras.saving.register_serializable() or passed in a custom_object_scope."
        )
    return found


class MeanMetricWrapper(Mean):
    """Mean over samples of `fn(y_true, y_pred, **kwargs)` (a per-sample function).

    Args:
        fn: function returning one value per sample (or per element; a
            sample's values are averaged first, as in `Mean`).
        name: the key in logs (default "mean_metric_wrapper", as in Keras).
        dtype: kept for Keras's signature and config.
        **kwargs: passed to `fn` on every call, and written in the config.

    `get_config()` writes `fn` by name in Keras's form
    (`{"module": "builtins", "class_name": "function", "config": name, ...}`);
    `from_config` finds it among the metric and loss functions or the
    registered custom objects.
    """

    # The built-in subclasses fix their function, so their configs leave it out (as Keras's do).
    _fn_in_config = True

    def __init__(
        self, fn: Callable[..., ArrayLike], name: str | None = None, dtype: DTypeLike | None = None, **kwargs: Any
    ) -> None:
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper expects a function `fn(y_true, y_pred)`. Received: fn={fn!r}")
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or registry_name(type(self)), dtype=dtype)

    # Keras's signature: a function metric takes labels and predictions, where `Mean` takes values.
    def update_state(  # type: ignore[override]
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        if self._fn_in_config:
            config["fn"] = _serialize_function(self._fn)
        return {**config, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> Self:
        if cls._fn_in_config and "fn" in config:
            config = {**config, "fn": _function_from_config(config["fn"])}
        return cls(**config)


def _wrapper_class(class_name: str, fn, default_name: str, direction: str, doc: str, *, module: str, **fixed):
    """Make a named MeanMetricWrapper subclass for `fn`, as Keras has for each metric.

    `module` is the module the class is published from (its `__module__`, so it
    pickles and prints by that name).
    """

    def __init__(self, name: str = default_name, dtype: DTypeLike | None = None, **kwargs: Any) -> None:
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**fixed, **kwargs})

    namespace = {
        "__init__": __init__,
        "direction": direction,
        "__doc__": doc,
        "__module__": module,
        "_fn_in_config": False,
    }
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
