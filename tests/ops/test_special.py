"""ops.special.erfc against math.erfc: relative accuracy, dtypes, the ends of the range, and no work at import."""

import math
import subprocess
import sys

import numpy as np
import pytest

from minikeras.ops import special


def _exact(z):
    return np.array([math.erfc(float(v)) for v in np.ravel(z)]).reshape(np.shape(z))


def test_float64_matches_math_erfc_in_relative_terms_up_to_underflow():
    z = np.concatenate([np.linspace(-6.0, 26.0, 6401), [0.0, 1e-300, -1e-12, 5e-8, 25.999]])
    np.testing.assert_allclose(special.erfc(z), _exact(z), rtol=3e-13, atol=0)


def test_float64_is_closer_still_near_zero():
    z = np.linspace(-6.0, 6.0, 2401)
    np.testing.assert_allclose(special.erfc(z), _exact(z), rtol=2e-14, atol=0)


@pytest.mark.parametrize("limit, rtol", [(5.0, 3e-6), (9.0, 1e-5)])
def test_float32_matches_math_erfc_in_relative_terms(limit, rtol):
    z = np.linspace(-limit, limit, 1801).astype(np.float32)
    result = special.erfc(z)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, _exact(z), rtol=rtol, atol=0)


@pytest.mark.parametrize(
    "z, dtype",
    [
        (np.array([0.5, -1.0], dtype=np.float16), np.float32),
        (np.array([0.5, -1.0], dtype=np.float32), np.float32),
        (np.array([0.5, -1.0]), np.float64),
        (np.array([1, -2]), np.float64),
        ([[0.25], [3.0]], np.float64),
    ],
)
def test_dtype_and_shape(z, dtype):
    result = special.erfc(z)
    assert result.dtype == dtype and result.shape == np.shape(z)
    np.testing.assert_allclose(result, _exact(np.asarray(z, dtype=np.float64)), rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reflection_and_the_ends(dtype):
    z = np.linspace(0.05, 8.0, 160).astype(dtype)  # z > 0: erfc(-0.0) takes the z >= 0 branch
    np.testing.assert_array_equal(special.erfc(-z), (2.0 - special.erfc(z)).astype(dtype))
    ends = special.erfc(np.array([np.inf, -np.inf, np.nan, 1e4, -1e4], dtype=dtype))
    np.testing.assert_array_equal(ends, np.array([0.0, 2.0, np.nan, 0.0, 2.0], dtype=dtype))


def test_the_series_is_fitted_on_first_use_not_at_import():
    code = (
        "import minikeras\n"
        "from minikeras.ops import special\n"
        "assert special._erfc_series.cache_info().currsize == 0\n"
        "minikeras.activations.gelu(minikeras.ops.special.np.ones(3))\n"
        "assert special._erfc_series.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
