"""Dense and Flatten: Keras's default initializers, row-major flattening."""

import numpy as np

from minikeras import initializers, layers


def test_flatten_is_row_major_over_height_width_channels():
    x = np.arange(2 * 2 * 3, dtype=np.float32).reshape(1, 2, 2, 3)
    np.testing.assert_array_equal(layers.Flatten()(x)[0], np.arange(12))
    channels_first = np.moveaxis(x, -1, 1)
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(channels_first)[0], np.arange(12))


def test_default_initializers_are_glorot_uniform_and_zeros():
    dense = layers.Dense(50)
    dense.build_for((None, 30))
    limit = np.sqrt(6 / (30 + 50))
    assert np.abs(dense.kernel).max() <= limit
    assert np.abs(dense.kernel).max() > 0.8 * limit
    assert not dense.bias.any()
    assert isinstance(dense.kernel_initializer, initializers.GlorotUniform)
