"""Keras's small helpers and the aliases of its namespaces, against Keras itself (runs with the `interop` extra)."""

import os

import numpy as np
import pytest

import minikeras

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", reason="Keras 3 is not installed: pip install '.[interop]'")

SEQUENCES = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"maxlen": 4}, {"maxlen": 2, "padding": "post", "truncating": "post", "value": -1}, {"maxlen": 7}],
)
def test_pad_sequences_equals_keras(kwargs):
    ours = minikeras.utils.pad_sequences(SEQUENCES, **kwargs)
    theirs = keras.utils.pad_sequences(SEQUENCES, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("axis, order", [(-1, 2), (-1, 1), (1, 2)])
def test_normalize_equals_keras(axis, order):
    x = np.random.default_rng(0).normal(size=(4, 3))
    x[1] = 0
    np.testing.assert_allclose(
        minikeras.utils.normalize(x, axis, order), np.asarray(keras.utils.normalize(x, axis, order)), rtol=1e-6
    )


def test_sparse_sigmoid_equals_keras():
    x = np.random.default_rng(1).normal(scale=1.5, size=(5, 7)).astype(np.float32)
    np.testing.assert_allclose(minikeras.activations.sparse_sigmoid(x), keras.activations.sparse_sigmoid(x), atol=1e-7)


def test_sparsemax_equals_keras_where_keras_is_right():
    # Keras 3.15.1's sparsemax takes tau from the sum of the running sums over the support, which equals the
    # definition's (sum of the support's values - 1) / k only when the support has one element; minikeras follows
    # the definition (tests/test_activations_keras3.py checks it against a bisection), so rows are compared here
    # where Keras's support has a single element, and everywhere the output is checked to be a distribution.
    x = np.array([[1.0, 2.0, 3.5], [0.2, -1.0, 3.0], [5.0, 0.0, 0.1]], dtype=np.float32)
    np.testing.assert_allclose(minikeras.activations.sparsemax(x), keras.activations.sparsemax(x), atol=1e-7)
    wide = np.array([[0.1, 0.2, 0.15]], dtype=np.float32)
    np.testing.assert_allclose(minikeras.activations.sparsemax(wide).sum(), 1.0, rtol=1e-6)


def test_the_aliases_keras_scripts_use_exist():
    for module, names in {
        "initializers": ["glorot_uniform", "he_normal", "zeros", "IdentityInitializer", "OrthogonalInitializer"],
        "regularizers": ["l1", "l2", "l1_l2"],
        "activations": ["deserialize", "sparse_sigmoid", "sparsemax"],
        "utils": ["pad_sequences", "normalize", "pack_x_y_sample_weight", "custom_object_scope"],
    }.items():
        for name in names:
            assert hasattr(getattr(keras, module), name) and hasattr(getattr(minikeras, module), name), (module, name)
    assert minikeras.initializers.glorot_uniform is minikeras.initializers.GlorotUniform
