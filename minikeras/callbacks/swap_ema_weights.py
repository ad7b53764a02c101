"""`SwapEMAWeights`: evaluate (and optionally save) with the optimizer's moving average of the weights."""

from __future__ import annotations

import numpy as np

from minikeras.callbacks.callback import Callback
from minikeras.optimizers import moving_average


class SwapEMAWeights(Callback):
    """Put the optimizer's moving averages of the weights (`use_ema=True`) into the model for evaluation.

    Before evaluation (`evaluate`, or the validation of `fit`) and prediction, each trainable weight
    exchanges its values with its moving average, kept by the optimizer; afterwards they are exchanged
    back (also after `predict`, which Keras 3.15 leaves swapped). The exchange is in place: while it
    lasts, the optimizer's averages hold the trained weights. Other callbacks that change the weights
    or the averages meanwhile make the result undefined.

    Args:
        swap_on_epoch: also exchange at the end of each epoch of `fit` (back at the start of the next),
            so that callbacks after this one (`ModelCheckpoint`) see the averages. At the end of the
            last epoch (`epochs - 1`) the averages are also copied back into the optimizer, since `fit`
            then writes them into the weights (`Optimizer.finalize_variable_values`). As in Keras, a fit
            that stops before its last epoch (`EarlyStopping`) then ends with the trained weights, not
            the averages. Default False.

    Raises:
        ValueError: at the first exchange, when the model's optimizer does not use EMA (`use_ema=False`)
            or keeps no averages yet (it has not been built by training).

    Example:
        >>> model.compile(optimizer=optimizers.SGD(use_ema=True), loss="mse")
        >>> model.fit(x, y, validation_data=(x_val, y_val), callbacks=[SwapEMAWeights()])  # val_loss with EMA
        >>> model.fit(x, y, callbacks=[SwapEMAWeights(swap_on_epoch=True), ModelCheckpoint("ema.keras")])
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _pairs(self) -> list:
        """(weight, moving average) for each weight the optimizer updates, checked."""
        optimizer = getattr(self.model, "optimizer", None)
        if not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', None)}"
            )
        assert optimizer is not None  # use_ema was read from it
        pairs = optimizer._moving_average_pairs()
        if not pairs:
            raise ValueError(
                "SwapEMAWeights: the optimizer keeps no moving averages yet (it has not been built); train the "
                "model (fit or train_on_batch) before evaluating with the averages."
            )
        return pairs

    def _swap(self) -> None:
        moving_average.swap(self._pairs())

    def _copy_weights_into_averages(self) -> None:
        """The weights (now the averages) back into the optimizer, for `fit`'s final overwrite."""
        for weight, average in self._pairs():
            np.copyto(average, weight)

    def _swap_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _swap_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params.get("epochs", 0) - 1:
                self._copy_weights_into_averages()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._swap_in()

    def on_test_end(self, logs: dict | None = None) -> None:
        self._swap_out()

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._swap_in()

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._swap_out()
