"""Losses: values against numpy formulas and Keras's recorded values, gradients against central differences;
reductions and weights, label smoothing, extremes, names, configs and saving."""

import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

import minikeras as keras
from minikeras import layers, losses

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


# --------------------------------------------------------------- one fixed batch per case
RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(5, 4))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
ONE_HOT = np.eye(4)[[0, 3, 1, 2, 3]]
LABELS = np.array([0, 3, 1, 2, 3])
BINARY_PROBS = 1 / (1 + np.exp(-RNG.normal(size=(5, 3))))
BINARY_LOGITS = RNG.normal(size=(5, 3))
BINARY = (RNG.random(size=(5, 3)) > 0.5).astype(float)
REGRESSION = RNG.normal(size=(5, 3))
FIXED_WEIGHTS = np.array([0.5, 1.0, 2.0, 0.0, 1.5])


def cce(t, p):
    q = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(axis=-1)


def bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=-1)


FIXED_CASES = {
    "cce": (losses.CategoricalCrossentropy(), ONE_HOT, PROBS, cce(ONE_HOT, PROBS)),
    "cce_unnormalized": (losses.CategoricalCrossentropy(), ONE_HOT, PROBS * 3.0, cce(ONE_HOT, PROBS)),
    "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), ONE_HOT, LOGITS, cce(ONE_HOT, PROBS)),
    "cce_smoothing": (
        losses.CategoricalCrossentropy(label_smoothing=0.2),
        ONE_HOT,
        PROBS,
        cce(ONE_HOT * 0.8 + 0.05, PROBS),
    ),
    "sparse": (losses.SparseCategoricalCrossentropy(), LABELS, PROBS, cce(ONE_HOT, PROBS)),
    "sparse_column": (losses.SparseCategoricalCrossentropy(), LABELS[:, None], PROBS, cce(ONE_HOT, PROBS)),
    "sparse_logits": (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS, cce(ONE_HOT, PROBS)),
    "bce": (losses.BinaryCrossentropy(), BINARY, BINARY_PROBS, bce(BINARY, BINARY_PROBS)),
    "bce_logits": (
        losses.BinaryCrossentropy(from_logits=True),
        BINARY,
        BINARY_LOGITS,
        bce(BINARY, 1 / (1 + np.exp(-BINARY_LOGITS))),
    ),
    "bce_smoothing": (
        losses.BinaryCrossentropy(label_smoothing=0.1),
        BINARY,
        BINARY_PROBS,
        bce(BINARY * 0.9 + 0.05, BINARY_PROBS),
    ),
    "mse": (
        losses.get("mse"),
        REGRESSION,
        REGRESSION[::-1].copy(),
        ((REGRESSION[::-1] - REGRESSION) ** 2).mean(axis=-1),
    ),
    "mae": (
        losses.get("mae"),
        REGRESSION,
        REGRESSION[::-1].copy() + 0.01,
        np.abs(REGRESSION[::-1] + 0.01 - REGRESSION).mean(axis=-1),
    ),
}


