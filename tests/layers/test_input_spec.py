"""Input specs: after the first build a layer fixes only what its weights fix, as Keras.

Every layer is built by a first call, then called again on another shape its computation allows
(forward and backward, checked by central differences in float64), and on one it does not (a
ValueError in Keras's words, naming the layer and both shapes, raised before anything changes).
"""

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import layers
from minikeras.layers import InputSpec

F64 = {"dtype": "float64"}
KERAS = r"^Input 0 of layer 'probe' is incompatible with the layer: "

# name: (make the layer, first input shape, another shape it accepts, a shape it refuses, the error)
CASES = {
    "dense_rank3": (
        lambda: layers.Dense(3, **F64),
        (2, 4),
        (2, 5, 4),
        (2, 5),
        KERAS + r"expected axis -1 of input shape to have value 4, but received input with shape \(2, 5\)$",
    ),
    "dense_rank1": (
        lambda: layers.Dense(3, **F64),
        (2, 4),
        (3, 1, 2, 4),
        (4,),
        KERAS + r"expected min_ndim=2, found ndim=1. Full shape received: \(4,\)$",
    ),
    "conv_other_size": (
        lambda: layers.Conv2D(3, 3, padding="same", **F64),
        (2, 5, 5, 2),
        (1, 7, 4, 2),
        (2, 5, 5, 3),
        KERAS + r"expected axis -1 of input shape to have value 2, but received input with shape \(2, 5, 5, 3\)$",
    ),
    "conv_rank": (
        lambda: layers.Conv2D(3, 3, **F64),
        (2, 5, 5, 2),
        (1, 3, 9, 2),
        (5, 5, 2),
        KERAS + r"expected ndim=4, found ndim=3. Full shape received: \(5, 5, 2\)$",
    ),
    "conv_too_small": (
        lambda: layers.Conv2D(2, 3, **F64),
        (2, 5, 5, 1),
        (1, 3, 3, 1),
        (1, 2, 6, 1),
        r"^Computed output size would be zero or negative in layer 'probe' \(Conv2D\).*\(1, 2, 6, 1\)",
    ),
    "conv_channels_first_grouped": (
        lambda: layers.Conv2D(4, 2, strides=2, groups=2, data_format="channels_first", **F64),
        (2, 4, 5, 5),
        (1, 4, 6, 3),
        (2, 2, 5, 5),
        KERAS + r"expected axis 1 of input shape to have value 4, but received input with shape \(2, 2, 5, 5\)$",
    ),
    "max_pool": (
        lambda: layers.MaxPooling2D(2, **F64),
        (2, 4, 4, 3),
        (1, 7, 5, 2),
        (2, 4, 4),
        KERAS + r"expected ndim=4, found ndim=3. Full shape received: \(2, 4, 4\)$",
    ),
    "max_pool_too_small": (
        lambda: layers.MaxPooling2D(3, strides=1, **F64),
        (2, 4, 4, 3),
        (1, 3, 6, 1),
        (1, 2, 6, 1),
        r"^Computed output size would be zero or negative in layer 'probe' \(MaxPooling2D\)",
    ),
    "avg_pool_channels_first": (
        lambda: layers.AveragePooling2D(3, strides=2, padding="same", data_format="channels_first", **F64),
        (2, 2, 5, 5),
        (1, 3, 8, 7),
        (2, 2, 5, 5, 1),
        KERAS + r"expected ndim=4, found ndim=5",
    ),
    "global_avg_pool": (
        lambda: layers.GlobalAveragePooling2D(**F64),
        (2, 3, 4, 2),
        (1, 5, 6, 3),
        (2, 3, 4),
        KERAS + r"expected ndim=4, found ndim=3",
    ),
    "global_max_pool_keepdims": (
        lambda: layers.GlobalMaxPooling2D(keepdims=True, data_format="channels_first", **F64),
        (2, 2, 3, 4),
        (1, 3, 5, 2),
        (2, 3),
        KERAS + r"expected ndim=4, found ndim=2",
    ),
    "zero_padding": (
        lambda: layers.ZeroPadding2D(((1, 0), (2, 1)), **F64),
        (2, 3, 3, 2),
        (1, 4, 5, 3),
        (2, 3, 3),
        KERAS + r"expected ndim=4, found ndim=3",
    ),
    "batchnorm_last_axis": (
        lambda: layers.BatchNormalization(momentum=0.5, **F64),
        (4, 3, 2),
        (3, 5, 2),
        (4, 3, 3),
        KERAS + r"expected axis -1 of input shape to have value 2, but received input with shape \(4, 3, 3\)$",
    ),
    "batchnorm_rank": (
        lambda: layers.BatchNormalization(**F64),
        (4, 3, 2),
        (6, 1, 2),
        (4, 2),
        KERAS + r"expected ndim=3, found ndim=2. Full shape received: \(4, 2\)$",
    ),
    "batchnorm_channels_first": (
        lambda: layers.BatchNormalization(axis=1, **F64),
        (4, 3, 2, 2),
        (3, 3, 4, 5),
        (4, 2, 2, 2),
        KERAS + r"expected axis 1 of input shape to have value 3, but received input with shape \(4, 2, 2, 2\)$",
    ),
    "prelu_shared": (
        lambda: layers.PReLU(shared_axes=[1, 2], alpha_initializer="random_normal", **F64),
        (2, 3, 3, 2),
        (1, 5, 4, 2),
        (2, 3, 3, 3),
        KERAS + r"expected axis 3 of input shape to have value 2, but received input with shape \(2, 3, 3, 3\)$",
    ),
    "prelu_per_value": (
        lambda: layers.PReLU(alpha_initializer="random_normal", **F64),
        (2, 3, 4),
        (5, 3, 4),
        (2, 4, 4),
        KERAS + r"expected axis 1 of input shape to have value 3, but received input with shape \(2, 4, 4\)$",
    ),
    "prelu_rank": (
        lambda: layers.PReLU(shared_axes=[1], **F64),
        (2, 3, 4),
        (2, 6, 4),
        (2, 3, 4, 1),
        KERAS + r"expected ndim=3, found ndim=4",
    ),
    "relu_any_rank": (
        lambda: layers.ReLU(max_value=1.5, negative_slope=0.1, **F64),
        (2, 3),
        (2, 3, 4),
        (),
        KERAS + r"expected min_ndim=1, found ndim=0. Full shape received: \(\)$",
    ),
    "leaky_relu": (lambda: layers.LeakyReLU(0.2, **F64), (2, 3), (4,), (), KERAS + r"expected min_ndim=1"),
    "elu": (lambda: layers.ELU(0.5, **F64), (2, 3, 4), (3, 2), (), KERAS + r"expected min_ndim=1"),
    "activation": (lambda: layers.Activation("tanh", **F64), (2, 3), (1, 2, 3, 4), (), KERAS + r"expected min_ndim=1"),
    "softmax": (lambda: layers.Softmax(**F64), (2, 3), (2, 3, 5), (), KERAS + r"expected min_ndim=1"),
    "softmax_axis": (
        lambda: layers.Softmax(axis=2, **F64),
        (2, 3, 4),
        (1, 2, 5, 3),
        (2, 3),
        KERAS + r"expected min_ndim=3, found ndim=2",
    ),
    "dropout": (lambda: layers.Dropout(0.5, seed=1, **F64), (2, 3), (2, 3, 4), (), KERAS + r"expected min_ndim=1"),
    "dropout_noise_shape": (
        lambda: layers.Dropout(0.5, noise_shape=(None, 1, 3), seed=1, **F64),
        (2, 4, 3),
        (5, 7, 3),
        (2, 4, 4),
        KERAS + r"expected axis 2 of input shape to have value 3, but received input with shape \(2, 4, 4\)$",
    ),
    "flatten": (lambda: layers.Flatten(**F64), (2, 3, 4), (2, 5), (), KERAS + r"expected min_ndim=1"),
    "flatten_channels_first": (
        lambda: layers.Flatten(data_format="channels_first", **F64),
        (2, 3, 4, 2),
        (1, 2, 5),
        (),
        KERAS + r"expected min_ndim=1",
    ),
    "repeat_vector": (lambda: layers.RepeatVector(3, **F64), (2, 4), (3, 5), (2, 4, 1), KERAS + r"expected ndim=2"),
    "permute": (
        lambda: layers.Permute((2, 3, 1), **F64),
        (2, 3, 4, 2),
        (1, 2, 5, 3),
        (2, 3, 4),
        KERAS + r"expected ndim=4",
    ),
    "zero_padding1d": (
        lambda: layers.ZeroPadding1D((2, 1), data_format="channels_first", **F64),
        (2, 3, 4),
        (1, 5, 2),
        (2, 3),
        KERAS + r"expected ndim=3, found ndim=2",
    ),
    "cropping1d": (lambda: layers.Cropping1D((1, 2), **F64), (2, 5, 3), (1, 4, 2), (2, 5), KERAS + r"expected ndim=3"),
    "up_sampling1d": (
        lambda: layers.UpSampling1D(3, **F64),
        (2, 3, 2),
        (1, 4, 3),
        (2, 3, 2, 1),
        KERAS + r"expected ndim=3",
    ),
    "cropping2d": (
        lambda: layers.Cropping2D(((1, 0), (0, 2)), data_format="channels_first", **F64),
        (2, 2, 3, 4),
        (1, 3, 2, 5),
        (2, 3, 4),
        KERAS + r"expected ndim=4, found ndim=3",
    ),
    "up_sampling2d_bilinear": (
        lambda: layers.UpSampling2D((2, 3), interpolation="bilinear", **F64),
        (2, 2, 3, 2),
        (1, 3, 1, 3),
        (2, 3, 4),
        KERAS + r"expected ndim=4, found ndim=3",
    ),
    # Keras's Identity and ActivityRegularization have no input spec: no shape is refused.
    "identity": (lambda: layers.Identity(**F64), (2, 3), (4,), None, None),
    "activity_regularization": (lambda: layers.ActivityRegularization(0.1, **F64), (2, 3), (2, 3, 4, 1), None, None),
    "reshape_inferred": (
        lambda: layers.Reshape((-1, 4), **F64),
        (1, 6, 4),
        (1, 10, 4),
        (1, 10, 3),
        r"^The total size of the tensor must be unchanged: layer 'probe' \(Reshape\).*\(10, 3\) \(30 values\)",
    ),
    "reshape_fixed": (
        lambda: layers.Reshape((6, 2), **F64),
        (2, 3, 4),
        (2, 12),
        (2, 13),
        r"^The total size of the tensor must be unchanged: layer 'probe' \(Reshape\).*\(13,\) \(13 values\)",
    ),
    "layer_norm_last_axis": (
        lambda: layers.LayerNormalization(**F64),
        (2, 4),
        (3, 5, 4),
        (2, 5),
        KERAS + r"expected axis -1 of input shape to have value 4, but received input with shape \(2, 5\)$",
    ),
    "layer_norm_two_axes": (
        lambda: layers.LayerNormalization(axis=[1, 2], scale=False, **F64),
        (2, 3, 4),
        (1, 3, 4, 2),
        (2, 3),
        KERAS + r"expected min_ndim=3, found ndim=2. Full shape received: \(2, 3\)$",
    ),
    "unit_norm": (
        lambda: layers.UnitNormalization(axis=2, **F64),
        (2, 3, 4),
        (1, 2, 5, 2),
        (2, 3),
        KERAS + r"expected min_ndim=3, found ndim=2",
    ),
    "rescaling": (
        lambda: layers.Rescaling(0.5, offset=1.0, **F64),
        (2, 3),
        (4, 2, 3),
        (),
        KERAS + r"expected min_ndim=1",
    ),
    "gaussian_noise": (
        lambda: layers.GaussianNoise(0.1, seed=1, **F64),
        (2, 3),
        (4,),
        (),
        KERAS + r"expected min_ndim=1",
    ),
    "gaussian_dropout": (
        lambda: layers.GaussianDropout(0.1, seed=1, **F64),
        (2, 3),
        (2, 3, 4),
        (),
        KERAS + r"expected min_ndim=1",
    ),
    "spatial_dropout_1d": (
        lambda: layers.SpatialDropout1D(0.3, seed=1, **F64),
        (2, 3, 4),
        (1, 5, 2),
        (2, 3),
        KERAS + r"expected ndim=3, found ndim=2. Full shape received: \(2, 3\)$",
    ),
    "spatial_dropout_2d": (
        lambda: layers.SpatialDropout2D(0.3, data_format="channels_first", seed=1, **F64),
        (2, 3, 4, 4),
        (1, 2, 5, 3),
        (2, 3, 4),
        KERAS + r"expected ndim=4, found ndim=3",
    ),
}


