"""Accuracy metrics: how often predictions match labels, exactly, by threshold, by argmax or in the top k.

`get("accuracy")` cannot decide between binary, categorical and sparse
accuracy without seeing the data; `resolve_accuracy` decides once the shapes
of labels and predictions are known, by Keras's rule: predictions with one
column mean binary; labels of lower rank than the predictions, or with one
column against several, mean sparse; otherwise categorical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minikeras.metrics.base import MeanMetricWrapper, Metric, _same_rank, _wrapper_class

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """1.0 where `(y_pred > threshold)` equals the 0/1 label, elementwise."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return ((y_pred > threshold) == (y_true > 0.5)).astype(np.float64)


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """1.0 per sample where the predicted and true one-hot argmax agree."""
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """1.0 per sample where the integer label equals the predicted argmax."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true.astype(np.int64, copy=False) == y_pred.argmax(axis=-1)).astype(np.float64)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """1.0 per element where prediction and label are exactly equal (`keras.metrics.Accuracy`).

    Labels take the predictions' dtype first, and a trailing axis of 1 on one of
    them is dropped or added (`(batch, 1)` labels against `(batch,)` predictions
    compare sample by sample, not every label with every prediction).
    """
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true).astype(y_pred.dtype, copy=False)
    y_true, y_pred = _same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(np.float64)


Accuracy = _wrapper_class(
    "Accuracy", accuracy, "accuracy", "up", "How often predictions equal labels exactly.", module=__name__
)
BinaryAccuracy = _wrapper_class(
    "BinaryAccuracy",
    binary_accuracy,
    "binary_accuracy",
    "up",
    "How often `y_pred > threshold` matches binary labels.",
    module=__name__,
    threshold=0.5,
)
CategoricalAccuracy = _wrapper_class(
    "CategoricalAccuracy",
    categorical_accuracy,
    "categorical_accuracy",
    "up",
    "How often the argmax matches one-hot labels.",
    module=__name__,
)
SparseCategoricalAccuracy = _wrapper_class(
    "SparseCategoricalAccuracy",
    sparse_categorical_accuracy,
    "sparse_categorical_accuracy",
    "up",
    "How often the argmax matches integer labels.",
    module=__name__,
)


def _in_top_k(labels: np.ndarray, predictions: np.ndarray, k: int) -> np.ndarray:
    """True where the label's score is among the `k` largest of its row.

    A label's rank is one plus the number of strictly larger scores, so ties
    count in the label's favour (JAX's rule, which Keras on JAX follows); a NaN
    score at the label ranks last.
    """
    at_label = np.take_along_axis(predictions, labels[..., None], axis=-1)
    at_label = np.where(np.isnan(at_label), -np.inf, at_label)
    rank = 1 + np.sum(predictions > at_label, axis=-1)
    return rank <= k


def top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> np.ndarray:
    """1.0 per sample where the one-hot label's class is among the `k` highest predictions."""
    y_pred = np.asarray(y_pred)
    labels = np.argmax(np.asarray(y_true), axis=-1)
    matches = _in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.reshape(labels.shape).astype(np.float64)


def sparse_top_k_categorical_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, k: int = 5, from_sorted_ids: bool = False
) -> np.ndarray:
    """1.0 per sample where the integer label is among the `k` highest predictions.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score
    (best first) and the label is looked for in its first `k` columns.
    """
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    rows = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        matches = np.any(y_true.reshape(-1, 1) == rows[:, :k], axis=1)
    else:
        matches = _in_top_k(y_true.reshape(-1).astype(np.int64), rows, k)
    return matches.reshape(y_true.shape).astype(np.float64)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the `k` highest predictions.

    Args:
        k: how many of the highest predictions count (default 5).

    Example:
        >>> m = TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    direction = "up"
    _fn_in_config = False

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: DTypeLike | None = None) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions.

    Args:
        k: how many of the highest predictions count (default 5).
        from_sorted_ids: `y_pred` holds class ids sorted best first rather
            than scores (default False).
    """

    direction = "up"
    _fn_in_config = False

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: DTypeLike | None = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:  # written only when set, as Keras does
            config["from_sorted_ids"] = True
        return config


def resolve_accuracy(identifier: str, y_true_shape: tuple, y_pred_shape: tuple) -> Metric:
    """Return the binary, sparse or categorical accuracy metric, named `identifier`, for these shapes.

    Args:
        identifier: the name given ("accuracy" or "acc"), kept as the metric's name.
        y_true_shape: shape of the labels, e.g. `(batch,)`, `(batch, 1)` or `(batch, classes)`.
        y_pred_shape: shape of the predictions, e.g. `(batch, 1)` or `(batch, classes)`.

    Returns:
        A `BinaryAccuracy`, `SparseCategoricalAccuracy` or `CategoricalAccuracy`.
    """
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
    if is_binary:
        return BinaryAccuracy(name=identifier)
    if is_sparse:
        return SparseCategoricalAccuracy(name=identifier)
    return CategoricalAccuracy(name=identifier)
