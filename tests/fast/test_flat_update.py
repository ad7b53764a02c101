"""minikeras.fast.flat_update: all weights updated at once from flat arrays.

The reference is `Optimizer.update_step`, weight by weight (what `minikeras.config.fast_paths(False)`
runs). Both run the optimizer's one rule, `increment`, elementwise, so the two must agree bit for bit:
optimizer by optimizer, and in a model whose layers run on the fast path either way. The layers
write their gradients into the arrays the training loop lends them (views of the flat gradient
buffer) or anywhere else; both must train the same.
"""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, optimizers
from minikeras.fast.flat_update import FlatState, apply


def weight_by_weight(optimizer_class):
    """`optimizer_class` built and applied on the reference path (no flat arrays, `update_step` per
    weight), in a model whose layers still run on the fast path."""

    class WeightByWeight(optimizer_class):
        def build(self, params):
            with config.fast_paths(False):
                super().build(params)

        def apply(self, pairs):
            with config.fast_paths(False):
                super().apply(pairs)

    return WeightByWeight


def _model(kind: str, regularized: bool = False):
    keras.utils.set_random_seed(5)
    penalty = {"kernel_regularizer": "l2"} if regularized else {}
    if kind == "mlp":
        stack = [
            keras.Input(shape=(6,)),
            layers.Dense(7, activation="relu", **penalty),
            layers.Dense(3, activation="softmax"),
        ]
    else:
        stack = [
            keras.Input(shape=(6, 6, 1)),
            layers.Conv2D(3, 3, padding="same", activation="relu", **penalty),
            layers.MaxPooling2D(2),
            layers.BatchNormalization(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    return keras.Sequential(stack)


def _data(kind: str):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6) if kind == "mlp" else (40, 6, 6, 1)).astype(np.float32)
    return x, rng.integers(0, 3, 40)


def _train(model, optimizer, kind, callbacks=()):
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(kind)
    return model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=list(callbacks))


def _laid_out_flat(optimizer, params) -> list[bool]:
    """For each weight, whether the optimizer holds its gradient in its flat buffer."""
    return [optimizer.gradient_buffer(param) is not None for param in params]


OPTIMIZERS = [
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9}),
    (optimizers.SGD, {"learning_rate": 0.05}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "clipnorm": 0.5}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.01}),
    (optimizers.Adam, {"learning_rate": 0.01}),
    (optimizers.Adam, {"learning_rate": 0.01, "amsgrad": True, "global_clipnorm": 1.0}),
    (optimizers.AdamW, {"learning_rate": 0.01}),
    (optimizers.Nadam, {"learning_rate": 0.01}),
    (optimizers.RMSprop, {"learning_rate": 0.01}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    (optimizers.Adagrad, {"learning_rate": 0.05}),
    (optimizers.Adadelta, {"learning_rate": 1.0}),
    # Keras's per-optimizer options: moving averages, gradient accumulation, loss scaling, with clipping
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9, "use_ema": True, "ema_overwrite_frequency": 4}),
    (
        optimizers.Adam,
        {
            "learning_rate": 0.01,
            "gradient_accumulation_steps": 2,
            "clipnorm": 0.1,
            "loss_scale_factor": 3.0,
            "use_ema": True,
            "ema_momentum": 0.9,
        },
    ),
    (optimizers.Nadam, {"learning_rate": 0.01, "gradient_accumulation_steps": 3, "global_clipnorm": 0.2}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "loss_scale_factor": 1000.0, "clipvalue": 0.01}),
]


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("optimizer_class, options", OPTIMIZERS)
def test_flat_and_weight_by_weight_training_agree_bit_for_bit(kind, optimizer_class, options):
    regularized = "clipnorm" in options
    flat_model = _model(kind, regularized)
    flat_history = _train(flat_model, optimizer_class(**options), kind)
    plain_model = _model(kind, regularized)
    plain_history = _train(plain_model, weight_by_weight(optimizer_class)(**options), kind)
    assert all(_laid_out_flat(flat_model.optimizer, flat_model.trainable_weights))  # every built-in has `increment`
    assert not any(_laid_out_flat(plain_model.optimizer, plain_model.trainable_weights))
    for a, b in zip(flat_model.get_weights(), plain_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(flat_model.optimizer.variables, plain_model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)
    assert flat_history.history == plain_history.history


OPTIMIZER_STEPS = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.05),
    "momentum": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.05),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "sgd_ema_accumulate_scaled": lambda: optimizers.SGD(
        learning_rate=0.05,
        momentum=0.9,
        use_ema=True,
        ema_momentum=0.6,
        ema_overwrite_frequency=2,
        gradient_accumulation_steps=2,
        loss_scale_factor=5.0,
    ),
    "adam_accumulate_clipnorm": lambda: optimizers.Adam(
        learning_rate=0.01, gradient_accumulation_steps=3, clipnorm=1.5, weight_decay=0.01
    ),
    "adagrad_scaled_global_clipnorm_ema": lambda: optimizers.Adagrad(
        learning_rate=0.05, loss_scale_factor=0.3, global_clipnorm=2.0, use_ema=True
    ),
    "rmsprop_scaled_clipvalue": lambda: optimizers.RMSprop(learning_rate=0.01, loss_scale_factor=2.0, clipvalue=0.5),
    "lion_ema_accumulate": lambda: optimizers.Lion(
        learning_rate=0.01, use_ema=True, ema_overwrite_frequency=3, gradient_accumulation_steps=2
    ),
    "adamax_scaled_clipnorm": lambda: optimizers.Adamax(learning_rate=0.01, loss_scale_factor=0.5, clipnorm=1.0),
}


