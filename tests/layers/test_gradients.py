"""Every layer's backward against central differences, in float64, for inputs and weights."""

import zlib

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import layers

F64 = {"dtype": "float64"}

LAYER_CASES = {
    "dense": (lambda: layers.Dense(5, **F64), (3, 4)),
    "dense_relu": (lambda: layers.Dense(4, activation="relu", **F64), (3, 6)),
    "dense_sigmoid_no_bias": (lambda: layers.Dense(3, activation="sigmoid", use_bias=False, **F64), (2, 5)),
    "dense_tanh": (lambda: layers.Dense(3, activation="tanh", **F64), (2, 5)),
    "dense_softmax": (lambda: layers.Dense(4, activation="softmax", **F64), (3, 5)),
    "dense_rank3": (lambda: layers.Dense(3, **F64), (2, 3, 4)),
    "conv_valid_s1": (lambda: layers.Conv2D(3, 3, **F64), (2, 6, 6, 2)),
    "conv_same_s1": (lambda: layers.Conv2D(3, 3, padding="same", **F64), (2, 5, 5, 2)),
    "conv_valid_s2": (lambda: layers.Conv2D(2, 3, strides=2, **F64), (2, 7, 7, 2)),
    "conv_same_s2_even": (lambda: layers.Conv2D(2, 3, strides=2, padding="same", **F64), (2, 6, 6, 1)),
    "conv_same_s2_odd": (lambda: layers.Conv2D(2, 3, strides=2, padding="same", **F64), (2, 7, 5, 2)),
    "conv_rect_kernel": (lambda: layers.Conv2D(2, (2, 3), strides=(2, 1), padding="same", **F64), (2, 5, 6, 2)),
    "conv_rect_valid": (lambda: layers.Conv2D(2, (3, 1), **F64), (1, 5, 4, 3)),
    "conv_dilated": (lambda: layers.Conv2D(2, 2, dilation_rate=2, padding="same", **F64), (1, 5, 5, 2)),
    "conv_relu": (lambda: layers.Conv2D(3, 3, padding="same", activation="relu", **F64), (2, 5, 5, 1)),
    "conv_channels_first": (
        lambda: layers.Conv2D(2, 3, strides=2, padding="same", data_format="channels_first", **F64),
        (2, 2, 5, 5),
    ),
    "maxpool_2": (lambda: layers.MaxPooling2D(2, **F64), (2, 4, 6, 3)),
    "maxpool_odd_valid": (lambda: layers.MaxPooling2D(2, **F64), (2, 5, 5, 2)),
    "maxpool_overlap": (lambda: layers.MaxPooling2D(3, strides=2, **F64), (2, 7, 7, 2)),
    "maxpool_overlap_same": (lambda: layers.MaxPooling2D(3, strides=1, padding="same", **F64), (1, 5, 5, 2)),
    "maxpool_same_s2": (lambda: layers.MaxPooling2D(2, padding="same", **F64), (2, 5, 3, 2)),
    "maxpool_rect": (lambda: layers.MaxPooling2D((2, 3), strides=(1, 2), **F64), (1, 5, 7, 2)),
    "maxpool_channels_first": (lambda: layers.MaxPooling2D(2, data_format="channels_first", **F64), (2, 3, 4, 4)),
    "flatten": (lambda: layers.Flatten(**F64), (2, 3, 4, 2)),
    "flatten_channels_first": (lambda: layers.Flatten(data_format="channels_first", **F64), (2, 3, 2, 2)),
    "relu": (lambda: layers.ReLU(**F64), (3, 5)),
    "relu_options": (lambda: layers.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.2, **F64), (4, 6)),
    "softmax": (lambda: layers.Softmax(**F64), (3, 5)),
    "softmax_axis1": (lambda: layers.Softmax(axis=1, **F64), (2, 4, 3)),
    "activation_sigmoid": (lambda: layers.Activation("sigmoid", **F64), (3, 4)),
    "activation_tanh": (lambda: layers.Activation("tanh", **F64), (3, 4)),
    "activation_softmax": (lambda: layers.Activation("softmax", **F64), (3, 4)),
    "activation_linear": (lambda: layers.Activation("linear", **F64), (3, 4)),
    "leaky_relu": (lambda: layers.LeakyReLU(**F64), (3, 5)),
    "leaky_relu_slope": (lambda: layers.LeakyReLU(negative_slope=0.05, **F64), (2, 3, 4)),
    "elu": (lambda: layers.ELU(**F64), (3, 5)),
    "elu_alpha": (lambda: layers.ELU(alpha=0.4, **F64), (2, 3, 4)),
    "prelu": (lambda: layers.PReLU(**F64), (3, 5)),
    "prelu_per_pixel": (lambda: layers.PReLU(**F64), (2, 3, 3, 2)),
    "prelu_shared_axes": (lambda: layers.PReLU(shared_axes=[1, 2], **F64), (2, 4, 3, 2)),
    "prelu_shared_axis_int": (lambda: layers.PReLU(shared_axes=2, **F64), (2, 3, 4)),
    "avgpool_2": (lambda: layers.AveragePooling2D(2, **F64), (2, 4, 6, 3)),
    "avgpool_odd_valid": (lambda: layers.AveragePooling2D(2, **F64), (2, 5, 5, 2)),
    "avgpool_overlap": (lambda: layers.AveragePooling2D(3, strides=2, **F64), (2, 7, 7, 2)),
    "avgpool_overlap_same": (lambda: layers.AveragePooling2D(3, strides=1, padding="same", **F64), (1, 5, 5, 2)),
    "avgpool_same_s2": (lambda: layers.AveragePooling2D(2, padding="same", **F64), (2, 5, 3, 2)),
    "avgpool_same_rect": (lambda: layers.AveragePooling2D((3, 2), strides=(2, 3), padding="same", **F64), (1, 6, 7, 2)),
    "avgpool_rect": (lambda: layers.AveragePooling2D((2, 3), strides=(1, 2), **F64), (1, 5, 7, 2)),
    "avgpool_channels_first": (lambda: layers.AveragePooling2D(2, data_format="channels_first", **F64), (2, 3, 4, 4)),
    "avgpool_same_channels_first": (
        lambda: layers.AveragePooling2D(3, strides=2, padding="same", data_format="channels_first", **F64),
        (2, 2, 5, 6),
    ),
    "global_avgpool": (lambda: layers.GlobalAveragePooling2D(**F64), (2, 3, 4, 3)),
    "global_avgpool_keepdims_channels_first": (
        lambda: layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True, **F64),
        (2, 3, 4, 2),
    ),
    "global_maxpool": (lambda: layers.GlobalMaxPooling2D(**F64), (2, 3, 4, 3)),
    "global_maxpool_keepdims": (lambda: layers.GlobalMaxPooling2D(keepdims=True, **F64), (2, 3, 2, 2)),
    "global_maxpool_channels_first": (
        lambda: layers.GlobalMaxPooling2D(data_format="channels_first", **F64),
        (2, 3, 4, 2),
    ),
    "zero_padding_default": (lambda: layers.ZeroPadding2D(**F64), (2, 3, 4, 2)),
    "zero_padding_pair": (lambda: layers.ZeroPadding2D((2, 0), **F64), (1, 3, 3, 2)),
    "zero_padding_asymmetric": (lambda: layers.ZeroPadding2D(((1, 2), (0, 3)), **F64), (2, 2, 3, 2)),
    "zero_padding_channels_first": (
        lambda: layers.ZeroPadding2D(((0, 1), (2, 1)), data_format="channels_first", **F64),
        (2, 2, 3, 3),
    ),
    "reshape": (lambda: layers.Reshape((6, 2), **F64), (2, 3, 4)),
    "reshape_inferred": (lambda: layers.Reshape((-1, 3, 2), **F64), (2, 4, 6)),
    "dropout_rate_zero": (lambda: layers.Dropout(0.0, **F64), (3, 4)),
    # Inference statistics: a frozen layer normalizes with its moving statistics even in training.
    "batchnorm_frozen": (lambda: layers.BatchNormalization(trainable=False, **F64), (4, 3)),
    "batchnorm_frozen_channels_first": (
        lambda: layers.BatchNormalization(axis=1, trainable=False, **F64),
        (2, 3, 2, 2),
    ),
}

