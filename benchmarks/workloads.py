"""One benchmark measurement in this process: `python benchmarks/workloads.py SYSTEM WORKLOAD`.

Prints one JSON object: {"system", "workload", "value", "unit", "peak_rss_mb"}. The runner
(`benchmarks/run.py`) starts one process per measurement so that systems never share a process
and each Keras backend gets the one it was asked for.

Systems: minikeras, torch (a plain PyTorch training loop), keras-jax, keras-tensorflow, keras-torch,
numpy-floor (the same arithmetic as plain numpy with no framework: `numpy_floor.py`).
Workloads (benchmarks/README.md describes each): cnn-train, mlp-train, cnn-predict, import, predict-latency,
threads-1/2/4/8 (cold-start is measured by the runner, as a whole process).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np

CNN_SAMPLES, CNN_BATCH = 4000, 32
MLP_SAMPLES, MLP_BATCH = 8192, 128
PREDICT_BATCH = 256


def data(workload: str):
    rng = np.random.default_rng(0)
    if workload == "mlp-train":
        return rng.normal(size=(MLP_SAMPLES, 784)).astype(np.float32), rng.integers(0, 10, MLP_SAMPLES)
    return rng.normal(size=(CNN_SAMPLES, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, CNN_SAMPLES)


# ----------------------------------------------------------------- Keras-style (minikeras and Keras 3)
def keras_models(keras):
    layers = keras.layers

    def cnn(size=28):
        return keras.Sequential(
            [
                keras.Input(shape=(size, size, 1)),
                layers.Conv2D(8, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(2),
                layers.Conv2D(16, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )

    def mlp():
        return keras.Sequential(
            [
                keras.Input(shape=(784,)),
                layers.Dense(256, activation="relu"),
                layers.Dense(128, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )

    return cnn, mlp


def run_keras_style(keras, workload: str) -> float:
    cnn, mlp = keras_models(keras)
    x, y = data(workload)
    model = mlp() if workload == "mlp-train" else cnn()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    batch = MLP_BATCH if workload == "mlp-train" else CNN_BATCH
    if workload == "cnn-predict":
        model.predict(x[:512], batch_size=PREDICT_BATCH, verbose=0)  # warm up
        start = time.perf_counter()
        model.predict(x, batch_size=PREDICT_BATCH, verbose=0)
        return len(x) / (time.perf_counter() - start)
    model.fit(
        x[: batch * 10], y[: batch * 10], batch_size=batch, epochs=1, verbose=0
    )  # warm up (and compile, for Keras)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - start)


# ----------------------------------------------------------------------------------- plain PyTorch
def torch_lines_cnn(nn):
    """The lines CNN in PyTorch (NCHW), layer for layer the Keras-style one, softmax left to the caller."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def run_torch(workload: str) -> float:
    import torch
    from torch import nn

    x, y = data(workload)
    if workload == "mlp-train":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        batch = MLP_BATCH
    else:
        model = torch_lines_cnn(nn)
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        batch = CNN_BATCH
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)
    if workload == "cnn-predict":
        model.eval()
        with torch.no_grad():
            torch.softmax(model(inputs[:512]), dim=1)
            start = time.perf_counter()
            for i in range(0, len(inputs), PREDICT_BATCH):
                torch.softmax(model(inputs[i : i + PREDICT_BATCH]), dim=1).numpy()
            return len(inputs) / (time.perf_counter() - start)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def epoch(n):
        order = torch.randperm(n)
        correct = 0
        for i in range(0, n, batch):
            index = order[i : i + batch]
            optimizer.zero_grad()
            logits = model(inputs[index])
            loss = loss_fn(logits, labels[index])
            loss.backward()
            optimizer.step()
            correct += int((logits.argmax(1) == labels[index]).sum())
        return correct

    epoch(batch * 10)  # warm up
    start = time.perf_counter()
    epoch(len(inputs))
    return len(inputs) / (time.perf_counter() - start)


