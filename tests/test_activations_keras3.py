"""Keras 3's further activations (relu with options, relu6, hard_silu, mish, celu, glu, log_sigmoid, sparse_plus,
squareplus, tanh_shrink, soft_shrink, hard_shrink, hard_tanh, threshold): values against numpy formulas, gradients
against central differences, names, saving, use in layers, and values against live Keras."""

import os

import numpy as np
import pytest
from gradcheck import numerical_gradient

import minikeras as keras
from minikeras import activations, config, layers


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log(1.0 + np.exp(x))


# name -> (activation, the function written out in float64 numpy). Inputs stay below 30 in magnitude, where the
# plain formulas are exact enough.
FORMULAS = {
    "relu_slope": (activations.Rectifier(negative_slope=0.1), lambda x: np.where(x >= 0, x, 0.1 * x)),
    "relu_max": (activations.Rectifier(max_value=2.0), lambda x: np.minimum(np.maximum(x, 0), 2.0)),
    "relu_all": (
        activations.Rectifier(negative_slope=0.2, max_value=3.0, threshold=0.5),
        lambda x: np.where(x >= 3.0, 3.0, np.where(x >= 0.5, x, 0.2 * (x - 0.5))),
    ),
    "relu6": (activations.relu6, lambda x: np.minimum(np.maximum(x, 0), 6.0)),
    "hard_silu": (activations.hard_silu, lambda x: x * np.minimum(np.maximum(x + 3.0, 0), 6.0) / 6.0),
    "mish": (activations.mish, lambda x: x * np.tanh(_softplus(x))),
    "celu": (activations.celu, lambda x: np.where(x >= 0, x, np.exp(x) - 1.0)),
    "celu_alpha": (activations.CELU(alpha=0.5), lambda x: np.where(x >= 0, x, 0.5 * (np.exp(x / 0.5) - 1.0))),
    "glu": (activations.glu, lambda x: x[..., :2] * _sigmoid(x[..., 2:])),
    "glu_axis0": (activations.GLU(axis=0), lambda x: x[:2] * _sigmoid(x[2:])),
    "log_sigmoid": (activations.log_sigmoid, lambda x: np.log(_sigmoid(x))),
    "sparse_plus": (
        activations.sparse_plus,
        lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1.0) ** 2 / 4.0)),
    ),
    "squareplus": (activations.squareplus, lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0),
    "squareplus_b1": (activations.Squareplus(b=1.0), lambda x: (x + np.sqrt(x * x + 1.0)) / 2.0),
    "tanh_shrink": (activations.tanh_shrink, lambda x: x - np.tanh(x)),
    "soft_shrink": (activations.soft_shrink, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
    "soft_shrink_1": (activations.SoftShrink(threshold=1.0), lambda x: np.sign(x) * np.maximum(np.abs(x) - 1.0, 0)),
    "hard_shrink": (activations.hard_shrink, lambda x: x * (np.abs(x) > 0.5)),
    "hard_shrink_03": (activations.HardShrink(threshold=0.3), lambda x: x * (np.abs(x) > 0.3)),
    "hard_tanh": (activations.hard_tanh, lambda x: np.minimum(np.maximum(x, -1.0), 1.0)),
    "threshold": (activations.Threshold(0.2, -1.5), lambda x: np.where(x > 0.2, x, -1.5)),
}



def _simplex_projection(x):
    """Sparsemax by its definition, found another way: bisect for the `tau` with sum(max(x - tau, 0)) = 1."""
    low = x.max(axis=-1, keepdims=True) - 1.0
    high = x.max(axis=-1, keepdims=True)
    for _ in range(200):
        middle = (low + high) / 2
        too_low = np.maximum(x - middle, 0).sum(axis=-1, keepdims=True) > 1.0
        low, high = np.where(too_low, middle, low), np.where(too_low, high, middle)
    return np.maximum(x - (low + high) / 2, 0)


FORMULAS["sparse_sigmoid"] = (activations.sparse_sigmoid, lambda x: np.clip((x + 1.0) / 2.0, 0.0, 1.0))
FORMULAS["sparsemax"] = (activations.sparsemax, _simplex_projection)
FORMULAS["sparsemax_axis0"] = (
    activations.Sparsemax(axis=0),
    lambda x: np.moveaxis(_simplex_projection(np.moveaxis(x, 0, -1)), -1, 0),
)

