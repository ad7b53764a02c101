"""The Keras 3 losses added in round two: formulas, ignore_class, CTC against every alignment, Circle's mask,
names, configs, bad arguments and training with them (Keras's recorded values are in tests/test_losses.py)."""

import itertools
import json
import math

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, losses

EPS = 1e-7


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------------ formulas
def test_binary_focal_crossentropy_by_hand():
    t, p = np.array([[1.0, 0.0]]), np.array([[0.8, 0.3]])
    bce = [-math.log(0.8), -math.log(0.7)]
    focal = [(1 - 0.8) ** 2 * bce[0], 0.3**2 * bce[1]]
    assert losses.binary_focal_crossentropy(t, p)[0] == pytest.approx(np.mean(focal))
    balanced = losses.binary_focal_crossentropy(t, p, apply_class_balancing=True, alpha=0.25)
    assert balanced[0] == pytest.approx((0.25 * focal[0] + 0.75 * focal[1]) / 2)
    # Keras's documented example
    y_true, logits = np.array([[0, 1], [0, 0]]), np.array([[-18.6, 0.51], [2.94, -12.8]])
    assert losses.BinaryFocalCrossentropy(gamma=3, from_logits=True)(y_true, logits) == pytest.approx(0.647, abs=1e-3)


@pytest.mark.parametrize("from_logits", [False, True])
def test_focal_losses_without_focus_are_the_cross_entropies(from_logits):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(6, 4))
    binary, onehot = (rng.random(size=(6, 4)) > 0.5).astype(float), np.eye(4)[rng.integers(0, 4, size=6)]
    binary_pred = scores if from_logits else sigmoid(scores)
    categorical_pred = scores if from_logits else np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    pairs = [
        (
            losses.BinaryFocalCrossentropy(gamma=0.0, from_logits=from_logits, label_smoothing=0.1),
            losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=0.1),
            binary,
            binary_pred,
        ),
        (
            losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=0.0, from_logits=from_logits, label_smoothing=0.1),
            losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=0.1),
            onehot,
            categorical_pred,
        ),
    ]
    for focal, plain, t, p in pairs:
        np.testing.assert_allclose(focal(t, p), plain(t, p), rtol=1e-9)
        np.testing.assert_allclose(focal.gradient(t, p), plain.gradient(t, p), rtol=1e-6, atol=1e-12)


def test_focal_losses_weigh_hard_examples_more():
    t = np.array([[1.0], [1.0]])
    p = np.array([[0.9], [0.4]])  # easy, hard
    focal, plain = losses.binary_focal_crossentropy(t, p), losses.binary_crossentropy(t, p)
    assert focal[1] / plain[1] > focal[0] / plain[0]


def test_categorical_focal_alpha_list_weighs_each_class():
    t = np.eye(3)[[0, 1, 2]]
    p = np.full((3, 3), 1 / 3)
    values = losses.categorical_focal_crossentropy(t, p, alpha=[1.0, 2.0, 4.0], gamma=1.0)
    np.testing.assert_allclose(values, np.array([1.0, 2.0, 4.0]) * (2 / 3) * math.log(3))


def test_dice_and_tversky_by_hand():
    t = np.array([[1.0, 1.0, 0.0, 0.0]])
    p = np.array([[0.5, 1.0, 0.5, 0.0]])
    intersection, total = 1.5, 2.0 + 2.0
    assert float(losses.dice(t, p)) == pytest.approx(1 - 2 * intersection / (total + EPS))
    missed, extra = 0.5, 0.5  # Keras's terms: sum((1 - p) t) and sum(p (1 - t))
    assert float(losses.tversky(t, p, alpha=0.7, beta=0.3)) == pytest.approx(
        1 - intersection / (intersection + 0.7 * missed + 0.3 * extra + EPS)
    )
    # alpha = beta = 0.5 is Dice
    rng = np.random.default_rng(1)
    t, p = (rng.random(size=(3, 4, 5)) > 0.5).astype(float), rng.random(size=(3, 4, 5))
    # (up to where each puts epsilon)
    np.testing.assert_allclose(losses.tversky(t, p, axis=(1, 2)), losses.dice(t, p, axis=(1, 2)), rtol=1e-6)


def test_dice_default_is_one_value_for_the_batch_weighted_per_sample_as_keras_does():
    rng = np.random.default_rng(2)
    t, p = (rng.random(size=(4, 6)) > 0.5).astype(float), rng.random(size=(4, 6))
    whole = 1 - 2 * (t * p).sum() / (t.sum() + p.sum() + EPS)
    weights = np.array([1.0, 2.0, 0.0, 3.0])
    assert np.shape(losses.Dice(reduction="none")(t, p)) == ()
    assert float(losses.Dice()(t, p)) == pytest.approx(whole)
    np.testing.assert_allclose(losses.Dice(reduction="none")(t, p, weights), whole * weights)
    assert float(losses.Dice()(t, p, weights)) == pytest.approx(whole * weights.mean())
    assert float(losses.Dice(reduction="mean_with_sample_weight")(t, p, weights)) == pytest.approx(whole)


