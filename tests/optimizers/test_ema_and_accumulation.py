"""Keras's moving average of the weights (`use_ema`), gradient accumulation and loss scaling, on every
optimizer and both update paths: trajectories, `fit`, `SwapEMAWeights` and files against values
recorded from real Keras (tests/fixtures/make_keras_golden_ema.py), and the contract around them."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

import minikeras
from minikeras import callbacks, config, layers, optimizers

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location("make_keras_golden_ema", FIXTURES / "make_keras_golden_ema.py")
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "ema.npz")
VARIABLE_NAMES = json.loads(str(GOLDEN["variable_names"]))
PATHS = pytest.mark.parametrize("fast", [True, False], ids=["flat", "per_weight"])


def _optimizer(name):
    class_name, kwargs = golden_script.CONFIGS[name]
    if not hasattr(optimizers, class_name):
        pytest.skip(f"minikeras has no optimizers.{class_name}")
    return golden_script.build_optimizer(minikeras, class_name, kwargs)


def _close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=what)


# ------------------------------------------------------------------ trajectories against Keras
@PATHS
@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_each_step_follows_keras(name, fast):
    """Weights, moving averages and `iterations` after every step, then the whole state in Keras's order."""
    optimizer = _optimizer(name)
    params = golden_script.initial_values()
    with config.fast_paths(fast):
        for step, grads in enumerate(golden_script.gradients()):
            optimizer.apply(zip(params, grads))
            _close(params[0], GOLDEN[f"{name}/kernel"][step], f"kernel, step {step}")
            _close(params[1], GOLDEN[f"{name}/bias"][step], f"bias, step {step}")
            if optimizer.use_ema:
                _close(optimizer.slot(params[0], "average"), GOLDEN[f"{name}/average_kernel"][step], f"step {step}")
                _close(optimizer.slot(params[1], "average"), GOLDEN[f"{name}/average_bias"][step], f"step {step}")
            assert optimizer.iterations == GOLDEN[f"{name}/iterations"][step], f"step {step}"
    keras_names = VARIABLE_NAMES[name]
    assert len(optimizer.variables) == len(keras_names)
    for index, (value, keras_name) in enumerate(zip(optimizer.variables, keras_names)):
        _close(value, GOLDEN[f"{name}/variables/{index}"], f"optimizer variable {index} ({keras_name})")
    # the same kinds in the same places: Keras's names end with the kind, minikeras's are `kind_index`
    for mine, theirs in zip(optimizer.variable_names, keras_names):
        kind = mine.split("/")[-1].rsplit("_", 1)[0]
        if kind in ("average", "gradient_accumulator", "momentum", "velocity"):
            assert theirs.endswith(kind), (mine, theirs)


@pytest.mark.parametrize("name", sorted(golden_script.CONFIGS))
def test_the_options_config_is_keras(name):
    optimizer = _optimizer(name)
    keras_config = json.loads(str(GOLDEN[f"{name}/config"]))
    assert {key: optimizer.get_config()[key] for key in golden_script.OPTION_KEYS} == keras_config
    twin = type(optimizer).from_config(optimizer.get_config())
    assert twin.get_config() == optimizer.get_config()


# ------------------------------------------------------------------ fit against Keras
@PATHS
@pytest.mark.parametrize("name", sorted(golden_script.FIT_CASES))
def test_fit_follows_keras(name, fast):
    """History (val_loss with the averages under SwapEMAWeights), the weights each epoch's end shows
    the callbacks, the final weights (finalized: the averages with use_ema) and the optimizer state."""
    with config.fast_paths(fast):
        model, history, seen = golden_script.run_fit(minikeras, golden_script.FIT_CASES[name])
    for key, values in history.items():
        _close(values, GOLDEN[f"{name}/history/{key}"], key)
    assert sorted(history) == sorted(k.rsplit("/", 1)[1] for k in GOLDEN.files if k.startswith(f"{name}/history/"))
    for epoch, weights in enumerate(seen):
        for index, weight in enumerate(weights):
            _close(weight, GOLDEN[f"{name}/epoch_end/{epoch}/{index}"], f"epoch {epoch}, weight {index}")
    for index, weight in enumerate(model.get_weights()):
        _close(weight, GOLDEN[f"{name}/weights/{index}"], f"final weight {index}")
    assert len(model.optimizer.variables) == len(VARIABLE_NAMES[name])
    for index, value in enumerate(model.optimizer.variables):
        _close(value, GOLDEN[f"{name}/variables/{index}"], f"optimizer variable {index}")


