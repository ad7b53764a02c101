"""minikeras.fast.conv_pool: a Conv2D and the 2x2 max pooling after it, run as one step.

The step must give what the two layers give one after the other (`Conv2D.forward` then
`MaxPooling2D.forward`, and their backward passes in turn): checked through the public switch
in training, with exact ties, against central differences, in chunks and with each of its
ways to the input gradient.
"""

import numpy as np
import pytest
from gradcheck import assert_step_gradients

import minikeras as keras
from minikeras import activations, config, layers
from minikeras.fast.conv_pool import ConvMaxPool
from minikeras.fast.plan import plan

F64 = {"dtype": "float64"}

# name: (input shape (H, W, C), Conv2D arguments, a second conv + pool pair or not)
CASES = {
    "one_channel_same_relu": (
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


def conv_and_pool(input_shape, rng, activation="relu", kernel_size=3, filters=3):
    """A built float64 Conv2D with a non-zero bias, and a 2x2 MaxPooling2D."""
    conv = layers.Conv2D(filters, kernel_size, padding="same", activation=activation, **F64)
    conv.build_for(input_shape)
    conv.bias[...] = rng.normal(size=conv.bias.shape)
    return conv, layers.MaxPooling2D(2, **F64)


def layers_in_turn(conv, pool, x, upstream):
    """Output, dL/dx and the conv's gradients of the two reference layers, one after the other."""
    y = pool.forward(conv.forward(x, training=True), training=True)
    grad_x = conv.backward(pool.backward(upstream))
    return y, grad_x, {name: grad.copy() for name, grad in conv.grads.items()}


def as_one_step(step, x, upstream, input_gradient=True):
    y = step.forward(x, training=True)
    grad_x = step.backward(upstream, input_gradient=input_gradient)
    return y, grad_x, {name: grad.copy() for name, grad in step.conv.grads.items()}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_training_matches_the_layers_run_in_turn(case, dtype):
    input_shape, conv_args, second_pair = CASES[case]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, *input_shape)).astype(dtype)
    y = rng.integers(0, 4, 24)
    model = build(input_shape, conv_args, second_pair, dtype)
    steps = [step for _, step in plan(model.layers)]
    assert isinstance(steps[0], ConvMaxPool)  # the pair does run as one step
    assert isinstance(steps[1], ConvMaxPool) == second_pair
    fast_weights = train(model, x, y)
    with config.fast_paths(False):
        reference = build(input_shape, conv_args, second_pair, dtype)
        reference_weights = train(reference, x, y)
    rtol = 1e-10 if dtype == "float64" else 2e-5
    for got, expected in zip(fast_weights, reference_weights, strict=True):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
    # inference: the trained model's step against its own layers run in turn
    expected = model.predict(x, verbose=0)
    with config.fast_paths(False):
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("activation", ["relu", None])
@pytest.mark.parametrize("channels", [1, 2])
def test_ties_go_to_the_winner_max_pooling_picks(activation, channels):
    # Small integers make every product and sum exact: ties inside pooling windows are
    # everywhere (zeros after ReLU too), and the step must route each gradient to the element
    # MaxPooling2D routes it to. Exact arithmetic, so the results must be equal, not close.
    rng = np.random.default_rng(2)
    x = rng.integers(-1, 2, size=(6, 6, 6, channels)).astype(np.float64)
    conv, pool = conv_and_pool(x.shape, rng, activation, kernel_size=2)
    conv.kernel[...] = rng.integers(-2, 3, size=conv.kernel.shape)
    conv.bias[...] = rng.integers(-2, 3, size=conv.bias.shape)
    upstream = rng.integers(-3, 4, size=(6, 3, 3, 3)).astype(np.float64)
    y, grad_x, grads = as_one_step(ConvMaxPool(conv, pool), x, upstream)
    y_ref, grad_x_ref, grads_ref = layers_in_turn(conv, pool, x, upstream)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(grad_x, grad_x_ref)
    for name in grads_ref:
        np.testing.assert_array_equal(grads[name], grads_ref[name])


@pytest.mark.parametrize("activation", ["relu", None])
def test_step_matches_central_differences(activation):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 6, 2))
    conv, pool = conv_and_pool(x.shape, rng, activation)
    step = ConvMaxPool(conv, pool)
    upstream = rng.normal(size=(2, 2, 3, 3))
    assert_step_gradients(step, conv, x, upstream, names=("kernel", "bias"))
    np.testing.assert_allclose(step.forward(x, training=False), pool(conv(x)), rtol=1e-12)


@pytest.mark.parametrize("input_gradient", [True, False])
def test_in_chunks_matches_one_pass_and_the_layers(input_gradient):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 7, 6, 2))
    conv, pool = conv_and_pool(x.shape, rng)
    upstream = rng.normal(size=(5, 3, 3, 3))
    whole = as_one_step(ConvMaxPool(conv, pool), x, upstream, input_gradient)
    # two samples per chunk: each holds 7 * 6 positions of 3 * 3 * 2 + 1 values and 3 filters
    in_chunks = as_one_step(ConvMaxPool(conv, pool, chunk_values=2 * 7 * 6 * 22), x, upstream, input_gradient)
    reference = layers_in_turn(conv, pool, x, upstream)
    for got in (whole, in_chunks):
        np.testing.assert_allclose(got[0], reference[0], rtol=1e-12, atol=1e-12)
        if input_gradient:
            np.testing.assert_allclose(got[1], reference[1], rtol=1e-12, atol=1e-12)
        else:
            assert got[1] is None
        for name in reference[2]:
            np.testing.assert_allclose(got[2][name], reference[2][name], rtol=1e-12, atol=1e-12)
    # the forward pass copies each chunk's rows to their place: whole and chunked are the same numbers
    np.testing.assert_array_equal(in_chunks[0], whole[0])
    inference = ConvMaxPool(conv, pool, chunk_values=1).forward(x, training=False)
    np.testing.assert_array_equal(inference, whole[0])