# Layers whose training forward differs from their inference forward: checked against central
# differences of the training forward itself. Each evaluation uses a fresh twin of the layer (same
# seed, same weights), so a seeded Dropout draws the same mask every time.
TRAINING_CASES = {
    "dropout_seeded": (lambda: layers.Dropout(0.4, seed=3, **F64), (3, 5)),
    "dropout_rank4": (lambda: layers.Dropout(0.5, seed=11, **F64), (2, 3, 3, 2)),
    "dropout_noise_shape": (lambda: layers.Dropout(0.5, noise_shape=(None, 1, 1, 2), seed=5, **F64), (3, 2, 3, 2)),
    "batchnorm_dense": (lambda: layers.BatchNormalization(**F64), (5, 3)),
    "batchnorm_conv_channels_last": (lambda: layers.BatchNormalization(momentum=0.8, **F64), (2, 3, 3, 2)),
    "batchnorm_conv_channels_first": (lambda: layers.BatchNormalization(axis=1, epsilon=0.01, **F64), (2, 3, 2, 3)),
    "batchnorm_no_scale": (lambda: layers.BatchNormalization(scale=False, **F64), (4, 3)),
    "batchnorm_no_center_rank3": (lambda: layers.BatchNormalization(center=False, axis=1, **F64), (3, 2, 4)),
}


