"""Every public name of keras.metrics exists in minikeras.metrics, with Keras's signature where it is a function
(runs with the `interop` extra, against the installed Keras)."""

import inspect
import os
import types

import numpy as np
import pytest

from minikeras import metrics

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", reason="Keras 3 is not installed: pip install '.[interop]'")

# Public names of keras.metrics that minikeras.metrics leaves out on purpose, with the reason. None today.
DELIBERATELY_MISSING: dict[str, str] = {}

KERAS_NAMES = sorted(name for name in dir(keras.metrics) if not name.startswith("_"))
KERAS_FUNCTIONS = [name for name in KERAS_NAMES if isinstance(getattr(keras.metrics, name), types.FunctionType)]


def _plain_signature(function) -> str:
    """A signature as Keras prints its own: no annotations."""
    signature = inspect.signature(function)
    parameters = [parameter.replace(annotation=inspect.Parameter.empty) for parameter in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def test_every_public_name_of_keras_metrics_exists_in_minikeras_metrics():
    missing = [name for name in KERAS_NAMES if not hasattr(metrics, name) and name not in DELIBERATELY_MISSING]
    assert missing == []
    assert not set(DELIBERATELY_MISSING) - set(KERAS_NAMES), "an exception listed for a name Keras no longer has"


def test_the_names_are_classes_where_keras_has_classes_and_functions_where_it_has_functions():
    for name in KERAS_NAMES:
        theirs, ours = getattr(keras.metrics, name), getattr(metrics, name)
        assert isinstance(theirs, type) == isinstance(ours, type), name
        assert callable(ours), name


@pytest.mark.parametrize("name", KERAS_FUNCTIONS)
def test_functions_have_keras_signatures(name):
    assert _plain_signature(getattr(metrics, name)) == _plain_signature(getattr(keras.metrics, name))


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
def test_correlation_metrics_take_keras_arguments(name):
    ours = inspect.signature(getattr(metrics, name))
    theirs = inspect.signature(getattr(keras.metrics, name))
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 1, (1, 2)])
def test_correlation_functions_equal_keras_on_fresh_data(name, axis):
    rng = np.random.default_rng(11)
    y_true = rng.normal(size=(6, 3, 5)).astype(np.float32)
    y_pred = (0.7 * y_true + rng.normal(scale=0.5, size=y_true.shape)).astype(np.float32)
    np.testing.assert_allclose(
        getattr(metrics, name)(y_true, y_pred, axis=axis),
        np.asarray(getattr(keras.metrics, name)(y_true, y_pred, axis=axis)),
        rtol=1e-5,
        atol=1e-6,
    )
