"""Intersection-over-union metrics: `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`, `OneHotMeanIoU`.

All of them add every batch into one `(num_classes, num_classes)` confusion
matrix (rows: true class, columns: predicted class, cells: summed sample
weights) and compute, in `result`, each class's

    IoU = TP / (TP + FP + FN) = cm[c, c] / (row_sum[c] + column_sum[c] - cm[c, c])

and the mean over the requested classes of those that occur at all (a class
absent from both labels and predictions is left out of the mean rather than
counted as 0).

As in Keras, the metric's `dtype` defaults to "int32", and labels,
predictions and sample weights are converted to it before counting: float
labels and weights are truncated toward zero (a weight of 0.5 counts as 0; a
warning says so). Pass `dtype="float32"` for fractional weights. Labels or
predictions outside `[0, num_classes)`, and labels equal to `ignore_class`,
are left out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from minikeras import config as _config
from minikeras.metrics.base import Metric
from minikeras.utils.sample_weights import broadcast_sample_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike

_INT_DTYPE = "int32"  # Keras's default for these metrics ("int", int32 outside TensorFlow)


def _is_integer(dtype: DTypeLike) -> bool:
    return bool(np.issubdtype(np.dtype(dtype), np.integer))


class _IoUBase(Metric):
    """The confusion matrix the IoU metrics share, accumulated over batches with sample weights.

    Args:
        num_classes: the number of classes; the matrix is `(num_classes, num_classes)`.
        name: the key in logs.
        dtype: what labels, predictions and weights are converted to before
            counting (default "int32", as in Keras).
        ignore_class: a label to leave out (e.g. a "void" class such as -1 or
            255 in segmentation maps), or None.
        sparse_y_true: labels are class ids (True) or scores whose argmax along
            `axis` is the class (False).
        sparse_y_pred: the same for predictions.
        axis: the class axis of non-sparse labels or predictions (default -1).
    """

    direction = "up"

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"`num_classes` must be a positive integer. Received: num_classes={num_classes!r}")
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        super().__init__(name=name, dtype=_INT_DTYPE if dtype is None else dtype)

    def reset_state(self) -> None:
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Add one batch to the confusion matrix.

        Args:
            y_true: class ids of any shape, or (with `sparse_y_true=False`) scores
                with classes along `axis`.
            y_pred: the same for predictions; after any argmax, the same number
                of values as `y_true`.
            sample_weight: None, one weight, or weights broadcastable to the
                labels' shape (after any argmax), e.g. per pixel, or per sample.
        """
        labels = np.asarray(y_true)
        predictions = np.asarray(y_pred)
        if not self.sparse_y_true:
            labels = np.argmax(labels, axis=self.axis)
        if not self.sparse_y_pred:
            predictions = np.argmax(predictions, axis=self.axis)
        if labels.size != predictions.size:
            raise ValueError(
                "y_true and y_pred must hold the same number of class ids. "
                f"Received: y_true.shape={labels.shape}, y_pred.shape={predictions.shape}"
            )
        counted = self._counting_dtype()
        weights = np.ones(labels.shape) if sample_weight is None else self._weights(sample_weight, labels.shape)
        labels = labels.astype(counted).reshape(-1)
        predictions = predictions.astype(counted).reshape(-1)
        inside = (labels >= 0) & (labels < self.num_classes) & (predictions >= 0) & (predictions < self.num_classes)
        if self.ignore_class is not None:
            inside &= labels != self.ignore_class
        # One cell index per counted value: row (true class) * n + column (predicted class).
        cells = labels[inside].astype(np.int64) * self.num_classes + predictions[inside].astype(np.int64)
        counts = np.bincount(cells, weights=weights.reshape(-1)[inside], minlength=self.num_classes**2)
        self.total_cm += counts.reshape(self.num_classes, self.num_classes)

    def _counting_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def _weights(self, sample_weight: ArrayLike, labels_shape: tuple) -> np.ndarray:
        """The weights as float64 of `labels_shape`, converted through the metric's dtype first."""
        weights = np.asarray(sample_weight)
        counted = self._counting_dtype()
        converted = weights.astype(counted)
        if _is_integer(counted) and np.any(converted != weights):
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This may result in an incorrect weight due "
                f"to type casting: {type(self).__name__} truncates the weights to integers. Pass dtype='float32' "
                "for fractional weights.",
                stacklevel=3,
            )
        weights = broadcast_sample_weight(converted.astype(np.float64), np.empty(labels_shape))
        try:
            return np.broadcast_to(weights, labels_shape)
        except ValueError:
            raise ValueError(
                "sample_weight must be one weight or broadcastable to the labels' shape. "
                f"Received: sample_weight.shape={np.shape(sample_weight)}, labels shape={labels_shape}"
            ) from None