def _far_from_kinks(x: np.ndarray, points=(0.0, -0.2, 0.8), margin=1e-3) -> np.ndarray:
    """Move values away from the points where ReLU-like functions are not differentiable."""
    for p in points:
        near = np.abs(x - p) < margin
        x[near] += 2 * margin
    return x


def _randomize_weights(layer, rng) -> None:
    """Non-zero biases so they matter; variances (BatchNormalization's moving ones) stay positive."""
    for name, w in zip(layer.weight_names, layer.weights):
        w[...] = rng.normal(scale=0.5, size=w.shape)
        if "variance" in name:
            w[...] = np.abs(w) + 0.5


def _trainable_weights(layer):
    """(name, weight) of the weights that get gradients (BatchNormalization's moving statistics do not)."""
    return [(name, w) for name, w in zip(layer.weight_names, layer.weights) if layer._trainable_params[name]]


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_backward_matches_central_differences(case):
    make_layer, input_shape = LAYER_CASES[case]
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    layer = make_layer()
    x = _far_from_kinks(rng.normal(size=input_shape))
    layer.build_for(x.shape)
    _randomize_weights(layer, rng)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))

    def objective():
        return np.sum(layer.forward(x, training=False) * upstream)

    layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    assert grad_x.shape == x.shape
    assert grad_x.dtype == np.float64
    assert_gradients_close(grad_x, numerical_gradient(objective, x))
    for name, weight in _trainable_weights(layer):
        assert_gradients_close(layer.grads[name], numerical_gradient(objective, weight))


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_compute_output_shape_matches_forward(case):
    make_layer, input_shape = LAYER_CASES[case]
    layer = make_layer()
    x = np.random.default_rng(0).normal(size=input_shape)
    y = layer(x)
    assert layer.compute_output_shape(x.shape) == y.shape
    assert layer.compute_output_shape((None, *x.shape[1:])) == (None, *y.shape[1:])


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_inference_forward_keeps_nothing_on_the_layer(case):
    make_layer, input_shape = LAYER_CASES[case]
    layer = make_layer()
    layer(np.ones(input_shape))
    assert layer._cache is None
    with pytest.raises(RuntimeError, match="training=True"):
        layer.backward(np.ones(layer.compute_output_shape(input_shape)))


def test_whole_small_cnn_weight_gradients_match_central_differences():
    """The model's backward pass (through Softmax and cross-entropy) for every weight."""
    import minikeras as keras

    rng = np.random.default_rng(3)
    model = keras.Sequential(
        [
            keras.Input(shape=(6, 6, 1), dtype="float64"),
            layers.Conv2D(2, 3, padding="same", activation="relu", **F64),
            layers.MaxPooling2D(2, **F64),
            layers.Conv2D(2, (2, 2), strides=2, padding="same", **F64),
            layers.ReLU(**F64),
            layers.Flatten(**F64),
            layers.Dense(3, **F64),
            layers.Softmax(**F64),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = rng.normal(size=(4, 6, 6, 1))
    y = keras.utils.to_categorical([0, 1, 2, 1], 3).astype(np.float64)
    for w in model.weights:
        w[...] = rng.normal(scale=0.5, size=w.shape)

    def loss():
        return model._loss_fn(y, model._forward(x, training=False))

    y_pred = model._forward(x, training=True)
    model._backward(model._loss_fn.gradient(y, y_pred))
    for layer in model.layers:
        for name, weight in zip(layer.weight_names, layer.weights):
            assert_gradients_close(layer.grads[name], numerical_gradient(loss, weight))


def _training_twin_factory(case, rng):
    """(layer, x, upstream, fresh) for a TRAINING_CASES entry.

    `fresh()` is a new twin with `layer`'s current weights.
    """
    make_layer, input_shape = TRAINING_CASES[case]
    x = rng.normal(size=input_shape)
    layer = make_layer()
    layer.build_for(x.shape)
    _randomize_weights(layer, rng)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))

    def fresh():
        twin = make_layer()
        twin.build_for(x.shape)
        twin.set_weights(layer.get_weights())
        return twin

    return layer, x, upstream, fresh


