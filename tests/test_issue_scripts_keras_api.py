"""The Keras user's scripts of issue #23, run with `import minikeras as keras`: each test is one of the
snippets that failed before, written as a Keras 3 user writes it."""

import copy
import csv
import pickle

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def _binary_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, 0] + 0.3 * rng.normal(size=n) > 0.8).astype("float32")[:, None]  # imbalanced
    return x, y


def test_serialization_functions_and_the_registry():
    layer = layers.Dense(3, activation="relu", name="d")
    config = keras.saving.serialize_keras_object(layer)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    clone = keras.saving.deserialize_keras_object(config)
    assert isinstance(clone, layers.Dense) and clone.units == 3

    @keras.saving.register_keras_serializable(package="issue23")
    class Doubler(layers.Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, grad):
            return 2 * grad

    assert keras.saving.get_registered_name(Doubler) == "issue23>Doubler"
    assert keras.saving.get_registered_object("issue23>Doubler") is Doubler
    with keras.saving.custom_object_scope({"Twice": Doubler}):
        assert keras.saving.get_registered_object("Twice") is Doubler


def test_to_json_and_model_from_json():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    rebuilt = keras.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["Dense"]
    assert rebuilt.output_shape == (None, 2)


def test_a_metric_object_is_called_as_in_keras():
    m = keras.metrics.Precision()
    assert m([0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)


def test_the_imbalanced_classification_example_metrics():
    # keras.io "Imbalanced classification: credit card fraud detection" compiles with these metrics.
    x, y = _binary_data()
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(1, "sigmoid")])
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)
    counts = {0: 1.0 / np.sum(y == 0), 1: 1.0 / np.sum(y == 1)}
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, class_weight=counts)
    last = {key: values[-1] for key, values in history.history.items()}
    assert last["fn"] + last["fp"] + last["tn"] + last["tp"] == len(x)


def test_optimizer_weight_decay_exclusion_and_learning_rate_variable():
    optimizer = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    optimizer.learning_rate.assign(0.005)
    assert optimizer.learning_rate.numpy() == pytest.approx(0.005)
    assert optimizer.learning_rate.value == pytest.approx(0.005)
    calls = []
    sgd = keras.optimizers.SGD(learning_rate=lambda: calls.append(1) or 0.1)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(1)])
    model.compile(optimizer=sgd, loss="mse")
    x, y = _binary_data(16)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(calls) >= 2  # called at every step


def test_relu_arguments_and_relu6():
    x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(keras.activations.relu(x, negative_slope=0.5, max_value=8.0), [-5, -2.5, 0, 5, 8])
    np.testing.assert_allclose(keras.activations.relu6(x), [0, 0, 0, 5, 6])
    assert layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5).get_config()["threshold"] == 0.5


def test_grouped_convolution():
    layer = layers.Conv2D(4, 3, groups=2)
    out = layer(np.ones((1, 6, 6, 6), "float32"))
    assert out.shape == (1, 4, 4, 4) and layer.weights[0].shape == (3, 3, 3, 4)


def test_layers_take_other_compatible_shapes_after_build():
    reshape = layers.Reshape((-1, 4))
    assert reshape(np.zeros((1, 6, 4))).shape == (1, 6, 4)
    assert reshape(np.zeros((1, 10, 4))).shape == (1, 10, 4)
    relu = layers.ReLU()
    assert relu(np.zeros((2, 3))).shape == (2, 3)
    assert relu(np.zeros((2, 3, 5))).shape == (2, 3, 5)


def test_models_nest_pickle_and_refuse_layer_assignment():
    inner = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="relu")])
    model = keras.Sequential([inner, layers.Dense(1)])
    model.compile("adam", "mse")
    x, y = _binary_data(16)
    model.fit(x, y, epochs=1, verbose=0)
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(AttributeError, match="`Sequential.layers` attribute is reserved"):
        model.layers = []


def test_get_none_keras2_initializer_names_and_constant_arrays():
    assert keras.initializers.get(None) is None and keras.optimizers.get(None) is None
    for name in ("uniform", "normal", "zero", "one", "identity"):
        assert isinstance(keras.initializers.get(name), keras.initializers.Initializer)
    constant = keras.initializers.Constant(np.arange(6.0).reshape(2, 3))
    restored = keras.initializers.deserialize(keras.initializers.serialize(constant))
    np.testing.assert_array_equal(restored((2, 3)), np.arange(6.0).reshape(2, 3))


def test_load_model_names_the_supported_extensions(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"File format not supported.*\.keras.*\.h5"):
        keras.models.load_model(path)


def test_sparse_categorical_crossentropy_ignores_a_class():
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=255)
    y_pred = np.array([[0.7, 0.3], [0.2, 0.8], [0.5, 0.5]])
    kept = keras.losses.SparseCategoricalCrossentropy()(np.array([0, 1]), y_pred[:2])
    assert loss(np.array([0, 1, 255]), y_pred) == pytest.approx(kept)


def test_csv_logger_has_keras_columns(tmp_path):
    x, y = _binary_data(16)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))])
    with open(tmp_path / "log.csv") as f:
        assert next(csv.reader(f)) == ["epoch", "loss", "val_loss"]  # Keras's header: no learning_rate column
