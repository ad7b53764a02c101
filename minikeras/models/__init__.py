"""Models: `Sequential` and its training loop."""

from minikeras.models.sequential import Sequential

__all__ = ["Sequential"]
