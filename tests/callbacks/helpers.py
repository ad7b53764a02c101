"""A tiny model and data for callback tests, and a fake model for feeding logs directly."""

import numpy as np

import minikeras as keras
from minikeras import layers


def tiny_model(seed=0, optimizer=None):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(6, activation="tanh"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer or keras.optimizers.SGD(0.1), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_data(n=24, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)]


def run_epochs(callback, values, key="val_loss", model=None):
    """Drive `callback` through epochs whose logs hold `values` under `key`; return the epochs run."""
    model = model or tiny_model()
    callback.set_model(model)
    callback.on_train_begin()
    ran = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {key: value, "loss": 1.0})
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end()
    return ran
