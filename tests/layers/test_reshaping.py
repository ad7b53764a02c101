"""ZeroPadding2D's three ways to say the padding, and Reshape with an inferred axis."""

import numpy as np
import pytest

from minikeras import layers


@pytest.mark.parametrize(
    "padding, expected",
    [
        (2, ((2, 2), (2, 2))),
        ((1, 3), ((1, 1), (3, 3))),
        (((1, 0), (2, 3)), ((1, 0), (2, 3))),
        ([[0, 1], [1, 0]], ((0, 1), (1, 0))),
    ],
)
def test_zero_padding_accepts_an_int_a_pair_or_a_pair_of_pairs(padding, expected):
    assert layers.ZeroPadding2D(padding).padding == expected


def test_zero_padding_puts_the_input_inside_zeros():
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 2, 3, 1)
    y = layers.ZeroPadding2D(((1, 0), (0, 2)))(x)
    expected = np.zeros((1, 3, 5, 1), np.float32)
    expected[0, 1:, :3, 0] = x[0, :, :, 0]
    np.testing.assert_array_equal(y, expected)
    assert layers.ZeroPadding2D(data_format="channels_first")(np.ones((2, 3, 4, 5))).shape == (2, 3, 6, 7)


@pytest.mark.parametrize("padding", [-1, (1, -2), ((1, 2, 3), (0, 0)), "same", (1, 2, 3), 1.5])
def test_invalid_zero_padding_is_refused_naming_the_layer(padding):
    with pytest.raises(ValueError, match=r"padding.*layer 'pad'"):
        layers.ZeroPadding2D(padding, name="pad")


def test_reshape_keeps_row_major_order_and_infers_the_minus_one():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    y = layers.Reshape((-1, 2))(x)
    assert y.shape == (2, 6, 2)
    np.testing.assert_array_equal(y.reshape(-1), np.arange(24))
    assert layers.Reshape((4, 3)).compute_output_shape((None, 3, 4)) == (None, 4, 3)
    assert layers.Reshape((-1, 3)).compute_output_shape((None, None, 3)) == (None, None, 3)


@pytest.mark.parametrize("target_shape", [(-1, -1), (2, -2), (2.5,), "ab", 6, (True, 2)])
def test_invalid_target_shapes_are_refused_naming_the_layer(target_shape):
    with pytest.raises(ValueError, match=r"target_shape of layer 'reshape_it'"):
        layers.Reshape(target_shape, name="reshape_it")


@pytest.mark.parametrize("target_shape", [(5,), (-1, 5)])
def test_a_reshape_that_changes_the_size_is_refused_with_both_shapes(target_shape):
    with pytest.raises(ValueError, match=r"'reshape_it'.*\(3, 4\) \(12 values\).*target_shape"):
        layers.Reshape(target_shape, name="reshape_it").build_for((None, 3, 4))
