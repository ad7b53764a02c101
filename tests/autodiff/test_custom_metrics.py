"""Metrics written as Keras users write them: state made with `add_variable`, `update_state`, `result`,
`reset_state` — in compile, evaluate, the logs and callbacks."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.argmax(y_pred, axis=1).reshape(-1, 1)
        values = (np.asarray(y_true).astype("int32") == y_pred.astype("int32")).astype("float32")
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, "float32").reshape(-1, 1)
        self.true_positives.assign_add(np.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


class CountedMean(keras.metrics.Metric):
    """No reset_state of its own: the base sets the variables back to their initial values."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(np.sum(np.abs(np.asarray(y_true) - np.asarray(y_pred))))
        self.count.assign_add(np.size(y_pred))

    def result(self):
        return self.total.numpy() / max(float(self.count.numpy()), 1.0)


def test_a_state_variable_metric_counts_over_batches_and_resets():
    metric = CategoricalTruePositives()
    y_true = np.array([[0], [1], [2], [1]])
    y_pred = np.eye(3)[[0, 2, 2, 1]]
    metric.update_state(y_true[:2], y_pred[:2])
    metric.update_state(y_true[2:], y_pred[2:], sample_weight=[2.0, 0.5])
    assert float(metric.result()) == 3.5
    assert [v.name for v in metric.variables] == ["ctp"]
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_default_reset_state_restores_the_initial_values():
    metric = CountedMean(name="counted_mae")
    metric.update_state(np.ones(4), np.zeros(4))
    assert metric.result() == 1.0
    metric.reset_state()
    assert metric.result() == 0.0 and float(metric.count.numpy()) == 0.0


def test_custom_metrics_work_in_compile_fit_evaluate_and_callbacks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    labels = rng.integers(0, 3, size=(40, 1))
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=[CategoricalTruePositives(), CountedMean(name="counted")],
    )
    seen = []
    history = model.fit(
        x,
        labels,
        batch_size=8,
        epochs=2,
        validation_split=0.25,
        verbose=0,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))],
    )
    assert set(history.history) >= {"categorical_true_positives", "val_categorical_true_positives", "counted"}
    assert all(0 <= value <= 30 for value in history.history["categorical_true_positives"])
    results = model.evaluate(x, labels, verbose=0, return_dict=True)
    expected = np.sum(np.argmax(model.predict(x, verbose=0), axis=1) == labels[:, 0])
    assert results["categorical_true_positives"] == expected
    assert seen[-1]["categorical_true_positives"] == history.history["categorical_true_positives"][-1]


class WeightedMAE(keras.metrics.Metric):
    """Mean absolute error written as a Keras user writes it, to compare with the built-in metric."""

    def __init__(self, name="weighted_mae", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total", dtype="float64")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        from minikeras import ops

        per_sample = ops.mean(ops.abs(ops.cast(y_pred, "float64") - ops.cast(y_true, "float64")), axis=-1)
        weights = ops.ones_like(per_sample) if sample_weight is None else ops.cast(sample_weight, "float64")
        self.total.assign_add(ops.sum(per_sample * weights))
        self.count.assign_add(ops.sum(weights))

    def result(self):
        return self.total.value / self.count.value


def test_a_custom_metric_equals_the_built_in_one_over_batches_and_weights():
    rng = np.random.default_rng(4)
    mine, builtin = WeightedMAE(), keras.metrics.MeanAbsoluteError()
    for size in (5, 2, 4):
        y_true, y_pred = rng.normal(size=(size, 3)), rng.normal(size=(size, 3))
        weights = rng.uniform(0.1, 2.0, size=size)
        mine.update_state(y_true, y_pred, sample_weight=weights)
        builtin.update_state(y_true, y_pred, sample_weight=weights)
    assert float(mine.result()) == pytest.approx(float(builtin.result()), rel=1e-6)
