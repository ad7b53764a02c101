"""Ctrl-C during `fit`: the current step finishes, so the weights are never left half-updated."""

from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def deferred_keyboard_interrupt():
    """Within the block, a first Ctrl-C only sets the yielded event (the loop stops at the next
    step boundary); a second one interrupts at once. Outside the main thread, signals cannot be
    caught and the event simply stays unset.

    The SIGINT handler in place before the block is put back after it. A program
    that ignores SIGINT (a background job, a `nohup`) keeps ignoring it: the event
    then stays unset too.

    Yields:
        A `threading.Event`, set by the first Ctrl-C.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.getsignal(signal.SIGINT)

    if previous is signal.SIG_IGN:  # the program ignores Ctrl-C: leave it so
        yield interrupted
        return

    def handler(signum, frame):
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    signal.signal(signal.SIGINT, handler)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
