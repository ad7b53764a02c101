"""Callbacks: hooks into fit, evaluate and predict, with Keras's names and logs."""

from minikeras.callbacks.callback import Callback
from minikeras.callbacks.callback_list import CallbackList
from minikeras.callbacks.history import History
from minikeras.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
