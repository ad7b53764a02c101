"""The metrics built on confusion counts against Keras 3 (tests/fixtures/golden/metrics_confusion.npz): results after
each of several unequal batches with and without sample weights, configs, config round trips, reset_state, and the
exceptions of bad arguments."""

import builtins
import importlib.util
import json
import pathlib
import re

import numpy as np
import pytest

from minikeras import metrics

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_metrics_confusion", FIXTURES / "make_keras_golden_metrics_confusion.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "metrics_confusion.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))
KERAS_ERRORS = json.loads(str(GOLDEN["errors"]))

NAMES = sorted(golden_script.METRICS)
WEIGHTING = ["result", "weighted"]  # the golden keys: no sample_weight, and the stored sample_weight
CLASSES = sorted({case[0] for case in golden_script.METRICS.values()})


def _case(name):
    class_name, kwargs, _ = golden_script.METRICS[name]
    arrays = (GOLDEN[f"metric/{name}/{part}"] for part in ("y_true", "y_pred", "sample_weight"))
    return getattr(metrics, class_name), kwargs, *arrays


def _feed(metric, name, suffix):
    """Update `metric` with the golden data in the script's batches; return its result after each batch."""
    _, _, y_true, y_pred, weights = _case(name)
    steps = []
    for t, p, w in golden_script.batches(y_true, y_pred, weights if suffix == "weighted" else None):
        metric.update_state(t, p, sample_weight=w)
        steps.append(np.asarray(metric.result(), dtype=np.float64))
    return np.stack(steps)


def _close(actual, expected):
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape  # one value per threshold or class where Keras has several
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=1e-5, atol=1e-5)


def test_every_golden_configuration_is_compared():
    recorded = {key.split("/")[1] for key in GOLDEN.files if key.startswith("metric/")}
    assert recorded == set(golden_script.METRICS) == set(KERAS_CONFIGS)
    assert set(KERAS_ERRORS) == set(golden_script.BAD_ARGUMENTS) | set(golden_script.BAD_UPDATES)
    assert len(CLASSES) == 10 and all(name in metrics.__all__ for name in CLASSES)
    assert len(golden_script.BATCH_SIZES) == 3 and len(set(golden_script.BATCH_SIZES)) == 3


# ------------------------------------------------------------------ against Keras
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", NAMES)
def test_results_after_each_batch_match_keras(name, suffix):
    cls, kwargs, *_ = _case(name)
    _close(_feed(cls(**kwargs), name, suffix), GOLDEN[f"metric/{name}/{suffix}"])


_RATES = {  # class -> (constrained rate, reported rate), each from (tp, fp, tn, fn)
    "PrecisionAtRecall": (lambda tp, fp, tn, fn: tp / (tp + fn), lambda tp, fp, tn, fn: tp / (tp + fp)),
    "RecallAtPrecision": (lambda tp, fp, tn, fn: tp / (tp + fp), lambda tp, fp, tn, fn: tp / (tp + fn)),
    "SensitivityAtSpecificity": (lambda tp, fp, tn, fn: tn / (tn + fp), lambda tp, fp, tn, fn: tp / (tp + fn)),
    "SpecificityAtSensitivity": (lambda tp, fp, tn, fn: tp / (tp + fn), lambda tp, fp, tn, fn: tn / (tn + fp)),
}


