"""`minikeras.ops` beyond the golden cases: errors for bad arguments (before any work), dtype conversion rules,
`floatx`, the eager control flow, and what a traced value turns into with `convert_to_numpy` / `stop_gradient`."""

import numpy as np
import pytest

from minikeras import config, ops

X = np.arange(12.0).reshape(3, 4)
IMAGES = np.zeros((1, 5, 5, 3))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.conv(IMAGES, np.zeros((3, 3, 3, 2)), padding="full"), "`padding` must be 'valid' or 'same'"),
        (lambda: ops.conv(IMAGES, np.zeros((3, 3, 3, 2)), data_format="nhwc"), "`data_format` must be"),
        (lambda: ops.conv(IMAGES, np.zeros((3, 3, 2)), padding="same"), "`kernel` must have rank 4"),
        (lambda: ops.conv(IMAGES, np.zeros((3, 3, 2, 4))), "multiple of the kernel's input channels"),
        (lambda: ops.conv(IMAGES, np.zeros((3, 3, 3, 2)), strides=(1, 2, 1)), "`strides` must be a positive int"),
        (lambda: ops.max_pool(IMAGES, (2, 0)), "`pool_size` must be a positive int"),
        (lambda: ops.split(X, 3, axis=1), "must divide the length of axis 1"),
        (lambda: ops.squeeze(X, 0), "Cannot squeeze axis 0"),
        (lambda: ops.slice(X, (0,), (2, 2)), "one entry per axis"),
        (lambda: ops.slice_update(X, (0, 0, 0), np.zeros((1, 1))), "one entry/axis per axis"),
        (lambda: ops.one_hot([1, 2], 3, sparse=True), "no sparse tensors"),
        (lambda: ops.convert_to_tensor([1.0], sparse=True), "no sparse or ragged tensors"),
        (lambda: ops.where(X > 1, X), "must both be given or both be None"),
        (lambda: ops.categorical_crossentropy(np.zeros((2, 3)), np.zeros((3, 2))), "must have the same shape"),
        (lambda: ops.binary_crossentropy(np.zeros(2), np.zeros(3)), "must have the same shape"),
        (lambda: ops.sparse_categorical_crossentropy(np.zeros(3), np.zeros((2, 4))), "up until the last dimension"),
        (lambda: ops.top_k(X, 5), "`k` must be between 0"),
        (lambda: ops.inv(X), "square matrices"),
        (lambda: ops.norm(X, ord="bad", axis=1), "Invalid `ord` for a vector norm"),
        (lambda: ops.norm(X, ord=3, axis=(0, 1)), "Invalid `ord` for a matrix norm"),
        (lambda: ops.scatter_update(X, [[0]], np.zeros((1, 4)), reduction="max"), "`reduction` must be None or 'add'"),
        (lambda: ops.scatter(np.array([[0.5]]), np.zeros(1), (2,)), "`indices` must be integers"),
        (lambda: ops.unstack(X, num=4), "`num` must equal the length of axis 0"),
        (lambda: ops.pad(X, 1, mode="reflect", constant_values=1.0), "only applies to mode='constant'"),
        (lambda: ops.take_along_axis(X, np.zeros(2, int), axis=1), "must have the rank of `x`"),
        (lambda: ops.glu(np.zeros((2, 3))), "even length along axis -1"),
        (lambda: ops.multi_hot([1, 2]), "`num_classes` must be given"),
        (lambda: ops.meshgrid(X[0], indexing="xyz"), "`indexing` must be 'xy' or 'ij'"),
        (lambda: ops.cast(X, "not_a_dtype"), "Invalid dtype"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_moments_synchronized_is_not_supported():
    with pytest.raises(NotImplementedError, match="synchronized=True is not supported"):
        ops.moments(X, [0], synchronized=True)


def test_python_values_convert_as_keras_converts_them():
    assert ops.convert_to_tensor(1.5).dtype == np.float32
    assert ops.convert_to_tensor([[1, 2]]).dtype == np.int32
    assert ops.convert_to_tensor([True]).dtype == bool
    assert ops.convert_to_tensor([2**40]).dtype == np.int64  # too large for int32: kept
    assert ops.convert_to_tensor(np.float64(2.0)).dtype == np.float64  # numpy values keep their dtype
    assert ops.add(1, 2).dtype == np.int32 and ops.multiply(2.0, 3).dtype == np.float32
    x32 = X.astype(np.float32)
    assert ops.add(x32, 2.0).dtype == np.float32 and ops.add(X, 2.0).dtype == np.float64


def test_arrays_are_not_copied_by_convert_to_tensor():
    assert ops.convert_to_tensor(X) is X
    assert ops.cast(X, "float64") is X
    assert ops.copy(X) is not X


def test_floatx_is_the_default_float_dtype():
    try:
        config.set_floatx("float64")
        assert ops.zeros((2,)).dtype == np.float64
        assert ops.convert_to_tensor([1.0]).dtype == np.float64
        assert ops.exp(np.array([1, 2])).dtype == np.float64
        assert ops.one_hot([0, 1], 2).dtype == np.float64
    finally:
        config.set_floatx("float32")
    assert ops.zeros((2,)).dtype == np.float32


def test_shape_and_friends_return_python_values():
    assert ops.shape(X) == (3, 4) and all(type(d) is int for d in ops.shape(X))
    assert ops.ndim(X) == 2 and ops.size(X) == 12 and ops.dtype(X) == "float64"
    assert ops.is_tensor(X) and not ops.is_tensor([1.0])
    assert type(ops.convert_to_numpy([1.0, 2.0])) is np.ndarray


def test_control_flow_runs_eagerly():
    assert ops.cond(np.array(True), lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 3) == 30  # the index is clamped into range
    assert ops.fori_loop(0, 4, lambda i, total: total + i, 0) == 6
    assert ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1)) == (3, 8)
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=4) == 4
    np.testing.assert_array_equal(ops.map(lambda row: row.sum(), X), X.sum(axis=1))


def test_slice_moves_a_block_that_would_run_past_the_end_inside():
    np.testing.assert_array_equal(ops.slice(np.arange(10), [8], [3]), [7, 8, 9])


def test_traced_values_become_plain_arrays():
    autograd = pytest.importorskip("autograd")
    seen = []

    def f(v):
        seen.append((type(ops.convert_to_numpy(v)), type(ops.stop_gradient(v)), ops.shape(v), ops.dtype(v)))
        return ops.sum(v * ops.stop_gradient(v))

    np.testing.assert_allclose(autograd.grad(f)(X), X)  # stop_gradient: d(v * c)/dv = c
    assert seen == [(np.ndarray, np.ndarray, (3, 4), "float64")]