def probe(case):
    layer = CASES[case][0]()
    layer.name = "probe"
    return layer


def test_every_layer_has_a_case():
    tested = {type(CASES[case][0]()).__name__ for case in CASES}
    assert set(layers.ALL_LAYERS) - tested == {"Layer", "InputLayer"}


def snapshot(layer):
    return [w.copy() for w in layer.weights]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_second_call_on_another_compatible_shape_runs_forward_and_backward(case):
    _, first, second, _, _ = CASES[case]
    rng = np.random.default_rng(0)
    layer = probe(case)
    layer(rng.normal(size=first), training=True)
    layer.backward(rng.normal(size=layer.compute_output_shape(first)))
    x = rng.normal(size=second)
    y = layer(x, training=True)
    assert y.shape == layer.compute_output_shape(second)
    upstream = rng.normal(size=y.shape)
    grad_x = layer.backward(upstream)
    assert grad_x.shape == x.shape
    if isinstance(layer, (layers.Dropout, layers.GaussianDropout)):  # a new mask every call: this call's mask
        np.testing.assert_allclose(grad_x, upstream * (y / x))
        return
    if isinstance(layer, layers.GaussianNoise):  # additive noise, new every call: the gradient passes through
        np.testing.assert_array_equal(grad_x, upstream)
        return

    def loss():
        return float((layer.forward(x, training=True) * upstream).sum())

    assert_gradients_close(grad_x, numerical_gradient(loss, x))
    grads = dict(layer.grads)
    for name, gradient in grads.items():
        assert_gradients_close(gradient, numerical_gradient(loss, layer._params[name]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_incompatible_shape_is_refused_before_anything_changes(case):
    _, first, _, bad, message = CASES[case]
    rng = np.random.default_rng(1)
    layer = probe(case)
    x = rng.normal(size=first)
    y = layer(x, training=True)
    if bad is None:  # a layer without an input spec accepts every shape
        assert layer.input_spec is None
        layer.check_input_shape(())
        assert layer.backward(np.ones_like(y)).shape == x.shape
        return
    weights = snapshot(layer)
    with pytest.raises(ValueError, match=message):
        layer(np.ones(bad), training=True)
    with pytest.raises(ValueError, match=message):
        layer.check_input_shape(bad)
    for before, after in zip(weights, layer.weights, strict=True):  # BatchNormalization's moving statistics too
        np.testing.assert_array_equal(before, after)
    # what the last good call kept for backward is still there, and still its own
    assert layer.backward(np.ones_like(y)).shape == x.shape


def test_a_custom_layer_without_a_spec_accepts_any_shape_of_its_rank_rules():
    class Double(layers.Layer):
        def forward(self, x, training=False):
            return 2 * x

    layer = Double(name="double")
    assert layer.input_spec == InputSpec(min_ndim=2)
    layer(np.ones((2, 3)))
    assert layer(np.ones((4, 5, 6))).shape == (4, 5, 6)
    with pytest.raises(ValueError, match=r"^Input 0 of layer 'double' is incompatible .* expected min_ndim=2"):
        layer(np.ones(3))


def test_a_custom_layer_may_declare_its_own_spec_in_build():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1],))
            self.input_spec = InputSpec(min_ndim=2, axes={-1: input_shape[-1]})

        def forward(self, x, training=False):
            return x * self.w

    layer = Scale(name="scale")
    layer(np.ones((2, 3)))
    assert layer(np.ones((2, 4, 3))).shape == (2, 4, 3)
    with pytest.raises(ValueError, match=r"'scale' .* expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4)))


def test_build_sets_the_spec_of_what_the_weights_fix():
    dense = layers.Dense(2)
    assert dense.input_spec == InputSpec(min_ndim=2)
    dense.build_for((None, 5))
    assert dense.input_spec == InputSpec(min_ndim=2, axes={-1: 5})
    conv = layers.Conv2D(2, 3, data_format="channels_first")
    conv.build_for((None, 3, 8, 8))
    assert conv.input_spec == InputSpec(ndim=4, axes={1: 3})
    norm = layers.BatchNormalization(axis=-1)
    norm.build_for((None, 6, 6, 4))
    assert norm.input_spec == InputSpec(ndim=4, axes={-1: 4})
    prelu = layers.PReLU(shared_axes=[1, 2])
    prelu.build_for((None, 6, 6, 4))
    assert prelu.input_spec == InputSpec(ndim=4, axes={3: 4})


# ------------------------------------------------------------------------------ InputSpec itself
@pytest.mark.parametrize(
    "spec, shape, message",
    [
        (InputSpec(ndim=3), (2, 3), r"expected ndim=3, found ndim=2. Full shape received: \(2, 3\)"),
        (InputSpec(max_ndim=3), (1, 2, 3, 4), r"expected max_ndim=3, found ndim=4"),
        (InputSpec(min_ndim=3), (2, 3), r"expected min_ndim=3, found ndim=2"),
        (
            InputSpec(axes={1: 4}),
            (2, 3, 4),
            r"expected axis 1 of input shape to have value 4, but received .*\(2, 3, 4\)",
        ),
        (InputSpec(axes={-3: 4}), (2, 4), r"expected axis -3 of input shape to have value 4.*has no axis -3"),
        (InputSpec(shape=(None, 3, None)), (5, 4, 1), r"expected shape=\(None, 3, None\), found shape=\(5, 4, 1\)"),
    ],
)
def test_spec_errors_use_keras_words(spec, shape, message):
    with pytest.raises(ValueError, match=r"^Input 0 of layer 'some_layer' is incompatible with the layer: " + message):
        spec.assert_compatible(shape, "some_layer")


@pytest.mark.parametrize(
    "spec, shape",
    [
        (InputSpec(ndim=3, axes={-1: 4}), (None, 7, 4)),
        (InputSpec(min_ndim=2, axes={-1: 4}), (2, 3, 5, 4)),
        (InputSpec(shape=(None, 3, None)), (8, 3, 1)),
        (InputSpec(axes={1: None}), (1, 9)),
        (InputSpec(), ()),
    ],
)
def test_spec_accepts_what_fits(spec, shape):
    spec.assert_compatible(shape, "layer")


def test_spec_config_round_trip_and_repr():
    spec = InputSpec(ndim=4, axes={-1: 3})
    assert spec.get_config() == {"shape": None, "ndim": 4, "max_ndim": None, "min_ndim": None, "axes": {-1: 3}}
    assert InputSpec.from_config(spec.get_config()) == spec
    shaped = InputSpec(shape=(None, 5))
    assert InputSpec.from_config(shaped.get_config()) == shaped and shaped.ndim == 2
    assert repr(spec) == "InputSpec(ndim=4, axes={-1: 3})"


def test_spec_refuses_axes_beyond_its_rank_and_non_integer_axes():
    with pytest.raises(ValueError, match=r"Axis 3 is greater than the maximum allowed value: 2"):
        InputSpec(ndim=3, axes={3: 1})
    with pytest.raises(TypeError, match=r"Argument `axes` must be a dict with integer keys"):
        InputSpec(axes={"last": 3})