def test_generalized_cross_entropy_by_hand():
    p = np.array([[0.7, 0.3], [0.2, 0.8]])
    np.testing.assert_allclose(
        losses.categorical_generalized_cross_entropy(np.array([0, 1]), p, 0.5), (1 - np.sqrt([0.7, 0.8])) / 0.5
    )


# ------------------------------------------------------------------ ignore_class
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_ignored_labels_give_no_loss_and_no_gradient_and_do_not_count_in_the_mean(from_logits, weighted):
    rng = np.random.default_rng(3)
    labels = np.array([0, 255, 2, 1, 255, 3])
    y_pred = rng.normal(size=(6, 4)) if from_logits else rng.dirichlet(np.ones(4), size=6)
    weights = rng.uniform(0.5, 2.0, size=6) if weighted else None
    valid = labels != 255
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=255)
    plain = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    kept_weights = None if weights is None else weights[valid]
    # the mean over the kept samples only
    assert loss(labels, y_pred, weights) == pytest.approx(plain(labels[valid], y_pred[valid], kept_weights))
    grad = loss.gradient(labels, y_pred, weights)
    np.testing.assert_array_equal(grad[~valid], 0.0)
    np.testing.assert_allclose(grad[valid], plain.gradient(labels[valid], y_pred[valid], kept_weights), rtol=1e-12)
    per_sample = losses.sparse_categorical_crossentropy(labels, y_pred, from_logits, 255)  # positional, as Keras
    np.testing.assert_array_equal(per_sample[~valid], 0.0)
    summed = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=255, reduction="sum")
    assert summed(labels, y_pred, weights) == pytest.approx(plain(labels[valid], y_pred[valid], kept_weights) * 4)


def test_an_all_ignored_batch_gives_zero():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    value, grad = loss.value_and_gradient(np.array([-1, -1]), np.full((2, 3), 1 / 3))
    assert value == 0.0 and not grad.any()


def test_ignore_class_takes_the_softmax_shortcut_exactly():
    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.ones(5), size=8)
    labels = np.array([0, 4, 9, 1, 9, 2, 3, 9])
    loss = losses.SparseCategoricalCrossentropy(ignore_class=9)
    assert loss.takes_softmax_shortcut()
    value, logits_grad = loss.value_and_logits_gradient(labels, probs, np.arange(1.0, 9.0))
    grad_p = loss.gradient(labels, probs, np.arange(1.0, 9.0))
    # through the softmax's Jacobian: dL/dz = p * (dL/dp - sum(dL/dp * p))
    expected = probs * (grad_p - (grad_p * probs).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(logits_grad, expected, rtol=1e-9, atol=1e-12)
    assert value == pytest.approx(loss(labels, probs, np.arange(1.0, 9.0)))


def test_ignore_class_must_be_an_integer():
    with pytest.raises(ValueError, match="ignore_class must be an integer"):
        losses.SparseCategoricalCrossentropy(ignore_class=1.5)


# ------------------------------------------------------------------ CTC
def ctc_by_enumeration(labels, logits):
    """-log of the summed probability of every path that collapses to `labels` (blank 0)."""
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    target = [label for label in labels if label != 0]
    total = 0.0
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == target:
            total += np.prod(probs[np.arange(len(path)), path])
    return -np.log(total)


def test_ctc_sums_every_alignment():
    rng = np.random.default_rng(5)
    labels = np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0], [0, 0, 0], [2, 1, 2]])
    logits = rng.normal(size=(5, 5, 3))
    expected = [ctc_by_enumeration(row, seq) for row, seq in zip(labels, logits)]
    np.testing.assert_allclose(losses.ctc(labels, logits), expected, rtol=1e-10)


