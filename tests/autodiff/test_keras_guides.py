"""The Sequential parts of two keras.io guides — "Making new layers and models via subclassing" and
"Training & evaluation with the built-in methods" — written here in their spirit with `import minikeras as
keras`: custom layers, losses and metrics in `keras.ops`, trained, evaluated, saved and loaded."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops

pytest.importorskip("autograd", reason="the autodiff extra is not installed: pip install '.[autodiff]'")


@keras.saving.register_keras_serializable(package="guides")
class Linear(keras.layers.Layer):
    """Weights made in __init__ when the input size is known, as the guide's first example."""

    def __init__(self, units=32, input_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.units, self.input_dim = units, input_dim
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True, name="w")
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True, name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units, "input_dim": self.input_dim}


class ComputeSum(keras.layers.Layer):
    """A non-trainable weight updated in call."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False, name="total")

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


@keras.saving.register_keras_serializable(package="guides")
class CustomDropoutish(keras.layers.Layer):
    """A layer whose call depends on `training`: scaled noise in training, identity in inference."""

    def __init__(self, rate=0.5, seed=1, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="guides")
class CustomMSE(keras.losses.Loss):
    """The guide's loss: MSE plus a term pulling predictions towards 0.5."""

    def __init__(self, regularization_factor=0.1, name="custom_mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor

    def get_config(self):
        return {**super().get_config(), "regularization_factor": self.regularization_factor}


@keras.saving.register_keras_serializable(package="guides")
class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.equal(ops.cast(y_true, "int32"), ops.cast(y_pred, "int32")), "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1)))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


def _digits_like(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 16)).astype("float32")
    labels = (x[:, :4].sum(axis=1) > 0).astype("int64") + (x[:, 4] > 1).astype("int64")
    return x, labels[:, None]


def test_a_layer_with_weights_made_in_init_and_one_with_state():
    linear = Linear(4, 2)
    np.testing.assert_allclose(linear(np.ones((2, 2), "float32")), np.ones((2, 2)) @ linear.w.numpy())
    adder = ComputeSum(2)
    adder(np.ones((2, 2), "float32"))
    np.testing.assert_array_equal(adder(np.ones((2, 2), "float32")), [4.0, 4.0])
    assert adder.trainable_weights == [] and len(adder.non_trainable_weights) == 1


def test_the_training_guide_sequential_flow_with_custom_pieces(tmp_path):
    x, y = _digits_like()
    model = keras.Sequential(
        [
            keras.Input((16,)),
            layers.Dense(32, activation="relu"),
            CustomDropoutish(0.2),
            Linear(3, input_dim=32, name="logits_linear"),
            layers.Softmax(),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=[CategoricalTruePositives(), "accuracy"],
    )
    history = model.fit(x, y, batch_size=16, epochs=4, validation_split=0.25, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert {"categorical_true_positives", "val_categorical_true_positives", "accuracy"} <= set(history.history)
    path = tmp_path / "guide.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(loaded.layers[2], Linear) and loaded.layers[2].units == 3
    assert loaded.evaluate(x, y, verbose=0, return_dict=True)["categorical_true_positives"] == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)["categorical_true_positives"]
    )


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_custom_loss_with_config_saves_and_resumes(tmp_path, suffix):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 5)).astype("float32"), rng.uniform(size=(32, 2)).astype("float32")
    model = keras.Sequential([keras.Input((5,)), layers.Dense(2, activation="sigmoid")])
    model.compile(optimizer="adam", loss=CustomMSE(regularization_factor=0.3))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = keras.models.load_model(tmp_path / f"m{suffix}")
    assert isinstance(loaded.loss, CustomMSE) and loaded.loss.regularization_factor == 0.3
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
