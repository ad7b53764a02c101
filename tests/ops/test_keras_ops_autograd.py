"""`minikeras.ops` inside autograd traces: the module each call picks, gradients by central differences (float64)
for the ops with hand-written vector-Jacobian products, and gradients that stay finite where numpy's would not."""

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import activations, ops
from minikeras.ops import backend

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

RNG = np.random.default_rng(7)


def _check(f, *arrays, rtol=1e-6, atol=1e-8):
    """autograd's gradient of the scalar `f(*arrays)` in each argument against central differences."""
    for i in range(len(arrays)):
        analytic = autograd.grad(f, i)(*arrays)
        numeric = numerical_gradient(lambda: f(*arrays), arrays[i])
        assert_gradients_close(analytic, numeric, rtol=rtol, atol=atol)


def test_array_module_is_numpy_for_arrays_and_autograd_numpy_for_traced_values():
    x = np.ones(3)
    assert backend.array_module(x, 2.0, [x]) is np
    seen = []

    def f(v):
        seen.append((backend.array_module(x, v), backend.array_module([x, v]), backend.is_traced(v)))
        return anp.sum(v)

    autograd.grad(f)(x)
    assert seen == [(anp, anp, True)]
    assert backend.value_of(x) is x


def test_ops_return_numpy_arrays_outside_a_trace():
    x = RNG.normal(size=(2, 3))
    for result in (
        ops.softmax(x),
        ops.conv(x[None, :, :, None], np.ones((1, 1, 1, 2))),
        ops.take_along_axis(x, np.zeros((2, 1), int), 1),
    ):
        assert type(result) is np.ndarray


@pytest.mark.parametrize(
    ("padding", "strides", "dilation", "data_format"),
    [("valid", 1, 1, "channels_last"), ("same", 2, 1, "channels_last"), ("same", 1, 2, "channels_first")],
)
def test_conv_gradients_by_central_differences(padding, strides, dilation, data_format):
    x = RNG.normal(size=(2, 5, 4, 3) if data_format == "channels_last" else (2, 3, 5, 4))
    kernel = RNG.normal(size=(3, 2, 3, 2))
    upstream = RNG.normal(size=ops.conv(x, kernel, strides, padding, data_format, dilation).shape)

    def f(x, kernel):
        return ops.sum(ops.conv(x, kernel, strides, padding, data_format, dilation) * upstream)

    _check(f, x, kernel)


def test_grouped_and_depthwise_conv_gradients_by_central_differences():
    x = RNG.normal(size=(1, 4, 4, 4))
    grouped = RNG.normal(size=(2, 2, 2, 6))  # 2 groups of 2 input channels
    depthwise = RNG.normal(size=(3, 3, 4, 2))
    up_grouped = RNG.normal(size=(1, 3, 3, 6))
    up_depthwise = RNG.normal(size=(1, 4, 4, 8))
    _check(lambda x, k: ops.sum(ops.conv(x, k) * up_grouped), x, grouped)
    _check(lambda x, k: ops.sum(ops.depthwise_conv(x, k, padding="same") * up_depthwise), x, depthwise)


@pytest.mark.parametrize("pool", ["max_pool", "average_pool"])
@pytest.mark.parametrize(("size", "strides", "padding"), [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "same")])
def test_pooling_gradients_by_central_differences(pool, size, strides, padding):
    x = RNG.normal(size=(2, 5, 6, 2))
    upstream = RNG.normal(size=getattr(ops, pool)(x, size, strides, padding).shape)
    _check(lambda x: ops.sum(getattr(ops, pool)(x, size, strides, padding) * upstream), x)


def test_pool_strides_default_to_the_pool_size():
    x = RNG.normal(size=(1, 6, 6, 1))
    np.testing.assert_array_equal(ops.max_pool(x, 3), ops.max_pool(x, 3, strides=3))
    np.testing.assert_array_equal(ops.average_pool(x, (2, 3)), ops.average_pool(x, (2, 3), strides=(2, 3)))
    assert ops.max_pool(x, 3).shape == (1, 2, 2, 1)


def test_scatter_and_slice_update_gradients_by_central_differences():
    x = RNG.normal(size=(3, 4))
    rows = RNG.normal(size=(2, 4))
    block = RNG.normal(size=(2, 2))
    values = RNG.normal(size=3)
    upstream = RNG.normal(size=(3, 4))
    index = np.array([[0], [2]])
    _check(lambda x, rows: ops.sum(ops.scatter_update(x, index, rows) * upstream), x, rows)
    _check(lambda x, rows: ops.sum(ops.scatter_update(x, index, rows, reduction="add") * upstream), x, rows)
    _check(lambda x, block: ops.sum(ops.slice_update(x, (1, 1), block) * upstream), x, block)
    _check(lambda v: ops.sum(ops.scatter(np.array([[0, 1], [2, 3], [0, 1]]), v, (3, 4)) * upstream), values)