@pytest.mark.parametrize("case", sorted(FIXED_CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_value_matches_the_formula_and_gradient_matches_central_differences(case, weighted):
    loss, y_true, y_pred, per_sample = FIXED_CASES[case]
    y_pred = y_pred.copy()
    weights = FIXED_WEIGHTS if weighted else None
    # Keras: divide by the count
    expected = (per_sample * (FIXED_WEIGHTS if weighted else 1.0)).sum() / len(per_sample)
    value, grad = loss.value_and_gradient(y_true, y_pred, weights)
    assert value == pytest.approx(expected, rel=1e-9)
    assert loss(y_true, y_pred, weights) == pytest.approx(expected, rel=1e-9)
    assert_gradients_close(
        grad, numerical_gradient(lambda: loss(y_true, y_pred, weights), y_pred), rtol=1e-5, atol=1e-8
    )


def test_reductions():
    loss_sum = losses.MeanSquaredError(reduction="sum")
    loss_none = losses.MeanSquaredError(reduction="none")
    per_sample = ((REGRESSION - 1.0) ** 2).mean(axis=-1)
    assert loss_sum(REGRESSION, np.ones_like(REGRESSION)) == pytest.approx(per_sample.sum())
    np.testing.assert_allclose(loss_none(REGRESSION, np.ones_like(REGRESSION)), per_sample)
    mean_with_sample_weight = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert mean_with_sample_weight(REGRESSION, np.ones_like(REGRESSION), FIXED_WEIGHTS) == pytest.approx(
        (per_sample * FIXED_WEIGHTS).sum() / FIXED_WEIGHTS.sum()
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
    for name in (
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_crossentropy",
        "mse",
        "mae",
        "mean_squared_error",
        "mean_absolute_error",
    ):
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


# ------------------------------------------------------------------ Keras's values (make_keras_golden_functions.py)
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_functions", FIXTURES / "make_keras_golden_functions.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "functions.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))["losses"]

WEIGHTED = sorted(name for name, case in golden_script.LOSSES.items() if case[3])


def _case(name):
    class_name, kwargs, _, _ = golden_script.LOSSES[name]
    arrays = (GOLDEN[f"loss/{name}/{part}"] for part in ("y_true", "y_pred", "sample_weight"))
    return getattr(losses, class_name), kwargs, *arrays


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ against Keras
@pytest.mark.parametrize("name", sorted(golden_script.LOSSES))
def test_values_and_gradient_match_keras(name):
    cls, kwargs, y_true, y_pred, _ = _case(name)
    per_sample = cls(reduction="none", **kwargs)(y_true, y_pred)
    assert per_sample.dtype == np.float32
    _close(per_sample, GOLDEN[f"loss/{name}/none"])
    value, grad = cls(**kwargs).value_and_gradient(y_true, y_pred)
    _close(value, GOLDEN[f"loss/{name}/value"])
    assert grad.shape == y_pred.shape and grad.dtype == np.float32
    _close(grad, GOLDEN[f"loss/{name}/grad"])


@pytest.mark.parametrize("name", WEIGHTED)
def test_weighted_values_reductions_and_gradient_match_keras(name):
    cls, kwargs, y_true, y_pred, weights = _case(name)
    _close(cls(**kwargs)(y_true, y_pred, sample_weight=weights), GOLDEN[f"loss/{name}/weighted"])
    _close(cls(reduction="sum", **kwargs)(y_true, y_pred, weights), GOLDEN[f"loss/{name}/sum_weighted"])
    _close(
        cls(reduction="mean_with_sample_weight", **kwargs)(y_true, y_pred, weights),
        GOLDEN[f"loss/{name}/mean_with_sample_weight"],
    )
    _close(cls(**kwargs).gradient(y_true, y_pred, sample_weight=weights), GOLDEN[f"loss/{name}/grad_weighted"])


@pytest.mark.parametrize("name", sorted(golden_script.LOSSES))
def test_configs_carry_keras_names_and_defaults(name):
    cls, kwargs, *_ = _case(name)
    ours = json.loads(json.dumps(cls(**kwargs).get_config()))  # as saved: tuples become lists
    theirs = dict(KERAS_CONFIGS[name])
    assert {key: ours.get(key, "missing") for key in theirs} == theirs


# ------------------------------------------------------------------ central differences
def _data(kind, rng, shape=(4, 3)):
    if kind == "regression":
        return rng.normal(size=shape), rng.normal(size=shape) * 2
    if kind == "distribution":
        return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]), rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    if kind == "counts":
        return rng.poisson(2.0, size=shape).astype(float), rng.uniform(0.3, 3.0, size=shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float), rng.normal(size=shape)
    if kind == "signed":
        return rng.choice([-1.0, 1.0], size=shape), rng.normal(size=shape)
    if kind == "onehot":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])], rng.normal(size=shape)
    if kind == "positive":
        return rng.uniform(0.0, 3.0, size=shape), rng.uniform(0.1, 3.0, size=shape)
    if kind == "nonzero":
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape), rng.normal(size=shape)
    raise ValueError(kind)


