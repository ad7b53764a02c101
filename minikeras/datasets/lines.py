"""The lines task: vertical versus horizontal lines, 28x28, channels_last.

Each image holds one bar two pixels thick and 18 long, at a random position
between 10 and 17, plus Gaussian noise of standard deviation 0.1. Samples
alternate: even indices are vertical (label 0), odd ones horizontal (label 1).
"""

from __future__ import annotations

import numpy as np


def make_lines(n_samples: int, rng: np.random.Generator | int | None = None, num_classes: int = 10):
    """Generate `n_samples` images and their one-hot labels.

    Args:
        n_samples: number of images.
        rng: a numpy Generator or a seed.
        num_classes: width of the one-hot labels (default 10).

    Returns:
        `(x, y)`: float32 images `(n_samples, 28, 28, 1)` and float32 one-hot
        labels `(n_samples, num_classes)`.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    x = np.zeros((n_samples, 28, 28, 1), dtype=np.float32)
    labels = np.arange(n_samples) % 2
    positions = rng.integers(10, 18, size=n_samples)
    span = np.arange(5, 23)
    for label in (0, 1):
        rows = np.flatnonzero(labels == label)
        thick = positions[rows][:, None] + np.arange(2)[None, :]
        if label == 0:  # vertical: rows 5..22 of two adjacent columns
            x[rows[:, None, None], span[None, :, None], thick[:, None, :], 0] = 1.0
        else:  # horizontal: two adjacent rows, columns 5..22
            x[rows[:, None, None], thick[:, :, None], span[None, None, :], 0] = 1.0
    x += rng.normal(0.0, 0.1, size=x.shape).astype(np.float32)
    y = np.zeros((n_samples, num_classes), dtype=np.float32)
    y[np.arange(n_samples), labels] = 1.0
    return x, y


def load_data(n_train: int = 500, n_test: int = 100, seed: int | None = None):
    """Return `(x_train, y_train), (x_test, y_test)`, generated with one seed."""
    rng = np.random.default_rng(seed)
    return make_lines(n_train, rng), make_lines(n_test, rng)