def lines_cnn_file(keras, directory: str) -> str:
    """Save the (untrained) lines CNN with `keras` and return the path of the `.keras` file."""
    cnn, _ = keras_models(keras)
    model = cnn()
    path = os.path.join(directory, f"lines_cnn_{keras.__name__}.keras")
    model.save(path)
    return path


def median_latency_ms(call, repeats: int = 300) -> float:
    for _ in range(30):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def run_latency(system: str) -> float:
    """Median milliseconds of a one-sample prediction of the lines CNN (loaded from a file for the Keras APIs)."""
    import tempfile

    x = data("cnn-predict")[0][:1]
    if system == "torch":
        import torch
        from torch import nn

        model = torch_lines_cnn(nn).eval()
        inputs = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        with torch.no_grad():
            return median_latency_ms(lambda: torch.softmax(model(inputs), dim=1).numpy())
    keras = __import__("minikeras" if system == "minikeras" else "keras")
    with tempfile.TemporaryDirectory() as directory:
        model = keras.models.load_model(lines_cnn_file(keras, directory))
    return median_latency_ms(lambda: model.predict(x, verbose=0), repeats=300 if system == "minikeras" else 50)


def run_threads(system: str, threads: int) -> float:
    """Samples/s of `threads` threads predicting batches of 16 with one shared model; checks the results."""
    from concurrent.futures import ThreadPoolExecutor

    keras = __import__("minikeras" if system == "minikeras" else "keras")
    cnn, _ = keras_models(keras)
    model = cnn()
    x = data("cnn-predict")[0][:16]
    reference = np.asarray(model.predict(x, verbose=0))
    calls = 200

    def work(_):
        for _ in range(calls // threads):
            out = np.asarray(model.predict(x, verbose=0))
            if not np.array_equal(out, reference):
                raise AssertionError("a thread got different predictions")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))  # warm up
        start = time.perf_counter()
        list(pool.map(work, range(threads)))
        elapsed = time.perf_counter() - start
    return (calls // threads) * threads * len(x) / elapsed


def measure_import(system: str) -> float:
    module = {"minikeras": "minikeras", "torch": "torch"}.get(system, "keras")
    start = time.perf_counter()
    __import__(module)
    return time.perf_counter() - start


def main(system: str, workload: str) -> dict:
    if system == "minikeras-reference":  # minikeras with its fast paths off: the reference algorithms
        import minikeras

        minikeras.config.set_fast_paths(False)
        return {**main("minikeras", workload), "system": system}
    if system.startswith("keras-"):
        os.environ["KERAS_BACKEND"] = system.split("-", 1)[1]
    if workload == "import":
        value, unit = measure_import(system), "s"
    elif workload == "predict-latency":
        value, unit = run_latency(system), "ms"
    elif workload.startswith("threads-"):
        if system == "torch":
            raise SystemExit("threads: measured for the Keras API only")
        try:
            value, unit = run_threads(system, int(workload.split("-")[1])), "samples/s"
        except Exception as error:  # Keras on JAX raises a TypeError with 8 threads: report it, not crash
            return {
                "system": system,
                "workload": workload,
                "value": float("nan"),
                "unit": "samples/s",
                "peak_rss_mb": 0.0,
                "error": f"{type(error).__name__}: {error}",
            }
    elif system == "numpy-floor":
        if workload not in ("cnn-train", "mlp-train", "cnn-predict"):
            raise SystemExit("numpy-floor: measured for cnn-train, mlp-train and cnn-predict only")
        import numpy_floor

        x, y = data(workload)
        batch = {"mlp-train": MLP_BATCH, "cnn-train": CNN_BATCH}.get(workload, PREDICT_BATCH)
        value, unit = numpy_floor.run(workload, x, y, batch, time.perf_counter), "samples/s"
    elif system == "torch":
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        value, unit = run_torch(workload), "samples/s"
    else:
        keras = __import__("minikeras" if system == "minikeras" else "keras")
        value, unit = run_keras_style(keras, workload), "samples/s"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"system": system, "workload": workload, "value": value, "unit": unit, "peak_rss_mb": peak}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