def test_ctc_that_cannot_fit_is_infinite_with_no_gradient():
    rng = np.random.default_rng(6)
    labels = np.array([[1, 1, 1], [1, 2, 0]])  # three repeats need five steps
    logits = rng.normal(size=(2, 4, 3))
    value, grad = losses.CTC(reduction="none").value_and_gradient(labels, logits)
    assert np.isinf(value[0]) and np.isfinite(value[1])
    assert not grad[0].any() and np.all(np.isfinite(grad))


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        (np.zeros((2, 3, 1)), np.zeros((2, 4, 3)), "Targets `y_true` are expected to be a tensor of shape"),
        (np.zeros((2, 3)), np.zeros((2, 4)), "Logits `y_pred` are expected to be a tensor of shape"),
        (np.array([[1, 3]]), np.zeros((1, 4, 3)), r"must be in \[0, 3\)"),
    ],
)
def test_ctc_refuses_bad_shapes_and_labels(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        losses.CTC()(y_true, y_pred)


# ------------------------------------------------------------------ Circle
def test_circle_masks_out_samples_without_positives():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = np.array([0, 1, 0, 2, 1])  # label 2 is alone
    per_sample = losses.Circle(reduction="none")(labels, x)
    assert per_sample[3] == 0.0 and np.all(per_sample[[0, 1, 2, 4]] > 0)
    assert losses.Circle()(labels, x) == pytest.approx(per_sample.sum() / 4)  # Keras divides by the 4 that count
    np.testing.assert_allclose(losses.circle(labels, x), per_sample, rtol=1e-12)


def test_circle_against_explicit_references():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(4, 3))
    refs, ref_labels = rng.normal(size=(6, 3)), np.array([0, 1, 1, 2, 0, 2])
    labels = np.array([0, 1, 2, 2])
    values = losses.circle(labels, x, ref_labels=ref_labels, ref_embeddings=refs, remove_diagonal=False)
    for i in range(4):
        distance = np.maximum(1 - refs @ x[i], 0)
        pos, neg = ref_labels == labels[i], ref_labels != labels[i]
        a = -80 * np.maximum(0.4 + distance[pos], 0) * (0.4 - distance[pos])
        b = 80 * np.maximum(1.4 - distance[neg], 0) * (0.6 - distance[neg])
        logit = np.logaddexp.reduce(a) + np.logaddexp.reduce(b)
        assert values[i] == pytest.approx(np.logaddexp(0, logit), rel=1e-10)


# ------------------------------------------------------------------ names, configs, the base API
NEW_NAMES = {
    "binary_focal_crossentropy": losses.BinaryFocalCrossentropy,
    "BinaryFocalCrossentropy": losses.BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": losses.CategoricalFocalCrossentropy,
    "CategoricalFocalCrossentropy": losses.CategoricalFocalCrossentropy,
    "dice": losses.Dice,
    "Dice": losses.Dice,
    "tversky": losses.Tversky,
    "Tversky": losses.Tversky,
    "ctc": losses.CTC,
    "CTC": losses.CTC,
    "circle": losses.Circle,
    "Circle": losses.Circle,
    "CategoricalGeneralizedCrossEntropy": losses.CategoricalGeneralizedCrossEntropy,
}


@pytest.mark.parametrize("name", sorted(NEW_NAMES))
def test_keras_names(name):
    assert type(losses.get(name)) is NEW_NAMES[name]


def test_every_keras_loss_class_and_function_exists():
    # keras.losses of Keras 3.15.1, less the serialization helpers
    names = (
        "BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy CategoricalFocalCrossentropy "
        "CategoricalGeneralizedCrossEntropy CategoricalHinge Circle CosineSimilarity Dice Hinge Huber KLDivergence "
        "LogCosh Loss MeanAbsoluteError MeanAbsolutePercentageError MeanSquaredError MeanSquaredLogarithmicError "
        "Poisson SparseCategoricalCrossentropy SquaredHinge Tversky binary_crossentropy binary_focal_crossentropy "
        "categorical_crossentropy categorical_focal_crossentropy categorical_generalized_cross_entropy "
        "categorical_hinge circle cosine_similarity ctc deserialize dice get hinge huber kl_divergence log_cosh "
        "mean_absolute_error mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error "
        "poisson serialize sparse_categorical_crossentropy squared_hinge tversky"
    ).split()
    assert [name for name in names if not hasattr(losses, name)] == []


def test_default_names_and_function_names_are_keras_names():
    for cls, name in [
        (losses.BinaryFocalCrossentropy, "binary_focal_crossentropy"),
        (losses.CategoricalFocalCrossentropy, "categorical_focal_crossentropy"),
        (losses.Dice, "dice"),
        (losses.Tversky, "tversky"),
        (losses.CTC, "ctc"),
        (losses.Circle, "circle"),
        (losses.CategoricalGeneralizedCrossEntropy, "categorical_generalized_cross_entropy"),
    ]:
        assert cls().name == name and getattr(losses, name).__name__ == name
    assert losses.Loss().name == "loss" and losses.Loss().get_config() == {
        "name": "loss",
        "reduction": "sum_over_batch_size",
    }


