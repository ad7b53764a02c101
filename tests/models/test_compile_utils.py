"""What compile() resolves (loss, loss weight, metrics and their weighted twins) and the checks of targets."""

import re

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, losses, metrics
from minikeras.models import compile_utils


def classifier(metrics=("accuracy",), weighted_metrics=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="sgd", loss="categorical_crossentropy", metrics=list(metrics), weighted_metrics=weighted_metrics
    )
    return model


# ------------------------------------------------------------------ resolution
def test_the_loss_is_resolved_by_name_or_taken_as_given():
    assert type(compile_utils.resolve_loss("mse")) is losses.MeanSquaredError
    assert type(compile_utils.resolve_loss("sparse_categorical_crossentropy")) is losses.SparseCategoricalCrossentropy
    given = losses.Huber(delta=2.0)
    assert compile_utils.resolve_loss(given) is given
    with pytest.raises(ValueError, match=re.escape("compile() needs a loss, e.g. loss='categorical_crossentropy'")):
        compile_utils.resolve_loss(None)
    with pytest.raises(ValueError, match='Unknown loss.*Did you mean "mse"'):
        compile_utils.resolve_loss("mse2")


def test_keras_no_op_arguments_are_accepted_and_others_refused():
    compile_utils.check_compile_kwargs({name: True for name in compile_utils.COMPILE_NO_OPS})
    with pytest.raises(TypeError, match=re.escape("passed to compile(): ['jit', 'run_eagerlyy']")):
        compile_utils.check_compile_kwargs({"run_eagerlyy": True, "jit": True, "jit_compile": True})


@pytest.mark.parametrize("given, expected", [(None, 1.0), (0.5, 0.5), (2, 2.0), ([0.25], 0.25), ((3,), 3.0)])
def test_loss_weights_become_one_factor(given, expected):
    weight = compile_utils.resolve_loss_weight(given)
    assert type(weight) is float and weight == expected


def test_loss_weights_for_several_outputs_are_refused():
    with pytest.raises(ValueError, match=r"must have one entry. Received: \[1.0, 2.0\]"):
        compile_utils.resolve_loss_weight([1.0, 2.0])


def test_metric_specs_are_listed_and_checked_at_once():
    assert compile_utils.metric_specs(None, "metrics") == []
    assert compile_utils.metric_specs("mse", "metrics") == ["mse"]
    instance = metrics.Precision()
    assert compile_utils.metric_specs(("ACC", instance), "metrics") == ["ACC", instance]
    with pytest.raises(ValueError, match="Unknown metric"):
        compile_utils.metric_specs(["accuracy", "acuracy"], "metrics")
    with pytest.raises(ValueError, match="weighted_metrics as a dict is for multi-output models"):
        compile_utils.metric_specs({"out": "mse"}, "weighted_metrics")


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((6,), (6, 3), metrics.SparseCategoricalAccuracy),
        ((6, 3), (6, 3), metrics.CategoricalAccuracy),
        ((6,), (6, 1), metrics.BinaryAccuracy),
    ],
)
def test_accuracy_waits_for_the_shapes_of_the_first_batch(y_true_shape, y_pred_shape, expected):
    compiled = compile_utils.CompiledMetrics(["accuracy"], ["acc"])
    assert not compiled.built and compiled.metrics == []
    compiled.update_state(np.zeros(y_true_shape), np.full(y_pred_shape, 0.5))
    assert compiled.built
    accuracy, acc = compiled.metrics
    assert type(accuracy) is expected and accuracy.name == "accuracy"
    assert type(acc) is expected and acc.name == "acc"  # another name: no twin


