"""LayerNormalization, UnitNormalization, Rescaling and the noise layers against Keras 3 golden values
(tests/fixtures/golden/layers_norm.npz), float64 gradient checks, noise statistics and seeding, configs, saving."""

import json
import pathlib

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from minikeras.saving import serialize_keras_object
from tests.gradcheck import assert_gradients_close, numerical_gradient

GOLDEN = np.load(pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "golden" / "layers_norm.npz")
CONFIGS = json.loads(str(GOLDEN["configs"]))
CASES = sorted(name for name, entry in CONFIGS.items() if f"{name}/x" in GOLDEN)


def _make(name, **extra):
    entry = CONFIGS[name]
    return getattr(layers, entry["class_name"])(**entry["kwargs"], **extra)


@pytest.mark.parametrize("name", CASES)
def test_forward_and_backward_match_keras(name):
    layer = _make(name)
    x, g = GOLDEN[f"{name}/x"], GOLDEN[f"{name}/g"]
    layer.build_for(x.shape)
    weights = [GOLDEN[f"{name}/w{i}"] for i in range(len(layer.weights))]
    assert [w.shape for w in layer.weights] == [w.shape for w in weights]
    if weights:
        layer.set_weights(weights)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, GOLDEN[f"{name}/y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.backward(g), GOLDEN[f"{name}/dx"], rtol=1e-5, atol=1e-5)
    for i, weight_name in enumerate(layer.weight_names):
        grad = layer.grads[weight_name.split("/")[-1]]
        np.testing.assert_allclose(grad, GOLDEN[f"{name}/dw{i}"], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_equals_keras(name):
    layer = _make(name) if name in CASES else getattr(layers, name)(**CONFIGS[name]["kwargs"], name="noise")
    if name in CASES:
        layer.build_for(GOLDEN[f"{name}/x"].shape)
    config = serialize_keras_object(layer)["config"]
    expected = dict(CONFIGS[name]["config"])
    config["name"] = expected["name"] = "x"
    assert json.loads(json.dumps(config)) == expected
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("name", CASES)
def test_float64_gradients_by_central_differences(name):
    layer = _make(name, dtype="float64")
    rng = np.random.default_rng(0)
    x = GOLDEN[f"{name}/x"].astype(np.float64)
    layer.build_for(x.shape)
    layer.set_weights([rng.normal(1.0, 0.5, size=w.shape) for w in layer.weights])
    g = rng.normal(size=x.shape)

    def loss():
        return float((layer.forward(x, training=False) * g).sum())

    layer.forward(x, training=True)
    assert_gradients_close(layer.backward(g), numerical_gradient(loss, x))
    for weight_name in layer.grads:
        assert_gradients_close(layer.grads[weight_name], numerical_gradient(loss, getattr(layer, weight_name)))


def test_unit_normalization_keeps_zero_vectors():
    layer = layers.UnitNormalization(dtype="float64")
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, [[0.0, 0.0], [0.6, 0.8]])
    assert np.all(np.isfinite(layer.backward(np.ones_like(x))))


def test_bad_arguments_raise_keras_errors():
    with pytest.raises(TypeError, match="Expected an int or a list/tuple of ints"):
        layers.LayerNormalization(axis="x")
    with pytest.raises(TypeError, match="Invalid value for `axis` argument"):
        layers.UnitNormalization(axis=1.5)
    with pytest.raises(ValueError, match="Invalid value received for argument `stddev`"):
        layers.GaussianNoise(1.5)
    with pytest.raises(ValueError, match="Invalid value received for argument `rate`"):
        layers.GaussianDropout(-0.1)
    with pytest.raises(ValueError, match="Invalid value received for argument `rate`"):
        layers.SpatialDropout1D(1.5)
    with pytest.raises(ValueError, match="data_format"):
        layers.SpatialDropout2D(0.1, data_format="nhwc")
    with pytest.raises(TypeError):
        layers.Rescaling()
    with pytest.raises(ValueError, match="out of bounds"):
        layers.LayerNormalization(axis=3).compute_output_shape((None, 4))
    with pytest.raises(ValueError):
        layers.SpatialDropout2D(0.1)(np.ones((2, 3, 4)))


@pytest.mark.parametrize(
    "layer",
    [
        layers.GaussianNoise(0.5, seed=1),
        layers.GaussianDropout(0.5, seed=1),
        layers.SpatialDropout1D(0.5, seed=1),
        layers.SpatialDropout2D(0.5, seed=1),
        layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1),
    ],
)
def test_noise_layers_are_identity_in_inference(layer):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)[: layer.input_spec.ndim if layer.input_spec else 4])
    x = x.astype(np.float32)
    assert layer(x) is x or np.array_equal(layer(x), x)
    assert layer.compute_output_shape(x.shape) == x.shape


def test_gaussian_noise_statistics_and_seeding():
    x = np.full((200, 500), 2.0, dtype=np.float32)
    noise = layers.GaussianNoise(0.3, seed=7)(x, training=True) - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.3) < 0.01
    a, b = layers.GaussianNoise(0.3, seed=7), layers.GaussianNoise(0.3, seed=7)
    first = a(x, training=True)
    np.testing.assert_array_equal(first, b(x, training=True))
    assert not np.array_equal(first, a(x, training=True))  # a new draw per call
    layer = layers.GaussianNoise(0.3)
    layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_gaussian_dropout_statistics_and_backward():
    x = np.ones((200, 500), dtype=np.float32)
    layer = layers.GaussianDropout(0.2, seed=3)
    y = layer.forward(x, training=True)
    assert abs(y.mean() - 1.0) < 0.01 and abs(y.std() - np.sqrt(0.2 / 0.8)) < 0.01
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)), 2.0 * y)
    again = layers.GaussianDropout(0.2, seed=3).forward(x, training=True)
    np.testing.assert_array_equal(y, again)


@pytest.mark.parametrize(
    ("layer", "shape", "spatial"),
    [
        (layers.SpatialDropout1D(0.4, seed=2), (50, 6, 40), (1,)),
        (layers.SpatialDropout2D(0.4, seed=2), (50, 3, 4, 40), (1, 2)),
        (layers.SpatialDropout2D(0.4, data_format="channels_first", seed=2), (50, 40, 3, 4), (2, 3)),
    ],
)
def test_spatial_dropout_drops_whole_channels(layer, shape, spatial):
    x = np.ones(shape, dtype=np.float32)
    y = layer.forward(x, training=True)
    # Constant over the spatial axes: each channel of each sample is dropped or kept whole.
    np.testing.assert_array_equal(y, np.broadcast_to(y.max(axis=spatial, keepdims=True), shape))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.6)}
    assert abs((y == 0).mean() - 0.4) < 0.05
    np.testing.assert_array_equal(layer.backward(x), y)


def _model():
    return mk.Sequential(
        [
            mk.Input((6, 4)),
            layers.Rescaling(0.5, offset=0.1),
            layers.GaussianNoise(0.05, seed=1),
            layers.LayerNormalization(),
            layers.SpatialDropout1D(0.1, seed=1),
            layers.GaussianDropout(0.1, seed=2),
            layers.UnitNormalization(),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_sequential_model_trains_and_round_trips(tmp_path, suffix):
    mk.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 4)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] * 0.1
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = mk.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