@pytest.mark.filterwarnings("ignore:overflow encountered in cosh")  # autograd's tanh gradient: 1 / cosh(800)^2 = 0
def test_activations_have_finite_gradients_across_their_range():
    # Both sides of a `where` are differentiated: each side must stay finite where it is not taken.
    x = np.array([-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
    for name in ("sigmoid", "softplus", "log_sigmoid", "silu", "elu", "selu", "celu", "gelu", "relu", "leaky_relu"):
        gradient = autograd.grad(lambda v, name=name: ops.sum(getattr(ops, name)(v)))(x)
        assert np.all(np.isfinite(gradient)), name
    gradient = autograd.grad(lambda v: ops.sum(ops.softmax(v) * np.arange(7.0)))(x)
    assert np.all(np.isfinite(gradient))


def test_relu_gradient_at_zero_is_zero_and_sigmoid_tails_are_accurate():
    assert autograd.grad(lambda v: ops.sum(ops.relu(v)))(np.zeros(2)).tolist() == [0.0, 0.0]
    assert autograd.grad(lambda v: ops.sum(ops.sigmoid(v)))(np.zeros(1)).tolist() == [0.25]
    np.testing.assert_allclose(ops.sigmoid(np.array([-40.0])), [4.248354255291589e-18], rtol=1e-12)


def test_logsumexp_and_log_softmax_do_not_overflow():
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf]])
    np.testing.assert_allclose(ops.logsumexp(x, axis=1), [1000.0 + np.log(2.0), -np.inf])
    np.testing.assert_allclose(ops.log_softmax(x[:1]), [[-np.log(2.0)] * 2])


def test_sparsemax_is_the_simplex_projection_with_its_gradient():
    # Keras 3.15.1's sparsemax is wrong for supports of two or more entries (test_keras_ops_golden.py);
    # minikeras.activations.sparsemax is checked against the definition in tests/test_activations_keras3.py.
    x = RNG.normal(size=(4, 6)) * 2
    np.testing.assert_allclose(ops.sparsemax(x), activations.sparsemax(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ops.sparsemax(x).sum(axis=-1), 1.0)
    np.testing.assert_allclose(ops.sparsemax(x.T, axis=0), activations.sparsemax(x).T, rtol=1e-12, atol=1e-15)
    upstream = RNG.normal(size=(4, 6))
    _check(lambda v: ops.sum(ops.sparsemax(v) * upstream), x)


def test_shape_ops_differentiable_where_autograd_numpy_is_not():
    x = RNG.normal(size=(3, 4))
    up_repeat, up_sort, up_pad = RNG.normal(size=(6, 4)), RNG.normal(size=(3, 4)), RNG.normal(size=(5, 6))
    weights = np.arange(12.0).reshape(3, 4)
    _check(lambda v: ops.sum(ops.repeat(v, [1, 3, 2], axis=0) * up_repeat), x)
    _check(lambda v: ops.sum(ops.sort(v, axis=0) * up_sort), x)
    _check(lambda v: ops.sum(ops.pad(v, ((1, 1), (2, 0)), mode="reflect") * up_pad), x)
    _check(lambda v: ops.sum(ops.pad(v, ((1, 1), (2, 0)), constant_values=3.0) * up_pad), x)
    _check(lambda v: ops.sum(ops.cumprod(v, axis=1) * weights), x)
    _check(lambda v: ops.einsum("ii->i", v[:, :3]) @ np.arange(3.0), x)
    _check(lambda v: ops.einsum("ii", v[:, :3]), x)
    _check(lambda v: ops.sum(ops.broadcast_to(v, (2, 3, 4)) ** 2), x)
    _check(lambda v: ops.sum(ops.roll(v, 2, axis=1) * weights), x)
    _check(lambda v: ops.sum(ops.take_along_axis(v, np.array([[1, 1], [0, 3], [2, 2]]), axis=1) ** 2), x)


def test_cumprod_gradient_is_exact_at_zero():
    x = np.array([2.0, 0.0, 3.0, 4.0])
    _check(lambda v: ops.sum(ops.cumprod(v)), x)


def test_a_custom_loss_and_layer_written_in_ops_differentiate():
    # What the autograd integration will run: a loss and a Dense-like call written only in ops.
    x, y = RNG.normal(size=(5, 3)), RNG.integers(0, 4, size=5)
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=4)

    def loss(w, b):
        logits = ops.matmul(x, w) + b
        hidden = ops.gelu(logits)
        return ops.mean(ops.sparse_categorical_crossentropy(y, hidden, from_logits=True))

    _check(loss, w, b)


def test_ops_keep_float32_under_autograd():
    x = RNG.normal(size=(2, 3)).astype(np.float32)
    seen = []

    def f(v):
        out = ops.softmax(ops.matmul(v, np.ones((3, 3), np.float32)) * 2.0)
        seen.append(out.dtype)
        return ops.sum(out)

    assert autograd.grad(f)(x).dtype == np.float32
    assert seen == [np.float32]
