"""MonitorCallback: the direction of mode="auto", min_delta in both directions, NaN, the missing-key warning."""

import operator

import pytest
from helpers import run_epochs, tiny_data, tiny_model

from minikeras import callbacks, metrics


class Score(metrics.Mean):
    """A metric named "score" where larger is better: only its direction can tell."""

    direction = "up"

    def __init__(self, name="score"):
        super().__init__(name=name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state((y_true.argmax(-1) == y_pred.argmax(-1)).astype(float))


def direction(monitor, model=None, mode="auto"):
    watcher = callbacks.MonitorCallback(monitor=monitor, mode=mode)
    watcher.set_model(model)
    watcher._set_monitor_op()
    return watcher.monitor_op


@pytest.mark.parametrize(
    "monitor, expected",
    [
        ("loss", operator.lt),
        ("val_loss", operator.lt),
        ("val_accuracy", operator.gt),  # by its name: the compiled metrics are not resolved before data
        ("acc", operator.gt),
        ("val_auc", operator.gt),
        ("val_precision", operator.gt),
        ("mean_squared_error", operator.lt),
        ("val_something_else", operator.lt),
    ],
)
def test_auto_mode_by_name(monitor, expected):
    assert direction(monitor) is expected


def test_auto_mode_asks_the_compiled_metrics_for_their_direction():
    model = tiny_model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=[Score(), "mean_absolute_error"])
    model.fit(*tiny_data(), epochs=1, verbose=0)  # resolves the metrics
    assert direction("val_score", model) is operator.gt  # nothing in the name says so: the direction does
    assert direction("mean_absolute_error", model) is operator.lt
    Score.direction = "down"
    try:
        assert direction("score", model) is operator.lt
    finally:
        Score.direction = "up"


@pytest.mark.parametrize("mode, expected", [("min", operator.lt), ("max", operator.gt)])
def test_an_explicit_mode_wins_over_the_name(mode, expected):
    assert direction("val_accuracy", mode=mode) is expected
    assert direction("val_loss", mode=mode) is expected


def test_an_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown, fallback to auto mode"):
        stop = callbacks.EarlyStopping(mode="maximum")
    assert stop.mode == "auto"


@pytest.mark.parametrize(
    "mode, best, value, improves",
    [
        ("min", 1.0, 0.89, True),
        ("min", 1.0, 0.91, False),  # better, but by less than min_delta=0.1
        ("min", 1.0, 1.05, False),
        ("max", 1.0, 1.11, True),
        ("max", 1.0, 1.09, False),
        ("max", 1.0, 0.95, False),
    ],
)
def test_min_delta_is_the_margin_to_beat_in_both_directions(mode, best, value, improves):
    watcher = callbacks.MonitorCallback(monitor="m", mode=mode, min_delta=-0.1)  # the sign is ignored
    watcher._set_monitor_op()
    assert watcher._is_improvement(value, best) is improves
    assert watcher._is_improvement(value, None) is True  # anything beats "nothing yet"


def test_nan_is_never_an_improvement():
    watcher = callbacks.MonitorCallback(monitor="val_loss")
    watcher._set_monitor_op()
    assert not watcher._is_improvement(float("nan"), None)
    assert not watcher._is_improvement(float("nan"), 1.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: callbacks.EarlyStopping(monitor="val_f1"),
            "Early stopping conditioned on metric `val_f1` which is not available",
        ),
        (
            lambda: callbacks.ReduceLROnPlateau(monitor="val_f1"),
            "Learning rate reduction is conditioned on metric `val_f1`",
        ),
        (
            lambda: callbacks.ModelCheckpoint("m.keras", monitor="val_f1", save_best_only=True),
            "Can save best model only with val_f1 available",
        ),
    ],
)
def test_a_missing_key_warns_with_the_available_keys_and_training_goes_on(make, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match=message) as caught:
        ran = run_epochs(make(), [1.0, 2.0, 3.0])
    assert ran == [0, 1, 2]
    assert "Available metrics are: val_loss,loss" in str(caught[0].message)
