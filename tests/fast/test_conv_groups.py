"""Grouped convolutions on the fast path: the plan runs them through the layer's own forward and backward.

The fast steps multiply one kernel matrix for all input channels; a grouped Conv2D's reference is
already one batched product over its groups, so `fast.plan` gives it a `LayerStep` (and never fuses it
with the pooling after it). Its results on the fast path are then the reference's, bit for bit.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers
from minikeras.fast.conv2d import Conv2DStep
from minikeras.fast.conv_pool import ConvMaxPool
from minikeras.fast.plan import LayerStep, plan, step_for


def test_the_plan_runs_a_grouped_convolution_as_the_layer_and_never_fuses_it():
    grouped, pool = layers.Conv2D(4, 3, groups=2, activation="relu"), layers.MaxPooling2D(2)
    grouped.build_for((None, 6, 6, 4))
    assert type(step_for(grouped)) is LayerStep and step_for(grouped, training=False) is grouped
    assert not ConvMaxPool.fits(grouped, pool)
    assert [type(step) for _, step in plan([grouped, pool])] == [LayerStep, LayerStep]
    ungrouped = layers.Conv2D(4, 3, groups=1, activation="relu")
    ungrouped.build_for((None, 6, 6, 4))
    assert ConvMaxPool.fits(ungrouped, pool) and type(step_for(ungrouped)) is Conv2DStep


def test_the_fast_conv_step_refuses_a_grouped_convolution():
    grouped = layers.Conv2D(4, 3, groups=4, name="depthwise")
    grouped.build_for((None, 6, 6, 4))
    with pytest.raises(ValueError, match=r"groups=1 only; layer 'depthwise' has groups=4"):
        Conv2DStep(grouped)


def grouped_model(input_shape):
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, 3, padding="same", groups=2, activation="relu", dtype="float64"),
            layers.MaxPooling2D(2, dtype="float64"),
            layers.Conv2D(3, 2, groups=3, dtype="float64"),
            layers.GlobalAveragePooling2D(dtype="float64"),
        ]
    )


def train(input_shape, x, y):
    keras.utils.set_random_seed(7)
    model = grouped_model(input_shape)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model


@pytest.mark.parametrize("input_shape", [(8, 8, 4), (None, None, 4)])
def test_a_grouped_model_trains_and_predicts_bit_for_bit_as_the_reference(input_shape):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 8, 8, 4)), rng.normal(size=(12, 3))
    fast = train(input_shape, x, y)
    with config.fast_paths(False):
        reference = train(input_shape, x, y)
    for mine, theirs in zip(fast.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(fast.predict(x, verbose=0), reference.predict(x, verbose=0))