GRADIENT_CASES = {
    "huber": (lambda: losses.Huber(), "regression"),
    "huber_delta": (lambda: losses.Huber(delta=0.4), "regression"),
    "log_cosh": (lambda: losses.LogCosh(), "regression"),
    "kl_divergence": (lambda: losses.KLDivergence(), "distribution"),
    "poisson": (lambda: losses.Poisson(), "counts"),
    "hinge": (lambda: losses.Hinge(), "binary"),
    "hinge_signed": (lambda: losses.Hinge(), "signed"),
    "squared_hinge": (lambda: losses.SquaredHinge(), "signed"),
    "categorical_hinge": (lambda: losses.CategoricalHinge(), "onehot"),
    "cosine_similarity": (lambda: losses.CosineSimilarity(), "regression"),
    "mape": (lambda: losses.MeanAbsolutePercentageError(), "nonzero"),
    "msle": (lambda: losses.MeanSquaredLogarithmicError(), "positive"),
    "cce_smoothing": (lambda: losses.CategoricalCrossentropy(label_smoothing=0.15), "distribution"),
    "cce_logits_smoothing": (lambda: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3), "onehot"),
    "bce_smoothing": (lambda: losses.BinaryCrossentropy(label_smoothing=0.2), "distribution"),
    "bce_logits_smoothing": (lambda: losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), "binary"),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradient_matches_central_differences(name, reduction, weighted):
    make, kind = GRADIENT_CASES[name]
    loss = type(make())(**{**make().get_config(), "reduction": reduction})
    rng = np.random.default_rng(sum(map(ord, name)))
    y_true, y_pred = _data(kind, rng)
    weights = rng.uniform(0.2, 2.0, size=len(y_pred)) if weighted else None
    value, analytic = loss.value_and_gradient(y_true, y_pred, weights)
    assert value == pytest.approx(float(loss(y_true, y_pred, weights)), rel=1e-12)
    numeric = numerical_gradient(lambda: loss(y_true, y_pred, weights), y_pred)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(
    "make",
    [
        lambda: losses.CosineSimilarity(axis=1),
        lambda: losses.CategoricalCrossentropy(axis=1, label_smoothing=0.1),
        lambda: losses.CategoricalCrossentropy(axis=1, from_logits=True),
        lambda: losses.BinaryCrossentropy(axis=1, from_logits=True, label_smoothing=0.1),
    ],
    ids=["cosine", "cce", "cce_logits", "bce_logits"],
)
@pytest.mark.parametrize("weight_shape", [None, (4,), (4, 5)])
def test_sample_weights_follow_the_axis_that_is_reduced(make, weight_shape):
    loss = make()
    rng = np.random.default_rng(4)
    y_true = np.ascontiguousarray(rng.dirichlet(np.ones(3), size=(4, 5)).transpose(0, 2, 1))
    y_pred = np.ascontiguousarray(rng.dirichlet(np.ones(3), size=(4, 5)).transpose(0, 2, 1))
    weights = None if weight_shape is None else rng.uniform(0.2, 2.0, size=weight_shape)
    analytic = loss.gradient(y_true, y_pred, weights)
    numeric = numerical_gradient(lambda: loss(y_true, y_pred, weights), y_pred)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


# ------------------------------------------------------------------ formulas and Keras's rules
def test_formulas_by_hand():
    t = np.array([[0.0, 2.0]])
    p = np.array([[1.5, 2.25]])
    assert losses.huber(t, p)[0] == pytest.approx(((1.5 - 0.5) + 0.5 * 0.25**2) / 2)
    assert losses.log_cosh(t, p)[0] == pytest.approx((math.log(math.cosh(1.5)) + math.log(math.cosh(0.25))) / 2)
    assert losses.poisson(t, p)[0] == pytest.approx(((1.5 - 0.0) + (2.25 - 2.0 * math.log(2.25 + 1e-7))) / 2)
    assert losses.mean_absolute_percentage_error(np.array([[2.0, -4.0]]), np.array([[1.0, -5.0]]))[0] == pytest.approx(
        100 * (0.5 + 0.25) / 2
    )
    assert losses.mean_squared_logarithmic_error(t, p)[0] == pytest.approx(
        ((math.log(2.5) - math.log(1 + 1e-7)) ** 2 + (math.log(3.25) - math.log(3)) ** 2) / 2
    )
    assert losses.kl_divergence(np.array([[0.25, 0.75]]), np.array([[0.5, 0.5]]))[0] == pytest.approx(
        0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    )
    assert losses.cosine_similarity(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))[0] == pytest.approx(
        -1 / math.sqrt(2)
    )
    assert losses.categorical_hinge(np.array([[0.0, 1.0, 0.0]]), np.array([[0.3, 0.5, 0.9]]))[0] == pytest.approx(
        0.9 - 0.5 + 1
    )


