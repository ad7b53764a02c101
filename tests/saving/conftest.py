"""Models and helpers shared by the saving tests."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def every_layer_model(seed: int = 0):
    """A small model that uses every built-in layer and most of their options."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 2)),
            layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", kernel_initializer="he_normal"),
            layers.MaxPooling2D(2, strides=1, padding="same"),
            layers.Conv2D(3, (2, 1), use_bias=False, dilation_rate=(1, 1)),
            layers.ReLU(max_value=6.0, negative_slope=0.1),
            layers.Flatten(),
            layers.Dense(5, activation="tanh"),
            layers.Activation("sigmoid"),
            layers.Dense(3),
            layers.Softmax(),
        ]
    )


def sample_data(n: int = 16, seed: int = 1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 8, 2)).astype(np.float32)
    return x, keras.utils.to_categorical(np.arange(n) % 3, 3)


@pytest.fixture
def trained_model():
    model = every_layer_model()
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    x, y = sample_data()
    model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    return model