@pytest.mark.parametrize("make", list(OPTIMIZER_STEPS.values()), ids=list(OPTIMIZER_STEPS))
def test_the_flat_and_the_per_weight_updates_agree_bit_for_bit(make):
    """The flat update (all weights laid out together), the reference path, and weights laid out only
    in part (updated weight by weight, some slots being views of a flat array) give the same updates
    step after step, and none of them writes into the gradients."""
    rng = np.random.default_rng(3)
    start = [rng.normal(size=(5, 4)), rng.normal(size=(4,)), rng.normal(size=(2, 3))]
    reference, flat, partial = ([p.copy() for p in start] for _ in range(3))
    by_reference, flattening, in_part = make(), make(), make()
    with config.fast_paths(False):
        by_reference.build(reference)
    in_part.build(partial[:1])  # a first build of one weight: the others get their own slots
    for _ in range(6):
        grads = [rng.normal(size=p.shape) for p in start]
        given = [[g.copy() for g in grads] for _ in range(3)]
        with config.fast_paths(False):
            by_reference.apply(list(zip(reference, given[0])))
        flattening.apply(list(zip(flat, given[1])))
        in_part.apply(list(zip(partial, given[2])))
        for a, b, c in zip(reference, flat, partial):
            np.testing.assert_array_equal(b, a)
            np.testing.assert_array_equal(c, a)
        for kept in given:  # the gradients are read, never written
            for got, grad in zip(kept, grads):
                np.testing.assert_array_equal(got, grad)
    assert _laid_out_flat(flattening, flat) == [True, True, True]
    assert _laid_out_flat(in_part, partial) == [True, False, False]
    assert _laid_out_flat(by_reference, reference) == [False, False, False]
    with config.fast_paths(False):  # the reference path lends nothing
        assert _laid_out_flat(flattening, flat) == [False, False, False]
    # the slots of the flat path are views of its flat arrays, saved and restored like any others
    assert len(flattening.variables) == len(by_reference.variables) == len(in_part.variables)
    for a, b, c in zip(by_reference.variables, flattening.variables, in_part.variables):
        np.testing.assert_array_equal(b, a)
        np.testing.assert_array_equal(c, a)


