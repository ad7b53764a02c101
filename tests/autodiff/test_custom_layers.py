"""Layers written as Keras's custom layers are, with `build` and `call` only: their backward pass is
autograd's vector-Jacobian product of `call` (`minikeras.autodiff`)."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, ops

pytest.importorskip("autograd", reason="the autodiff extra is not installed: pip install '.[autodiff]'")


class Linear(keras.layers.Layer):
    """Dense without activation, as the keras.io subclassing guide writes one."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class NoisyScale(keras.layers.Layer):
    """A `training` branch and a non-trainable counter updated with `assign_add` inside `call`."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, inputs, training=None):
        self.calls.assign_add(1.0)
        out = inputs * self.scale
        return out * 0.5 if training else out


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)), rng.normal(size=(n, 3))


@pytest.mark.parametrize("optimizer", ["sgd_momentum", "adam"])
@pytest.mark.parametrize("fast", [True, False])
def test_a_custom_linear_layer_trains_to_the_built_in_dense_weights(optimizer, fast):
    x, y = _data()
    models = []
    for make in (lambda: Linear(3, dtype="float64"), lambda: layers.Dense(3, dtype="float64")):
        model = keras.Sequential([keras.Input((6,), dtype="float64"), make()])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    assert all(w.dtype == np.float64 for model in models for w in model.weights)
    for model in models:
        opt = keras.optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd_momentum" else keras.optimizers.Adam(0.01)
        model.compile(optimizer=opt, loss="mse")
        with config.fast_paths(fast):
            model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)  # 4 steps
            model.train_on_batch(x[:8], y[:8])  # a fifth
    for mine, builtin in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(mine, builtin, rtol=1e-10, atol=1e-12)


def test_custom_layer_backward_matches_central_differences():
    layer = NoisyScale(dtype="float64")
    x = np.random.default_rng(1).normal(size=(4, 5))
    layer(x)  # build
    layer.scale.assign(np.linspace(0.5, 1.5, 5))
    upstream = np.random.default_rng(2).normal(size=(4, 5))
    y = layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    eps = 1e-6
    numeric_x = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        bumped, lowered = x.copy(), x.copy()
        bumped[index] += eps
        lowered[index] -= eps
        numeric_x[index] = (
            np.sum(upstream * layer.forward(bumped, training=True))
            - np.sum(upstream * layer.forward(lowered, training=True))
        ) / (2 * eps)
    np.testing.assert_allclose(grad_x, numeric_x, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(layer.grads["scale"], np.sum(upstream * x * 0.5, axis=0), rtol=1e-12)
    assert y.shape == x.shape
    assert float(layer.calls.numpy()) > 0  # assign inside a traced call stores the number


def test_a_custom_layer_between_built_in_layers_trains_and_infers_its_shape():
    x, y = _data()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="tanh"), Linear(4), layers.Dense(3)])
    assert model.output_shape == (None, 3) and model.layers[1].compute_output_shape((None, 5)) == (None, 4)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_variables_from_add_weight_follow_the_optimizer_and_assign():
    layer = Linear(2)
    layer(np.ones((1, 3), "float32"))
    assert isinstance(layer.w, keras.variables.Variable)
    assert layer.w.value is layer.weights[0]  # the same array the optimizer updates
    layer.w.assign(np.ones((3, 2)))
    np.testing.assert_array_equal(layer(np.ones((1, 3), "float32")), [[3.0, 3.0]])
    with pytest.raises(ValueError, match="must match"):
        layer.w.assign(np.ones((2, 2)))


class ActivityPenalty(keras.layers.Layer):
    """Keras's guide example: a layer that adds `rate * sum(inputs ** 2)` to the loss with add_loss."""

    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs


def test_add_loss_enters_the_loss_and_its_gradient():
    x, y = _data(8)
    f64 = {"dtype": "float64"}
    penalized = keras.Sequential([keras.Input((6,), **f64), Linear(3, **f64), ActivityPenalty(0.5, **f64)])
    plain = keras.Sequential([keras.Input((6,), **f64), Linear(3, **f64)])
    plain.set_weights(penalized.get_weights())
    for model in (penalized, plain):
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    outputs = plain.predict(x, verbose=0)
    expected = np.mean((outputs - y) ** 2) + 0.5 * np.sum(outputs**2)
    assert penalized.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(expected, rel=1e-10)
    history = penalized.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-10)
    # the penalty's gradient 0.5 * 2 * outputs reaches the kernel: one SGD step by hand
    grad_out = 2 * (outputs - y) / outputs.size + 1.0 * outputs
    kernel = plain.get_weights()[0] - 0.01 * x.T @ grad_out
    np.testing.assert_allclose(penalized.get_weights()[0], kernel, rtol=1e-10)
    assert penalized.layers[1].losses  # the last call's added loss


@keras.saving.register_keras_serializable(package="autodiff_tests")
class SavedLinear(Linear):
    def get_config(self):
        return {**super().get_config(), "units": self.units}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_custom_layer_saves_loads_and_resumes_exactly(tmp_path, suffix):
    x, y = _data()
    model = keras.Sequential([keras.Input((6,)), SavedLinear(4), layers.ReLU(), SavedLinear(3)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = keras.models.load_model(tmp_path / f"m{suffix}")
    assert isinstance(loaded.layers[0], SavedLinear) and loaded.layers[0].units == 4
    for m in (model, loaded):
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
