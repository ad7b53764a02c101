"""model.stop_training from any hook stops fit after the current batch or epoch, as in Keras."""

import pytest
from helpers import tiny_data, tiny_model

from minikeras import callbacks


def stop_in(hook, when):
    """A callback setting model.stop_training in `hook` when its first argument (epoch or batch) is `when`."""

    def stop(index, logs):
        if index == when:
            hooks.model.stop_training = True

    hooks = callbacks.LambdaCallback(**{hook: stop})
    return hooks


@pytest.mark.parametrize(
    "hook, when, epochs_run, steps_run",
    [
        ("on_epoch_end", 1, [0, 1], 6),  # the epoch ends, no other begins
        ("on_epoch_begin", 1, [0, 1], 4),  # the epoch runs one batch, then ends
        ("on_train_batch_end", 1, [0], 2),  # the batch finishes, the epoch ends there
        ("on_train_batch_begin", 1, [0], 2),  # the batch still runs, as in Keras
    ],
)
def test_stop_training_from_a_hook(hook, when, epochs_run, steps_run):
    model = tiny_model()
    ended = []
    history = model.fit(
        *tiny_data(n=24),
        batch_size=8,
        epochs=10,
        verbose=0,
        callbacks=[stop_in(hook, when), callbacks.LambdaCallback(on_train_end=lambda logs: ended.append(logs))],
    )
    assert history.epoch == epochs_run and model.optimizer.iterations == steps_run
    assert len(ended) == 1 and "loss" in ended[0]  # on_train_end runs, with the last epoch's logs


def test_a_new_fit_trains_again_after_a_stop():
    model = tiny_model()
    model.fit(*tiny_data(), epochs=5, verbose=0, callbacks=[stop_in("on_epoch_end", 0)])
    assert len(model.fit(*tiny_data(), epochs=3, verbose=0).epoch) == 3


def test_a_subclass_overriding_the_older_batch_names_is_called():
    class OldStyle(callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.calls = []

        def on_batch_begin(self, batch, logs=None):
            self.calls.append(f"begin {batch}")

        def on_batch_end(self, batch, logs=None):
            self.calls.append(f"end {batch} {sorted(logs)}")

    old_style = OldStyle()
    tiny_model().fit(*tiny_data(n=8), batch_size=4, epochs=1, verbose=0, callbacks=[old_style])
    assert old_style.calls == ["begin 0", "end 0 ['accuracy', 'loss']", "begin 1", "end 1 ['accuracy', 'loss']"]
