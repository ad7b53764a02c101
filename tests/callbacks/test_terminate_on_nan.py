"""TerminateOnNaN: training stops at the first batch whose loss is not finite."""

import numpy as np
import pytest
from helpers import tiny_data

import minikeras as keras
from minikeras import callbacks

pytestmark = pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")


def diverging_model():
    # Squared errors overflow float32 within a few steps at this rate: the loss becomes inf, then NaN.
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.SGD(1e18), loss="mse")
    return model


def test_training_stops_at_the_first_bad_batch(capsys):
    model = diverging_model()
    x, y = tiny_data()
    losses = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[record, callbacks.TerminateOnNaN()])
    assert not np.isfinite(losses[-1]) and np.isfinite(losses[:-1]).all()  # the last batch run is the first bad one
    assert model.optimizer.iterations == len(losses) < 5 * len(x) // 4
    assert len(history.epoch) == 1  # that epoch still ended (on_epoch_end ran), and no other began
    assert f"Batch {len(losses) - 1}: Invalid loss, terminating training" in capsys.readouterr().out


def test_without_it_training_goes_on():
    model = diverging_model()
    history = model.fit(*tiny_data(), batch_size=4, epochs=2, verbose=0)
    assert len(history.epoch) == 2 and not np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_both_infinities_stop(loss):
    terminate = callbacks.TerminateOnNaN()
    model = diverging_model()
    terminate.set_model(model)
    terminate.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    terminate.on_train_batch_end(1, {"loss": loss})
    assert model.stop_training


def test_raise_error_makes_fit_fail():
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch"):
        diverging_model().fit(
            *tiny_data(), batch_size=4, epochs=5, verbose=0, callbacks=[callbacks.TerminateOnNaN(raise_error=True)]
        )
