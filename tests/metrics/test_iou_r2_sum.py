"""IoU, R2Score, Sum, Mean and MeanMetricWrapper beyond the golden values: bad arguments (Keras's exception types
and messages), warnings, independent references, names given to `metrics.get`, serialization, and training."""

import json
import re
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, metrics
from minikeras.saving import registry


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    "make, error, phrase",
    [
        (lambda: metrics.R2Score(class_aggregation="x"), ValueError, "Invalid value for argument `class_aggregation`"),
        (lambda: metrics.R2Score(num_regressors=-1), ValueError, "Invalid value for argument `num_regressors`"),
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[3]), ValueError, "Target class id 3 is out of range"),
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[-1]), ValueError, "Target class id -1 is out of range"),
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[]), ValueError, "at least one class"),
        (lambda: metrics.BinaryIoU(target_class_ids=[2]), ValueError, "Target class id 2 is out of range, which is"),
        (lambda: metrics.MeanIoU(num_classes=0), ValueError, "`num_classes` must be a positive integer"),
        (lambda: metrics.OneHotMeanIoU(num_classes=2.5), ValueError, "`num_classes` must be a positive integer"),
        (lambda: metrics.MeanMetricWrapper("mse"), TypeError, "expects a function"),
    ],
    ids=[
        "r2_aggregation", "r2_regressors", "iou_id_too_large", "iou_id_negative", "iou_no_ids", "binary_iou_id",
        "mean_iou_classes", "one_hot_mean_iou_classes", "wrapper_fn",
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_keras_messages(make, error, phrase):
    with pytest.raises(error, match=re.escape(phrase)):
        make()


def test_r2_refuses_inputs_that_are_not_2d_and_a_change_of_width():
    metric = metrics.R2Score()
    with pytest.raises(ValueError, match=re.escape("R2Score expects 2D inputs with shape (batch_size, output_dim)")):
        metric.update_state(np.ones(3), np.ones(3))
    metric.update_state(np.ones((3, 2)), np.zeros((3, 2)))
    before = {key: value.copy() for key, value in metric._sums.items()}
    with pytest.raises(ValueError, match="first given 2 output columns; this batch has 3"):
        metric.update_state(np.ones((3, 3)), np.ones((3, 3)))
    assert all(np.array_equal(metric._sums[key], value) for key, value in before.items())  # state untouched


def test_iou_refuses_labels_and_predictions_of_different_sizes_before_counting():
    metric = metrics.MeanIoU(num_classes=3)
    metric.update_state([0, 1, 2], [0, 1, 1])
    before = metric.total_cm.copy()
    with pytest.raises(ValueError, match="same number of class ids"):
        metric.update_state([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="sample_weight must be one weight or broadcastable"):
        metric.update_state([0, 1, 2], [0, 1, 1], sample_weight=[1, 2])
    np.testing.assert_array_equal(metric.total_cm, before)


# ------------------------------------------------------------------ warnings
def test_an_integer_iou_warns_when_it_truncates_weights():
    with pytest.warns(UserWarning, match=re.escape("You are passing weight as `float`, but dtype is `int`")):
        metrics.IoU(num_classes=2, target_class_ids=[0]).update_state([0, 1], [0, 1], sample_weight=[0.5, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # whole numbers in a float array lose nothing: no warning
        metrics.IoU(num_classes=2, target_class_ids=[0]).update_state([0, 1], [0, 1], sample_weight=np.ones(2))
        metrics.IoU(2, [0], dtype="float32").update_state([0, 1], [0, 1], sample_weight=[0.5, 1.0])


@pytest.mark.parametrize(
    "regressors, phrase",
    [(5, "More independent predictors than datapoints"), (2, "Division by zero in Adjusted R2 score")],
)
def test_adjusted_r2_falls_back_with_a_warning(regressors, phrase):
    y_true, y_pred = np.array([[1.0], [2.0], [4.0]]), np.array([[1.0], [3.0], [3.0]])
    plain, adjusted = metrics.R2Score(), metrics.R2Score(num_regressors=regressors)
    plain.update_state(y_true, y_pred)
    adjusted.update_state(y_true, y_pred)
    with pytest.warns(UserWarning, match=phrase):
        assert adjusted.result() == plain.result()


# ------------------------------------------------------------------ independent references
def _confusion_by_loop(labels, predictions, weights, classes, ignore=None):
    matrix = np.zeros((classes, classes))
    for t, p, w in zip(labels.ravel(), predictions.ravel(), weights.ravel()):
        if 0 <= t < classes and 0 <= p < classes and t != ignore:
            matrix[t, p] += w
    return matrix


def test_iou_confusion_matrix_and_result_match_a_loop_over_pixels():
    rng = np.random.default_rng(3)
    labels = rng.integers(-1, 5, size=(6, 4, 4))
    predictions = rng.integers(0, 5, size=(6, 4, 4))
    weights = rng.uniform(0, 2, size=(6, 4, 4))
    metric = metrics.IoU(num_classes=4, target_class_ids=[1, 2, 3], ignore_class=2, dtype="float64")
    for rows in (slice(0, 4), slice(4, 6)):
        metric.update_state(labels[rows], predictions[rows], sample_weight=weights[rows])
    matrix = _confusion_by_loop(labels, predictions, weights, 4, ignore=2)
    np.testing.assert_allclose(metric.total_cm, matrix, rtol=1e-12)
    # The ignored label's row is empty, but its column (predictions of 2) still counts: its IoU is 0.
    assert matrix[2].sum() == 0 and matrix[:, 2].sum() > 0
    ious = [matrix[c, c] / (matrix[c].sum() + matrix[:, c].sum() - matrix[c, c]) for c in (1, 2, 3)]
    assert metric.result() == pytest.approx(np.mean(ious), rel=1e-6)


def test_iou_leaves_out_classes_absent_from_labels_and_predictions():
    metric = metrics.IoU(num_classes=4, target_class_ids=[0, 1, 3], dtype="float64")
    metric.update_state([0, 0, 1, 1], [0, 1, 1, 1])  # class 3 never occurs: not averaged in as 0
    assert metric.result() == pytest.approx((1 / 2 + 2 / 3) / 2, rel=1e-6)


def test_iou_takes_one_weight_per_sample_of_a_segmentation_map():
    """Keras needs a weight per pixel; minikeras also broadcasts `(batch,)` weights over each sample's map."""
    rng = np.random.default_rng(4)
    labels, predictions = rng.integers(0, 3, size=(5, 2, 3)), rng.integers(0, 3, size=(5, 2, 3))
    per_sample = rng.integers(0, 4, size=5)
    short, spelled_out = metrics.MeanIoU(num_classes=3), metrics.MeanIoU(num_classes=3)
    short.update_state(labels, predictions, sample_weight=per_sample)
    spelled_out.update_state(
        labels, predictions, sample_weight=np.broadcast_to(per_sample[:, None, None], labels.shape)
    )
    np.testing.assert_array_equal(short.total_cm, spelled_out.total_cm)


def test_r2_matches_its_definition_per_column():
    rng = np.random.default_rng(5)
    y_true, y_pred, weights = rng.normal(size=(20, 3)), rng.normal(size=(20, 3)), rng.uniform(0, 2, size=20)
    metric = metrics.R2Score(class_aggregation=None)
    for rows in (slice(0, 7), slice(7, 20)):
        metric.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    w = weights[:, None]
    mean = (w * y_true).sum(0) / w.sum()
    expected = 1 - (w * (y_true - y_pred) ** 2).sum(0) / (w * (y_true - mean) ** 2).sum(0)
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-10)


def test_r2_before_any_update_and_for_constant_labels():
    assert metrics.R2Score().result() == 0.0
    metric = metrics.R2Score(class_aggregation=None)
    metric.update_state([[1.0, 2.0], [1.0, 3.0]], [[0.0, 2.0], [2.0, 3.0]])
    scores = metric.result()
    assert scores[0] == 0.0 and scores[1] == 1.0  # constant labels, wrong predictions: 0, not -inf


def test_sum_and_mean_of_the_same_values():
    values, weights = np.array([[1.0, 2.0], [3.0, 5.0], [7.0, 11.0]]), np.array([1.0, 0.0, 2.0])
    total, mean = metrics.Sum(), metrics.Mean()
    total.update_state(values, sample_weight=weights)
    mean.update_state(values, sample_weight=weights)
    assert total.result() == (1 + 2) * 1 + (7 + 11) * 2
    assert mean.result() == pytest.approx((1.5 * 1 + 9 * 2) / 3)
    assert total([4.0]) == total.result() == 43.0  # calling adds and returns the sum


# ------------------------------------------------------------------ names, serialization, loading
@pytest.mark.parametrize(
    "name, cls",
    [("r2_score", metrics.R2Score), ("sum", metrics.Sum), ("mean", metrics.Mean), ("binary_io_u", metrics.BinaryIoU)],
)
def test_keras_string_names(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls and metric.name == name


@pytest.mark.parametrize("name", ["R2Score", "Sum", "BinaryIoU"])
def test_class_names_give_default_instances(name):
    assert type(metrics.get(name)) is getattr(metrics, name)


def test_iou_serializes_and_loads_by_keras_config():
    metric = metrics.OneHotIoU(num_classes=3, target_class_ids=np.array([0, 2]), ignore_class=1, name="seg")
    config = metrics.serialize(metric)
    assert config["class_name"] == "OneHotIoU" and config["config"]["target_class_ids"] == [0, 2]
    again = metrics.get(json.loads(json.dumps(config)))
    assert type(again) is metrics.OneHotIoU and again.get_config() == metric.get_config()


def test_mean_metric_wrapper_writes_its_function_and_finds_registered_ones():
    @registry.register_serializable(package="tests_more")
    def halved_error(y_true, y_pred, scale=0.5):
        return scale * np.abs(np.asarray(y_pred) - np.asarray(y_true)).mean(axis=-1)

    metric = metrics.MeanMetricWrapper(halved_error, scale=0.25)
    config = metric.get_config()
    assert metric.name == "mean_metric_wrapper"
    assert config["fn"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "tests_more>halved_error",
        "registered_name": "function",
    }
    again = metrics.MeanMetricWrapper.from_config(json.loads(json.dumps(config)))
    assert again._fn is halved_error and again.get_config() == config
    again.update_state(np.zeros((2, 2)), np.ones((2, 2)))
    assert again.result() == 0.25
    with pytest.raises(ValueError, match="Unknown metric function: 'mean_squared_eror'. Did you mean"):
        metrics.MeanMetricWrapper.from_config({"name": "m", "dtype": "float32", "fn": "mean_squared_eror"})


def test_sparse_crossentropy_metric_checks_its_labels():
    metric = metrics.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match="must have the same shape up until the class axis"):
        metric.update_state(np.zeros((4, 2)), np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match=re.escape("Labels must be class indices in [0, 3)")):
        metric.update_state(np.array([0, 3]), np.full((2, 3), 1 / 3))
    assert metric.count == 0.0


# ------------------------------------------------------------------ in training
def test_iou_and_r2_as_compiled_metrics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    classifier = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    classifier.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=[metrics.MeanIoU(num_classes=3, sparse_y_pred=False)],
    )
    history = classifier.fit(x, labels, epochs=2, batch_size=8, verbose=0)
    assert 0.0 <= history.history["mean_io_u"][-1] <= 1.0
    regressor = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    regressor.compile(optimizer="adam", loss="mse", metrics=["r2_score"])
    logs = regressor.evaluate(x, x[:, :2] * 2.0, batch_size=8, verbose=0, return_dict=True)
    assert np.isfinite(logs["r2_score"])
