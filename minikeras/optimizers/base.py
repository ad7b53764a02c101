"""The `Optimizer` contract: it sees (param, grad) pairs, never layers.

An optimizer keeps its per-parameter state (momentum, moving averages) in
"slots" keyed by the parameter array itself, updates each parameter in place,
and counts its steps in `iterations`. Its config and its slots are plain
numbers and arrays, so saving and restoring it needs nothing special.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from minikeras import config
from minikeras.fast import flat_update
from minikeras.optimizers import moving_average, schedules
from minikeras.optimizers.learning_rate import WRONG_KIND, LearningRateVariable, to_rate
from minikeras.optimizers.weight_decay import WeightDecayExclusion

if TYPE_CHECKING:
    from typing_extensions import Self

# A learning rate: a number, a schedule (called with the step number, see `schedules`), or a
# callable of no arguments (called at every step), as Keras.
LearningRate: TypeAlias = "float | schedules.LearningRateSchedule | Callable[[], float]"


class Optimizer:
    """Base class of optimizers.

    Args:
        learning_rate: a float; or a `schedules.LearningRateSchedule`, evaluated at the step
            number (`iterations`); or a callable of no arguments, called at every step.
            With a float, `optimizer.learning_rate` is a variable (`LearningRateVariable`):
            `float(optimizer.learning_rate)`, `optimizer.learning_rate.assign(0.01)` or
            `optimizer.learning_rate = 0.01` read and set the rate for the next step.
        weight_decay: if set, each step first shrinks every weight by
            `weight * weight_decay * learning_rate`, as Keras does, except the weights
            `exclude_from_weight_decay` names.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to `[-clipvalue, clipvalue]`.
        global_clipnorm: clip all gradients together to this global L2 norm.
        use_ema: keep an exponential moving average of the weights (see `moving_average`):
            after each step `average = ema_momentum * average + (1 - ema_momentum) * weight`,
            the average starting at the weights after the first step. `finalize_variable_values`
            (called by `fit` at its end) writes the averages into the weights;
            `callbacks.SwapEMAWeights` swaps them in for evaluation.
        ema_momentum: the averages' momentum, in [0, 1] (default 0.99). Only used with `use_ema`.
        ema_overwrite_frequency: with `use_ema`, an integer `f`: the weights are replaced by their
            averages at every step whose number (`iterations + 1`) is a multiple of `f`. None: never.
        loss_scale_factor: a float: the training loop multiplies the loss by it before the gradients are
            computed (`scale_loss`), and `apply` divides the gradients by it first; None for no scaling.
        gradient_accumulation_steps: an integer N >= 2: the gradients of N calls of `apply` are summed
            and their mean applied at every N-th call; the other calls change no weight. `iterations` then
            counts updates (calls // N); learning-rate schedules still see the calls, and
            `ema_overwrite_frequency` counts updates.
        name: the optimizer's name.

    Subclasses list their per-parameter state in `slot_groups` and give the update rule in
    one of two ways:

    * `increment(grad, slots, learning_rate, out=None)`: what to add to a weight, from its
      gradient and its slots (which it updates in place). It sees only arrays shaped alike,
      so the same rule serves one weight at a time (the default `update_step`) and, on the
      fast path, all weights at once in flat arrays (`minikeras.fast.flat_update`);
    * or Keras's `update_step(param, grad, learning_rate)`, which changes `param` in place;
      such an optimizer always updates weight by weight.

    Neither may write into `grad`: it is the layer's `grads[name]`, which holds dL/dw.
    """

    default_name = "optimizer"

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            key, value = next(iter(kwargs.items()))
            raise TypeError(f"Unrecognized keyword argument passed to {type(self).__name__}: {key}={value!r}")
        _check_accumulation_steps(gradient_accumulation_steps)
        moving_average.check_options(use_ema, ema_momentum, ema_overwrite_frequency)
        if loss_scale_factor is not None and (
            not _is_number(loss_scale_factor) or not math.isfinite(loss_scale_factor) or loss_scale_factor <= 0
        ):
            raise ValueError(
                "loss_scale_factor must be a positive number or None. "
                f"Received: loss_scale_factor={loss_scale_factor!r}"
            )
        if sum(option is not None for option in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of clipnorm, clipvalue and global_clipnorm can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for label, option in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
            ("weight_decay", weight_decay),
        ):
            if option is not None and (not isinstance(option, (int, float)) or option < 0):
                raise ValueError(f"{label} must be a non-negative number. Received: {label}={option!r}")
        self.name = name or self.default_name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        # Calls of `apply` so far: Keras's `_iterations`, the step count files store.
        self._iterations = 0
        self._learning_rate = _initial_learning_rate(learning_rate, self.name)
        self.built = False
        self._decay_exclusion = WeightDecayExclusion()
        self._slots: dict[int, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        # Optimizer-wide state arrays (not per parameter), saved after the slots.
        self._extra_state: dict[str, np.ndarray] = {}
        # Fast path: the first `build`'s weights with their gradients and slots in flat arrays.
        self._flat: flat_update.FlatState | None = None

    # ------------------------------------------------------------- step count
    @property
    def iterations(self) -> int:
        """The number of updates so far: the calls of `apply`, or with `gradient_accumulation_steps=N`
        the calls // N (as Keras). Setting it sets the number of calls."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        self._iterations = int(value)

    # ----------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> LearningRateVariable | float:
        """The learning rate, as Keras gives it.

        Created with a number: the `LearningRateVariable` holding it, which reads as a number
        (`float(lr)`, `lr * 2`, `lr < 0.1`, `lr.numpy()`) and is set with `lr.assign(value)`.
        With a schedule: its value at the current step (the calls of `apply` so far); with a callable: what it
        returns now.
        """
        if isinstance(self._learning_rate, LearningRateVariable):
            return self._learning_rate
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: LearningRate | LearningRateVariable) -> None:
        """A number sets the rate for the next step; a schedule or a callable replaces the rate (as Keras).

        Raises:
            TypeError: a number, when the optimizer's rate is a schedule or a callable.
            ValueError: not a number, schedule or callable; or a negative or non-finite number.
        """
        if isinstance(value, schedules.LearningRateSchedule) or (
            callable(value) and not isinstance(value, LearningRateVariable)
        ):
            self._learning_rate = _checked_callable(value)
        elif isinstance(self._learning_rate, LearningRateVariable):
            if not _is_number(value):
                raise ValueError(f"{WRONG_KIND} Received instead: learning_rate={value!r}")
            self._learning_rate.assign(value)
        else:
            kind = (
                "a `LearningRateSchedule` object"
                if isinstance(self._learning_rate, schedules.LearningRateSchedule)
                else "a callable"
            )
            raise TypeError(
                f"This optimizer was created with {kind} as its `learning_rate` constructor argument, hence its "
                "learning rate is not settable. If you need the learning rate to be settable, you should "
                f"instantiate the optimizer with a float `learning_rate` argument. Received: learning_rate={value!r}"
            )

    def _current_learning_rate(self) -> float:
        """The rate for the step about to be taken, as a float, checked."""
        rate = self._learning_rate
        if isinstance(rate, LearningRateVariable):
            return float(rate)
        if isinstance(rate, schedules.LearningRateSchedule):
            value = rate(self._iterations)  # the calls, also with gradient accumulation (as Keras)
        else:
            value = rate()
        try:
            return to_rate(value)
        except ValueError as error:
            raise ValueError(
                f"Optimizer '{self.name}': the learning rate {rate!r} gave an invalid value. {error}"
            ) from None

    # ---------------------------------------------------------- weight decay
    def exclude_from_weight_decay(
        self, var_list: Iterable[np.ndarray] | None = None, var_names: Sequence[str] | None = None
    ) -> None:
        """Leave some weights out of weight decay (the `weight_decay` argument).

        Each call replaces the previous exclusions, as in Keras. Keras's documentation asks for the
        call before the optimizer is built, but Keras accepts it later too (after `load_model`, say)
        and applies it from the next step; so does minikeras.

        Args:
            var_list: weight arrays to exclude, the arrays themselves (`layer.kernel`, `model.layers[0].weights[1]`;
                a copy such as `get_weights()[1]` matches nothing).
            var_names: strings; a weight whose name contains one of them is excluded. They are regular
                expressions searched in the name, as Keras. A weight's name is the layer's name for it
                (`kernel`, `bias`, `gamma`, ...), not its path: `var_names=["bias"]` excludes every bias.
                The optimizer knows the names of a model's weights (the model tells it, `set_weight_names`).

        Raises:
            TypeError: `var_list` holds something other than arrays, or `var_names` is not a list of strings.
            re.error: a `var_names` entry is not a valid regular expression.
        """
        self._decay_exclusion.configure(var_list, var_names)

    def set_weight_names(self, params: Sequence[np.ndarray], names: Sequence[str]) -> None:
        """Tell the optimizer the paths of weights (`"dense/kernel"`), for `exclude_from_weight_decay`'s `var_names`.

        A model calls it before it builds the optimizer; arrays are matched by identity.
        """
        self._decay_exclusion.set_paths(params, names)

    def weight_decay_applies(self, param: np.ndarray) -> bool:
        """Whether this optimizer's weight decay (if any) shrinks `param`: False for excluded weights."""
        return self._decay_exclusion.decays(param)

    # ------------------------------------------------------------------- slots
    # Each subclass lists its per-parameter state as groups of slot names. Keras creates a
    # group for every parameter in turn (Adam: kernel momentum, kernel velocity, bias
    # momentum, ...), group after group; `variables` follows that order so files match.
    slot_groups: tuple[tuple[str, ...], ...] = ()

    def slot_initial_value(self, name: str) -> float:
        """The value a new slot starts at (0 unless the optimizer says otherwise)."""
        return 0.0

    def slot(self, param: np.ndarray, name: str) -> np.ndarray:
        """Return the state array `name` of `param`."""
        return self.slots(param)[name]

    def slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """Return all state arrays of `param`, by slot name."""
        return self._slots[id(param)][1]

    def build(self, params: Iterable[np.ndarray]) -> None:
        """Create the slots of `params` (new ones only), in this order: the order they are saved in.

        On the fast path, the first build lays the weights' slots and a gradient buffer end to
        end in flat arrays (`fast.flat_update.FlatState`); each weight's slots are views into them.
        """
        self.built = True
        new = list({id(param): param for param in params if id(param) not in self._slots}.values())
        if not new:
            return
        # The base class's own slots (moving averages, gradient accumulators) start at 0, as Keras's.
        initial = {name: 0.0 for group in self._base_slot_groups() for name in group}
        initial.update({name: self.slot_initial_value(name) for group in self.active_slot_groups() for name in group})
        # mypy takes `type(self)` for an instance whose __hash__ is unbound: a class is hashable.
        flat_ready = config.fast_paths_enabled() and uses_increment(type(self))  # type: ignore[arg-type]
        if flat_ready and not self._slots and flat_update.FlatState.fits(new):
            self._flat = flat_update.FlatState(new, initial)
            for index, param in enumerate(new):
                self._slots[id(param)] = (param, {name: views[index] for name, views in self._flat.slot_views.items()})
            return
        for param in new:
            self._slots[id(param)] = (param, {name: np.full_like(param, value) for name, value in initial.items()})

    def gradient_buffer(self, param: np.ndarray) -> np.ndarray | None:
        """Fast path: an array shaped like `param` where a layer may write its gradient, or None.

        The training loop lends these to the layers (`Layer.lend_gradient_arrays`): a gradient
        written there is already where the flat update reads it; any other is copied there.
        """
        if self._flat is None or not config.fast_paths_enabled():
            return None
        return self._flat.gradient_view(param)

    def active_slot_groups(self) -> list[tuple[str, ...]]:
        """The slot groups this configuration uses (SGD without momentum: none)."""
        return list(self.slot_groups)

    def _base_slot_groups(self) -> list[tuple[str, ...]]:
        """The per-weight state every optimizer may keep, saved before the subclass's slots (as Keras
        creates it first): the moving averages (`use_ema`), then the gradient accumulators."""
        groups: list[tuple[str, ...]] = []
        if self.use_ema:
            groups.append(("average",))
        if self.gradient_accumulation_steps:
            groups.append(("gradient_accumulator",))
        return groups

    def _ordered_state(self):
        """(name, array) pairs of the whole state in Keras's order."""
        state = [("iteration", np.asarray(self._iterations, dtype=np.int32))]
        if isinstance(self._learning_rate, LearningRateVariable):
            state.append(("learning_rate", self._learning_rate.numpy()))
        for group in self._base_slot_groups() + self.active_slot_groups():
            for index, (_, slots) in enumerate(self._slots.values()):
                state.extend((f"{name}_{index}", slots[name]) for name in group)
        state.extend(self._extra_state.items())
        return state

    @property
    def fixed_variable_count(self) -> int:
        """How many of `variables` come before the slots: the step count, then the learning rate
        unless a schedule or a callable gives it. A file holding only these restores an optimizer that never
        stepped."""
        return 2 if isinstance(self._learning_rate, LearningRateVariable) else 1

    @property
    def variables(self) -> list[np.ndarray]:
        """The state in Keras's order: step count (the calls of `apply`), learning rate (unless a schedule),
        the moving averages (`use_ema`), the gradient accumulators (`gradient_accumulation_steps`), the
        slots group by group, then any optimizer-wide state (Nadam's momentum product).
        These are what a model file stores.
        """
        return [value for _, value in self._ordered_state()]

    @property
    def variable_names(self) -> list[str]:
        """Names for `variables` (`adam/iteration`, `adam/momentum_0`, ...)."""
        return [f"{self.name}/{name}" for name, _ in self._ordered_state()]

    def set_weights(self, values: Iterable[np.ndarray]) -> None:
        """Restore the state from a list in `variables` order, checked fully before anything is set.

        A list of only the step count and learning rate (an optimizer saved before
        its first step) restores those two.
        """
        values = [np.asarray(v) for v in values]
        current = self.variables
        fixed = self.fixed_variable_count
        if len(values) not in (len(current), fixed):
            raise ValueError(
                f"Optimizer '{self.name}' holds {len(current)} state arrays for this model, "
                f"but {len(values)} were given."
            )
        for index, (target, value) in enumerate(zip(current, values)):
            if target.shape != value.shape:
                raise ValueError(
                    f"Optimizer '{self.name}' state array {index} has shape {target.shape}, "
                    f"but the value given has shape {value.shape}."
                )
        rate = self._learning_rate
        # Files hold the rate in float32; keep the exact configured value when it is the same number.
        new_rate = None
        if isinstance(rate, LearningRateVariable) and np.float32(values[1]) != rate.numpy():
            new_rate = to_rate(values[1])  # checked before anything is set
        self._iterations = int(values[0])
        if new_rate is not None:
            rate.assign(new_rate)
        for target, value in zip(current[fixed:], values[fixed:]):
            target[...] = value

    # ------------------------------------------------------------------ update
    def apply(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Update each parameter in place from its gradient, then count one call.

        In order, as Keras: the gradients are divided by `loss_scale_factor`; with
        `gradient_accumulation_steps=N` they are added to the accumulators, and only every N-th call
        goes on with the mean of the N gradients; they are clipped; weight decay shrinks the weights;
        the optimizer's rule updates them. Then, with `use_ema`, the moving averages follow the
        weights (at every call) and may overwrite them (`ema_overwrite_frequency`).
        The gradients are read, never written.

        Args:
            pairs: iterable of `(param, grad)`, arrays of equal shape.
        """
        pairs = list(pairs)
        for param, grad in pairs:
            if grad.shape != param.shape:
                raise ValueError(f"Gradient shape {grad.shape} does not match parameter shape {param.shape}.")
        params = [param for param, _ in pairs]
        self.build(params)
        flat = self._flat
        if not (config.fast_paths_enabled() and flat is not None and flat.matches(params)):
            flat = None
        grads = self._gradients_for_update(params, [grad for _, grad in pairs], flat)
        if grads is not None:
            learning_rate = self._current_learning_rate()
            if self.weight_decay:
                for param in params:
                    if self._decay_exclusion.decays(param):
                        param -= param * (self.weight_decay * learning_rate)
            self.prepare_step()
            if flat is not None:
                flat_update.step(self, flat, flat.join(grads), learning_rate)
            else:
                for param, grad in zip(params, grads):
                    self.update_step(param, grad, learning_rate)
        if self.use_ema:
            self._update_moving_averages(params)
        self._iterations += 1

    def _gradients_for_update(
        self, params: list[np.ndarray], grads: list[np.ndarray], flat: flat_update.FlatState | None
    ) -> list[np.ndarray] | None:
        """The gradients this call updates with, one per weight, in the weights' dtype: unscaled,
        accumulated and clipped; None for a call that only accumulates.

        On the fast path (`flat`) the elementwise steps run on the flat gradient array at once, and
        what they compute goes to `flat.scratch`: the returned arrays are views of `flat.gradients`
        (nothing to do) or of `flat.scratch`. Elementwise arithmetic gives the same bits either way.
        """
        steps = self.gradient_accumulation_steps or 0
        accumulating = steps > 0 and (self._iterations + 1) % steps != 0
        if flat is not None:
            arrays = [flat.join(grads)]
            into: list[np.ndarray | None] = [flat.scratch] if self.loss_scale_factor or steps else [None]
            accumulators = [flat.slots["gradient_accumulator"]] if steps else []
        else:
            arrays = [grad.astype(param.dtype, copy=False) for param, grad in zip(params, grads)]
            into = [None] * len(arrays)
            accumulators = [self.slot(param, "gradient_accumulator") for param in params] if steps else []
        if self.loss_scale_factor:
            arrays = [np.divide(array, self.loss_scale_factor, out=out) for array, out in zip(arrays, into)]
        if accumulating:
            for accumulator, array in zip(accumulators, arrays):
                accumulator += array
            return None
        if steps:  # the update: the mean of the accumulated gradients and this one, then fresh accumulators
            arrays = [
                np.add(array, accumulator, out=out) for array, accumulator, out in zip(arrays, accumulators, into)
            ]
            for array in arrays:
                np.divide(array, steps, out=array)
            for accumulator in accumulators:
                accumulator.fill(0)
        if flat is None:
            return self._clip(arrays)
        parts = flat.parts(arrays[0])
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            parts = flat.parts(flat.join(self._clip(parts, out=flat.scratch_views), into=flat.scratch))
        return parts

    def _update_moving_averages(self, params: list[np.ndarray]) -> None:
        """Move each weight's average towards it, then overwrite the weights with their averages at every
        `ema_overwrite_frequency`-th update (see `moving_average`)."""
        pairs = [(param, self.slot(param, "average")) for param in params]
        moving_average.update(pairs, self.ema_momentum, first_step=self.iterations == 0)
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            moving_average.overwrite(pairs)

    def _moving_average_pairs(
        self, var_list: Iterable[np.ndarray] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """`(weight, its moving average)` for the weights of `var_list` (default: every weight the optimizer
        was built for); an empty list without `use_ema`.

        Raises:
            ValueError: a weight of `var_list` the optimizer keeps no average for.
        """
        if not self.use_ema:
            return []
        if var_list is None:
            return [(param, slots["average"]) for param, slots in self._slots.values()]
        pairs = []
        for index, var in enumerate(var_list):
            entry = self._slots.get(id(var))
            if entry is None or entry[0] is not var:
                raise ValueError(
                    f"Optimizer '{self.name}' keeps no moving average for variable {index} of var_list (shape "
                    f"{np.shape(var)}): it was not built for it. Please check if the optimizer was called on your "
                    "model."
                )
            pairs.append((var, entry[1]["average"]))
        return pairs

    def finalize_variable_values(self, var_list: Iterable[np.ndarray]) -> None:
        """Set the final values of the weights of `var_list`: with `use_ema`, their moving averages (as
        Keras, whose `fit` calls this at its end); otherwise nothing changes.

        Args:
            var_list: weight arrays the optimizer was built for (`model.trainable_weights`).

        Raises:
            ValueError: with `use_ema`, a weight the optimizer keeps no average for (nothing is changed).
        """
        moving_average.overwrite(self._moving_average_pairs(list(var_list)))

    def scale_loss(self, loss: Any) -> Any:
        """The loss multiplied by `loss_scale_factor` (unchanged without one), as the gradients are computed
        from; `apply` divides the gradients by the same factor."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def prepare_step(self) -> None:
        """Update optimizer-wide state once per step, before the parameters (Nadam's product)."""

    def apply_gradients(self, grads_and_vars: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Keras's spelling: `apply_gradients(zip(grads, params))`."""
        self.apply((param, grad) for grad, param in grads_and_vars)

    def update_step(self, param: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        """Update one weight in place from its gradient: `param += increment(grad, slots, learning_rate)`."""
        param += self.increment(grad, self.slots(param), learning_rate)

    def increment(
        self, grad: np.ndarray, slots: dict[str, np.ndarray], learning_rate: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """What to add to a weight, given its gradient; updates `slots` in place.

        Args:
            grad: the gradient (read only).
            slots: the weight's state arrays by slot name, shaped like `grad`.
            learning_rate: this step's learning rate.
            out: an array shaped like `grad` the result may be written into, or None.

        Returns:
            An array shaped like `grad` (it may be `out` or one of the slots).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement increment() or update_step().")

    def _clip(self, grads: list[np.ndarray], out: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """The gradients clipped (`clipnorm`, `global_clipnorm` or `clipvalue`), one per weight.

        A clipped gradient is written into `out`'s array for it (new arrays when None); one left as it is
        is returned as given.
        """
        into: list[np.ndarray | None] = list(out) if out is not None else [None] * len(grads)
        if self.clipnorm:
            factors = [_norm_clip_factor(math.sqrt(_squared_norm(g)), self.clipnorm) for g in grads]
        elif self.global_clipnorm:
            norm = math.sqrt(sum(_squared_norm(g) for g in grads))
            factor = _norm_clip_factor(norm, self.global_clipnorm)
            factors = [factor] * len(grads)
        elif self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue, out=o) for g, o in zip(grads, into)]
        else:
            return grads
        return [g if f is None else np.multiply(g, f, out=o) for g, f, o in zip(grads, factors, into)]

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Return the constructor arguments under Keras's names."""
        learning_rate: Any = self._learning_rate
        if isinstance(learning_rate, LearningRateVariable):
            learning_rate = float(learning_rate)
        else:
            from minikeras.saving import registry

            if not hasattr(learning_rate, "get_config"):
                raise ValueError(
                    f"Optimizer '{self.name}' has a callable learning rate without get_config() ({learning_rate!r}); "
                    "it cannot be written to a file. Use a float, a minikeras.optimizers.schedules class, or give "
                    "it get_config()."
                )
            learning_rate = registry.serialize(learning_rate, "keras.optimizers.schedules")
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict) -> Self:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from minikeras.optimizers import schedules

            config["learning_rate"] = schedules.get(config["learning_rate"])
        return cls(**config)


def _is_number(value: Any) -> bool:
    """A real number or a numeric array (its shape is checked by `to_rate`), not a bool or a string."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (numbers.Real, LearningRateVariable)):
        return True
    return isinstance(value, (np.ndarray, np.generic)) and np.issubdtype(value.dtype, np.number)


def _checked_callable(value: Any) -> Any:
    """A schedule, or a callable that can be called with no arguments (Keras calls a plain callable so)."""
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    try:
        inspect.signature(value).bind()
    except TypeError:
        raise TypeError(
            "A callable learning_rate is called with no arguments at every step, as in Keras; a rate that "
            "depends on the step number is a minikeras.optimizers.schedules.LearningRateSchedule (subclass it "
            f"and define __call__(self, step) and get_config). Received: learning_rate={value!r}"
        ) from None
    except ValueError:  # no signature to read (some built-ins): let the first step tell
        pass
    return value


def _initial_learning_rate(value: Any, optimizer_name: str) -> Any:
    """The `learning_rate` constructor argument as the optimizer keeps it: a variable, a schedule or a callable."""
    if isinstance(value, schedules.LearningRateSchedule) or (
        callable(value) and not isinstance(value, LearningRateVariable)
    ):
        return _checked_callable(value)
    if not _is_number(value):
        raise ValueError(f"{WRONG_KIND} Received instead: learning_rate={value!r}")
    return LearningRateVariable(value, optimizer_name)


@functools.lru_cache(maxsize=None)
def uses_increment(cls: type[Optimizer]) -> bool:
    """Whether optimizer class `cls` updates through `increment` (the default `update_step`),
    so that the same rule may run on all weights at once. A class that overrides
    `update_step` updates weight by weight."""
    return cls.update_step is Optimizer.update_step and cls.increment is not Optimizer.increment


def _squared_norm(grad: np.ndarray) -> float:
    """The sum of the squares of `grad`, in float64."""
    return float(np.sum(np.square(grad, dtype=np.float64)))


def _norm_clip_factor(norm: float, max_norm: float) -> float | None:
    """What to multiply by to bring a norm down to `max_norm`; None when it is not above it."""
    return max_norm / norm if norm > max_norm else None


def _check_accumulation_steps(steps: Any) -> None:
    """Keras's rule: None (or 0) for no accumulation, else an integer >= 2."""
    if steps is None:
        return
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or (steps != 0 and steps < 2):
        raise ValueError(
            f"`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps={steps!r}"
        )
