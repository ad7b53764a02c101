"""minikeras.fast.plan: the step that runs each layer on the fast path, and their common contract.

Every step has `forward(x, training)` and `backward(grad, input_gradient)`; without the input
gradient (a model's first step) it returns None and leaves the same weight gradients.
"""

import numpy as np
import pytest

from minikeras import layers
from minikeras.fast.conv2d import Conv2DStep
from minikeras.fast.conv_pool import ConvMaxPool
from minikeras.fast.dense import DenseStep
from minikeras.fast.plan import LayerStep, plan, step_for
from minikeras.fast.softmax import SoftmaxStep

F64 = {"dtype": "float64"}

# name: (a layer, or a (Conv2D, MaxPooling2D) pair run as one step; input shape; the step's class)
CASES = {
    "conv_valid": (lambda: layers.Conv2D(3, 3, **F64), (2, 6, 6, 2), Conv2DStep),
    "conv_same_relu_by_rows": (
        lambda: layers.Conv2D(3, 3, padding="same", activation="relu", **F64),
        (2, 5, 5, 2),
        Conv2DStep,
    ),
    "conv_same_s2_sigmoid": (
        lambda: layers.Conv2D(2, 3, strides=2, padding="same", activation="sigmoid", **F64),
        (2, 7, 5, 2),
        Conv2DStep,
    ),
    "conv_dilated_no_bias": (
        lambda: layers.Conv2D(2, 2, dilation_rate=2, padding="same", use_bias=False, **F64),
        (1, 5, 5, 2),
        Conv2DStep,
    ),
    "conv_channels_first": (
        lambda: layers.Conv2D(2, 3, strides=2, padding="same", data_format="channels_first", **F64),
        (2, 2, 5, 5),
        Conv2DStep,
    ),
    "conv_grouped_reference": (lambda: layers.Conv2D(4, 3, groups=2, **F64), (2, 5, 5, 4), LayerStep),
    "conv_max_pool": (
        lambda: (layers.Conv2D(3, 3, padding="same", activation="relu", **F64), layers.MaxPooling2D(2, **F64)),
        (2, 6, 7, 2),
        ConvMaxPool,
    ),
    "conv_max_pool_linear_one_channel": (
        lambda: (layers.Conv2D(2, 2, use_bias=False, **F64), layers.MaxPooling2D(2, **F64)),
        (3, 7, 6, 1),
        ConvMaxPool,
    ),
    "dense": (lambda: layers.Dense(5, **F64), (3, 4), DenseStep),
    "dense_relu": (lambda: layers.Dense(4, activation="relu", **F64), (3, 6), DenseStep),
    "dense_sigmoid_no_bias": (lambda: layers.Dense(3, activation="sigmoid", use_bias=False, **F64), (2, 5), DenseStep),
    "dense_softmax": (lambda: layers.Dense(4, activation="softmax", **F64), (3, 5), DenseStep),
    "dense_rank3": (lambda: layers.Dense(3, **F64), (2, 3, 4), DenseStep),
    "softmax": (lambda: layers.Softmax(**F64), (3, 5), SoftmaxStep),
    "activation_softmax": (lambda: layers.Activation("softmax", **F64), (3, 4), SoftmaxStep),
    "softmax_axis1": (lambda: layers.Softmax(axis=1, **F64), (2, 4, 3), LayerStep),
    "maxpool": (lambda: layers.MaxPooling2D(2, **F64), (2, 4, 6, 3), LayerStep),
    "avgpool_same": (lambda: layers.AveragePooling2D(3, strides=2, padding="same", **F64), (2, 5, 5, 2), LayerStep),
    "flatten": (lambda: layers.Flatten(**F64), (2, 3, 4, 2), LayerStep),
    "prelu": (lambda: layers.PReLU(shared_axes=[1, 2], **F64), (2, 4, 3, 2), LayerStep),
    "batchnorm": (lambda: layers.BatchNormalization(momentum=0.8, **F64), (2, 3, 3, 2), LayerStep),
    "batchnorm_channels_first": (lambda: layers.BatchNormalization(axis=1, **F64), (2, 3, 2, 3), LayerStep),
    "dropout_seeded": (lambda: layers.Dropout(0.4, seed=3, **F64), (3, 5), LayerStep),
    "dense_subclass": (lambda: type("OwnDense", (layers.Dense,), {})(3, **F64), (2, 4), LayerStep),
}


