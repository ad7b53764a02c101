"""Files written by real Keras (committed by tests/fixtures/make_keras_fixtures.py) load and predict alike."""

import pathlib

import numpy as np
import pytest

import minikeras as keras

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
MODEL_FILES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".keras", ".h5"))


def test_there_are_fixtures_from_keras():
    assert any(p.name.startswith("keras3_") and p.suffix == ".keras" for p in MODEL_FILES)
    assert any(p.name.startswith("keras3_") and p.suffix == ".h5" for p in MODEL_FILES)


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.name for p in MODEL_FILES])
def test_keras_file_loads_and_predicts_what_keras_predicted(path):
    expected = np.load(path.with_suffix(".npz"))
    if path.name == "keras2_mlp_activations.h5":
        # tf.keras 2 saved momentum arrays for an SGD without momentum: the model loads, the
        # optimizer starts afresh, and the user is told so.
        with pytest.warns(UserWarning, match="optimizer state was not restored: the file holds 7 arrays"):
            model = keras.models.load_model(path)
    else:
        model = keras.models.load_model(path)
    predicted = model.predict(expected["x"], verbose=0)
    assert predicted.dtype == np.float32
    np.testing.assert_allclose(predicted, expected["y"], rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "path", [p for p in MODEL_FILES if p.stem.endswith(("cnn", "conv_options"))], ids=lambda p: p.name
)
def test_keras_compile_settings_and_optimizer_state_come_along(path):
    model = keras.models.load_model(path)
    assert model.compiled
    assert model.optimizer.iterations == 8  # two epochs of four batches
    slots = model.optimizer.variables[2:]
    assert slots and any(np.abs(s).max() > 0 for s in slots)
    x = np.load(path.with_suffix(".npz"))["x"]
    targets = model.predict(x, verbose=0)
    if isinstance(model._loss_fn, keras.losses.SparseCategoricalCrossentropy):
        targets = targets.argmax(axis=-1)
    model.fit(x, targets, epochs=1, verbose=0)  # and training continues
    assert model.optimizer.iterations == 9
