"""Initializers by name, with Keras's fan rules and seeds."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import initializers

SHAPE = (3, 3, 40, 60)  # a conv kernel: fan_in = 360, fan_out = 540
FAN_IN, FAN_OUT = 360, 540

EXPECTED_STD = {
    "he_normal": np.sqrt(2 / FAN_IN),
    "he_uniform": np.sqrt(2 / FAN_IN),
    "glorot_normal": np.sqrt(2 / (FAN_IN + FAN_OUT)),
    "glorot_uniform": np.sqrt(2 / (FAN_IN + FAN_OUT)),
    "lecun_normal": np.sqrt(1 / FAN_IN),
    "lecun_uniform": np.sqrt(1 / FAN_IN),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_STD))
def test_variance_scaling_family_has_the_keras_spread(name):
    values = initializers.get(name)(SHAPE)
    assert values.dtype == np.float32
    assert values.std() == pytest.approx(EXPECTED_STD[name], rel=0.05)
    assert abs(values.mean()) < 0.01
    if name.endswith("uniform"):
        assert np.abs(values).max() <= np.sqrt(3) * EXPECTED_STD[name] + 1e-6
    else:  # truncated at two standard deviations of the untruncated normal
        assert np.abs(values).max() <= 2 * EXPECTED_STD[name] / 0.87962566103423978 + 1e-6


@pytest.mark.parametrize(
    "name, kwargs, check",
    [
        (
            "random_normal",
            {"mean": 1.0, "stddev": 0.5},
            lambda v: abs(v.mean() - 1) < 0.02 and abs(v.std() - 0.5) < 0.02,
        ),
        (
            "random_uniform",
            {"minval": -2.0, "maxval": 3.0},
            lambda v: v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.05,
        ),
        ("truncated_normal", {"stddev": 0.3}, lambda v: np.abs(v).max() <= 0.6 + 1e-6),
        ("constant", {"value": 0.7}, lambda v: np.all(v == np.float32(0.7))),
        ("ones", {}, lambda v: np.all(v == 1)),
        ("zeros", {}, lambda v: np.all(v == 0)),
    ],
)
def test_simple_initializers(name, kwargs, check):
    initializer = initializers.get({"class_name": name, "config": kwargs}) if kwargs else initializers.get(name)
    assert check(initializer((200, 100)))


@pytest.mark.parametrize("shape", [(30, 30), (50, 20), (20, 50), (3, 3, 4, 12)])
def test_orthogonal_is_orthogonal(shape):
    values = initializers.Orthogonal(gain=2.0, seed=1)(shape).astype(np.float64)
    matrix = values.reshape(-1, shape[-1])
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)


@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "random_normal", "truncated_normal", "orthogonal"])
def test_seeded_initializers_repeat_and_unseeded_ones_follow_set_random_seed(name):
    seeded = initializers.get({"class_name": name, "config": {"seed": 7}})
    np.testing.assert_array_equal(seeded((4, 5)), seeded((4, 5)))
    keras.utils.set_random_seed(3)
    first = initializers.get(name)((4, 5))
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(first, initializers.get(name)((4, 5)))
    assert initializers.get(name)((4, 5), dtype="float64").dtype == np.float64


def test_config_round_trip_by_class_name():
    initializer = initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=3)
    twin = initializers.get(initializers.serialize(initializer))
    assert type(twin) is initializers.VarianceScaling and twin.get_config() == initializer.get_config()


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
    keras.utils.set_random_seed(123)
    first = [initializer((4, 3)), initializer((4, 3))]
    keras.utils.set_random_seed(123)
    second = [initializer((4, 3)), initializer((4, 3))]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # successive draws differ


@pytest.mark.parametrize("name", ["zeros", "glorot_uniform", "he_normal"])
def test_dtypes(name):
    initializer = initializers.get(name)
    assert initializer((2, 3)).dtype == np.float32
    assert initializer((2, 3), dtype="float64").dtype == np.float64


def test_get_of_none_is_none_as_in_keras():
    from minikeras import optimizers

    assert initializers.get(None) is None
    assert optimizers.get(None) is None


@pytest.mark.parametrize(
    "name, cls, config",
    [
        ("uniform", initializers.RandomUniform, {"minval": -0.05, "maxval": 0.05, "seed": None}),
        ("normal", initializers.RandomNormal, {"mean": 0.0, "stddev": 0.05, "seed": None}),
        ("zero", initializers.Zeros, {}),
        ("one", initializers.Ones, {}),
        ("identity", initializers.Identity, {"gain": 1.0}),
    ],
)
def test_keras_2_names_found_in_old_files(name, cls, config):
    initializer = initializers.get(name)
    assert type(initializer) is cls and initializer.get_config() == config


def test_identity_is_gain_times_the_identity_and_refuses_other_ranks():
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), 2.0 * np.eye(2, 3))
    assert initializers.Identity()((3, 3), dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="only be used for 2D matrices.*rank 3"):
        initializers.Identity()((2, 2, 2))


def test_constant_with_an_array_round_trips_through_keras_numpy_config():
    value = np.array([1.0, 2.0, 3.0])
    constant = initializers.Constant(value)
    config = initializers.serialize(constant)
    assert config["config"]["value"] == {
        "class_name": "__numpy__",
        "config": {"value": [1.0, 2.0, 3.0], "dtype": "float64"},
    }
    twin = initializers.get(config)
    np.testing.assert_array_equal(twin((2, 3)), np.tile(value, (2, 1)))
    with pytest.raises(ValueError, match="cannot fill a weight of shape"):
        twin((2, 4))
    with pytest.raises(ValueError, match="must be numeric"):
        initializers.Constant({"class_name": "__numpy__", "config": {"value": ["a"], "dtype": "str"}})


def test_a_weight_without_an_initializer_gets_keras_default():
    from minikeras import layers

    layer = layers.Dense(3)
    weight = layer.add_weight("w", (40, 30), initializer=None).numpy()
    limit = np.sqrt(6 / 70)
    assert weight.std() > 0 and np.abs(weight).max() <= limit
