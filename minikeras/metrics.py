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

from minikeras import activations, losses
from minikeras import config as _config
from minikeras.saving import registry


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

    def __init__(self, name=None, dtype=None):
        self.name = name or registry_name(type(self))
        self.dtype = _config.floatx() if dtype is None else dtype
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
            weight = float(sample_weight)
            self.total += float(values.sum()) * weight
            self.count += values.size * weight
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
    return (y_true.astype(np.int64, copy=False) == y_pred.argmax(axis=-1)).astype(np.float64)


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
    "BinaryAccuracy",
    binary_accuracy,
    "binary_accuracy",
    "up",
    "How often `y_pred > threshold` matches binary labels.",
    threshold=0.5,
)
CategoricalAccuracy = _wrapper_class(
    "CategoricalAccuracy",
    categorical_accuracy,
    "categorical_accuracy",
    "up",
    "How often the argmax matches one-hot labels.",
)
SparseCategoricalAccuracy = _wrapper_class(
    "SparseCategoricalAccuracy",
    sparse_categorical_accuracy,
    "sparse_categorical_accuracy",
    "up",
    "How often the argmax matches integer labels.",
)
MeanSquaredError = _wrapper_class(
    "MeanSquaredError",
    losses.mean_squared_error,
    "mean_squared_error",
    "down",
    "Mean of squared errors over the epoch.",
)
MeanAbsoluteError = _wrapper_class(
    "MeanAbsoluteError",
    losses.mean_absolute_error,
    "mean_absolute_error",
    "down",
    "Mean of absolute errors over the epoch.",
)


def _cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity per sample (positive: 1 means the same direction), the loss's negative."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


_cosine_similarity.__name__ = "cosine_similarity"

MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError",
    losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
    "down",
    "Mean absolute percentage error over the epoch.",
)
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError",
    losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
    "down",
    "Mean squared logarithmic error over the epoch.",
)
CosineSimilarity = _wrapper_class(
    "CosineSimilarity",
    _cosine_similarity,
    "cosine_similarity",
    "up",
    "Mean cosine similarity along `axis` (default -1).",
    axis=-1,
)
LogCoshError = _wrapper_class(
    "LogCoshError", losses.log_cosh, "logcosh", "down", "Mean of log(cosh(error)) over the epoch."
)
Hinge = _wrapper_class("Hinge", losses.hinge, "hinge", "down", "Mean hinge loss over the epoch.")
SquaredHinge = _wrapper_class(
    "SquaredHinge", losses.squared_hinge, "squared_hinge", "down", "Mean squared hinge loss over the epoch."
)
CategoricalHinge = _wrapper_class(
    "CategoricalHinge",
    losses.categorical_hinge,
    "categorical_hinge",
    "down",
    "Mean categorical hinge loss over the epoch.",
)
KLDivergence = _wrapper_class(
    "KLDivergence", losses.kl_divergence, "kl_divergence", "down", "Mean KL divergence over the epoch."
)
Poisson = _wrapper_class("Poisson", losses.poisson, "poisson", "down", "Mean Poisson loss over the epoch.")
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy",
    losses.binary_crossentropy,
    "binary_crossentropy",
    "down",
    "Mean binary cross-entropy over the epoch (`from_logits`, `label_smoothing` as the loss).",
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy",
    losses.categorical_crossentropy,
    "categorical_crossentropy",
    "down",
    "Mean categorical cross-entropy over the epoch (`from_logits`, `label_smoothing`, `axis` as the loss).",
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean sparse categorical cross-entropy over the epoch.

    Args:
        from_logits: whether `y_pred` holds logits (default False).
        ignore_class, axis: Keras's arguments, accepted at their defaults
            (None and -1) only; other values are refused.
    """

    def __init__(
        self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None, axis=-1
    ):
        if ignore_class is not None or axis != -1:
            raise ValueError(
                "minikeras's SparseCategoricalCrossentropy metric supports only ignore_class=None and axis=-1. "
                f"Received: ignore_class={ignore_class}, axis={axis}"
            )
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits)
        self.from_logits = from_logits

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": None,
            "axis": -1,
        }


# ------------------------------------------------------------------ top-k accuracy
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


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 per sample where the one-hot label's class is among the `k` highest predictions."""
    y_pred = np.asarray(y_pred)
    labels = np.argmax(np.asarray(y_true), axis=-1)
    matches = _in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.reshape(labels.shape).astype(np.float64)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
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

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
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

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(
            sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:  # written only when set, as Keras does
            config["from_sorted_ids"] = True
        return config


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over every value of the epoch: `sqrt(sum w e^2 / sum w)`.

    The squares are accumulated, and the root taken only in `result`, so the
    figure is exact over the epoch (not a mean of per-batch roots).
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64))
        error = y_pred - y_true
        super().update_state(error * error, sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


# ------------------------------------------------------------------ confusion-matrix metrics
_NEG_INF = -1e10  # the score Keras gives predictions outside the top k


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


def _divide_no_nan(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _evenly_spaced(thresholds) -> bool:
    """True for `[0, 1/(n-1), ..., 1]` with n >= 3 (to within epsilon), where counting by buckets is exact."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=_EPSILON))


_EPSILON = 1e-7


def _keep_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Keep each row's `k` highest scores (the first on ties) and set the others to -1e10."""
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, scores, np.float32(_NEG_INF)).astype(scores.dtype, copy=False)


def confusion_counts(
    y_true,
    y_pred,
    thresholds,
    sample_weight=None,
    top_k=None,
    class_id=None,
    multi_label=False,
    label_weights=None,
    buckets=False,
    endpoints_padded=False,
) -> dict:
    """Weighted true/false positive/negative counts of one batch at each threshold, as Keras counts them.

    A prediction counts as positive at threshold `t` when `y_pred > t`; a label
    is positive when nonzero. Labels and predictions are compared in float32
    like Keras's variables.

    Args:
        y_true, y_pred: labels and scores of the same shape (a trailing axis of
            1 on one of them is dropped or added, as in Keras).
        thresholds: the thresholds, increasing.
        sample_weight: per-sample `(batch,)` or per-value weights.
        top_k: keep only each row's `top_k` highest scores as candidates.
        class_id: count only this column.
        multi_label: count each column of `(batch, labels)` data separately;
            the counts then have shape `(thresholds, labels)`.
        label_weights: one weight per column, multiplying the sample weights.
        buckets: the thresholds are `k / (n - 1)`: count by bucketing each score
            once (Keras's fast path; predictions are clipped to [0, 1] there).
        endpoints_padded: with `buckets`, the end thresholds are `-eps` and
            `1 + eps` (AUC's), so a score of exactly 0 counts at the first.

    Returns:
        `{"tp", "fp", "tn", "fn"}`, each of shape `(thresholds,)` or
        `(thresholds, labels)`, float64.
    """
    y_true = np.asarray(y_true, dtype=np.float32)
    y_pred = np.asarray(y_pred, dtype=np.float32)
    y_pred, y_true = _same_rank(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float32)[..., None]
        _, weights = _same_rank(y_true, weights, expand_rank_1=False)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (samples, classes). "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape. Received: y_true {y_true.shape}, y_pred {y_pred.shape}"
        )
    weights = np.ones_like(y_pred) if weights is None else np.broadcast_to(weights, y_pred.shape)
    if label_weights is not None:
        weights = weights * np.broadcast_to(np.asarray(label_weights, dtype=np.float32), y_pred.shape)
    positive = y_true != 0
    columns = y_pred.shape[-1] if multi_label else 1  # multi-label: one column per label; else all pooled
    y_pred, positive, weights = (array.reshape(-1, columns) for array in (y_pred, positive, weights))
    true_weights = np.where(positive, weights, 0).astype(np.float64)
    false_weights = np.where(positive, 0, weights).astype(np.float64)
    count = len(thresholds)
    if buckets:
        clipped = np.clip(y_pred, 0.0, 1.0)
        bucket = np.ceil(clipped * np.float32(count - 1)) - 1
        if endpoints_padded:
            bucket = np.maximum(bucket, 0)
        bucket = bucket.astype(np.int64)
        tp = np.zeros((count, columns))
        fp = np.zeros((count, columns))
        inside = bucket >= 0  # a score of 0 is above no threshold of 0
        column = np.broadcast_to(np.arange(columns), bucket.shape)
        np.add.at(tp, (bucket[inside], column[inside]), true_weights[inside])
        np.add.at(fp, (bucket[inside], column[inside]), false_weights[inside])
        tp = np.cumsum(tp[::-1], axis=0)[::-1]  # above threshold i: every bucket from i up
        fp = np.cumsum(fp[::-1], axis=0)[::-1]
    else:
        above = y_pred[None, :, :] > np.asarray(thresholds, dtype=np.float32)[:, None, None]
        tp = np.sum(np.where(above, true_weights, 0.0), axis=1)
        fp = np.sum(np.where(above, false_weights, 0.0), axis=1)
    fn = true_weights.sum(axis=0) - tp
    tn = false_weights.sum(axis=0) - fp
    if not multi_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


