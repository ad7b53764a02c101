"""Activations (values, vector-Jacobian products, extremes, lookup) and initializers (spread, seeds, dtypes)."""

import numpy as np
import pytest
from gradcheck import numerical_gradient

import minikeras
from minikeras import activations, initializers


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
def test_gradient_matches_central_differences(name):
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


# ------------------------------------------------------------------ initializers
@pytest.mark.parametrize(
    "shape, fan_in, fan_out",
    [((64, 32), 64, 32), ((3, 3, 16, 8), 3 * 3 * 16, 3 * 3 * 8), ((5, 20, 10), 5 * 20, 5 * 10)],
)
def test_glorot_uniform_bounds(shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    values = initializers.get("glorot_uniform")(shape)
    assert values.shape == shape
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.95 * limit  # fills the whole interval, not a narrower one
    assert values.std() == pytest.approx(limit / np.sqrt(3), rel=0.1)


def test_zeros():
    values = initializers.get("zeros")((3, 4))
    assert values.shape == (3, 4) and not values.any()


@pytest.mark.parametrize("shape, fan_in", [((400, 300), 400), ((3, 3, 32, 64), 3 * 3 * 32)])
def test_he_normal_spread(shape, fan_in):
    values = initializers.get("he_normal")(shape, dtype="float64")
    assert abs(values.mean()) < 0.05 * np.sqrt(2.0 / fan_in)
    assert values.std() == pytest.approx(np.sqrt(2.0 / fan_in), rel=0.05)


@pytest.mark.parametrize("cls", [initializers.GlorotUniform, initializers.HeNormal, initializers.RandomNormal])
def test_seeded_initializers_repeat(cls):
    shape = (6, 5)
    first, again = cls(seed=11)(shape), cls(seed=11)(shape)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, cls(seed=11)(shape))
    assert not np.array_equal(first, cls(seed=12)(shape))


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "random_uniform"])
def test_set_random_seed_makes_unseeded_draws_repeat(name):
    initializer = initializers.get(name)
    minikeras.utils.set_random_seed(123)
    first = [initializer((4, 3)), initializer((4, 3))]
    minikeras.utils.set_random_seed(123)
    second = [initializer((4, 3)), initializer((4, 3))]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # successive draws differ


@pytest.mark.parametrize("name", ["zeros", "glorot_uniform", "he_normal"])
def test_dtypes(name):
    initializer = initializers.get(name)
    assert initializer((2, 3)).dtype == np.float32
    assert initializer((2, 3), dtype="float64").dtype == np.float64
