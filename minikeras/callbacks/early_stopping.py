"""`EarlyStopping`: stop training when a monitored quantity stops improving."""

from __future__ import annotations

import numpy as np

from minikeras.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when `monitor` has not improved for `patience` epochs.

    At the end of every watched epoch the waiting count `wait` grows by one. An
    epoch that beats `best` by more than `min_delta` becomes the new best and
    resets the count to 0. `best` starts at `baseline` when one is given, so
    until an epoch beats the baseline nothing resets the count: training stops
    after `patience` epochs that fail to reach the baseline. Training stops at
    the end of the first non-improving epoch whose count has reached
    `patience` (never at the first epoch).

    With `restore_best_weights=True`, the weights of the epoch with the best
    value seen (whether or not it beat the baseline) are put back when training
    ends, both when this callback stopped it and when it ran to its last epoch.

    Args:
        monitor: the log key to watch (default "val_loss").
        min_delta: the smallest change that counts as an improvement
            (default 0).
        patience: epochs without improvement after which training stops
            (default 0).
        verbose: 0 (default) silent, 1 prints when it stops and restores.
        mode: "auto" (default), "min" or "max"; see `MonitorCallback`.
        baseline: a value the quantity has to beat (default None: no baseline).
        restore_best_weights: put back the best epoch's weights when training
            ends (default False: keep the last weights).
        start_from_epoch: epochs to let pass before watching, a warm-up in
            which no improvement is expected (default 0).

    Attributes:
        wait: epochs counted without improvement.
        best: the best value so far (starts at `baseline`).
        best_epoch: the (0-based) epoch with the best value seen.
        stopped_epoch: the (0-based) epoch training stopped at; 0 when it ran
            to the end.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    """

    _missing_monitor_message = "Early stopping conditioned on metric `{monitor}` which is not available."

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, baseline=baseline, min_delta=min_delta)
        if patience < 0:
            raise ValueError(
                f"EarlyStopping patience must be a non-negative number of epochs. Received: patience={patience}"
            )
        if start_from_epoch < 0:
            raise ValueError(
                f"EarlyStopping start_from_epoch must be non-negative. Received: start_from_epoch={start_from_epoch}"
            )
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: list[np.ndarray] | None = None
        self.best_epoch = 0
        self._best_seen: float | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        # Everything restarts, so that one instance can serve several fits.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline
        self.best_weights = None
        self.best_epoch = 0
        self._best_seen = None
        self.monitor_op = None  # decided again from this fit's metrics

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # only now: the compiled metrics exist after the first batch
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        # The weights to restore follow the best value seen, which the baseline does not gate.
        if self._is_improvement(current, self._best_seen):
            self._best_seen = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
