"""Live round trips with real Keras 3 (runs when the `interop` extra is installed)."""

import os

import numpy as np
import pytest

import minikeras

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip(
    "keras", reason="Keras 3 is not installed: pip install '.[interop]' to run the live Keras round trips"
)
if int(keras.__version__.split(".")[0]) < 3:
    pytest.skip("these tests need Keras 3: pip install '.[interop]'", allow_module_level=True)

layers = minikeras.layers


def minikeras_model():
    minikeras.utils.set_random_seed(0)
    model = minikeras.Sequential(
        [
            minikeras.Input(shape=(10, 10, 2)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(3, (2, 3), strides=(2, 1), use_bias=False),
            layers.ReLU(negative_slope=0.1),
            layers.MaxPooling2D(2, strides=1, padding="same"),
            layers.Flatten(),
            layers.Dense(6, activation="tanh"),
            layers.Activation("sigmoid"),
            layers.Dense(3),
            layers.Softmax(),
        ]
    )
    model.compile(
        optimizer=minikeras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def data(n=24):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 10, 10, 2)).astype(np.float32), np.eye(3, dtype=np.float32)[np.arange(n) % 3]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_minikeras_file_opens_in_keras_and_predicts_the_same(tmp_path, suffix):
    model = minikeras_model()
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    theirs = keras.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-5)
    assert type(theirs.optimizer).__name__ == "SGD"
    assert theirs.optimizer.get_config()["momentum"] == pytest.approx(0.9)
    assert (
        getattr(theirs.loss, "__name__", theirs.loss) == "categorical_crossentropy"
    )  # the .h5 loader turns names into functions


@pytest.mark.slow
def test_keras_continues_training_from_a_minikeras_file_as_minikeras_does(tmp_path):
    model = minikeras_model()
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    assert int(theirs.optimizer.iterations) == model.optimizer.iterations
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    theirs.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for mine, their in zip(model.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, np.asarray(their), atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_minikeras_to_keras_to_minikeras(tmp_path, suffix):
    model = minikeras_model()
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / f"a{suffix}")
    keras.models.load_model(tmp_path / f"a{suffix}").save(tmp_path / f"b{suffix}")
    back = minikeras.models.load_model(tmp_path / f"b{suffix}")
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert back.optimizer.iterations == model.optimizer.iterations


def test_a_keras_model_saved_now_loads_in_minikeras(tmp_path):
    theirs = keras.Sequential(
        [
            keras.Input(shape=(6, 6, 1)),
            keras.layers.Conv2D(2, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    theirs.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x = np.random.default_rng(2).normal(size=(5, 6, 6, 1)).astype(np.float32)
    theirs.fit(x, np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 0]], epochs=1, verbose=0)
    theirs.save(tmp_path / "k.keras")
    mine = minikeras.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(mine.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)
    assert isinstance(mine.optimizer, minikeras.optimizers.RMSprop)


def grouped_model(library, data_format="channels_last"):
    """The same grouped CNN in minikeras or Keras (`library`): Conv2D with groups in both data formats."""
    layers_of = library.layers
    input_shape = (8, 8, 4) if data_format == "channels_last" else (4, 8, 8)
    return library.Sequential(
        [
            library.Input(shape=input_shape),
            layers_of.Conv2D(6, 3, padding="same", groups=2, activation="relu", data_format=data_format),
            layers_of.Conv2D(6, 2, strides=2, groups=6, use_bias=False, data_format=data_format),
            layers_of.Conv2D(4, 3, dilation_rate=2, padding="same", groups=2, data_format=data_format),
            layers_of.GlobalAveragePooling2D(data_format=data_format),
            layers_of.Dense(3, activation="softmax"),
        ]
    )


def grouped_data(data_format, n=16):
    rng = np.random.default_rng(4)
    shape = (n, 8, 8, 4) if data_format == "channels_last" else (n, 4, 8, 8)
    return rng.normal(size=shape).astype(np.float32), np.eye(3, dtype=np.float32)[np.arange(n) % 3]


@pytest.mark.parametrize("suffix, data_format", [(".keras", "channels_last"), (".h5", "channels_first")])
def test_grouped_convolutions_cross_to_keras_and_back(tmp_path, suffix, data_format):
    minikeras.utils.set_random_seed(1)
    mine = grouped_model(minikeras, data_format)
    mine.compile(optimizer="adam", loss="categorical_crossentropy")
    x, y = grouped_data(data_format)
    mine.fit(x, y, epochs=1, batch_size=8, verbose=0)
    mine.save(tmp_path / f"m{suffix}")
    theirs = keras.models.load_model(tmp_path / f"m{suffix}")
    assert [layer.get_config()["groups"] for layer in theirs.layers[:3]] == [2, 6, 2]
    assert tuple(theirs.layers[1].kernel.shape) == (2, 2, 1, 6)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), mine.predict(x, verbose=0), atol=1e-5)
    theirs.save(tmp_path / f"k{suffix}")
    back = minikeras.models.load_model(tmp_path / f"k{suffix}")
    assert [layer.groups for layer in back.layers[:3]] == [2, 6, 2]
    np.testing.assert_allclose(back.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)


