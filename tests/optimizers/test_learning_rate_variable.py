"""`optimizer.learning_rate` as Keras 3 gives it: a variable for a number (read, compared, assigned), the current
value for a schedule, a callable of no arguments called at every step; and the state and config it saves.
The Keras facts checked here were read from Keras 3.15.1 (jax backend)."""

import contextlib
import re

import numpy as np
import pytest

import minikeras
from minikeras import callbacks, config, optimizers
from minikeras.optimizers import schedules
from minikeras.optimizers.learning_rate import LearningRateVariable

PATHS = pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])


def _path(fast):
    return contextlib.nullcontext() if fast else config.fast_paths(False)


# ------------------------------------------------------------------ the variable
def test_a_number_gives_a_variable_with_keras_attributes():
    optimizer = optimizers.Adam(learning_rate=0.25)
    lr = optimizer.learning_rate
    assert isinstance(lr, LearningRateVariable)
    assert (lr.name, lr.path, lr.dtype, lr.shape, lr.trainable) == (
        "learning_rate",
        "adam/learning_rate",
        "float32",
        (),
        False,
    )
    assert optimizer.learning_rate is lr  # the same variable every time, as Keras
    assert "adam/learning_rate" in repr(lr) and "0.25" in repr(lr)


def test_the_variable_reads_as_a_number():
    lr = optimizers.SGD(learning_rate=0.1).learning_rate
    assert float(lr) == 0.1 and int(lr) == 0 and round(lr, 1) == 0.1 and f"{lr:.2f}" == "0.10"
    assert isinstance(lr.numpy(), np.ndarray) and lr.numpy().dtype == np.float32 and lr.numpy().shape == ()
    assert lr.numpy() == np.float32(0.1) and lr.value == np.float32(0.1)
    assert np.asarray(lr).dtype == np.float32 and np.asarray(lr) == np.float32(0.1)
    assert lr * 2 == 0.2 and 2 * lr == 0.2 and lr + 1 == 1.1 and 1 - lr == 0.9 and lr / 2 == 0.05 and 1 / lr == 10.0
    assert -lr == -0.1 and abs(lr) == 0.1 and lr**2 == pytest.approx(0.01) and 2**lr == pytest.approx(2**0.1)
    assert lr == 0.1 and lr != 0.2 and lr < 0.2 and lr <= 0.1 and lr > 0.05 and lr >= 0.1
    assert lr == pytest.approx(0.1) and pytest.approx(0.1) == lr
    # with numpy arrays the rate acts as a Python float: the array keeps its dtype
    scaled = np.ones(3, np.float32) * lr
    assert scaled.dtype == np.float32 and np.array_equal(scaled, np.full(3, 0.1, np.float32))
    assert (lr * np.ones(2)).dtype == np.float64 and np.array_equal(lr * np.ones(2), [0.1, 0.1])
    assert np.log(lr) == pytest.approx(np.log(0.1))
    assert lr == optimizers.SGD(learning_rate=0.1).learning_rate  # variables compare by value


def test_the_variable_is_neither_hashable_nor_a_boolean_as_in_keras():
    lr = optimizers.SGD(learning_rate=0.1).learning_rate
    with pytest.raises(TypeError, match="unhashable"):
        hash(lr)
    with pytest.raises(TypeError, match="cannot be used as a boolean"):
        bool(lr)


