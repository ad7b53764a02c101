"""The Keras 3 losses added in round two: gradients against float64 central differences, for every reduction,
with and without sample weights (values against Keras are in tests/test_losses.py)."""

import numpy as np
import pytest
from gradcheck import numerical_gradient

from minikeras import losses


def _data(kind, rng):
    """float64 `(y_true, y_pred)` for a data kind, away from kinks and clipping."""
    if kind == "binary_probabilities":
        return rng.integers(0, 2, size=(5, 3)).astype(float), rng.uniform(0.05, 0.95, size=(5, 3))
    if kind == "binary_scores":
        return rng.integers(0, 2, size=(5, 3)).astype(float), rng.normal(size=(5, 3)) * 2
    if kind == "distributions":
        return rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.ones(4), size=5)
    if kind == "unnormalized":
        return np.eye(4)[rng.integers(0, 4, size=5)], rng.uniform(0.2, 2.0, size=(5, 4))
    if kind == "onehot_scores":
        return np.eye(4)[rng.integers(0, 4, size=5)], rng.normal(size=(5, 4)) * 2
    if kind == "distributions_3d":
        t, p = rng.dirichlet(np.ones(4), size=(5, 3)), rng.dirichlet(np.ones(4), size=(5, 3))
        return np.ascontiguousarray(t.transpose(0, 2, 1)), np.ascontiguousarray(p.transpose(0, 2, 1))
    if kind == "segmentation":
        return (rng.random(size=(5, 4, 3, 2)) > 0.5).astype(float), rng.uniform(0.05, 1.0, size=(5, 4, 3, 2))
    if kind == "sparse_probabilities":
        labels = rng.integers(0, 4, size=5)
        labels[1] = -1
        return labels, rng.dirichlet(np.ones(4), size=5)
    if kind == "sparse_scores":
        labels = rng.integers(0, 4, size=5)
        labels[[0, 3]] = 255
        return labels, rng.normal(size=(5, 4))
    if kind == "sparse_maps":
        labels = rng.integers(0, 4, size=(5, 3))
        labels[rng.random(size=(5, 3)) < 0.3] = 255
        return labels, rng.normal(size=(5, 3, 4))
    if kind == "sparse_maps_channels_first":
        labels = rng.integers(0, 4, size=(5, 3))
        labels[0, 0] = 255
        return labels, rng.normal(size=(5, 4, 3))
    if kind == "sparse_labels":
        return rng.integers(0, 4, size=5), rng.dirichlet(np.ones(4), size=5)
    if kind == "sequences":
        labels = np.array([[1, 2, 3], [2, 2, 0], [4, 0, 0], [1, 3, 1], [0, 0, 0]])
        return labels, rng.normal(size=(5, 7, 5)) * 2
    if kind == "embeddings":
        x = rng.normal(size=(6, 4))
        return np.array([0, 1, 0, 2, 1, 0]), x / np.linalg.norm(x, axis=1, keepdims=True)
    if kind == "embeddings_raw":
        return np.array([0, 1, 0, 2, 1, 0]), rng.normal(size=(6, 4)) * 0.4
    raise ValueError(kind)


