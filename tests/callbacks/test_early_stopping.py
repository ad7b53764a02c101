"""EarlyStopping: patience, min_delta, baseline, start_from_epoch, and restoring the best weights."""

import numpy as np
import pytest
from helpers import run_epochs, tiny_data, tiny_model

import minikeras as keras
from minikeras import callbacks


@pytest.mark.parametrize(
    "values, kwargs, stopped_epoch, best_epoch",
    [
        # best 0.9 at epoch 1; epochs 2 and 3 wait; the count reaches patience=2 at epoch 3
        ([1.0, 0.9, 0.95, 0.96, 0.97], {"patience": 2}, 3, 1),
        ([1.0, 0.9, 0.95, 0.96, 0.97], {"patience": 0}, 2, 1),
        # every step improves by 0.01 < min_delta: nothing after epoch 0 counts
        ([1.0, 0.99, 0.98, 0.97, 0.96], {"patience": 1, "min_delta": 0.05}, 1, 0),
        ([0.5, 0.6, 0.7, 0.8], {"patience": 1, "mode": "max", "monitor": "val_accuracy"}, None, 3),
        # baseline never beaten: the count is never reset, although the loss keeps falling
        ([1.0, 0.9, 0.8, 0.7, 0.6], {"patience": 2, "baseline": 0.5}, 1, 1),
        # baseline beaten at epoch 2 (count 3 -> 0); then three epochs without improvement
        ([1.0, 0.9, 0.4, 0.45, 0.46, 0.47], {"patience": 3, "baseline": 0.5}, 5, 2),
        ([1.0, 0.9, 0.4, 0.45, 0.46, 0.47], {"patience": 2, "baseline": 0.5}, 1, 1),
        ([0.5, 0.7, 0.72, 0.71, 0.7], {"patience": 1, "baseline": 0.6, "mode": "max", "monitor": "val_accuracy"}, 3, 2),
        # with min_delta, the baseline too must be beaten by more than min_delta (0.45 is not)
        ([0.45, 0.3, 0.28], {"patience": 1, "baseline": 0.5, "min_delta": 0.1}, 2, 1),
        # the warm-up epochs 0 and 1 are not watched, however bad
        ([1.0, 2.0, 3.0, 4.0, 5.0], {"patience": 0, "start_from_epoch": 2}, 3, 2),
    ],
)
def test_patience_counting(values, kwargs, stopped_epoch, best_epoch):
    key = kwargs.get("monitor", "val_loss")
    stop = callbacks.EarlyStopping(**kwargs)
    ran = run_epochs(stop, values, key=key)
    if stopped_epoch is None:
        assert stop.stopped_epoch == 0 and ran == list(range(len(values)))
    else:
        assert stop.stopped_epoch == stopped_epoch and ran[-1] == stopped_epoch
    assert stop.best_epoch == best_epoch


def test_the_wait_counter_and_best_value():
    stop = callbacks.EarlyStopping(patience=5, baseline=0.5)
    run_epochs(stop, [0.8, 0.7, 0.6])
    assert stop.wait == 3 and stop.best == 0.5  # nothing beat the baseline
    run_epochs(stop, [0.8, 0.4, 0.45])
    assert stop.wait == 1 and stop.best == 0.4  # a new fit starts again from the baseline


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_keras_docstring_example_runs_four_epochs():
    # Keras's own example: the loss of this model only grows, so patience=3 lets four epochs run.
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(), loss="mse")
    stop = callbacks.EarlyStopping(monitor="loss", patience=3)
    history = model.fit(
        np.arange(100).reshape(5, 20), np.zeros((5, 10)), epochs=10, batch_size=1, callbacks=[stop], verbose=0
    )
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch == 3


def test_one_instance_serves_several_fits():
    stop = callbacks.EarlyStopping(patience=0)
    assert run_epochs(stop, [1.0, 2.0, 3.0]) == [0, 1]
    assert run_epochs(stop, [5.0, 4.0, 3.0]) == [0, 1, 2]  # the first fit's best (1.0) is forgotten


def test_refuses_a_negative_patience():
    with pytest.raises(ValueError, match="patience=-1"):
        callbacks.EarlyStopping(patience=-1)


def _fit(stop, epochs):
    """Train with a large learning rate, so that the validation loss goes up and down; keep each epoch's weights."""
    model = tiny_model(optimizer=keras.optimizers.SGD(3.0))
    x, y = tiny_data()
    snapshots = []
    snap = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append((logs["val_loss"], model.get_weights()))
    )
    model.fit(
        x, y, epochs=epochs, batch_size=4, validation_data=(x[::-1] * 1.5, y[::-1]), verbose=0, callbacks=[snap, stop]
    )
    return model, snapshots


def _assert_weights_of_the_best_epoch(model, snapshots, stop):
    best = min(range(len(snapshots)), key=lambda epoch: snapshots[epoch][0])
    assert stop.best_epoch == best
    assert best != len(snapshots) - 1  # otherwise restoring would prove nothing
    for restored, expected in zip(model.get_weights(), snapshots[best][1], strict=True):
        np.testing.assert_array_equal(restored, expected)


def test_restore_best_weights_when_training_stops_early():
    stop = callbacks.EarlyStopping(patience=1, restore_best_weights=True)
    model, snapshots = _fit(stop, epochs=10)
    assert 0 < stop.stopped_epoch < 9 and len(snapshots) == stop.stopped_epoch + 1
    _assert_weights_of_the_best_epoch(model, snapshots, stop)


def test_restore_best_weights_when_training_runs_to_the_end():
    stop = callbacks.EarlyStopping(patience=100, restore_best_weights=True)
    model, snapshots = _fit(stop, epochs=6)
    assert stop.stopped_epoch == 0 and len(snapshots) == 6
    _assert_weights_of_the_best_epoch(model, snapshots, stop)


def test_restore_best_weights_when_no_epoch_beats_the_baseline():
    # Keras's documented rule: training runs for `patience` epochs and the best of them is restored.
    stop = callbacks.EarlyStopping(patience=4, baseline=0.0, restore_best_weights=True)
    model, snapshots = _fit(stop, epochs=10)
    assert stop.stopped_epoch == 3
    _assert_weights_of_the_best_epoch(model, snapshots, stop)


def test_without_restore_the_last_weights_stay():
    stop = callbacks.EarlyStopping(patience=1)
    model, snapshots = _fit(stop, epochs=10)
    for kept, last in zip(model.get_weights(), snapshots[-1][1], strict=True):
        np.testing.assert_array_equal(kept, last)


def test_verbose_says_when_it_stops_and_restores(capsys):
    run_epochs(callbacks.EarlyStopping(patience=0, verbose=1, restore_best_weights=True), [1.0, 2.0])
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out and "Restoring model weights from the end of the best epoch: 1." in out
