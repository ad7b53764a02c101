"""What `compile()` resolves, and the checks of targets against the loss and the model's output.

`compile()` turns the names it is given into objects at once, so that a
misspelt name fails there and not at the first batch: the loss (`resolve_loss`),
its weight (`resolve_loss_weight`) and the metrics (`CompiledMetrics`). Only
`"accuracy"` waits for data: which accuracy it means depends on the shapes of
the labels and predictions (`CompiledMetrics.build`).

`prepare_targets` checks the targets and sample weights of a `fit`, `evaluate`
or per-batch call before anything changes; `check_targets` is its part that
depends on the loss, the rules themselves being the loss's own
(`losses.check_target_shape`, `losses.checked_sparse_labels`).
"""

from __future__ import annotations

import numpy as np

from minikeras import losses as losses_module
from minikeras import metrics as metrics_module
from minikeras.models import data as data_utils

# Keras compile() arguments that change nothing here (no graph, no device placement).
COMPILE_NO_OPS = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")

# The losses whose targets `check_targets` compares with the model's output shape before training.
_SAME_SHAPE_LOSSES = (
    losses_module.CategoricalCrossentropy,
    losses_module.BinaryCrossentropy,
    losses_module.MeanSquaredError,
    losses_module.MeanAbsoluteError,
    losses_module.BinaryFocalCrossentropy,
    losses_module.CategoricalFocalCrossentropy,
)


def check_compile_kwargs(kwargs: dict) -> None:
    """Refuse keyword arguments of `compile()` other than Keras's no-ops (`COMPILE_NO_OPS`).

    Raises:
        TypeError: naming the unknown arguments.
    """
    unknown = set(kwargs) - set(COMPILE_NO_OPS)
    if unknown:
        raise TypeError(f"Unrecognized keyword arguments passed to compile(): {sorted(unknown)}")


def resolve_loss(loss) -> losses_module.Loss:
    """Return the Loss object for `compile(loss=...)`: a name, a config dict, a Loss instance or a
    function of `(y_true, y_pred)` (its gradient then comes from autograd).

    Raises:
        ValueError: for `None` or an unknown name.
    """
    if loss is None:
        raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy'. Received: loss=None")
    if callable(loss) and not isinstance(loss, (losses_module.Loss, type)):
        # A function of (y_true, y_pred) written by the user, as Keras's compile takes it.
        from minikeras.losses.wrapper import LossFunctionWrapper

        return LossFunctionWrapper(loss)
    return losses_module.get(loss)


def resolve_loss_weight(loss_weights) -> float:
    """Return the factor on the loss for `compile(loss_weights=...)`.

    Args:
        loss_weights: None (1.0), a number, or a list or tuple of one number
            (a single-output model has one loss).

    Raises:
        ValueError: for a list or tuple of another length.
    """
    if isinstance(loss_weights, (list, tuple)):
        if len(loss_weights) != 1:
            raise ValueError(f"loss_weights for a single-output model must have one entry. Received: {loss_weights}")
        loss_weights = loss_weights[0]
    return 1.0 if loss_weights is None else float(loss_weights)


def metric_specs(value, name: str) -> list:
    """Return `compile(metrics=...)` (or `weighted_metrics`) as a list, each entry checked to be a known metric.

    Args:
        value: None, one metric or a list or tuple of them (names, functions or Metric instances).
        name: the argument's name, for the errors.

    Raises:
        ValueError: for a dict (multi-output models only) or an unknown metric name.
    """
    if value is None:
        specs = []
    elif isinstance(value, (list, tuple)):
        specs = list(value)
    elif isinstance(value, dict):
        raise ValueError(f"{name} as a dict is for multi-output models; give a list for a Sequential model.")
    else:
        specs = [value]
    for spec in specs:
        if not _is_accuracy(spec):  # "accuracy" is resolved from the data's shapes, in `CompiledMetrics.build`
            metrics_module.get(spec)
    return specs


def _is_accuracy(spec) -> bool:
    return isinstance(spec, str) and spec.lower() in ("accuracy", "acc")


