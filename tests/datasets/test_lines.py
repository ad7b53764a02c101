"""The lines data set (a vertical or a horizontal bar per image) and the small CNN that learns it, end to end."""

import numpy as np
import pytest
from readme_model import readme_cnn

import minikeras as keras


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_five_epochs_on_500_samples_reach_98_percent_on_100_new_ones(seed):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.lines.load_data(500, 100, seed=seed + 1000)
    model = readme_cnn()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, epochs=5, batch_size=10, validation_split=0.1, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.98
    assert history.history["loss"][-1] < history.history["loss"][0]
    probs = model.predict(x_test, verbose=0)
    assert probs.shape == (100, 10)
    assert np.mean(probs.argmax(1) == y_test.argmax(1)) == pytest.approx(accuracy)


def test_make_lines_draws_a_vertical_then_a_horizontal_bar():
    x, y = keras.datasets.lines.make_lines(4, rng=0)
    assert x.shape == (4, 28, 28, 1) and x.dtype == np.float32
    assert y.argmax(1).tolist() == [0, 1, 0, 1]
    clean = x[..., 0] > 0.5
    assert clean[0].sum(axis=0).max() == 18  # a vertical bar: 18 rows in one column
    assert clean[1].sum(axis=1).max() == 18  # a horizontal bar: 18 columns in one row
