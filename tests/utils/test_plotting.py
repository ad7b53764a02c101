"""plot_history: a PNG with matplotlib, a clear message without it."""

import builtins
import sys

import numpy as np
import pytest

import minikeras as keras


def history():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(20, 3))
    return model.fit(x, np.eye(2)[np.arange(20) % 2], epochs=3, validation_split=0.2, verbose=0)


def test_plot_history_writes_a_png_with_a_panel_per_quantity(tmp_path):
    pytest.importorskip("matplotlib", reason="plot_history needs matplotlib: pip install '.[plot]'")
    figure = keras.utils.plot_history(history(), tmp_path / "h.png", title="test")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["loss", "accuracy"]
    assert len(figure.axes[0].lines) == 2  # training and validation


def test_plot_history_says_how_to_install_matplotlib_when_it_is_missing(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    for module in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'minikeras\[plot\]'"):
        keras.utils.plot_history(history())
