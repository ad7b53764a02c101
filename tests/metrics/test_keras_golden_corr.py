"""PearsonCorrelation, ConcordanceCorrelation and the metric functions of keras.metrics against Keras 3
(tests/fixtures/golden/metrics_corr.npz): results over unequal batches with and without sample weights, configs,
config round trips, the functions' values and signatures, and the names Keras publishes and compile accepts."""

import importlib.util
import inspect
import json
import pathlib

import numpy as np
import pytest

from minikeras import losses, metrics
from minikeras.layers import Dense
from minikeras.models import Sequential

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_metrics_corr", FIXTURES / "make_keras_golden_metrics_corr.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "metrics_corr.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))
KERAS_SIGNATURES = json.loads(str(GOLDEN["signatures"]))

METRIC_CASES = sorted(golden_script.METRICS)
FUNCTION_CASES = sorted(golden_script.FUNCTIONS)
WEIGHTING = ["result", "weighted"]


def _make(name):
    class_name, kwargs, _, _ = golden_script.METRICS[name]
    return getattr(metrics, class_name)(**kwargs)


def _feed(metric, name, suffix):
    weight_kind = golden_script.METRICS[name][3]
    weights = GOLDEN[f"metric/{name}/sample_weight"] if suffix == "weighted" else None
    y_true, y_pred = GOLDEN[f"metric/{name}/y_true"], GOLDEN[f"metric/{name}/y_pred"]
    return golden_script.feed(metric, y_true, y_pred, weights, weight_kind)


def _close(actual, expected):
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=1e-5, atol=1e-5)


def test_every_golden_case_is_compared():
    recorded = {key.split("/")[1] for key in GOLDEN.files if key.startswith("metric/")}
    assert recorded == set(golden_script.METRICS) == set(KERAS_CONFIGS)
    assert {key.split("/")[1] for key in GOLDEN.files if key.startswith("function/")} == set(golden_script.FUNCTIONS)
    assert str(GOLDEN["keras_version"]) == "3.15.1"
    assert len(METRIC_CASES) == 17 and len(FUNCTION_CASES) == 37


def test_every_function_asked_for_is_covered():
    asked = {
        "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
        "categorical_focal_crossentropy", "categorical_hinge", "hinge", "squared_hinge", "huber", "kl_divergence",
        "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
        "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy", "pearson_correlation",
        "concordance_correlation",
    }  # fmt: skip
    assert asked == {spec[0] for spec in golden_script.FUNCTIONS.values()}


# ------------------------------------------------------------------ the metrics against Keras
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", METRIC_CASES)
def test_results_over_batches_match_keras(name, suffix):
    _close(_feed(_make(name), name, suffix), GOLDEN[f"metric/{name}/{suffix}"])


def test_the_golden_cases_are_not_degenerate():
    # The weights change the results (so the weighting is tested), and only the one-value rows give NaN.
    for name in METRIC_CASES:
        result, weighted = GOLDEN[f"metric/{name}/result"], GOLDEN[f"metric/{name}/weighted"]
        if name == "pearson_column":
            assert np.isnan(result) and np.isnan(weighted)
        elif name != "concordance_column_vs_flat":
            assert abs(float(result) - float(weighted)) > 1e-3, name


@pytest.mark.parametrize("name", METRIC_CASES)
def test_configs_equal_keras(name):
    # A tuple axis is written as a tuple, which JSON (the golden file's form) gives back as a list.
    assert json.loads(json.dumps(_make(name).get_config())) == KERAS_CONFIGS[name]
    assert list(_make(name).get_config()) == ["name", "dtype", "axis"]


@pytest.mark.parametrize("name", METRIC_CASES)
def test_config_round_trips_give_the_same_metric(name):
    original = _make(name)
    for config in (original.get_config(), json.loads(json.dumps(original.get_config()))):
        again = type(original).from_config(config)
        assert type(again) is type(original) and again.get_config() == config
        _close(_feed(again, name, "weighted"), GOLDEN[f"metric/{name}/weighted"])


@pytest.mark.parametrize("name", METRIC_CASES)
def test_keras_configs_load_and_give_keras_results(name):
    class_name = golden_script.METRICS[name][0]
    entry = {
        "module": "keras.metrics",
        "class_name": class_name,
        "config": KERAS_CONFIGS[name],
        "registered_name": None,
    }
    for metric in (metrics.get(entry), metrics.deserialize(entry)):
        assert type(metric) is getattr(metrics, class_name) and metric.get_config() == KERAS_CONFIGS[name]
        _close(_feed(metric, name, "weighted"), GOLDEN[f"metric/{name}/weighted"])


