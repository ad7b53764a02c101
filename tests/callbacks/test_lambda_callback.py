"""LambdaCallback: every hook from a function, Keras's older batch names, refused misspellings."""

import pytest
from helpers import tiny_data, tiny_model

from minikeras import callbacks


def test_each_hook_is_called_with_its_arguments():
    calls = []
    hooks = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {sorted(logs)}"),
        on_test_begin=lambda logs: calls.append("test_begin"),
        on_test_batch_end=lambda batch, logs: calls.append(f"test_batch_end {batch}"),
        on_test_end=lambda logs: calls.append(f"test_end {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    x, y = tiny_data(n=8)
    tiny_model().fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), verbose=0, callbacks=[hooks])
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_begin 0",
        "batch_end 0 ['accuracy', 'loss']",
        "batch_begin 1",
        "batch_end 1 ['accuracy', 'loss']",
        "test_begin",
        "test_batch_end 0",
        "test_batch_end 1",
        "test_end ['accuracy', 'loss']",
        "epoch_end 0 ['accuracy', 'loss', 'val_accuracy', 'val_loss']",
        "train_end",
    ]


def test_evaluate_and_predict_hooks():
    calls = []
    hooks = callbacks.LambdaCallback(
        on_test_end=lambda logs: calls.append("test_end"),
        on_predict_begin=lambda logs: calls.append("predict_begin"),
        on_predict_batch_end=lambda batch, logs: calls.append(f"predict_batch_end {batch} {logs['outputs'].shape}"),
        on_predict_end=lambda logs: calls.append("predict_end"),
    )
    model = tiny_model()
    x, y = tiny_data(n=6)
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[hooks])
    model.predict(x, batch_size=4, verbose=0, callbacks=[hooks])
    assert calls == [
        "test_end",
        "predict_begin",
        "predict_batch_end 0 (4, 3)",
        "predict_batch_end 1 (2, 3)",
        "predict_end",
    ]


def test_kerass_older_batch_names_work():
    calls = []
    hooks = callbacks.LambdaCallback(
        on_batch_begin=lambda batch, logs: calls.append(f"begin {batch}"),
        on_batch_end=lambda batch, logs: calls.append(f"end {batch}"),
    )
    tiny_model().fit(*tiny_data(n=8), batch_size=4, epochs=1, verbose=0, callbacks=[hooks])
    assert calls == ["begin 0", "end 0", "begin 1", "end 1"]


def test_the_new_batch_name_wins_over_the_old_one_as_in_keras():
    calls = []
    hooks = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: calls.append("new"), on_batch_end=lambda batch, logs: calls.append("old")
    )
    tiny_model().fit(*tiny_data(n=4), batch_size=4, epochs=1, verbose=0, callbacks=[hooks])
    assert calls == ["new"]


def test_a_misspelt_hook_is_refused_and_other_keywords_become_attributes():
    with pytest.raises(TypeError, match=r"unknown hooks: \['on_epoch_finish'\]"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    assert callbacks.LambdaCallback(note="mine").note == "mine"