def _parse_thresholds(thresholds, top_k) -> list:
    if thresholds is None:
        return [0.5 if top_k is None else _NEG_INF]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


class _ConfusionMetric(Metric):
    """Shared state of Precision and Recall: counts per threshold, accumulated over the epoch."""

    direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, top_k)
        self._buckets = _evenly_spaced(self.thresholds)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.true_positives = np.zeros(len(self.thresholds))
        self.false_positives = np.zeros(len(self.thresholds))
        self.false_negatives = np.zeros(len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight, self.top_k, self.class_id, buckets=self._buckets
        )
        self.true_positives += counts["tp"]
        self.false_positives += counts["fp"]
        self.false_negatives += counts["fn"]

    def _finish(self, ratio: np.ndarray):
        return float(ratio[0]) if len(self.thresholds) == 1 else ratio

    def get_config(self):
        thresholds = self.init_thresholds
        if isinstance(thresholds, (tuple, np.ndarray)):
            thresholds = [float(t) for t in thresholds]
        return {**super().get_config(), "thresholds": thresholds, "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ConfusionMetric):
    """Precision over the epoch: `true positives / (true positives + false positives)`.

    A prediction is positive where `y_pred > threshold`; a label where it is
    nonzero. Counts are accumulated over every batch (weighted by
    `sample_weight`), and the ratio is taken in `result`; 0 when nothing was
    predicted positive.

    Args:
        thresholds: a threshold in [0, 1] or a list of them (one result per
            threshold); 0.5 by default, or none at all with `top_k`.
        top_k: count only each sample's `top_k` highest predictions as positive.
        class_id: compute the precision of this column only.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        0.6666666666666666
    """

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ConfusionMetric):
    """Recall over the epoch: `true positives / (true positives + false negatives)`.

    Same arguments and counting as `Precision`; 0 when there were no positive labels.

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        0.6666666666666666
    """

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by Keras's bucketed algorithm.

    Scores are counted into `num_thresholds` thresholds
    (`-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps`); true/false positives and
    negatives at each threshold are accumulated over the epoch, and `result`
    sums the area of the curve they trace: trapezoids for ROC
    (`summation_method="interpolation"`), Davis & Goadrich's interpolation
    for PR, or the lower (`"minoring"`) or upper (`"majoring"`) rectangles.
    The figure therefore matches Keras, and approaches the exact area as
    `num_thresholds` grows.

    Args:
        num_thresholds: number of thresholds (default 200, at least 2).
        curve: "ROC" (default), "PR" or "PRGAIN".
        summation_method: "interpolation" (default), "minoring" or "majoring".
        thresholds: explicit thresholds in [0, 1] instead of evenly spaced ones.
        multi_label: treat each column of `(batch, labels)` data as its own
            label and average their AUCs (default False: all values pooled).
        num_labels: number of labels, when `multi_label` (else found from data).
        label_weights: weights of the labels in the average, or of the columns
            when pooled.
        from_logits: apply a sigmoid to the predictions first (default False).

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.75
    """

    direction = "up"

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        if str(curve).lower() not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
            self._buckets = _evenly_spaced([0.0, *inner, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._buckets = True
        self._thresholds = [0.0 - _EPSILON, *inner, 1.0 + _EPSILON]
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        if not multi_label and num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        self.from_logits = bool(from_logits)
        self._num_labels = num_labels if multi_label else None
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self) -> list:
        """The thresholds, the two padded ends included."""
        return list(self._thresholds)

    def reset_state(self):
        if self.multi_label and self._num_labels is None:
            self.true_positives = self.false_positives = self.true_negatives = self.false_negatives = None
            return
        shape = (self.num_thresholds, self._num_labels) if self.multi_label else (self.num_thresholds,)
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.true_negatives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float32)
        if self.multi_label and self.true_positives is None:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Received: y_pred.shape={y_pred.shape}"
                )
            self._num_labels = y_pred.shape[1]
            self.reset_state()
        if self.from_logits:
            y_pred = activations.sigmoid(y_pred)
        counts = confusion_counts(
            y_true,
            y_pred,
            self._thresholds,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            buckets=self._buckets,
            endpoints_padded=True,
        )
        self.true_positives += counts["tp"]
        self.false_positives += counts["fp"]
        self.true_negatives += counts["tn"]
        self.false_negatives += counts["fn"]

    def _average(self, per_threshold: np.ndarray) -> float:
        if not self.multi_label:
            return float(np.sum(per_threshold))
        by_label = np.sum(per_threshold, axis=0)
        if self.label_weights is None:
            return float(np.mean(by_label))
        return float(_divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights)))

    def _interpolated_pr_auc(self) -> float:
        """Davis & Goadrich's PR interpolation, in Keras's closed form.

        Between two thresholds, true positives and predicted positives `P` are
        taken to vary linearly, so precision is `(TP_A + slope (P - P_A)) / P`
        and its integral over recall has a closed form with a `log(P_A / P_B)` term.
        """
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        d_tp = tp[:-1] - tp[1:]
        predicted = tp + fp
        d_predicted = predicted[:-1] - predicted[1:]
        slope = _divide_no_nan(d_tp, np.maximum(d_predicted, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.where(both_positive, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
        increments = _divide_no_nan(slope * (d_tp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increments)

    def result(self):
        if self.true_positives is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN, with Keras's guards for no true positives and negative gains
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * _divide_no_nan(fn, tp))
            precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * _divide_no_nan(fp, tp))
            x, y = np.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config


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
}


def get(identifier) -> Metric:
    """Return a metric for a name, a config dict or a Metric instance.

    A function name (`"categorical_accuracy"`, or a loss name such as `"mse"`)
    becomes a mean over samples whose log key is exactly the name given; so do
    Keras's names of the stateful metrics (`"precision"`, `"recall"`, `"auc"`,
    `"root_mean_squared_error"` or `"rmse"`), which become those metrics.
    "accuracy"/"acc" need the data's shapes: use `resolve`.
    """
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        metric = MeanMetricWrapper(_FUNCTIONS[identifier], name=identifier)
        metric.direction = "up" if identifier in _UP else "down"
        return metric
    if isinstance(identifier, str) and identifier.lower() in _CLASS_NAMES:
        return _CLASS_NAMES[identifier.lower()](name=identifier)
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