@pytest.mark.parametrize("name", METRIC_CASES)
def test_reset_state_and_calls(name):
    metric = _make(name)
    _feed(metric, name, "weighted")
    metric.reset_state()
    _close(_feed(metric, name, "result"), GOLDEN[f"metric/{name}/result"])
    metric.reset_state()
    weight_kind = golden_script.METRICS[name][3]
    returned = None
    for t, p, w in golden_script.batches(
        GOLDEN[f"metric/{name}/y_true"], GOLDEN[f"metric/{name}/y_pred"], GOLDEN[f"metric/{name}/sample_weight"],
        weight_kind,
    ):  # fmt: skip
        returned = metric(t, p, sample_weight=w)
    _close(returned, GOLDEN[f"metric/{name}/weighted"])


def test_the_metrics_are_maximized():
    assert metrics.PearsonCorrelation().direction == metrics.ConcordanceCorrelation().direction == "up"


def test_a_one_dimensional_batch_is_one_sample_and_takes_no_per_sample_weights():
    y_true, y_pred = golden_script.data("correlated_flat")
    metric = metrics.PearsonCorrelation()
    metric.update_state(y_true[:5], y_pred[:5])
    assert metric.count == 1
    with pytest.raises(ValueError, match="sample_weight cannot be broadcast"):
        metric.update_state(y_true[:5], y_pred[:5], sample_weight=np.ones(5))
    assert metric.count == 1  # refused before anything was added


@pytest.mark.parametrize("cls", [metrics.PearsonCorrelation, metrics.ConcordanceCorrelation])
@pytest.mark.parametrize("axis", ["last", 1.0, None, (), True])
def test_a_bad_axis_is_refused_when_the_metric_is_made(cls, axis):
    with pytest.raises(TypeError, match="`axis` must be an integer"):
        cls(axis=axis)


@pytest.mark.parametrize("function", [metrics.pearson_correlation, metrics.concordance_correlation])
def test_shapes_that_do_not_broadcast_are_refused(function):
    with pytest.raises(ValueError, match=r"y_true.shape=\(3, 4\), y_pred.shape=\(3, 5\)"):
        function(np.zeros((3, 4)), np.zeros((3, 5)))


# ------------------------------------------------------------------ the functions against Keras
@pytest.mark.parametrize("name", FUNCTION_CASES)
def test_function_values_match_keras(name):
    function_name, kwargs, _ = golden_script.FUNCTIONS[name]
    value = getattr(metrics, function_name)(
        GOLDEN[f"function/{name}/y_true"], GOLDEN[f"function/{name}/y_pred"], **kwargs
    )
    _close(value, GOLDEN[f"function/{name}/value"])


@pytest.mark.parametrize("name", [name for name in FUNCTION_CASES if golden_script.FUNCTIONS[name][1]])
def test_function_arguments_may_be_given_by_position(name):
    function_name, kwargs, _ = golden_script.FUNCTIONS[name]
    function = getattr(metrics, function_name)
    order = list(inspect.signature(function).parameters)[2:]
    last = max(order.index(key) for key in kwargs)
    defaults = {key: parameter.default for key, parameter in inspect.signature(function).parameters.items()}
    args = [kwargs.get(key, defaults[key]) for key in order[: last + 1]]
    value = function(GOLDEN[f"function/{name}/y_true"], GOLDEN[f"function/{name}/y_pred"], *args)
    _close(value, GOLDEN[f"function/{name}/value"])


