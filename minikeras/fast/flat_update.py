"""The fast path of an optimizer: all weights updated at once, from flat arrays.

A training step updates every weight, and numpy charges a fixed cost per call that, for the
small weights of a model (biases, a last layer), is larger than the arithmetic. With the
gradients and each slot (SGD's velocity, ...) of all weights in one flat array, the update is a
few whole-array operations however many weights the model has; only adding the result to each
weight, which the layers own, stays one operation per weight. Every weight still sees its own
gradient and slots through views into the flat arrays, so nothing else changes.

The reference is `Optimizer.update_step`, weight by weight: both run the optimizer's one rule,
`increment(grad, slots, learning_rate)`, on arrays shaped alike, and elementwise arithmetic
gives the same bits whatever the layout (tests/fast/test_flat_update.py checks it exactly).
What happens to the gradients before the rule (unscaling, accumulation, clipping, in
`Optimizer.apply`) is elementwise too, or computed weight by weight on views, and is written into
a second flat array (`FlatState.scratch`), never into the gradients the layers wrote.
"""

from __future__ import annotations

import numpy as np


class FlatState:
    """The gradients and slots of `params` (all of one dtype), each as one flat array with a view per weight.

    Args:
        params: the weights, in the order the optimizer saves their slots.
        slot_values: `{slot name: initial value}`.

    Attributes:
        params: the weights.
        gradients: flat gradient buffer; `gradient_views[i]` is weight i's part, shaped like it.
        work: flat scratch array the increment may be written into (it is not state).
        scratch: flat array (made at first use) for the gradients after unscaling, accumulation or
            clipping: the gradients the layers wrote stay as they wrote them.
        slots: `{name: flat array}`; `slot_views[name][i]` is weight i's part.
    """

    def __init__(self, params, slot_values: dict):
        self.params = list(params)
        dtype = self.params[0].dtype
        ends = np.cumsum([param.size for param in self.params])
        self._bounds = list(zip([0, *ends[:-1]], ends))
        size = int(ends[-1])
        self.gradients = np.zeros(size, dtype=dtype)
        self.gradient_views = self.views(self.gradients)
        self.work = np.empty(size, dtype=dtype)
        self.work_views = self.views(self.work)
        self.slots = {name: np.full(size, value, dtype=dtype) for name, value in slot_values.items()}
        self.slot_views = {name: self.views(flat) for name, flat in self.slots.items()}
        self._index = {id(param): i for i, param in enumerate(self.params)}
        self._scratch: np.ndarray | None = None
        self._scratch_views: list[np.ndarray] = []

    @property
    def scratch(self) -> np.ndarray:
        """A flat array shaped like `gradients`, made at first use (not state)."""
        if self._scratch is None:
            self._scratch = np.empty_like(self.gradients)
            self._scratch_views = self.views(self._scratch)
        return self._scratch

    @property
    def scratch_views(self) -> list[np.ndarray]:
        """Each weight's part of `scratch`."""
        self.scratch  # noqa: B018  (made at first use)
        return self._scratch_views

    @staticmethod
    def fits(params) -> bool:
        """Whether `params` can share flat arrays: at least one, all of one dtype."""
        return bool(params) and len({param.dtype for param in params}) == 1

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Each weight's part of `flat`, shaped like the weight."""
        return [flat[start:end].reshape(param.shape) for param, (start, end) in zip(self.params, self._bounds)]

    def parts(self, flat: np.ndarray) -> list[np.ndarray]:
        """Each weight's part of `flat`: the kept views when `flat` is one of the flat arrays."""
        if flat is self.gradients:
            return self.gradient_views
        if flat is self.work:
            return self.work_views
        if flat is self._scratch:
            return self._scratch_views
        for name, array in self.slots.items():
            if flat is array:
                return self.slot_views[name]
        return self.views(flat)

    def gradient_view(self, param) -> np.ndarray | None:
        """`param`'s part of the gradient buffer, or None if `param` is not one of these weights."""
        index = self._index.get(id(param))
        return None if index is None else self.gradient_views[index]

    def join(self, parts, into: np.ndarray | None = None) -> np.ndarray:
        """One flat array holding `parts` (one array per weight).

        The flat array whose kept views `parts` are, when they all are (nothing is copied); else
        `into` (default `gradients`), with each part copied into its place unless it is already there.
        """
        for flat in (self.gradients, self._scratch):
            if flat is not None and all(part is view for part, view in zip(parts, self.parts(flat))):
                return flat
        into = self.gradients if into is None else into
        for view, part in zip(self.parts(into), parts):
            if part is not view:
                np.copyto(view, part)
        return into

    def matches(self, params) -> bool:
        """Whether `params` are exactly these weights, in this order."""
        return len(params) == len(self.params) and all(a is b for a, b in zip(params, self.params))


def apply(optimizer, flat: FlatState, grads: list, learning_rate: float) -> None:
    """One step of `optimizer` on all of `flat.params` at once: what `update_step` does weight by weight.

    Args:
        optimizer: an optimizer whose rule is its `increment` (`optimizers.base.uses_increment`).
        flat: its flat state; `flat.params` are the weights of `grads`, in order.
        grads: the gradients, one per weight. Those written into `flat.gradient_views` (lent to
            the layers) are read where they are; any other is copied there first.
    """
    step(optimizer, flat, flat.join(grads), learning_rate)


def step(optimizer, flat: FlatState, gradient: np.ndarray, learning_rate: float) -> None:
    """`apply` with the gradients already in one flat array (`flat.gradients` or `flat.scratch`), read only."""
    increment = optimizer.increment(gradient, flat.slots, learning_rate, out=flat.work)
    for param, part in zip(flat.params, flat.parts(increment)):
        param += part
