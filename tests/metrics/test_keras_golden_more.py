"""The reductions, Accuracy, the regression/hinge/probabilistic means, R2Score and the IoU metrics against
Keras 3 (tests/fixtures/golden/metrics_more.npz): results over unequal batches with and without sample
weights, configs, config round trips, Keras's configs loaded, and reset_state."""

import importlib.util
import json
import pathlib
import re
import warnings

import numpy as np
import pytest

from minikeras import metrics

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_metrics_more", FIXTURES / "make_keras_golden_metrics_more.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "metrics_more.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))

NAMES = sorted(golden_script.METRICS)
WEIGHTING = ["result", "weighted"]  # the golden keys: no sample_weight, and the case's sample_weight
# Keras's CosineSimilarity.get_config() leaves `axis` out (so a Keras config loses it); minikeras writes it
# when it is not the default. The only config that differs from Keras's, on purpose.
AXIS_WRITTEN = {"cosine_similarity_axis1"}


def _kwargs(name):
    """The case's arguments for minikeras, a function name ("fn") looked up among minikeras's functions."""
    kwargs = dict(golden_script.METRICS[name][1])
    if isinstance(kwargs.get("fn"), str):
        kwargs["fn"] = metrics.METRIC_FUNCTIONS[kwargs["fn"]]
    return kwargs


def _class(name):
    return getattr(metrics, golden_script.METRICS[name][0])


def _make(name):
    return _class(name)(**_kwargs(name))


def _feed(metric, name, suffix):
    """Update `metric` with the golden data in the script's batches; return its result."""
    class_name, _, _, weight_kind = golden_script.METRICS[name]
    y_pred = GOLDEN[f"{name}/y_pred"] if f"{name}/y_pred" in GOLDEN.files else None
    weights = GOLDEN[f"{name}/sample_weight"] if suffix == "weighted" else None
    with warnings.catch_warnings():
        # Fractional weights truncated by an integer IoU and R2's fallback both warn (tested below).
        warnings.simplefilter("ignore")
        return golden_script.feed(metric, class_name, GOLDEN[f"{name}/y_true"], y_pred, weights, weight_kind)


def _close(actual, expected):
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=1e-5, atol=1e-5)


def test_every_golden_case_is_compared():
    recorded = {key.split("/")[0] for key in GOLDEN.files if "/" in key}
    assert recorded == set(golden_script.METRICS) == set(KERAS_CONFIGS)
    assert len(NAMES) == 66
    assert str(GOLDEN["keras_version"]) == "3.15.1"
    assert sum(golden_script.BATCH_SIZES) == len(GOLDEN[f"{NAMES[0]}/y_true"])


def test_every_metric_asked_for_is_covered():
    covered = {case[0] for case in golden_script.METRICS.values()}
    asked = {
        "CosineSimilarity", "LogCoshError", "MeanSquaredLogarithmicError", "MeanAbsolutePercentageError", "Hinge",
        "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy",
        "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Mean", "Sum", "MeanMetricWrapper", "Accuracy",
        "R2Score", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
    }  # fmt: skip
    assert asked <= covered


# ------------------------------------------------------------------ against Keras
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", NAMES)
def test_results_over_batches_match_keras(name, suffix):
    _close(_feed(_make(name), name, suffix), GOLDEN[f"{name}/{suffix}"])


@pytest.mark.parametrize("name", NAMES)
def test_configs_equal_keras(name):
    ours = _make(name).get_config()
    theirs = dict(KERAS_CONFIGS[name])
    # Keras numbers repeated automatic names ("io_u_3" after the script's other IoUs); minikeras keeps the
    # plain name, the log key. Everything else is compared as it is.
    assert re.fullmatch(rf"{re.escape(ours.pop('name'))}(_\d+)?", theirs.pop("name"))
    if name in AXIS_WRITTEN:
        assert ours.pop("axis") == golden_script.METRICS[name][1]["axis"]
    assert ours == theirs


@pytest.mark.parametrize("name", NAMES)
def test_default_names_are_keras_names(name):
    kwargs = _kwargs(name)
    if "name" in kwargs:
        assert _make(name).name == kwargs["name"] == KERAS_CONFIGS[name]["name"]
        return
    first = next(
        KERAS_CONFIGS[case]["name"]
        for case, spec in golden_script.METRICS.items()
        if spec[0] == golden_script.METRICS[name][0] and "name" not in spec[1]
    )
    assert _make(name).name == first


# ------------------------------------------------------------------ config round trips
@pytest.mark.parametrize("name", NAMES)
def test_from_config_of_get_config_gives_the_same_metric(name):
    cls = _class(name)
    original = _make(name)
    config = original.get_config()
    again = cls.from_config(json.loads(json.dumps(config)))
    assert type(again) is cls and again.get_config() == config
    for suffix in WEIGHTING:
        _close(_feed(again, name, suffix), GOLDEN[f"{name}/{suffix}"])
        again.reset_state()


@pytest.mark.parametrize("name", sorted(set(NAMES) - AXIS_WRITTEN))
def test_keras_configs_load_and_give_keras_results(name):
    cls = _class(name)
    config = KERAS_CONFIGS[name]
    metric = metrics.get(
        {"module": "keras.metrics", "class_name": cls.__name__, "config": config, "registered_name": None}
    )
    assert type(metric) is cls and metric.get_config() == config
    _close(_feed(metric, name, "weighted"), GOLDEN[f"{name}/weighted"])


# ------------------------------------------------------------------ reset_state and calls
@pytest.mark.parametrize("name", NAMES)
def test_reset_state_forgets_everything(name):
    metric = _make(name)
    _feed(metric, name, "weighted")
    metric.reset_state()
    _close(_feed(metric, name, "result"), GOLDEN[f"{name}/result"])
    metric.reset_state()
    _close(_feed(metric, name, "weighted"), GOLDEN[f"{name}/weighted"])


@pytest.mark.parametrize("name", NAMES)
def test_calling_the_metric_updates_it_and_returns_the_result(name):
    class_name, _, _, weight_kind = golden_script.METRICS[name]
    y_pred = GOLDEN[f"{name}/y_pred"] if f"{name}/y_pred" in GOLDEN.files else None
    metric = _make(name)
    returned = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t, p, w in golden_script.batches(
            GOLDEN[f"{name}/y_true"], y_pred, GOLDEN[f"{name}/sample_weight"], weight_kind
        ):
            returned = metric(t, sample_weight=w) if class_name in golden_script.VALUE_METRICS else metric(t, p, w)
    _close(returned, GOLDEN[f"{name}/weighted"])
