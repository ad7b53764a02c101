"""Write your own layer: forward, backward, a gradient check, training, saving.

The layer is a learnable per-feature scale and shift followed by a softsign,
`y = s / (1 + |s|)` with `s = x * gamma + beta`. Its backward pass is the chain rule
written out; a central-difference check proves it before it trains.

Run: python examples/custom_layer.py
"""

import numpy as np

import minikeras as keras
from minikeras import layers


@keras.saving.register_serializable(package="examples")
class ScaledSoftsign(layers.Layer):
    """`y = softsign(x * gamma + beta)`, gamma and beta of shape (features,)."""

    def build(self, input_shape):
        self.gamma = self.add_weight("gamma", (input_shape[-1],), initializer="ones")
        self.beta = self.add_weight("beta", (input_shape[-1],), initializer="zeros")

    def forward(self, x, training=False):
        s = x * self.gamma + self.beta
        y = s / (1 + np.abs(s))
        if training:  # keep what backward needs, only when training
            self.save_for_backward({"x": x, "s": s})
        return y

    def backward(self, grad):
        cache = self.saved_for_backward()
        grad_s = grad / (1 + np.abs(cache["s"])) ** 2  # d softsign / ds = 1 / (1 + |s|)^2
        rows = grad_s.reshape(-1, grad_s.shape[-1])
        self.grads["gamma"] = (rows * cache["x"].reshape(rows.shape)).sum(axis=0)
        self.grads["beta"] = rows.sum(axis=0)
        return grad_s * self.gamma


def numerical_gradient(f, array, eps=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = f()
        array[index] = original - eps
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def main():
    rng = np.random.default_rng(0)
    layer = ScaledSoftsign(dtype="float64")
    x = rng.normal(size=(4, 3))
    layer(x)  # builds the weights from x's shape
    layer.gamma[...] = rng.normal(size=3)
    upstream = rng.normal(size=(4, 3))
    objective = lambda: np.sum(layer.forward(x) * upstream)  # noqa: E731
    layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    for name, analytic, numeric in [
        ("input", grad_x, numerical_gradient(objective, x)),
        ("gamma", layer.grads["gamma"], numerical_gradient(objective, layer.gamma)),
        ("beta", layer.grads["beta"], numerical_gradient(objective, layer.beta)),
    ]:
        print(f"gradient check {name:6s}: max difference {np.abs(analytic - numeric).max():.2e}")
        assert np.allclose(analytic, numeric, atol=1e-7)

    keras.utils.set_random_seed(0)
    x_train = rng.normal(size=(256, 3)).astype("float32")
    y_train = (x_train.sum(axis=1) > 0).astype("float32")[:, None]
    model = keras.Sequential([keras.Input(shape=(3,)), ScaledSoftsign(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, verbose=0)
    print(f"accuracy after 10 epochs: {history.history['accuracy'][-1]:.2%}")
    model.save("custom_layer.keras")
    reloaded = keras.models.load_model("custom_layer.keras")
    same = np.array_equal(reloaded.predict(x_train, verbose=0), model.predict(x_train, verbose=0))
    print(f"saved and reloaded by its registered name: predictions equal = {same}")


if __name__ == "__main__":
    main()
