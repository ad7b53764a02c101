"""The fast path of `Dense`: what `Dense.forward` and `Dense.backward` compute, with fewer passes.

Against the reference (`minikeras.layers.core.Dense`), it changes:

- the bias is added in place, a few rows at a time viewed as one long row when the layer has
  few units (`add_bias`), and an activation that needs only its output overwrites `z`;
- the bias gradient is a matrix-vector product with a vector of ones (`bias_gradient`), which
  BLAS computes faster than numpy's column sum of a tall array;
- the kernel and bias gradients are written straight into the arrays the training loop lends
  (`Layer.gradient_out`: views of the optimizer's flat gradient buffer), so the optimizer reads
  them without a copy;
- the first step of a model skips dL/dx, and with a softmax activation followed by a
  cross-entropy loss, backward may start from dL/dz (`backward_from_logits`, see
  `minikeras.fast.softmax`).

The numbers are the reference's up to the order of the sums in the bias gradient
(tests/fast/test_dense.py).
"""

from __future__ import annotations

import numpy as np

from minikeras.layers.base import is_last_axis_softmax
from minikeras.layers.core import Dense
from minikeras.ops.constants import ones_vector


class DenseStep:
    """Runs one `Dense` layer on the fast path; its gradients go to `layer.grads`.

    Args:
        layer: the layer (exactly a `Dense`: a subclass may change `forward`).
    """

    def __init__(self, layer: Dense):
        self.layer = layer
        self._cache: dict | None = None

    @property
    def ends_in_softmax(self) -> bool:
        """Whether the activation is a softmax over the last axis (then `backward_from_logits` applies)."""
        return is_last_axis_softmax(self.layer.activation)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """`layer.forward(x, training)`: `(batch, ..., in)` -> `(batch, ..., units)`."""
        layer = self.layer
        z = x @ layer.kernel
        if layer.bias is not None:  # use_bias
            add_bias(z, layer.bias)
        # z is ours: an activation that needs only its output may overwrite it.
        y = layer.activation(z) if layer.activation.uses_input else layer.activation.apply_in_place(z)
        if training:
            self._cache = {"x": x, "z": z if layer.activation.uses_input else None, "y": y}
        return y

    def backward(self, grad: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """`layer.backward(grad)`: sets `layer.grads`; returns dL/dx, or None without `input_gradient`."""
        cache = self._take_cache()
        grad_z = self.layer.activation.gradient(grad, cache["z"], cache["y"])
        return self._weight_and_input_gradients(cache["x"], grad_z, input_gradient)

    def backward_from_logits(self, grad_z: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """Like `backward`, given dL/dz (the gradient at the softmax's input) instead of dL/dy."""
        cache = self._take_cache()
        return self._weight_and_input_gradients(cache["x"], grad_z, input_gradient)

    def _take_cache(self) -> dict:
        cache = self._cache
        if cache is None:
            raise RuntimeError(f"Layer '{self.layer.name}': backward() needs a preceding forward(x, training=True).")
        self._cache = None
        return cache

    def _weight_and_input_gradients(self, x, grad_z, input_gradient):
        layer = self.layer
        x_rows = x.reshape(-1, x.shape[-1])
        grad_rows = grad_z.reshape(-1, layer.units)
        layer.grads["kernel"] = np.matmul(x_rows.T, grad_rows, out=layer.gradient_out("kernel"))
        if layer.use_bias:
            layer.grads["bias"] = bias_gradient(grad_rows, out=layer.gradient_out("bias"))
        return grad_z @ layer.kernel.T if input_gradient else None


def add_bias(z: np.ndarray, bias: np.ndarray) -> None:
    """`z += bias` for a fresh C-contiguous `z` `(..., units)` and `bias` `(units,)`.

    With few units each row is a short run that numpy's broadcasting handles slowly; viewing
    `reps` rows as one long row, with the bias tiled to match, gives the same sums faster.
    """
    units = bias.shape[0]
    reps = max(1, 128 // units)
    if reps > 1 and z.flags.c_contiguous and (z.size // units) % reps == 0:
        z.reshape(-1, reps * units).__iadd__(np.tile(bias, reps))
    else:
        z += bias


def bias_gradient(grad_rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`grad_rows.sum(axis=0)` for `grad_rows` `(rows, units)`, as a product with a vector of ones
    (into `out` if given)."""
    return np.matmul(ones_vector(grad_rows.shape[0], grad_rows.dtype), grad_rows, out=out)