@pytest.mark.parametrize("case", sorted(TRAINING_CASES))
def test_training_backward_matches_central_differences_of_the_training_forward(case):
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    layer, x, upstream, fresh = _training_twin_factory(case, rng)

    def objective():
        return np.sum(fresh().forward(x, training=True) * upstream)

    twin = fresh()
    y = twin.forward(x, training=True)
    assert not np.allclose(y, fresh().forward(x, training=False)), "the training forward should differ from inference"
    grad_x = twin.backward(upstream)
    assert grad_x.shape == x.shape and grad_x.dtype == np.float64
    assert_gradients_close(grad_x, numerical_gradient(objective, x))
    for name, weight in _trainable_weights(layer):
        assert_gradients_close(twin.grads[name], numerical_gradient(objective, weight))


@pytest.mark.parametrize("case", sorted(TRAINING_CASES))
def test_training_cases_shapes_and_inference_keep_nothing(case):
    layer, x, _, _ = _training_twin_factory(case, np.random.default_rng(0))
    before = layer.get_weights()
    y = layer(x)
    assert layer._cache is None
    for old, new in zip(before, layer.get_weights()):  # inference moves no statistics
        np.testing.assert_array_equal(old, new)
    y_train = layer.forward(x, training=True)
    assert layer.compute_output_shape(x.shape) == y.shape == y_train.shape
    assert layer.compute_output_shape((None, *x.shape[1:])) == (None, *y.shape[1:])
    layer.backward(np.ones(y.shape))
    with pytest.raises(RuntimeError, match="training=True"):
        layer.backward(np.ones(y.shape))


def test_whole_model_with_the_new_layers_matches_central_differences_in_training():
    """Every weight's gradient through BatchNormalization's batch statistics and the new layers, in a model."""
    import minikeras as keras

    rng = np.random.default_rng(7)
    model = keras.Sequential(
        [
            keras.Input(shape=(5, 5, 2), dtype="float64"),
            layers.Conv2D(3, 3, padding="same", **F64),
            layers.BatchNormalization(**F64),
            layers.LeakyReLU(0.2, **F64),
            layers.ZeroPadding2D(((1, 0), (0, 1)), **F64),
            layers.AveragePooling2D(2, padding="same", **F64),
            layers.PReLU(shared_axes=[1, 2], **F64),
            layers.Conv2D(4, 2, data_format="channels_last", **F64),
            layers.GlobalMaxPooling2D(**F64),
            layers.Dense(6, **F64),
            layers.ELU(**F64),
            layers.Reshape((2, 3), **F64),
            layers.BatchNormalization(axis=1, **F64),
            layers.Flatten(**F64),
            layers.Dense(3, **F64),
            layers.Softmax(**F64),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = rng.normal(size=(4, 5, 5, 2))
    y = keras.utils.to_categorical([0, 1, 2, 1], 3).astype(np.float64)
    for layer in model.layers:
        _randomize_weights(layer, rng)

    def loss():
        return model._loss_fn(y, model._forward(x, training=True))

    y_pred = model._forward(x, training=True)
    model._backward(model._loss_fn.gradient(y, y_pred))
    checked = 0
    for layer in model.layers:
        for name, weight in _trainable_weights(layer):
            assert_gradients_close(layer.grads[name], numerical_gradient(loss, weight))
            checked += 1
    assert checked == 13  # 2 conv x 2, 2 batchnorm x 2, prelu, 2 dense x 2
