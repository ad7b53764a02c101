"""`History`: records every epoch's logs; `fit` returns it."""

from __future__ import annotations

from minikeras.callbacks.callback import Callback


class History(Callback):
    """Records the epoch logs of `fit`.

    Attributes:
        epoch: the epoch indices seen (0-based).
        history: dict of lists, one entry per epoch for each log key, e.g.
            `{"loss": [...], "accuracy": [...], "val_loss": [...]}`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
