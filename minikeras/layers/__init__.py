"""Layers: each with `build`, `forward`, `backward` (see `minikeras.layers.base.Layer`)."""

from minikeras.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from minikeras.layers.base import Layer
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.core import Activation, Dense, Flatten, Input, InputLayer
from minikeras.layers.cropping import Cropping2D
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer_normalization import LayerNormalization, UnitNormalization
from minikeras.layers.noise import GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from minikeras.layers.normalization import BatchNormalization
from minikeras.layers.passthrough import ActivityRegularization, Identity
from minikeras.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from minikeras.layers.regularization import Dropout
from minikeras.layers.rescaling import Rescaling
from minikeras.layers.reshaping import Reshape, ZeroPadding2D
from minikeras.layers.reshaping_1d import Cropping1D, Permute, RepeatVector, UpSampling1D, ZeroPadding1D
from minikeras.layers.upsampling import UpSampling2D

# Keras's aliases.
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D

ALL_LAYERS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Activation,
        ActivityRegularization,
        AveragePooling2D,
        BatchNormalization,
        Conv2D,
        Cropping1D,
        Cropping2D,
        Dense,
        Dropout,
        ELU,
        Flatten,
        GlobalAveragePooling2D,
        GlobalMaxPooling2D,
        Identity,
        InputLayer,
        Layer,
        LeakyReLU,
        MaxPooling2D,
        Permute,
        PReLU,
        ReLU,
        RepeatVector,
        Reshape,
        Softmax,
        UpSampling1D,
        UpSampling2D,
        ZeroPadding1D,
        ZeroPadding2D,
        GaussianDropout,
        GaussianNoise,
        LayerNormalization,
        Rescaling,
        SpatialDropout1D,
        SpatialDropout2D,
        UnitNormalization,
    )
}

__all__ = [
    "Activation",
    "ActivityRegularization",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Conv2D",
    "Convolution2D",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "Dropout",
    "ELU",
    "Flatten",
    "GlobalAveragePooling2D",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling2D",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "LeakyReLU",
    "MaxPool2D",
    "MaxPooling2D",
    "Permute",
    "PReLU",
    "ReLU",
    "RepeatVector",
    "Reshape",
    "Softmax",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "GaussianDropout",
]