def test_hinge_maps_zero_one_labels_to_signs_only_when_all_labels_are_binary():
    p = np.array([[0.3, -0.2]])
    np.testing.assert_allclose(losses.hinge(np.array([[1.0, 0.0]]), p), [((1 - 0.3) + (1 - 0.2)) / 2])
    np.testing.assert_allclose(losses.hinge(np.array([[1.0, -1.0]]), p), [((1 - 0.3) + (1 - 0.2)) / 2])
    np.testing.assert_allclose(losses.hinge(np.array([[1.0, 0.5]]), p), [((1 - 0.3) + (1 + 0.1)) / 2])  # 0.5 kept


def test_zero_vectors_have_zero_similarity_and_a_finite_gradient():
    loss = losses.CosineSimilarity()
    y_true, y_pred = np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [0.0, 0.0]])
    value, grad = loss.value_and_gradient(y_true, y_pred)
    assert value == 0.0 and np.all(np.isfinite(grad))


def test_clipping_and_epsilon_placement():
    eps = 1e-7
    # KL divergence clips both sides to [eps, 1]: a zero label adds nothing, a zero prediction costs log(t / eps).
    assert losses.kl_divergence(np.array([[0.0, 1.0]]), np.array([[0.5, 0.0]]))[0] == pytest.approx(
        eps * math.log(eps / 0.5) + math.log(1 / eps)
    )
    grad = losses.KLDivergence().gradient(np.array([[0.5, 0.5]]), np.array([[0.0, 1.5]]))
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])  # clipped predictions pass no gradient
    # MSLE raises predictions below eps to eps, with no gradient there.
    assert losses.MeanSquaredLogarithmicError().gradient(np.array([[1.0]]), np.array([[-2.0]]))[0, 0] == 0.0
    # MAPE divides by max(|t|, eps).
    assert losses.mean_absolute_percentage_error(np.array([[0.0]]), np.array([[1e-3]]))[0] == pytest.approx(
        100 * 1e-3 / eps
    )


def test_cce_label_smoothing_counts_classes_on_the_last_axis_as_keras_does():
    t = np.zeros((2, 3, 4))
    t[:, 0, :] = 1.0
    p = np.full((2, 3, 4), 0.25)
    p[:, 0, :] = 0.5
    smoothed = losses.CategoricalCrossentropy(axis=1, label_smoothing=0.2, reduction="none")(t, p)
    q = p / p.sum(axis=1, keepdims=True)
    labels = t * 0.8 + 0.2 / 4  # divided by the last axis's 4, not the class axis's 3
    np.testing.assert_allclose(smoothed, -(labels * np.log(q)).sum(axis=1))


# ------------------------------------------------------------------ extremes
STABLE = {
    "huber": lambda: losses.Huber(),
    "log_cosh": lambda: losses.LogCosh(),
    "hinge": lambda: losses.Hinge(),
    "squared_hinge": lambda: losses.SquaredHinge(),
    "categorical_hinge": lambda: losses.CategoricalHinge(),
    "cosine_similarity": lambda: losses.CosineSimilarity(),
    "mse": lambda: losses.MeanSquaredError(),
    "mae": lambda: losses.MeanAbsoluteError(),
    "mape": lambda: losses.MeanAbsolutePercentageError(),
    "msle": lambda: losses.MeanSquaredLogarithmicError(),
    "kl_divergence": lambda: losses.KLDivergence(),
    "cce_logits": lambda: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    "scce_logits": lambda: losses.SparseCategoricalCrossentropy(from_logits=True),
    "bce_logits": lambda: losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(STABLE))
