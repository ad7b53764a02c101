"""Live round trips with real Keras 3 of a model using RepeatVector, Permute, ZeroPadding1D, Cropping1D,
UpSampling1D, Cropping2D, UpSampling2D, Identity and ActivityRegularization (skipped without Keras)."""

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

layers = minikeras.layers


def minikeras_model(data_format):
    minikeras.utils.set_random_seed(0)
    model = minikeras.Sequential(
        [
            minikeras.Input((6, 3)),
            layers.ZeroPadding1D((1, 2)),
            layers.Cropping1D((2, 1)),
            layers.UpSampling1D(2),
            layers.Permute((2, 1)),
            layers.Reshape((3, 12, 1) if data_format == "channels_last" else (1, 3, 12)),
            layers.UpSampling2D((2, 3), interpolation="bilinear", data_format=data_format),
            layers.Cropping2D(((0, 1), (2, 2)), data_format=data_format),
            layers.UpSampling2D(2, data_format=data_format),
            layers.Identity(),
            layers.Flatten(),
            layers.Dense(4, activation="tanh"),
            layers.ActivityRegularization(l1=1e-3, l2=1e-2),
            layers.RepeatVector(2),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    # "mean_squared_error", not "mse": Keras 3.15 cannot reload even its own .h5 files compiled with "mse".
    model.compile(optimizer=minikeras.optimizers.Adam(0.01), loss="mean_squared_error")
    return model


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_minikeras_file_with_reshaping_layers_opens_in_keras_and_predicts_the_same(tmp_path, suffix, data_format):
    model = minikeras_model(data_format)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 6, 3)).astype(np.float32)
    model.fit(x, x.sum(axis=(1, 2))[:, None], epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    theirs = keras.models.load_model(tmp_path / f"m{suffix}")
    assert [type(layer).__name__ for layer in theirs.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-5)
    # and back: Keras's file of the same model loads here and predicts the same
    theirs.save(tmp_path / f"k{suffix}")
    again = minikeras.models.load_model(tmp_path / f"k{suffix}")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
