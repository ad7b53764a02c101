"""Model files with Adamax, Ftrl, Lion, Lamb or Adafactor cross both ways with real Keras 3, optimizer state
included (runs when the `interop` extra is installed): the other library reads the same optimizer, config and
state variables, and continues training as the writer does. (Keras restores an .h5 file's optimizer config
and step count only, so from .h5 files only minikeras is checked to continue.)"""

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

# (class name, options): options both libraries take, chosen so that every part of each rule runs.
OPTIMIZERS = {
    "adamax": ("Adamax", {"learning_rate": 0.01, "weight_decay": 0.01}),
    "ftrl": ("Ftrl", {"learning_rate": 0.2, "l1_regularization_strength": 0.001, "l2_regularization_strength": 0.01}),
    "lion": ("Lion", {"learning_rate": 0.002, "beta_2": 0.98}),
    "lamb": ("Lamb", {"learning_rate": 0.01, "clipnorm": 1.0}),
    "adafactor": ("Adafactor", {"learning_rate": 0.05, "clip_threshold": 0.8}),
}


def _model(library):
    """The same model in minikeras or Keras: a convolution (4-d kernel: Adafactor factors it), dense layers."""
    return library.Sequential(
        [
            library.Input(shape=(6, 6, 2)),
            library.layers.Conv2D(3, 3, activation="tanh"),
            library.layers.Flatten(),
            library.layers.Dense(5, activation="tanh"),
            library.layers.Dense(3, activation="softmax"),
        ]
    )


def _data():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(24, 6, 6, 2)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[np.arange(24) % 3]


def _compiled(library, name):
    class_name, options = OPTIMIZERS[name]
    if library is keras:
        keras.utils.set_random_seed(3)
    else:
        minikeras.utils.set_random_seed(3)
    model = _model(library)
    model.compile(optimizer=getattr(library.optimizers, class_name)(**options), loss="categorical_crossentropy")
    return model


def _assert_same_state(mine, theirs):
    assert type(theirs.optimizer).__name__ == type(mine.optimizer).__name__
    assert int(theirs.optimizer.iterations) == mine.optimizer.iterations
    their_variables = [np.asarray(v.value) for v in theirs.optimizer.variables]
    assert len(their_variables) == len(mine.optimizer.variables)
    for index, (a, b) in enumerate(zip(mine.optimizer.variables, their_variables)):
        assert a.shape == b.shape, f"variable {index}"
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=f"variable {index}")
    mine_config, their_config = mine.optimizer.get_config(), theirs.optimizer.get_config()
    assert set(mine_config) == set(their_config)
    for key, value in their_config.items():
        if isinstance(value, float):
            assert mine_config[key] == pytest.approx(value, rel=1e-7), key
        else:
            assert mine_config[key] == value, key


def _continue_both(mine, theirs):
    x, y = _data()
    mine.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    theirs.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(mine.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_keras_continues_from_a_minikeras_file(tmp_path, name):
    mine = _compiled(minikeras, name)
    x, y = _data()
    mine.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    mine.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    _assert_same_state(mine, theirs)
    _continue_both(mine, theirs)


# Keras 3 reads an .h5 file's optimizer config and step count but leaves the other state variables
# fresh, its own files' too; and it cannot read a Lamb from .h5 ("Could not interpret optimizer identifier").
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) - {"lamb"}))
def test_keras_opens_a_minikeras_h5_file(tmp_path, name):
    mine = _compiled(minikeras, name)
    x, y = _data()
    mine.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    mine.save(tmp_path / "m.h5")
    theirs = keras.models.load_model(tmp_path / "m.h5")
    assert type(theirs.optimizer).__name__ == type(mine.optimizer).__name__
    assert int(theirs.optimizer.iterations) == mine.optimizer.iterations
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), mine.predict(x, verbose=0), atol=1e-6)


# Keras cannot write an Adafactor to .h5: it names a weight's two factored moments alike.
@pytest.mark.slow
@pytest.mark.parametrize(
    "name, suffix",
    [(name, ".keras") for name in sorted(OPTIMIZERS)]
    + [(name, ".h5") for name in sorted(set(OPTIMIZERS) - {"adafactor"})],
)
def test_minikeras_continues_from_a_keras_file(tmp_path, name, suffix):
    theirs = _compiled(keras, name)
    x, y = _data()
    theirs.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    theirs.save(tmp_path / f"k{suffix}")
    mine = minikeras.models.load_model(tmp_path / f"k{suffix}")
    _assert_same_state(mine, theirs)
    _continue_both(mine, theirs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_configs_cross_both_ways(name):
    class_name, options = OPTIMIZERS[name]
    ours = minikeras.optimizers.serialize(getattr(minikeras.optimizers, class_name)(**options))
    # As Keras reads a model file's optimizer (its `optimizers.deserialize` does not know Lamb).
    read_by_keras = keras.saving.deserialize_keras_object(ours)
    assert type(read_by_keras).__name__ == class_name
    back = minikeras.optimizers.deserialize(keras.optimizers.serialize(read_by_keras))
    for key, value in ours["config"].items():
        mine = back.get_config()[key]
        assert mine == (pytest.approx(value, rel=1e-7) if isinstance(value, float) else value), key


@pytest.mark.parametrize(
    "schedule",
    [
        lambda lib: lib.optimizers.schedules.PolynomialDecay(0.1, 7, end_learning_rate=0.01, power=0.5, cycle=True),
        lambda lib: lib.optimizers.schedules.CosineDecayRestarts(0.1, 3, t_mul=1.5, m_mul=0.9, alpha=0.1),
    ],
    ids=["polynomial", "restarts"],
)
def test_schedules_cross_both_ways(schedule):
    ours = minikeras.optimizers.schedules.serialize(schedule(minikeras))
    assert ours == keras.optimizers.schedules.serialize(schedule(keras))
    read_by_keras = keras.optimizers.schedules.deserialize(ours)
    back = minikeras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(read_by_keras))
    assert back.get_config() == ours["config"]
    for step in (0, 3, 4, 11, 40):
        assert back(step) == pytest.approx(float(read_by_keras(step)), rel=1e-6)