# ------------------------------------------------------------------ generic: any update rule
class HalfStepSGD(optimizers.Optimizer):
    """A user optimizer that only defines Keras's `update_step`."""

    def update_step(self, param, grad, learning_rate):
        param -= 0.5 * learning_rate * grad


class HalfStepByIncrement(optimizers.Optimizer):
    """The same rule through `increment` (so it also runs on the flat path)."""

    def increment(self, grad, slots, learning_rate, out=None):
        return np.multiply(grad, -0.5 * learning_rate, out=out)


@PATHS
@pytest.mark.parametrize("cls", [HalfStepSGD, HalfStepByIncrement])
def test_a_user_optimizer_gets_every_option(cls, fast):
    """An optimizer defining only `update_step` or only `increment` accumulates, unscales and averages like
    SGD at half the learning rate, whose trajectory Keras recorded (sgd_ema_overwrite, accumulation)."""
    options = {"use_ema": True, "ema_momentum": 0.7, "ema_overwrite_frequency": 2, "gradient_accumulation_steps": 2}
    mine = cls(learning_rate=0.2, loss_scale_factor=8.0, **options)
    reference = optimizers.SGD(learning_rate=0.1, **options)
    params, expected = golden_script.initial_values(), golden_script.initial_values()
    with config.fast_paths(fast):
        for grads in golden_script.gradients():
            mine.apply(zip(params, [g * 8 for g in grads]))
            reference.apply(zip(expected, grads))
            for a, b in zip(params, expected):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert mine.iterations == reference.iterations == golden_script.STEPS // 2
    assert len(mine.variables) == len(reference.variables)


# ------------------------------------------------------------------ the contract
def test_without_accumulation_iterations_counts_calls_and_with_it_updates():
    plain = optimizers.SGD(0.1)
    accumulating = optimizers.SGD(0.1, gradient_accumulation_steps=3)
    param, other = np.ones(2), np.ones(2)
    for call in range(1, 8):
        plain.apply([(param, np.ones(2))])
        accumulating.apply([(other, np.ones(2))])
        assert plain.iterations == call and accumulating.iterations == call // 3
        assert int(accumulating.variables[0]) == call  # the file keeps the calls, as Keras's "iteration"
    np.testing.assert_allclose(other, 1 - 0.1 * 2)  # two updates of the mean gradient, 1
    accumulating.iterations = 9  # sets the calls
    assert accumulating.iterations == 3 and int(accumulating.variables[0]) == 9


def test_a_schedule_sees_the_calls_while_adam_counts_the_updates():
    seen = []

    class Recorded(optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            seen.append(int(step))
            return 0.1

        def get_config(self):
            return {}

    optimizer = optimizers.SGD(Recorded(), gradient_accumulation_steps=2)
    param = np.zeros(3)
    for _ in range(6):
        optimizer.apply([(param, np.ones(3))])
    assert seen == [1, 3, 5]  # asked only at the updates, with the number of calls so far


def test_the_averages_start_at_the_first_updated_weights_and_follow_keras_formula():
    optimizer = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.75)
    param = np.zeros(2, np.float32)
    optimizer.apply([(param, np.full(2, -1.0, np.float32))])
    np.testing.assert_array_equal(optimizer.slot(param, "average"), param)  # momentum 0 at the first step
    optimizer.apply([(param, np.full(2, -1.0, np.float32))])  # weight 2
    m = np.float32(0.75)
    np.testing.assert_array_equal(optimizer.slot(param, "average"), m * np.float32(1) + (np.float32(1) - m) * 2)
    assert optimizer.slot(param, "average").dtype == np.float32


def test_finalize_variable_values_writes_the_averages_only_with_ema():
    param = np.zeros(3)
    optimizer = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(3):
        optimizer.apply([(param, -np.ones(3))])
    average = optimizer.slot(param, "average").copy()
    assert not np.array_equal(param, average)
    optimizer.finalize_variable_values([param])
    np.testing.assert_array_equal(param, average)
    plain, weight = optimizers.SGD(1.0), np.zeros(2)
    plain.apply([(weight, np.ones(2))])
    plain.finalize_variable_values([weight])
    np.testing.assert_array_equal(weight, -1.0)
    before = param.copy()
    with pytest.raises(ValueError, match="no moving average for variable 1"):
        optimizer.finalize_variable_values([param, np.zeros(3)])  # a copy is not a weight it knows
    np.testing.assert_array_equal(param, before)  # nothing changed


