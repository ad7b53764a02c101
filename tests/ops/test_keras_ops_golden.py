"""`minikeras.ops` against Keras 3's `keras.ops` (JAX backend): every case of the golden file's values (in
float64), its dtypes (on 32-bit inputs, as Keras's default configuration computes), and, through autograd,
the vector-Jacobian products `jax.vjp` gave.

Dtypes differ from Keras's on purpose in one respect: a float64 input stays float64 in every op (Keras's
JAX backend computes in 32 bits by default, and its `sin`, `mean`, `norm`... return float32 even for
float64 input), so that float64 gradient checks of custom code are exact."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

from minikeras import ops

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_keras_golden_ops", FIXTURES / "make_keras_golden_ops.py")
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "ops.npz")
META = json.loads(str(GOLDEN["meta"]))
INPUTS = {key.split("/", 1)[1]: GOLDEN[key] for key in GOLDEN.files if key.startswith("input/")}
CASES = sorted(golden_script.CASES)
DIFFERENTIABLE = sorted(name for name in CASES if golden_script.CASES[name][3] and name != "sparsemax")


def _call(name, args=None, inputs=INPUTS):
    """The op of case `name` on its golden inputs (or on `args` in place of its positional arguments)."""
    op_name, case_args, case_kwargs, _ = golden_script.CASES[name]
    args = golden_script.resolve(case_args, inputs) if args is None else args
    return getattr(ops, op_name)(*args, **golden_script.resolve(case_kwargs, inputs))


def _run(name, inputs=INPUTS):
    """The case's outputs as arrays (those the golden file keeps), and the result's structure."""
    result = _call(name, inputs=inputs)
    if golden_script.CASES[name][0] == "dtype":
        return [np.asarray(result)], "python"
    outputs, structure = golden_script.flatten(result)
    return [outputs[k] for k in META[name]["keep"]], structure


# Cases whose float64 golden values Keras computed in float32 (its `mean` of float64 input does), so they are
# compared at float32's resolution.
KERAS_FLOAT32_INSIDE = {"mean", "mean_all", "layer_normalization", "normalize_order1", "rms_normalization"}
# Cases where Keras 3.15.1 is wrong and minikeras is not; tested below against the definition instead.
KERAS_BUGS = {
    # tau sums the cumulative sums over the support instead of taking the one at its end, so a row whose
    # support has two or more entries does not sum to 1.
    "sparsemax": "tau from the sum of cumulative sums",
}
# Dtypes Keras's default JAX configuration cannot give: it has no 64-bit types.
NO_64_BITS_IN_KERAS = {"convert_to_tensor_dtype"}


def _tolerance(name, dtype):
    if dtype in ("float32", "float16") or name in KERAS_FLOAT32_INSIDE:
        return {"rtol": 1e-6, "atol": 1e-6}
    return {"rtol": 1e-10, "atol": 1e-12}


def test_every_case_was_recorded_and_the_script_matches_the_file():
    assert set(META) == set(golden_script.CASES)
    assert set(INPUTS) == set(golden_script.make_inputs())
    for name, array in golden_script.make_inputs().items():
        np.testing.assert_array_equal(INPUTS[name], array)
    assert len(CASES) >= 300


@pytest.mark.filterwarnings("ignore:divide by zero")  # floor_divide by 0 gives inf, as in Keras
@pytest.mark.parametrize("name", CASES)
def test_values_equal_keras(name):
    if name in KERAS_BUGS:
        pytest.skip(f"Keras's {name} is wrong ({KERAS_BUGS[name]}); see test_sparsemax_is_the_simplex_projection")
    outputs, structure = _run(name)
    meta = META[name]
    assert structure == meta["structure"]
    assert len(outputs) == len(meta["dtypes"])
    for k, (actual, dtype) in enumerate(zip(outputs, meta["dtypes"])):
        expected = GOLDEN[f"case/{name}/out{k}"]
        if dtype != "python":  # float, int or bool as Keras (the widths: see the 32-bit test)
            assert np.asarray(actual).dtype.kind == np.dtype(dtype).kind, f"output {k}: {np.asarray(actual).dtype}"
        assert np.shape(actual) == expected.shape, f"output {k}"
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(actual, expected, **_tolerance(name, dtype), err_msg=f"output {k}")
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=f"output {k}")


INPUTS_32 = golden_script.inputs_32(INPUTS)


@pytest.mark.filterwarnings("ignore:divide by zero")
@pytest.mark.parametrize("name", CASES)
def test_dtypes_equal_keras_default_configuration(name):
    if name in NO_64_BITS_IN_KERAS:
        pytest.skip("Keras's default JAX configuration has no 64-bit types")
    outputs, _ = _run(name, INPUTS_32)
    actual = [str(np.asarray(o).dtype) if d != "python" else d for o, d in zip(outputs, META[name]["dtypes_32"])]
    assert actual == META[name]["dtypes_32"]


@pytest.mark.parametrize("name", sorted({case[0] for case in golden_script.CASES.values()} & golden_script.NN_OPS))
def test_nn_functions_are_also_in_ops_nn(name):
    assert getattr(ops.nn, name) is getattr(ops, name)


@pytest.mark.filterwarnings("ignore:Output seems independent of input")  # sign's gradient is 0
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_autograd_gradients_equal_jax_vjp(name):
    autograd = pytest.importorskip("autograd")
    _, case_args, _, diff = golden_script.CASES[name]
    args = golden_script.resolve(case_args, INPUTS)
    cotangents = {
        k: GOLDEN[f"case/{name}/cot{k}"] for k in range(len(META[name]["dtypes"])) if f"case/{name}/cot{k}" in GOLDEN
    }

    def scalar(*values):
        call_args = list(args)
        for position, value in zip(diff, values):
            call_args[position] = value
        result = _call(name, call_args)
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        outputs = [outputs[k] for k in META[name]["keep"]]
        return sum(ops.sum(outputs[k] * c) for k, c in cotangents.items())

    for i, position in enumerate(diff):
        gradient = autograd.grad(scalar, i)(*[np.asarray(args[p], dtype=np.float64) for p in diff])
        # Where Keras computed in float32 (its float64 output was float32), the comparison is at float32's resolution.
        tolerance = _tolerance(name, "float32" if "float32" in META[name]["dtypes"] else "float64")
        np.testing.assert_allclose(
            gradient, GOLDEN[f"case/{name}/grad{position}"], **tolerance, err_msg=f"argument {position}"
        )
