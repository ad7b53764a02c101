"""Losses: values against Keras's formulas written out in numpy, gradients against central differences."""

import numpy as np
import pytest
from gradcheck import numerical_gradient

from minikeras import losses

EPS = 1e-7  # Keras's fuzz factor
N, C = 6, 4
WEIGHTS = np.array([0.5, 1.0, 2.0, 0.0, 1.5, 3.0])


# --------------------------------------------------------------- numpy references
def log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z):
    return np.exp(log_softmax(z))


def ref_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        return -(t * log_softmax(p)).sum(axis=-1)
    q = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(axis=-1)


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:  # -t log sigmoid(z) - (1 - t) log sigmoid(-z), written stably
        elements = t * np.logaddexp(0, -p) + (1 - t) * np.logaddexp(0, p)
    else:
        p = np.clip(p, EPS, 1 - EPS)
        elements = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return elements.mean(axis=-1)


def ref_reduce(values, sample_weight, reduction):
    if sample_weight is not None:
        values = values * sample_weight
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()
    return values.sum() / values.size  # sum_over_batch_size: divide by the number of values


# --------------------------------------------------------------- cases
def make_case(kind, from_logits, seed=0):
    """Return (y_true, y_pred, per-sample reference function) with y_pred safely inside (0, 1)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(N, C))
    labels = rng.integers(0, C, size=N)
    if kind == "cce":
        return np.eye(C)[labels], logits if from_logits else softmax(logits), ref_cce
    if kind == "sparse":
        return labels, logits if from_logits else softmax(logits), lambda t, p, **kw: ref_cce(np.eye(C)[t], p, **kw)
    if kind == "bce":
        targets = (rng.random(size=(N, 3)) > 0.5).astype(float)
        z = rng.normal(size=(N, 3))
        return targets, z if from_logits else 1 / (1 + np.exp(-z)), ref_bce
    y_true = rng.normal(size=(N, 3))
    # keep |y_pred - y_true| >= 0.1 so the absolute value is differentiable at every point checked
    y_pred = y_true + rng.choice([-1.0, 1.0], size=(N, 3)) * (0.1 + rng.random(size=(N, 3)))
    if kind == "mse":
        return y_true, y_pred, lambda t, p: ((p - t) ** 2).mean(axis=-1)
    return y_true, y_pred, lambda t, p: np.abs(p - t).mean(axis=-1)


# (loss class, case kind, constructor options)
CASES = [
    (losses.CategoricalCrossentropy, "cce", {"from_logits": False}),
    (losses.CategoricalCrossentropy, "cce", {"from_logits": True}),
    (losses.CategoricalCrossentropy, "cce", {"from_logits": False, "label_smoothing": 0.1}),
    (losses.CategoricalCrossentropy, "cce", {"from_logits": True, "label_smoothing": 0.2}),
    (losses.SparseCategoricalCrossentropy, "sparse", {"from_logits": False}),
    (losses.SparseCategoricalCrossentropy, "sparse", {"from_logits": True}),
    (losses.BinaryCrossentropy, "bce", {"from_logits": False}),
    (losses.BinaryCrossentropy, "bce", {"from_logits": True}),
    (losses.BinaryCrossentropy, "bce", {"from_logits": False, "label_smoothing": 0.2}),
    (losses.BinaryCrossentropy, "bce", {"from_logits": True, "label_smoothing": 0.1}),
    (losses.MeanSquaredError, "mse", {}),
    (losses.MeanAbsoluteError, "mae", {}),
]
CASE_IDS = [f"{cls.__name__}-{kw}" for cls, _, kw in CASES]


@pytest.mark.parametrize("cls, kind, options", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("sample_weight", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_value_and_gradient(cls, kind, options, reduction, sample_weight):
    y_true, y_pred, reference = make_case(kind, options.get("from_logits", False))
    loss = cls(reduction=reduction, **options)

    expected = ref_reduce(reference(y_true, y_pred, **options), sample_weight, reduction)
    value = loss(y_true, y_pred, sample_weight)
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    assert np.shape(value) == ((N,) if reduction == "none" else ())

    # the gradient of the reduced scalar ("none": of the sum of the per-sample values)
    numeric = numerical_gradient(lambda: np.sum(loss(y_true, y_pred, sample_weight)), y_pred)
    analytic = loss.gradient(y_true, y_pred, sample_weight)
    assert analytic.shape == y_pred.shape
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)

    both_value, both_grad = loss.value_and_gradient(y_true, y_pred, sample_weight)
    np.testing.assert_allclose(both_value, value, rtol=1e-12)
    np.testing.assert_allclose(both_grad, analytic, rtol=1e-12)


@pytest.mark.parametrize(
    "name, cls, kind",
    [
        ("categorical_crossentropy", losses.CategoricalCrossentropy, "cce"),
        ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy, "sparse"),
        ("binary_crossentropy", losses.BinaryCrossentropy, "bce"),
        ("mean_squared_error", losses.MeanSquaredError, "mse"),
        ("mse", losses.MeanSquaredError, "mse"),
        ("mean_absolute_error", losses.MeanAbsoluteError, "mae"),
        ("mae", losses.MeanAbsoluteError, "mae"),
    ],
)
def test_by_name_and_functional_form(name, cls, kind):
    y_true, y_pred, reference = make_case(kind, from_logits=False, seed=1)
    loss = losses.get(name)
    assert isinstance(loss, cls)
    per_sample = reference(y_true, y_pred)
    np.testing.assert_allclose(loss(y_true, y_pred), per_sample.mean(), rtol=1e-10)
    np.testing.assert_allclose(losses.LOSS_FUNCTIONS[name](y_true, y_pred), per_sample, rtol=1e-10)


def test_config_dict_gives_options():
    loss = losses.get(
        {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True, "label_smoothing": 0.1}}
    )
    y_true, logits, _ = make_case("cce", from_logits=True)
    np.testing.assert_allclose(loss(y_true, logits), ref_cce(y_true, logits, True, 0.1).mean(), rtol=1e-10)


def test_cce_normalizes_unnormalized_probabilities():
    y_pred = np.array([[2.0, 1.0, 1.0], [0.3, 0.3, 0.4]])
    y_true = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    expected = -np.log([0.5, 0.4])  # after dividing each row by its sum
    np.testing.assert_allclose(losses.categorical_crossentropy(y_true, y_pred), expected, rtol=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_shape", [(N,), (N, 1)])
@pytest.mark.parametrize("sample_weight", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_sparse_equals_categorical_on_one_hot(from_logits, label_shape, sample_weight):
    labels, y_pred, _ = make_case("sparse", from_logits, seed=2)
    sparse = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    dense = losses.CategoricalCrossentropy(from_logits=from_logits)
    one_hot = np.eye(C)[labels]
    value, grad = sparse.value_and_gradient(labels.reshape(label_shape), y_pred, sample_weight)
    np.testing.assert_allclose(value, dense(one_hot, y_pred, sample_weight), rtol=1e-12)
    np.testing.assert_allclose(grad, dense.gradient(one_hot, y_pred, sample_weight), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad_label", [C, C + 3, -1])
def test_sparse_labels_out_of_range_raise(bad_label):
    labels = np.array([0, 1, bad_label])
    with pytest.raises(ValueError, match=rf"\[0, {C}\)"):
        losses.SparseCategoricalCrossentropy()(labels, np.full((3, C), 1.0 / C))


@pytest.mark.parametrize(
    "loss, y_true",
    [
        (losses.CategoricalCrossentropy(from_logits=True), np.eye(3)[[0, 1, 2, 1]]),
        (losses.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 1, 2, 1])),
        (
            losses.BinaryCrossentropy(from_logits=True),
            np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1, 1, 1], [0, 0, 0]]),
        ),
    ],
    ids=["cce", "sparse", "bce"],
)
def test_extreme_logits_stay_finite(loss, y_true):
    logits = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = loss.value_and_gradient(y_true, logits)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    one_hot = np.eye(3)[y_true] if y_true.ndim == 1 else y_true
    expected = (
        ref_bce(one_hot, logits, True)
        if isinstance(loss, losses.BinaryCrossentropy)
        else ref_cce(one_hot, logits, True)
    )
    np.testing.assert_allclose(value, expected.mean(), rtol=1e-10)
    assert value > 1e3  # some samples are confidently wrong: the loss is large, not clipped to log(1e7)


def test_probabilities_are_clipped_to_keras_epsilon():
    # a zero probability for the true class costs -log(1e-7), a certain one -log(1 - 1e-7)
    y_pred = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    y_true = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        losses.categorical_crossentropy(y_true, y_pred), [-np.log(EPS), -np.log(1 - EPS)], rtol=1e-6
    )
    bce = losses.binary_crossentropy(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(bce, [-np.log(EPS)], rtol=1e-6)
    for loss in (losses.CategoricalCrossentropy(), losses.BinaryCrossentropy()):
        assert np.all(np.isfinite(loss.gradient(y_true, y_pred)))