def fresh_step(case, weights=None):
    """A new step for `case` (new layers, so a seeded Dropout draws the same mask), with `weights` if given."""
    make, input_shape, _ = CASES[case]
    made = make()
    if isinstance(made, tuple):
        conv, pool = made
        conv.build_for(input_shape)
        step, owner = ConvMaxPool(conv, pool), conv
    else:
        made.build_for(input_shape)
        step, owner = step_for(made), made
    if weights is None:
        rng = np.random.default_rng(1)
        weights = [rng.normal(scale=0.5, size=w.shape) for w in owner.weights]
        weights = [np.abs(w) + 0.5 if "variance" in name else w for name, w in zip(owner.weight_names, weights)]
    owner.set_weights(weights)
    return step, owner, weights


@pytest.mark.parametrize("case", sorted(CASES))
def test_without_the_input_gradient_a_step_returns_none_and_the_same_weight_gradients(case):
    _, input_shape, step_class = CASES[case]
    rng = np.random.default_rng(5)
    x = rng.normal(size=input_shape)
    full, owner, weights = fresh_step(case)
    assert type(full) is step_class
    upstream = rng.normal(size=full.forward(x, training=False).shape)
    full.forward(x, training=True)
    grad_x = full.backward(upstream, input_gradient=True)
    assert grad_x.shape == x.shape
    expected = {name: grad.copy() for name, grad in owner.grads.items()}
    light, light_owner, _ = fresh_step(case, weights)
    light.forward(x, training=True)
    assert light.backward(upstream, input_gradient=False) is None
    assert sorted(light_owner.grads) == sorted(expected)
    for name, grad in expected.items():
        np.testing.assert_array_equal(light_owner.grads[name], grad)


def test_plan_indexes_each_step_by_its_last_layer():
    stack = [
        layers.Conv2D(2, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(2, 3, padding="same"),
        layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(4),
        layers.Softmax(),
    ]
    stack[0].build_for((None, 8, 8, 1))
    stack[2].build_for((None, 4, 4, 2))
    steps = plan(stack)
    assert [index for index, _ in steps] == [1, 2, 3, 4, 5, 6, 7]
    kinds = [type(step).__name__ for _, step in steps]
    assert kinds == ["ConvMaxPool", "Conv2DStep", "LayerStep", "LayerStep", "LayerStep", "DenseStep", "SoftmaxStep"]
    assert steps[0][1].conv is stack[0] and steps[0][1].pool is stack[1]
    assert [step.layer for _, step in steps[1:]] == stack[2:]
    assert plan([]) == []


def test_each_pass_gets_new_steps():
    conv = layers.Conv2D(2, 3)
    conv.build_for((None, 5, 5, 1))
    first, second = plan([conv, layers.Flatten()]), plan([conv, layers.Flatten()])
    assert all(a is not b for (_, a), (_, b) in zip(first, second))


def test_a_layer_step_is_the_layers_forward_and_backward():
    rng = np.random.default_rng(6)
    layer = layers.MaxPooling2D(2, **F64)
    x, upstream = rng.normal(size=(2, 4, 4, 3)), rng.normal(size=(2, 2, 2, 3))
    step = LayerStep(layer)
    np.testing.assert_array_equal(step.forward(x, training=True), layer(x))
    grad_x = step.backward(upstream)
    layer.forward(x, training=True)
    np.testing.assert_array_equal(grad_x, layer.backward(upstream))