@pytest.mark.parametrize(
    "change",
    [
        lambda opt: opt.learning_rate.assign(0.05),
        lambda opt: setattr(opt, "learning_rate", 0.05),
        lambda opt: setattr(opt, "learning_rate", np.float32(0.05)),
        lambda opt: opt.learning_rate.assign(np.array(0.05)),
        lambda opt: opt.learning_rate.assign_sub(0.05),
        lambda opt: opt.learning_rate.assign_add(-0.05),
        lambda opt: setattr(opt, "learning_rate", opt.learning_rate * 0.5),
        lambda opt: setattr(opt, "learning_rate", optimizers.SGD(learning_rate=0.05).learning_rate),
    ],
    ids=["assign", "set", "set_float32", "assign_array", "assign_sub", "assign_add", "set_scaled", "set_variable"],
)
def test_every_way_of_setting_the_rate_changes_the_same_variable(change):
    optimizer = optimizers.SGD(learning_rate=0.1)
    lr = optimizer.learning_rate
    change(optimizer)
    assert optimizer.learning_rate is lr
    assert float(lr) == pytest.approx(0.05, rel=1e-7)  # float32(0.05) when given as float32


def test_assign_returns_the_new_value_as_keras():
    lr = optimizers.SGD(learning_rate=0.1).learning_rate
    returned = lr.assign(0.5)
    assert isinstance(returned, np.ndarray) and returned.dtype == np.float32 and returned == 0.5


@PATHS
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_an_assigned_rate_is_the_next_steps_rate(fast, momentum):
    with _path(fast):
        optimizer = optimizers.SGD(learning_rate=0.1, momentum=momentum)
        param, grad = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
        optimizer.apply([(param, grad)])
        velocity = optimizer.slot(param, "momentum").copy() if momentum else np.zeros(3, np.float32)
        optimizer.learning_rate.assign(0.0)
        before = param.copy()
        optimizer.apply([(param, grad)])
        # a zero rate: only the velocity moves the weight
        np.testing.assert_array_equal(param, before + np.float32(momentum) * velocity)
        optimizer.learning_rate = 0.2
        before = param.copy()
        velocity = np.float32(momentum) * velocity
        optimizer.apply([(param, grad)])
        step = np.float32(momentum) * velocity - np.float32(0.2) * grad
        np.testing.assert_array_equal(param, before + step)


# ------------------------------------------------------------------ bad values
@pytest.mark.parametrize("value", [1j, "0.1", None, True, [0.1], {"x": 1}])
def test_the_constructor_refuses_what_keras_refuses_with_its_phrase(value):
    with pytest.raises(ValueError, match=re.escape("Argument `learning_rate` should be float, or an instance of")):
        optimizers.SGD(learning_rate=value)


def test_integer_and_numpy_rates_are_accepted():  # Keras takes only a Python float; minikeras also takes these
    assert float(optimizers.SGD(learning_rate=1).learning_rate) == 1.0
    assert float(optimizers.SGD(learning_rate=np.float32(0.5)).learning_rate) == 0.5


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_negative_or_non_finite_rates_are_refused(value):
    with pytest.raises(ValueError, match="non-negative finite"):
        optimizers.SGD(learning_rate=value)
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="non-negative finite"):
        optimizer.learning_rate = value
    with pytest.raises(ValueError, match="non-negative finite"):
        optimizer.learning_rate.assign(value)
    assert optimizer.learning_rate == 0.1  # unchanged


@pytest.mark.parametrize("value", ["x", None, True])
def test_setting_a_non_number_is_refused_and_changes_nothing(value):
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError):
        optimizer.learning_rate = value
    with pytest.raises(ValueError, match="must be a number"):
        optimizer.learning_rate.assign(value)
    assert optimizer.learning_rate == 0.1


@pytest.mark.parametrize("value", [[0.1, 0.2], np.ones(2), np.ones((1,))])
def test_assigning_another_shape_is_refused_with_keras_phrase(value):
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="The shape of the target variable and the shape of the target value"):
        optimizer.learning_rate.assign(value)
    assert optimizer.learning_rate == 0.1


