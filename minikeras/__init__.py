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
from minikeras.initializers import Initializer  # noqa: E402
from minikeras.layers import Input, InputSpec, Layer  # noqa: E402
from minikeras.losses import Loss  # noqa: E402
from minikeras.metrics import Metric  # noqa: E402
from minikeras.models import Sequential  # noqa: E402
from minikeras.optimizers import Optimizer  # noqa: E402
from minikeras.regularizers import Regularizer  # noqa: E402


def __getattr__(name: str) -> object:
    # `minikeras.random` is for users' own code; it loads when first used, so `import minikeras` stays light.
    if name == "random":
        import importlib

        return importlib.import_module("minikeras.random")
    raise AttributeError(f"module 'minikeras' has no attribute {name!r}")


def version() -> str:
    """The installed minikeras version (Keras's `keras.version()`)."""
    return __version__


__all__ = [
    "Initializer",
    "Input",
    "InputSpec",
    "Layer",
    "Loss",
    "Metric",
    "Optimizer",
    "Regularizer",
    "Sequential",
    "version",
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
    "random",
    "regularizers",
    "saving",
    "utils",
]
