"""`ProgbarLogger`: the progress bar of fit, evaluate and predict."""

from __future__ import annotations

from minikeras.callbacks.callback import Callback
from minikeras.utils.progress import Progress


class ProgbarLogger(Callback):
    """Prints progress: verbose=1 a live tqdm bar with loss and metrics per epoch,
    verbose=2 one line per epoch, verbose=0 nothing.

    During `fit` it shows "Epoch i/N" and the training bar; the validation pass
    inside `fit` shows no bar of its own, its `val_` figures land on the epoch's
    line. `evaluate` and `predict` get a bar of their own.
    """

    def __init__(self) -> None:
        super().__init__()
        self._progress: Progress | None = None
        self._in_fit = False
        self._verbose = 1
        self._epochs = 1

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self._verbose = 1 if verbose == "auto" else int(verbose)
        self._epochs = params.get("epochs", 1)

    def _start(self, total):
        if self._verbose:
            self._progress = Progress(total, self._verbose)

    def _update(self, batch, logs):
        if self._progress is not None:
            self._progress.update(batch + 1, logs)

    def _finish(self, logs=None):
        if self._progress is not None:
            self._progress.close(logs)
            self._progress = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._in_fit = True

    def on_train_end(self, logs: dict | None = None) -> None:
        self._finish()
        self._in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._verbose and self._epochs > 1:
            print(f"Epoch {epoch + 1}/{self._epochs}", flush=True)
        self._start(self.params.get("steps"))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._finish(logs)

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._start(self.params.get("steps"))

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._start(self.params.get("steps"))

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update(batch, None)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._finish()