@pytest.mark.parametrize("fast", [True, False], ids=["flat", "per_weight"])
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update_is_bit_for_bit_the_textbook_formula(momentum, nesterov, fast):
    """Scaling by -learning_rate, not negating after, changes no bit: `a - b` is `a + (-b)`."""
    rng = np.random.default_rng(11)
    param = rng.normal(size=(6, 5)).astype(np.float32)
    expected, velocity = param.copy(), np.zeros_like(param)
    optimizer = optimizers.SGD(learning_rate=0.037, momentum=momentum, nesterov=nesterov)
    with config.fast_paths(fast):
        for _ in range(3):
            grad = rng.normal(size=param.shape).astype(np.float32)
            step = np.float32(0.037) * grad
            if momentum:
                velocity = np.float32(momentum) * velocity - step
                expected = expected + (np.float32(momentum) * velocity - step if nesterov else velocity)
            else:
                expected = expected - step
            optimizer.apply([(param, grad)])
            np.testing.assert_array_equal(param, expected)
        assert (optimizer.gradient_buffer(param) is not None) == fast


def test_flat_state_views_and_apply():
    params = [np.zeros((2, 3)), np.zeros(4), np.zeros((1, 2))]
    assert FlatState.fits(params) and not FlatState.fits([])
    assert not FlatState.fits([params[0], np.zeros(2, np.float32)])  # two dtypes
    flat = FlatState(params, {"momentum": 0.0, "other": 1.5})
    assert flat.gradients.shape == flat.work.shape == (12,)
    for views in (flat.gradient_views, flat.slot_views["momentum"], flat.parts(flat.slots["other"])):
        assert [view.shape for view in views] == [(2, 3), (4,), (1, 2)]
    np.testing.assert_array_equal(flat.slots["other"], 1.5)
    flat.gradient_views[1][...] = 7
    np.testing.assert_array_equal(flat.gradients[6:10], 7)  # a view: written where the flat update reads
    assert flat.gradient_view(params[2]) is flat.gradient_views[2] and flat.gradient_view(np.zeros(4)) is None
    assert flat.matches(params) and not flat.matches(params[::-1]) and not flat.matches(params[:2])


