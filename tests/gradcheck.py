"""Central-difference gradients, the reference every analytic gradient is checked against."""

from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Return d f / d x by central differences, perturbing `x` in place and restoring it.

    Args:
        f: function of no arguments returning a scalar; it must read `x`.
        x: float64 array (a weight or an input) that `f` depends on.
        eps: the step.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    grad_flat = grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = float(f())
        flat[i] = original - eps
        minus = float(f())
        flat[i] = original
        grad_flat[i] = (plus - minus) / (2 * eps)
    return grad


def assert_gradients_close(analytic: np.ndarray, numeric: np.ndarray, rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Assert two gradients agree, reporting the worst element."""
    analytic = np.asarray(analytic, dtype=np.float64)
    assert analytic.shape == numeric.shape, f"shape {analytic.shape} != {numeric.shape}"
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)


def assert_step_gradients(step, layer, x: np.ndarray, upstream: np.ndarray, names=None, steps: int = 1) -> np.ndarray:
    """Check a fast step's backward against central differences of `sum(step.forward(x) * upstream)`.

    Checks dL/dx and, for each weight in `names` (default: every gradient `layer` stores), the
    gradient the step stored in `layer.grads`. Runs `steps` training passes first (a later pass reuses
    the work buffers the earlier one left). Returns dL/dx.
    """

    def loss():
        return float((step.forward(x, training=False) * upstream).sum())

    for _ in range(steps):
        step.forward(x, training=True)
        grad_x = step.backward(upstream)
    assert grad_x.shape == x.shape
    assert_gradients_close(grad_x, numerical_gradient(loss, x))
    for name in layer.grads if names is None else names:
        assert_gradients_close(layer.grads[name], numerical_gradient(loss, getattr(layer, name)))
    return grad_x
