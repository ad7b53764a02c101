"""Registered custom losses, metrics and activations survive a save and load."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, layers, losses, metrics


@keras.saving.register_serializable(package="tests")
class ScaledSquare(losses.Loss):
    """`scale * (y_pred - y_true)^2`, averaged over the last axis."""

    default_name = "scaled_square"

    def __init__(self, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def compute(self, y_true, y_pred, with_gradient):
        diff = y_pred - y_true
        values = self.scale * np.mean(diff * diff, axis=-1)
        return values, (2 * self.scale / diff.shape[-1]) * diff if with_gradient else None

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_serializable(package="tests")
class MaxError(metrics.Metric):
    """The largest absolute error seen in the epoch."""

    def reset_state(self):
        self.value = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.value = max(self.value, float(np.abs(np.asarray(y_pred) - np.asarray(y_true)).max()))

    def result(self):
        return self.value


@keras.saving.register_serializable(package="tests")
class Cube(activations.Activation):
    """y = x^3."""

    name = "cube"
    uses_input = True

    def __call__(self, x):
        return x**3

    def gradient(self, grad, x, y):
        return grad * 3 * x**2


def test_custom_loss_metric_and_activation_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation=Cube()), layers.Dense(2)])
    model.compile(optimizer="sgd", loss=ScaledSquare(scale=3.0), metrics=[MaxError(name="max_error")])
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    y = np.zeros((6, 2), dtype=np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "custom.h5")
    loaded = keras.models.load_model(tmp_path / "custom.h5")
    assert isinstance(loaded.layers[0].activation, Cube)
    assert isinstance(loaded.loss, ScaledSquare) and loaded.loss.scale == 3.0
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)
    )
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_custom_objects_argument_resolves_unregistered_names(tmp_path):
    class Half(losses.Loss):
        def compute(self, y_true, y_pred, with_gradient):
            diff = y_pred - y_true
            return 0.5 * np.mean(diff * diff, axis=-1), diff / diff.shape[-1] if with_gradient else None

    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=Half())
    model.save(tmp_path / "m.h5")
    with pytest.warns(UserWarning, match=r"without its compile settings.*Unknown loss: 'Half'.*custom_objects"):
        uncompiled = keras.models.load_model(tmp_path / "m.h5")
    assert not uncompiled.compiled  # the architecture and weights are still there
    np.testing.assert_array_equal(uncompiled.get_weights()[0], model.get_weights()[0])
    assert isinstance(keras.models.load_model(tmp_path / "m.h5", custom_objects={"Half": Half}).loss, Half)


class UnregisteredScale(layers.Layer):
    """y = x * w, one w per feature; deliberately not registered."""

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")

    def forward(self, x, training=False):
        if training:
            self.save_for_backward({"x": x})
        return x * self.w

    def backward(self, grad):
        x = self.saved_for_backward()["x"]
        self.grads["w"] = (grad * x).reshape(-1, x.shape[-1]).sum(axis=0)
        return grad * self.w


def test_custom_object_scope_lets_a_file_with_an_unregistered_layer_load(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), UnregisteredScale(), layers.Dense(2)])
    path = tmp_path / "scaled.keras"
    model.save(path)
    with pytest.raises(ValueError, match="UnregisteredScale"):
        keras.models.load_model(path)
    with keras.saving.custom_object_scope({"UnregisteredScale": UnregisteredScale}) as scope:
        assert isinstance(scope, keras.saving.CustomObjectScope)
        loaded = keras.models.load_model(path)
        assert keras.saving.get_registered_object("UnregisteredScale") is UnregisteredScale
    assert isinstance(loaded.layers[0], UnregisteredScale)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert keras.saving.get_registered_object("UnregisteredScale") is None  # the scope has closed


def test_scopes_nest_and_the_innermost_wins():
    with keras.saving.custom_object_scope({"thing": 1, "other": 2}):
        with keras.saving.CustomObjectScope({"thing": 3}):
            assert keras.saving.get_registered_object("thing") == 3
            assert keras.saving.get_registered_object("other") == 2
        assert keras.saving.get_registered_object("thing") == 1
    with pytest.raises(TypeError, match="dictionaries"):
        keras.saving.custom_object_scope(["not", "a", "dict"])


def test_registered_names_and_objects_as_keras_gives_them():
    assert keras.saving.get_registered_name(ScaledSquare) == "tests>ScaledSquare"
    assert keras.saving.get_registered_name(UnregisteredScale) == "UnregisteredScale"
    assert keras.saving.get_registered_object("tests>ScaledSquare") is ScaledSquare
    assert keras.saving.get_registered_object("nothing") is None
    assert keras.saving.get_registered_object("x", custom_objects={"x": 1}) == 1
    assert keras.saving.get_registered_object("y", module_objects={"y": 2}) == 2
