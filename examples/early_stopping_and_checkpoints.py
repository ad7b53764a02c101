"""Early stopping, checkpoints, a learning-rate plateau and a CSV log in one fit.

Trains on the lines with a learning rate that is too high on purpose, so the validation
loss stalls: ReduceLROnPlateau lowers the rate, EarlyStopping stops and restores the best
weights, ModelCheckpoint keeps the best model on disk, CSVLogger writes the history.

Run: python examples/early_stopping_and_checkpoints.py
"""

import csv

import numpy as np

import minikeras as keras
from minikeras import callbacks, layers


def main():
    keras.utils.set_random_seed(1)
    (x, y), (x_test, y_test) = keras.datasets.lines.load_data(n_train=600, n_test=200, seed=1)
    x += np.random.default_rng(1).normal(0, 0.6, size=x.shape).astype("float32")  # make it harder
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True, verbose=1)
    history = model.fit(
        x,
        y,
        epochs=30,
        batch_size=32,
        validation_split=0.2,
        verbose=0,
        callbacks=[
            stop,
            callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True),
            callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=1, verbose=1),
            callbacks.CSVLogger("history.csv"),
        ],
    )
    print(
        f"ran {len(history.epoch)} epochs; best epoch {stop.best_epoch + 1} with val_loss "
        f"{min(history.history['val_loss']):.4f}"
    )
    print("learning rates:", [round(lr, 5) for lr in history.history["learning_rate"]])
    best = keras.models.load_model("best.keras")
    same = np.allclose(best.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"restored the best weights; the best checkpoint predicts the same: {same}")
    print(f"test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.2%}")
    with open("history.csv") as handle:
        print("history.csv columns:", next(csv.reader(handle)))
    try:
        keras.utils.plot_history(history, "history.png")
        print("wrote history.png")
    except ImportError as error:
        print(error)


if __name__ == "__main__":
    main()
