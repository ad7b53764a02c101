"""Saving: the registry of names (no file code is imported until it is needed)."""

from minikeras.saving.registry import register_serializable

__all__ = ["register_serializable"]
