"""minikeras.fast.dense: the fast step of a Dense layer against the layer's own forward and backward."""

import numpy as np
import pytest

from minikeras import activations, layers
from minikeras.fast.dense import DenseStep, add_bias, bias_gradient

# name: (Dense arguments, input shape)
CASES = {
    "linear": ({"units": 5}, (3, 4)),
    "relu_in_place": ({"units": 4, "activation": "relu"}, (3, 6)),
    "sigmoid_no_bias": ({"units": 3, "activation": "sigmoid", "use_bias": False}, (2, 5)),
    "tanh": ({"units": 3, "activation": "tanh"}, (2, 5)),
    "softmax": ({"units": 4, "activation": "softmax"}, (3, 5)),
    "rank3": ({"units": 3}, (2, 3, 4)),
    "few_units_many_rows": ({"units": 2, "activation": "elu"}, (256, 3)),  # the bias added 64 rows at a time
    "few_units_odd_rows": ({"units": 3}, (7, 3)),
    "wide": ({"units": 200, "activation": "relu"}, (4, 3)),
}


def built(case, dtype, rng):
    arguments, input_shape = CASES[case]
    layer = layers.Dense(**arguments, dtype=dtype)
    layer.build_for(input_shape)
    for weight in layer.weights:
        weight[...] = rng.normal(size=weight.shape)
    x = rng.normal(size=input_shape).astype(dtype)
    upstream = rng.normal(size=layer.compute_output_shape(input_shape)).astype(dtype)
    return layer, x, upstream


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_step_matches_the_layers_forward_and_backward(case, dtype):
    rng = np.random.default_rng(0)
    layer, x, upstream = built(case, dtype, rng)
    step = DenseStep(layer)
    y = step.forward(x, training=True)
    grad_x = step.backward(upstream)
    grads = {name: grad.copy() for name, grad in layer.grads.items()}
    expected_y = layer.forward(x, training=True)
    expected_grad_x = layer.backward(upstream)
    rtol, atol = (1e-12, 1e-12) if dtype == "float64" else (1e-5, 1e-5)
    assert y.dtype == grad_x.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y, expected_y, rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad_x, expected_grad_x, rtol=rtol, atol=atol)
    assert sorted(grads) == sorted(layer.grads)
    for name, grad in layer.grads.items():
        np.testing.assert_allclose(grads[name], grad, rtol=rtol, atol=atol)
    np.testing.assert_allclose(step.forward(x, training=False), layer(x), rtol=rtol, atol=atol)


def test_backward_from_logits_is_backward_through_the_softmax():
    rng = np.random.default_rng(1)
    layer, x, upstream = built("softmax", "float64", rng)
    step = DenseStep(layer)
    probs = step.forward(x, training=True)
    grad_x = step.backward(upstream)
    grads = {name: grad.copy() for name, grad in layer.grads.items()}
    step.forward(x, training=True)
    grad_z = activations.get("softmax").gradient(upstream, None, probs)
    np.testing.assert_allclose(step.backward_from_logits(grad_z), grad_x, rtol=1e-13, atol=1e-15)
    for name, grad in grads.items():
        np.testing.assert_allclose(layer.grads[name], grad, rtol=1e-13, atol=1e-15)


def test_gradients_go_into_the_lent_arrays_and_into_new_ones_without():
    rng = np.random.default_rng(2)
    layer, x, upstream = built("tanh", "float64", rng)
    lent = {"kernel": np.full(layer.kernel.shape, np.nan), "bias": np.full(layer.bias.shape, np.nan)}
    layer.lend_gradient_arrays(lent)
    assert layer.gradient_out("kernel") is lent["kernel"] and layer.gradient_out("missing") is None
    step = DenseStep(layer)
    step.forward(x, training=True)
    step.backward(upstream)
    assert layer.grads["kernel"] is lent["kernel"] and layer.grads["bias"] is lent["bias"]
    written = {name: grad.copy() for name, grad in layer.grads.items()}
    layer.lend_gradient_arrays(None)
    assert layer.gradient_out("kernel") is None
    step.forward(x, training=True)
    step.backward(upstream)
    for name, grad in layer.grads.items():
        assert not np.shares_memory(grad, lent[name])
        np.testing.assert_array_equal(grad, written[name])


@pytest.mark.parametrize("rows, units", [(8, 2), (7, 3), (5, 64), (1, 1), (6, 200)])
def test_add_bias_and_bias_gradient(rows, units):
    rng = np.random.default_rng(3)
    z, bias = rng.normal(size=(rows, units)), rng.normal(size=units)
    expected = z + bias
    add_bias(z, bias)
    np.testing.assert_array_equal(z, expected)  # the same additions, only grouped differently
    grad = rng.normal(size=(rows, units))
    np.testing.assert_allclose(bias_gradient(grad), grad.sum(axis=0), rtol=1e-13, atol=1e-15)
    out = np.empty(units)
    assert bias_gradient(grad, out=out) is out


def test_backward_needs_a_training_forward():
    layer, x, upstream = built("linear", "float64", np.random.default_rng(4))
    step = DenseStep(layer)
    step.forward(x, training=False)
    with pytest.raises(RuntimeError, match=f"'{layer.name}'.*training=True"):
        step.backward(upstream)
