"""Layers against values recorded from real Keras 3 (1e-5), without importing Keras.

The recording script is tests/fixtures/make_keras_golden_layers.py; its CASES and models are used
here too, so both sides build the same layers from the same arguments.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

import minikeras
from minikeras import layers

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location("make_keras_golden_layers", FIXTURES / "make_keras_golden_layers.py")
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "layers.npz")
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
NOT_DROPOUT = sorted(name for name, case in golden_script.CASES.items() if case[0] != "Dropout")


def keras_layer(name):
    """The minikeras layer of CASES[name], with the weights Keras used (in Keras's order and shapes)."""
    class_name, kwargs, *_ = golden_script.CASES[name]
    layer = getattr(layers, class_name)(**kwargs)
    x = GOLDEN[f"{name}/x"]
    layer.build_for(x.shape)
    weights = [GOLDEN[f"{name}/weight_{i}"] for i in range(len(layer.weights))]
    assert f"{name}/weight_{len(weights)}" not in GOLDEN, "Keras made more weights than minikeras"
    layer.set_weights(weights)
    expected_names = [n for n in GOLDEN[f"{name}/weight_names"].tolist() if n]
    assert layer.weight_names == expected_names
    return layer, x


@pytest.mark.parametrize("name", sorted(golden_script.CASES))
def test_inference_output_matches_keras(name):
    layer, x = keras_layer(name)
    np.testing.assert_allclose(layer(x), GOLDEN[f"{name}/inference"], **TOLERANCE)


@pytest.mark.parametrize("name", NOT_DROPOUT)
def test_training_output_and_gradients_match_keras(name):
    layer, x = keras_layer(name)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, GOLDEN[f"{name}/training"], **TOLERANCE)
    grad_x = layer.backward(GOLDEN[f"{name}/upstream"])
    np.testing.assert_allclose(grad_x, GOLDEN[f"{name}/grad_x"], **TOLERANCE)
    for weight_name in layer.weight_names:
        key = f"{name}/grad_{weight_name}"
        if key in GOLDEN:
            np.testing.assert_allclose(layer.grads[weight_name], GOLDEN[key], **TOLERANCE, err_msg=weight_name)
    recorded = sorted(
        k.rsplit("/grad_", 1)[1] for k in GOLDEN.files if k.startswith(f"{name}/grad_") and k != f"{name}/grad_x"
    )
    assert (
        sorted(n for n, g in zip(layer.weight_names, layer.weights) if any(g is w for w in layer.trainable_weights))
        == recorded
    )


@pytest.mark.parametrize("name", sorted(n for n in golden_script.CASES if n.startswith("batchnorm")))
def test_batchnorm_moving_statistics_after_a_training_call_match_keras(name):
    layer, x = keras_layer(name)
    layer.forward(x, training=True)
    for weight_name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(
            layer._params[weight_name], GOLDEN[f"{name}/after_training_{weight_name}"], **TOLERANCE
        )


def test_the_frozen_batchnorm_keeps_its_statistics_as_keras_does():
    layer, x = keras_layer("batchnorm_frozen")
    np.testing.assert_array_equal(
        GOLDEN["batchnorm_frozen/after_training_moving_mean"], GOLDEN["batchnorm_frozen/weight_2"]
    )
    layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.moving_mean, GOLDEN["batchnorm_frozen/weight_2"])


@pytest.mark.parametrize("name", ["dropout", "dropout_noise_shape"])
def test_dropout_is_the_identity_in_inference_and_inverted_in_training_as_in_keras(name):
    layer, x = keras_layer(name)
    keras_inference, keras_training = GOLDEN[f"{name}/inference"], GOLDEN[f"{name}/training"]
    np.testing.assert_array_equal(keras_inference, x)
    np.testing.assert_array_equal(layer(x), keras_inference)
    keep = 1.0 - layer.rate
    for training in (keras_training, layer(x, training=True)):  # the masks differ; the rule is the same
        kept = training != 0
        assert 0 < kept.mean() < 1
        np.testing.assert_allclose(training[kept], x[kept] / keep, rtol=1e-6)
        if layer.noise_shape is not None:  # one draw per (sample, channel), shared over the image
            np.testing.assert_array_equal(kept, np.broadcast_to(kept[:, :1, :1, :], kept.shape))


@pytest.mark.parametrize("name", sorted(golden_script.fit_models(minikeras)))
def test_three_fit_steps_match_keras_weights_and_moving_statistics(name):
    model, optimizer, loss = golden_script.fit_models(minikeras)[name]
    count = len(model.weights)
    model.set_weights([GOLDEN[f"fit/{name}/initial_{i}"] for i in range(count)])
    assert f"fit/{name}/initial_{count}" not in GOLDEN
    x, y = golden_script.fit_data(name, model.output_shape, model.input_shape[1:])
    model.compile(optimizer=optimizer, loss=loss)
    history = model.fit(x, y, batch_size=golden_script.BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, GOLDEN[f"fit/{name}/weight_{i}"], **TOLERANCE, err_msg=f"weight {i}")
    assert history.history["loss"][0] == pytest.approx(float(GOLDEN[f"fit/{name}/loss"]), rel=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), GOLDEN[f"fit/{name}/predictions"], **TOLERANCE)


def test_a_keras_file_with_the_new_layers_loads_and_predicts_as_keras():
    model = minikeras.models.load_model(FIXTURES / "golden" / "layers_cnn.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "BatchNormalization",
        "LeakyReLU",
        "ZeroPadding2D",
        "AveragePooling2D",
        "Conv2D",
        "GlobalMaxPooling2D",
        "Dense",
    ]
    name = "cnn_channels_last"
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_array_equal(weight, GOLDEN[f"fit/{name}/weight_{i}"])
    x, _ = golden_script.fit_data(name, model.output_shape, model.input_shape[1:])
    np.testing.assert_allclose(model.predict(x, verbose=0), GOLDEN[f"fit/{name}/predictions"], **TOLERANCE)
