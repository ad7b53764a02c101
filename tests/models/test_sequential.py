"""Sequential: construction, input shapes, the layer list, weights, summary and config."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def small_model(**input_kwargs):
    return keras.Sequential(
        [keras.Input(shape=(4,), **input_kwargs), layers.Dense(3, activation="relu"), layers.Dense(2)]
    )


def test_input_first_builds_every_layer_at_once():
    model = small_model()
    assert model.built
    assert model.input_shape == (None, 4)
    assert model.output_shape == (None, 2)
    assert [w.shape for w in model.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    assert len(model.layers) == 2  # the Input is not a layer, as in Keras


def test_input_shape_on_the_first_layer_works_like_an_input():
    model = keras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    assert model.built and model.input_shape == (None, 4)


def test_a_model_without_input_builds_from_the_first_data_it_sees():
    model = keras.Sequential([layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(1)])
    assert not model.built
    with pytest.raises(ValueError, match="isn't built"):
        model.count_params()
    out = model.predict(np.zeros((3, 5, 5, 1)), verbose=0)
    assert out.shape == (3, 1)
    assert model.built and model.input_shape == (None, 5, 5, 1)


def test_add_and_pop():
    model = keras.Sequential()
    model.add(keras.Input(shape=(3,)))
    model.add(layers.Dense(2))
    model.add(layers.Dense(5))
    assert model.output_shape == (None, 5)
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and popped.units == 5
    assert model.output_shape == (None, 2)
    with pytest.raises(ValueError, match="Only instances of `keras.Layer` can be added to a Sequential model"):
        model.add("dense")
    model.pop()
    with pytest.raises(IndexError):
        model.pop()


def test_wrong_input_shape_names_the_first_layer_and_both_shapes():
    model = small_model()
    message = r"Input 0 of layer 'dense.*' is incompatible.*expected axis -1 of input shape to have value 4, but "
    with pytest.raises(ValueError, match=message + r"received input with shape \(2, 5\)"):
        model.predict(np.zeros((2, 5)), verbose=0)


def test_get_and_set_weights_round_trip_and_check_shapes_first():
    model = small_model()
    weights = [np.full(w.shape, i, dtype=np.float32) for i, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    for expected, actual in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(expected, actual)
    bad = list(weights)
    bad[3] = np.zeros(7)
    with pytest.raises(ValueError, match=r"dense_?\d*' expects a weight of shape \(2,\)"):
        model.set_weights(bad)
    np.testing.assert_array_equal(model.get_weights()[0], weights[0])  # unchanged by the refusal
    with pytest.raises(ValueError, match="the layer was expecting 4 weights"):
        model.set_weights(weights[:2])


def test_summary_prints_a_keras_like_table():
    keras.utils.clear_session()
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10),
        ]
    )
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "sequential' in text
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "conv2d (Conv2D)" in text and "(None, 28, 28, 8)" in text and " 80 " in text
    assert "max_pooling2d (MaxPooling2D)" in text and "(None, 14, 14, 8)" in text
    assert "(None, 1568)" in text and "15,690" in text
    assert "Total params: 15,770 (61.60 KB)" in text
    assert "Trainable params: 15,770" in text and "Non-trainable params: 0 (0.00 B)" in text


def test_summary_of_an_unbuilt_model_says_so():
    model = keras.Sequential([layers.Dense(3)])
    lines = []
    model.summary(print_fn=lines.append)
    assert "?" in lines[0] + "\n".join(lines) and "unbuilt" in "\n".join(lines)


def test_config_round_trip_keeps_architecture():
    model = small_model()
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert config["layers"][0]["config"]["batch_shape"] == (None, 4)
    clone = keras.Sequential.from_config(config)
    assert clone.get_config() == config
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]


def test_model_call_and_predict_on_batch_agree_with_predict():
    model = small_model()
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(model(x), model.predict(x, batch_size=3, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), model(x), rtol=1e-6)


def test_freezing_the_model_freezes_every_layer():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), layers.BatchNormalization(), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    model.trainable = False
    assert all(not layer.trainable for layer in model.layers) and model.trainable_weights == []
    model.fit(np.random.default_rng(0).normal(size=(8, 4)), np.zeros((8, 2)), epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):  # moving statistics included: a frozen BN runs in inference mode
        np.testing.assert_array_equal(a, b)
    model.trainable = True
    assert all(layer.trainable for layer in model.layers)


def test_a_model_built_for_one_image_size_runs_on_another_as_in_keras():
    # What is fixed is what the weights fix (channels here), not the size the model was declared with.
    model = keras.Sequential(
        [
            keras.Input((8, 8, 2)),
            layers.Conv2D(3, 3, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2),
        ]
    )
    x = np.random.default_rng(0).normal(size=(2, 11, 13, 2)).astype(np.float32)
    out = model.predict(x, verbose=0)
    expected = x
    for layer in model.layers:
        expected = layer(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 2"):
        model.predict(x[..., :1], verbose=0)
