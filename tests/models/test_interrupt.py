"""Ctrl-C during fit: the current step finishes, callbacks close, then KeyboardInterrupt; a second Ctrl-C is at once."""

import signal
import threading

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks, layers
from minikeras.models.interrupt import deferred_keyboard_interrupt

rng = np.random.default_rng(0)
X, Y = rng.normal(size=(12, 4)).astype(np.float32), np.eye(3, dtype=np.float32)[np.arange(12) % 3]


def classifier():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy")
    return model


@pytest.fixture
def interactive():
    """SIGINT handled as in an interactive program for the test's duration.

    A shell starts background jobs with SIGINT ignored, and the handling then leaves Ctrl-C
    ignored (test_an_ignored_ctrl_c_stays_ignored): a test run that way would never see the signal.
    """
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, outer)


def test_a_first_ctrl_c_only_sets_the_event_and_a_second_interrupts_at_once(interactive):
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_keyboard_interrupt() as interrupted:
            reached.append(interrupted.is_set())
            signal.raise_signal(signal.SIGINT)
            reached.append(interrupted.is_set())  # no KeyboardInterrupt yet
            signal.raise_signal(signal.SIGINT)
            reached.append("past the second Ctrl-C")
    assert reached == [False, True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_previous_handler_comes_back_after_the_block(interactive):
    seen = []
    signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    previous = signal.getsignal(signal.SIGINT)
    with deferred_keyboard_interrupt():
        assert signal.getsignal(signal.SIGINT) is not previous
    assert signal.getsignal(signal.SIGINT) is previous
    with pytest.raises(RuntimeError), deferred_keyboard_interrupt():
        raise RuntimeError
    assert signal.getsignal(signal.SIGINT) is previous
    signal.raise_signal(signal.SIGINT)
    assert seen == [signal.SIGINT]


def test_outside_the_main_thread_the_handler_is_left_alone(interactive):
    seen = []

    def run():
        with deferred_keyboard_interrupt() as interrupted:
            seen.append((interrupted.is_set(), signal.getsignal(signal.SIGINT)))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [(False, signal.default_int_handler)]


def test_ctrl_c_finishes_the_current_step_then_stops_after_on_train_end(interactive):
    events = []

    class Interrupt(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # Ctrl-C, mid-step 1
                events.append("signalled")

        def on_train_end(self, logs=None):
            events.append("on_train_end")

    model = classifier()
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y, batch_size=2, epochs=3, verbose=0, callbacks=[Interrupt()])
    assert events == ["signalled", "on_train_end"]
    assert model.optimizer.iterations == 2  # step 1 completed whole; nothing after it
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    model.fit(X, Y, batch_size=12, epochs=1, verbose=0)
    assert model.optimizer.iterations == 3


def test_an_ignored_ctrl_c_stays_ignored():
    """A program that ignores SIGINT (a background job, nohup'd work) keeps ignoring it during fit."""
    seen = []

    class Interrupt(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                seen.append(signal.getsignal(signal.SIGINT))

    outer = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        model = classifier()
        model.fit(X, Y, batch_size=2, epochs=1, verbose=0, callbacks=[Interrupt()])
        assert model.optimizer.iterations == len(X) // 2  # every step ran
        assert seen == [signal.SIG_IGN]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, outer)
