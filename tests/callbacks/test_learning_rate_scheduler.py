"""LearningRateScheduler: the rate each epoch trains with comes from the schedule."""

import numpy as np
import pytest
from helpers import RecordRates, assert_same_weights, tiny_data, tiny_model

from minikeras import callbacks


def test_the_new_rate_is_the_one_the_epoch_trains_with():
    record = RecordRates()
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    model = tiny_model()
    # The recorder comes after the scheduler: its on_epoch_begin sees what the scheduler set.
    history = model.fit(*tiny_data(), epochs=4, verbose=0, callbacks=[scheduler, record])
    expected = [0.1, 0.05, 0.1 / 3, 0.025]
    assert record.at_epoch_begin == pytest.approx(expected)
    assert record.at_first_batch == pytest.approx(expected)
    assert history.history["learning_rate"] == pytest.approx(expected)


def test_the_schedule_receives_the_current_rate():
    seen = []

    def halve(epoch, lr):
        seen.append((epoch, lr))
        return lr / 2

    tiny_model().fit(*tiny_data(), epochs=3, verbose=0, callbacks=[callbacks.LearningRateScheduler(halve)])
    assert seen == [(0, pytest.approx(0.1)), (1, pytest.approx(0.05)), (2, pytest.approx(0.025))]


def test_a_zero_rate_freezes_exactly_the_epochs_it_is_given():
    # Epoch 1 trains with rate 0: its weights must come out as they went in.
    x, y = tiny_data()
    weights_after = []
    model = tiny_model()
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: weights_after.append(model.get_weights()))
    model.fit(
        x,
        y,
        epochs=3,
        verbose=0,
        shuffle=False,
        callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 1 else 0.1), record],
    )
    for before, after in zip(weights_after[0], weights_after[1], strict=True):
        np.testing.assert_array_equal(before, after)
    assert any(not np.array_equal(a, b) for a, b in zip(weights_after[1], weights_after[2]))
    # ... and epochs 0 and 2 trained as with a fixed rate of 0.1 (epoch 1 changed nothing, shuffle off).
    plain = tiny_model()
    plain.fit(x, y, epochs=2, verbose=0, shuffle=False)
    assert_same_weights(model, plain)


def test_a_schedule_of_the_epoch_alone_works_too():
    record = RecordRates()
    tiny_model().fit(
        *tiny_data(),
        epochs=2,
        verbose=0,
        callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1)), record],
    )
    assert record.at_first_batch == pytest.approx([0.01, 0.02])


def test_a_type_error_inside_a_two_argument_schedule_is_not_hidden():
    def broken(epoch, lr):
        return lr + "fast"

    with pytest.raises(TypeError, match="unsupported operand"):
        tiny_model().fit(*tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(broken)])


@pytest.mark.parametrize("result", ["fast", None, True])
def test_a_schedule_must_return_a_number(result):
    with pytest.raises(ValueError, match=f'The output of the "schedule" function should be a float. Got: {result!r}'):
        tiny_model().fit(
            *tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: result)]
        )


def test_verbose_prints_each_rate(capsys):
    tiny_model().fit(
        *tiny_data(), epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.5, verbose=1)]
    )
    assert capsys.readouterr().out.count("LearningRateScheduler setting learning rate to 0.5.") == 2
