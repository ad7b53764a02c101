"""Refused calls: each names the problem and leaves the model exactly as it was."""

import tracemalloc

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks, layers
from minikeras.models.data import check_finite


def classifier(loss="categorical_crossentropy"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss=loss, metrics=["accuracy"])
    return model


def data(n=12):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype(np.float32), np.eye(3, dtype=np.float32)[np.arange(n) % 3]


def snapshot(model):
    return (
        [w.copy() for w in model.get_weights()],
        model.optimizer.iterations,
        [v.copy() for v in model.optimizer.variables],
    )


def assert_unchanged(model, before):
    weights, iterations, state = before
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == iterations
    assert len(model.optimizer.variables) == len(state)


X, Y = data()
REFUSALS = {
    "x_y_lengths": (lambda m: m.fit(X, Y[:-1], verbose=0), r"x has 12, y has 11"),
    "feature_shape": (
        lambda m: m.fit(np.zeros((12, 5)), Y, verbose=0),
        r"Input 0 of layer 'dense.*' is incompatible with the layer: expected axis -1 of input shape to have value 4, "
        r"but received input with shape \(12, 5\)",
    ),
    "rank": (
        lambda m: m.fit(np.zeros((12, 4, 1)), Y, verbose=0),
        r"expected axis -1 of input shape to have value 4, but received input with shape \(12, 4, 1\)",
    ),
    "one_hot_width": (
        lambda m: m.fit(X, np.zeros((12, 4)), verbose=0),
        r"CategoricalCrossentropy: y has shape \(12, 4\).*output has shape \(None, 3\)",
    ),
    "integer_labels_with_categorical": (lambda m: m.fit(X, np.arange(12) % 3, verbose=0), r"to_categorical"),
    "non_numeric": (lambda m: m.fit(np.array([["a"] * 4] * 12), Y, verbose=0), r"x must be numeric"),
    "nan_in_x": (
        lambda m: m.fit(np.where(np.arange(48).reshape(12, 4) == 30, np.nan, X), Y, verbose=0),
        r"x contains NaN or infinity \(first at sample 7\)",
    ),
    "inf_in_y": (lambda m: m.fit(X, np.where(Y == 1, np.inf, Y), verbose=0), r"y contains NaN or infinity"),
    "batch_size": (lambda m: m.fit(X, Y, batch_size=0, verbose=0), r"batch_size must be a positive integer"),
    "validation_split": (
        lambda m: m.fit(X, Y, validation_split=1.0, verbose=0),
        r"validation_split must be in \[0, 1\)",
    ),
    "validation_data_shape": (
        lambda m: m.fit(X, Y, validation_data=(np.zeros((3, 7)), Y[:3]), verbose=0),
        r"expected axis -1 of input shape to have value 4, but received input with shape \(3, 7\)",
    ),
    "validation_data_form": (lambda m: m.fit(X, Y, validation_data=X, verbose=0), r"validation_data must be a tuple"),
    "set_weights_count": (
        lambda m: m.set_weights(m.get_weights()[:1]),
        r"weight list of length 1, but the layer was expecting 4 weights",
    ),
    "set_weights_shape": (
        lambda m: m.set_weights([np.zeros((4, 6)), *m.get_weights()[1:]]),
        r"expects a weight of shape \(4, 5\), but received \(4, 6\)",
    ),
    "evaluate_targets": (lambda m: m.evaluate(X, Y[:, :2], verbose=0), r"output has shape \(None, 3\)"),
    "epochs": (lambda m: m.fit(X, Y, epochs=-1, verbose=0), r"epochs must be a non-negative integer"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_name_the_problem_and_change_nothing(case):
    call, message = REFUSALS[case]
    model = classifier()
    model.fit(X, Y, epochs=1, verbose=0)
    before = snapshot(model)
    with pytest.raises((ValueError, TypeError), match=message):
        call(model)
    assert_unchanged(model, before)
    model.fit(X, Y, epochs=1, verbose=0)  # and it is still usable
    assert model.optimizer.iterations == before[1] + 1


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.full(12, 3), r"labels must be in \[0, 3\).*from 3 to 3"),
        (np.full(12, -1), r"from -1"),
        (np.full(12, 0.5), "non-integer"),
        (np.zeros((12, 3)), r"shape \(samples,\)"),
    ],
)
def test_sparse_labels_outside_the_classes_are_refused(labels, message):
    model = classifier(loss="sparse_categorical_crossentropy")
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.fit(X, labels, verbose=0)
    assert_unchanged(model, before)


