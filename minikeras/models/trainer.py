"""The training loop: compile, fit, evaluate, predict and their per-batch forms.

`Trainer` is a mixin: the model class supplies the layer arithmetic
(`_forward`, `_backward`, `_param_grad_pairs`, `_prepare_input`) and this
module supplies batching, the loss and metrics, the optimizer step, logs and
callbacks. What `compile()` resolves and the checks of targets are in
`compile_utils`; the Ctrl-C handling of `fit` is in `interrupt`. One training
step is:

    y_pred = forward(x, training=True)
    loss, dL/dy_pred = loss.value_and_gradient(y, y_pred, sample_weight)
    backward(dL/dy_pred)            # each layer stores its weight gradients
    optimizer.apply(param_grad_pairs)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

from minikeras import autodiff, config
from minikeras import metrics as metrics_module
from minikeras import optimizers as optimizers_module
from minikeras.callbacks import CallbackList
from minikeras.fast import work_buffers
from minikeras.models import compile_utils, data_adapters, interrupt, parallel
from minikeras.models import data as data_utils
from minikeras.ops.backend import value_of

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from minikeras.callbacks import Callback, History
    from minikeras.layers.base import Layer
    from minikeras.losses import Loss
    from minikeras.metrics import Metric
    from minikeras.optimizers import Optimizer
    from minikeras.utils.py_dataset import PyDataset

# What fit, evaluate and predict take: arrays, or a PyDataset, generator or iterator of batches.
Data: TypeAlias = "ArrayLike | PyDataset | Iterable[Any]"
# What evaluate and the per-batch methods return: the loss, [loss, metrics...], or a dict by name.
Results: TypeAlias = "float | list[float] | dict[str, float]"


class Trainer:
    """compile/fit/evaluate/predict for a model; see the module docstring."""

    if TYPE_CHECKING:  # supplied by the model class (Sequential)
        name: str

        def _leaf_layers(self) -> list[Layer]: ...
        @property
        def input_dtype(self) -> str: ...
        def compute_output_shape(self, input_shape: tuple) -> tuple: ...
        def _prepare_input(self, x: Any, cast: bool = True) -> np.ndarray: ...
        def _forward(self, x: np.ndarray, training: bool, activity: dict | None = None) -> np.ndarray: ...
        def _backward(
            self,
            grad: np.ndarray,
            activity: dict | None = None,
            from_logits: bool = False,
            input_gradient: bool = False,
            loss_scale: float | None = None,
        ) -> np.ndarray | None: ...
        def _ends_in_softmax(self) -> bool: ...
        def _regularization_penalty(self, activity: dict | None = None) -> float: ...
        def _param_grad_pairs(self) -> list[tuple[np.ndarray, np.ndarray]]: ...

    def _init_trainer(self) -> None:
        self.optimizer: Optimizer | None = None
        self.loss: Loss | str | dict | None = None  # as given to compile()
        self.compiled = False
        self.stop_training = False
        self.history: History | None = None
        self._loss_fn: Loss | None = None
        self._loss_weight = 1.0
        self._compiled_metrics = compile_utils.CompiledMetrics()
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._fit_lock = threading.Lock()
        # Set by a callback in on_train_begin to start fit at a later epoch (BackupAndRestore).
        self._initial_epoch: int | None = None
        self._fit_interrupted = False

    # ----------------------------------------------------------------- compile
    def compile(
        self,
        optimizer: Optimizer | str | dict = "rmsprop",
        loss: Loss | str | dict | None = None,
        loss_weights: float | Sequence[float] | None = None,
        metrics: Sequence[Metric | str | Callable[..., Any]] | None = None,
        weighted_metrics: Sequence[Metric | str | Callable[..., Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        """Configure the model for training.

        Args:
            optimizer: name (`"sgd"`, `"rmsprop"`) or optimizer instance
                (default "rmsprop", as Keras).
            loss: name (`"categorical_crossentropy"`, `"mse"`, ...) or Loss instance.
            loss_weights: a float multiplying the loss (single-output models).
            metrics: list of names or Metric instances; `"accuracy"` picks
                binary, categorical or sparse accuracy from the data, as Keras.
                These ignore sample weights.
            weighted_metrics: metrics that take `sample_weight`/`class_weight` into account.
            **kwargs: Keras's `run_eagerly`, `steps_per_execution`,
                `jit_compile`, `auto_scale_loss` are accepted and have no effect.
        """
        compile_utils.check_compile_kwargs(kwargs)
        loss_fn = compile_utils.resolve_loss(loss)
        optimizer_obj = optimizers_module.get(optimizer)
        loss_weight = compile_utils.resolve_loss_weight(loss_weights)
        compiled_metrics = compile_utils.CompiledMetrics(metrics, weighted_metrics)
        self.optimizer = optimizer_obj
        self.loss = loss
        self._loss_fn = loss_fn
        self._loss_weight = loss_weight
        self._compiled_metrics = compiled_metrics
        self.compiled = True

    @property
    def _metric_specs(self) -> list:
        """The `metrics` given to `compile()`, as saved with the model."""
        return self._compiled_metrics.specs

    @property
    def _weighted_metric_specs(self) -> list:
        """The `weighted_metrics` given to `compile()`, as saved with the model."""
        return self._compiled_metrics.weighted_specs

    @property
    def metrics(self) -> list[Metric]:
        """The loss tracker followed by the compiled metrics (once resolved from data)."""
        return [self._loss_tracker, *self._compiled_metrics.metrics]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the loss tracker and every metric."""
        for metric in self.metrics:
            metric.reset_state()

    def _require_compiled(self, method: str):
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before using the model. {method}() was called on model "
                f"'{self.name}', which is not compiled. Example: "
                "model.compile(optimizer='sgd', loss='categorical_crossentropy')"
            )

    def _update_metrics(self, y_true, y_pred, sample_weight, loss_value, batch_size):
        self._loss_tracker.update_state(loss_value, sample_weight=batch_size)
        self._compiled_metrics.update_state(y_true, y_pred, sample_weight)

    def _logs(self) -> dict:
        """Each metric's result: a float, or an array for metrics with one value per threshold or class (as Keras)."""
        logs = {}
        for metric in self.metrics:
            value = metric.result()
            logs[metric.name] = float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)
        return logs

    # ------------------------------------------------------------ batch steps
    def _added_losses(self) -> float:
        """What the layers' `call`s added with `add_loss` in the last forward pass (0 without any)."""
        total = 0.0
        for layer in self._leaf_layers():
            for value in layer._call_losses:
                total += float(np.asarray(value_of(value)))
        return total

    def _regularized(self) -> tuple[bool, bool]:
        """(any weight regularizer, any activity regularizer) in the model."""
        weights = activity = False
        for layer in self._leaf_layers():
            weights = weights or layer._has_regularizers()
            activity = activity or layer.activity_regularizer is not None
        return weights, activity

    def _train_step(self, x, y, sample_weight):
        assert self._loss_fn is not None and self.optimizer is not None  # set by compile()
        weights_regularized, activity_regularized = self._regularized()
        activity: dict | None = {} if activity_regularized else None
        y_pred = self._forward(x, training=True, activity=activity)
        # A softmax output with a cross-entropy loss: one step to the softmax's input (`q - t`),
        # exactly the gradient the two separate steps give, unless a probability a label weighs is clipped.
        shortcut = None
        if self._loss_fn.takes_softmax_shortcut() and self._ends_in_softmax():
            shortcut = self._loss_fn.value_and_logits_gradient(y, y_pred, sample_weight)
        loss_value, grad = shortcut or self._loss_fn.value_and_gradient(y, y_pred, sample_weight)
        if self._loss_weight != 1.0:
            loss_value, grad = loss_value * self._loss_weight, grad * self._loss_weight
        if weights_regularized or activity_regularized:  # penalties enter the loss, as in Keras
            loss_value = loss_value + self._regularization_penalty(activity)
        loss_value = loss_value + self._added_losses()
        # With a loss_scale_factor, Keras differentiates the scaled loss (penalties and added losses
        # included), and the optimizer divides the gradients by the factor again. The loss reported
        # stays unscaled.
        scale = self.optimizer.loss_scale_factor
        grad = self.optimizer.scale_loss(grad)
        with autodiff.added_loss_scale(scale):
            self._backward(grad, activity, from_logits=shortcut is not None, loss_scale=scale)
        if weights_regularized:
            for layer in self._leaf_layers():
                layer.add_regularization_gradients(scale)
        self.optimizer.apply(self._param_grad_pairs())
        self._update_metrics(y, y_pred, sample_weight, float(loss_value), len(x))

    def _trainable_params(self) -> tuple[list[np.ndarray], list[str]]:
        """The weights the optimizer updates, in order, with their paths (`"dense/kernel"`)."""
        params, paths = [], []
        for layer in self._leaf_layers():
            trainable = {id(weight) for weight in layer.trainable_weights}
            for name, weight in zip(layer.weight_names, layer.weights):
                if id(weight) in trainable:
                    params.append(weight)
                    paths.append(f"{layer.name}/{name}")
        return params, paths

    def _build_optimizer(self) -> None:
        """Build the optimizer for the trainable weights, telling it their paths (`"dense/kernel"`) first:
        `optimizer.exclude_from_weight_decay(var_names=...)` matches weights by name."""
        assert self.optimizer is not None  # set by compile()
        params, paths = self._trainable_params()
        self.optimizer.set_weight_names(params, paths)
        self.optimizer.build(params)

    def _finalize_optimizer(self, epochs: int) -> None:
        """At the end of `fit`, as Keras: the optimizer sets the weights' final values
        (`finalize_variable_values`: with `use_ema`, their moving averages)."""
        assert self.optimizer is not None  # set by compile()
        if epochs > 0 and self.optimizer.built:
            self.optimizer.finalize_variable_values(self._trainable_params()[0])

    def _lend_gradient_buffers(self) -> None:
        """Fast path: lend each layer the optimizer's buffers for its weights' gradients
        (`Layer.lend_gradient_arrays`), until `_take_back_gradient_buffers` at the end of `fit`
        or `train_on_batch`."""
        assert self.optimizer is not None  # set by compile()
        for layer in self._leaf_layers():
            buffers = (
                (name, self.optimizer.gradient_buffer(param)) for name, param in zip(layer.weight_names, layer.weights)
            )
            layer.lend_gradient_arrays({name: buffer for name, buffer in buffers if buffer is not None})

    def _take_back_gradient_buffers(self) -> None:
        """After training, a layer's `backward` makes new gradient arrays again."""
        for layer in self._leaf_layers():
            layer.lend_gradient_arrays(None)

    def _test_step(self, x, y, sample_weight, *, infer: Callable[[np.ndarray], np.ndarray] | None = None):
        assert self._loss_fn is not None  # set by compile()
        weights_regularized, activity_regularized = self._regularized()
        activity: dict | None = {} if activity_regularized else None
        if activity_regularized or infer is None:
            y_pred = self._forward(x, training=False, activity=activity)
        else:
            y_pred = infer(x)
        loss_value = self._loss_fn(y, y_pred, sample_weight) * self._loss_weight
        if weights_regularized or activity_regularized:
            loss_value = loss_value + self._regularization_penalty(activity)
        loss_value = loss_value + self._added_losses()
        self._update_metrics(y, y_pred, sample_weight, float(loss_value), len(x))

    def _prepare_xy(self, x, y, sample_weight=None, class_weight=None, what="x"):
        """Check one (x, y, sample_weight) triple fully, before anything changes; build the model from x if needed."""
        x = self._prepare_input(x, cast=False)
        output_shape = self.compute_output_shape((None, *x.shape[1:]))
        y, sample_weight = compile_utils.prepare_targets(
            x, y, sample_weight, class_weight, self._loss_fn, output_shape, what
        )
        data_utils.check_finite(x, what)
        return x, y, sample_weight

    def _batch(self, x: np.ndarray, rows) -> np.ndarray:
        """Rows of `x` in the model's dtype: a cast of one batch, never of the whole array."""
        return x[rows].astype(self.input_dtype, copy=False)

    def _cast(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self.input_dtype, copy=False)

    def _check_batch(self, batch, step: int, where: str, class_weight=None, need_targets: bool = True):
        """Validate one batch from a PyDataset or generator; errors name the step and the shapes."""
        try:
            x, y, sample_weight = data_adapters.unpack_batch(batch)
            if need_targets:
                if y is None:
                    raise ValueError("it has no targets: yield (x, y) or (x, y, sample_weight)")
                x, y, sample_weight = self._prepare_xy(x, y, sample_weight, class_weight)
            else:
                x = self._prepare_input(x, cast=False)
        except (ValueError, TypeError) as error:
            raise type(error)(f"Batch {step} of {where}: {error}") from None
        return self._cast(x), y, sample_weight

    def _array_source(self, x, y, sample_weight, batch_size, shuffle, class_weight=None, what="x"):
        x, y, sample_weight = self._prepare_xy(x, y, sample_weight, class_weight, what=what)
        return data_adapters.ArraySource(x, y, sample_weight, batch_size, shuffle, self._cast)

    # --------------------------------------------------------------------- fit
    def fit(
        self,
        x: Data | None = None,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | Literal["auto"] = "auto",
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple | Data | None = None,
        shuffle: bool | Literal["batch"] = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: ArrayLike | None = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | Sequence[int] = 1,
    ) -> History | None:
        """Train the model for `epochs` passes over the data.

        Args:
            x: inputs, `(samples, ...)` matching the model's input shape (a numpy
                array, also memory-mapped); or a `PyDataset`, generator or iterator
                yielding `(x, y)` or `(x, y, sample_weight)` batches (then `y`,
                `sample_weight` and `batch_size` are not given).
            y: targets: one-hot rows, integer labels or values, per the loss.
            batch_size: samples per gradient step for arrays (default 32); the
                last, shorter batch is used too.
            epochs: index of the epoch to stop after (with `initial_epoch`).
            verbose: "auto" or 1 (a progress bar per epoch), 2 (one line per
                epoch), 0 (silent).
            callbacks: list of `Callback`s; a `History` is always added first.
            validation_split: fraction of the array data, taken from the end
                before shuffling, held out for validation.
            validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight)`,
                or a PyDataset / generator of batches; overrides `validation_split`.
            shuffle: arrays: a new sample order each epoch (True), the order of
                batches only ("batch", also what True means for a memory-mapped
                array), or none (False). A PyDataset: the order of its batches.
                Ignored for generators.
            class_weight: `{class_index: weight}` multiplying each sample's loss.
            sample_weight: per-sample loss weights, `(samples,)`.
            initial_epoch: epoch to start from (to resume a run).
            steps_per_epoch: batches per epoch. Default: all of the arrays or of
                the PyDataset; for a generator, until it is exhausted (a
                generator is consumed across epochs, as in Keras).
            validation_steps: batches of a validation PyDataset or generator.
            validation_batch_size: batch size of array validation data (default batch_size).
            validation_freq: validate every this many epochs (int), or at the
                epochs (1-based) in a list.

        At the end (also when stopped by an error), before the callbacks' `on_train_end`, the
        optimizer sets the weights' final values (`Optimizer.finalize_variable_values`): with
        `use_ema=True`, their moving averages, as Keras does.

        Returns:
            The `History` callback: `.history` maps each log key ("loss",
            each metric, "val_" versions) to a list with one value per epoch.
            (None when no epoch ran and the model had no History before.)
        """
        self._require_compiled("fit")
        verbose = data_utils.resolve_verbose(verbose)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer. Received: epochs={epochs!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1). Received: validation_split={validation_split}")
        streamed = data_adapters.is_batch_source(x)
        if streamed:
            _refuse_with_batches(
                x, y=y, sample_weight=sample_weight, batch_size=batch_size, validation_split=validation_split
            )
            source = data_adapters.make_source(x, steps_per_epoch, shuffle, "steps_per_epoch")
            batch_size = data_utils.check_batch_size(validation_batch_size)
        else:
            batch_size = data_utils.check_batch_size(batch_size)
            x, y, sample_weight = self._prepare_xy(x, y, sample_weight, class_weight)
            if validation_split and validation_data is None:
                (x, y, sample_weight), (x_val, y_val, sw_val) = data_utils.split_validation(
                    (x, y, sample_weight), validation_split
                )
                validation_data = (x_val, y_val, sw_val)
            source = data_adapters.ArraySource(x, y, sample_weight, batch_size, shuffle, self._cast)
            if steps_per_epoch is not None:
                source.steps = min(int(steps_per_epoch), source.steps)
        val_source = None
        if validation_data is not None:
            if data_adapters.is_batch_source(validation_data):
                val_source = data_adapters.make_source(validation_data, validation_steps, False, "validation_steps")
            else:
                x_val, y_val, sw_val = data_utils.unpack_validation_data(validation_data)
                val_source = self._array_source(
                    x_val, y_val, sw_val, validation_batch_size or batch_size, False, what="x_val"
                )
        if not self._fit_lock.acquire(blocking=False):
            raise RuntimeError(
                "fit() is already running on this model in another thread; one model trains one fit at a time."
            )
        try:
            return self._fit_loop(
                source, streamed, class_weight, val_source, epochs, verbose, callbacks, initial_epoch, validation_freq
            )
        finally:
            work_buffers.release(self._leaf_layers())  # the arrays training steps reused (im2col matrices, ...)
            self._take_back_gradient_buffers()
            self._fit_lock.release()

    def _fit_loop(
        self, source, streamed, class_weight, val_source, epochs, verbose, callbacks, initial_epoch, validation_freq
    ):
        callback_list = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=source.steps,
        )
        self.stop_training = False
        self._initial_epoch = None
        self._fit_interrupted = False  # read by callbacks' on_train_end (BackupAndRestore keeps its backup)
        epoch_logs: dict = {}
        assert self.optimizer is not None  # set by compile()
        callback_list.on_train_begin()
        try:
            with interrupt.deferred_keyboard_interrupt() as interrupted:
                if self._initial_epoch is not None:  # a callback (BackupAndRestore) resumes a run
                    initial_epoch = self._initial_epoch  # type: ignore[unreachable]  # mypy misses on_train_begin
                optimizer_ready = False  # a model fed by a generator is built by its first batch
                batch_hooks = callback_list.wants_batch_hooks("train")
                for epoch in range(initial_epoch, epochs):
                    self.reset_metrics()
                    callback_list.on_epoch_begin(epoch)
                    steps_done = 0
                    for step, batch in enumerate(source.epoch(epoch)):
                        if source.steps is not None and step >= source.steps:
                            break
                        if batch_hooks:
                            callback_list.on_train_batch_begin(step)
                        if streamed:
                            batch = self._check_batch(batch, step, "the training data", class_weight)
                        if not optimizer_ready:
                            self._build_optimizer()
                            self._lend_gradient_buffers()
                            optimizer_ready = True
                        self._train_step(*batch)
                        steps_done += 1
                        if interrupted.is_set():  # Ctrl-C waits for the step to finish: weights stay whole
                            raise KeyboardInterrupt
                        if batch_hooks:
                            callback_list.on_train_batch_end(step, self._logs())
                        if self.stop_training:
                            break
                    source.end_epoch()
                    if steps_done == 0 and source.exhausted:
                        break  # nothing left to train on: the warning said so
                    epoch_logs = self._logs()
                    if val_source is not None and _should_validate(epoch, validation_freq):
                        val_logs = self._evaluate_source(
                            val_source, callback_list, not isinstance(val_source, data_adapters.ArraySource)
                        )
                        epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
                    callback_list.on_epoch_end(epoch, epoch_logs)
                    if self.stop_training or source.exhausted:
                        break
        except BaseException:
            # An error from a callback, or Ctrl-C: callbacks still close what they opened
            # (files, progress bars), then the error goes on to the caller.
            self._fit_interrupted = True
            self._finalize_optimizer(epochs)  # Keras finalizes also when fit stops on an error
            callback_list.on_train_end(epoch_logs)
            raise
        self._finalize_optimizer(epochs)
        callback_list.on_train_end(epoch_logs)
        return self.history

    # ---------------------------------------------------------------- evaluate
    def evaluate(
        self,
        x: Data | None = None,
        y: ArrayLike | None = None,
        batch_size: int | None = None,
        verbose: int | Literal["auto"] = "auto",
        sample_weight: ArrayLike | None = None,
        steps: int | None = None,
        callbacks: Sequence[Callback] | None = None,
        return_dict: bool = False,
    ) -> Results:
        """Return the loss and metrics of the model on the data, computed over all samples.

        Args:
            x, y, sample_weight: arrays, or `x` a PyDataset / generator of batches.
            batch_size: for arrays (default 32).
            steps: how many batches of a PyDataset or generator (default: all).

        Returns:
            The loss as a float when there are no metrics, else the list
            `[loss, metric_1, ...]`; a dict by name with `return_dict=True`.
        """
        self._require_compiled("evaluate")
        verbose = data_utils.resolve_verbose(verbose)
        if data_adapters.is_batch_source(x):
            _refuse_with_batches(x, y=y, sample_weight=sample_weight, batch_size=batch_size)
            source, streamed = data_adapters.make_source(x, steps, False, "steps"), True
        else:
            source = self._array_source(x, y, sample_weight, data_utils.check_batch_size(batch_size), False)
            streamed = False
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=source.steps
        )
        logs = self._evaluate_source(source, callback_list, streamed)
        return logs if return_dict else _flatten_logs(logs)

    def _evaluate_source(self, source, callback_list, streamed: bool):
        self.reset_metrics()
        callback_list.on_test_begin()
        batch_hooks = callback_list.wants_batch_hooks("test")
        with self._splitter() as infer:
            for step, batch in enumerate(source.epoch(0)):
                if source.steps is not None and step >= source.steps:
                    break
                if batch_hooks:
                    callback_list.on_test_batch_begin(step)
                if streamed:
                    batch = self._check_batch(batch, step, "the evaluation data")
                self._test_step(*batch, infer=infer)
                if batch_hooks:
                    callback_list.on_test_batch_end(step, self._logs())
        source.end_epoch()
        logs = self._logs()
        callback_list.on_test_end(logs)
        return logs

    # ----------------------------------------------------------------- predict
    def predict(
        self,
        x: Data,
        batch_size: int | None = None,
        verbose: int | Literal["auto"] = "auto",
        steps: int | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> np.ndarray:
        """Return the model's outputs for `x`, computed batch by batch.

        For arrays, each batch is written into one preallocated output array, so
        memory is the model, one batch's activations and the result. A PyDataset or
        generator may yield `x` alone or `(x, y, ...)` batches (the targets are ignored).

        Args:
            x: inputs, or a PyDataset / generator of batches.
            batch_size: for arrays (default 32).
            steps: how many batches of a PyDataset or generator (default: all).

        Returns:
            Array of shape `(samples, *output_shape[1:])`.
        """
        verbose = data_utils.resolve_verbose(verbose)
        if data_adapters.is_batch_source(x):
            _refuse_with_batches(x, batch_size=batch_size)
            return self._predict_source(data_adapters.make_source(x, steps, False, "steps"), verbose, callbacks)
        batch_size = data_utils.check_batch_size(batch_size)
        x = self._prepare_input(x, cast=False)
        slices = data_utils.batch_slices(len(x), batch_size)
        callback_list = None
        if verbose or callbacks:
            callback_list = CallbackList(
                callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=len(slices)
            )
            callback_list.on_predict_begin()
        outputs = None
        with self._splitter() as infer:
            for step, rows in enumerate(slices):
                if callback_list is not None:
                    callback_list.on_predict_batch_begin(step)
                batch_out = infer(self._batch(x, rows))
                if outputs is None:
                    outputs = np.empty((len(x), *batch_out.shape[1:]), dtype=batch_out.dtype)
                outputs[rows] = batch_out
                if callback_list is not None:
                    callback_list.on_predict_batch_end(step, {"outputs": batch_out})
        if callback_list is not None:
            callback_list.on_predict_end()
        if outputs is None:  # no samples
            outputs = np.empty((0, *self.compute_output_shape((0, *x.shape[1:]))[1:]), dtype=self.input_dtype)
        return outputs

    def _predict_source(self, source, verbose, callbacks):
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=source.steps
        )
        callback_list.on_predict_begin()
        outputs = []
        with self._splitter() as infer:
            for step, batch in enumerate(source.epoch(0)):
                if source.steps is not None and step >= source.steps:
                    break
                callback_list.on_predict_batch_begin(step)
                x, _, _ = self._check_batch(batch, step, "the prediction data", need_targets=False)
                outputs.append(infer(x))
                callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        source.end_epoch()
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("The prediction data yielded no batches.")
        return np.concatenate(outputs)

    # -------------------------------------------------------- per-batch forms
    def train_on_batch(
        self,
        x: ArrayLike,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        class_weight: dict[int, float] | None = None,
        return_dict: bool = False,
    ) -> Results:
        """Run one gradient step on one batch.

        The metrics are reset first, as Keras 3 does: the figures are this batch's.

        Returns:
            The running loss (float), or `[loss, metrics...]`, or a dict with `return_dict=True`.
        """
        self._require_compiled("train_on_batch")
        assert self.optimizer is not None  # set by compile()
        x, y, sample_weight = self._prepare_xy(x, y, sample_weight, class_weight)
        self._build_optimizer()
        self.reset_metrics()
        self._lend_gradient_buffers()
        try:
            self._train_step(self._batch(x, slice(None)), y, sample_weight)
        finally:
            self._take_back_gradient_buffers()
        logs = self._logs()
        return logs if return_dict else _flatten_logs(logs)

    def test_on_batch(
        self,
        x: ArrayLike,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        return_dict: bool = False,
    ) -> Results:
        """Return the loss and metrics of one batch (the metrics are reset first, as Keras 3 does)."""
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._prepare_xy(x, y, sample_weight)
        self.reset_metrics()
        self._test_step(self._batch(x, slice(None)), y, sample_weight)
        logs = self._logs()
        return logs if return_dict else _flatten_logs(logs)

    def predict_on_batch(self, x: ArrayLike) -> np.ndarray:
        """Return the outputs for one batch `x`, in one forward pass."""
        with self._splitter() as infer:
            return infer(self._prepare_input(x))

    def _splitter(self) -> parallel.Splitter:
        """The inference forward pass for one predict/evaluate call: each batch is cut into one
        slice per core when that pays and every layer allows it (`models.parallel`); the rows
        come out the same either way."""
        split = config.fast_paths_enabled() and all(parallel.layer_allows_split(layer) for layer in self._leaf_layers())
        return parallel.Splitter(self._forward_inference, split)

    def _forward_inference(self, x: np.ndarray) -> np.ndarray:
        return self._forward(x, training=False)


def _should_validate(epoch: int, validation_freq) -> bool:
    if isinstance(validation_freq, int):
        if validation_freq <= 0:
            raise ValueError(f"validation_freq must be a positive integer. Received: validation_freq={validation_freq}")
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _flatten_logs(logs: dict) -> float | list[float]:
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _refuse_with_batches(x, **arguments) -> None:
    """Keras's rule: with a PyDataset or generator, the batches carry y, weights and size."""
    given = [
        name
        for name, value in arguments.items()
        if value is not None and not (isinstance(value, (int, float)) and value == 0)
    ]
    if given:
        kind = "a PyDataset" if isinstance(x, data_adapters.PyDataset) else "a generator or iterator"
        raise ValueError(
            f"`{given[0]}` must not be given when x is {kind}: its batches already carry the targets, the weights "
            f"and their size. Received: {given[0]}={arguments[given[0]]!r}"
        )
