"""Saving and loading models; the registry of names for custom objects.

h5py is imported only when a file is actually read or written.
"""

from minikeras.saving.h5_reading import ModelFileError
from minikeras.saving.registry import register_serializable
from minikeras.saving.saving_api import load_model, load_weights, save_model, save_weights

__all__ = ["ModelFileError", "load_model", "load_weights", "register_serializable", "save_model", "save_weights"]
