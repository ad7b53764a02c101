"""Quickstart: tell vertical lines from horizontal ones with a small CNN.

The task of the notebook minikeras grew from, in channels_last layout: 28x28
images holding one noisy vertical or horizontal bar. Five epochs of fit over
500 images, then evaluate and predict on 100 new ones.

Run: python examples/quickstart.py
"""

import minikeras as keras
from minikeras import layers


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
    (x_train, y_train), (x_test, y_test) = keras.datasets.lines.load_data(n_train=500, n_test=100, seed=42)

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
    try:
        keras.utils.plot_history(history, "quickstart_history.png", title="vertical vs horizontal lines")
        print("wrote quickstart_history.png")
    except ImportError as error:  # matplotlib is optional
        print(error)


if __name__ == "__main__":
    main()
