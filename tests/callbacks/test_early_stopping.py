"""EarlyStopping: Keras's patience, min_delta, baseline, start_from_epoch and weight restoring."""

import numpy as np
import pytest
from helpers import run_epochs, tiny_data, tiny_model

from minikeras import callbacks


@pytest.mark.parametrize(
    "values, kwargs, stopped_at, best_epoch",
    [
        ([1.0, 0.9, 0.95, 0.96, 0.97], {"patience": 2}, 3, 1),
        ([1.0, 0.9, 0.95, 0.96, 0.97], {"patience": 0}, 2, 1),
        ([1.0, 0.99, 0.98, 0.97, 0.96], {"patience": 1, "min_delta": 0.05}, 1, 0),  # improvements under min_delta don't count
        ([0.5, 0.6, 0.7, 0.8], {"patience": 1, "mode": "max", "monitor": "val_accuracy"}, None, 3),
        # Keras: an improvement keeps training going even below the baseline (only the count keeps growing)
        ([1.0, 0.9, 0.8, 0.7, 0.6], {"patience": 2, "baseline": 0.5}, None, 4),
        ([1.0, 0.9, 0.95, 0.96, 0.97], {"patience": 2, "baseline": 0.5}, 2, 1),  # below the baseline, the count never reset
        ([1.0, 0.9, 0.4, 0.45, 0.46, 0.47], {"patience": 2, "baseline": 0.5}, 4, 2),
        ([1.0, 2.0, 3.0, 4.0, 5.0], {"patience": 0, "start_from_epoch": 2}, 3, 2),
    ],
)
def test_stopping_rules(values, kwargs, stopped_at, best_epoch):
    key = kwargs.get("monitor", "val_loss")
    stop = callbacks.EarlyStopping(**kwargs)
    ran = run_epochs(stop, values, key=key)
    if stopped_at is None:
        assert stop.stopped_epoch == 0 and ran == list(range(len(values)))
    else:
        assert stop.stopped_epoch == stopped_at and ran[-1] == stopped_at
    assert stop.best_epoch == best_epoch


def test_min_delta_example_counts_only_big_enough_improvements():
    stop = callbacks.EarlyStopping(patience=1, min_delta=0.05)
    run_epochs(stop, [1.0, 0.99, 0.98, 0.97, 0.96])
    assert stop.stopped_epoch == 1 and stop.best_epoch == 0 and stop.best == 1.0


def test_a_missing_monitor_warns_instead_of_crashing():
    stop = callbacks.EarlyStopping(monitor="val_precision")
    with pytest.warns(UserWarning, match=r"`val_precision` which is not available. Available metrics are: val_loss,loss"):
        ran = run_epochs(stop, [1.0, 2.0])
    assert ran == [0, 1]


def test_auto_mode_maximizes_accuracy_and_minimizes_loss():
    model = tiny_model()
    for monitor, expected in (("val_accuracy", "gt"), ("accuracy", "gt"), ("val_loss", "lt"), ("loss", "lt")):
        stop = callbacks.EarlyStopping(monitor=monitor)
        stop.set_model(model)
        model.fit(*tiny_data(), epochs=1, verbose=0)  # resolves the compiled metrics
        stop._set_monitor_op()
        assert stop.monitor_op.__name__ == expected


def _fit_with(stop, epochs=8, lr=0.5):
    model = tiny_model(optimizer=None)
    model.optimizer.learning_rate = lr
    x, y = tiny_data()
    snapshots = []

    class Snap(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append((logs["val_loss"], self.model.get_weights()))

    model.fit(x, y, epochs=epochs, batch_size=4, validation_data=(x[::-1] * 1.5, y[::-1]), verbose=0, callbacks=[Snap(), stop])
    return model, snapshots


def test_restore_best_weights_when_training_stops_early():
    stop = callbacks.EarlyStopping(patience=1, restore_best_weights=True)
    model, snapshots = _fit_with(stop, lr=3.0)  # a large rate: the validation loss bounces
    best_loss, best_weights = min(snapshots, key=lambda s: s[0])
    assert stop.stopped_epoch > 0
    for restored, expected in zip(model.get_weights(), best_weights):
        np.testing.assert_array_equal(restored, expected)


def test_restore_best_weights_when_training_runs_to_the_end():
    stop = callbacks.EarlyStopping(patience=100, restore_best_weights=True)
    model, snapshots = _fit_with(stop, epochs=6, lr=3.0)
    assert stop.stopped_epoch == 0
    best_index = min(range(len(snapshots)), key=lambda i: snapshots[i][0])
    assert stop.best_epoch == best_index
    for restored, expected in zip(model.get_weights(), snapshots[best_index][1]):
        np.testing.assert_array_equal(restored, expected)
