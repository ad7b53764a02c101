"""`minikeras.ops` and `minikeras.random` have Keras 3.15.1's names, parameters and defaults (recorded from Keras
in the golden file), load lazily, and keep `import minikeras` free of autograd and of the op modules."""

import importlib
import inspect
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minikeras
from minikeras import ops, random

GOLDEN = np.load(pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "golden" / "ops.npz")
KERAS = json.loads(str(GOLDEN["keras_signatures"]))
NAMESPACES = {"ops": ops, "ops.nn": ops.nn, "ops.linalg": ops.linalg, "random": random}


def _exported(label):
    module = NAMESPACES[label]
    return [
        name
        for name in module.__all__
        if callable(getattr(module, name)) and not inspect.ismodule(getattr(module, name))
    ]


def _parameters(function):
    parameters = inspect.signature(function).parameters.values()
    return [
        [p.name, p.kind.name, "<required>" if p.default is inspect.Parameter.empty else repr(p.default)]
        for p in parameters
        if p.name != "self"
    ]


@pytest.mark.parametrize("label", sorted(NAMESPACES))
def test_every_name_is_a_keras_name(label):
    assert sorted(set(_exported(label)) - set(KERAS[label])) == []


@pytest.mark.parametrize(
    ("label", "name"), [(label, name) for label in sorted(NAMESPACES) for name in _exported(label)]
)
def test_parameters_and_defaults_equal_keras(label, name):
    assert _parameters(getattr(NAMESPACES[label], name)) == KERAS[label][name]


def test_the_nn_and_linalg_functions_are_also_at_the_top_level():
    for module in (ops.nn, ops.linalg):
        for name in module.__all__:
            assert getattr(ops, name) is getattr(module, name)


def test_keras_nn_functions_minikeras_has_are_in_ops_nn():
    # a function both namespaces of Keras have must be in both here (ops.relu and ops.nn.relu)
    assert sorted((set(KERAS["ops.nn"]) & set(ops.__all__)) - set(ops.nn.__all__)) == []


def test_the_lazy_table_lists_each_module_exactly():
    # each family module defines every op the table gives it, and publishes no public function the table lacks
    for module, names in ops.OPS_BY_MODULE.items():
        family = importlib.import_module(f"minikeras.ops.{module}")
        assert all(callable(getattr(family, name)) for name in names)
        defined = {
            name
            for name, value in vars(family).items()
            if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == family.__name__
        }
        helpers = {"core": {"operand", "float_operand", "standardize_dtype"}}.get(module, set())  # shared, not ops
        assert defined - set(names) <= helpers, module
    assert len(ops._MODULE_OF) == sum(len(names) for names in ops.OPS_BY_MODULE.values())  # no name twice


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_an_op'"):
        ops.not_an_op  # noqa: B018
    assert "softmax" in dir(ops) and "nn" in dir(ops)


def test_import_minikeras_loads_neither_autograd_nor_the_op_modules():
    code = (
        "import sys, minikeras\n"
        "loaded = [m for m in sys.modules if m.startswith('autograd') or m in (\n"
        "    'minikeras.ops.core', 'minikeras.ops.elementwise', 'minikeras.ops.reductions', 'minikeras.ops.nn')]\n"
        "print(loaded)\n"
        "from minikeras import ops\n"
        "ops.softmax(ops.ones((2, 3)))\n"
        "print('autograd' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "False"]


def test_keras_names_minikeras_leaves_out_are_known():
    # The rest of keras.ops (FFTs, image ops, CTC, attention, sparse and symbolic control flow...) is not built;
    # this list keeps the gap visible, and a name added to minikeras.ops drops out of it.
    missing = sorted(set(KERAS["ops"]) - set(ops.__all__) - {"image", "linalg", "nn", "numpy", "core", "math"})
    assert len(missing) < 130, missing
    for name in ("sum", "take_along_axis", "conv", "max_pool", "one_hot", "slice", "logsumexp", "einsum"):
        assert name not in missing


def test_minikeras_exposes_random():
    assert minikeras.random is random
    assert "random" in minikeras.__all__
