"""A model whose input leaves the height and width open runs on any size, fast path and reference alike.

The fast steps work out their geometry and work buffers from each batch's shape: nothing planned for one
size may leak into a batch of another size, in inference or in training.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers

RTOL, ATOL = 1e-10, 1e-12


def open_size_cnn():
    keras.utils.set_random_seed(3)
    return keras.Sequential(
        [
            keras.Input(shape=(None, None, 2)),
            layers.Conv2D(4, 3, padding="same", activation="relu", dtype="float64"),
            layers.MaxPooling2D(2, dtype="float64"),  # fused with the convolution on the fast path
            layers.Conv2D(6, 3, strides=2, padding="same", groups=2, dtype="float64"),
            layers.BatchNormalization(dtype="float64"),
            layers.Conv2D(3, 2, dtype="float64"),
            layers.GlobalAveragePooling2D(dtype="float64"),
            layers.Dense(3, activation="softmax", dtype="float64"),
        ]
    )


def batches(sizes, n=8):
    rng = np.random.default_rng(5)
    return [(rng.normal(size=(n, h, w, 2)), np.eye(3)[rng.integers(0, 3, n)]) for h, w in sizes]


def run(sizes):
    """Train on batches of every size in turn, then predict on each: weights and predictions."""
    model = open_size_cnn()
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="categorical_crossentropy")
    data = batches(sizes)
    for x, y in data:
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return model.get_weights(), [model.predict(x, verbose=0) for x, _ in data]


@pytest.mark.parametrize("sizes", [[(8, 8), (11, 13), (6, 9)], [(12, 10), (7, 7)]])
def test_fit_and_predict_on_new_sizes_match_the_reference(sizes):
    weights, predictions = run(sizes)
    with config.fast_paths(False):
        reference_weights, reference_predictions = run(sizes)
    for got, expected in zip(weights, reference_weights, strict=True):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    for got, expected in zip(predictions, reference_predictions, strict=True):
        assert got.shape == (8, 3)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_predicting_on_a_new_size_after_another_gives_what_a_fresh_pass_gives():
    model = open_size_cnn()
    (small, _), (large, _) = batches([(8, 8), (13, 11)])
    model.predict(small, verbose=0)
    after_small = model.predict(large, verbose=0)
    with config.fast_paths(False):
        np.testing.assert_allclose(after_small, model.predict(large, verbose=0), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(model.predict(small, verbose=0), model.predict(small, verbose=0))