def test_apply_takes_gradients_written_into_the_buffer_or_anywhere_else():
    params = [np.zeros((2, 3)), np.zeros(4)]
    flat = FlatState(params, {})
    flat.gradient_views[0][...] = np.arange(6.0).reshape(2, 3)  # as a layer writing into the array it was lent
    other = np.full(4, 2.0)
    apply(optimizers.SGD(learning_rate=0.5), flat, [flat.gradient_views[0], other], 0.5)
    np.testing.assert_array_equal(params[0], -0.5 * np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(params[1], -1.0)
    np.testing.assert_array_equal(flat.gradients, [0, 1, 2, 3, 4, 5, 2, 2, 2, 2])  # the other one copied in
    np.testing.assert_array_equal(other, 2.0)
    # the same through the optimizer, with the array it lends for the first weight
    optimizer = optimizers.SGD(learning_rate=0.5)
    optimizer.build(params)
    lent = optimizer.gradient_buffer(params[0])
    lent[...] = np.arange(6.0).reshape(2, 3)
    optimizer.apply([(params[0], lent), (params[1], other)])
    np.testing.assert_array_equal(params[0], -np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(params[1], -2.0)
    np.testing.assert_array_equal(lent, np.arange(6.0).reshape(2, 3))


# ------------------------------------------------------------------ gradients lent to the layers
class PlainDense(layers.Layer):
    """A Dense written as a user would: its backward makes new gradient arrays, ignoring `gradient_out`."""

    splittable_inference = True

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.bias = self.add_weight("bias", (self.units,), "zeros")

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def forward(self, x, training=False):
        if training:
            self.save_for_backward({"x": x})
        return x @ self.kernel + self.bias

    def backward(self, grad):
        x = self.saved_for_backward()["x"]
        self.grads["kernel"] = x.T @ grad
        self.grads["bias"] = grad.sum(axis=0)
        return grad @ self.kernel.T


class LentArrays(keras.callbacks.Callback):
    """After each batch: for each layer, whether each weight's gradient is the array lent for it."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        optimizer = self.model.optimizer
        self.seen.append(
            {
                layer.name: [
                    (
                        layer.gradient_out(name) is optimizer.gradient_buffer(param) is not None,
                        layer.grads[name] is optimizer.gradient_buffer(param),
                    )
                    for name, param in zip(layer.weight_names, layer.weights)
                ]
                for layer in self.model.layers
                if layer.weights
            }
        )


def _custom_model():
    keras.utils.set_random_seed(3)
    return keras.Sequential(
        [keras.Input(shape=(6,)), PlainDense(7), layers.ReLU(), layers.Dense(3, activation="softmax")]
    )


@pytest.mark.parametrize("optimizer_class, options", OPTIMIZERS[:3] + OPTIMIZERS[5:6])
def test_a_layer_that_ignores_the_lent_arrays_trains_the_same(optimizer_class, options):
    watch = LentArrays()
    flat_model = _custom_model()
    flat_history = _train(flat_model, optimizer_class(**options), "mlp", [watch])
    plain_model = _custom_model()
    plain_history = _train(plain_model, weight_by_weight(optimizer_class)(**options), "mlp")
    custom, dense = flat_model.layers[0].name, flat_model.layers[2].name
    assert all(batch[custom] == [(True, False), (True, False)] for batch in watch.seen)  # lent, not used
    assert all(batch[dense] == [(True, True), (True, True)] for batch in watch.seen)  # lent and used
    for a, b in zip(flat_model.get_weights(), plain_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert flat_history.history == plain_history.history
    with config.fast_paths(False):
        reference_model = _custom_model()
        reference_history = _train(reference_model, optimizer_class(**options), "mlp")
    for a, b in zip(flat_model.get_weights(), reference_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(flat_history.history["loss"], reference_history.history["loss"], rtol=1e-5)


def test_dense_layers_write_their_gradients_into_the_optimizers_buffer_during_fit_only():
    model = _model("mlp")
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    watch = LentArrays()
    x, y = _data("mlp")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[watch])
    assert len(watch.seen) == 5
    assert all(pairs == [(True, True), (True, True)] for batch in watch.seen for pairs in batch.values())
    layer, optimizer = model.layers[0], model.optimizer
    assert all(layer.gradient_out(name) is None for layer in model.layers for name in layer.weight_names)
    model.train_on_batch(x[:8], y[:8])
    assert np.shares_memory(layer.grads["kernel"], optimizer.gradient_buffer(layer.kernel))
    assert all(layer.gradient_out(name) is None for layer in model.layers for name in layer.weight_names)
    # outside training a backward pass makes its own arrays
    layer.forward(x[:4], training=True)
    layer.backward(np.ones((4, 7), np.float32))
    assert not np.shares_memory(layer.grads["kernel"], optimizer.gradient_buffer(layer.kernel))
    # and on the reference path nothing is lent
    with config.fast_paths(False):
        watch = LentArrays()
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[watch])
    assert all(pairs == [(False, False), (False, False)] for batch in watch.seen for pairs in batch.values())


def test_a_subclass_that_overrides_only_update_step_is_updated_weight_by_weight():
    calls = []

    class CountingSGD(optimizers.SGD):
        def update_step(self, param, grad, learning_rate):
            calls.append(param.shape)
            super().update_step(param, grad, learning_rate)

    model = _model("mlp")
    model.compile(optimizer=CountingSGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    x, y = _data("mlp")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(calls) == 5 * 4  # five batches, four weights each
    assert not any(_laid_out_flat(model.optimizer, model.trainable_weights))


def test_weights_of_two_dtypes_keep_their_own_slots():
    params = [np.zeros((2, 2), np.float32), np.zeros(3, np.float64)]
    optimizer = optimizers.SGD(0.1, momentum=0.9)
    optimizer.build(params)
    assert _laid_out_flat(optimizer, params) == [False, False]
    optimizer.apply([(p, np.ones_like(p)) for p in params])
    np.testing.assert_allclose(params[0], -0.1)
    np.testing.assert_allclose(params[1], -0.1)
    assert params[0].dtype == np.float32 and optimizer.slot(params[0], "momentum").dtype == np.float32
