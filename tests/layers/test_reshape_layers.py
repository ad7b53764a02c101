"""RepeatVector, Permute, ZeroPadding1D, Cropping1D, UpSampling1D, Cropping2D, UpSampling2D, Identity and
ActivityRegularization against Keras 3.15 golden values (tests/fixtures/golden/layers_reshape.npz, made by
tests/fixtures/make_keras_golden_layers_reshape.py), central-difference gradients, configs, errors, and a
model using them that trains and saves; all without Keras installed."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

import minikeras
from minikeras import layers
from minikeras.saving import serialize_keras_object
from tests.gradcheck import assert_gradients_close, numerical_gradient

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_layers_reshape", FIXTURES / "make_keras_golden_layers_reshape.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
CASES = golden_script.CASES
GOLDEN = np.load(FIXTURES / "golden" / "layers_reshape.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))


def make(case, **extra):
    class_name, kwargs, _ = CASES[case]
    return getattr(layers, class_name)(name=case, **kwargs, **extra)


def as_json(value):
    return json.loads(json.dumps(value))


def test_every_new_layer_has_golden_cases():
    classes = {class_name for class_name, _, _ in CASES.values()}
    assert classes == {
        "RepeatVector",
        "Permute",
        "ZeroPadding1D",
        "Cropping1D",
        "UpSampling1D",
        "Cropping2D",
        "UpSampling2D",
        "Identity",
        "ActivityRegularization",
    }
    assert set(KERAS_CONFIGS) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_and_backward_match_keras(case):
    layer = make(case)
    x, upstream = GOLDEN[f"{case}/x"], GOLDEN[f"{case}/upstream"]
    y = layer(x, training=True)
    assert y.dtype == np.float32
    assert layer.compute_output_shape(x.shape) == y.shape
    assert layer.compute_output_shape((None, *x.shape[1:]))[1:] == y.shape[1:]
    np.testing.assert_allclose(y, GOLDEN[f"{case}/y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.backward(upstream), GOLDEN[f"{case}/grad_x"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer(x), GOLDEN[f"{case}/y"], rtol=1e-5, atol=1e-5)  # inference alike


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_match_central_differences(case):
    layer = make(case)
    rng = np.random.default_rng(3)
    x = GOLDEN[f"{case}/x"].astype(np.float64)
    upstream = rng.standard_normal(layer.compute_output_shape(x.shape))
    layer.forward(x, training=True)
    analytic = layer.backward(upstream)
    assert analytic.dtype == np.float64
    assert_gradients_close(analytic, numerical_gradient(lambda: float((layer.forward(x) * upstream).sum()), x))


@pytest.mark.parametrize("case", sorted(CASES))
def test_configs_equal_keras_and_round_trip(case):
    layer = make(case)
    layer(GOLDEN[f"{case}/x"])
    entry = as_json(serialize_keras_object(layer))
    assert entry["config"] == KERAS_CONFIGS[case]["config"]
    assert ("build_config" in entry) == KERAS_CONFIGS[case]["has_build_config"]
    again = type(layer).from_config(as_json(layer.get_config()))
    assert as_json(again.get_config()) == as_json(layer.get_config())
    x = GOLDEN[f"{case}/x"]
    np.testing.assert_array_equal(again(x), layer(x))


@pytest.mark.parametrize(
    ("class_name", "shape", "ndim"),
    [
        ("RepeatVector", (2, 3, 4), 2),
        ("Permute", (2, 3), 3),
        ("ZeroPadding1D", (2, 3), 3),
        ("Cropping1D", (2, 3, 4, 5), 3),
        ("UpSampling1D", (2, 3), 3),
        ("Cropping2D", (2, 3, 4), 4),
        ("UpSampling2D", (2, 3, 4), 4),
    ],
)
def test_input_spec_refuses_the_wrong_rank(class_name, shape, ndim):
    kwargs = {"RepeatVector": {"n": 2}, "Permute": {"dims": (2, 1)}}.get(class_name, {})
    layer = getattr(layers, class_name)(**kwargs)
    assert layer.input_spec.ndim == ndim
    with pytest.raises(ValueError, match=f"is incompatible with the layer: expected ndim={ndim}"):
        layer(np.zeros(shape, dtype=np.float32))


def test_identity_and_activity_regularization_accept_any_rank():
    for layer in (layers.Identity(), layers.ActivityRegularization()):
        assert layer.input_spec is None
        for shape in [(3,), (2, 3), (2, 3, 4, 5, 6)]:
            x = np.ones(shape, dtype=np.float32)
            np.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize(
    ("make_layer", "error", "message"),
    [
        (lambda: layers.RepeatVector("a"), TypeError, "Expected an integer value for `n`"),
        (lambda: layers.RepeatVector(0), ValueError, "Argument `n` should be a positive integer"),
        (lambda: layers.Permute((1, 1)), ValueError, "Invalid permutation argument `dims` for Permute Layer"),
        (lambda: layers.Permute((0, 1)), ValueError, "Invalid permutation argument `dims` for Permute Layer"),
        (lambda: layers.Permute((1, 3)), ValueError, "Invalid permutation argument `dims` for Permute Layer"),
        (lambda: layers.ZeroPadding1D((1, 2, 3)), ValueError, "The `padding` argument must be a tuple of 2 integers"),
        (lambda: layers.ZeroPadding1D(-1), ValueError, "The `padding` argument must be a tuple of 2 integers"),
        (lambda: layers.ZeroPadding1D(data_format="x"), ValueError, "The `data_format` argument must be one of"),
        (lambda: layers.Cropping1D((1, 2, 3)), ValueError, "The `cropping` argument must be a tuple of 2 integers"),
        (lambda: layers.Cropping1D(-1), ValueError, "The `cropping` argument must be a tuple of 2 integers"),
        (lambda: layers.UpSampling1D(0), ValueError, "Argument `size` should be a positive integer"),
        (lambda: layers.Cropping2D((1, 2, 3)), ValueError, "`cropping` should have two elements"),
        (lambda: layers.Cropping2D("a"), ValueError, "`cropping` should have two elements"),
        (lambda: layers.Cropping2D(((1, 2), -1)), ValueError, "The `cropping` argument must be a tuple of 2"),
        (lambda: layers.UpSampling2D(0), ValueError, "The `size` argument must be a tuple of 2 integers"),
        (lambda: layers.UpSampling2D(data_format="x"), ValueError, "The `data_format` argument must be one of"),
        (lambda: layers.UpSampling2D(interpolation="cubic"), ValueError, "interpolation"),
        (lambda: layers.ActivityRegularization(l1=-1.0), ValueError, "l1"),
    ],
)
def test_bad_arguments_raise_keras_errors(make_layer, error, message):
    with pytest.raises(error, match=message):
        make_layer()


def test_cropping_more_than_the_input_raises_keras_errors():
    with pytest.raises(ValueError, match="`cropping` parameter of `Cropping1D` layer must be smaller"):
        layers.Cropping1D((2, 3))(np.zeros((2, 4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="Values in `cropping` argument should be smaller"):
        layers.Cropping2D(((2, 3), (0, 0)))(np.zeros((2, 4, 3, 3), dtype=np.float32))


def test_keras_default_arguments():
    assert layers.ZeroPadding1D().padding == (1, 1)
    assert layers.Cropping1D().cropping == (1, 1)
    assert layers.UpSampling1D().size == 2
    assert layers.Cropping2D().cropping == ((0, 0), (0, 0))
    assert layers.Cropping2D(2).cropping == ((2, 2), (2, 2))
    assert layers.Cropping2D((1, 2)).cropping == ((1, 1), (2, 2))
    up = layers.UpSampling2D()
    assert (up.size, up.data_format, up.interpolation) == ((2, 2), "channels_last", "nearest")
    reg = layers.ActivityRegularization()
    assert (reg.l1, reg.l2) == (0.0, 0.0)


def test_activity_regularization_adds_its_penalty_to_the_training_loss():
    """One SGD step on `Dense -> ActivityRegularization`: the step equals the one on the loss plus the penalty."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    model = minikeras.Sequential([minikeras.Input((3,)), layers.Dense(2), layers.ActivityRegularization(0.1, 0.2)])
    model.compile(optimizer=minikeras.optimizers.SGD(0.1), loss="mse")
    kernel, bias = (w.astype(np.float64) for w in model.layers[0].get_weights())

    def total_loss():
        out = x @ kernel + bias
        return float(((out - y) ** 2).mean() + (0.1 * np.abs(out).sum() + 0.2 * (out**2).sum()) / len(x))

    expected_kernel = kernel - 0.1 * numerical_gradient(total_loss, kernel)
    logs = model.train_on_batch(x.astype(np.float32), y.astype(np.float32), return_dict=True)
    assert logs["loss"] == pytest.approx(total_loss(), rel=1e-4)
    np.testing.assert_allclose(model.layers[0].get_weights()[0], expected_kernel, rtol=1e-4, atol=1e-5)


def reshape_model():
    minikeras.utils.set_random_seed(0)
    model = minikeras.Sequential(
        [
            minikeras.Input((6, 3)),
            layers.ZeroPadding1D((1, 2)),
            layers.Cropping1D((2, 1)),
            layers.UpSampling1D(2),
            layers.Permute((2, 1)),
            layers.Reshape((3, 12, 1)),
            layers.UpSampling2D((1, 2), interpolation="bilinear"),
            layers.Cropping2D(((0, 1), (2, 2))),
            layers.UpSampling2D(2),
            layers.Identity(),
            layers.Flatten(),
            layers.Dense(4),
            layers.ActivityRegularization(l2=1e-3),
            layers.RepeatVector(2),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=minikeras.optimizers.Adam(0.01), loss="mse")
    return model


def reshape_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 6, 3)).astype(np.float32)
    return x, x.sum(axis=(1, 2))[:, None].astype(np.float32)


def test_a_model_of_these_layers_trains():
    model = reshape_model()
    x, y = reshape_data()
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_model_of_these_layers_saves_and_loads(tmp_path, suffix):
    model = reshape_model()
    x, y = reshape_data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = minikeras.models.load_model(tmp_path / f"m{suffix}")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