class CompiledMetrics:
    """The metrics given to `compile()`, resolved once the shapes of labels and predictions are known.

    The plain metrics ignore sample weights; the weighted ones take
    `sample_weight` (and `class_weight`) into account. As in Keras, a weighted
    metric with the same name as a plain one is logged as `"weighted_" + name`.

    Args:
        metrics: None, a metric or a list of them (names, functions or Metric instances).
        weighted_metrics: the same, for the weighted metrics.

    Raises:
        ValueError: for an unknown name, or a dict.
    """

    def __init__(self, metrics=None, weighted_metrics=None):
        self.specs = metric_specs(metrics, "metrics")
        self.weighted_specs = metric_specs(weighted_metrics, "weighted_metrics")
        self._plain: list | None = None
        self._weighted: list = []

    @property
    def built(self) -> bool:
        return self._plain is not None

    @property
    def metrics(self) -> list:
        """The plain metrics then the weighted ones; empty until `build`."""
        return [*(self._plain or []), *self._weighted]

    def build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        """Resolve every metric (`"accuracy"` into binary, categorical or sparse accuracy) for these shapes."""
        self._plain = [metrics_module.resolve(spec, y_true_shape, y_pred_shape) for spec in self.specs]
        weighted = [metrics_module.resolve(spec, y_true_shape, y_pred_shape) for spec in self.weighted_specs]
        names = {metric.name for metric in self._plain}
        for metric in weighted:
            if metric.name in names:
                metric.name = "weighted_" + metric.name
        self._weighted = weighted

    def update_state(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight=None) -> None:
        """Add one batch to every metric, building them first if needed.

        Args:
            y_true: the batch's targets.
            y_pred: the model's outputs for the batch.
            sample_weight: per-sample weights `(samples,)` for the weighted metrics, or None.
        """
        if not self.built:
            self.build(y_true.shape, y_pred.shape)
        assert self._plain is not None  # built
        for metric in self._plain:
            metric.update_state(y_true, y_pred)
        for metric in self._weighted:
            metric.update_state(y_true, y_pred, sample_weight=sample_weight)


def prepare_targets(x: np.ndarray, y, sample_weight, class_weight, loss, output_shape: tuple, what: str = "x"):
    """Check the targets and sample weights that go with `x`, and fold `class_weight` into the weights.

    Every check runs before anything changes. `x` itself (its shape, its
    values) is the caller's to check; here it gives the number of samples.

    Args:
        x: the inputs.
        y: the targets (anything `np.asarray` takes).
        sample_weight: per-sample weights `(samples,)` or `(samples, 1)`, or None.
        class_weight: `{class_index: weight}`, or None.
        loss: the compiled loss (see `check_targets`).
        output_shape: the model's output shape for `x`, batch axis None.
        what: the name of `x` in the errors (`"x"`, `"x_val"`); `y`'s is the same with a `y`.

    Returns:
        `(y, sample_weight)`: `y` a numeric array, `sample_weight` float64 `(samples,)` or None.

    Raises:
        ValueError, TypeError: naming the argument and the problem.
    """
    y_name = what.replace("x", "y")
    if y is None:
        raise ValueError("y is required: the targets of x. Received: y=None")
    y = data_utils.as_target_array(y)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.ndim == 0 or (sample_weight.ndim > 1 and sample_weight.shape[1:] != (1,)):
            raise ValueError(f"sample_weight must have shape (samples,). Received shape {sample_weight.shape}.")
    data_utils.check_same_length(**{what: x, y_name: y, "sample_weight": sample_weight})
    data_utils.check_finite(y, y_name)
    if sample_weight is not None:
        data_utils.check_finite(sample_weight, "sample_weight")
    check_targets(loss, y, output_shape, y_name)
    if class_weight is not None:
        weights = data_utils.class_weights_to_sample_weights(y, class_weight)
        sample_weight = weights if sample_weight is None else sample_weight * weights
    return y, sample_weight


def check_targets(loss, y: np.ndarray, output_shape: tuple, what: str = "y") -> None:
    """Refuse targets that cannot go with the model's output under `loss`, naming both shapes.

    Integer labels for `SparseCategoricalCrossentropy` must be whole numbers in
    `[0, classes)` (or its `ignore_class`); the targets of the cross-entropies
    (focal ones too) and of the mean squared and absolute errors must have the
    output's shape (give or take a trailing axis of 1). Other losses are not
    checked here.

    Args:
        loss: a Loss instance, or None (nothing to check).
        y: all the targets.
        output_shape: the model's output shape, batch axis None.
        what: the targets' name in the errors (`"y"`, `"y_val"`).
    """
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        losses_module.checked_sparse_labels(y, output_shape, what, "the model's output", loss.ignore_class)
    elif isinstance(loss, _SAME_SHAPE_LOSSES):
        losses_module.check_target_shape(y.shape, output_shape, what, "the model's output", loss)
