"""Callbacks: hooks into fit, evaluate and predict, with Keras's names, arguments and logs."""

from minikeras.callbacks.backup_and_restore import BackupAndRestore
from minikeras.callbacks.callback import Callback
from minikeras.callbacks.callback_list import CallbackList
from minikeras.callbacks.csv_logger import CSVLogger
from minikeras.callbacks.early_stopping import EarlyStopping
from minikeras.callbacks.history import History
from minikeras.callbacks.lambda_callback import LambdaCallback
from minikeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from minikeras.callbacks.model_checkpoint import ModelCheckpoint
from minikeras.callbacks.monitor_callback import MonitorCallback
from minikeras.callbacks.progbar_logger import ProgbarLogger
from minikeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from minikeras.callbacks.remote_monitor import RemoteMonitor
from minikeras.callbacks.swap_ema_weights import SwapEMAWeights
from minikeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TerminateOnNaN",
]