def test_fit_before_compile_and_unknown_names():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before using the model"):
        model.evaluate(X, np.zeros((12, 1)), verbose=0)
    with pytest.raises(ValueError, match='Unknown loss.*Did you mean "categorical_crossentropy"'):
        model.compile(optimizer="sgd", loss="categorical_crossentropi")
    with pytest.raises(ValueError, match='Unknown optimizer.*Did you mean "rmsprop"'):
        model.compile(optimizer="rmsprob", loss="mse")
    with pytest.raises(ValueError, match="Unknown metric.*Did you mean"):
        model.compile(optimizer="sgd", loss="mse", metrics=["accuracyy"])
    with pytest.raises(ValueError, match='Unknown initializer.*Did you mean "he_normal"'):
        layers.Dense(2, kernel_initializer="he_normall")
    assert not model.compiled


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_finds_the_first_bad_sample_in_any_chunk(dtype, bad):
    x = np.ones((50, 3, 2), dtype=dtype)
    check_finite(x, "x", chunk_values=24)  # clean data passes
    for sample in (0, 9, 49):
        dirty = x.copy()
        dirty[sample, 2, 1] = bad
        dirty[min(sample + 5, 49), 0, 0] = bad  # a later bad sample does not hide the first
        with pytest.raises(ValueError, match=rf"x contains NaN or infinity \(first at sample {sample}\)"):
            check_finite(dirty, "x", chunk_values=24)


def test_check_finite_accepts_huge_values_whose_sum_overflows(recwarn):
    # The fast path sums each chunk; a sum that overflows to infinity must not be taken for bad data.
    for dtype in (np.float16, np.float32, np.float64):
        big = np.full((40, 4), np.finfo(dtype).max, dtype=dtype)
        big[::2] *= -1 if dtype is np.float64 else 1
        check_finite(big, "x")
        check_finite(-big, "x")
    assert not recwarn.list  # and the overflow of that sum is not reported to the user


def test_integer_and_boolean_inputs_are_accepted_and_cast_once():
    model = classifier()
    model.fit(np.ones((12, 4), dtype=np.int64), Y, verbose=0)
    assert model.predict(np.ones((2, 4), dtype=bool), verbose=0).dtype == np.float32
    assert all(w.dtype == np.float32 for w in model.weights)


def test_an_exception_from_a_callback_runs_on_train_end_and_keeps_the_last_finished_step():
    events = []
    weights_after_step = {}

    class Fail(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            weights_after_step[batch] = self.model.get_weights()
            if batch == 2:
                raise RuntimeError("boom")

        def on_train_end(self, logs=None):
            events.append("on_train_end")

    model = classifier()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(X, Y, batch_size=2, epochs=1, verbose=0, callbacks=[Fail()])
    assert events == ["on_train_end"]
    assert model.optimizer.iterations == 3
    for a, b in zip(weights_after_step[2], model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(X, Y, epochs=1, verbose=0)  # ready to fit again
    assert model.optimizer.iterations == 4


def test_runs_with_the_same_seed_are_bitwise_identical():
    def run():
        keras.utils.set_random_seed(123)
        model = keras.Sequential(
            [
                keras.Input(shape=(4,)),
                layers.Dense(8, activation="tanh"),
                layers.Dropout(0.3),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"]
        )
        history = model.fit(
            X, Y, epochs=3, batch_size=5, validation_split=0.25, shuffle=True, verbose=0
        )  # dropout draws too
        return model.get_weights(), history.history, model.predict(X, verbose=0)

    (w1, h1, p1), (w2, h2, p2) = run(), run()
    assert h1 == h2
    np.testing.assert_array_equal(p1, p2)
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_logits_stay_finite(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype)
    targets = np.eye(3, dtype=dtype)[[1, 2]]
    probs = keras.activations.softmax(logits)
    assert np.isfinite(probs).all() and probs.dtype == dtype
    assert np.isfinite(keras.activations.sigmoid(logits)).all()
    for loss in (keras.losses.CategoricalCrossentropy(from_logits=True), keras.losses.CategoricalCrossentropy()):
        value, grad = loss.value_and_gradient(targets, logits if loss.from_logits else probs)
        assert np.isfinite(value) and np.isfinite(grad).all()
    binary = keras.losses.BinaryCrossentropy(from_logits=True)
    value, grad = binary.value_and_gradient(
        np.array([[1.0], [0.0]], dtype=dtype), np.array([[-1e4], [1e4]], dtype=dtype)
    )
    assert np.isfinite(value) and value > 1e3 and np.isfinite(grad).all()


def test_evaluate_and_predict_on_a_big_float64_array_cast_batch_by_batch():
    model = classifier()
    x = np.random.default_rng(0).normal(size=(200_000, 4))  # float64: casting it whole would cost 3.2 MB more
    y = np.eye(3)[np.arange(200_000) % 3]
    tracemalloc.start()
    try:
        model.evaluate(x, y, batch_size=1000, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"evaluate peaked at {peak / 1e6:.1f} MB"
