"""Tiny models and data for callback tests, and drivers that feed logs to a callback directly."""

import numpy as np

import minikeras as keras
from minikeras import callbacks, layers


def tiny_model(seed=0, optimizer=None, hidden=True):
    """A small classifier, compiled with SGD(0.1) unless told otherwise; built (it has an Input)."""
    keras.utils.set_random_seed(seed)
    stack = [layers.Dense(6, activation="tanh")] if hidden else []
    model = keras.Sequential([keras.Input(shape=(4,)), *stack, layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer=optimizer or keras.optimizers.SGD(0.1), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def tiny_data(n=24, seed=1):
    """`n` samples of 4 features and one-hot labels of 3 classes that depend on the features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)]


def run_epochs(callback, values, key="val_loss", model=None):
    """Drive `callback` through epochs whose logs hold `values` under `key`, as fit would.

    Returns the epochs run: the run ends early when the callback sets `model.stop_training`.
    """
    model = model or tiny_model()
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin({})
    ran = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, {key: value, "loss": 1.0})
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran


class RecordRates(callbacks.Callback):
    """The optimizer's learning rate as seen at each epoch's start and at each epoch's first batch."""

    def __init__(self):
        super().__init__()
        self.at_epoch_begin, self.at_first_batch = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.at_epoch_begin.append(float(self.model.optimizer.learning_rate))  # a variable, as Keras: read it now

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.at_first_batch.append(float(self.model.optimizer.learning_rate))


def assert_same_weights(model, other):
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
