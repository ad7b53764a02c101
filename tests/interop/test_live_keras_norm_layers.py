"""Live: a minikeras model with LayerNormalization and the other new layers opens in Keras 3 and predicts the
same, and a Keras model with them opens in minikeras (runs when the `interop` extra is installed)."""

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


def build(lib):
    layers = lib.layers
    return lib.Sequential(
        [
            lib.Input((4, 4, 3)),
            layers.Rescaling([0.5, 2.0, 1.0], offset=0.1),
            layers.LayerNormalization(axis=[1, -1], epsilon=1e-4),
            layers.SpatialDropout2D(0.2, seed=1),
            layers.GaussianNoise(0.1, seed=1),
            layers.Flatten(),
            layers.Dense(5),
            layers.LayerNormalization(center=False),
            layers.GaussianDropout(0.2, seed=2),
            layers.UnitNormalization(),
            layers.Dense(2),
        ]
    )


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 4, 4, 3)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_minikeras_file_with_layer_normalization_opens_in_keras(tmp_path, suffix):
    minikeras.utils.set_random_seed(0)
    model = build(minikeras)
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    # compile=False: Keras 3.15 cannot read back the loss "mse" from an .h5 file, even one it wrote itself.
    theirs = keras.models.load_model(tmp_path / f"m{suffix}", compile=False)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-5)
    assert [w.shape for w in theirs.weights] == [w.shape for w in model.weights]


def test_a_keras_file_with_layer_normalization_opens_in_minikeras(tmp_path):
    theirs = build(keras)
    theirs.compile(optimizer="adam", loss="mean_squared_error")
    x, y = data()
    theirs.fit(x, y, epochs=1, batch_size=8, verbose=0)  # weights other than the initial ones
    theirs.save(tmp_path / "k.keras")
    mine = minikeras.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(mine.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)
