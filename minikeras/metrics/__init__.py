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
* `hinge`: the hinge losses as metrics;
* `iou`: intersection over union (`IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`,
  `OneHotMeanIoU`).

`get` turns a name, a config or a function into a metric; `resolve` does the
same once the shapes of labels and predictions are known, which "accuracy"
needs (see `minikeras.metrics.accuracies.resolve_accuracy`); `serialize`
writes Keras's config form.
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
from minikeras.metrics.base import Mean, MeanMetricWrapper, Metric, Sum, registry_name
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
from minikeras.metrics.f_score import F1Score, FBetaScore
from minikeras.metrics.hinge import CategoricalHinge, Hinge, SquaredHinge
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
# Every function a `MeanMetricWrapper` config may name (`fn`), Keras's "accuracy" function included.
METRIC_FUNCTIONS: dict[str, Callable[..., Any]] = {**_FUNCTIONS, "accuracy": accuracy}

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


def serialize(metric: Metric) -> dict | str:
    """Return Keras's config form of `metric` (a plain name for function metrics)."""
    if type(metric) is MeanMetricWrapper:
        return metric.name
    return registry.serialize(metric, "keras.metrics")


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
    "categorical_accuracy",
    "confusion_counts",
    "get",
    "registry_name",
    "resolve",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
