"""A learning rate assigned during training crosses model files both ways with real Keras 3 (runs when the
`interop` extra is installed): the optimizer state keeps Keras's layout (step count, learning rate, slots)."""

import os

import numpy as np
import pytest

import minikeras

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip(
    "keras", reason="Keras 3 is not installed: pip install '.[interop]' to run the live Keras round trips"
)
if int(keras.__version__.split(".")[0]) < 3:
    pytest.skip("these tests need Keras 3: pip install '.[interop]'", allow_module_level=True)


def _data():
    rng = np.random.default_rng(8)
    return rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 2, 16)


def _layers(module):
    return [
        module.Input(shape=(4,)),
        module.layers.Dense(3, activation="relu"),
        module.layers.Dense(2, activation="softmax"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_opens_a_minikeras_file_with_the_assigned_rate(tmp_path, suffix):
    model = minikeras.Sequential(_layers(minikeras))
    model.compile(optimizer=minikeras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.optimizer.learning_rate.assign(0.0025)
    model.save(tmp_path / f"m{suffix}")
    theirs = keras.models.load_model(tmp_path / f"m{suffix}")
    assert float(theirs.optimizer.learning_rate) == pytest.approx(0.0025)
    assert int(theirs.optimizer.iterations) == model.optimizer.iterations == 2


@pytest.mark.slow
def test_minikeras_opens_a_keras_file_with_the_assigned_rate(tmp_path):
    theirs = keras.Sequential(_layers(keras))
    theirs.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    x, y = _data()
    theirs.fit(x, y, batch_size=8, epochs=1, verbose=0)
    theirs.optimizer.learning_rate = 0.02
    theirs.save(tmp_path / "k.keras")
    mine = minikeras.models.load_model(tmp_path / "k.keras")
    assert isinstance(mine.optimizer.learning_rate, minikeras.optimizers.learning_rate.LearningRateVariable)
    assert float(mine.optimizer.learning_rate) == pytest.approx(0.02)
    assert mine.optimizer.iterations == 2