class IoU(_IoUBase):
    """Intersection-over-union of the classes `target_class_ids`, averaged over those that occur.

    `IoU = TP / (TP + FP + FN)`, per class, from a confusion matrix accumulated
    over every batch (weighted by `sample_weight`; a weight of 0 masks a value).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoUs are averaged (one id for one
            class's IoU).
        name: the key in logs (default "io_u", Keras's name).
        dtype: what labels, predictions and weights are converted to before
            counting (default "int32", as in Keras: weights are truncated, so
            pass "float32" for fractional weights).
        ignore_class: a label to leave out, or None.
        sparse_y_true: labels are class ids (default) or scores to argmax.
        sparse_y_pred: predictions are class ids (default) or scores to argmax.
        axis: the class axis of scores (default -1).

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 6)
        0.333333
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DTypeLike | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        ids = [int(i) for i in target_class_ids]
        if not ids:
            raise ValueError("`target_class_ids` must name at least one class. Received: target_class_ids=[]")
        outside = [i for i in ids if not 0 <= i < self.num_classes]
        if outside:
            raise ValueError(f"Target class id {outside[0]} is out of range, which is [0, {self.num_classes}).")
        self.target_class_ids = ids

    def result(self) -> float:
        """Mean IoU over the target classes present in labels or predictions (0.0 if none is)."""
        cm = self.total_cm
        true_positives = np.diag(cm)[self.target_class_ids]
        union = (cm.sum(axis=0) + cm.sum(axis=1))[self.target_class_ids] - true_positives
        present = union > 1e-9
        eps = _config.epsilon()
        ious = np.where(present, true_positives / (union + eps), 0.0)
        return float(ious.sum() / (present.sum() + eps))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": list(self.target_class_ids),
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of classes 0 and/or 1 for binary labels and scores: a prediction is class 1 where `y_pred >= threshold`.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (default `(0, 1)`: the mean
            of both classes' IoUs).
        threshold: scores at or above it are class 1 (default 0.5).
        name: the key in logs (default "binary_io_u").
        dtype: as for `IoU` (default "int32": labels and weights are truncated
            to integers, so a label of 0.9 is class 0).

    Example:
        >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(m.result(), 6)
        0.333333
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Add one batch: labels 0/1, scores thresholded at `threshold` (compared in float32, as in Keras)."""
        labels = np.asarray(y_true).astype(self._counting_dtype())
        predictions = (np.asarray(y_pred, dtype=np.float32) >= np.float32(self.threshold)).astype(np.int64)
        super().update_state(labels, predictions, sample_weight)

    def get_config(self) -> dict:
        return {
            "target_class_ids": list(self.target_class_ids),
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """Mean IoU over all `num_classes` classes (those that occur in labels or predictions).

    Args:
        num_classes: the number of classes.
        name: the key in logs (default "mean_io_u").
        dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: as for `IoU`.

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 6)
        0.333333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"`num_classes` must be a positive integer. Received: num_classes={num_classes!r}")
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """IoU of the classes `target_class_ids` for one-hot labels (their argmax along `axis` is the class).

    Args:
        num_classes: the number of classes (the size of the labels' class axis).
        target_class_ids: the classes whose IoUs are averaged.
        name: the key in logs (default "one_hot_io_u").
        dtype, ignore_class, axis: as for `IoU`.
        sparse_y_pred: predictions are class ids (True) or scores to argmax
            (default False).
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DTypeLike | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "target_class_ids": list(self.target_class_ids),
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """Mean IoU over all classes for one-hot labels (their argmax along `axis` is the class).

    Args:
        num_classes: the number of classes (the size of the labels' class axis).
        name: the key in logs (default "one_hot_mean_io_u").
        dtype, ignore_class, axis: as for `IoU`.
        sparse_y_pred: predictions are class ids (True) or scores to argmax
            (default False).
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
