"""ReduceLROnPlateau: patience, cooldown, min_lr and min_delta, and the rate the next epoch trains with."""

import pytest
from helpers import RecordRates, run_epochs, tiny_data, tiny_model

from minikeras import callbacks


@pytest.mark.parametrize(
    "values, kwargs, expected_rates",
    [
        # two epochs without improvement (1 and 2), then the rate drops for epoch 3; again for epoch 5
        ([1.0] * 6, {"patience": 2, "factor": 0.5}, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]),
        # cooldown 2 after a drop (Keras's count): the next epoch counts nothing, the one after counts again
        (
            [1.0] * 8,
            {"patience": 1, "factor": 0.5, "cooldown": 2},
            [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125],
        ),
        ([1.0] * 8, {"patience": 1, "factor": 0.5, "cooldown": 3}, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025]),
        # min_lr bounds the rate
        ([1.0] * 6, {"patience": 1, "factor": 0.1, "min_lr": 0.005}, [0.1, 0.1, 0.01, 0.005, 0.005, 0.005]),
        # improvements smaller than min_delta do not count
        ([1.0, 0.99995, 0.9999, 0.9998], {"patience": 2, "factor": 0.5, "min_delta": 0.001}, [0.1, 0.1, 0.1, 0.05]),
        # an improvement resets the count
        ([1.0, 1.0, 0.5, 0.6, 0.7], {"patience": 2, "factor": 0.5}, [0.1, 0.1, 0.1, 0.1, 0.1]),
        # in max mode, a falling value is no improvement
        ([0.9, 0.8, 0.7], {"patience": 1, "factor": 0.5, "mode": "max"}, [0.1, 0.1, 0.05]),
    ],
)
def test_reduction_rules(values, kwargs, expected_rates):
    model = tiny_model()
    plateau = callbacks.ReduceLROnPlateau(**kwargs)
    plateau.set_model(model)
    plateau.on_train_begin({})
    rates = []
    for epoch, value in enumerate(values):
        rates.append(float(model.optimizer.learning_rate))  # what this epoch trains with
        logs = {"val_loss": value}
        plateau.on_epoch_end(epoch, logs)
        assert logs["learning_rate"] == pytest.approx(rates[-1])  # the logs say the rate the epoch trained with
    assert rates == pytest.approx(expected_rates)


def test_the_lowered_rate_is_the_one_the_next_epoch_trains_with():
    record = RecordRates()
    x, y = tiny_data()
    # The training loss falls: in max mode that is never an improvement.
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", mode="max", patience=1, factor=0.5)
    history = tiny_model().fit(x, y, epochs=4, verbose=0, callbacks=[plateau, record])
    assert record.at_epoch_begin == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert record.at_first_batch == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025])


def test_one_instance_serves_several_fits():
    model = tiny_model()
    plateau = callbacks.ReduceLROnPlateau(patience=1, factor=0.5)
    run_epochs(plateau, [0.5, 0.5], model=model)
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    run_epochs(plateau, [0.9, 0.8], model=model)  # the first fit's best (0.5) is forgotten: both improve
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_verbose_prints_each_reduction(capsys):
    run_epochs(callbacks.ReduceLROnPlateau(patience=1, factor=0.5, verbose=1), [1.0, 1.0])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05." in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"factor": 1.0}, ValueError, "does not support a factor >= 1.0. Received factor=1.0"),
        ({"patience": -1}, ValueError, "Received: patience=-1"),
        ({"patiense": 3}, TypeError, "Unrecognized keyword arguments"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        callbacks.ReduceLROnPlateau(**kwargs)


def test_keras_2_epsilon_is_min_delta():
    with pytest.warns(DeprecationWarning, match="min_delta"):
        plateau = callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert plateau.min_delta == 0.5
