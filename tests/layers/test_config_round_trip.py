"""Layer configs carry Keras's arguments and make twins; trained models using the layers save and load."""

import json

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers

CONFIGURED = {
    "Dropout": lambda: layers.Dropout(0.25, noise_shape=(None, 1, 3), seed=4),
    "BatchNormalization": lambda: layers.BatchNormalization(
        axis=1, momentum=0.9, epsilon=0.01, center=False, gamma_initializer="he_normal", beta_regularizer="l2"
    ),
    "AveragePooling2D": lambda: layers.AveragePooling2D(
        (2, 3), strides=1, padding="same", data_format="channels_first"
    ),
    "GlobalAveragePooling2D": lambda: layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True),
    "GlobalMaxPooling2D": lambda: layers.GlobalMaxPooling2D(keepdims=True),
    "ZeroPadding2D": lambda: layers.ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_first"),
    "Reshape": lambda: layers.Reshape((-1, 4)),
    "LeakyReLU": lambda: layers.LeakyReLU(negative_slope=0.05),
    "ELU": lambda: layers.ELU(alpha=0.7),
    "PReLU": lambda: layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2]),
}

KERAS_ARGUMENTS = {  # the constructor arguments each layer's config must carry, by their Keras names
    "Dropout": {"rate": 0.25, "noise_shape": (None, 1, 3), "seed": 4},
    "BatchNormalization": {"axis": 1, "momentum": 0.9, "epsilon": 0.01, "center": False, "scale": True},
    "AveragePooling2D": {"pool_size": (2, 3), "strides": (1, 1), "padding": "same", "data_format": "channels_first"},
    "GlobalAveragePooling2D": {"data_format": "channels_first", "keepdims": True},
    "GlobalMaxPooling2D": {"data_format": "channels_last", "keepdims": True},
    "ZeroPadding2D": {"padding": ((1, 2), (0, 3)), "data_format": "channels_first"},
    "Reshape": {"target_shape": (-1, 4)},
    "LeakyReLU": {"negative_slope": 0.05},
    "ELU": {"alpha": 0.7},
    "PReLU": {"shared_axes": [1, 2]},
}


@pytest.mark.parametrize("class_name", sorted(CONFIGURED))
def test_config_carries_every_argument_and_makes_a_twin(class_name):
    layer = CONFIGURED[class_name]()
    config = layer.get_config()
    assert {key: config[key] for key in KERAS_ARGUMENTS[class_name]} == KERAS_ARGUMENTS[class_name]
    twin = type(layer).from_config(config)
    assert twin.get_config() == config
    through_json = type(layer).from_config({**json.loads(json.dumps(config)), "name": layer.name + "_json"})
    assert {**through_json.get_config(), "name": layer.name} == config
    assert layers.ALL_LAYERS[class_name] is type(layer) and class_name in layers.__all__


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(3, activation="tanh", use_bias=False, kernel_initializer="he_normal"),
        lambda: layers.Conv2D(4, (2, 3), strides=(2, 1), padding="same", activation="relu"),
        lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
        lambda: layers.Flatten(),
        lambda: layers.ReLU(max_value=6.0),
        lambda: layers.Softmax(axis=1),
        lambda: layers.Activation("sigmoid"),
    ],
)
def test_config_round_trip_makes_a_twin(make):
    layer = make()
    twin = type(layer).from_config(layer.get_config())
    assert twin.get_config() == layer.get_config()


def test_batchnorm_config_holds_keras_full_argument_list():
    config = layers.BatchNormalization().get_config()
    for key in ("beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer"):
        assert config[key]["module"] == "keras.initializers"
    assert config["beta_constraint"] is None and config["renorm"] is False and config["synchronized"] is False


def channels_last_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=(7, 7, 2)),
            layers.ZeroPadding2D(1),
            layers.Conv2D(4, 3),
            layers.BatchNormalization(momentum=0.8),
            layers.LeakyReLU(0.1),
            layers.AveragePooling2D(2, padding="same"),
            layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2]),
            layers.Dropout(0.3, noise_shape=(None, 1, 1, 4), seed=1),
            layers.ELU(alpha=0.5),
            layers.GlobalMaxPooling2D(keepdims=True),
            layers.Reshape((4,)),
            layers.Dense(6),
            layers.Reshape((2, -1)),
            layers.BatchNormalization(axis=1, center=False),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def channels_first_model():
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input(shape=(2, 6, 6)),
            layers.Conv2D(3, 3, padding="same", data_format="channels_first"),
            layers.BatchNormalization(axis=1),
            layers.AveragePooling2D(3, strides=2, padding="same", data_format="channels_first"),
            layers.ZeroPadding2D(((0, 1), (1, 0)), data_format="channels_first"),
            layers.GlobalAveragePooling2D(data_format="channels_first"),
            layers.Dropout(0.2),
            layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize(
    "make_model, input_shape", [(channels_last_model, (7, 7, 2)), (channels_first_model, (2, 6, 6))]
)
def test_a_trained_model_with_these_layers_saves_and_loads(tmp_path, suffix, make_model, input_shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, *input_shape)).astype(np.float32)
    y = keras.utils.to_categorical(np.arange(12) % 3, 3)
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    moving_means = [layer.moving_mean.copy() for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    assert all(np.abs(mean).max() > 0 for mean in moving_means)  # training moved the statistics
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert [layer.weight_names for layer in loaded.layers] == [layer.weight_names for layer in model.layers]
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(saved, restored)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0)  # and trains on