# ------------------------------------------------------------------ schedules
def test_with_a_schedule_learning_rate_is_its_value_at_the_current_step():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    optimizer = optimizers.SGD(learning_rate=schedule)
    param = np.zeros(2)
    for step in range(4):
        assert optimizer.learning_rate == pytest.approx(0.1 * 0.5**step)
        assert isinstance(optimizer.learning_rate, float)
        optimizer.apply([(param, np.ones(2))])
    np.testing.assert_allclose(param, -(0.1 + 0.05 + 0.025 + 0.0125))
    config_ = optimizer.get_config()
    assert config_["learning_rate"] == {
        "module": "keras.optimizers.schedules",
        "class_name": "ExponentialDecay",
        "config": schedule.get_config(),
        "registered_name": None,
    }
    twin = optimizers.SGD.from_config(config_)
    assert isinstance(twin._learning_rate, schedules.ExponentialDecay) and twin.learning_rate == 0.1


def test_a_schedules_rate_cannot_be_set_to_a_number_keras_message():
    optimizer = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, decay_steps=10))
    with pytest.raises(TypeError, match=re.escape("created with a `LearningRateSchedule` object")) as caught:
        optimizer.learning_rate = 0.01
    assert "not settable" in str(caught.value)


def test_setting_a_schedule_replaces_the_variable_as_keras():
    optimizer = optimizers.SGD(learning_rate=0.1)
    assert optimizer.variable_names == ["sgd/iteration", "sgd/learning_rate"]
    optimizer.learning_rate = schedules.ExponentialDecay(0.2, decay_steps=1, decay_rate=0.5)
    assert optimizer.variable_names == ["sgd/iteration"]  # Keras untracks the learning-rate variable
    assert optimizer.learning_rate == 0.2
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.1


# ------------------------------------------------------------------ callables
@PATHS
def test_a_callable_of_no_arguments_is_called_at_every_step(fast):
    calls = []
    rates = iter([0.1, 0.2, 0.05])

    def rate():
        calls.append(1)
        return next(rates)

    with _path(fast):
        optimizer = optimizers.SGD(learning_rate=rate)
        param = np.zeros(2, np.float32)
        for _ in range(3):
            optimizer.apply([(param, np.ones(2, np.float32))])
    assert len(calls) == 3
    np.testing.assert_allclose(param, -(0.1 + 0.2 + 0.05), rtol=1e-6)
    assert optimizer.variable_names == ["sgd/iteration"]  # no variable, as Keras


def test_reading_a_callables_rate_calls_it():
    optimizer = optimizers.Adam(learning_rate=lambda: 0.02)
    assert optimizer.learning_rate == 0.02 and isinstance(optimizer.learning_rate, float)


def test_a_callable_of_the_step_is_refused_before_training():
    # Keras calls a callable with no arguments; one that needs the step fails (TypeError) at the first step.
    with pytest.raises(TypeError, match="called with no arguments.*LearningRateSchedule"):
        optimizers.SGD(learning_rate=lambda step: 0.1)
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(TypeError, match="called with no arguments"):
        optimizer.learning_rate = lambda step: 0.1
    assert optimizer.learning_rate == 0.1


def test_a_callables_rate_cannot_be_set_to_a_number():
    optimizer = optimizers.SGD(learning_rate=lambda: 0.1)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.2


def test_a_callable_returning_a_bad_rate_stops_the_step_before_any_change():
    optimizer = optimizers.SGD(learning_rate=lambda: -1.0, momentum=0.9)
    param = np.ones(2)
    with pytest.raises(ValueError, match="non-negative finite"):
        optimizer.apply([(param, np.ones(2))])
    np.testing.assert_array_equal(param, 1.0)
    assert optimizer.iterations == 0


def test_a_callable_without_get_config_cannot_be_saved_in_a_config():
    optimizer = optimizers.SGD(learning_rate=lambda: 0.1)
    with pytest.raises(ValueError, match="without get_config"):
        optimizer.get_config()


# ------------------------------------------------------------------ config and state
def test_config_writes_the_current_rate_as_a_float():
    optimizer = optimizers.RMSprop(learning_rate=0.01)
    optimizer.learning_rate.assign(0.003)
    written = optimizer.get_config()["learning_rate"]
    assert type(written) is float and written == 0.003
    assert float(optimizers.RMSprop.from_config(optimizer.get_config()).learning_rate) == 0.003


