"""Live round trips with real Keras 3 of optimizers with moving averages, gradient accumulation and loss
scaling: the state travels in Keras's order both ways and training goes on the same (skips without Keras)."""

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

OPTIONS = {
    "use_ema": True,
    "ema_momentum": 0.8,
    "ema_overwrite_frequency": 3,
    "gradient_accumulation_steps": 2,
    "loss_scale_factor": 4.0,
}


def model(library, optimizer):
    rng = np.random.default_rng(0)
    built = library.Sequential(
        [
            library.Input(shape=(3,)),
            library.layers.Dense(4, activation="tanh"),
            library.layers.Dense(2),
        ]
    )
    built.set_weights(
        [
            rng.normal(size=(3, 4)).astype(np.float32),
            np.zeros(4, np.float32),
            rng.normal(size=(4, 2)).astype(np.float32),
            np.zeros(2, np.float32),
        ]
    )
    # "mse" would not do: Keras 3.15 cannot read its own .h5 files compiled with "mse"
    built.compile(optimizer=optimizer, loss="mean_squared_error")
    return built


def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(20, 3)).astype(np.float32), rng.normal(size=(20, 2)).astype(np.float32)


def assert_same_state(mine, theirs):
    values = [np.asarray(v.numpy()) for v in theirs.optimizer.variables]
    assert len(mine.optimizer.variables) == len(values)
    for index, (a, b) in enumerate(zip(mine.optimizer.variables, values)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=f"optimizer variable {index}")
    config = theirs.optimizer.get_config()
    assert {key: config[key] for key in OPTIONS} == OPTIONS


def continue_both(mine, theirs):
    x, y = data()
    mine.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(mine.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-5)
    assert mine.optimizer.iterations == int(theirs.optimizer.iterations)


def trained_minikeras_model():
    mine = model(minikeras, minikeras.optimizers.Adam(0.01, **OPTIONS))
    x, y = data()
    for start in range(0, 12, 4):  # three calls: an accumulated gradient is pending, the averages have moved
        mine.train_on_batch(x[start : start + 4], y[start : start + 4])
    return mine


def test_keras_continues_a_minikeras_ema_accumulating_optimizer(tmp_path):
    mine = trained_minikeras_model()
    mine.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    assert_same_state(mine, theirs)
    continue_both(mine, theirs)


def test_keras_reads_the_optimizer_state_of_a_minikeras_h5_file_in_its_order(tmp_path):
    """Keras 3.15's `load_model` restores no optimizer state from any .h5 file (its own neither): here Keras's
    .h5 reader reads the state into a Keras optimizer built for the model, which then trains on as minikeras."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    mine = trained_minikeras_model()
    mine.save(tmp_path / "m.h5")
    theirs = keras.models.load_model(tmp_path / "m.h5")
    optimizer = keras.optimizers.Adam.from_config(theirs.optimizer.get_config())
    optimizer.build(theirs.trainable_variables)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        optimizer.set_weights(legacy_h5_format.load_optimizer_weights_from_hdf5_group(f))  # checks each shape
    theirs.compile(optimizer=optimizer, loss="mean_squared_error")
    assert_same_state(mine, theirs)
    continue_both(mine, theirs)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_minikeras_continues_a_keras_ema_accumulating_optimizer(tmp_path, suffix):
    theirs = model(keras, keras.optimizers.SGD(0.05, momentum=0.9, **OPTIONS))
    x, y = data()
    theirs.fit(x[:12], y[:12], batch_size=4, epochs=1, shuffle=False, verbose=0)  # three calls, then finalized
    theirs.save(tmp_path / "k.keras")
    theirs.save(tmp_path / "k.h5")
    mine = minikeras.models.load_model(tmp_path / f"k{suffix}")
    assert isinstance(mine.optimizer, minikeras.optimizers.SGD)
    assert_same_state(mine, theirs)
    for a, b in zip(mine.get_weights(), theirs.get_weights()):  # Keras's fit ended with the averages
        np.testing.assert_array_equal(a, np.asarray(b))
    # Keras on JAX cannot fit again a model whose fit finalized its EMA weights (the weights and their
    # averages then share buffers, which a jitted step may not donate twice), and restores no optimizer
    # state from .h5 files: it continues from its .keras file.
    continue_both(mine, keras.models.load_model(tmp_path / "k.keras"))