@pytest.mark.parametrize("by_rows", [True, False], ids=["by_rows", "col2im"])
@pytest.mark.parametrize(
    "input_shape, kernel_size",
    [((2, 5, 7, 2), 3), ((2, 6, 6, 3), 2), ((1, 7, 5, 2), (3, 2))],
    ids=["odd_rows_and_columns", "even_kernel", "rect_kernel_odd_rows"],
)
def test_input_gradient_matches_central_differences_either_way(input_shape, kernel_size, by_rows):
    # The step writes the pooled gradient into the width padding the row way wants, with the
    # row and column that pooling leaves out set to zero.
    rng = np.random.default_rng(7)
    x = rng.normal(size=input_shape)
    conv, pool = conv_and_pool(x.shape, rng, kernel_size=kernel_size)
    step = ConvMaxPool(conv, pool, by_rows=by_rows)
    upstream = rng.normal(size=pool.compute_output_shape(conv.compute_output_shape(x.shape)))
    grad_x = assert_step_gradients(step, conv, x, upstream, names=(), steps=2)  # step 2 reuses the work buffers
    np.testing.assert_allclose(grad_x, layers_in_turn(conv, pool, x, upstream)[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch", [1, 9])
def test_one_channel_by_column_phase_or_not_gives_the_same_numbers(batch):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(batch, 9, 8, 1))
    conv, pool = conv_and_pool(x.shape, rng)
    upstream = rng.normal(size=(batch, 4, 4, 3))
    results = [as_one_step(ConvMaxPool(conv, pool, by_column_phase=way), x, upstream) for way in (True, False, None)]
    for other in results[1:]:
        np.testing.assert_array_equal(other[0], results[0][0])
        np.testing.assert_array_equal(other[1], results[0][1])
        for name in results[0][2]:
            np.testing.assert_array_equal(other[2][name], results[0][2][name])
    reference = layers_in_turn(conv, pool, x, upstream)
    np.testing.assert_allclose(results[0][1], reference[1], rtol=1e-12, atol=1e-12)


def test_backward_needs_a_training_forward():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(1, 4, 4, 1))
    conv, pool = conv_and_pool(x.shape, rng)
    step = ConvMaxPool(conv, pool)
    step.forward(x, training=False)
    with pytest.raises(RuntimeError, match=f"'{conv.name}' and '{pool.name}'"):
        step.backward(np.ones((1, 2, 2, 3)))


class OwnConv(layers.Conv2D):
    pass


class OwnPool(layers.MaxPooling2D):
    pass


NOT_ONE_STEP = {
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
    "pool_activity_regularizer": (
        lambda: layers.Conv2D(2, 3, padding="same"),
        lambda: layers.MaxPooling2D(2, activity_regularizer="l2"),
    ),
    "conv_subclass": (lambda: OwnConv(2, 3, padding="same"), lambda: layers.MaxPooling2D(2)),
    "pool_subclass": (lambda: layers.Conv2D(2, 3, padding="same"), lambda: OwnPool(2)),
}


@pytest.mark.parametrize("case", sorted(NOT_ONE_STEP))
def test_pairs_that_do_not_fit_run_layer_by_layer(case):
    make_conv, make_pool = NOT_ONE_STEP[case]
    conv, pool = make_conv(), make_pool()
    assert not ConvMaxPool.fits(conv, pool)
    conv.build_for((None, 8, 8, 8))  # a step is planned for built layers, as a model's are
    steps = plan([conv, pool, layers.Flatten()])
    assert [index for index, _ in steps] == [0, 1, 2]
    assert [step.layer for _, step in steps][:2] == [conv, pool]


@pytest.mark.parametrize("activation", ["relu", None, "linear"])
def test_pairs_that_fit(activation):
    conv = layers.Conv2D(2, (3, 2), padding="valid", activation=activation, use_bias=False)
    assert ConvMaxPool.fits(conv, layers.MaxPooling2D(2))
    assert ConvMaxPool.fits(conv, layers.MaxPooling2D((2, 2), strides=(2, 2), padding="valid"))


@pytest.mark.parametrize(
    "activation, fused",
    [
        (activations.relu, True),
        (activations.Rectifier(), True),  # relu's options at their defaults: still max(x, 0)
        (activations.Rectifier(negative_slope=0.1), False),
        (activations.Rectifier(max_value=6.0), False),
        (activations.Rectifier(threshold=0.5), False),
        (activations.relu6, False),
        (activations.linear, True),
        (activations.tanh, False),
    ],
    ids=["relu", "default_rectifier", "leaky", "capped", "threshold", "relu6", "linear", "tanh"],
)
def test_the_pair_fuses_only_for_max_or_no_activation(activation, fused):
    conv = layers.Conv2D(2, 3, activation=activation)
    assert ConvMaxPool.fits(conv, layers.MaxPooling2D(2)) is fused