def test_fit_finalizes_the_weights_and_train_on_batch_does_not():
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32)

    def model():
        m = minikeras.Sequential([minikeras.Input(shape=(3,)), layers.Dense(2)])
        m.set_weights([np.full((3, 2), 0.5, np.float32), np.zeros(2, np.float32)])
        m.compile(optimizer=optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), loss="mse")
        return m

    fitted = model()
    fitted.fit(x, y, batch_size=4, epochs=1, verbose=0)
    for weight in fitted.trainable_weights:
        np.testing.assert_array_equal(weight, fitted.optimizer.slot(weight, "average"))
    stepped = model()
    stepped.train_on_batch(x[:4], y[:4])
    stepped.train_on_batch(x[:4], y[:4])
    kernel = stepped.trainable_weights[0]
    assert not np.array_equal(kernel, stepped.optimizer.slot(kernel, "average"))


def test_the_loss_scale_factor_scales_the_loss_gradient_and_is_undone():
    optimizer = optimizers.Adam(0.1, loss_scale_factor=2.0**20)
    assert optimizer.scale_loss(3.0) == 3.0 * 2**20 and optimizers.Adam().scale_loss(3.0) == 3.0
    seen = []

    class Watch(layers.Dense):
        def backward(self, grad):
            seen.append(float(np.abs(grad).max()))
            return super().backward(grad)

    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    scaled = minikeras.Sequential([minikeras.Input(shape=(3,)), Watch(1, kernel_initializer="ones")])
    scaled.compile(optimizer=optimizer, loss="mse")
    plain = minikeras.Sequential([minikeras.Input(shape=(3,)), layers.Dense(1, kernel_initializer="ones")])
    plain.compile(optimizer=optimizers.Adam(0.1), loss="mse")
    logs = scaled.train_on_batch(x, y, return_dict=True)
    plain_logs = plain.train_on_batch(x, y, return_dict=True)
    assert seen == [pytest.approx(2**20 * 1.5)]  # d(mse)/dy = 2 * 3 / 4 for each of 4 samples, times the factor
    assert logs == plain_logs  # the reported loss is not scaled
    for a, b in zip(scaled.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)  # a power of two: exactly undone


@PATHS
def test_the_gradients_the_layers_wrote_stay_as_written(fast):
    """Unscaling, accumulating and clipping write into the optimizer's own arrays, never the layers' gradients."""
    model = minikeras.Sequential([minikeras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(
        optimizer=optimizers.SGD(0.1, loss_scale_factor=4.0, gradient_accumulation_steps=2, clipvalue=0.01),
        loss="mse",
    )
    x, y = np.ones((4, 3), np.float32), np.full((4, 2), 5.0, np.float32)
    dense = model.layers[0]
    with config.fast_paths(fast):
        for _ in range(2):
            prediction = model.predict_on_batch(x)
            model.train_on_batch(x, y)
            # d(mse)/d(bias) over 4 x 2 values, times the factor: not unscaled, accumulated or clipped
            np.testing.assert_allclose(dense.grads["bias"], 4.0 * 2 * (prediction - y).sum(axis=0) / 8, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"gradient_accumulation_steps": 1}, "`gradient_accumulation_steps` must be an integer >= 2"),
        ({"gradient_accumulation_steps": 2.5}, "`gradient_accumulation_steps` must be an integer >= 2"),
        ({"gradient_accumulation_steps": -3}, "`gradient_accumulation_steps` must be an integer >= 2"),
        ({"use_ema": True, "ema_momentum": 1.5}, r"`ema_momentum` must be in the range \[0, 1\]"),
        ({"use_ema": True, "ema_momentum": "0.9"}, r"`ema_momentum` must be in the range \[0, 1\]"),
        ({"use_ema": True, "ema_overwrite_frequency": 1.5}, "`ema_overwrite_frequency` must be an integer >= 1"),
        ({"use_ema": True, "ema_overwrite_frequency": -1}, "`ema_overwrite_frequency` must be an integer >= 1"),
        ({"loss_scale_factor": 0.0}, "loss_scale_factor must be a positive number"),
        ({"loss_scale_factor": "2"}, "loss_scale_factor must be a positive number"),
    ],
)
def test_bad_options_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.Adam(**kwargs)


def test_ema_settings_are_not_checked_without_use_ema_as_keras():
    assert optimizers.SGD(ema_momentum=5.0).get_config()["ema_momentum"] == 5.0


# ------------------------------------------------------------------ SwapEMAWeights
def _trained(use_ema=True):
    minikeras.utils.set_random_seed(1)
    model = minikeras.Sequential([minikeras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9, use_ema=use_ema, ema_momentum=0.5), loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(16, 2)).astype(np.float32)
    for start in range(0, 16, 4):
        model.train_on_batch(x[start : start + 4], y[start : start + 4])
    return model, x, y


