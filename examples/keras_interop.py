"""Move a model between minikeras and Keras.

Trains a small CNN here, saves it as `.keras` and `.h5`, and shows what the files hold.
With Keras installed (pip install ".[interop]"), it also opens them in Keras, compares the
predictions, and brings a Keras-saved model back.

Run: python examples/keras_interop.py
"""

import json
import os
import zipfile

import numpy as np

import minikeras as keras
from minikeras import layers


def main():
    keras.utils.set_random_seed(0)
    (x, y), _ = keras.datasets.lines.load_data(n_train=200, n_test=1, seed=0)
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
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x, y, epochs=2, verbose=0)
    model.save("lines.keras")
    model.save("lines.h5")
    with zipfile.ZipFile("lines.keras") as archive:
        config = json.loads(archive.read("config.json"))
        print("lines.keras holds", archive.namelist())
    print("its layers:", [entry["class_name"] for entry in config["config"]["layers"]])

    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras as real_keras
    except ImportError:
        print("Keras is not installed: pip install '.[interop]' to open these files in Keras here.")
        return
    theirs = real_keras.models.load_model("lines.keras")
    difference = np.abs(np.asarray(theirs.predict(x, verbose=0)) - model.predict(x, verbose=0)).max()
    print(f"Keras {real_keras.__version__} opened lines.keras: largest prediction difference {difference:.2e}")
    theirs.fit(x, y, epochs=1, verbose=0)  # Keras carries on training, from the saved optimizer state
    theirs.save("from_keras.keras")
    back = keras.models.load_model("from_keras.keras")
    difference = np.abs(np.asarray(theirs.predict(x, verbose=0)) - back.predict(x, verbose=0)).max()
    print(f"and the model Keras trained further loads back here: difference {difference:.2e}")


if __name__ == "__main__":
    main()