CONFIGURED = [
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=3.0, from_logits=True, name="f"),
    losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.8], label_smoothing=0.1, axis=1, reduction="sum"),
    losses.Dice(axis=(1, 2), reduction="none"),
    losses.Tversky(alpha=0.3, beta=0.7, axis=-1),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, axis=1),
    losses.CTC(reduction="sum"),
    losses.Circle(gamma=10.0, margin=0.3, remove_diagonal=False),
    losses.CategoricalGeneralizedCrossEntropy(q=0.7),
]


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_config_round_trips_through_json(loss):
    written = json.loads(json.dumps(losses.serialize(loss)))
    for again in (losses.get(written), losses.deserialize(written)):
        assert type(again) is type(loss)
        assert json.dumps(again.get_config()) == json.dumps(loss.get_config())


def test_functional_forms_take_keras_arguments_by_position():
    t, p = np.array([[1.0, 0.0, 1.0]]), np.array([[0.6, 0.2, 0.9]])
    np.testing.assert_allclose(
        losses.binary_focal_crossentropy(t, p, True, 0.3, 1.0),
        losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.0, reduction="none")(t, p),
    )
    with pytest.raises(TypeError, match="multiple values"):
        losses.tversky(t, p, 0.3, alpha=0.3)


class OnlyCall(losses.Loss):
    """A custom loss written Keras's way, with `call` only."""

    def call(self, y_true, y_pred):
        return np.mean(np.abs(y_pred - y_true), axis=-1)


def test_a_loss_with_only_call_gives_values_and_autograd_gradients():
    pytest.importorskip("autograd")
    loss = OnlyCall()
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == pytest.approx(1.0)
    # the batch mean of mean(|y_pred - y_true|) per sample: sign(y_pred - y_true) / (2 values * 2 samples) each
    np.testing.assert_allclose(loss.gradient(np.zeros((2, 2)), np.ones((2, 2))), np.full((2, 2), 0.25))


# ------------------------------------------------------------------ bad arguments (Keras's types and phrases)
@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: losses.BinaryFocalCrossentropy(reduction="avg"), ValueError, "Invalid value for argument `reduction`"),
        (lambda: losses.Dice(reduction="batch"), ValueError, "Invalid value for argument `reduction`"),
        (lambda: losses.CTC(reduction="mean_over_time"), ValueError, "Invalid value for argument `reduction`"),
        (lambda: losses.CategoricalFocalCrossentropy(axis=True), ValueError, "`axis` must be of type `int`"),
        (lambda: losses.BinaryFocalCrossentropy(axis=1.5), ValueError, "`axis` must be of type `int`"),
        (lambda: losses.CategoricalFocalCrossentropy(label_smoothing=1.5), ValueError, "label_smoothing"),
        (lambda: losses.CategoricalGeneralizedCrossEntropy(q=1.0), ValueError, r"q must be in the interval \(0, 1\)"),
        (lambda: losses.CategoricalGeneralizedCrossEntropy(q=0), ValueError, r"q must be in the interval \(0, 1\)"),
        (lambda: losses.Dice(axis="a"), ValueError, "`axis` must be None, an int or a tuple of ints"),
        (lambda: losses.Tversky(axis=[1, 0.5]), ValueError, "`axis` must be None, an int or a tuple of ints"),
    ],
)
def test_bad_arguments_raise_keras_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_alpha_list_must_have_one_weight_per_class():
    with pytest.raises(ValueError, match="one weight per class"):
        losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.5])(np.eye(3), np.full((3, 3), 1 / 3))


# ------------------------------------------------------------------ training
def _binary_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0).astype(np.float32)
    return x, y


@pytest.mark.parametrize(
    "loss, activation",
    [
        ("binary_focal_crossentropy", "sigmoid"),
        (losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True, alpha=0.5), None),
        ("dice", "sigmoid"),
        ("tversky", "sigmoid"),
    ],
    ids=["bfce", "bfce_logits", "dice", "tversky"],
)
def test_binary_models_train_with_the_new_losses(loss, activation):
    keras.utils.set_random_seed(0)
    x, y = _binary_problem()
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1, activation=activation)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss)
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]


def test_categorical_focal_crossentropy_trains_and_survives_save_and_load(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.argmax(x[:, :3], axis=1)]
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="categorical_focal_crossentropy")
    history = model.fit(x, y, epochs=15, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded._loss_fn) is losses.CategoricalFocalCrossentropy
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


@pytest.mark.parametrize("activation, from_logits", [("softmax", False), (None, True)])
def test_ignored_samples_change_nothing_in_training(activation, from_logits):
    """One full batch with ignored samples trains exactly as the batch without them."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    labels = rng.integers(0, 3, size=12)
    labels[[1, 5, 6]] = 255
    valid = labels != 255
    trained = []
    for xs, ys in ((x, labels), (x[valid], labels[valid])):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation=activation)])
        model.compile(
            optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=255)
        )
        model.fit(xs, ys, epochs=3, batch_size=len(xs), shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for with_ignored, without in zip(*trained):
        np.testing.assert_allclose(with_ignored, without, rtol=1e-5, atol=1e-7)
