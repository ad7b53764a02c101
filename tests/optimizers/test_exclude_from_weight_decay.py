"""`optimizer.exclude_from_weight_decay(var_list, var_names)` as Keras 3: excluded weights get no weight decay,
on the fast path (flat arrays) and on the reference path (weight by weight) alike."""

import contextlib
import re

import numpy as np
import pytest

import minikeras
from minikeras import config, optimizers

PATHS = pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])

# Every optimizer, with weight decay, and the same one without it.
DECAYING = {
    "sgd": (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}),
    "adam": (optimizers.Adam, {"learning_rate": 0.01}),
    "adamw": (optimizers.AdamW, {"learning_rate": 0.01}),
    "nadam": (optimizers.Nadam, {"learning_rate": 0.01}),
    "rmsprop": (optimizers.RMSprop, {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    "adagrad": (optimizers.Adagrad, {"learning_rate": 0.05}),
    "adadelta": (optimizers.Adadelta, {"learning_rate": 1.0}),
}


def _path(fast):
    return contextlib.nullcontext() if fast else config.fast_paths(False)


def _decaying(name, decay=0.1):
    cls, kwargs = DECAYING[name]
    return cls(**kwargs, weight_decay=decay)


def _not_decaying(name):
    cls, kwargs = DECAYING[name]
    if cls is optimizers.AdamW:  # AdamW needs a decay: Adam is the same without it
        cls = optimizers.Adam
    return cls(**kwargs)


def _run(optimizer, exclude=None, steps=4):
    """`steps` steps on three weights named dense/kernel, dense/bias, out/kernel; `exclude(optimizer, params)`
    configures the exclusion first. Returns the weights after each step."""
    rng = np.random.default_rng(7)
    params = [rng.normal(size=shape).astype(np.float32) for shape in [(4, 3), (3,), (3, 2)]]
    optimizer.set_weight_names(params, ["dense/kernel", "dense/bias", "out/kernel"])
    if exclude is not None:
        exclude(optimizer, params)
    history = []
    for _ in range(steps):
        grads = [rng.normal(size=p.shape).astype(np.float32) for p in params]
        optimizer.apply(zip(params, grads))
        history.append([p.copy() for p in params])
    return history


@PATHS
@pytest.mark.parametrize("name", sorted(DECAYING))
@pytest.mark.parametrize(
    "exclude, excluded",
    [
        (lambda opt, params: opt.exclude_from_weight_decay(var_names=["bias"]), [False, True, False]),
        (lambda opt, params: opt.exclude_from_weight_decay(var_list=[params[0], params[2]]), [True, False, True]),
        (lambda opt, params: opt.exclude_from_weight_decay(var_list=[params[1]], var_names=["^k"]), [True] * 3),
        (lambda opt, params: opt.exclude_from_weight_decay(var_names=["dense", "out"]), [False] * 3),  # names only
    ],
    ids=["names", "arrays", "both", "layer_names_match_nothing"],
)
def test_excluded_weights_move_exactly_as_without_decay(name, exclude, excluded, fast):
    with _path(fast):
        with_decay = _run(_decaying(name), exclude)
        without = _run(_not_decaying(name))
    for step, (got, plain) in enumerate(zip(with_decay, without, strict=True)):
        for index, (a, b) in enumerate(zip(got, plain, strict=True)):
            if excluded[index]:
                np.testing.assert_array_equal(a, b, err_msg=f"step {step}, weight {index}")
            else:
                assert not np.allclose(a, b, rtol=1e-7, atol=0), f"weight {index} was not decayed"


@pytest.mark.parametrize("name", sorted(DECAYING))
def test_the_fast_and_the_reference_path_agree_bit_for_bit(name):
    def exclude(opt, params):
        opt.exclude_from_weight_decay(var_list=[params[2]], var_names=["bias"])

    fast = _run(_decaying(name), exclude)
    with config.fast_paths(False):
        reference = _run(_decaying(name), exclude)
    for a_step, b_step in zip(fast, reference, strict=True):
        for a, b in zip(a_step, b_step, strict=True):
            np.testing.assert_array_equal(a, b)


def _model():
    minikeras.utils.set_random_seed(11)
    return minikeras.Sequential(
        [
            minikeras.Input(shape=(6,)),
            minikeras.layers.Dense(5, activation="relu"),
            minikeras.layers.BatchNormalization(),
            minikeras.layers.Dense(3, activation="softmax"),
        ]
    )


def _fit(model, optimizer, epochs=2):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 6)).astype(np.float32), rng.integers(0, 3, 32)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)


