"""Regularizers: their gradients, and training with them matching real Keras."""

import importlib.util
import pathlib

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

import minikeras as keras
from minikeras import regularizers

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
spec = importlib.util.spec_from_file_location(
    "make_keras_golden_regularizers", FIXTURES / "make_keras_golden_regularizers.py"
)
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)


@pytest.mark.parametrize(
    "regularizer",
    [regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(l1=0.1, l2=0.4)],
    ids=["l1", "l2", "l1l2"],
)
def test_penalty_gradients_match_central_differences(regularizer):
    x = np.random.default_rng(0).normal(size=(3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # away from |x|'s kink
    assert_gradients_close(regularizer.gradient(x), numerical_gradient(lambda: regularizer(x), x))


def test_keras_formulas():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert regularizers.L1(0.1)(x) == pytest.approx(0.1 * 6.5)
    assert regularizers.L2(0.1)(x) == pytest.approx(0.1 * 14.25)  # no 1/2, as Keras
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}


def test_training_with_regularizers_matches_keras():
    golden = np.load(FIXTURES / "golden" / "regularizers.npz")
    x, y, weights = golden_script.inputs()
    model = golden_script.architecture(keras, regularizers)
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    loss = model.train_on_batch(x[:4], y[:4])
    evaluated = model.evaluate(x, y, verbose=0)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, golden[f"weight_{i}"], rtol=1e-5, atol=1e-6)
    assert history.history["loss"][0] == pytest.approx(float(golden["fit_loss"]), rel=1e-5)
    assert loss == pytest.approx(float(golden["train_on_batch_loss"]), rel=1e-5)
    assert evaluated == pytest.approx(float(golden["evaluate_loss"]), rel=1e-5)


def test_regularized_model_round_trips_and_reports_its_losses(tmp_path):
    model = golden_script.architecture(keras, regularizers)
    assert len(model.losses) == 3 and model.losses[0] > 0 and model.losses[2] > 0  # the L1 bias penalty starts at 0
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.get_config() == model.get_config()
    assert loaded.losses == pytest.approx(model.losses)