def test_a_weighted_twin_of_a_plain_metric_is_prefixed_and_weighted():
    compiled = compile_utils.CompiledMetrics(["accuracy"], ["accuracy", "sparse_categorical_crossentropy"])
    y_true = np.array([0, 1, 2, 1])
    y_pred = np.eye(3)[[0, 1, 0, 0]]  # right, right, wrong, wrong
    weights = np.array([3.0, 1.0, 0.0, 0.0])
    compiled.update_state(y_true, y_pred, weights)
    assert [m.name for m in compiled.metrics] == ["accuracy", "weighted_accuracy", "sparse_categorical_crossentropy"]
    plain, weighted, _ = compiled.metrics
    assert float(plain.result()) == pytest.approx(0.5)
    assert float(weighted.result()) == pytest.approx(1.0)  # only the weighted-in samples, both right


def test_a_model_logs_its_weighted_twins_after_the_loss():
    model = classifier(metrics=["acc"], weighted_metrics=["acc"])
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    logs = model.evaluate(x, np.eye(3)[np.arange(6) % 3], sample_weight=np.arange(6.0), verbose=0, return_dict=True)
    assert list(logs) == model.metrics_names == ["loss", "acc", "weighted_acc"]


def test_a_refused_compile_leaves_the_previous_one_in_place():
    model = classifier(metrics=["accuracy"])
    loss_fn, optimizer = model._loss_fn, model.optimizer
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile(optimizer="adam", loss="mse", loss_weights=0.5, metrics=["accuracyy"])
    assert model._loss_fn is loss_fn and model.optimizer is optimizer and model._loss_weight == 1.0
    assert model._metric_specs == ["accuracy"]


# --------------------------------------------------------------- target checks
SPARSE = losses.SparseCategoricalCrossentropy()


