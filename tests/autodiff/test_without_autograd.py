"""Without autograd installed, custom code with no backward pass fails with an error naming the extra,
and everything else works."""

import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


class Scale(keras.layers.Layer):
    def build(self, input_shape):
        self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.s


@pytest.fixture
def no_autograd(monkeypatch):
    for name in [m for m in sys.modules if m == "autograd" or m.startswith("autograd.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "autograd", None)  # makes `import autograd` raise ImportError


def test_training_a_call_only_layer_names_the_extra(no_autograd):
    model = keras.Sequential([keras.Input((3,)), Scale(), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    assert model.predict(x, verbose=0).shape == (4, 1)  # inference needs no autodiff
    with pytest.raises(ImportError, match=r"pip install 'minikeras\[autodiff\]'"):
        model.fit(x, y, epochs=1, verbose=0)


def test_training_with_a_loss_function_names_the_extra_and_built_ins_still_train(no_autograd):
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", loss=lambda y_true, y_pred: (y_pred - y_true) ** 2)
    with pytest.raises(ImportError, match="autodiff"):
        model.fit(x, y, epochs=1, verbose=0)
    model.compile("sgd", "mse")
    assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])
