"""How the cost of training and predicting grows with batch size and image size (minikeras only).

    python benchmarks/scaling.py [--json scaling.json] [--png scaling.png]

For the lines CNN (benchmarks/README.md) it measures training and prediction samples/s at batch sizes 1 to 512 (28x28
images) and at image sizes 28 to 112 (batch 32), and splits one training step into the forward
and backward time of its steps (layers, or a convolution and its pooling run as one), to say where
the time goes.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import workloads  # this folder's: the lines CNN, as the benchmark runs it

import minikeras
from minikeras.fast.conv_pool import ConvMaxPool
from minikeras.fast.plan import plan

BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
IMAGE_SIZES = [28, 56, 84, 112]


def lines_cnn(size: int):
    model = workloads.keras_models(minikeras)[0](size)
    model.compile(optimizer=minikeras.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model


def rate(model, x, y, batch_size, train: bool, repeats: int = 5) -> float:
    """Samples/s of one `fit` epoch (or one `predict`) over `x`: the best of `repeats`, after a warm-up."""
    if train:
        model.fit(x[: batch_size * 3], y[: batch_size * 3], batch_size=batch_size, verbose=0)
    else:
        model.predict(x[: batch_size * 3], batch_size=batch_size, verbose=0)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        if train:
            model.fit(x, y, batch_size=batch_size, verbose=0)
        else:
            model.predict(x, batch_size=batch_size, verbose=0)
        best = min(best, time.perf_counter() - start)
    return len(x) / best


def layer_split(model, x):
    """Milliseconds of forward and backward per step for one training step on batch `x`.

    The steps are those `fit` runs on the fast path (`minikeras.fast.plan.plan`: a Conv2D and its
    2x2 max pooling are one step), and the first step skips its input gradient, as in `fit`.
    """
    steps = [step for _, step in plan(model.layers)]
    inputs = [x]
    for step in steps:
        inputs.append(step.forward(inputs[-1], training=False))
    split = []
    for position, (step, step_input, output) in enumerate(zip(steps, inputs, inputs[1:])):
        input_gradient = position > 0
        repeats = 20
        start = time.perf_counter()
        for _ in range(repeats):
            step.forward(step_input, training=True)  # what it keeps is replaced by the next forward
        forward = (time.perf_counter() - start) / repeats
        start = time.perf_counter()
        for _ in range(repeats):
            step.forward(step_input, training=True)
            step.backward(np.ones_like(output), input_gradient=input_gradient)
        layers = [step.conv, step.pool] if isinstance(step, ConvMaxPool) else [step.layer]
        split.append(
            (
                " + ".join(f"{layer.name} ({type(layer).__name__})" for layer in layers),
                forward * 1e3,
                ((time.perf_counter() - start) / repeats - forward) * 1e3,
            )
        )
    return split


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--png")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    results = {"batch": [], "image": [], "split": {}}
    x28 = rng.normal(size=(2048, 28, 28, 1)).astype(np.float32)
    y28 = rng.integers(0, 10, 2048)
    for batch_size in BATCH_SIZES:
        samples = min(2048, 64 * batch_size)
        model = lines_cnn(28)
        train = rate(model, x28[:samples], y28[:samples], batch_size, True)
        predict = rate(model, x28[:samples], y28[:samples], batch_size, False)
        results["batch"].append({"batch_size": batch_size, "train": train, "predict": predict})
        print(f"batch {batch_size:4d}: train {train:9.0f} samples/s, predict {predict:9.0f} samples/s")
    for size in IMAGE_SIZES:
        model = lines_cnn(size)
        x = rng.normal(size=(512, size, size, 1)).astype(np.float32)
        y = rng.integers(0, 10, 512)
        train, predict = rate(model, x, y, 32, True), rate(model, x, y, 32, False)
        results["image"].append({"image_size": size, "train": train, "predict": predict})
        results["split"][size] = layer_split(model, x[:32])
        print(f"image {size:3d}x{size:<3d}: train {train:9.0f} samples/s, predict {predict:9.0f} samples/s")
    for size, split in results["split"].items():
        total = sum(f + b for _, f, b in split)
        print(f"\none training step, batch 32, {size}x{size} ({total:.2f} ms):")
        for name, forward, backward in split:
            print(
                f"  {name:64s} forward {forward:6.3f} ms  backward {backward:6.3f} ms  "
                f"({(forward + backward) / total:5.1%})"
            )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
        sizes = [r["batch_size"] for r in results["batch"]]
        left.plot(sizes, [r["train"] for r in results["batch"]], marker="o", label="fit")
        left.plot(sizes, [r["predict"] for r in results["batch"]], marker="o", label="predict")
        left.set_xscale("log", base=2)
        left.set_yscale("log")
        left.set_xlabel("batch size (28x28 images)")
        left.set_ylabel("samples/s")
        left.legend()
        left.grid(alpha=0.3)
        images = [r["image_size"] for r in results["image"]]
        right.plot(images, [r["train"] for r in results["image"]], marker="o", label="fit")
        right.plot(images, [r["predict"] for r in results["image"]], marker="o", label="predict")
        right.set_yscale("log")
        right.set_xlabel("image size (batch 32)")
        right.set_ylabel("samples/s")
        right.legend()
        right.grid(alpha=0.3)
        fig.suptitle("minikeras, the lines CNN, 2 cores")
        fig.tight_layout()
        fig.savefig(args.png, dpi=100)


if __name__ == "__main__":
    main()
