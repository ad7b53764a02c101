"""Write your own callback: Keras's hooks, the logs they receive, and stopping training.

The callback keeps the best validation accuracy, prints a line per epoch, and stops
training once the model is perfect on the validation data.

Run: python examples/custom_callback.py
"""

import time

import minikeras as keras
from minikeras import callbacks, layers


class StopWhenPerfect(callbacks.Callback):
    """Prints a line per epoch; stops when val_accuracy reaches 1.0."""

    def on_train_begin(self, logs=None):
        self.best = 0.0
        self.started = time.monotonic()
        print(f"training for up to {self.params['epochs']} epochs of {self.params['steps']} steps")

    def on_epoch_end(self, epoch, logs=None):
        self.best = max(self.best, logs["val_accuracy"])
        print(
            f"epoch {epoch + 1}: loss {logs['loss']:.4f}, val_accuracy {logs['val_accuracy']:.2%}, learning rate "
            f"{float(self.model.optimizer.learning_rate)}"
        )
        if logs["val_accuracy"] >= 1.0:
            print("validation accuracy is perfect: stopping")
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        print(f"best val_accuracy {self.best:.2%} in {time.monotonic() - self.started:.1f} s")


def main():
    keras.utils.set_random_seed(0)
    (x, y), _ = keras.datasets.lines.load_data(n_train=400, n_test=1, seed=0)
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
    history = model.fit(x, y, epochs=20, batch_size=16, validation_split=0.2, verbose=0, callbacks=[StopWhenPerfect()])
    print(f"ran {len(history.epoch)} epochs")


if __name__ == "__main__":
    main()
