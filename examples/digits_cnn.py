"""A CNN on real data: scikit-learn's bundled 8x8 handwritten digits (no download).

Trains on 80% of the 1,797 digits, reports test accuracy (>= 97%), and draws the
curves to digits_history.png when matplotlib is installed.

Run: pip install ".[examples]" && python examples/digits_cnn.py
"""

import numpy as np
from sklearn.datasets import load_digits

import minikeras as keras
from minikeras import layers


def main():
    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # (1797, 8, 8, 1), values in [0, 1]
    y = digits.target
    order = np.random.default_rng(0).permutation(len(x))
    split = int(0.8 * len(x))
    train, test = order[:split], order[split:]

    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.002), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[train], y[train], epochs=15, batch_size=32, validation_split=0.1, verbose=2)
    loss, accuracy = model.evaluate(x[test], y[test], verbose=0)
    print(f"test accuracy on {len(test)} unseen digits: {accuracy:.2%} (loss {loss:.4f})")
    try:
        keras.utils.plot_history(history, "digits_history.png", title="8x8 digits CNN")
        print("wrote digits_history.png")
    except ImportError as error:
        print(error)


if __name__ == "__main__":
    main()
