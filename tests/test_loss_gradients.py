"""Every loss: value against an independent formula, gradient against central differences (float64)."""

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import losses

EPS = 1e-7
RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(5, 4))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
ONE_HOT = np.eye(4)[[0, 3, 1, 2, 3]]
LABELS = np.array([0, 3, 1, 2, 3])
BINARY_PROBS = 1 / (1 + np.exp(-RNG.normal(size=(5, 3))))
BINARY_LOGITS = RNG.normal(size=(5, 3))
BINARY = (RNG.random(size=(5, 3)) > 0.5).astype(float)
REGRESSION = RNG.normal(size=(5, 3))
WEIGHTS = np.array([0.5, 1.0, 2.0, 0.0, 1.5])


def cce(t, p):
    q = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(axis=-1)


def bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=-1)


CASES = {
    "cce": (losses.CategoricalCrossentropy(), ONE_HOT, PROBS, cce(ONE_HOT, PROBS)),
    "cce_unnormalized": (losses.CategoricalCrossentropy(), ONE_HOT, PROBS * 3.0, cce(ONE_HOT, PROBS)),
    "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), ONE_HOT, LOGITS, cce(ONE_HOT, PROBS)),
    "cce_smoothing": (losses.CategoricalCrossentropy(label_smoothing=0.2), ONE_HOT, PROBS, cce(ONE_HOT * 0.8 + 0.05, PROBS)),
    "sparse": (losses.SparseCategoricalCrossentropy(), LABELS, PROBS, cce(ONE_HOT, PROBS)),
    "sparse_column": (losses.SparseCategoricalCrossentropy(), LABELS[:, None], PROBS, cce(ONE_HOT, PROBS)),
    "sparse_logits": (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS, cce(ONE_HOT, PROBS)),
    "bce": (losses.BinaryCrossentropy(), BINARY, BINARY_PROBS, bce(BINARY, BINARY_PROBS)),
    "bce_logits": (losses.BinaryCrossentropy(from_logits=True), BINARY, BINARY_LOGITS, bce(BINARY, 1 / (1 + np.exp(-BINARY_LOGITS)))),
    "bce_smoothing": (losses.BinaryCrossentropy(label_smoothing=0.1), BINARY, BINARY_PROBS, bce(BINARY * 0.9 + 0.05, BINARY_PROBS)),
    "mse": (losses.get("mse"), REGRESSION, REGRESSION[::-1].copy(), ((REGRESSION[::-1] - REGRESSION) ** 2).mean(axis=-1)),
    "mae": (losses.get("mae"), REGRESSION, REGRESSION[::-1].copy() + 0.01, np.abs(REGRESSION[::-1] + 0.01 - REGRESSION).mean(axis=-1)),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_value_matches_the_formula_and_gradient_matches_central_differences(case, weighted):
    loss, y_true, y_pred, per_sample = CASES[case]
    y_pred = y_pred.copy()
    weights = WEIGHTS if weighted else None
    expected = (per_sample * (WEIGHTS if weighted else 1.0)).sum() / len(per_sample)  # Keras: divide by the count
    value, grad = loss.value_and_gradient(y_true, y_pred, weights)
    assert value == pytest.approx(expected, rel=1e-9)
    assert loss(y_true, y_pred, weights) == pytest.approx(expected, rel=1e-9)
    assert_gradients_close(grad, numerical_gradient(lambda: loss(y_true, y_pred, weights), y_pred), rtol=1e-5, atol=1e-8)


def test_reductions():
    loss_sum = losses.MeanSquaredError(reduction="sum")
    loss_none = losses.MeanSquaredError(reduction="none")
    per_sample = ((REGRESSION - 1.0) ** 2).mean(axis=-1)
    assert loss_sum(REGRESSION, np.ones_like(REGRESSION)) == pytest.approx(per_sample.sum())
    np.testing.assert_allclose(loss_none(REGRESSION, np.ones_like(REGRESSION)), per_sample)
    assert losses.MeanSquaredError(reduction="mean_with_sample_weight")(REGRESSION, np.ones_like(REGRESSION), WEIGHTS) == pytest.approx(
        (per_sample * WEIGHTS).sum() / WEIGHTS.sum()
    )


def test_functional_forms_return_per_sample_values():
    np.testing.assert_allclose(losses.categorical_crossentropy(ONE_HOT, PROBS), cce(ONE_HOT, PROBS))
    np.testing.assert_allclose(losses.binary_crossentropy(BINARY, BINARY_PROBS), bce(BINARY, BINARY_PROBS))


def test_clipping_zeroes_the_gradient_where_the_prediction_is_clipped():
    y_pred = np.array([[1.0, 0.0, 0.0]])
    value, grad = losses.CategoricalCrossentropy().value_and_gradient(np.array([[0.0, 1.0, 0.0]]), y_pred)
    assert value == pytest.approx(-np.log(EPS))
    assert np.isfinite(grad).all()


def test_sparse_labels_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 4, 1, 2, 3]), PROBS)


def test_loss_names_and_configs():
    for name in ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "mse", "mae", "mean_squared_error", "mean_absolute_error"):
        loss = losses.get(name)
        assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
    with pytest.raises(ValueError, match='Did you mean "mse"'):
        losses.get("mse2")


def test_binary_crossentropy_averages_over_the_axis_it_is_given():
    t = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    p = np.array([[0.9, 0.2], [0.6, 0.7], [0.1, 0.3]])
    loss = losses.BinaryCrossentropy(axis=0, reduction="sum")
    np.testing.assert_allclose(losses.BinaryCrossentropy(axis=0, reduction="none")(t, p), bce(t.T, p.T))
    assert_gradients_close(loss.gradient(t, p), numerical_gradient(lambda: loss(t, p), p))