@pytest.mark.parametrize("name", sorted(golden_script.TIES))
def test_the_tie_cases_turn_on_the_tie(name):
    """With another tie rule (strict comparison, or float64 ratios) Keras's result would differ: the golden data
    really decides ties."""
    cls, kwargs, y_true, y_pred, _ = _case(name)
    metric = cls(**kwargs)
    metric.update_state(y_true, y_pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts = (metric.true_positives, metric.false_positives, metric.true_negatives, metric.false_negatives)
        constrained, reported = (np.nan_to_num(rate(*counts)) for rate in _RATES[cls.__name__])
    if golden_script.TIES[name] == "exact":
        feasible = constrained.astype(np.float32) > np.float32(metric.value)
    else:
        feasible = constrained >= metric.value
    other_rule = np.max(np.where(feasible, reported, 0.0), initial=0.0)
    keras_result = GOLDEN[f"metric/{name}/result"][-1]
    assert abs(other_rule - keras_result) > 1e-3
    _close(metric.result(), keras_result)


@pytest.mark.parametrize("name", NAMES)
def test_configs_equal_keras_configs(name):
    cls, kwargs, *_ = _case(name)
    ours = cls(**kwargs).get_config()
    theirs = dict(KERAS_CONFIGS[name])
    # Keras numbers repeated automatic names ("true_positives_3"); test_default_names_follow_keras checks them.
    del ours["name"], theirs["name"]
    assert ours == theirs


def _first_keras_name(class_name):
    """The name Keras gave the first instance of `class_name` the script made (its table is in creation order)."""
    return next(KERAS_CONFIGS[name]["name"] for name, case in golden_script.METRICS.items() if case[0] == class_name)


@pytest.mark.parametrize("name", NAMES)
def test_default_names_follow_keras(name):
    cls, kwargs, *_ = _case(name)
    first = _first_keras_name(cls.__name__)
    assert cls(**kwargs).name == first
    assert re.fullmatch(rf"{re.escape(first)}(_\d+)?", KERAS_CONFIGS[name]["name"])


# ------------------------------------------------------------------ config round trips
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", NAMES)
def test_from_config_of_get_config_gives_the_same_results(name, suffix):
    cls, kwargs, *_ = _case(name)
    original = cls(**kwargs)
    config = original.get_config()
    again = cls.from_config(json.loads(json.dumps(config)))
    assert type(again) is cls and again.get_config() == config
    _close(_feed(again, name, suffix), _feed(original, name, suffix))


@pytest.mark.parametrize("name", NAMES)
def test_keras_configs_load_and_give_keras_results(name):
    cls, *_ = _case(name)
    config = KERAS_CONFIGS[name]
    metric = metrics.get(
        {"module": "keras.metrics", "class_name": cls.__name__, "config": config, "registered_name": None}
    )
    assert type(metric) is cls and metric.get_config() == config
    _close(_feed(metric, name, "weighted"), GOLDEN[f"metric/{name}/weighted"])


@pytest.mark.parametrize("name", NAMES)
def test_serialize_then_get_round_trips(name):
    cls, kwargs, *_ = _case(name)
    metric = cls(**kwargs)
    again = metrics.get(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(again) is cls and again.get_config() == metric.get_config()


# ------------------------------------------------------------------ reset_state and calling
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", NAMES)
def test_reset_state_forgets_every_batch(name, suffix):
    cls, kwargs, *_ = _case(name)
    metric = cls(**kwargs)
    other = "result" if suffix == "weighted" else "weighted"
    _feed(metric, name, other)
    metric.reset_state()
    _close(_feed(metric, name, suffix), GOLDEN[f"metric/{name}/{suffix}"])


@pytest.mark.parametrize("name", NAMES)
def test_calling_the_metric_updates_it_and_returns_the_result(name):
    cls, kwargs, y_true, y_pred, weights = _case(name)
    metric = cls(**kwargs)
    expected = GOLDEN[f"metric/{name}/weighted"]
    for step, (t, p, w) in enumerate(golden_script.batches(y_true, y_pred, weights)):
        _close(np.asarray(metric(t, p, sample_weight=w), dtype=np.float64), expected[step])


# ------------------------------------------------------------------ bad arguments
def _assert_raises_like_keras(name, action):
    type_name, message = KERAS_ERRORS[name]
    with pytest.raises(getattr(builtins, type_name)) as error:
        action()
    assert golden_script.key_phrase(message) in str(error.value)


@pytest.mark.parametrize("name", sorted(golden_script.BAD_ARGUMENTS))
def test_bad_arguments_raise_as_keras(name):
    class_name, kwargs = golden_script.BAD_ARGUMENTS[name]
    _assert_raises_like_keras(name, lambda: getattr(metrics, class_name)(**kwargs))


@pytest.mark.parametrize("name", sorted(golden_script.BAD_UPDATES))
def test_bad_updates_raise_as_keras_and_change_nothing(name):
    class_name, kwargs, y_true, y_pred = golden_script.BAD_UPDATES[name]
    metric = getattr(metrics, class_name)(**kwargs)
    before = metric.result()
    _assert_raises_like_keras(name, lambda: metric.update_state(np.float32(y_true), np.float32(y_pred)))
    np.testing.assert_array_equal(metric.result(), before)