# name -> (loss factory taking the reduction, data kind, whether a per-sample weight fits the values)
CASES = {
    "bfce": (lambda r: losses.BinaryFocalCrossentropy(reduction=r), "binary_probabilities", True),
    "bfce_balanced_smoothing": (
        lambda r: losses.BinaryFocalCrossentropy(
            apply_class_balancing=True, alpha=0.3, gamma=1.5, label_smoothing=0.1, reduction=r
        ),
        "binary_probabilities",
        True,
    ),
    "bfce_gamma_below_one": (
        lambda r: losses.BinaryFocalCrossentropy(gamma=0.5, reduction=r),
        "binary_probabilities",
        True,
    ),
    "bfce_logits": (lambda r: losses.BinaryFocalCrossentropy(from_logits=True, reduction=r), "binary_scores", True),
    "bfce_logits_balanced": (
        lambda r: losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True, gamma=3.0, reduction=r),
        "binary_scores",
        True,
    ),
    "bfce_axis0": (
        lambda r: losses.BinaryFocalCrossentropy(axis=0, from_logits=True, reduction=r),
        "binary_scores",
        False,
    ),
    "cfce": (lambda r: losses.CategoricalFocalCrossentropy(reduction=r), "distributions", True),
    "cfce_unnormalized": (lambda r: losses.CategoricalFocalCrossentropy(gamma=0.5, reduction=r), "unnormalized", True),
    "cfce_smoothing": (
        lambda r: losses.CategoricalFocalCrossentropy(label_smoothing=0.2, gamma=3.0, reduction=r),
        "distributions",
        True,
    ),
    "cfce_logits_alpha_list": (
        lambda r: losses.CategoricalFocalCrossentropy(from_logits=True, alpha=[0.1, 0.2, 0.3, 0.4], reduction=r),
        "onehot_scores",
        True,
    ),
    "cfce_axis1": (lambda r: losses.CategoricalFocalCrossentropy(axis=1, reduction=r), "distributions_3d", True),
    "cfce_axis1_logits": (
        lambda r: losses.CategoricalFocalCrossentropy(axis=1, from_logits=True, reduction=r),
        "distributions_3d",
        True,
    ),
    "dice": (lambda r: losses.Dice(reduction=r), "segmentation", True),
    "dice_axis_tuple": (lambda r: losses.Dice(axis=(1, 2), reduction=r), "segmentation", True),
    "dice_axis_int": (lambda r: losses.Dice(axis=-1, reduction=r), "segmentation", True),
    "tversky": (lambda r: losses.Tversky(reduction=r), "segmentation", True),
    "tversky_axis": (lambda r: losses.Tversky(alpha=0.2, beta=0.9, axis=(1, 2, 3), reduction=r), "segmentation", True),
    "scce_ignore": (
        lambda r: losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction=r),
        "sparse_probabilities",
        True,
    ),
    "scce_logits_ignore": (
        lambda r: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction=r),
        "sparse_scores",
        True,
    ),
    "scce_maps_ignore": (
        lambda r: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction=r),
        "sparse_maps",
        True,
    ),
    "scce_axis1_ignore": (
        lambda r: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, axis=1, reduction=r),
        "sparse_maps_channels_first",
        True,
    ),
    "ctc": (lambda r: losses.CTC(reduction=r), "sequences", True),
    "circle": (lambda r: losses.Circle(reduction=r), "embeddings", True),
    "circle_options": (
        lambda r: losses.Circle(gamma=10.0, margin=0.25, remove_diagonal=False, reduction=r),
        "embeddings_raw",
        True,
    ),
    "cgce": (lambda r: losses.CategoricalGeneralizedCrossEntropy(reduction=r), "sparse_labels", True),
    "cgce_q": (lambda r: losses.CategoricalGeneralizedCrossEntropy(q=0.9, reduction=r), "sparse_labels", True),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_central_differences(name, reduction, weighted):
    make, kind, per_sample_weights = CASES[name]
    loss = make(reduction)
    rng = np.random.default_rng(sum(map(ord, name)))
    y_true, y_pred = _data(kind, rng)
    weights = None
    if weighted:
        # one weight per sample, or per value where values are not one per sample (BinaryFocal's axis=0)
        shape = (len(y_pred),) if per_sample_weights else np.shape(loss(y_true, y_pred))
        weights = rng.uniform(0.2, 2.0, size=shape)
    value, analytic = loss.value_and_gradient(y_true, y_pred, weights)
    np.testing.assert_allclose(value, loss(y_true, y_pred, weights), rtol=1e-12)
    assert analytic.shape == y_pred.shape and analytic.dtype == np.float64
    numeric = numerical_gradient(lambda: np.sum(loss(y_true, y_pred, weights)), y_pred)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "make",
    [
        lambda: losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True),
        lambda: losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.1),
        lambda: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3),
    ],
    ids=["bfce", "cfce", "scce_ignore"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_without_warnings_for_logits_of_plus_minus_1e4(make, dtype):
    loss = make()
    y_pred = np.array([[1e4, -1e4, 0.5], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4], [-1e4, 1e4, 0.0]], dtype=dtype)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y_true = np.array([0, 2, 3, 1])
    else:
        y_true = np.eye(3, dtype=dtype)[[0, 2, 1, 0]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = loss.value_and_gradient(y_true, y_pred, np.array([1.0, 0.5, 2.0, 1.0]))
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == dtype
