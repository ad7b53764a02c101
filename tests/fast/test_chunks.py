"""Convolutions over a large batch run in chunks of samples (ops.sample_chunks): the same numbers as one pass."""

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import layers
from minikeras.layers import fused
from minikeras.ops import windows

F64 = {"dtype": "float64"}

CONVS = {
    "same_relu": lambda: layers.Conv2D(3, 3, padding="same", activation="relu", **F64),
    "valid_strided_sigmoid": lambda: layers.Conv2D(2, (3, 2), strides=(2, 1), activation="sigmoid", **F64),
    "dilated_no_bias": lambda: layers.Conv2D(2, 3, padding="same", dilation_rate=2, use_bias=False, **F64),
    "channels_first": lambda: layers.Conv2D(2, 3, padding="same", data_format="channels_first", **F64),
}


def run(step, x, upstream, first):
    """Output, dL/dx (None for a first step) and the conv's gradients of one forward and backward."""
    conv = step.conv if isinstance(step, fused.ConvMaxPool) else step
    y = step.forward(x, training=True)
    grad_x = step.backward_without_input_gradient(upstream) if first else step.backward(upstream)
    return y, grad_x, {name: grad.copy() for name, grad in conv.grads.items()}


def assert_same(a, b):
    np.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-12)
    if a[1] is None:
        assert b[1] is None
    else:
        np.testing.assert_allclose(a[1], b[1], rtol=1e-12, atol=1e-12)
    for name in a[2]:
        np.testing.assert_allclose(a[2][name], b[2][name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("first", [False, True])
@pytest.mark.parametrize("case", sorted(CONVS))
def test_conv2d_in_chunks_matches_one_pass(case, first, monkeypatch):
    rng = np.random.default_rng(0)
    conv = CONVS[case]()
    shape = (7, 2, 9, 8) if conv.data_format == "channels_first" else (7, 9, 8, 2)
    x = rng.normal(size=shape)
    conv.build_for(x.shape)
    conv.bias is None or conv.bias.__setitem__(Ellipsis, rng.normal(size=conv.bias.shape))
    upstream = rng.normal(size=conv.compute_output_shape(x.shape))
    whole = run(conv, x, upstream, first)
    monkeypatch.setattr(windows, "CHUNK_VALUES", 1)  # one sample per chunk
    assert len(windows.sample_chunks(7, 10)) == 7
    assert_same(run(conv, x, upstream, first), whole)
    np.testing.assert_allclose(conv(x), whole[0], rtol=1e-12, atol=1e-12)  # inference too


@pytest.mark.parametrize("first", [False, True])
def test_conv_max_pool_in_chunks_matches_one_pass(first, monkeypatch):
    rng = np.random.default_rng(1)
    conv, pool = layers.Conv2D(3, 3, padding="same", activation="relu", **F64), layers.MaxPooling2D(2, **F64)
    x = rng.normal(size=(5, 7, 6, 2))
    conv.build_for(x.shape)
    step = fused.ConvMaxPool(conv, pool)
    upstream = rng.normal(size=(5, 3, 3, 3))
    whole = run(step, x, upstream, first)
    monkeypatch.setattr(windows, "CHUNK_VALUES", 2000)  # two samples (7 * 6 positions * 22 values) per chunk
    assert [c.stop for c in windows.sample_chunks(5, 7 * 6 * 22)] == [2, 4, 5]
    assert_same(run(step, x, upstream, first), whole)


def test_gradients_through_chunks_match_central_differences(monkeypatch):
    monkeypatch.setattr(windows, "CHUNK_VALUES", 1)
    rng = np.random.default_rng(2)
    conv = layers.Conv2D(2, 3, padding="same", activation="tanh", **F64)
    x = rng.normal(size=(3, 5, 4, 2))
    conv.build_for(x.shape)
    upstream = rng.normal(size=(3, 5, 4, 2))

    def loss():
        return float((conv.forward(x) * upstream).sum())

    conv.forward(x, training=True)
    grad_x = conv.backward(upstream)
    assert_gradients_close(grad_x, numerical_gradient(loss, x))
    for name in ("kernel", "bias"):
        assert_gradients_close(conv.grads[name], numerical_gradient(loss, getattr(conv, name)))


def test_a_batch_that_fits_is_one_chunk():
    assert windows.sample_chunks(32, 1000) == [slice(0, 32)]
    assert windows.sample_chunks(0, 1000) == [slice(0, 0)]
    chunks = windows.sample_chunks(10, windows.CHUNK_VALUES // 3)
    assert chunks == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
