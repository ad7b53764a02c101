"""Every metric configuration of the golden file against Keras 3: results over unequal batches with and
without sample weights, configs (keys, defaults and names), config round trips and reset_state."""

import importlib.util
import json
import pathlib
import re

import numpy as np
import pytest

from minikeras import metrics

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_functions", FIXTURES / "make_keras_golden_functions.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "functions.npz")
KERAS_CONFIGS = json.loads(str(GOLDEN["configs"]))["metrics"]

NAMES = sorted(golden_script.METRICS)
WEIGHTING = ["result", "weighted"]  # the golden keys: no sample_weight, and the stored sample_weight


def _case(name):
    class_name, kwargs, _ = golden_script.METRICS[name]
    arrays = (GOLDEN[f"metric/{name}/{part}"] for part in ("y_true", "y_pred", "sample_weight"))
    return getattr(metrics, class_name), kwargs, *arrays


def _feed(metric, name, suffix):
    """Update `metric` with the golden data in the script's batches (sizes `BATCH_SIZES`); return its result."""
    _, _, y_true, y_pred, weights = _case(name)
    for t, p, w in golden_script.batches(y_true, y_pred, weights if suffix == "weighted" else None):
        metric.update_state(t, p, sample_weight=w)
    return metric.result()


def _close(actual, expected):
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape  # one value per threshold where Keras has several
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=1e-5, atol=1e-5)


def test_every_golden_configuration_is_compared():
    recorded = {key.split("/")[1] for key in GOLDEN.files if key.startswith("metric/")}
    assert recorded == set(golden_script.METRICS) == set(KERAS_CONFIGS)
    assert len(NAMES) == 32
    assert sum(golden_script.BATCH_SIZES) == len(GOLDEN[f"metric/{NAMES[0]}/y_true"])


# ------------------------------------------------------------------ against Keras
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", NAMES)
def test_results_over_batches_match_keras(name, suffix):
    cls, kwargs, *_ = _case(name)
    _close(_feed(cls(**kwargs), name, suffix), GOLDEN[f"metric/{name}/{suffix}"])


@pytest.mark.parametrize("name", NAMES)
def test_configs_have_keras_keys_and_defaults(name):
    cls, kwargs, *_ = _case(name)
    ours = cls(**kwargs).get_config()
    theirs = dict(KERAS_CONFIGS[name])
    # Names are compared in test_default_names_follow_keras: Keras numbers repeated automatic names.
    del ours["name"], theirs["name"]
    # No other exceptions: the same keys, and the same values (defaults included, "dtype" is floatx()).
    assert ours == theirs


def _first_keras_name(class_name):
    """The name Keras gave the first instance of `class_name` the script made (its table is in creation order)."""
    return next(KERAS_CONFIGS[name]["name"] for name, case in golden_script.METRICS.items() if case[0] == class_name)


@pytest.mark.parametrize("name", NAMES)
def test_default_names_follow_keras(name):
    cls, kwargs, *_ = _case(name)
    first = _first_keras_name(cls.__name__)
    # The first instance shows Keras's default name: a fixed one ("binary_accuracy") or the snake-cased class
    # name ("precision", "auc"). Keras makes the automatic names unique per session ("auc_3", "auc_6", ...
    # after the other instances the script made); minikeras keeps the plain name, as the log key.
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
    expected = _feed(original, name, suffix)
    _close(_feed(again, name, suffix), np.asarray(expected))
    _close(expected, GOLDEN[f"metric/{name}/{suffix}"])


@pytest.mark.parametrize("name", NAMES)
def test_keras_configs_load_and_give_keras_results(name):
    cls, *_ = _case(name)
    config = KERAS_CONFIGS[name]
    metric = metrics.get(
        {"module": "keras.metrics", "class_name": cls.__name__, "config": config, "registered_name": None}
    )
    assert type(metric) is cls and metric.get_config() == config
    _close(_feed(metric, name, "weighted"), GOLDEN[f"metric/{name}/weighted"])


# ------------------------------------------------------------------ reset_state
@pytest.mark.parametrize("suffix", WEIGHTING)
@pytest.mark.parametrize("name", NAMES)
def test_reset_state_then_the_same_updates_gives_the_same_result(name, suffix):
    cls, kwargs, *_ = _case(name)
    metric = cls(**kwargs)
    first = _feed(metric, name, suffix)
    metric.reset_state()
    _close(_feed(metric, name, suffix), np.asarray(first))
    other = "result" if suffix == "weighted" else "weighted"
    metric.reset_state()  # nothing of the other run is left over either
    _feed(metric, name, other)
    metric.reset_state()
    _close(_feed(metric, name, suffix), GOLDEN[f"metric/{name}/{suffix}"])
