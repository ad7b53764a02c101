"""AUC against the exact areas: the ROC area is the probability that a positive outranks a negative."""

import numpy as np
import pytest

from minikeras import metrics


def _ranking_auc(labels, scores, weights):
    """Weighted probability that a positive's score exceeds a negative's (ties count one half)."""
    positive, negative = labels == 1, labels == 0
    above = (scores[positive][:, None] > scores[negative][None, :]).astype(float)
    above += 0.5 * (scores[positive][:, None] == scores[negative][None, :])
    pair_weights = weights[positive][:, None] * weights[negative][None, :]
    return float((above * pair_weights).sum() / pair_weights.sum())


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_approaches_the_ranking_probability(weighted):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=400)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.0, 1.0)
    weights = rng.uniform(0.2, 2.0, size=400) if weighted else np.ones(400)
    auc = metrics.AUC(num_thresholds=2001)
    for rows in (slice(0, 150), slice(150, 151), slice(151, 400)):
        auc.update_state(labels[rows], scores[rows], sample_weight=weights[rows] if weighted else None)
    assert auc.result() == pytest.approx(_ranking_auc(labels, scores, weights), abs=2e-3)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_rectangles_bound_the_interpolated_area(curve):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=200)
    scores = rng.uniform(size=200) * 0.6 + 0.4 * labels
    areas = {}
    for method in ("minoring", "interpolation", "majoring"):
        auc = metrics.AUC(num_thresholds=21, curve=curve, summation_method=method)
        auc.update_state(labels, scores)
        areas[method] = auc.result()
    assert areas["minoring"] < areas["majoring"]
    if curve == "ROC":  # trapezoids lie between the lower and upper rectangles
        assert areas["minoring"] <= areas["interpolation"] <= areas["majoring"]


def test_from_logits_equals_auc_of_the_sigmoid():
    rng = np.random.default_rng(2)
    labels, logits = rng.integers(0, 2, size=50), rng.normal(size=50) * 3
    from_logits, from_probabilities = metrics.AUC(from_logits=True), metrics.AUC()
    from_logits.update_state(labels, logits)
    from_probabilities.update_state(labels, 1.0 / (1.0 + np.exp(-logits)))
    assert from_logits.result() == pytest.approx(from_probabilities.result(), abs=1e-6)
