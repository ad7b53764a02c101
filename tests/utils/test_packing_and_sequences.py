"""`pad_sequences`, `normalize` and the `(x, y, sample_weight)` helpers: their rules, and Keras's answers
(`tests/interop/test_live_keras_utils.py` compares them with Keras itself)."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import utils


def test_pad_sequences_pads_and_cuts_on_the_chosen_side():
    sequences = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]
    pre = utils.pad_sequences(sequences, maxlen=4)
    assert pre.dtype == np.int32 and pre.shape == (3, 4)
    assert pre[1].tolist() == [0, 0, 4, 5] and pre[2].tolist() == [7, 8, 9, 10]  # padded and cut at the front
    post = utils.pad_sequences(sequences, maxlen=4, padding="post", truncating="post", value=-1)
    assert post[1].tolist() == [4, 5, -1, -1] and post[2].tolist() == [6, 7, 8, 9]
    assert utils.pad_sequences(sequences).shape == (3, 5)  # the longest by default


def test_pad_sequences_keeps_item_shapes_and_float_values():
    nested = utils.pad_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert nested.shape == (2, 2, 2) and nested[1].tolist() == [[0, 0], [5, 6]]
    floats = utils.pad_sequences([[1.5, 2.0], [3.0]], dtype="float32")
    assert floats.dtype == np.float32 and floats[1].tolist() == [0.0, 3.0]
    assert utils.pad_sequences([[], [3]]).tolist() == [[0], [3]]


@pytest.mark.parametrize(
    "kwargs, phrase",
    [({"padding": "middle"}, 'Padding type "middle" not understood'), ({"truncating": "x"}, 'Truncating type "x"')],
)
def test_pad_sequences_refuses_unknown_sides_with_keras_words(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        utils.pad_sequences([[1]], **kwargs)


def test_normalize_gives_unit_norm_rows_and_leaves_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    out = utils.normalize(x)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), [1.0, 0.0, 1.0])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1).__abs__().sum(axis=0), [1.0, 1.0])


def test_pack_and_unpack_are_inverse():
    x, y, w = np.ones(3), np.zeros(3), np.full(3, 2.0)
    for packed, parts in [((x,), (x, None, None)), ((x, y), (x, y, None)), ((x, y, w), (x, y, w))]:
        assert all(a is b for a, b in zip(utils.unpack_x_y_sample_weight(packed), parts))
        assert all(a is b for a, b in zip(utils.unpack_x_y_sample_weight(utils.pack_x_y_sample_weight(*packed)), parts))
    assert utils.pack_x_y_sample_weight([1, 2]) == ([1, 2],)  # a list x stays one part
    assert utils.unpack_x_y_sample_weight(x)[0] is x
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_serialization_names_are_published_under_utils_as_in_keras():
    assert utils.custom_object_scope is keras.saving.custom_object_scope
    assert utils.get_registered_name is keras.saving.get_registered_name
    assert utils.register_keras_serializable is keras.saving.register_serializable


def test_get_custom_objects_is_the_live_table():
    def halve(x):
        return x / 2

    keras.saving.get_custom_objects()["halve_for_test"] = halve
    try:
        assert keras.saving.get_registered_object("halve_for_test") is halve
    finally:
        del keras.saving.get_custom_objects()["halve_for_test"]


def test_top_level_base_classes_are_keras_names():
    assert keras.Layer is keras.layers.Layer and keras.Loss is keras.losses.Loss
    assert keras.Metric is keras.metrics.Metric and keras.Optimizer is keras.optimizers.Optimizer
    assert keras.version() == keras.__version__
