"""`Progbar`: Keras's text progress bar for custom loops, with the same averaging and output text.

minikeras's own `fit` shows its bar with tqdm (`minikeras.utils.progress`); this class is the
`keras.utils.Progbar` that user code drives by hand with `update` and `add`.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

# ANSI styles of Keras's bar: bold for the counter and the time, green for the done part, grey for the rest.
_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR_CHAR = "━"


class Progbar:
    """Displays a progress bar.

    Values passed to `update` are averaged over the steps they cover, weighted by how
    many steps each update advanced, unless they are stateful metrics, which are
    shown as given. When neither `stateful_metrics` nor `stateless_metrics` is given,
    every value is averaged.

    Args:
        target: total number of steps expected, None if unknown.
        width: width of the bar on screen, in characters (default 20).
        verbose: 0 silent, 1 a live line redrawn at each update, 2 one line when the
            target is reached (nothing when `target` is None).
        interval: minimum time between two redraws of the live line, in seconds
            (default 0.05); the final update is always drawn.
        stateful_metrics: names of values shown as given, not averaged; every other
            value is averaged. Give this or `stateless_metrics`, not both.
        stateless_metrics: names of values that are averaged; every other value is
            shown as given.
        unit_name: what a step is called in the time per step (default "step").

    Example:
        >>> bar = Progbar(target=100)
        >>> for step in range(1, 101):
        ...     bar.update(step, values=[("loss", compute_loss())])
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. Received both: "
                f"stateful_metrics={stateful_metrics!r}, stateless_metrics={stateless_metrics!r}"
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        # One of the two name sets is None: the other one lists the exceptions to the default.
        self.stateful_metrics: set[str] | None = None
        self.stateless_metrics: set[str] | None = None
        if stateless_metrics is not None:
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
        # Redraw the line in place on a terminal, a notebook, or any POSIX system (as Keras decides);
        # otherwise each redraw starts a new line.
        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or os.name == "posix"
            or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        # name -> [weighted sum of the values, sum of the weights]; names in order of first appearance.
        self._values: dict[str, list[Any]] = {}
        self._values_order: list[str] = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def update(
        self, current: int, values: Iterable[tuple[str, Any]] | None = None, finalize: bool | None = None
    ) -> None:
        """Update the bar.

        Args:
            current: index of the current step (the number of steps done).
            values: pairs `(name, value_for_last_step)`. A stateful value is shown as
                given; any other is averaged over the steps so far, weighted by the
                number of steps since the previous update.
            finalize: whether this is the last update; by default `current >= target`
                (never, when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            self._record(name, value, current, finalize)
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return  # too soon to redraw; the values are recorded all the same
            self._draw_live_line(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            self._write(self._summary_line(current, now, time_per_unit))
        self._last_update = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advance the bar by `n` steps: `update(current + n, values)`."""
        self.update(self._seen_so_far + n, values)

    def _is_stateless(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        assert self.stateless_metrics is not None
        return name in self.stateless_metrics

    def _record(self, name: str, value: Any, current: int, finalize: bool) -> None:
        if name not in self._values_order:
            self._values_order.append(name)
        if not self._is_stateless(name) or finalize:
            # Shown as given. A final value replaces the average too: with an unknown target the
            # end of an epoch repeats the last step, which would otherwise count with weight 0.
            self._values[name] = [value, 1]
            return
        # Weighted by the steps this update covers; at least 1, so a repeated step still counts.
        steps = max(current - self._seen_so_far, 1)
        if name in self._values:
            self._values[name][0] += value * steps
            self._values[name][1] += steps
        else:
            self._values[name] = [value * steps, steps]

    def _average(self, name: str) -> Any:
        total, count = self._values[name]
        if not isinstance(total, float):
            total = np.mean(total)  # an array (or an int): the mean of its entries
        return total / max(1, count)

    def _draw_live_line(self, current: int, now: float, time_per_unit: float, finalize: bool) -> None:
        known_target = self.target is not None and self.target > 0
        # The line is rewritten in place: back over the previous one, then a carriage return.
        prefix = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
        invisible = 0  # characters of ANSI codes, which take no room on screen
        if known_target:
            assert self.target is not None
            bar = f"{_BOLD}{_counter(current, self.target)}{_RESET} "
            invisible += len(_BOLD) + len(_RESET)
            done = int(self.width * (float(current) / self.target))
            if done > 0:
                bar += f"{_GREEN}{_BAR_CHAR * done}{_RESET}"
                invisible += len(_GREEN) + len(_RESET)
            bar += f"{_GREY}{_BAR_CHAR * (self.width - done)}{_RESET}"
            invisible += len(_GREY) + len(_RESET)
        else:
            bar = "%7d/Unknown" % current

        if known_target and not finalize:
            assert self.target is not None
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"  # time since the start
        info = f" {_BOLD}{clock}{_RESET}" + _format_time(time_per_unit, self.unit_name)
        invisible += len(_BOLD) + len(_RESET)
        for name in self._values_order:
            average = self._average(name)
            info += f" - {name}: " + (f"{average:.4f}" if abs(average) > 1e-3 else f"{average:.4e}")

        total_width = len(bar) + len(info) - invisible
        # Blank out what is left of a longer previous line.
        padding = " " * max(self._prev_total_width - total_width, 0)
        self._write(prefix + bar + info + padding + ("\n" if finalize else ""))
        self._prev_total_width = total_width

    def _summary_line(self, current: int, now: float, time_per_unit: float) -> str:
        assert self.target is not None
        line = f"{_counter(current, self.target)} - {now - self._start:.0f}s -"
        line += _format_time(time_per_unit, self.unit_name)
        for name in self._values_order:
            average = self._average(name)
            # Keras compares the value itself here, not its magnitude: negatives print in e-notation.
            line += f" - {name}: " + (f"{average:.4f}" if average > 1e-3 else f"{average:.4e}")
        return line + "\n"

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step: after the first step, the first one (often slow) is left out of the estimate."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit

    @staticmethod
    def _write(message: str) -> None:
        stream = sys.stdout
        try:
            stream.write(message)
        except UnicodeEncodeError:
            # A stream that cannot encode the bar character gets Keras 2's "=" instead.
            encoding = getattr(stream, "encoding", None) or "utf-8"
            stream.write(message.replace(_BAR_CHAR, "=").encode(encoding, errors="ignore").decode(encoding))
        stream.flush()


def _counter(current: float, target: float) -> str:
    """`" 7/10"`: the step, right-aligned to the target's width (`%d` also takes float steps, as Keras's)."""
    digits = int(math.log10(target)) + 1
    return "%*d/%d" % (digits, current, target)


def _format_eta(seconds: float) -> str:
    """`h:mm:ss` above an hour, `m:ss` above a minute, else whole seconds."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_time(time_per_unit: float, unit_name: str) -> str:
    """The time per step in the unit that reads best: `" 2s/step"`, `" 45ms/step"` or `" 120us/step"`."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"
