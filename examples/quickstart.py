"""Quickstart: tell vertical lines from horizontal ones with a small CNN.

The task of the notebook minikeras grew from, in channels_last layout: 28x28
images holding one noisy vertical or horizontal bar. Five epochs of fit over
500 images, then evaluate and predict on 100 new ones.

Run: python examples/quickstart.py
"""

import numpy as np

import minikeras as keras
from minikeras import layers


def make_lines(n_samples: int, rng: np.random.Generator):
    """Images (n, 28, 28, 1) of a vertical (label 0) or horizontal (label 1) bar, with noise.

    Returns:
        (x, y): float32 images and one-hot labels over 10 classes (as the seed did).
    """
    x = np.zeros((n_samples, 28, 28, 1), dtype=np.float32)
    labels = np.arange(n_samples) % 2
    positions = rng.integers(10, 18, size=n_samples)
    for label in (0, 1):
        rows = np.flatnonzero(labels == label)
        offsets = positions[rows][:, None] + np.arange(2)[None, :]  # two pixels thick
        span = np.arange(5, 23)
        if label == 0:  # vertical bar: rows 5..22, two columns
            x[rows[:, None, None], span[None, :, None], offsets[:, None, :], 0] = 1.0
        else:  # horizontal bar: two rows, columns 5..22
            x[rows[:, None, None], offsets[:, :, None], span[None, None, :], 0] = 1.0
    x += rng.normal(0.0, 0.1, size=x.shape).astype(np.float32)
    return x, keras.utils.to_categorical(labels, num_classes=10)


def build_model():
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


def main():
    keras.utils.set_random_seed(42)
    rng = np.random.default_rng(42)
    x_train, y_train = make_lines(500, rng)
    x_test, y_test = make_lines(100, rng)

    model = build_model()
    model.summary()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, epochs=5, batch_size=10, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    probs = model.predict(x_test, verbose=0)

    print("\nper-epoch training accuracy:", [round(a, 4) for a in history.history["accuracy"]])
    print(f"test loss: {loss:.4f}  test accuracy: {accuracy:.2%}")
    print("first 10 predictions:", probs[:10].argmax(axis=1))
    print("actual labels:       ", y_test[:10].argmax(axis=1))


if __name__ == "__main__":
    main()
