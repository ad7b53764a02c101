"""Adamax, Ftrl, Lion, Lamb and Adafactor in minikeras's own model files (.keras, .h5, .weights.h5): the
optimizer, its config and every state variable (Adafactor's factored moments, shaped unlike their weights,
included) come back, and training continues exactly as without saving."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, optimizers

OPTIMIZERS = {
    "adamax": lambda: optimizers.Adamax(learning_rate=0.01, epsilon=1e-6),
    "ftrl": lambda: optimizers.Ftrl(learning_rate=0.2, initial_accumulator_value=0.3, beta=0.1),
    "lion": lambda: optimizers.Lion(learning_rate=0.002),
    "lamb": lambda: optimizers.Lamb(learning_rate=0.01, weight_decay=0.01),
    "adafactor": lambda: optimizers.Adafactor(
        learning_rate=optimizers.schedules.CosineDecayRestarts(0.05, 2, m_mul=0.5)
    ),
}


def _model(optimizer):
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input(shape=(5, 5, 2)),
            layers.Conv2D(3, 2, activation="tanh"),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def _data():
    rng = np.random.default_rng(4)
    return rng.normal(size=(16, 5, 5, 2)).astype(np.float32), rng.integers(0, 3, 16)


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".weights.h5"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_saved_optimizer_continues_as_if_never_saved(tmp_path, name, suffix):
    x, y = _data()
    model = _model(OPTIMIZERS[name]())
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / f"m{suffix}"
    if suffix == ".weights.h5":
        model.save_weights(path)
        back = _model(OPTIMIZERS[name]())
        back.load_weights(path)
    else:
        model.save(path)
        back = keras.models.load_model(path)
    assert type(back.optimizer) is type(model.optimizer)
    assert back.optimizer.get_config() == model.optimizer.get_config()
    assert back.optimizer.iterations == model.optimizer.iterations == 2
    assert back.optimizer.variable_names == model.optimizer.variable_names
    for a, b in zip(model.optimizer.variables, back.optimizer.variables, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    back.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), back.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_adafactor_factors_weights_of_two_or_more_dimensions():
    optimizer = optimizers.Adafactor()
    kernel, bias, scalar = np.ones((2, 3, 4, 5), np.float32), np.ones(5, np.float32), np.ones((), np.float32)
    optimizer.build([kernel, bias, scalar])
    assert [(v.shape, v.dtype) for v in optimizer.variables[2:]] == [
        ((2, 3, 4), np.float32),
        ((2, 3, 5), np.float32),
        ((2, 3, 4, 5), np.float32),
        ((), np.int32),
        ((), np.int32),
        ((5,), np.float32),
        ((), np.int32),
        ((), np.int32),
        ((), np.float32),
    ]
    optimizer.apply([(kernel, np.full_like(kernel, 0.5)), (bias, -bias), (scalar, scalar)])
    assert np.all(kernel < 1) and np.all(bias > 1) and scalar < 1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: optimizers.Lion(beta_1=0.0), "Argument `beta_1` must be in the \\[0, 1\\] range"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), "`learning_rate_power` needs to be negative or zero"),
        (lambda: optimizers.Ftrl(initial_accumulator_value=-1), "`initial_accumulator_value` needs to be positive"),
        (lambda: optimizers.Ftrl(l1_regularization_strength=-1), "`l1_regularization_strength` needs to be positive"),
        (lambda: optimizers.Adamax(beta_1=1.0), "beta_1 must be in"),
        (lambda: optimizers.Lamb(beta_2=-0.1), "beta_2 must be in"),
        (
            lambda: optimizers.Adafactor(gradient_accumulation_steps=1),
            "`gradient_accumulation_steps` must be an integer >= 2",
        ),
        (lambda: optimizers.schedules.PolynomialDecay(0.1, 0), "Argument `decay_steps` must be > 0"),
        (lambda: optimizers.schedules.CosineDecayRestarts(0.1, -2), "Argument `first_decay_steps` must be > 0"),
    ],
)
def test_bad_arguments_are_refused_in_keras_words(make, message):
    with pytest.raises(ValueError, match=message):
        make()