def test_the_state_layout_is_unchanged_and_restores_the_rate():
    optimizer = optimizers.Adam(learning_rate=0.01)
    param = np.ones(3, np.float32)
    optimizer.apply([(param, np.ones(3, np.float32))])
    optimizer.learning_rate = 0.004
    names = optimizer.variable_names
    assert names == ["adam/iteration", "adam/learning_rate", "adam/momentum_0", "adam/velocity_0"]
    values = optimizer.variables
    assert values[1].dtype == np.float32 and values[1].shape == () and values[1] == np.float32(0.004)
    twin = optimizers.Adam(learning_rate=0.01)
    twin.build([np.ones(3, np.float32)])
    lr = twin.learning_rate
    twin.set_weights(values)
    assert twin.learning_rate is lr and twin.learning_rate == pytest.approx(0.004) and twin.iterations == 1


def test_set_weights_with_a_bad_rate_changes_nothing():
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="non-negative finite"):
        optimizer.set_weights([np.array(5, np.int32), np.array(-1.0, np.float32)])
    assert optimizer.iterations == 0 and optimizer.learning_rate == 0.1


# ------------------------------------------------------------------ in training
def _model(optimizer):
    minikeras.utils.set_random_seed(4)
    model = minikeras.Sequential(
        [minikeras.Input(shape=(4,)), minikeras.layers.Dense(5, activation="relu"), minikeras.layers.Dense(2)]
    )
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _data():
    rng = np.random.default_rng(5)
    return rng.normal(size=(20, 4)).astype(np.float32), rng.normal(size=(20, 2)).astype(np.float32)


class AssignBetweenEpochs(callbacks.Callback):
    """Assigns `rates[epoch]` at each epoch's start and keeps the weights at each epoch's end."""

    def __init__(self, rates):
        super().__init__()
        self.rates, self.weights = rates, []

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rates[epoch])

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


@PATHS
@pytest.mark.parametrize("make", [lambda: optimizers.Adam(0.01), lambda: optimizers.SGD(0.1, momentum=0.0)])
def test_a_rate_assigned_between_epochs_takes_effect(fast, make):
    x, y = _data()
    with _path(fast):
        model = _model(make())
        watch = AssignBetweenEpochs([0.01, 0.0, 0.02])
        model.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0, callbacks=[watch])
    first, frozen, last = watch.weights
    for before, after in zip(first, frozen, strict=True):
        np.testing.assert_array_equal(before, after)  # a zero rate: no change (neither optimizer has momentum)
    assert any(not np.array_equal(a, b) for a, b in zip(frozen, last, strict=True))
    assert model.optimizer.learning_rate == 0.02


def test_the_learning_rate_callbacks_read_and_set_the_variable():
    x, y = _data()
    model = _model(optimizers.SGD(0.1))
    lr = model.optimizer.learning_rate
    history = model.fit(
        x,
        y,
        batch_size=5,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.5)],
    )
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert model.optimizer.learning_rate is lr and lr == pytest.approx(0.0125)
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=1e9)
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0, callbacks=[plateau])
    # the first epoch improves on nothing; the second does not improve by min_delta: reduced after it is logged
    assert history.history["learning_rate"] == pytest.approx([0.0125, 0.0125])
    assert model.optimizer.learning_rate is lr and lr == pytest.approx(0.00625)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_saved_model_keeps_the_assigned_rate(tmp_path, suffix):
    x, y = _data()
    model = _model(optimizers.Adam(0.01))
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.0025
    model.save(tmp_path / f"m{suffix}")
    loaded = minikeras.models.load_model(tmp_path / f"m{suffix}")
    assert isinstance(loaded.optimizer.learning_rate, LearningRateVariable)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.0025)
    assert loaded.optimizer.iterations == model.optimizer.iterations
