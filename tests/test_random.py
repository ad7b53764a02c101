"""`minikeras.random` (Keras 3's `keras.random`): Keras's seed rules, the distributions' shapes, dtypes, ranges and
moments, dropout and shuffle (also under autograd), and the errors Keras raises."""

import numpy as np
import pytest

import minikeras
from minikeras import random, utils

DRAWS = {
    "normal": lambda seed: random.normal((3, 4), seed=seed),
    "uniform": lambda seed: random.uniform((3, 4), seed=seed),
    "truncated_normal": lambda seed: random.truncated_normal((3, 4), seed=seed),
    "randint": lambda seed: random.randint((3, 4), 0, 100, seed=seed),
    "categorical": lambda seed: random.categorical(np.zeros((2, 5)), 6, seed=seed),
    "gamma": lambda seed: random.gamma((3,), 2.0, seed=seed),
    "beta": lambda seed: random.beta((3,), 2.0, 3.0, seed=seed),
    "binomial": lambda seed: random.binomial((3,), 10, 0.3, seed=seed),
    "dropout": lambda seed: random.dropout(np.ones((4, 5)), 0.5, seed=seed),
    "shuffle": lambda seed: random.shuffle(np.arange(20), seed=seed),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_an_int_seed_gives_the_same_numbers_at_every_call(name):
    np.testing.assert_array_equal(DRAWS[name](42), DRAWS[name](42))
    assert not np.array_equal(DRAWS[name](42), DRAWS[name](43))


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_seed_generator_draws_anew_each_call_and_repeats_its_sequence(name):
    first, second = random.SeedGenerator(7), random.SeedGenerator(7)
    a, b = DRAWS[name](first), DRAWS[name](first)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(DRAWS[name](second), a)
    np.testing.assert_array_equal(DRAWS[name](second), b)


def test_unseeded_draws_repeat_after_set_random_seed():
    utils.set_random_seed(3)
    a = random.normal((5,))
    generator_a = random.SeedGenerator()
    utils.set_random_seed(3)
    np.testing.assert_array_equal(random.normal((5,)), a)
    np.testing.assert_array_equal(
        random.normal((2,), seed=random.SeedGenerator()), random.normal((2,), seed=generator_a)
    )
    assert not np.array_equal(random.normal((5,)), a)  # the global generator moves on


def test_seed_generator_state_config_and_errors():
    generator = random.SeedGenerator(1337, name="noise_seed")
    assert generator.state.tolist() == [1337, 0] and generator.state.dtype == np.uint32
    assert generator.next().tolist() == [1337, 0] and generator.state.tolist() == [1337, 1]
    assert generator.get_config() == {"seed": 1337, "name": "noise_seed"}
    clone = random.SeedGenerator.from_config(generator.get_config())
    np.testing.assert_array_equal(random.normal((3,), seed=clone), random.normal((3,), seed=random.SeedGenerator(1337)))
    assert random.SeedGenerator().get_config()["seed"] is None
    with pytest.raises(ValueError, match="Argument `seed` must be an integer"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        random.SeedGenerator(1, dtype="int32")
    with pytest.raises(ValueError, match="Argument `seed` must be either an integer or an instance of `SeedGenerator`"):
        random.normal((2,), seed="seed")


def test_shapes_dtypes_and_ranges():
    assert random.normal((2, 3)).dtype == np.float32 and random.normal(4).shape == (4,)
    assert random.normal((2,), dtype="float64").dtype == np.float64
    u = random.uniform((1000,), minval=-2.0, maxval=3.0, seed=1)
    assert u.dtype == np.float32 and u.min() >= -2.0 and u.max() < 3.0
    t = random.truncated_normal((10_000,), mean=1.0, stddev=0.5, seed=1)
    assert t.min() > 0.0 and t.max() < 2.0
    r = random.randint((1000,), 3, 7, seed=1)
    assert r.dtype == np.int32 and set(np.unique(r)) == {3, 4, 5, 6}
    assert random.randint((2,), 0, 5, dtype="int64").dtype == np.int64
    c = random.categorical(np.log([[0.7, 0.2, 0.1]]), 20_000, seed=2)
    assert c.shape == (1, 20_000) and c.dtype == np.int32
    np.testing.assert_allclose(np.bincount(c[0]) / 20_000, [0.7, 0.2, 0.1], atol=0.01)


def test_moments_of_the_distributions():
    n = (200_000,)
    normal = random.normal(n, mean=2.0, stddev=3.0, dtype="float64", seed=5)
    assert abs(normal.mean() - 2.0) < 0.03 and abs(normal.std() - 3.0) < 0.03
    # the standard normal cut at +-2 has standard deviation 0.8796
    assert abs(random.truncated_normal(n, dtype="float64", seed=5).std() - 0.8796) < 0.005
    assert abs(random.gamma(n, 2.0, seed=5).mean() - 2.0) < 0.02
    assert abs(random.beta(n, 2.0, 3.0, seed=5).mean() - 0.4) < 0.005
    assert abs(random.binomial(n, 10, 0.3, seed=5).mean() - 3.0) < 0.02


def test_dtype_errors():
    with pytest.raises(ValueError, match="floating point"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer"):
        random.randint((2,), 0, 3, dtype="float32")


def test_dropout_drops_at_the_rate_and_rescales():
    x = np.ones((400, 500), dtype=np.float32)
    y = random.dropout(x, 0.3, seed=0)
    assert y.dtype == np.float32
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y == 0).mean() - 0.3) < 0.005
    np.testing.assert_array_equal(random.dropout(x, 0.0), x)
    np.testing.assert_array_equal(random.dropout(x, 1.0), np.zeros_like(x))
    with pytest.raises(ValueError, match="`rate` must be between 0 and 1"):
        random.dropout(x, 1.5)


def test_dropout_noise_shape_broadcasts_the_mask():
    x = np.ones((8, 5, 6))
    y = random.dropout(x, 0.5, noise_shape=(None, 1, 6), seed=1)
    assert np.all(y == y[:, :1, :])  # the same features dropped at every step
    assert 0 < (y == 0).mean() < 1


def test_shuffle_permutes_along_the_axis():
    x = np.arange(24).reshape(4, 6)
    y = random.shuffle(x, axis=1, seed=3)
    np.testing.assert_array_equal(np.sort(y, axis=1), x)
    assert not np.array_equal(y, x)
    assert np.all(np.diff(y[:, 0]) == 6)  # whole columns move


def test_dropout_and_shuffle_differentiate_under_autograd():
    autograd = pytest.importorskip("autograd")
    x = np.arange(1.0, 13.0).reshape(3, 4)
    mask = random.dropout(np.ones((3, 4)), 0.5, seed=9)
    np.testing.assert_allclose(autograd.grad(lambda v: minikeras.ops.sum(random.dropout(v, 0.5, seed=9)))(x), mask)
    weights = np.arange(12.0).reshape(3, 4)
    order = random.shuffle(np.arange(3), seed=4)
    gradient = autograd.grad(lambda v: minikeras.ops.sum(random.shuffle(v, seed=4) * weights))(x)
    np.testing.assert_allclose(gradient[order], weights)


def test_a_layer_draws_new_noise_per_call_with_its_seed_generator():
    # The keras.io pattern: the generator is an attribute of the layer, passed as `seed`.
    class Noise:
        def __init__(self):
            self.seed_generator = random.SeedGenerator(1337)

        def call(self, x):
            return x + random.normal(minikeras.ops.shape(x), seed=self.seed_generator)

    layer, twin = Noise(), Noise()
    first, second = layer.call(np.zeros((2, 3))), layer.call(np.zeros((2, 3)))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(twin.call(np.zeros((2, 3))), first)
