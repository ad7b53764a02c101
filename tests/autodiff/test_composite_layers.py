"""A custom layer made of layers (Keras's guide: "layers are recursively composable"): the layers it holds
count among its weights, train through its traced `call`, and save and load with it."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, ops

pytest.importorskip("autograd", reason="the autodiff extra is not installed: pip install '.[autodiff]'")


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


@keras.saving.register_keras_serializable(package="composite")
class MLPBlock(keras.layers.Layer):
    """Two custom linear layers and a built-in Dense, the guide's block with one built-in layer inside."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_1 = Linear(8)
        self.linear_2 = Linear(6)
        self.head = layers.Dense(3)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.tanh(self.linear_2(x))
        return self.head(x)


def _flat_twin(block):
    """The same computation as built-in layers in a Sequential, with the block's weights."""
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="float64"),
            layers.Dense(8, activation="relu", dtype="float64"),
            layers.Dense(6, activation="tanh", dtype="float64"),
            layers.Dense(3, dtype="float64"),
        ]
    )
    model.set_weights(block.get_weights())
    return model


def test_held_layers_count_among_the_weights():
    block = MLPBlock()
    block(np.ones((2, 5), "float32"))
    names = [f"{sub.name}/{weight}" for sub in (block.linear_1, block.linear_2) for weight in ("w", "b")]
    assert block.weight_names == [*names, f"{block.head.name}/kernel", f"{block.head.name}/bias"]
    assert len(block.trainable_weights) == 6 and block.count_params() == (5 * 8 + 8) + (8 * 6 + 6) + (6 * 3 + 3)


@pytest.mark.parametrize("fast", [True, False])
def test_a_composite_layer_trains_as_its_layers_written_out(fast):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 5)), rng.normal(size=(24, 3))
    block = MLPBlock(dtype="float64")
    for sub in (block.linear_1, block.linear_2, block.head):
        sub.dtype = "float64"
    model = keras.Sequential([keras.Input((5,), dtype="float64"), block])
    twin = _flat_twin(block)
    for m in (model, twin):
        m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
        with config.fast_paths(fast):
            m.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    for mine, flat in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(mine, flat, rtol=1e-10, atol=1e-12)


def test_a_composite_layer_saves_and_loads(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 5)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    model = keras.Sequential([keras.Input((5,)), MLPBlock()])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "block.keras")
    loaded = keras.models.load_model(tmp_path / "block.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
