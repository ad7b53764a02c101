"""Which weights an optimizer's weight decay leaves alone (`Optimizer.exclude_from_weight_decay`).

A weight is excluded when it is one of the arrays given in `var_list` (the array itself, by
identity), or when one of the `var_names` patterns is found (`re.search`, as Keras) in its name.
A weight's name is Keras's variable name: the layer's name for it (`kernel`, `bias`, `gamma`),
not its path (`dense/kernel`), so `var_names=["bias"]` excludes every bias and `["dense"]` none.
The optimizer learns the names from the model that builds it (`Optimizer.set_weight_names`);
a weight it was never told a name for is matched by `var_list` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


class WeightDecayExclusion:
    """The weights excluded from weight decay, and the names of the weights to match patterns against."""

    def __init__(self) -> None:
        self._excluded_ids: set[int] = set()
        self._excluded_arrays: list[np.ndarray] = []  # held so that their ids stay theirs
        self._pattern: re.Pattern[str] | None = None
        self._paths: dict[int, tuple[np.ndarray, str]] = {}
        self._decision: dict[int, bool] = {}

    def configure(self, var_list: Iterable[Any] | None, var_names: Sequence[str] | None) -> None:
        """Replace the exclusions with `var_list` (weight arrays) and `var_names` (patterns), checked first.

        Raises:
            TypeError: `var_list` holds something other than numpy arrays, or `var_names` is a string
                or holds something other than strings.
            re.error: a `var_names` entry is not a valid regular expression.
        """
        arrays = list(var_list or [])
        for index, item in enumerate(arrays):
            if not isinstance(item, np.ndarray):
                raise TypeError(
                    "exclude_from_weight_decay: var_list must hold the weight arrays themselves (such as "
                    f"`layer.kernel` or `layer.weights[i]`). Received at index {index}: {type(item).__name__}"
                )
        if isinstance(var_names, (str, bytes)):
            raise TypeError(
                f"exclude_from_weight_decay: var_names must be a list of strings. Received: var_names={var_names!r}"
            )
        names = list(var_names or [])
        for name in names:
            if not isinstance(name, str):
                raise TypeError(
                    f"exclude_from_weight_decay: var_names must hold strings. Received: {name!r} in var_names"
                )
        pattern = re.compile("|".join(f"(?:{name})" for name in names)) if names else None
        self._excluded_arrays = arrays
        self._excluded_ids = {id(array) for array in arrays}
        self._pattern = pattern
        self._decision.clear()

    def set_paths(self, params: Sequence[np.ndarray], paths: Sequence[str]) -> None:
        """Record each weight's path (`"dense/kernel"`); its name is the part after the last `/`."""
        if len(params) != len(paths):
            raise ValueError(f"Got {len(params)} weights but {len(paths)} names.")
        for param, path in zip(params, paths):
            self._paths[id(param)] = (param, path)
        self._decision.clear()

    def path(self, param: np.ndarray) -> str | None:
        """The path recorded for `param`, or None."""
        entry = self._paths.get(id(param))
        return entry[1] if entry is not None and entry[0] is param else None

    def decays(self, param: np.ndarray) -> bool:
        """Whether weight decay applies to `param` (decided once per weight, until the settings change)."""
        key = id(param)
        decision = self._decision.get(key)
        if decision is None:
            path = self.path(param)
            excluded = key in self._excluded_ids or (
                self._pattern is not None and path is not None and self._pattern.search(path.rsplit("/", 1)[-1])
            )
            decision = self._decision[key] = not excluded
        return decision
