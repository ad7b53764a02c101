"""`regularizers.OrthogonalRegularizer`: values, gradients, configs and training against Keras 3
(tests/fixtures/make_keras_golden_orthogonal.py), gradients against central differences."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

import minikeras as keras
from minikeras import regularizers
from minikeras.regularizers import OrthogonalRegularizer

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_orthogonal", FIXTURES / "make_keras_golden_orthogonal.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "orthogonal.npz")
CONFIGS = json.loads(str(GOLDEN["configs"]))
CASES = sorted(golden_script.CASES)


def _regularizer(name):
    _, factor, mode = golden_script.CASES[name]
    return OrthogonalRegularizer(factor=factor, mode=mode)


@pytest.mark.parametrize("name", CASES)
def test_penalty_matches_keras(name):
    w = GOLDEN[f"{name}/w"]
    np.testing.assert_array_equal(w, golden_script.CASES[name][0])  # the script's inputs are the stored ones
    expected = float(GOLDEN[f"{name}/value"])
    if np.isnan(expected):  # a single vector: no pairs
        assert np.isnan(_regularizer(name)(w))
    else:
        assert _regularizer(name)(w) == pytest.approx(expected, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("name", sorted(set(CASES) - golden_script.NO_GRADIENT))
def test_gradient_matches_jax_grad_of_keras(name):
    w = GOLDEN[f"{name}/w"]
    grad = _regularizer(name).gradient(w)
    assert grad.dtype == np.float32 and grad.shape == w.shape
    expected = GOLDEN[f"{name}/grad"]
    np.testing.assert_allclose(grad, expected, rtol=2e-4, atol=1e-6 * np.abs(expected).max())


def _float64_cases():
    rng = np.random.default_rng(42)
    tiny = rng.normal(size=(4, 3))
    tiny[1] *= 1e-9  # below epsilon: scaled by 1/epsilon, not normalized
    zero = rng.normal(size=(3, 5))
    zero[:, 2] = 0.0  # a zero column: in columns mode its products are 0 and so is its gradient
    return {  # name -> (matrix, regularizer, the difference step of each row)
        "rows": (rng.normal(size=(4, 3)), OrthogonalRegularizer(0.3), [1e-6] * 4),
        "columns": (rng.normal(size=(5, 3)), OrthogonalRegularizer(0.7, mode="columns"), [1e-6] * 5),
        "wide_rows": (rng.normal(size=(3, 6)) * 10, OrthogonalRegularizer(1.0), [1e-5] * 3),
        "tiny_row": (tiny, OrthogonalRegularizer(0.2), [1e-6, 1e-14, 1e-6, 1e-6]),  # small steps stay below epsilon
        "zero_column": (zero, OrthogonalRegularizer(0.2, mode="columns"), [1e-6] * 3),
    }


@pytest.mark.parametrize("name", sorted(_float64_cases()))
def test_gradient_matches_central_differences_in_float64(name):
    w, regularizer, steps = _float64_cases()[name]
    analytic = regularizer.gradient(w)
    assert analytic.dtype == np.float64
    for i, eps in enumerate(steps):
        row = w[i]  # a view: the differences perturb w itself
        numeric = numerical_gradient(lambda: regularizer(w), row, eps=eps)
        assert_gradients_close(analytic[i], numeric, rtol=1e-5, atol=1e-8)


def test_orthogonal_vectors_have_no_penalty_and_no_gradient():
    w = np.eye(4)[:, :3] * np.array([2.0, 0.5, 3.0])  # orthogonal columns, and rows (one is zero)
    for mode in ("rows", "columns"):
        regularizer = OrthogonalRegularizer(1.0, mode=mode)
        assert regularizer(w) == 0.0
        np.testing.assert_array_equal(regularizer.gradient(w), np.zeros_like(w))


def test_formula_on_a_small_case():
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    cos = 1 / np.sqrt(2)  # rows 0-1 and 1-2 meet at 45 degrees; rows 0 and 2 are orthogonal
    assert OrthogonalRegularizer(0.6)(w) == pytest.approx(0.6 * (2 * cos + 2 * cos) / (3 * 2))


def test_configs_and_names_are_keras():
    for name in CASES:
        regularizer = _regularizer(name)
        assert regularizer.get_config() == CONFIGS[name]["config"]
        assert regularizers.serialize(regularizer) == CONFIGS[name]["serialized"]
        rebuilt = regularizers.deserialize(CONFIGS[name]["serialized"])
        assert isinstance(rebuilt, OrthogonalRegularizer) and rebuilt.get_config() == regularizer.get_config()
        assert OrthogonalRegularizer.from_config(regularizer.get_config()).get_config() == regularizer.get_config()
    assert regularizers.get("orthogonal_regularizer").get_config() == CONFIGS["default"]["config"]
    assert isinstance(regularizers.get("OrthogonalRegularizer"), OrthogonalRegularizer)
    assert regularizers.orthogonal_regularizer is OrthogonalRegularizer
    assert keras.utils.serialize_keras_object(OrthogonalRegularizer()) == {
        **CONFIGS["rows_4x3"]["serialized"],
        "config": CONFIGS["default"]["config"],
    }


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"factor": -0.1}, "Invalid value for argument factor: expected a non-negative float."),
        ({"factor": float("nan")}, "Invalid value for argument factor: expected a non-negative float."),
        ({"factor": "0.1"}, "Invalid value for argument factor: expected a non-negative float."),
        ({"mode": "diagonal"}, "Invalid value for argument `mode`. Expected one of"),
    ],
)
def test_bad_arguments_are_refused_with_keras_phrases(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase.replace("(", r"\(")):
        OrthogonalRegularizer(**kwargs)


def test_only_matrices_are_accepted():
    regularizer = OrthogonalRegularizer()
    for method in (regularizer, regularizer.gradient):
        with pytest.raises(ValueError, match=r"must have rank 2. Received: inputs.shape=\(2, 2, 2\)"):
            method(np.ones((2, 2, 2)))


def _model():
    x, y, weights = golden_script.model_inputs()
    model = golden_script.architecture(keras, regularizers)
    model.set_weights(weights)
    return model, x, y


def test_training_with_the_regularizer_matches_keras():
    model, x, y = _model()
    np.testing.assert_allclose(model.losses, GOLDEN["model/losses"], rtol=1e-5)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    loss = model.train_on_batch(x[:4], y[:4])
    evaluated = model.evaluate(x, y, verbose=0)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, GOLDEN[f"model/weight_{i}"], rtol=1e-5, atol=1e-6)
    assert history.history["loss"][0] == pytest.approx(float(GOLDEN["model/fit_loss"]), rel=1e-5)
    assert loss == pytest.approx(float(GOLDEN["model/train_on_batch_loss"]), rel=1e-5)
    assert evaluated == pytest.approx(float(GOLDEN["model/evaluate_loss"]), rel=1e-5)


def test_a_regularized_model_saves_and_loads(tmp_path):
    model, x, y = _model()
    assert [layer.get_config()["kernel_regularizer"] for layer in model.layers] == CONFIGS["model_layers"]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    for path in (tmp_path / "m.keras", tmp_path / "m.h5"):
        model.save(path)
        loaded = keras.models.load_model(path)
        assert loaded.get_config() == model.get_config()
        assert isinstance(loaded.layers[1].kernel_regularizer, OrthogonalRegularizer)
        assert loaded.losses == pytest.approx(model.losses)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
