"""A Sequential model used as a layer of another, pickling and deep-copying models, and Keras's
errors for changing `model.layers` or adding a second Input."""

import copy
import pickle

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]


def _nested(seed=0):
    keras.utils.set_random_seed(seed)
    inner = keras.Sequential(
        [keras.Input((6,)), layers.Dense(8, activation="relu", kernel_regularizer="l2"), layers.Dense(5)], name="inner"
    )
    model = keras.Sequential([inner, layers.Dense(3, activation="softmax")], name="outer")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _flat_twin(nested):
    """The same computation with every layer written out in one model, and the same weights."""
    inner = nested.layers[0]
    flat = keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(8, activation="relu", kernel_regularizer="l2"),
            layers.Dense(5),
            layers.Dense(3, activation="softmax"),
        ]
    )
    flat.set_weights(inner.get_weights() + nested.layers[1].get_weights())
    flat.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    return flat


def test_a_nested_model_is_one_entry_that_takes_its_input_shape_along():
    model = _nested()
    assert [layer.name for layer in model.layers] == ["inner", model.layers[1].name]
    assert model.input_shape == (None, 6) and model.output_shape == (None, 3)
    assert model.count_params() == (6 * 8 + 8) + (8 * 5 + 5) + (5 * 3 + 3)
    assert len(model.weights) == 6 and len(model.layers[0].weights) == 4
    lines = []
    model.summary(print_fn=lines.append)
    assert "inner (Sequential)" in lines[0] and "│ (None, 5)" in lines[0]


@pytest.mark.parametrize("fast", [True, False])
def test_training_a_nested_model_equals_training_the_layers_written_out(fast):
    x, y = _data()
    nested = _nested()
    flat = _flat_twin(nested)
    with config.fast_paths(fast):
        h_nested = nested.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
        h_flat = flat.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_nested.history["loss"], h_flat.history["loss"], rtol=1e-6)
    for a, b in zip(nested.get_weights(), flat.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert len(nested.losses) == 1  # the inner Dense's kernel penalty counts


def test_a_frozen_inner_model_keeps_its_weights():
    x, y = _data()
    model = _nested()
    inner = model.layers[0]
    inner.trainable = False
    before = inner.get_weights()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(before, inner.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2


def test_the_nested_model_used_alone_backpropagates_to_its_input():
    inner = _nested().layers[0]
    x = np.random.default_rng(3).normal(size=(4, 6)).astype(np.float64)
    inner.set_weights([w.astype(np.float64) for w in inner.get_weights()])
    out = inner.forward(x.astype(np.float32), training=True)
    grad_x = inner.backward(np.ones_like(out))
    assert grad_x.shape == x.shape
    # central differences of sum(output) with respect to one input value
    eps = 1e-2
    bumped = x.copy()
    bumped[1, 2] += eps
    lowered = x.copy()
    lowered[1, 2] -= eps
    numeric = (inner(bumped).sum() - inner(lowered).sum()) / (2 * eps)
    assert grad_x[1, 2] == pytest.approx(numeric, rel=1e-2, abs=1e-3)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_nested_model_round_trips_through_files(tmp_path, suffix):
    x, y = _data()
    model = _nested()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = keras.models.load_model(tmp_path / f"m{suffix}")
    assert [type(layer).__name__ for layer in loaded.layers] == ["Sequential", "Dense"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # training carries on exactly where it stopped (optimizer state included)
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_weights_file_of_a_nested_model_is_laid_out_as_keras_lays_it(tmp_path):
    import h5py

    model = _nested()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        assert f["layers/sequential/layers/dense/vars/0"].shape == (6, 8)
        assert f["layers/sequential/layers/dense_1/vars/1"].shape == (5,)
        assert len(f["layers/sequential/vars"]) == 0
        assert f["layers/dense/vars/0"].shape == (5, 3)


def test_pickle_and_deepcopy_give_an_independent_model_with_the_same_state():
    x, y = _data()
    model = _nested()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert twin.name == model.name and twin.optimizer.iterations == model.optimizer.iterations
        np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
        assert all(a is not b for a, b in zip(twin.weights, model.weights))
        twin.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
        assert not np.array_equal(twin.get_weights()[0], model.get_weights()[0])
    copied, original = copy.deepcopy(model), model
    copied.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    original.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(copied.get_weights(), original.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_an_unbuilt_uncompiled_model_copies_too():
    model = keras.Sequential([layers.Dense(2)], name="later")
    twin = copy.deepcopy(model)
    assert twin.name == "later" and not twin.built and twin.optimizer is None
    assert twin.predict(np.ones((3, 4), np.float32), verbose=0).shape == (3, 2)


def test_the_layer_list_cannot_be_assigned():
    model = _nested()
    with pytest.raises(AttributeError, match="`Sequential.layers` attribute is reserved"):
        model.layers = []
    assert len(model.layers) == 2


def test_a_second_input_is_refused_as_keras_refuses_it():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="has already been configured to use input shape"):
        model.add(keras.Input((3,)))
    with pytest.raises(ValueError, match="cannot be added to itself"):
        model.add(model)


def test_clone_model_clones_a_nested_model_layer_by_layer():
    model = _nested()
    clone = keras.models.clone_model(model)
    assert [type(layer).__name__ for layer in clone.layers] == ["Sequential", "Dense"]
    assert clone.layers[0] is not model.layers[0]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
