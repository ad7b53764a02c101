"""Losses: each gives its value and its gradient with respect to the predictions.

A loss object is called as `loss(y_true, y_pred, sample_weight=None)` and
returns a scalar: the per-sample values (one per sample, the last axis
reduced) weighted by `sample_weight` and reduced as Keras does:
`"sum_over_batch_size"` (default) divides the weighted sum by the number of
values, not by the sum of weights. `loss.gradient(...)` returns `dL/dy_pred`
of that same scalar, with `y_pred`'s shape; `value_and_gradient` returns both
from one pass, which is what the training loop uses.

The functions `categorical_crossentropy(y_true, y_pred)` and friends return the
unreduced per-sample values, as Keras's do.

The losses live in one module per family: `base` (the `Loss` class and the
reductions), `probabilistic` (cross-entropies, KL divergence, Poisson),
`regression`, `hinge`, `focal` (focal cross-entropies), `overlap` (Dice,
Tversky), `ctc`, `circle` and `generalized` (generalized cross-entropy).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minikeras.losses.base import REDUCTIONS, Loss, check_target_shape, standardize_reduction
from minikeras.losses.circle import Circle, circle_labels, circle_with_gradient
from minikeras.losses.ctc import CTC
from minikeras.losses.focal import BinaryFocalCrossentropy, CategoricalFocalCrossentropy
from minikeras.losses.generalized import CategoricalGeneralizedCrossEntropy
from minikeras.losses.hinge import CategoricalHinge, Hinge, SquaredHinge
from minikeras.losses.overlap import Dice, Tversky
from minikeras.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    checked_sparse_labels,
)
from minikeras.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
)
from minikeras.saving import registry


def _per_sample(
    loss_class: type[Loss], parameters: Sequence[str] = (), name: str | None = None
) -> Callable[..., np.ndarray]:
    """Make Keras's functional form of a loss: per-sample values, no reduction.

    The function's signature is Keras's, `(y_true, y_pred, <parameters>)` with the
    class's defaults (so `inspect.signature` shows it), and it refuses any other
    argument, as Keras's function does.

    Args:
        loss_class: the loss.
        parameters: the names of the function's arguments after `y_true, y_pred`,
            in Keras's order, so that they may also be given by position.
        name: the function's name (the class's default name by default).
    """
    defaults = inspect.signature(loss_class.__init__).parameters
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [
            inspect.Parameter("y_true", positional),
            inspect.Parameter("y_pred", positional),
            *(inspect.Parameter(option, positional, default=defaults[option].default) for option in parameters),
        ]
    )

    def function(*args, **kwargs):
        try:
            options = signature.bind(*args, **kwargs).arguments
        except TypeError as error:
            raise TypeError(f"{function.__name__}() {error}") from None
        y_true, y_pred = options.pop("y_true"), options.pop("y_pred")
        return loss_class(reduction="none", **options)(y_true, y_pred)

    function.__name__ = name or loss_class.default_name
    function.__qualname__ = function.__name__
    function.__doc__ = f"Per-sample values of `{loss_class.__name__}` (no reduction)."
    function.__signature__ = signature  # type: ignore[attr-defined]
    return function


_CROSSENTROPY_OPTIONS = ("from_logits", "label_smoothing", "axis")
categorical_crossentropy = _per_sample(CategoricalCrossentropy, _CROSSENTROPY_OPTIONS)
sparse_categorical_crossentropy = _per_sample(SparseCategoricalCrossentropy, ("from_logits", "ignore_class", "axis"))
binary_crossentropy = _per_sample(BinaryCrossentropy, _CROSSENTROPY_OPTIONS)
binary_focal_crossentropy = _per_sample(
    BinaryFocalCrossentropy, ("apply_class_balancing", "alpha", "gamma", *_CROSSENTROPY_OPTIONS)
)
categorical_focal_crossentropy = _per_sample(CategoricalFocalCrossentropy, ("alpha", "gamma", *_CROSSENTROPY_OPTIONS))
categorical_generalized_cross_entropy = _per_sample(CategoricalGeneralizedCrossEntropy, ("q",))
mean_squared_error = _per_sample(MeanSquaredError)
mean_absolute_error = _per_sample(MeanAbsoluteError)
mean_absolute_percentage_error = _per_sample(MeanAbsolutePercentageError)
mean_squared_logarithmic_error = _per_sample(MeanSquaredLogarithmicError)
cosine_similarity = _per_sample(CosineSimilarity, ("axis",))
huber = _per_sample(Huber, ("delta",), name="huber")  # Keras's function name; the class's default is "huber_loss"
log_cosh = _per_sample(LogCosh)
kl_divergence = _per_sample(KLDivergence)
poisson = _per_sample(Poisson)
hinge = _per_sample(Hinge)
squared_hinge = _per_sample(SquaredHinge)
categorical_hinge = _per_sample(CategoricalHinge)
dice = _per_sample(Dice, ("axis",))
tversky = _per_sample(Tversky, ("alpha", "beta", "axis"))
ctc = _per_sample(CTC)


def circle(
    y_true,
    y_pred,
    ref_labels=None,
    ref_embeddings=None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> np.ndarray:
    """Per-sample circle loss of integer labels `y_true` and embeddings `y_pred` (see `Circle`).

    Args:
        y_true: integer labels `(batch,)`.
        y_pred: L2-normalized embeddings `(batch, dim)`.
        ref_labels: labels of the reference embeddings (default `y_true`).
        ref_embeddings: the embeddings compared with (default `y_pred`).
        remove_diagonal: whether a sample is left out of its own positives.
        gamma: the scale of the similarity scores.
        margin: the relaxation margin.
    """
    embeddings = np.asarray(y_pred)
    if embeddings.dtype.kind != "f":
        embeddings = embeddings.astype(np.float32)
    labels = circle_labels(y_true, embeddings)
    if ref_embeddings is not None:
        ref_embeddings = np.asarray(ref_embeddings, dtype=embeddings.dtype)
        ref_labels = circle_labels(labels if ref_labels is None else ref_labels, ref_embeddings)
    elif ref_labels is not None:
        ref_labels = circle_labels(ref_labels, embeddings)
    values, _ = circle_with_gradient(labels, embeddings, ref_labels, ref_embeddings, remove_diagonal, gamma, margin)
    return values


# Keras's names and its legacy aliases (upper-case forms such as "MSE" are found by lower-casing).
_NAMES: dict[str, tuple[type[Loss], Callable[..., np.ndarray]]] = {
    "categorical_crossentropy": (CategoricalCrossentropy, categorical_crossentropy),
    "sparse_categorical_crossentropy": (SparseCategoricalCrossentropy, sparse_categorical_crossentropy),
    "binary_crossentropy": (BinaryCrossentropy, binary_crossentropy),
    "bce": (BinaryCrossentropy, binary_crossentropy),
    "binary_focal_crossentropy": (BinaryFocalCrossentropy, binary_focal_crossentropy),
    "categorical_focal_crossentropy": (CategoricalFocalCrossentropy, categorical_focal_crossentropy),
    "mean_squared_error": (MeanSquaredError, mean_squared_error),
    "mse": (MeanSquaredError, mean_squared_error),
    "mean_absolute_error": (MeanAbsoluteError, mean_absolute_error),
    "mae": (MeanAbsoluteError, mean_absolute_error),
    "mean_absolute_percentage_error": (MeanAbsolutePercentageError, mean_absolute_percentage_error),
    "mape": (MeanAbsolutePercentageError, mean_absolute_percentage_error),
    "mean_squared_logarithmic_error": (MeanSquaredLogarithmicError, mean_squared_logarithmic_error),
    "msle": (MeanSquaredLogarithmicError, mean_squared_logarithmic_error),
    "cosine_similarity": (CosineSimilarity, cosine_similarity),
    "huber": (Huber, huber),
    "log_cosh": (LogCosh, log_cosh),
    "logcosh": (LogCosh, log_cosh),
    "kl_divergence": (KLDivergence, kl_divergence),
    "kld": (KLDivergence, kl_divergence),
    "kullback_leibler_divergence": (KLDivergence, kl_divergence),
    "poisson": (Poisson, poisson),
    "hinge": (Hinge, hinge),
    "squared_hinge": (SquaredHinge, squared_hinge),
    "categorical_hinge": (CategoricalHinge, categorical_hinge),
}
# Losses whose values are not one per sample of the batch's own (Dice's default is one value for the whole
# batch; Circle compares samples with each other; CTC's targets are sequences): losses, not metrics.
_BATCH_NAMES: dict[str, tuple[type[Loss], Callable[..., np.ndarray]]] = {
    "dice": (Dice, dice),
    "tversky": (Tversky, tversky),
    "ctc": (CTC, ctc),
    "circle": (Circle, circle),
}

ALL_LOSSES: dict[str, type] = {name: cls for name, (cls, _) in {**_NAMES, **_BATCH_NAMES}.items()}
ALL_LOSSES.update({cls.__name__: cls for cls in [*ALL_LOSSES.values(), CategoricalGeneralizedCrossEntropy]})

# The per-sample functions by name (also known to minikeras.metrics as metrics).
LOSS_FUNCTIONS = {name: function for name, (_, function) in _NAMES.items()}


def get(identifier: Loss | str | dict) -> Loss:
    """Return a loss object for a name (`"mse"`, `"binary_focal_crossentropy"`), a config dict or a Loss instance.

    Raises:
        ValueError: for an unknown name, with the closest known one suggested.
    """
    return registry.resolve(identifier, ALL_LOSSES, "loss", Loss)


def serialize(loss: Loss) -> dict:
    """Return Keras's config form of `loss`."""
    return registry.serialize(loss, "keras.losses")


def deserialize(config: dict | str, custom_objects: dict[str, Any] | None = None) -> Loss:
    """Return the loss a config (as `serialize` gives) or a name stands for.

    Args:
        config: `{"class_name": ..., "config": {...}}` or a name.
        custom_objects: extra names to accept (classes of custom losses).
    """
    return registry.resolve(config, ALL_LOSSES, "loss", Loss, custom_objects=custom_objects)


__all__ = [
    "ALL_LOSSES",
    "CTC",
    "LOSS_FUNCTIONS",
    "REDUCTIONS",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "check_target_shape",
    "checked_sparse_labels",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "standardize_reduction",
    "tversky",
]