def test_a_grouped_keras_model_loads_in_minikeras(tmp_path):
    keras.utils.set_random_seed(2)
    theirs = grouped_model(keras)
    theirs.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = grouped_data("channels_last")
    theirs.fit(x, y, epochs=1, verbose=0)
    theirs.save(tmp_path / "k.keras")
    mine = minikeras.models.load_model(tmp_path / "k.keras")
    assert mine.layers[1].kernel.shape == (2, 2, 1, 6)
    np.testing.assert_allclose(mine.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: minikeras.optimizers.Adam(0.01, amsgrad=True),
        lambda: minikeras.optimizers.AdamW(0.01),
        lambda: minikeras.optimizers.Nadam(0.01),
        lambda: minikeras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
        lambda: minikeras.optimizers.Adagrad(0.05),
        lambda: minikeras.optimizers.Adadelta(1.0),
    ],
    ids=["adam_amsgrad", "adamw", "nadam", "rmsprop_centered", "adagrad", "adadelta"],
)
def test_keras_continues_every_optimizer_from_its_saved_state(tmp_path, make_optimizer):
    model = minikeras_model()
    model.compile(optimizer=make_optimizer(), loss="categorical_crossentropy")
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    theirs.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for mine, their in zip(model.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, np.asarray(their), atol=1e-5)


def test_initializer_configs_cross_both_ways():
    """Constant with an array (Keras's `__numpy__` form), Identity and the Keras 2 names mean the same in both."""
    value = np.array([1.0, 2.0, 3.0])
    ours = minikeras.initializers.serialize(minikeras.initializers.Constant(value))
    np.testing.assert_array_equal(np.asarray(keras.initializers.deserialize(ours)((2, 3))), np.tile(value, (2, 1)))
    theirs = keras.initializers.serialize(keras.initializers.Constant(value))
    np.testing.assert_array_equal(minikeras.initializers.get(theirs)((2, 3)), np.tile(value, (2, 1)))
    identity = minikeras.initializers.serialize(minikeras.initializers.Identity(gain=2.0))
    np.testing.assert_array_equal(np.asarray(keras.initializers.deserialize(identity)((2, 3))), 2 * np.eye(2, 3))
    for name in ("uniform", "normal", "zero", "one", "identity"):
        assert type(minikeras.initializers.get(name)).__name__ == type(keras.initializers.get(name)).__name__
        assert (
            minikeras.initializers.get(name).get_config().items()
            >= {k: v for k, v in keras.initializers.get(name).get_config().items() if k != "seed"}.items()
        )


def test_called_metrics_return_what_keras_metrics_return():
    rng = np.random.default_rng(3)
    pairs = [
        (minikeras.metrics.Precision(), keras.metrics.Precision()),
        (minikeras.metrics.Recall(), keras.metrics.Recall()),
        (minikeras.metrics.BinaryAccuracy(), keras.metrics.BinaryAccuracy()),
    ]
    for _ in range(3):
        y_true = rng.integers(0, 2, (16, 1)).astype("float32")
        y_pred = rng.random((16, 1)).astype("float32")
        for ours, theirs in pairs:
            assert float(ours(y_true, y_pred)) == pytest.approx(float(theirs(y_true, y_pred)), abs=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_nested_sequential_models_travel_both_ways(tmp_path, suffix):
    x = np.random.default_rng(2).normal(size=(7, 4)).astype(np.float32)
    minikeras.utils.set_random_seed(0)
    inner = minikeras.Sequential([minikeras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    ours = minikeras.Sequential([inner, layers.Dense(1)])
    ours.save(tmp_path / f"ours{suffix}")
    theirs = keras.models.load_model(tmp_path / f"ours{suffix}", compile=False)
    assert type(theirs.layers[0]).__name__ == "Sequential"
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-6)

    k_inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)])
    k_model = keras.Sequential([k_inner, keras.layers.Dense(1)])
    k_model.save(tmp_path / f"theirs{suffix}")
    loaded = minikeras.models.load_model(tmp_path / f"theirs{suffix}", compile=False)
    assert [type(layer).__name__ for layer in loaded.layers] == ["Sequential", "Dense"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(k_model.predict(x, verbose=0)), atol=1e-6)


def test_an_uncompiled_keras_file_loads_uncompiled(tmp_path):
    # Keras 3 writes "compile_config": {} for a model never compiled.
    k_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    k_model.save(tmp_path / "uncompiled.keras")
    loaded = minikeras.models.load_model(tmp_path / "uncompiled.keras")
    assert not loaded.compiled
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(k_model.predict(x, verbose=0)), atol=1e-6)
