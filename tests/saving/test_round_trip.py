"""Save and load: the same predictions, weights, config, compile settings and optimizer state."""

import h5py
import numpy as np
import pytest
from conftest import every_layer_model, sample_data

import minikeras as keras
from minikeras import layers, losses, metrics, optimizers

OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd_momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True, clipnorm=1.0),
    "rmsprop": lambda: optimizers.RMSprop(),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
    "adam_amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.01),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "nadam": lambda: optimizers.Nadam(0.01),
    "adam_schedule": lambda: optimizers.Adam(
        optimizers.schedules.CosineDecay(0.0, 10, warmup_target=0.01, warmup_steps=3)
    ),
}


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_round_trip_and_resumed_training_equal_the_original(tmp_path, optimizer):
    x, y = sample_data()
    model = every_layer_model()
    model.compile(optimizer=OPTIMIZERS[optimizer](), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = keras.models.load_model(path)

    assert loaded.get_config() == model.get_config()
    assert_same_weights(loaded.get_weights(), model.get_weights())
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert_same_weights(loaded.optimizer.variables, model.optimizer.variables)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    history = model.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    loaded_history = loaded.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    assert_same_weights(loaded.get_weights(), model.get_weights())
    assert loaded_history.history == history.history


def test_compiled_objects_come_back(tmp_path):
    model = every_layer_model()
    model.compile(
        optimizer="rmsprop",
        loss=losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["acc", metrics.CategoricalAccuracy(name="cat_acc")],
        weighted_metrics=["mse"],
    )
    x, y = sample_data()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    assert isinstance(loaded.loss, losses.CategoricalCrossentropy) and loaded.loss.label_smoothing == 0.1
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)
    assert keras.models.load_model(tmp_path / "m.h5", compile=False).compiled is False


def test_file_has_keras_legacy_layout(tmp_path, trained_model):
    trained_model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert {"model_config", "training_config", "keras_version", "backend", "minikeras_version"} <= set(f.attrs)
        import json

        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert config["config"]["layers"][0] == {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {
                "batch_shape": [None, 8, 8, 2],
                "dtype": "float32",
                "sparse": False,
                "name": config["config"]["layers"][0]["config"]["name"],
            },
            "registered_name": None,
        }
        weights = f["model_weights"]
        names = [n.decode() for n in weights.attrs["layer_names"]]
        assert names == [layer.name for layer in trained_model.layers]
        dense = trained_model.layers[5]
        group = weights[dense.name]
        assert [n.decode() for n in group.attrs["weight_names"]] == [f"{dense.name}/kernel", f"{dense.name}/bias"]
        np.testing.assert_array_equal(group[f"{dense.name}/kernel"][()], dense.kernel)
        optimizer = f["optimizer_weights"]
        assert len(optimizer.attrs["weight_names"]) == len(trained_model.optimizer.variables)


def test_weights_only_round_trip_restores_weights_and_optimizer(tmp_path, trained_model):
    path = tmp_path / "w.weights.h5"
    trained_model.save_weights(path)
    twin = every_layer_model(seed=5)
    twin.compile(optimizer=optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy")
    twin.load_weights(path)
    assert_same_weights(twin.get_weights(), trained_model.get_weights())
    assert twin.optimizer.iterations == trained_model.optimizer.iterations
    assert_same_weights(twin.optimizer.variables, trained_model.optimizer.variables)
    with h5py.File(path) as f:
        dense = trained_model.layers[5]
        # Keras names layer groups by class and position in the model, not by layer name.
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], dense.kernel)
        np.testing.assert_array_equal(f["layers/conv2d_1/vars/0"][()], trained_model.layers[2].kernel)
        assert f["optimizer/vars"].attrs["name"] == "sgd"


