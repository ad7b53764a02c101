"""The shared constant vectors of the training step: right values, made once, never writable."""

import numpy as np
import pytest

from minikeras.ops.constants import index_vector, ones_vector


def test_ones_and_indices_are_right_shared_and_read_only():
    ones = ones_vector(7, np.dtype("float32"))
    np.testing.assert_array_equal(ones, np.ones(7, np.float32))
    assert ones.dtype == np.float32 and ones_vector(7, np.dtype("float32")) is ones
    assert ones_vector(7, np.dtype("float64")).dtype == np.float64
    np.testing.assert_array_equal(index_vector(5), np.arange(5))
    assert index_vector(5) is index_vector(5)
    for shared in (ones, index_vector(5)):
        with pytest.raises(ValueError, match="read-only"):
            shared[0] = 3
