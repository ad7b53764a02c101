"""Stateful metrics: `update_state` per batch, `result` per epoch, `reset_state`.

A metric accumulates sums over the whole epoch, so its result is exact over
all samples seen (not an average of per-batch averages, which would weight a
short last batch wrongly).

`get("accuracy")` cannot decide between binary, categorical and sparse
accuracy without seeing the data; the model resolves it with `resolve` once it
knows the shapes of labels and predictions, by Keras's rule: predictions with
one column mean binary; labels of lower rank than the predictions, or with one
column against several, mean sparse; otherwise categorical.
"""

from __future__ import annotations

import numpy as np

from minikeras import losses
from minikeras.saving import registry


class Metric:
    """Base class of metrics.

    Args:
        name: the key the metric's result has in logs.
        dtype: unused (results are Python floats); kept for Keras's signature.

    Attributes:
        direction: "up" when larger is better (accuracy), "down" otherwise;
            callbacks with `mode="auto"` read it.
    """

    direction = "down"

    def __init__(self, name=None, dtype=None):
        self.name = name or registry_name(type(self))
        self.dtype = dtype
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def reset_state(self) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def registry_name(cls) -> str:
    from minikeras.utils.naming import to_snake_case

    return to_snake_case(cls.__name__)


class Mean(Metric):
    """Weighted mean of all values given to `update_state(values, sample_weight=None)`."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += float(values.size)
            return
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.ndim > values.ndim and weights.shape[-1] == 1:
            weights = weights.reshape(weights.shape[:-1])
        while weights.ndim < values.ndim:
            weights = weights[..., None]
        weights = np.broadcast_to(weights, values.shape)
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Mean over samples of `fn(y_true, y_pred, **kwargs)` (a per-sample function).

    Args:
        fn: function returning one value per sample (or per element).
        name: the key in logs.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold)` equals the 0/1 label, elementwise."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return ((y_pred > threshold) == (y_true > 0.5)).astype(np.float64)


def categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the predicted and true one-hot argmax agree."""
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the integer label equals the predicted argmax."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true.astype(np.int64) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def accuracy(y_true, y_pred):
    """1.0 per element where prediction and label are exactly equal (`keras.metrics.Accuracy`)."""
    return (np.asarray(y_true) == np.asarray(y_pred)).astype(np.float64)


def _wrapper_class(class_name: str, fn, default_name: str, direction: str, doc: str, **fixed):
    """Make a named MeanMetricWrapper subclass for `fn`, as Keras has for each metric."""

    def __init__(self, name=default_name, dtype=None, **kwargs):
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**fixed, **kwargs})

    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "direction": direction, "__doc__": doc})


Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy", "up", "How often predictions equal labels exactly.")
BinaryAccuracy = _wrapper_class(
    "BinaryAccuracy", binary_accuracy, "binary_accuracy", "up", "How often `y_pred > threshold` matches binary labels.", threshold=0.5
)
CategoricalAccuracy = _wrapper_class(
    "CategoricalAccuracy", categorical_accuracy, "categorical_accuracy", "up", "How often the argmax matches one-hot labels."
)
SparseCategoricalAccuracy = _wrapper_class(
    "SparseCategoricalAccuracy",
    sparse_categorical_accuracy,
    "sparse_categorical_accuracy",
    "up",
    "How often the argmax matches integer labels.",
)
MeanSquaredError = _wrapper_class(
    "MeanSquaredError", losses.mean_squared_error, "mean_squared_error", "down", "Mean of squared errors over the epoch."
)
MeanAbsoluteError = _wrapper_class(
    "MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error", "down", "Mean of absolute errors over the epoch."
)

_FUNCTIONS = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    **losses.LOSS_FUNCTIONS,
}
_UP = {"binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"}

ALL_METRICS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Accuracy,
        BinaryAccuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        Mean,
    )
}


def get(identifier) -> Metric:
    """Return a metric for a name, a config dict or a Metric instance.

    A function name (`"categorical_accuracy"`, or a loss name such as `"mse"`)
    becomes a mean over samples whose log key is exactly the name given.
    "accuracy"/"acc" need the data's shapes: use `resolve`.
    """
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        metric = MeanMetricWrapper(_FUNCTIONS[identifier], name=identifier)
        metric.direction = "up" if identifier in _UP else "down"
        return metric
    if callable(identifier) and not isinstance(identifier, (Metric, type)):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    return registry.resolve(identifier, {**ALL_METRICS, **_FUNCTIONS}, "metric", Metric)


def resolve(identifier, y_true_shape: tuple, y_pred_shape: tuple) -> Metric:
    """Like `get`, choosing binary/categorical/sparse accuracy for "accuracy" or "acc"."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary = y_pred_shape[-1] == 1
        is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
        if is_binary:
            return BinaryAccuracy(name=identifier)
        if is_sparse:
            return SparseCategoricalAccuracy(name=identifier)
        return CategoricalAccuracy(name=identifier)
    return get(identifier)


def serialize(metric) -> dict | str:
    """Return Keras's config form of `metric` (a plain name for function metrics)."""
    if type(metric) is MeanMetricWrapper:
        return metric.name
    return registry.serialize(metric, "keras.metrics")
