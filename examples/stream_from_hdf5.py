"""Train on an HDF5 file larger than the memory the fit may use, batch by batch.

Writes 400 MB of inputs to an HDF5 file, then trains a small MLP on it through
`minikeras.utils.HDF5Dataset` (one slice read per batch, two reader threads) and
prints the peak memory of the process next to the file's size.

Run: python examples/stream_from_hdf5.py
"""

import os
import resource
import time

import h5py
import numpy as np

import minikeras as keras
from minikeras import layers

ROWS, FEATURES = 100_000, 1_000  # 400 MB of float32


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_data(path):
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(FEATURES, 1)).astype(np.float32) / np.sqrt(FEATURES)
    with h5py.File(path, "w") as f:
        x = f.create_dataset("x", shape=(ROWS, FEATURES), dtype="float32")
        y = f.create_dataset("y", shape=(ROWS, 1), dtype="float32")
        for start in range(0, ROWS, 2_000):  # written in slices: the whole array never exists in memory
            chunk = rng.standard_normal(size=(2_000, FEATURES), dtype=np.float32)
            x[start : start + 2_000] = chunk
            y[start : start + 2_000] = chunk @ weights
    return os.path.getsize(path) / 2**20


def main():
    keras.utils.set_random_seed(0)
    file_mb = write_data("stream.h5")
    print(f"wrote stream.h5: {file_mb:.0f} MB; peak memory so far {peak_mb():.0f} MB")
    data = keras.utils.HDF5Dataset("stream.h5", x="x", y="y", batch_size=512, workers=2, max_queue_size=4)
    model = keras.Sequential([keras.Input(shape=(FEATURES,)), layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="mse")
    start = time.perf_counter()
    history = model.fit(data, epochs=2, verbose=2)
    print(
        f"trained 2 epochs over {ROWS:,} rows in {time.perf_counter() - start:.1f} s; loss "
        f"{history.history['loss'][0]:.3f} -> {history.history['loss'][-1]:.3f}"
    )
    print(f"peak memory of the whole process: {peak_mb():.0f} MB for a {file_mb:.0f} MB file")
    os.remove("stream.h5")


if __name__ == "__main__":
    main()
