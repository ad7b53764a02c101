"""The "numpy floor": the benchmark workloads written as plain numpy, with no framework around them.

A training step of the lines CNN in about 60 lines of numpy measures what the layout of the work
alone can reach on a machine: im2col and one float32 matrix product per convolution, 2x2 pooling
as the maximum of strided slices, bias gradients as a product with a ones vector, no input
gradient for the first layer, softmax and cross-entropy fused. This file is that step (and its
MLP and inference twins), so that `benchmarks/run.py --systems numpy-floor` measures it in the
same run as minikeras and its peers: minikeras / numpy-floor is what the framework around the
arithmetic costs, numpy-floor / torch is what numpy itself can reach here (benchmarks/README.md).

It has no callbacks, metrics objects, checks or progress bar; it does count accuracy, as the
timed `fit` of the others does.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

F32 = np.float32


def _glorot(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(F32)


def cnn_params(rng):
    """Lines CNN weights: conv kernels as (kh * kw * in, out) matrices."""
    return {
        "w1": _glorot(rng, (9, 8), 9, 72), "b1": np.zeros(8, F32),
        "w2": _glorot(rng, (72, 16), 72, 144), "b2": np.zeros(16, F32),
        "w3": _glorot(rng, (784, 128), 784, 128), "b3": np.zeros(128, F32),
        "w4": _glorot(rng, (128, 10), 128, 10), "b4": np.zeros(10, F32),
    }  # fmt: skip


def mlp_params(rng):
    return {
        "w1": _glorot(rng, (784, 256), 784, 256), "b1": np.zeros(256, F32),
        "w2": _glorot(rng, (256, 128), 256, 128), "b2": np.zeros(128, F32),
        "w3": _glorot(rng, (128, 10), 128, 10), "b3": np.zeros(10, F32),
    }  # fmt: skip


def _pool_forward(a):
    """2x2 max pooling of (n, h, w, c): returns the result and the winners along rows and columns."""
    top, bottom = a[:, 0::2], a[:, 1::2]
    row_winner = bottom > top
    rows = np.maximum(top, bottom)
    left, right = rows[:, :, 0::2], rows[:, :, 1::2]
    col_winner = right > left
    return np.maximum(left, right), row_winner, col_winner


def _pool_backward(grad, row_winner, col_winner, shape):
    n, h, w, c = shape
    grad_rows = np.empty((n, h // 2, w, c), F32)
    np.multiply(grad, col_winner, out=grad_rows[:, :, 1::2])
    np.subtract(grad, grad_rows[:, :, 1::2], out=grad_rows[:, :, 0::2])
    grad_a = np.empty(shape, F32)
    np.multiply(grad_rows, row_winner, out=grad_a[:, 1::2])
    np.subtract(grad_rows, grad_a[:, 1::2], out=grad_a[:, 0::2])
    return grad_a


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    e /= e.sum(axis=1, keepdims=True)
    return e


def _cnn_forward(p, x, keep=False):
    n = len(x)
    x_padded = np.zeros((n, 30, 30), F32)
    x_padded[:, 1:29, 1:29] = x[..., 0]
    cols1 = np.empty((9, n, 28, 28), F32)  # offset-major: each row is one shifted copy of the images
    for i in range(3):
        for j in range(3):
            cols1[i * 3 + j] = x_padded[:, i : i + 28, j : j + 28]
    cols1 = cols1.reshape(9, -1)
    z1 = cols1.T @ p["w1"]
    z1 += p["b1"]
    np.maximum(z1, 0, out=z1)
    a1 = z1.reshape(n, 28, 28, 8)
    p1, rw1, cw1 = _pool_forward(a1)
    x2 = np.zeros((n, 16, 16, 8), F32)
    x2[:, 1:15, 1:15] = p1
    s = x2.strides
    cols2 = as_strided(x2, (n, 14, 14, 3, 3, 8), (s[0], s[1], s[2], s[1], s[2], s[3])).reshape(-1, 72)
    z2 = cols2 @ p["w2"]
    z2 += p["b2"]
    np.maximum(z2, 0, out=z2)
    a2 = z2.reshape(n, 14, 14, 16)
    p2, rw2, cw2 = _pool_forward(a2)
    flat = p2.reshape(n, -1)
    z3 = flat @ p["w3"]
    z3 += p["b3"]
    np.maximum(z3, 0, out=z3)
    probs = _softmax(z3 @ p["w4"] + p["b4"])
    cache = (cols1, z1, a1, rw1, cw1, cols2, z2, a2, rw2, cw2, flat, z3) if keep else None
    return probs, cache


def cnn_train_step(p, velocity, x, y, learning_rate=0.01, momentum=0.9):
    """One SGD-with-momentum step of the lines CNN on a batch; returns the number of correct predictions."""
    n = len(x)
    probs, (cols1, z1, a1, rw1, cw1, cols2, z2, a2, rw2, cw2, flat, z3) = _cnn_forward(p, x, keep=True)
    correct = int((probs.argmax(axis=1) == y).sum())
    g4 = probs
    g4[np.arange(n), y] -= 1.0  # softmax + cross-entropy, fused
    g4 /= n
    ones = np.ones(max(len(cols2), n), F32)
    grads = {"w4": z3.T @ g4, "b4": ones[:n] @ g4}
    g3 = g4 @ p["w4"].T
    g3 *= z3 > 0
    grads["w3"], grads["b3"] = flat.T @ g3, ones[:n] @ g3
    g_pool2 = (g3 @ p["w3"].T).reshape(n, 7, 7, 16)
    g2 = _pool_backward(g_pool2, rw2, cw2, a2.shape).reshape(-1, 16)
    g2 *= z2 > 0
    grads["w2"], grads["b2"] = cols2.T @ g2, ones[: len(g2)] @ g2
    per_offset = np.matmul(g2, p["w2"].reshape(9, 8, 16).transpose(0, 2, 1)).reshape(3, 3, n, 14, 14, 8)
    g_x2 = np.zeros((n, 16, 16, 8), F32)
    for i in range(3):
        for j in range(3):
            g_x2[:, i : i + 14, j : j + 14] += per_offset[i, j]
    g1 = _pool_backward(g_x2[:, 1:15, 1:15], rw1, cw1, a1.shape).reshape(-1, 8)
    g1 *= z1 > 0
    grads["w1"], grads["b1"] = cols1 @ g1, np.ones(len(g1), F32) @ g1
    _sgd(p, velocity, grads, learning_rate, momentum)
    return correct


def mlp_train_step(p, velocity, x, y, learning_rate=0.01, momentum=0.9):
    n = len(x)
    z1 = x @ p["w1"]
    z1 += p["b1"]
    np.maximum(z1, 0, out=z1)
    z2 = z1 @ p["w2"]
    z2 += p["b2"]
    np.maximum(z2, 0, out=z2)
    probs = _softmax(z2 @ p["w3"] + p["b3"])
    correct = int((probs.argmax(axis=1) == y).sum())
    g3 = probs
    g3[np.arange(n), y] -= 1.0
    g3 /= n
    ones = np.ones(n, F32)
    grads = {"w3": z2.T @ g3, "b3": ones @ g3}
    g2 = g3 @ p["w3"].T
    g2 *= z2 > 0
    grads["w2"], grads["b2"] = z1.T @ g2, ones @ g2
    g1 = g2 @ p["w2"].T
    g1 *= z1 > 0
    grads["w1"], grads["b1"] = x.T @ g1, ones @ g1
    _sgd(p, velocity, grads, learning_rate, momentum)
    return correct


def _sgd(p, velocity, grads, learning_rate, momentum):
    for key, grad in grads.items():
        v = velocity[key]
        v *= momentum
        grad *= learning_rate
        v -= grad
        p[key] += v


def run(workload: str, x: np.ndarray, y: np.ndarray, batch: int, timer) -> float:
    """Time `workload` on (x, y) as the other systems are timed; returns samples per second."""
    rng = np.random.default_rng(0)
    if workload == "cnn-predict":
        p = cnn_params(rng)
        _cnn_forward(p, x[:512])
        start = timer()
        out = np.empty((len(x), 10), F32)
        for i in range(0, len(x), batch):
            out[i : i + batch] = _cnn_forward(p, x[i : i + batch])[0]
        return len(x) / (timer() - start)
    p = mlp_params(rng) if workload == "mlp-train" else cnn_params(rng)
    velocity = {key: np.zeros_like(value) for key, value in p.items()}
    step = mlp_train_step if workload == "mlp-train" else cnn_train_step

    def epoch(n):
        order = rng.permutation(n)
        correct = 0
        for i in range(0, n, batch):
            index = order[i : i + batch]
            correct += step(p, velocity, x[index], y[index])
        return correct

    epoch(batch * 10)  # warm up, as the others
    start = timer()
    epoch(len(x))
    return len(x) / (timer() - start)
