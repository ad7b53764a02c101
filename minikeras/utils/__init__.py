"""Utilities: seeding, label encoding, naming, progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

# Keras also publishes its serialization API under keras.utils.
from minikeras.saving import deserialize_keras_object, serialize_keras_object
from minikeras.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minikeras.utils.naming import clear_session
from minikeras.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from minikeras.utils.py_dataset import PyDataset
from minikeras.utils.random import set_random_seed
from minikeras.utils.sequences import normalize, pad_sequences

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from minikeras.callbacks import History
    from minikeras.utils.hdf5_dataset import HDF5Dataset


def __getattr__(name: str) -> Any:
    if name == "HDF5Dataset":  # h5py is imported only when this is used
        from minikeras.utils.hdf5_dataset import HDF5Dataset

        return HDF5Dataset
    if name == "Progbar":  # for custom loops; loaded when first used
        from minikeras.utils.progbar import Progbar

        return Progbar
    raise AttributeError(f"module 'minikeras.utils' has no attribute {name!r}")


def plot_history(
    history: History | dict[str, list],
    path: str | os.PathLike[str] | None = None,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw loss and metric curves of a fit with matplotlib; see `minikeras.utils.plotting.plot_history`."""
    from minikeras.utils.plotting import plot_history as _plot_history

    return _plot_history(history, path=path, metrics=metrics, title=title)


def to_categorical(x: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Convert integer class labels to one-hot rows.

    Args:
        x: integer labels of any shape (a trailing axis of 1 is dropped).
        num_classes: number of classes (default `max(x) + 1`).

    Returns:
        float32 array of shape `(*x.shape, num_classes)`.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise ValueError("to_categorical expects integer labels. Received non-integer values.")
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Labels must be in [0, {num_classes}). Received labels from {labels.min()} to {labels.max()}."
        )
    one_hot = np.zeros((*labels.shape, num_classes), dtype=np.float32)
    np.put_along_axis(one_hot, labels[..., None], 1.0, axis=-1)
    return one_hot


__all__ = [
    "CustomObjectScope",
    "HDF5Dataset",
    "Progbar",
    "PyDataset",
    "clear_session",
    "custom_object_scope",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "plot_history",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
