"""A Conv2D and the 2x2 max pooling after it, run as one training step (layers/fused.py).

The fused step must give what the two layers give one after the other: checked against
them for several geometries, with exact ties, and against central differences.
"""

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

import minikeras as keras
from minikeras import layers
from minikeras.layers import fused

F64 = {"dtype": "float64"}

# name: (input shape (H, W, C), Conv2D arguments, a second conv + pool pair or not)
CASES = {
    "seed_one_channel_same_relu": (
        (12, 12, 1),
        {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        True,
    ),
    "three_channels_valid_linear_no_bias": (
        (9, 10, 3),
        {"filters": 5, "kernel_size": 2, "padding": "valid", "use_bias": False},
        False,
    ),
    "odd_output_rows_and_columns": (
        (7, 9, 2),
        {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"},
        False,
    ),
    "non_square_kernel": (
        (8, 8, 2),
        {"filters": 3, "kernel_size": (1, 3), "padding": "valid", "activation": "relu"},
        True,
    ),
}


def build(input_shape, conv_args, second_pair, dtype, seed=0):
    keras.utils.set_random_seed(seed)
    kw = {"dtype": dtype}
    stack = [
        keras.Input(shape=input_shape, dtype=dtype),
        layers.Conv2D(**conv_args, **kw),
        layers.MaxPooling2D(2, **kw),
    ]
    if second_pair:
        stack += [layers.Conv2D(3, 3, padding="same", activation="relu", **kw), layers.MaxPooling2D(2, **kw)]
    stack += [layers.Flatten(**kw), layers.Dense(4, activation="softmax", **kw)]
    model = keras.Sequential(stack)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model


def train(model, x, y, steps=3):
    for step in range(steps):
        rows = slice(step * 8, step * 8 + 8)
        model.train_on_batch(x[rows], y[rows])
    return model.get_weights()


def layer_by_layer(monkeypatch):
    monkeypatch.setattr(fused.ConvMaxPool, "fits", staticmethod(lambda conv, pool: False))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_training_matches_the_layers_run_in_turn(case, dtype, monkeypatch):
    input_shape, conv_args, second_pair = CASES[case]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, *input_shape)).astype(dtype)
    y = rng.integers(0, 4, 24)
    model = build(input_shape, conv_args, second_pair, dtype)
    model._forward(x[:2], training=True)
    assert isinstance(model._train_steps[0][1], fused.ConvMaxPool)  # the pair does run fused
    fused_weights = train(model, x, y)
    with monkeypatch.context() as patch:
        layer_by_layer(patch)
        reference = build(input_shape, conv_args, second_pair, dtype)
        reference_weights = train(reference, x, y)
        assert not any(isinstance(step, fused.ConvMaxPool) for _, step in reference._train_steps)
    rtol = 1e-10 if dtype == "float64" else 2e-5
    for got, expected in zip(fused_weights, reference_weights):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(
        model._forward(x, training=True), reference._forward(x, training=True), rtol=rtol, atol=rtol
    )
    with monkeypatch.context() as patch:  # inference: the fused model against its own layers run in turn
        expected = model.predict(x, verbose=0)
        layer_by_layer(patch)
        np.testing.assert_allclose(expected, model.predict(x, verbose=0), rtol=rtol, atol=rtol)


def test_ties_go_to_the_winner_max_pooling_picks(monkeypatch):
    # Small integers make every product and sum exact: ties inside pooling windows are
    # everywhere, and the two paths must route each gradient to the same element.
    rng = np.random.default_rng(2)
    x = rng.integers(-1, 2, size=(16, 6, 6, 2)).astype(np.float64)
    y = rng.integers(0, 4, 16)

    def grads(model):
        for weight in model.weights:
            weight[...] = np.random.default_rng(3).integers(-2, 3, size=weight.shape)
        y_pred = model._forward(x, training=True)
        model._backward(model._loss_fn.gradient(y, y_pred))
        return [layer.grads[name].copy() for layer in model.layers for name in layer.grads]

    conv = {"filters": 3, "kernel_size": 2, "padding": "same", "activation": "relu"}
    got = grads(build((6, 6, 2), conv, True, "float64"))
    with monkeypatch.context() as patch:
        layer_by_layer(patch)
        expected = grads(build((6, 6, 2), conv, True, "float64"))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", None])
def test_fused_step_matches_central_differences(activation):
    rng = np.random.default_rng(4)
    conv = layers.Conv2D(3, 3, padding="same", activation=activation, **F64)
    pool = layers.MaxPooling2D(2, **F64)
    x = rng.normal(size=(2, 5, 6, 2))
    conv.build_for(x.shape)
    conv.bias[...] = rng.normal(size=conv.bias.shape)
    step = fused.ConvMaxPool(conv, pool)
    upstream = rng.normal(size=(2, 2, 3, 3))

    def loss():
        return float((step.forward(x, training=False) * upstream).sum())

    step.forward(x, training=True)
    grad_x = step.backward(upstream)
    assert_gradients_close(grad_x, numerical_gradient(loss, x))
    for name in ("kernel", "bias"):
        assert_gradients_close(conv.grads[name], numerical_gradient(loss, getattr(conv, name)))
    np.testing.assert_allclose(step.forward(x, training=False), pool(conv(x)), rtol=1e-12)


class OwnConv(layers.Conv2D):
    pass


NOT_FUSED = {
    "conv_strides": (lambda: layers.Conv2D(2, 3, strides=2, padding="same"), lambda: layers.MaxPooling2D(2)),
    "conv_dilation": (lambda: layers.Conv2D(2, 3, dilation_rate=2, padding="same"), lambda: layers.MaxPooling2D(2)),
    "sigmoid": (lambda: layers.Conv2D(2, 3, padding="same", activation="sigmoid"), lambda: layers.MaxPooling2D(2)),
    "pool_3": (lambda: layers.Conv2D(2, 3, padding="same"), lambda: layers.MaxPooling2D(3)),
    "pool_strides_1": (lambda: layers.Conv2D(2, 3, padding="same"), lambda: layers.MaxPooling2D(2, strides=1)),
    "pool_same": (lambda: layers.Conv2D(2, 3, padding="same"), lambda: layers.MaxPooling2D(2, padding="same")),
    "average_pool": (lambda: layers.Conv2D(2, 3, padding="same"), lambda: layers.AveragePooling2D(2)),
    "channels_first": (
        lambda: layers.Conv2D(2, 3, padding="same", data_format="channels_first"),
        lambda: layers.MaxPooling2D(2, data_format="channels_first"),
    ),
    "activity_regularizer": (
        lambda: layers.Conv2D(2, 3, padding="same", activity_regularizer="l2"),
        lambda: layers.MaxPooling2D(2),
    ),
    "conv_subclass": (lambda: OwnConv(2, 3, padding="same"), lambda: layers.MaxPooling2D(2)),
}


@pytest.mark.parametrize("case", sorted(NOT_FUSED))
def test_pairs_that_do_not_fit_run_layer_by_layer(case):
    make_conv, make_pool = NOT_FUSED[case]
    conv, pool = make_conv(), make_pool()
    steps = fused.plan([conv, pool, layers.Flatten()])
    assert [step for _, step in steps] == [conv, pool, steps[2][1]]
    assert [index for index, _ in steps] == [0, 1, 2]


def test_plan_indexes_each_step_by_its_last_layer():
    stack = [
        layers.Conv2D(2, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(2, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
    ]
    steps = fused.plan(stack)
    assert [index for index, _ in steps] == [1, 3, 4]
    assert [type(step).__name__ for _, step in steps] == ["ConvMaxPool", "ConvMaxPool", "Flatten"]
