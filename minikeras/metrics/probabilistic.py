"""Probabilistic metrics: running means of the cross-entropies, the KL divergence and the Poisson loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

from minikeras import losses
from minikeras.metrics.base import MeanMetricWrapper, _wrapper_class

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

KLDivergence = _wrapper_class(
    "KLDivergence", losses.kl_divergence, "kl_divergence", "down", "Mean KL divergence over the epoch.", module=__name__
)
Poisson = _wrapper_class(
    "Poisson", losses.poisson, "poisson", "down", "Mean Poisson loss over the epoch.", module=__name__
)
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy",
    losses.binary_crossentropy,
    "binary_crossentropy",
    "down",
    "Mean binary cross-entropy over the epoch (`from_logits`, `label_smoothing` as the loss).",
    module=__name__,
    from_logits=False,
    label_smoothing=0.0,
)
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy",
    losses.categorical_crossentropy,
    "categorical_crossentropy",
    "down",
    "Mean categorical cross-entropy over the epoch (`from_logits`, `label_smoothing`, `axis` as the loss).",
    module=__name__,
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
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: DTypeLike | None = None,
        from_logits: bool = False,
        ignore_class: None = None,
        axis: int = -1,
    ) -> None:
        if ignore_class is not None or axis != -1:
            raise ValueError(
                "minikeras's SparseCategoricalCrossentropy metric supports only ignore_class=None and axis=-1. "
                f"Received: ignore_class={ignore_class}, axis={axis}"
            )
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits)
        self.from_logits = from_logits

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": None,
            "axis": -1,
        }
