"""Activations: values against numpy formulas and Keras, gradients against Keras and central differences,
extremes, names, saving."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest
from gradcheck import numerical_gradient

import minikeras as keras
from minikeras import activations, layers

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_functions", FIXTURES / "make_keras_golden_functions.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "functions.npz")

# Every activation besides the five REFERENCES writes out in numpy below.
OTHER_NAMES = [
    "elu",
    "selu",
    "gelu",
    "softplus",
    "softsign",
    "silu",
    "swish",
    "hard_sigmoid",
    "exponential",
    "leaky_relu",
    "log_softmax",
]

# Every activation, configured variants included, as (object, name) for the gradient and stability checks.
VARIANTS = {
    **{name: activations.get(name) for name in OTHER_NAMES},
    "elu_alpha": activations.ELU(alpha=0.5),
    "gelu_approximate": activations.GELU(approximate=True),
    "leaky_relu_slope": activations.LeakyReLU(negative_slope=0.05),
    "log_softmax_axis0": activations.LogSoftmax(axis=0),
}


def _configured(function: str, kwargs: dict) -> activations.Activation:
    base = activations.get(function)
    return base.with_options(**kwargs) if kwargs else base


# ------------------------------------------------------------------ against Keras
@pytest.mark.parametrize("name", sorted(golden_script.ACTIVATIONS))
def test_output_and_gradient_match_keras(name):
    function, kwargs = golden_script.ACTIVATIONS[name]
    activation = _configured(function, kwargs)
    x, upstream = GOLDEN["activation_input"], GOLDEN["activation_upstream"]
    with np.errstate(over="ignore", invalid="ignore"):  # exponential(1e4) is inf in Keras too
        y = activation(x)
        grad = activation.gradient(upstream, x.copy(), y)
    assert y.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_allclose(y, GOLDEN[f"activation/{name}/y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad, GOLDEN[f"activation/{name}/grad"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n, (_, kwargs) in golden_script.ACTIVATIONS.items() if kwargs))
def test_keras_keyword_calls_match_keras(name):
    function, kwargs = golden_script.ACTIVATIONS[name]
    x = GOLDEN["activation_input"]
    np.testing.assert_allclose(
        getattr(activations, function)(x, **kwargs), GOLDEN[f"activation/{name}/y"], rtol=1e-5, atol=1e-5
    )


# ------------------------------------------------------------------ against numpy formulas
def reference_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


REFERENCES = {
    "linear": lambda x: x,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "softmax": reference_softmax,
}


def sample_input(name, seed=0):
    x = np.random.default_rng(seed).normal(size=(4, 5)) * 2
    if name == "relu":  # stay away from the kink at 0
        x = np.where(np.abs(x) < 0.1, 0.1 * np.sign(x) + 0.1 * (x == 0), x)
    return x


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_follow_the_formula(name):
    x = sample_input(name)
    np.testing.assert_allclose(activations.get(name)(x), REFERENCES[name](x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_formula_activations_gradient_matches_central_differences(name):
    activation = activations.get(name)
    x = sample_input(name, seed=1)
    upstream = np.random.default_rng(2).normal(size=x.shape)
    numeric = numerical_gradient(lambda: np.sum(upstream * activation(x)), x)
    y = activation(x)
    analytic = activation.gradient(upstream, x.copy(), y)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_finite_at_extreme_inputs(name):
    activation = activations.get(name)
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = activation(x)
        grad = activation.gradient(np.ones_like(x), x, y)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))
    if name == "sigmoid":
        np.testing.assert_allclose(y, [[1, 0, 0.5], [0, 0, 0], [1, 1, 1 / (1 + np.exp(-3.0))]], atol=1e-15)
    else:
        np.testing.assert_allclose(y, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], atol=1e-15)


def test_get_none_is_linear_and_unknown_names_get_a_suggestion():
    x = np.array([-2.0, 0.5, 3.0])
    linear = activations.get(None)
    assert linear is activations.get("linear")
    np.testing.assert_array_equal(linear(x), x)
    np.testing.assert_array_equal(linear.gradient(x, x, x), x)
    with pytest.raises(ValueError, match='Did you mean "relu"'):
        activations.get("relux")


# ------------------------------------------------------------------ central differences
def _away_from_kinks(x: np.ndarray) -> np.ndarray:
    """Keep inputs off 0 and +-3 (the points where leaky_relu, elu, selu and hard_sigmoid bend)."""
    for point in (0.0, 3.0, -3.0):
        near = np.abs(x - point) < 0.05
        x[near] += 0.1
    return x


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_gradient_matches_central_differences(name):
    activation = VARIANTS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    x = _away_from_kinks(rng.normal(size=(3, 5)) * 2.5)
    upstream = rng.normal(size=x.shape)
    numeric = numerical_gradient(lambda: np.sum(upstream * activation(x)), x)
    analytic = activation.gradient(upstream, x.copy(), activation(x))
    assert analytic.dtype == np.float64
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["selu", "hard_sigmoid", "exponential", "log_softmax"])
def test_activations_that_keep_only_their_output_need_no_input(name):
    activation = activations.get(name)
    assert activation.uses_input is False
    x = np.random.default_rng(3).normal(size=(2, 4))
    y = activation(x)
    np.testing.assert_array_equal(
        activation.gradient(np.ones_like(x), None, y), activation.gradient(np.ones_like(x), x, y)
    )


# ------------------------------------------------------------------ extremes
EXTREME = np.array([[1e4, -1e4, 0.0, 2.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 1e4, -3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(set(VARIANTS) - {"exponential"}))
def test_finite_without_warnings_at_plus_minus_1e4(name, dtype):
    activation = VARIANTS[name]
    x = EXTREME.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = activation(x)
        grad = activation.gradient(np.ones_like(x), x, y)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))
    assert y.dtype == dtype and grad.dtype == dtype


@pytest.mark.parametrize(
    "name, at_plus, at_minus",
    [
        ("elu", 1e4, -1.0),
        ("selu", 1e4 * activations.SELU.scale, -activations.SELU.scale * activations.SELU.alpha),
        ("gelu", 1e4, 0.0),
        ("softplus", 1e4, 0.0),
        ("softsign", 1e4 / (1 + 1e4), -1e4 / (1 + 1e4)),
        ("silu", 1e4, 0.0),
        ("hard_sigmoid", 1.0, 0.0),
        ("leaky_relu", 1e4, -2e3),
    ],
)
def test_limits_at_plus_minus_1e4(name, at_plus, at_minus):
    y = activations.get(name)(np.array([1e4, -1e4]))
    np.testing.assert_allclose(y, [at_plus, at_minus], rtol=1e-12, atol=1e-300)


def test_exponential_underflows_to_zero_and_overflows_like_keras():
    with np.errstate(over="ignore"):
        y = activations.exponential(np.array([-1e4, 1e4], dtype=np.float32))
    assert y[0] == 0.0 and np.isinf(y[1])


def test_log_softmax_of_extremes_is_exact():
    y = activations.log_softmax(np.array([[1e4, -1e4, 1e4]]))
    np.testing.assert_allclose(y, [[-math.log(2), -2e4 - math.log(2), -math.log(2)]], rtol=1e-12)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_erfc_is_accurate_in_relative_terms(dtype, rtol):
    z = np.concatenate([np.linspace(-6, 9, 301), [0.0, 1e-8, -1e-8, 9.5]]).astype(dtype)
    exact = np.array([math.erfc(float(v)) for v in z])
    np.testing.assert_allclose(activations.erfc(z), exact, rtol=rtol, atol=0)
    assert activations.erfc(z).dtype == dtype
    assert activations.erfc(np.array([40.0, 1e4]))[0] == 0.0


def test_exact_gelu_is_x_times_the_normal_cdf():
    x = np.array([-7.0, -2.5, -0.3, 0.0, 0.7, 4.0])
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(activations.gelu(x), expected, rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------------ names and objects
@pytest.mark.parametrize("name", OTHER_NAMES)
def test_by_name_and_as_module_level_instances(name):
    assert activations.get(name) is getattr(activations, name)
    assert isinstance(getattr(activations, name), activations.Activation)


def test_swish_and_silu_are_one_activation_saved_as_silu():
    assert activations.swish is activations.silu
    assert activations.serialize(activations.get("swish")) == "silu"


def test_keras_defaults():
    assert activations.leaky_relu.negative_slope == 0.2
    assert activations.elu.alpha == 1.0
    assert activations.gelu.approximate is False
    assert activations.log_softmax.axis == -1
    np.testing.assert_allclose(activations.hard_sigmoid(np.array([-3.0, -1.5, 0.0, 1.5, 3.0])), [0, 0.25, 0.5, 0.75, 1])


def test_keyword_calls_equal_configured_objects_and_leave_the_shared_instance_alone():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(activations.gelu(x, approximate=True), activations.GELU(approximate=True)(x))
    np.testing.assert_array_equal(activations.leaky_relu(x, negative_slope=0.1), activations.LeakyReLU(0.1)(x))
    np.testing.assert_array_equal(activations.elu(x, alpha=2.0), activations.ELU(2.0)(x))
    assert not np.array_equal(activations.gelu(x, approximate=True), activations.gelu(x))
    assert activations.gelu.approximate is False and activations.leaky_relu.negative_slope == 0.2


@pytest.mark.parametrize(
    "activation, expected",
    [
        (activations.gelu, "gelu"),
        (activations.GELU(), "gelu"),
        (activations.LeakyReLU(0.2), "leaky_relu"),
        (activations.GELU(approximate=True), {"class_name": "GELU", "config": {"approximate": True}}),
        (activations.LeakyReLU(0.1), {"class_name": "LeakyReLU", "config": {"negative_slope": 0.1}}),
        (activations.ELU(alpha=0.3), {"class_name": "ELU", "config": {"alpha": 0.3}}),
        (activations.LogSoftmax(axis=1), {"class_name": "LogSoftmax", "config": {"axis": 1}}),
        (activations.Softmax(axis=0), {"class_name": "Softmax", "config": {"axis": 0}}),
    ],
)
def test_default_activations_are_saved_by_name_configured_ones_with_their_options(activation, expected):
    written = activations.serialize(activation)
    if isinstance(expected, str):
        assert written == expected
    else:
        assert {key: written[key] for key in ("class_name", "config")} == expected
    again = activations.get(written)
    assert type(again) is type(activation) and again.get_config() == activation.get_config()


# ------------------------------------------------------------------ in layers
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_dense_backward_through_each_activation(name):
    rng = np.random.default_rng(7)
    layer = layers.Dense(4, activation=VARIANTS[name], dtype="float64")
    x = rng.normal(size=(3, 5))
    layer(x)
    layer.kernel[...] = rng.normal(size=layer.kernel.shape)
    layer.bias[...] = rng.normal(size=layer.bias.shape) * 0.5
    upstream = rng.normal(size=(3, 4))
    layer.forward(x, training=True)
    analytic = layer.backward(upstream)
    numeric = numerical_gradient(lambda: np.sum(upstream * layer.forward(x)), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("extension", ["keras", "h5"])
def test_models_with_configured_activations_save_and_load(tmp_path, extension):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(6, 6, 2)),
            layers.Conv2D(3, 3, activation="swish"),
            layers.Conv2D(2, 3, activation=activations.GELU(approximate=True)),
            layers.Flatten(),
            layers.Dense(5, activation="selu"),
            layers.Dense(4, activation=activations.LeakyReLU(0.1)),
            layers.Activation("softsign"),
            layers.Dense(3, activation="log_softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 2)).astype(np.float32)
    path = tmp_path / f"m.{extension}"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert loaded.layers[1].activation.approximate is True
    assert loaded.layers[4].activation.negative_slope == 0.1
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