# The points where some activation above bends or jumps: central differences need inputs away from them.
KINKS = np.array([0.0, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 6.0, -0.3, -0.5, -1.0, -3.0])

NEW_NAMES = [
    "relu6",
    "hard_silu",
    "hard_swish",
    "mish",
    "celu",
    "glu",
    "log_sigmoid",
    "sparse_plus",
    "squareplus",
    "tanh_shrink",
    "soft_shrink",
    "hard_shrink",
    "hard_tanh",
    "threshold",
    "sparse_sigmoid",
    "sparsemax",
]


def sample(seed: int, shape=(4, 4)) -> np.ndarray:
    """Normal values times 3, each moved at least 0.05 away from every kink."""
    x = np.random.default_rng(seed).normal(size=shape) * 3.0
    for point in KINKS:
        near = np.abs(x - point) < 0.05
        x[near] = point + 0.1
    return x


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_values_follow_the_formula(name):
    activation, formula = FORMULAS[name]
    x = sample(1)
    np.testing.assert_allclose(activation(x), formula(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_gradient_matches_central_differences(name):
    activation, _ = FORMULAS[name]
    x = sample(sum(map(ord, name)))
    upstream = np.random.default_rng(5).normal(size=activation(x).shape)
    numeric = numerical_gradient(lambda: np.sum(upstream * activation(x)), x)
    analytic = activation.gradient(upstream, x.copy(), activation(x))
    assert analytic.dtype == np.float64 and analytic.shape == x.shape
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_squareplus_is_accurate_far_below_zero():
    # (x + sqrt(x^2 + b)) / 2 loses every digit there in float32; the exact value is about b / (4 |x|).
    x = np.array([-1e4, -300.0], dtype=np.float32)
    exact = [float(v) for v in 4.0 / (2.0 * (np.sqrt(np.float64(x) ** 2 + 4.0) - np.float64(x)))]
    np.testing.assert_allclose(activations.squareplus(x), exact, rtol=1e-6)


EXTREME = np.array([[1e4, -1e4, 0.0, 2.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 1e4, -3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_finite_without_warnings_at_plus_minus_1e4(name, dtype):
    activation, _ = FORMULAS[name]
    x = EXTREME.astype(dtype)
    if name == "glu_axis0":
        x = np.concatenate([x, x[:1]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = activation(x)
        grad = activation.gradient(np.ones_like(y), x, y)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))
    assert y.dtype == dtype and grad.dtype == dtype


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match="even"):
        activations.glu(np.ones((2, 3)))


# ------------------------------------------------------------------ Keras's signatures and defaults
def test_keras_defaults():
    assert activations.celu.alpha == 1.0
    assert activations.glu.axis == -1
    assert activations.squareplus.b == 4.0
    assert activations.soft_shrink.threshold == 0.5 and activations.hard_shrink.threshold == 0.5
    assert activations.relu.get_config() == {}
    assert activations.Rectifier().get_config() == {"negative_slope": 0.0, "max_value": None, "threshold": 0.0}


def test_options_by_keyword_or_position_as_in_keras():
    x = sample(2)
    expected = activations.Rectifier(negative_slope=0.1, max_value=2.0, threshold=0.5)(x)
    np.testing.assert_array_equal(activations.relu(x, 0.1, 2.0, 0.5), expected)
    np.testing.assert_array_equal(activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5), expected)
    np.testing.assert_array_equal(activations.relu(x, 0.1, threshold=0.5, max_value=2.0), expected)
    np.testing.assert_array_equal(activations.threshold(x, 0.2, -1.5), FORMULAS["threshold"][1](x))
    np.testing.assert_array_equal(activations.celu(x, 0.5), activations.CELU(0.5)(x))
    np.testing.assert_array_equal(activations.squareplus(x, b=1), activations.Squareplus(1.0)(x))
    np.testing.assert_array_equal(activations.gelu(x, True), activations.gelu(x, approximate=True))
    assert activations.relu.get_config() == {} and activations.celu.alpha == 1.0
    with pytest.raises(TypeError, match="at most"):
        activations.soft_shrink(x, 0.5, 1.0)


def test_threshold_by_name_needs_its_two_arguments_like_keras():
    with pytest.raises(TypeError, match="default_value"):
        activations.get("threshold")(np.ones(3))


def test_plain_relu_stays_the_plain_type():
    # The fused Conv2D + MaxPooling2D step recognizes exactly this type as max(x, 0).
    assert type(activations.relu) is activations.ReLU and activations.relu.uses_input is False
    configured = activations.relu.with_options(max_value=6.0)
    assert type(configured) is activations.Rectifier and configured.uses_input is True


# ------------------------------------------------------------------ names and saving
@pytest.mark.parametrize("name", NEW_NAMES)
def test_by_name_and_as_module_level_instances(name):
    assert activations.get(name) is getattr(activations, name)
    assert isinstance(activations.get(name), activations.Activation)


@pytest.mark.parametrize("name", NEW_NAMES)
def test_saved_by_name(name):
    written = activations.serialize(activations.get(name))
    assert written == ("hard_silu" if name == "hard_swish" else name)
    assert activations.get(written) is activations.get(name)


@pytest.mark.parametrize(
    "activation",
    [
        activations.Rectifier(negative_slope=0.1, max_value=6.0),
        activations.Rectifier(),
        activations.CELU(alpha=0.3),
        activations.GLU(axis=1),
        activations.Squareplus(b=2.0),
        activations.SoftShrink(threshold=0.1),
        activations.HardShrink(threshold=1.5),
        activations.Threshold(0.2, -1.5),
    ],
)
def test_configured_activations_round_trip(activation):
    written = activations.serialize(activation)
    assert written["class_name"] == type(activation).__name__ and written["config"] == activation.get_config()
    again = activations.get(written)
    assert type(again) is type(activation) and again.get_config() == activation.get_config()
    x = sample(3)
    np.testing.assert_array_equal(again(x), activation(x))


# ------------------------------------------------------------------ in layers
def _dense_gradient_check(layer: layers.Dense, x: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    layer(x)
    layer.kernel[...] = rng.normal(size=layer.kernel.shape)
    layer.bias[...] = rng.normal(size=layer.bias.shape) * 0.5
    y = layer.forward(x, training=True)
    upstream = rng.normal(size=y.shape)
    analytic = layer.backward(upstream)
    numeric = numerical_gradient(lambda: np.sum(upstream * layer.forward(x)), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(set(NEW_NAMES) - {"threshold"}))
def test_dense_by_name_forward_and_backward(name):
    layer = layers.Dense(4, activation=name, dtype="float64")
    x = np.random.default_rng(7).normal(size=(3, 5))
    _dense_gradient_check(layer, x, seed=8)
    z = x @ layer.kernel + layer.bias
    np.testing.assert_array_equal(layer(x), activations.get(name)(z))
    assert layers.Dense.from_config(layer.get_config()).activation is activations.get(name)


def test_dense_with_configured_threshold_and_rectifier():
    x = np.random.default_rng(9).normal(size=(3, 5))
    _dense_gradient_check(layers.Dense(4, activation=activations.Threshold(0.1, 0.0), dtype="float64"), x, seed=10)
    _dense_gradient_check(layers.Dense(4, activation=activations.Rectifier(0.2, 1.0), dtype="float64"), x, seed=11)


@pytest.mark.parametrize("name", sorted(set(NEW_NAMES) - {"threshold"}))
def test_activation_layer_by_name(name):
    layer = layers.Activation(name, dtype="float64")
    x = sample(12, shape=(3, 6))
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y, activations.get(name)(x))
    upstream = np.random.default_rng(13).normal(size=y.shape)
    numeric = numerical_gradient(lambda: np.sum(upstream * layer.forward(x)), x)
    np.testing.assert_allclose(layer.backward(upstream), numeric, rtol=1e-6, atol=1e-8)
    assert layers.Activation.from_config(layer.get_config()).activation is activations.get(name)


@pytest.mark.parametrize(
    "options",
    [{}, {"negative_slope": 0.1}, {"max_value": 6.0}, {"negative_slope": 0.2, "max_value": 2, "threshold": 1}],
)
def test_relu_layer_and_relu_function_are_one_implementation(options):
    layer = layers.ReLU(**options)
    x = sample(14).astype(np.float32)
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y, activations.relu(x, **options))
    upstream = np.random.default_rng(15).normal(size=x.shape).astype(np.float32)
    expected = activations.Rectifier(**options).gradient(upstream, x, y)
    np.testing.assert_array_equal(layer.backward(upstream), expected)


@pytest.mark.parametrize("extension", ["keras", "h5"])
def test_models_save_and_load_with_the_new_activations(tmp_path, extension):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(6, 6, 2)),
            layers.Conv2D(3, 3, activation=activations.Rectifier(max_value=0.5)),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(5, activation="mish"),
            layers.Dense(4, activation=activations.CELU(alpha=0.5)),
            layers.Activation("hard_silu"),
            layers.Dense(3, activation=activations.Squareplus(b=1.0)),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 2)).astype(np.float32)
    path = tmp_path / f"m.{extension}"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert loaded.layers[0].activation.max_value == 0.5 and loaded.layers[4].activation.alpha == 0.5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_capped_relu_before_pooling_trains_the_same_on_both_paths():
    # A Conv2D + MaxPooling2D pair runs fused on the fast path only with the plain relu: a configured rectifier
    # must give the reference results.
    x = np.random.default_rng(2).normal(size=(8, 6, 6, 2)).astype(np.float32)
    y = np.random.default_rng(3).normal(size=(8, 4)).astype(np.float32)

    def train(fast: bool) -> list:
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input(shape=(6, 6, 2)),
                layers.Conv2D(4, 3, activation=activations.Rectifier(negative_slope=0.3, max_value=0.4)),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(4),
            ]
        )
        model.compile(optimizer="sgd", loss="mse")
        with config.fast_paths(fast):
            model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)
            return [model.predict(x, verbose=0), *model.get_weights()]

    for fast, reference in zip(train(True), train(False)):
        np.testing.assert_allclose(fast, reference, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ against live Keras
KERAS_CALLS = {
    "relu_options": ("relu", {"negative_slope": 0.2, "max_value": 2.5, "threshold": 0.5}),
    "relu_slope": ("relu", {"negative_slope": 0.1}),
    "relu_max": ("relu", {"max_value": 1.5}),
    "relu6": ("relu6", {}),
    "hard_silu": ("hard_silu", {}),
    "hard_swish": ("hard_swish", {}),
    "mish": ("mish", {}),
    "celu": ("celu", {}),
    "celu_alpha": ("celu", {"alpha": 0.5}),
    "glu": ("glu", {}),
    "glu_axis0": ("glu", {"axis": 0}),
    "log_sigmoid": ("log_sigmoid", {}),
    "sparse_plus": ("sparse_plus", {}),
    "squareplus": ("squareplus", {}),
    "squareplus_b1": ("squareplus", {"b": 1}),
    "tanh_shrink": ("tanh_shrink", {}),
    "soft_shrink": ("soft_shrink", {}),
    "soft_shrink_1": ("soft_shrink", {"threshold": 1.0}),
    "hard_shrink": ("hard_shrink", {}),
    "hard_shrink_03": ("hard_shrink", {"threshold": 0.3}),
    "hard_tanh": ("hard_tanh", {}),
    "threshold": ("threshold", {"threshold": 0.2, "default_value": -1.5}),
}


@pytest.fixture(scope="module")
def live_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    live = pytest.importorskip("keras", reason="Keras 3 is not installed: pip install '.[interop]' to compare")
    if int(live.__version__.split(".")[0]) < 3:
        pytest.skip("the comparison needs Keras 3: pip install '.[interop]'")
    return live


@pytest.mark.parametrize("case", sorted(KERAS_CALLS))
def test_values_match_live_keras(live_keras, case):
    function, options = KERAS_CALLS[case]
    x = sample(16, shape=(4, 6)).astype(np.float32)
    theirs = np.asarray(getattr(live_keras.activations, function)(x, **options))
    ours = getattr(activations, function)(x, **options)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", sorted(KERAS_CALLS))
def test_gradients_match_live_keras(live_keras, case):
    if live_keras.backend.backend() != "jax":
        pytest.skip("the Keras gradient is taken with jax.vjp")
    import jax

    function, options = KERAS_CALLS[case]
    x = sample(17, shape=(4, 6)).astype(np.float32)
    y, vjp = jax.vjp(lambda t: getattr(live_keras.activations, function)(t, **options), x)
    upstream = np.random.default_rng(18).normal(size=y.shape).astype(np.float32)
    (theirs,) = vjp(upstream)
    ours = getattr(activations, function).with_options(**options) if options else getattr(activations, function)
    np.testing.assert_allclose(ours.gradient(upstream, x, ours(x)), np.asarray(theirs), rtol=1e-5, atol=1e-6)