def test_weights_are_matched_by_layer_order_not_name(tmp_path, trained_model):
    trained_model.save_weights(tmp_path / "w.weights.h5")
    keras.utils.clear_session()
    renamed = every_layer_model(seed=3)  # other automatic names
    renamed.load_weights(tmp_path / "w.weights.h5")
    assert_same_weights(renamed.get_weights(), trained_model.get_weights())


def test_weights_mismatch_names_the_layer_and_both_shapes_and_changes_nothing(tmp_path, trained_model):
    trained_model.save_weights(tmp_path / "w.weights.h5")
    other = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 2)),
            layers.Conv2D(4, 3, strides=2, padding="same"),
            layers.MaxPooling2D(2, strides=1, padding="same"),
            layers.Conv2D(3, (2, 1), use_bias=False),
            layers.Flatten(),
            layers.Dense(7),
            layers.Dense(3),
        ]
    )
    before = other.get_weights()
    with pytest.raises(
        ValueError,
        match=r"Weight 'kernel' of layer 'dense.*' has shape \(36, 7\) in the model, but \(36, 5\) in the file",
    ):
        other.load_weights(tmp_path / "w.weights.h5")
    assert_same_weights(other.get_weights(), before)
    fewer = keras.Sequential([keras.Input(shape=(8, 8, 2)), layers.Flatten(), layers.Dense(3)])
    with pytest.raises(ValueError, match="holds weights for 4 layers"):
        fewer.load_weights(tmp_path / "w.weights.h5")


def test_save_weights_requires_the_keras_suffix(tmp_path, trained_model):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        trained_model.save_weights(tmp_path / "w.h5")


def test_load_weights_from_a_whole_model_file(tmp_path, trained_model):
    trained_model.save(tmp_path / "m.h5")
    twin = every_layer_model(seed=9)
    twin.load_weights(tmp_path / "m.h5")
    assert_same_weights(twin.get_weights(), trained_model.get_weights())


def test_overwrite_false_refuses_an_existing_file(tmp_path, trained_model):
    trained_model.save(tmp_path / "m.h5")
    with pytest.raises(FileExistsError):
        trained_model.save(tmp_path / "m.h5", overwrite=False)


def test_get_config_from_config_and_clone_model():
    model = every_layer_model()
    clone = keras.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert any(not np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()))  # fresh weights
    rebuilt = keras.Sequential.from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()


@keras.saving.register_serializable(package="tests")
class Scale(layers.Layer):
    """y = x * scale, one trainable scale per feature."""

    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializers_constant(self.initial))

    def forward(self, x, training=False):
        if training:
            self.save_for_backward({"x": x})
        return x * self.scale

    def backward(self, grad):
        x = self.saved_for_backward()["x"]
        self.grads["scale"] = (grad * x).reshape(-1, x.shape[-1]).sum(axis=0)
        return grad * self.scale

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


def initializers_constant(value):
    return keras.initializers.Constant(value)


def test_a_registered_custom_layer_is_saved_and_reloaded(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), Scale(initial=2.0), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((3, 4), dtype=np.float32)
    model.fit(x, np.zeros((3, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "custom.h5")
    loaded = keras.models.load_model(tmp_path / "custom.h5")
    assert isinstance(loaded.layers[0], Scale) and loaded.layers[0].initial == 2.0
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class Shift(layers.Layer):
        def forward(self, x, training=False):
            return x + 1.0

        def backward(self, grad):
            return grad

    model = keras.Sequential([keras.Input(shape=(2,)), Shift(), layers.Dense(1)])
    model.save(tmp_path / "shift.h5")
    with pytest.raises(ValueError, match=r"Unknown layer: 'Shift'.*register_serializable.*custom_objects"):
        keras.models.load_model(tmp_path / "shift.h5")
    loaded = keras.models.load_model(tmp_path / "shift.h5", custom_objects={"Shift": Shift})
    np.testing.assert_array_equal(
        loaded.predict(np.zeros((1, 2)), verbose=0), model.predict(np.zeros((1, 2)), verbose=0)
    )
