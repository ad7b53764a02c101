"""minikeras: Keras's Sequential API on numpy, every layer's forward and backward written out.

Example:
    >>> import minikeras as keras
    >>> from minikeras import layers
    >>> model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2, activation="softmax")])
"""

__version__ = "0.1.0"

from minikeras import (  # noqa: E402  (the version must be set before submodules import it)
    activations,
    callbacks,
    config,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
    saving,
    utils,
)
from minikeras.layers import Input  # noqa: E402
from minikeras.models import Sequential  # noqa: E402

__all__ = [
    "Input",
    "Sequential",
    "__version__",
    "activations",
    "callbacks",
    "config",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
]