def _plain_signature(function):
    """`function`'s signature as Keras prints its own: no annotations."""
    signature = inspect.signature(function)
    parameters = [parameter.replace(annotation=inspect.Parameter.empty) for parameter in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


@pytest.mark.parametrize("function_name", sorted(KERAS_SIGNATURES))
def test_function_signatures_are_keras(function_name):
    assert _plain_signature(getattr(metrics, function_name)) == KERAS_SIGNATURES[function_name]


def test_the_loss_functions_are_the_losses_own_as_in_keras():
    for name in sorted(KERAS_SIGNATURES):
        if hasattr(losses, name) and name != "deserialize":
            assert getattr(metrics, name) is getattr(losses, name)


def test_a_function_refuses_an_argument_keras_has_not():
    with pytest.raises(TypeError, match="huber"):
        metrics.huber([[0.0]], [[1.0]], reduction="sum")
    with pytest.raises(TypeError, match="delta"):
        metrics.huber([[0.0]], [[1.0]], 0.5, delta=0.5)


def test_the_functions_compute_in_the_predictions_float_dtype():
    y_true, y_pred = golden_script.data("correlated")
    assert metrics.pearson_correlation(y_true, y_pred).dtype == np.float32
    assert metrics.concordance_correlation(y_true, y_pred.astype(np.float64)).dtype == np.float64
    ints = golden_script.data("integers")
    assert metrics.pearson_correlation(*ints).dtype == np.float32


def test_the_coefficients_of_identical_and_affine_data():
    y = np.array([[0.0, 1.0, 0.5, 2.0], [3.0, -1.0, 0.0, 1.0]])
    np.testing.assert_allclose(metrics.pearson_correlation(y, 3 * y + 1), [1.0, 1.0])
    np.testing.assert_allclose(metrics.pearson_correlation(y, -y), [-1.0, -1.0])
    np.testing.assert_allclose(metrics.concordance_correlation(y, y), [1.0, 1.0], rtol=1e-6)
    # a shifted copy correlates perfectly but does not agree: 2 var / (2 var + shift^2)
    shifted = metrics.concordance_correlation(y, y + 1.0)
    variance = y.var(axis=-1)
    np.testing.assert_allclose(shifted, 2 * variance / (2 * variance + 1.0), rtol=1e-6)


# ------------------------------------------------------------------ names: published, get, compile, deserialize
def test_every_public_name_of_keras_metrics_is_in_minikeras_metrics():
    missing = [str(name) for name in GOLDEN["public_names"] if not hasattr(metrics, str(name))]
    assert missing == []
    new = {"PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation", "concordance_correlation"}
    assert new | set(KERAS_SIGNATURES) <= set(metrics.__all__)
    assert {"PearsonCorrelation", "ConcordanceCorrelation"} <= set(metrics.ALL_METRICS)


def test_hinge_is_the_function_and_the_hinge_metrics_module_is_hinges():
    import minikeras.metrics.hinges as hinges

    assert metrics.hinge is losses.hinge and callable(metrics.hinge)
    assert metrics.Hinge is hinges.Hinge


@pytest.mark.parametrize("identifier", golden_script.GET_NAMES)
def test_get_and_deserialize_give_keras_metric_for_a_name(identifier):
    class_name, name = json.loads(str(GOLDEN["get_names"]))[identifier]
    for metric in (metrics.get(identifier), metrics.deserialize(identifier)):
        assert type(metric).__name__ == class_name and metric.name == name


def test_compile_accepts_the_names_and_logs_them_as_written():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 3)).astype(np.float32)
    y = rng.normal(size=(12, 4)).astype(np.float32)
    model = Sequential([Dense(4)])
    model.compile(optimizer="sgd", loss="mse", metrics=["pearson_correlation", "ConcordanceCorrelation"])
    logs = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    assert set(logs) == {"loss", "pearson_correlation", "ConcordanceCorrelation"}
    np.testing.assert_allclose(logs["pearson_correlation"], metrics.pearson_correlation(y, predictions).mean(), 1e-5)
    np.testing.assert_allclose(
        logs["ConcordanceCorrelation"], metrics.concordance_correlation(y, predictions).mean(), rtol=1e-5
    )


def test_deserialize_reads_what_serialize_writes():
    for metric in (metrics.PearsonCorrelation(axis=(1, 2)), metrics.ConcordanceCorrelation(name="ccc")):
        again = metrics.deserialize(metrics.serialize(metric))
        assert type(again) is type(metric) and again.get_config() == metric.get_config()
    for function in (metrics.pearson_correlation, metrics.huber, metrics.binary_accuracy):
        entry = metrics.serialize(function)
        assert entry == {"module": "builtins", "class_name": "function", "config": function.__name__,
                         "registered_name": "function"}  # fmt: skip
        assert metrics.deserialize(entry) is function
    wrapper = metrics.MeanMetricWrapper(metrics.concordance_correlation, name="ccc_rows", axis=0)
    again = metrics.deserialize(
        {"module": "keras.metrics", "class_name": "MeanMetricWrapper", "config": wrapper.get_config()}
    )
    assert again.get_config() == wrapper.get_config() and again._fn is metrics.concordance_correlation


def test_deserialize_names_as_keras():
    # Keras's table: class names and their snake-case forms and short aliases give new metrics ...
    assert type(metrics.deserialize("mse")) is metrics.MeanSquaredError
    assert type(metrics.deserialize("binary_accuracy")) is metrics.BinaryAccuracy
    assert type(metrics.deserialize("accuracy")) is metrics.Accuracy
    # ... and a function with no class of its name is the function (Keras returns the bare string there).
    assert metrics.deserialize("huber") is metrics.huber
    assert metrics.deserialize("log_cosh") is metrics.log_cosh


def test_deserialize_refuses_unknown_names_and_takes_custom_objects():
    with pytest.raises(ValueError, match="pearson_correlation"):
        metrics.deserialize("pearson_corelation")
    with pytest.raises(ValueError, match="Unknown metric function"):
        metrics.deserialize({"module": "builtins", "class_name": "function", "config": "no_such_function"})

    def my_metric(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).max(axis=-1)

    entry = {"module": "builtins", "class_name": "function", "config": "my_metric", "registered_name": "function"}
    assert metrics.deserialize(entry, custom_objects={"my_metric": my_metric}) is my_metric
    assert metrics.deserialize("my_metric", custom_objects={"my_metric": my_metric}) is my_metric
