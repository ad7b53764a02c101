"""fit / evaluate / predict: return values, logs over whole epochs, batching, callbacks, progress."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks, layers, losses


def classifier(seed=0, optimizer=None, metrics=("accuracy",), loss="categorical_crossentropy"):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(shape=(5,)), layers.Dense(8, activation="tanh"), layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer=optimizer or keras.optimizers.SGD(0.1), loss=loss, metrics=list(metrics))
    return model


def data(n=20, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)
    return x, keras.utils.to_categorical(labels, 3)


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_") and not name.startswith("on_batch"):
            calls = object.__getattribute__(self, "calls")
            return lambda *args: calls.append((name, *[a for a in args if isinstance(a, int)]))
        return object.__getattribute__(self, name)


def test_fit_returns_history_with_one_value_per_epoch():
    model = classifier()
    x, y = data()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    assert isinstance(history, callbacks.History)
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    # As Keras: the learning rate enters the logs only through a learning-rate callback.
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 and all(isinstance(v, float) for v in values) for values in history.history.values())
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 2}


def test_epoch_logs_are_computed_over_all_samples_not_averaged_per_batch():
    model = classifier(optimizer=keras.optimizers.SGD(learning_rate=0.0))  # weights never change
    x, y = data(n=20)
    history = model.fit(x, y, epochs=1, batch_size=7, shuffle=False, verbose=0)  # batches of 7, 7, 6
    probs = model.predict(x, verbose=0)
    expected_loss = losses.categorical_crossentropy(y, probs).mean()
    expected_acc = np.mean(probs.argmax(1) == y.argmax(1))
    assert history.history["loss"][0] == pytest.approx(expected_loss, rel=1e-5)
    assert history.history["accuracy"][0] == pytest.approx(expected_acc)


def test_validation_split_holds_out_the_last_fraction_before_shuffling():
    model = classifier(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    x, y = data(n=20)
    history = model.fit(x, y, epochs=1, batch_size=4, validation_split=0.25, verbose=0)
    val_loss, val_acc = model.evaluate(x[15:], y[15:], verbose=0)
    train_loss, _ = model.evaluate(x[:15], y[:15], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(val_acc)
    assert history.history["loss"][0] == pytest.approx(train_loss, rel=1e-5)


def test_the_last_partial_batch_is_trained_on():
    model = classifier()
    x, y = data(n=5)
    recorder = Recorder()
    model.fit(x, y, epochs=1, batch_size=2, verbose=0, callbacks=[recorder])
    assert model.optimizer.iterations == 3
    assert [c for c in recorder.calls if c[0] == "on_train_batch_end"] == [("on_train_batch_end", i) for i in range(3)]


def test_evaluate_returns_what_keras_returns():
    x, y = data()
    with_metrics = classifier()
    loss, acc = with_metrics.evaluate(x, y, verbose=0)
    assert isinstance(loss, float) and 0 <= acc <= 1
    assert with_metrics.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "accuracy": acc}
    without = classifier(metrics=())
    assert isinstance(without.evaluate(x, y, verbose=0), float)


def test_predict_is_batched_and_preserves_order():
    model = classifier()
    x, _ = data(n=11)
    full = model.predict(x, batch_size=4, verbose=0)
    assert full.shape == (11, 3) and full.dtype == np.float32
    np.testing.assert_allclose(full, model.predict_on_batch(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=1e-5)


def test_train_test_predict_on_batch():
    model = classifier()
    x, y = data(n=8)
    loss, acc = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (8, 3)
    assert model.optimizer.iterations == 1


def test_hook_order_for_fit_with_validation():
    model = classifier()
    x, y = data(n=6)
    recorder = Recorder()
    model.fit(x, y, epochs=2, batch_size=4, validation_data=(x[:3], y[:3]), verbose=0, callbacks=[recorder])
    epoch = [
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_epoch_end",
    ]
    assert [c[0] for c in recorder.calls] == ["on_train_begin", *epoch, *epoch, "on_train_end"]


def test_hooks_of_evaluate_and_predict():
    model = classifier()
    x, y = data(n=5)
    recorder = Recorder()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=4, verbose=0, callbacks=[recorder])
    assert [c[0] for c in recorder.calls] == [
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_predict_begin",
        "on_predict_batch_begin",
        "on_predict_batch_end",
        "on_predict_batch_begin",
        "on_predict_batch_end",
        "on_predict_end",
    ]


def test_history_is_the_first_callback_and_sees_the_model():
    seen = {}

    class Check(callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["model"] = self.model
            seen["params"] = dict(self.params)

    model = classifier()
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[Check()])
    assert seen["model"] is model
    assert seen["params"] == {"verbose": 0, "epochs": 1, "steps": 2}


def test_stop_training_from_a_callback_stops_after_the_current_batch():
    class StopAtSecondBatch(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = classifier()
    x, y = data(n=20)
    history = model.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[StopAtSecondBatch()])
    assert model.optimizer.iterations == 2
    assert history.epoch == [0]


def test_learning_rate_set_between_epochs_takes_effect():
    class FreezeAfterFirstEpoch(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate = 0.0
            self.weights = self.model.get_weights()

    model = classifier()
    x, y = data()
    freeze = FreezeAfterFirstEpoch()
    model.fit(x, y, epochs=3, batch_size=5, verbose=0, callbacks=[freeze])
    assert model.optimizer.learning_rate == 0.0
    for before, after in zip(freeze.weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_set_random_seed_makes_fit_bitwise_repeatable():
    def run():
        model = classifier(seed=7)
        x, y = data()
        history = model.fit(x, y, epochs=2, batch_size=6, validation_split=0.2, verbose=0)
        return model.get_weights(), history.history

    (w1, h1), (w2, h2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_sample_weight_and_class_weight_weight_the_loss_as_keras():
    model = classifier(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    x, y = data(n=10)
    probs = model.predict(x, verbose=0)
    per_sample = losses.categorical_crossentropy(y, probs)
    weights = np.linspace(0.5, 2.0, 10)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    assert weighted == pytest.approx(np.sum(per_sample * weights) / 10, rel=1e-5)
    class_weight = {0: 3.0, 1: 1.0, 2: 0.5}
    history = model.fit(x, y, class_weight=class_weight, batch_size=10, epochs=1, verbose=0)
    by_class = np.array([class_weight[c] for c in y.argmax(1)])
    assert history.history["loss"][0] == pytest.approx(np.sum(per_sample * by_class) / 10, rel=1e-5)


def test_sparse_labels_resolve_accuracy_to_sparse_accuracy():
    model = classifier(loss="sparse_categorical_crossentropy")
    x, y = data()
    labels = y.argmax(1)
    history = model.fit(x, labels, epochs=1, verbose=0)
    probs = model.predict(x, verbose=0)
    _, acc = model.evaluate(x, labels, verbose=0)
    assert acc == pytest.approx(np.mean(probs.argmax(1) == labels))
    assert "accuracy" in history.history


def test_binary_model_with_acc_metric_uses_binary_accuracy():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    y = np.array([1, 0, 1, 0])
    probs = model.predict(x, verbose=0)[:, 0]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "acc"}
    assert logs["acc"] == pytest.approx(np.mean((probs > 0.5) == y))


def test_fit_before_compile_is_refused():
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before using the model"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)


def test_mismatched_sample_counts_are_refused_before_training():
    model = classifier()
    x, y = data(n=10)
    before = model.get_weights()
    with pytest.raises(ValueError, match="x has 10, y has 9"):
        model.fit(x, y[:9], verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_float64_model_trains_in_float64_end_to_end():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(6, 6, 1), dtype="float64"),
            layers.Conv2D(2, 3, dtype="float64"),
            layers.Flatten(dtype="float64"),
            layers.Dense(2, activation="softmax", dtype="float64"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(4, 6, 6, 1))
    model.fit(x, keras.utils.to_categorical([0, 1, 0, 1], 2), epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.weights)
    assert model.predict(x, verbose=0).dtype == np.float64


def test_float32_training_never_upcasts():
    model = classifier()
    x, y = data()
    model.fit(x.astype(np.float64), y, epochs=1, verbose=0)  # float64 input is cast once
    assert all(w.dtype == np.float32 for w in model.weights)
    assert all(s.dtype == np.float32 for s in model.optimizer.variables[1:])


def test_verbose_modes(capsys):
    x, y = data()
    classifier().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    classifier().fit(x, y, epochs=2, batch_size=10, verbose=2)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2 and "2/2 - " in out and "loss: " in out and "accuracy: " in out
    classifier().fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=1)
    out = capsys.readouterr().out
    assert "2/2" in out and "val_loss: " in out  # the tqdm bar with the epoch's figures


def test_default_compile_optimizer_is_rmsprop():
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    assert model.optimizer.iterations == 1
