"""Small data sets made on the spot (nothing is downloaded)."""

from minikeras.datasets import lines

__all__ = ["lines"]