def test_finite_without_warnings_for_predictions_of_plus_minus_1e4(name, dtype):
    loss = STABLE[name]()
    y_pred = np.array([[1e4, -1e4, 0.5], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]], dtype=dtype)
    y_true = np.array([0, 2, 1]) if name == "scce_logits" else np.eye(3, dtype=dtype)[[0, 2, 1]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = loss.value_and_gradient(y_true, y_pred, np.array([1.0, 0.5, 2.0]))
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == dtype


def test_large_errors_are_linear_in_huber_and_log_cosh():
    t, p = np.zeros((1, 1)), np.array([[1e4]])
    assert losses.huber(t, p)[0] == pytest.approx(1e4 - 0.5)
    assert losses.log_cosh(t, p)[0] == pytest.approx(1e4 - math.log(2))
    np.testing.assert_allclose(losses.LogCosh().gradient(t, -p), [[-1.0]])


# ------------------------------------------------------------------ names and configs
KERAS_NAMES = {
    "huber": losses.Huber,
    "log_cosh": losses.LogCosh,
    "logcosh": losses.LogCosh,
    "kl_divergence": losses.KLDivergence,
    "kld": losses.KLDivergence,
    "KLD": losses.KLDivergence,
    "poisson": losses.Poisson,
    "hinge": losses.Hinge,
    "squared_hinge": losses.SquaredHinge,
    "categorical_hinge": losses.CategoricalHinge,
    "cosine_similarity": losses.CosineSimilarity,
    "mean_absolute_percentage_error": losses.MeanAbsolutePercentageError,
    "mape": losses.MeanAbsolutePercentageError,
    "MAPE": losses.MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": losses.MeanSquaredLogarithmicError,
    "msle": losses.MeanSquaredLogarithmicError,
    "bce": losses.BinaryCrossentropy,
}


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_keras_names_and_aliases(name):
    cls = KERAS_NAMES[name]
    assert type(losses.get(name)) is cls
    assert type(losses.get(cls.__name__)) is cls
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.uniform(0.1, 1.0, size=(5, 3)), rng.uniform(0.1, 1.0, size=(5, 3))
    lower = name.lower()
    np.testing.assert_allclose(
        losses.LOSS_FUNCTIONS[lower](y_true, y_pred), cls(reduction="none")(y_true, y_pred), rtol=1e-12
    )


def test_default_names_are_keras_names():
    assert losses.Huber().name == "huber_loss" and losses.huber.__name__ == "huber"
    assert losses.LogCosh().name == "log_cosh"
    assert losses.MeanAbsolutePercentageError().name == "mean_absolute_percentage_error"


CONFIGURED = [
    losses.Huber(delta=0.3, reduction="sum", name="h"),
    losses.LogCosh(reduction="none"),
    losses.KLDivergence(name="kl"),
    losses.Poisson(),
    losses.Hinge(),
    losses.SquaredHinge(reduction="mean_with_sample_weight"),
    losses.CategoricalHinge(),
    losses.CosineSimilarity(axis=1),
    losses.MeanAbsolutePercentageError(),
    losses.MeanSquaredLogarithmicError(),
]


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_config_round_trips_through_json(loss):
    written = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.get(written)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


@pytest.mark.parametrize(
    "loss", ["huber", "logcosh", "poisson", "msle", losses.Huber(delta=0.5), losses.CosineSimilarity()]
)
def test_models_compiled_with_regression_losses_train_save_and_load(tmp_path, loss):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(4,)), layers.Dense(5, activation="tanh"), layers.Dense(3, activation="softplus")]
    )
    model.compile(optimizer="sgd", loss=loss)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(12, 4)).astype(np.float32), rng.uniform(0.1, 2.0, size=(12, 3)).astype(np.float32)
    history = model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded._loss_fn) is type(model._loss_fn)
    assert loaded._loss_fn.get_config() == model._loss_fn.get_config()
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
