"""The one log-softmax (`activations.log_softmax`): exact against a float64 reference, and the one the
cross-entropy from logits computes with."""

import math

import numpy as np
import pytest

from minikeras import activations, losses


def _reference(row):
    """log(exp(x_i) / sum_j exp(x_j)) for one row, with Python floats and the row's maximum factored out."""
    top = max(row)
    total = math.fsum(math.exp(v - top) for v in row)
    return [v - top - math.log(total) for v in row]


ROWS = np.array(
    [
        [0.0, 0.0, 0.0, 0.0],
        [1.0, 2.0, 3.0, 4.0],
        [1e4, -1e4, 1e4, 0.0],
        [-800.0, -801.0, -799.5, -1e4],
        [30.0, -30.0, 1e-9, -1e-9],
    ]
)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_log_softmax_matches_the_reference(dtype, rtol):
    x = ROWS.astype(dtype)
    result = activations.log_softmax(x)
    assert result.dtype == dtype
    expected = np.array([_reference(row) for row in x.astype(np.float64)])
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(np.exp(result.astype(np.float64)).sum(axis=-1), 1.0, rtol=1e-6)


def test_log_softmax_along_another_axis_is_the_transposed_one():
    x = np.random.default_rng(0).normal(size=(3, 5)) * 10
    np.testing.assert_array_equal(activations.log_softmax(x, axis=0), activations.log_softmax(x.T).T)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_logits_is_minus_labels_times_log_softmax(dtype):
    rng = np.random.default_rng(1)
    logits = (rng.normal(size=(6, 5)) * 20).astype(dtype)
    logits[0] = [1e4, -1e4, 0.0, 3.0, 1e4]
    labels = rng.dirichlet(np.ones(5), size=6).astype(dtype)
    log_q = activations.log_softmax(logits)
    values, grad = losses.CategoricalCrossentropy(from_logits=True, reduction="none").value_and_gradient(labels, logits)
    np.testing.assert_array_equal(values, -(labels * log_q).sum(axis=-1))
    np.testing.assert_array_equal(grad, np.exp(log_q) * labels.sum(axis=-1, keepdims=True) - labels)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(grad))