@pytest.mark.parametrize("labels", [np.array([0, 2, 1]), np.array([[0], [2], [1]]), np.array([0.0, 2.0, 1.0])])
def test_sparse_labels_of_either_shape_or_whole_floats_pass(labels):
    compile_utils.check_targets(SPARSE, labels, (None, 3))


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.zeros((3, 3)), "Sparse categorical labels must have shape (samples,) or (samples, 1) to go with "
         "the model's output of shape (None, 3). Received y_val of shape (3, 3)."),
        (np.array([0.0, 1.5, 1.0]), "Sparse categorical labels must be integers; y_val holds non-integer values."),
        (np.array([0, 3, -1]), "Sparse categorical labels must be in [0, 3) for predictions with 3 classes. "
         "Received y_val from -1 to 3."),
    ],
)
def test_sparse_label_refusals_name_the_targets(labels, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        compile_utils.check_targets(SPARSE, labels, (None, 3), "y_val")


def test_a_sparse_loss_called_directly_applies_the_same_rule():
    probs = np.full((2, 3), 1 / 3)
    message = "[0, 3) for predictions with 3 classes. Received y_true from 0 to 3."
    with pytest.raises(ValueError, match=re.escape(message)):
        SPARSE(np.array([0, 3]), probs)
    message = "to go with y_pred of shape (2, 3). Received y_true of shape (2, 3)."
    with pytest.raises(ValueError, match=re.escape(message)):
        SPARSE(np.zeros((2, 3)), probs)


def test_one_hot_targets_of_the_wrong_width_name_both_shapes():
    message = (
        "CategoricalCrossentropy: y has shape (12, 4), but the model's output has shape (None, 3); "
        "each target must have shape (3,)."
    )
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        compile_utils.check_targets(losses.CategoricalCrossentropy(), np.zeros((12, 4)), (None, 3))


def test_integer_labels_for_a_categorical_loss_get_a_hint():
    with pytest.raises(ValueError, match=r"y has shape \(12,\).*One-hot encode the labels .*to_categorical"):
        compile_utils.check_targets(losses.CategoricalCrossentropy(), np.zeros(12), (None, 3))
    with pytest.raises(ValueError, match=r"MeanSquaredError: y has shape \(12,\)") as refused:
        compile_utils.check_targets(losses.MeanSquaredError(), np.zeros(12), (None, 3))
    assert "One-hot" not in str(refused.value)


@pytest.mark.parametrize(
    "target_shape, output_shape",
    [((5,), (None, 1)), ((5, 1), (None,)), ((5, 3, 1), (None, 3)), ((5, 2, 3), (None, 2, 3))],
)
def test_targets_may_differ_from_the_output_by_a_trailing_axis_of_one(target_shape, output_shape):
    for loss in (losses.BinaryCrossentropy(), losses.MeanAbsoluteError()):
        compile_utils.check_targets(loss, np.zeros(target_shape), output_shape)


def test_a_loss_called_directly_applies_the_same_shape_rule():
    mse = losses.MeanSquaredError()
    assert mse(np.zeros((4, 3, 1)), np.ones((4, 3))) == pytest.approx(1.0)  # accepted, as check_targets accepts it
    message = "y_true has shape (4, 2), but y_pred has shape (4, 3); each target must have shape (3,)."
    with pytest.raises(ValueError, match=re.escape(message)):
        mse(np.zeros((4, 2)), np.ones((4, 3)))
    message = "y_true has shape (4, 3), but y_pred has shape (5, 3); both must have the same number of samples."
    with pytest.raises(ValueError, match=re.escape(message)):
        mse(np.zeros((4, 3)), np.ones((5, 3)))


def test_prepare_targets_checks_the_targets_and_weights():
    x = np.zeros((4, 2))
    loss = losses.CategoricalCrossentropy()
    y = np.eye(3)[[0, 1, 2, 1]]

    def prepare(y=y, sample_weight=None, class_weight=None, what="x"):
        return compile_utils.prepare_targets(x, y, sample_weight, class_weight, loss, (None, 3), what)

    with pytest.raises(ValueError, match=re.escape("y is required: the targets of x. Received: y=None")):
        prepare(y=None)
    with pytest.raises(TypeError, match="y must be numeric"):
        prepare(y=np.array([["a"] * 3] * 4))
    with pytest.raises(ValueError, match=re.escape("must have shape (samples,). Received shape (4, 2).")):
        prepare(sample_weight=np.ones((4, 2)))
    with pytest.raises(ValueError, match=re.escape("sample_weight must have shape (samples,). Received shape ().")):
        prepare(sample_weight=1.0)
    with pytest.raises(ValueError, match="x_val has 4, y_val has 3, sample_weight has 4"):
        prepare(y=y[:3], sample_weight=np.ones(4), what="x_val")
    with pytest.raises(ValueError, match=r"y_val contains NaN or infinity \(first at sample 2\)"):
        prepare(y=np.where(np.arange(12).reshape(4, 3) == 7, np.nan, y), what="x_val")
    with pytest.raises(ValueError, match=r"sample_weight contains NaN"):
        prepare(sample_weight=np.array([1.0, np.inf, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"y_val has shape \(4, 2\)"):
        prepare(y=y[:, :2], what="x_val")


def test_prepare_targets_folds_class_weights_into_the_sample_weights():
    x = np.zeros((4, 2))
    y = np.array([0, 1, 2, 1])
    loss = losses.SparseCategoricalCrossentropy()
    labels, weights = compile_utils.prepare_targets(x, y, None, {0: 2.0, 1: 0.5, 2: 1.0}, loss, (None, 3))
    assert labels is y
    np.testing.assert_array_equal(weights, [2.0, 0.5, 1.0, 0.5])
    _, weights = compile_utils.prepare_targets(x, y, [1.0, 2.0, 3.0, 4.0], {0: 2.0, 1: 0.5, 2: 1.0}, loss, (None, 3))
    np.testing.assert_array_equal(weights, [2.0, 1.0, 3.0, 2.0])
    _, weights = compile_utils.prepare_targets(x, y, [1.0, 2.0, 3.0, 4.0], None, loss, (None, 3))
    assert weights.dtype == np.float64
    np.testing.assert_array_equal(weights, [1.0, 2.0, 3.0, 4.0])
