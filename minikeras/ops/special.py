"""Special functions numpy lacks, as pure functions of arrays: the complementary error function.

`erfc` is what the exact GELU needs (`Phi(x) = erfc(-x / sqrt(2)) / 2`). Its
series coefficients are fitted on first use, per precision, and cached, so
importing this module costs nothing.
"""

from __future__ import annotations

import functools
import math

import numpy as np

# erfc's Chebyshev series per precision: (largest z fitted, degree). Beyond the
# largest z erfc underflows in that precision (float32: erfc(10) ~ 2e-45).
_ERFC_SERIES = {"float64": (26.0, 24), "float32": (10.0, 10)}


@functools.lru_cache(maxsize=None)
def _erfc_series(precision: str) -> np.ndarray:
    """Chebyshev coefficients of `log(erfc(z) / t) + z^2` as a function of `t = 2 / (2 + z)`.

    numpy has no error function, and a Python loop over `math.erfc` would be slow
    on a layer's output. The function of `t` above is smooth for z >= 0, so it is
    interpolated once, on first use, at Chebyshev nodes from `math.erfc`.

    Args:
        precision: "float64" or "float32"; the coefficients have that dtype.

    Returns:
        The coefficients, of shape `(degree + 1,)`, in the variable
        `u in [-1, 1]` that maps `[2 / (2 + z_max), 1]` onto it.
    """
    z_max, degree = _ERFC_SERIES[precision]
    t_min = 2.0 / (2.0 + z_max)

    def target(u):
        t = t_min + (np.asarray(u) + 1.0) * (1.0 - t_min) / 2.0
        z = 2.0 / t - 2.0
        return np.array([math.log(math.erfc(zi)) + zi * zi - math.log(ti) for zi, ti in zip(z, t)])

    return np.polynomial.chebyshev.chebinterpolate(target, degree).astype(precision)


def erfc(z: np.ndarray) -> np.ndarray:
    """Complementary error function `erfc(z) = 1 - erf(z) = (2 / sqrt(pi)) int_z^inf exp(-s^2) ds`, elementwise.

    For `z >= 0` it is computed as `t * exp(c(t) - z^2)` with `t = 2 / (2 + z)`
    and `c` a Chebyshev series fitted to `math.erfc`; for `z < 0` as
    `2 - erfc(-z)`. The error is therefore relative also where erfc is tiny
    (large `z`), which keeps GELU exact far into the negative inputs. In
    float64 it stays below 3e-13 up to `z = 26`, beyond which erfc underflows
    (about 1e-14 for `|z| < 6`). In float32 (a shorter series, computed in
    float32) it stays below 1e-5 while erfc is a normal float32 (`z` up to
    about 9), below 3e-6 for `|z| < 5`; the rounding of `z^2` in float32 is
    most of it.

    Args:
        z: array of any shape. float32 and float16 input is computed in float32,
            any other in float64.

    Returns:
        erfc of `z`, same shape, float32 or float64 as above.
    """
    z = np.asarray(z)
    precision = "float32" if z.dtype in (np.float32, np.float16) else "float64"
    z = z.astype(precision, copy=False)
    z_max = _ERFC_SERIES[precision][0]
    magnitude = np.abs(z)
    t = 2.0 / (2.0 + magnitude)
    t_min = 2.0 / (2.0 + z_max)
    u = (np.maximum(t, t_min) - t_min) * (2.0 / (1.0 - t_min)) - 1.0
    tail = t * np.exp(np.polynomial.chebyshev.chebval(u, _erfc_series(precision)) - magnitude * magnitude)
    return np.where(z >= 0, tail, 2.0 - tail)
