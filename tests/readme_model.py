"""The model of README.md's example, for the tests that train or inspect it."""

from __future__ import annotations

import minikeras as keras
from minikeras import layers


def readme_cnn() -> keras.Sequential:
    """README.md's CNN: two convolutions with max pooling, then two Dense layers and a softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, (3, 3), padding="same"),
            layers.ReLU(),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10),
            layers.Softmax(),
        ]
    )
