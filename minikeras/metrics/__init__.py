"""Stateful metrics: `update_state` per batch, `result` per epoch, `reset_state`.

A metric accumulates sums over the whole epoch, so its result is exact over
all samples seen (not an average of per-batch averages, which would weight a
short last batch wrongly).

The metrics live in one module per family, all published here:

* `base`: `Metric`, the weighted `Mean` and `Sum`, `MeanMetricWrapper` (a
  per-sample function as a metric);
* `accuracies`: exact, binary, categorical, sparse and top-k accuracies;
* `confusion`: confusion counts, `TruePositives`, `FalsePositives`,
  `TrueNegatives`, `FalseNegatives`, `Precision`, `Recall`;
* `auc`: `AUC`;
* `constrained`: a rate at a constraint on another (`PrecisionAtRecall`,
  `RecallAtPrecision`, `SensitivityAtSpecificity`, `SpecificityAtSensitivity`);
* `f_score`: `FBetaScore`, `F1Score`;
* `regression`: mean squared/absolute/percentage/logarithmic errors, their
  root, cosine similarity, log-cosh, `R2Score`;
* `probabilistic`: cross-entropies, KL divergence, Poisson;
* `hinges`: the hinge losses as metrics;
* `correlation`: the Pearson and concordance correlation coefficients
  (`PearsonCorrelation`, `ConcordanceCorrelation` and their functions);
* `iou`: intersection over union (`IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`,
  `OneHotMeanIoU`).

As in Keras, the per-sample functions are published here too: the accuracies,
`pearson_correlation`, `concordance_correlation`, and the loss functions Keras
lists among its metrics (`mean_squared_error`, `binary_crossentropy`, `huber`...,
the very functions of `minikeras.losses`).

`get` turns a name, a config or a function into a metric; `resolve` does the
same once the shapes of labels and predictions are known, which "accuracy"
needs (see `minikeras.metrics.accuracies.resolve_accuracy`); `serialize`
writes Keras's config form and `deserialize` reads it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minikeras import losses
from minikeras.metrics.accuracies import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    resolve_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from minikeras.metrics.auc import AUC
from minikeras.metrics.base import Mean, MeanMetricWrapper, Metric, Sum, _serialize_function, registry_name
from minikeras.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
    confusion_counts,
)
from minikeras.metrics.constrained import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from minikeras.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from minikeras.metrics.f_score import F1Score, FBetaScore
from minikeras.metrics.hinges import CategoricalHinge, Hinge, SquaredHinge
from minikeras.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from minikeras.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from minikeras.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    _cosine_similarity,
)
from minikeras.saving import registry
from minikeras.utils.naming import to_snake_case

# The loss functions Keras publishes in keras.metrics too (the same functions as minikeras.losses').
binary_crossentropy = losses.binary_crossentropy
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
categorical_hinge = losses.categorical_hinge
hinge = losses.hinge
squared_hinge = losses.squared_hinge
huber = losses.huber
kl_divergence = losses.kl_divergence
log_cosh = losses.log_cosh
mean_absolute_error = losses.mean_absolute_error
mean_absolute_percentage_error = losses.mean_absolute_percentage_error
mean_squared_error = losses.mean_squared_error
mean_squared_logarithmic_error = losses.mean_squared_logarithmic_error
poisson = losses.poisson
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy

_FUNCTIONS = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
    **losses.LOSS_FUNCTIONS,
    "cosine_similarity": _cosine_similarity,  # as a metric it is the similarity, not the loss's negative
}
_UP = {
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "cosine_similarity",
}
# Every function a `MeanMetricWrapper` config may name (`fn`), Keras's "accuracy" function and the correlation
# functions included (their names make the stateful metrics in `get`, as in Keras).
METRIC_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **_FUNCTIONS,
    "accuracy": accuracy,
    "pearson_correlation": pearson_correlation,
    "concordance_correlation": concordance_correlation,
}

ALL_METRICS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Accuracy,
        BinaryAccuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy,
        Precision,
        Recall,
        AUC,
        TruePositives,
        FalsePositives,
        TrueNegatives,
        FalseNegatives,
        PrecisionAtRecall,
        RecallAtPrecision,
        SensitivityAtSpecificity,
        SpecificityAtSensitivity,
        FBetaScore,
        F1Score,
        MeanSquaredError,
        RootMeanSquaredError,
        MeanAbsoluteError,
        MeanAbsolutePercentageError,
        MeanSquaredLogarithmicError,
        CosineSimilarity,
        LogCoshError,
        Hinge,
        SquaredHinge,
        CategoricalHinge,
        KLDivergence,
        Poisson,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        Mean,
        Sum,
        MeanMetricWrapper,
        R2Score,
        IoU,
        MeanIoU,
        BinaryIoU,
        OneHotIoU,
        OneHotMeanIoU,
        PearsonCorrelation,
        ConcordanceCorrelation,
    )
}
# Keras's snake-case names of stateful metrics with no per-sample function ("rmse" is minikeras's shorthand).
_CLASS_NAMES: dict[str, type] = {
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "root_mean_squared_error": RootMeanSquaredError,
    "rmse": RootMeanSquaredError,
    "log_cosh_error": LogCoshError,
    "r2_score": R2Score,
    "sum": Sum,
    "mean": Mean,
    "binary_io_u": BinaryIoU,  # the only IoU metric whose arguments all have defaults
    "true_positives": TruePositives,
    "false_positives": FalsePositives,
    "true_negatives": TrueNegatives,
    "false_negatives": FalseNegatives,
    # Keras knows these names too, but the classes need their constraint: the name alone is a TypeError, as there.
    "precision_at_recall": PrecisionAtRecall,
    "recall_at_precision": RecallAtPrecision,
    "sensitivity_at_specificity": SensitivityAtSpecificity,
    "specificity_at_sensitivity": SpecificityAtSensitivity,
    "f_beta_score": FBetaScore,
    "f1_score": F1Score,
    "pearson_correlation": PearsonCorrelation,
    "concordance_correlation": ConcordanceCorrelation,
}


def get(identifier: Metric | str | dict | Callable[..., Any]) -> Metric:
    """Return a metric for a name, a config dict or a Metric instance.

    A function name (`"categorical_accuracy"`, or a loss name such as `"mse"`)
    becomes a mean over samples whose log key is exactly the name given;
    Keras's names of the stateful metrics (`"precision"`, `"recall"`, `"auc"`,
    `"root_mean_squared_error"` or `"rmse"`) become those metrics, with the
    class's default name.
    "accuracy"/"acc" need the data's shapes: use `resolve`.
    """
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        metric = MeanMetricWrapper(_FUNCTIONS[identifier], name=identifier)
        metric.direction = "up" if identifier in _UP else "down"
        return metric
    if isinstance(identifier, str) and identifier.lower() in _CLASS_NAMES:
        return _CLASS_NAMES[identifier.lower()]()
    if callable(identifier) and not isinstance(identifier, (Metric, type)):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    return registry.resolve(identifier, {**ALL_METRICS, **_FUNCTIONS}, "metric", Metric)


def resolve(identifier: Metric | str | dict | Callable[..., Any], y_true_shape: tuple, y_pred_shape: tuple) -> Metric:
    """What `compile` makes of a metric: like `get`, choosing binary/categorical/sparse accuracy for
    "accuracy" or "acc", and naming a metric given as a string by that string, as Keras's `compile` does
    (`metrics=["AUC"]` logs "AUC"; `metrics.get("AUC")` alone has the class's default name, "auc")."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return resolve_accuracy(identifier, y_true_shape, y_pred_shape)
    metric = get(identifier)
    if isinstance(identifier, str):  # as Keras's compile: the log key is the name as written ("AUC", "rmse")
        metric.name = identifier
    return metric


def serialize(metric: Metric | Callable[..., Any]) -> dict | str:
    """Return Keras's config form of `metric` (a plain name for function metrics).

    A metric function (`minikeras.metrics.pearson_correlation`) gives Keras's
    function entry, `{"module": "builtins", "class_name": "function", "config": name, ...}`.
    """
    if type(metric) is MeanMetricWrapper:
        return metric.name
    if not isinstance(metric, (Metric, type)) and callable(metric) and hasattr(metric, "__name__"):
        return _serialize_function(metric)
    return registry.serialize(metric, "keras.metrics")


# The names `deserialize` knows, as Keras's table: every class by its name and snake-case name, Keras's short
# aliases of the classes, and (where no class has the name) the metric functions.
_DESERIALIZABLE: dict[str, Any] = {
    **METRIC_FUNCTIONS,
    **_CLASS_NAMES,
    **{to_snake_case(name): cls for name, cls in ALL_METRICS.items()},
    **ALL_METRICS,
    "bce": BinaryCrossentropy,
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
}


def deserialize(config: dict | str, custom_objects: dict[str, Any] | None = None) -> Metric | Callable[..., Any]:
    """Return the metric or metric function a config (as `serialize` gives) or a name stands for.

    As in Keras, a class's name or snake-case name (`"PearsonCorrelation"`,
    `"pearson_correlation"`, `"mse"`) gives a new metric with its defaults, a
    class config `{"class_name": ..., "config": {...}}` that metric with its
    config, and a function entry (`{"class_name": "function", "config": "huber"}`)
    or the name of a function with no class (`"huber"`) the function itself.

    Args:
        config: a name or a config dict.
        custom_objects: extra `{name: class or function}` to accept (custom
            metrics), looked in first.

    Returns:
        A `Metric`, or a per-sample metric function.

    Raises:
        ValueError: for an unknown name, with the closest known one suggested.
    """
    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        found = None
        if isinstance(name, str):
            found = registry.get_registered_object(name, custom_objects, module_objects=METRIC_FUNCTIONS)
        if found is None or not callable(found):
            raise ValueError(
                f"Unknown metric function: {name!r}.{registry.suggest(str(name), METRIC_FUNCTIONS)} A custom "
                "function must be registered with minikeras.saving.register_serializable() or passed in "
                f"custom_objects. Full config: {config}"
            )
        return found
    return registry.resolve(config, _DESERIALIZABLE, "metric", Metric, custom_objects=custom_objects)


__all__ = [
    "ALL_METRICS",
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "METRIC_FUNCTIONS",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "confusion_counts",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "registry_name",
    "resolve",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