@PATHS
@pytest.mark.parametrize("name", ["sgd", "adamw", "rmsprop"])
def test_a_model_with_every_weight_excluded_trains_as_without_decay(name, fast):
    with _path(fast):
        excluded = _model()
        optimizer = _decaying(name, decay=0.5)
        optimizer.exclude_from_weight_decay(var_names=["kernel", "bias", "gamma", "beta"])
        excluded_history = _fit(excluded, optimizer)
        plain = _model()
        plain_history = _fit(plain, _not_decaying(name))
        decayed = _model()
        _fit(decayed, _decaying(name, decay=0.5))
    for a, b in zip(excluded.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert excluded_history.history == plain_history.history
    assert not all(np.array_equal(a, b) for a, b in zip(decayed.get_weights(), plain.get_weights(), strict=True))


def test_the_model_tells_the_optimizer_its_weights_names():
    model = _model()
    optimizer = optimizers.AdamW(0.01, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma"])
    _fit(model, optimizer, epochs=1)
    decays = {
        f"{layer.name}/{key}": optimizer.weight_decay_applies(weight)
        for layer in model.layers
        for key, weight in zip(layer.weight_names, layer.trainable_weights)
    }
    dense, norm, out = (layer.name for layer in model.layers)
    assert decays == {
        f"{dense}/kernel": True,
        f"{dense}/bias": False,
        f"{norm}/gamma": False,
        f"{norm}/beta": True,
        f"{out}/kernel": True,
        f"{out}/bias": False,
    }


def test_train_on_batch_tells_the_names_too():
    model = _model()
    optimizer = optimizers.SGD(0.1, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["kernel"])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.train_on_batch(np.ones((4, 6), np.float32), np.zeros(4, int))
    assert not optimizer.weight_decay_applies(model.layers[0].kernel)
    assert optimizer.weight_decay_applies(model.layers[0].bias)


def test_each_call_replaces_the_previous_exclusions_as_keras():
    optimizer = optimizers.SGD(0.1, weight_decay=0.1)
    kernel, bias = np.ones((2, 2)), np.ones(2)
    optimizer.set_weight_names([kernel, bias], ["d/kernel", "d/bias"])
    optimizer.exclude_from_weight_decay(var_list=[kernel])
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    assert optimizer.weight_decay_applies(kernel) and not optimizer.weight_decay_applies(bias)
    optimizer.exclude_from_weight_decay()
    assert optimizer.weight_decay_applies(kernel) and optimizer.weight_decay_applies(bias)


def test_a_weight_without_a_name_is_matched_by_array_only():
    optimizer = optimizers.SGD(0.1, weight_decay=0.1)
    named, unnamed = np.ones(2), np.ones(2)
    optimizer.set_weight_names([named], ["d/bias"])
    optimizer.exclude_from_weight_decay(var_list=[unnamed], var_names=["bias"])
    assert not optimizer.weight_decay_applies(named) and not optimizer.weight_decay_applies(unnamed)
    assert optimizer.weight_decay_applies(np.ones(2))


def test_the_exclusions_are_not_part_of_the_config_as_keras():
    optimizer = optimizers.AdamW(0.01)
    before = optimizer.get_config()
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    assert optimizer.get_config() == before


# ------------------------------------------------------------------ when and what
@pytest.mark.parametrize(
    "build",
    [
        lambda opt: opt.build([np.ones(2)]),
        lambda opt: opt.apply([(np.ones(2), np.ones(2))]),
        lambda opt: _fit(_model(), opt, epochs=1),
    ],
    ids=["build", "apply", "fit"],
)
def test_after_the_optimizer_is_built_it_still_applies_from_the_next_step_as_keras_does(build):
    optimizer = optimizers.AdamW(0.01)
    optimizer.exclude_from_weight_decay(var_names=["bias"])  # before: fine
    assert not optimizer.built
    build(optimizer)
    assert optimizer.built
    weight = np.ones(3)
    optimizer.exclude_from_weight_decay(var_list=[weight])  # after: Keras accepts it too (it replaces the names)
    assert not optimizer.weight_decay_applies(weight)
    assert optimizer.weight_decay_applies(np.ones(3))


@pytest.mark.parametrize(
    "kwargs, error, phrase",
    [
        ({"var_names": "bias"}, TypeError, "var_names must be a list of strings"),
        ({"var_names": ["bias", 3]}, TypeError, "var_names must hold strings"),
        ({"var_list": [minikeras.layers.Dense(2)]}, TypeError, "var_list must hold the weight arrays"),
        ({"var_names": ["["]}, re.error, "unterminated character set"),  # Keras: re.compile's own error
    ],
    ids=["string", "not_a_string", "a_layer", "bad_pattern"],
)
def test_bad_arguments_are_refused_and_change_nothing(kwargs, error, phrase):
    optimizer = optimizers.SGD(0.1, weight_decay=0.1)
    bias = np.ones(2)
    optimizer.set_weight_names([bias], ["d/bias"])
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    with pytest.raises(error, match=re.escape(phrase)):
        optimizer.exclude_from_weight_decay(**kwargs)
    assert not optimizer.weight_decay_applies(bias)  # the earlier exclusion stands


def test_weight_names_must_pair_with_weights():
    with pytest.raises(ValueError, match="2 weights but 1 names"):
        optimizers.SGD().set_weight_names([np.ones(1), np.ones(1)], ["a/kernel"])


def test_the_weights_of_a_nested_model_are_named_too():
    inner = minikeras.Sequential([minikeras.Input(shape=(6,)), minikeras.layers.Dense(4, name="inner_dense")])
    model = minikeras.Sequential([minikeras.Input(shape=(6,)), inner, minikeras.layers.Dense(3, activation="softmax")])
    optimizer = optimizers.AdamW(0.01)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    _fit(model, optimizer, epochs=1)
    assert not optimizer.weight_decay_applies(inner.layers[0].bias)
    assert optimizer.weight_decay_applies(inner.layers[0].kernel)
    assert not optimizer.weight_decay_applies(model.layers[1].bias)
