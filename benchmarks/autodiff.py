"""What a layer without a backward pass costs: a custom Dense written with `call` only (its gradient from
autograd, `minikeras.autodiff`) against the built-in `Dense` (backward written out), in one process.

    python benchmarks/autodiff.py [--steps 30] [--repeats 7] [--batch 128]

Both models are the benchmarks' MLP (784-256-128-10, relu, softmax, float32) trained with Adam on random data;
the runs alternate between the two, and the medians of the per-step times are compared. Also prints the cold
start (`python -c "import minikeras"`, median of fresh processes), which autodiff must leave unchanged: autograd
is imported only when code without a backward pass trains.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time

import numpy as np


def machine() -> str:
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')})"
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        )
    except ImportError:
        blas = "unknown BLAS (install threadpoolctl)"
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}; {blas}; Python {platform.python_version()}; numpy {np.__version__}"


def build(custom: bool):
    import minikeras as keras
    from minikeras import layers

    class Linear(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = activation

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            z = keras.ops.matmul(inputs, self.w) + self.b
            if self.activation == "relu":
                return keras.ops.relu(z)
            if self.activation == "softmax":
                return keras.ops.softmax(z)
            return z

    make = Linear if custom else layers.Dense
    keras.utils.set_random_seed(0)
    hidden = [make(256, activation="relu"), make(128, activation="relu")]
    model = keras.Sequential([keras.Input((784,)), *hidden, make(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def step_time(model, x, y, steps: int) -> float:
    model.train_on_batch(x, y)  # warm up: build the optimizer
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / steps


def cold_start(python: str, path: str | None, runs: int = 9) -> float:
    env_code = "import sys; sys.path.insert(0, %r); " % path if path else ""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([python, "-c", env_code + "import minikeras"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--baseline", help="a checkout of an earlier minikeras, for the cold start before")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, 784)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, args.batch)]
    models = {"built-in Dense": build(False), "custom Dense (autodiff)": build(True)}
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, model in models.items():  # alternate, so both see the same machine
            times[name].append(step_time(model, x, y, args.steps))
    print(f"# {machine()}")
    print(f"# MLP 784-256-128-10, Adam, batch {args.batch}, {args.steps} steps x {args.repeats} repeats")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        spread = f"{min(times[name]) * 1e3:.2f}-{max(times[name]) * 1e3:.2f}"
        print(f"{name:26s} {median * 1e3:8.2f} ms/step  (range {spread})")
    ratio = medians["custom Dense (autodiff)"] / medians["built-in Dense"]
    print(f"custom / built-in: {ratio:.2f}x the time per step")
    print(f"cold start, import minikeras: {cold_start(sys.executable, None) * 1e3:.0f} ms (median of 9)")
    if args.baseline:
        print(f"cold start at {args.baseline}: {cold_start(sys.executable, args.baseline) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
