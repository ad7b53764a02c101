"""Save a model mid-training, reload it, and carry on exactly where it stopped.

Two runs of the same six epochs: one straight through, one saved to disk after three
epochs and reloaded (architecture, weights, optimizer state and step count) before the
last three. Their final weights are equal to the last bit.

Run: python examples/resume_training.py
"""

import numpy as np

import minikeras as keras
from minikeras import layers


def new_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main():
    (x, y), _ = keras.datasets.lines.load_data(n_train=300, n_test=1, seed=0)

    straight = new_model()
    straight.fit(x, y, epochs=6, batch_size=20, shuffle=False, verbose=0)

    first_half = new_model()
    first_half.fit(x, y, epochs=3, batch_size=20, shuffle=False, verbose=0)
    first_half.save("halfway.keras")
    print(f"saved after {first_half.optimizer.iterations} steps to halfway.keras")

    resumed = keras.models.load_model("halfway.keras")
    print(f"reloaded: optimizer {type(resumed.optimizer).__name__} at step {resumed.optimizer.iterations}")
    resumed.fit(x, y, epochs=6, initial_epoch=3, batch_size=20, shuffle=False, verbose=0)

    same = all(np.array_equal(a, b) for a, b in zip(straight.get_weights(), resumed.get_weights()))
    print(f"final weights equal to the uninterrupted run: {same}")
    assert same


if __name__ == "__main__":
    main()
