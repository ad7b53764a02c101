"""Layers: each with `build`, `forward`, `backward` (see `minikeras.layers.base.Layer`)."""

from minikeras.layers.activation import ReLU, Softmax
from minikeras.layers.base import Layer
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.core import Activation, Dense, Flatten, Input, InputLayer
from minikeras.layers.pooling import MaxPooling2D

# Keras's aliases.
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D

ALL_LAYERS: dict[str, type] = {
    cls.__name__: cls
    for cls in (Activation, Conv2D, Dense, Flatten, InputLayer, Layer, MaxPooling2D, ReLU, Softmax)
}

__all__ = [
    "Activation",
    "Conv2D",
    "Convolution2D",
    "Dense",
    "Flatten",
    "Input",
    "InputLayer",
    "Layer",
    "MaxPool2D",
    "MaxPooling2D",
    "ReLU",
    "Softmax",
]