def test_evaluate_and_predict_use_the_averages_and_put_the_weights_back():
    model, x, y = _trained()
    weights = [w.copy() for w in model.get_weights()]
    averages = [model.optimizer.slot(w, "average").copy() for w in model.trainable_weights]
    by_hand = minikeras.models.clone_model(model)
    by_hand.set_weights(averages)
    by_hand.compile(loss="mse")
    swap = callbacks.SwapEMAWeights()
    assert model.evaluate(x, y, verbose=0, callbacks=[swap]) == pytest.approx(by_hand.evaluate(x, y, verbose=0))
    np.testing.assert_array_equal(model.predict(x, verbose=0, callbacks=[swap]), by_hand.predict(x, verbose=0))
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    for weight, average in zip(model.trainable_weights, averages):
        np.testing.assert_array_equal(model.optimizer.slot(weight, "average"), average)


def test_swap_ema_weights_needs_an_ema_optimizer():
    model, x, y = _trained(use_ema=False)
    with pytest.raises(ValueError, match="SwapEMAWeights must be used when `use_ema=True`"):
        model.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    fresh = minikeras.Sequential([minikeras.Input(shape=(3,)), layers.Dense(2)])
    fresh.compile(optimizer=optimizers.SGD(use_ema=True), loss="mse")
    with pytest.raises(ValueError, match="no moving averages yet"):
        fresh.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])


def test_swap_on_epoch_lets_a_checkpoint_save_the_averages(tmp_path):
    model, x, y = _trained()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.weights.h5"), save_weights_only=True)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callbacks.SwapEMAWeights(True), checkpoint])
    final = model.get_weights()
    saved = minikeras.models.clone_model(model)
    saved.load_weights(tmp_path / "epoch2.weights.h5")
    for a, b in zip(saved.get_weights(), final):  # the last epoch's averages, which fit then finalized
        np.testing.assert_array_equal(a, b)
    for weight in model.trainable_weights:
        np.testing.assert_array_equal(weight, model.optimizer.slot(weight, "average"))


# ------------------------------------------------------------------ files
@pytest.mark.parametrize("suffix", [".keras", ".h5", ".weights.h5"])
def test_an_ema_accumulating_optimizer_continues_from_a_file_as_if_never_saved(tmp_path, suffix):
    def model():
        minikeras.utils.set_random_seed(4)
        m = minikeras.Sequential([minikeras.Input(shape=(3,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
        m.compile(
            optimizer=optimizers.Adam(
                0.01, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3, gradient_accumulation_steps=2
            ),
            loss="mse",
        )
        return m

    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(20, 2)).astype(np.float32)
    straight, interrupted = model(), model()
    for m in (straight, interrupted):
        for start in range(0, 12, 4):  # three calls: one accumulated gradient is pending
            m.train_on_batch(x[start : start + 4], y[start : start + 4])
    path = tmp_path / f"m{suffix}"
    if suffix == ".weights.h5":
        interrupted.save_weights(path)
        restored = model()
        restored.load_weights(path)
    else:
        interrupted.save(path)
        restored = minikeras.models.load_model(path)
    assert restored.optimizer.get_config() == straight.optimizer.get_config()
    for a, b in zip(restored.optimizer.variables, straight.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)
    for m in (straight, restored):
        for start in range(12, 20, 4):
            m.train_on_batch(x[start : start + 4], y[start : start + 4])
    for a, b in zip(restored.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_loss_scale_factor_scales_the_losses_custom_layers_add_too():
    """Keras scales the whole loss: a custom layer's `add_loss` term (differentiated by autograd) as well."""
    anp = pytest.importorskip("autograd.numpy", reason="the autodiff extra is not installed")

    class Penalized(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, inputs):
            outputs = inputs @ self.w
            self.add_loss(0.1 * anp.sum(outputs**2))
            return outputs

    x = np.random.default_rng(0).normal(size=(8, 3))
    y = np.random.default_rng(1).normal(size=(8, 2))
    trained = []
    for factor in (None, 2.0**10):
        model = minikeras.Sequential([minikeras.Input((3,), dtype="float64"), Penalized(dtype="float64")])
        model.compile(optimizer=optimizers.SGD(0.01, loss_scale_factor=factor), loss="mse")
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        trained.append((model.get_weights()[0], history.history["loss"]))
    np.testing.assert_array_equal(trained[1][0], trained[0][0])  # a power of two: exactly undone
    assert trained[1][1] == trained[0][1]
