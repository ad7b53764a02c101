"""ReduceLROnPlateau and LearningRateScheduler: the rate the next epoch trains with."""

import pytest
from helpers import run_epochs, tiny_data, tiny_model

from minikeras import callbacks


class RecordRates(callbacks.Callback):
    """The learning rate seen inside each epoch, at its first batch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.rates.append(self.model.optimizer.learning_rate)


def test_scheduler_sets_the_rate_each_epoch_trains_with():
    record = RecordRates()
    model = tiny_model()
    history = model.fit(*tiny_data(), epochs=4, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)), record])
    assert record.rates == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025])


def test_scheduler_of_the_epoch_alone_and_its_refusal_of_non_numbers():
    record = RecordRates()
    tiny_model().fit(*tiny_data(), epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1)), record])
    assert record.rates == pytest.approx([0.01, 0.02])
    with pytest.raises(ValueError, match="should be a float"):
        tiny_model().fit(*tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])


@pytest.mark.parametrize(
    "values, kwargs, expected_rates",
    [
        # patience 2: two epochs without improvement, then the rate drops
        ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], {"patience": 2, "factor": 0.5}, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]),
        # cooldown 2 after a drop: the next epoch is not counted, the one after counts again
        ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], {"patience": 1, "factor": 0.5, "cooldown": 2}, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]),
        # min_lr bounds the rate
        ([1.0] * 6, {"patience": 1, "factor": 0.1, "min_lr": 0.005}, [0.1, 0.1, 0.01, 0.005, 0.005, 0.005]),
        # improvements smaller than min_delta do not count
        ([1.0, 0.99995, 0.9999, 0.9998], {"patience": 2, "factor": 0.5, "min_delta": 0.001}, [0.1, 0.1, 0.1, 0.05]),
    ],
)
def test_plateau_reduction_rules(values, kwargs, expected_rates):
    model = tiny_model()
    plateau = callbacks.ReduceLROnPlateau(**kwargs)
    plateau.set_model(model)
    plateau.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        rates.append(model.optimizer.learning_rate)  # what this epoch trains with
        logs = {"val_loss": value}
        plateau.on_epoch_end(epoch, logs)
        assert logs["learning_rate"] == pytest.approx(rates[-1])  # the rate the epoch trained with
    assert rates == pytest.approx(expected_rates)


def test_plateau_inside_fit_lowers_the_rate_of_the_next_epoch():
    record = RecordRates()
    model = tiny_model()
    x, y = tiny_data()
    model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y), callbacks=[callbacks.ReduceLROnPlateau(monitor="loss", mode="max", patience=1, factor=0.5), record])
    assert record.rates == pytest.approx([0.1, 0.1, 0.05, 0.025])  # the training loss falls: never an "improvement" in max mode


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_missing_monitor_warns():
    with pytest.warns(UserWarning, match="`val_auc` which is not available"):
        run_epochs(callbacks.ReduceLROnPlateau(monitor="val_auc", mode="max"), [1.0])
