"""A progress display for one pass over the data: a tqdm bar, or one summary line.

tqdm is imported only when a bar is first shown, so `import minikeras` stays light.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_logs(logs: dict) -> str:
    """Render logs as Keras does: `loss: 0.1234 - accuracy: 0.9800`."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, (int, float)):
            parts.append(f"{key}: {value:.4f}")
    return " - ".join(parts)


class Progress:
    """Shows the progress of `total` steps (None when unknown).

    Args:
        total: number of steps, or None.
        verbose: 1 for a live bar, 2 for a single line when done.
        stream: where to write (default sys.stdout, as Keras).
    """

    # Refresh the bar's numbers at most this often: formatting every batch costs more than the batch.
    refresh_seconds = 0.1

    def __init__(self, total: int | None, verbose: int = 1, stream: TextIO | None = None) -> None:
        self.total = total
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.start = time.monotonic()
        self.seen = 0
        self._last_refresh = 0.0
        self._bar = None
        if verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                unit="step",
                file=self.stream,
                leave=True,
                dynamic_ncols=True,
                mininterval=self.refresh_seconds,
            )

    def update(self, step: int, logs: dict | None = None) -> None:
        """Record that `step` steps are done, with the running logs."""
        if self._bar is not None:
            self._bar.update(step - self.seen)
            now = time.monotonic()
            if logs and now - self._last_refresh >= self.refresh_seconds:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
                self._last_refresh = now
        self.seen = step

    def close(self, logs: dict | None = None) -> None:
        """Finish: final numbers on the bar, or the one-line summary for verbose=2."""
        elapsed = time.monotonic() - self.start
        if self._bar is not None:
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            per_step = elapsed / self.seen * 1000 if self.seen else 0.0
            text = f"{self.seen}/{self.total or self.seen} - {elapsed:.0f}s - {per_step:.0f}ms/step"
            if logs:
                text += " - " + format_logs(logs)
            print(text, file=self.stream, flush=True)
