"""Every layer's backward against central differences, in float64, for inputs and weights."""

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
    "conv_channels_first": (lambda: layers.Conv2D(2, 3, strides=2, padding="same", data_format="channels_first", **F64), (2, 2, 5, 5)),
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
    "relu_options": (lambda: layers.ReLU(max_value=0.8, negative_slope=0.1, threshold=-0.2, **F64), (4, 6)),
    "softmax": (lambda: layers.Softmax(**F64), (3, 5)),
    "softmax_axis1": (lambda: layers.Softmax(axis=1, **F64), (2, 4, 3)),
    "activation_sigmoid": (lambda: layers.Activation("sigmoid", **F64), (3, 4)),
    "activation_tanh": (lambda: layers.Activation("tanh", **F64), (3, 4)),
    "activation_softmax": (lambda: layers.Activation("softmax", **F64), (3, 4)),
    "activation_linear": (lambda: layers.Activation("linear", **F64), (3, 4)),
}


def _far_from_kinks(x: np.ndarray, points=(0.0, -0.2, 0.8), margin=1e-3) -> np.ndarray:
    """Move values away from the points where ReLU-like functions are not differentiable."""
    for p in points:
        near = np.abs(x - p) < margin
        x[near] += 2 * margin
    return x


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_backward_matches_central_differences(case):
    make_layer, input_shape = LAYER_CASES[case]
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    layer = make_layer()
    x = _far_from_kinks(rng.normal(size=input_shape))
    layer.build_for(x.shape)
    for w in layer.weights:  # non-zero biases so they matter
        w[...] = rng.normal(scale=0.5, size=w.shape)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))

    def objective():
        return np.sum(layer.forward(x, training=False) * upstream)

    layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    assert grad_x.shape == x.shape
    assert grad_x.dtype == np.float64
    assert_gradients_close(grad_x, numerical_gradient(objective, x))
    for name, weight in zip(layer.weight_names, layer.weights):
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


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_backward_without_input_gradient_gives_the_same_weight_gradients(case):
    make_layer, input_shape = LAYER_CASES[case]
    rng = np.random.default_rng(5)
    layer = make_layer()
    x = rng.normal(size=input_shape)
    layer.build_for(x.shape)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))
    layer.forward(x, training=True)
    layer.backward(upstream)
    expected = {name: grad.copy() for name, grad in layer.grads.items()}
    layer.forward(x, training=True)
    assert layer.backward_without_input_gradient(upstream) is None
    for name, grad in expected.items():
        np.testing.assert_array_equal(layer.grads[name], grad)
