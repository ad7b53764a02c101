"""Live serialization round trips with real Keras 3 (runs when the `interop` extra is installed): Keras reads
the dicts and JSON minikeras writes, minikeras reads Keras's, and both write the same dicts (tuples included)."""

import importlib.util
import json
import os
import pathlib
import re

import numpy as np
import pytest

import minikeras

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip(
    "keras", reason="Keras 3 is not installed: pip install '.[interop]' to run the live Keras round trips"
)
if int(keras.__version__.split(".")[0]) < 3:
    pytest.skip("these tests need Keras 3: pip install '.[interop]'", allow_module_level=True)

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_serialization_live", FIXTURES / "make_keras_golden_serialization.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)

# As in tests/saving/test_serialization_api.py: options Keras leaves out, and the backend's jit_compile.
KERAS_DROPS = {
    ("keras.losses", "Huber"): {"delta"},
    ("keras.losses", "CosineSimilarity"): {"axis"},
    ("keras.metrics", "CosineSimilarity"): {"axis"},
    ("keras.initializers", "Identity"): {"gain"},
}


def comparable(value):
    """`value` without the options of `KERAS_DROPS` and `jit_compile`, its tuples kept as tuples."""
    if isinstance(value, dict):
        dropped = KERAS_DROPS.get((value.get("module"), value.get("class_name")), set())
        stripped = {key: comparable(item) for key, item in value.items() if key != "jit_compile"}
        if dropped and isinstance(stripped.get("config"), dict):
            stripped["config"] = {key: item for key, item in stripped["config"].items() if key not in dropped}
        return stripped
    if isinstance(value, (list, tuple)):
        return type(value)(comparable(item) for item in value)
    return value


ours = minikeras.saving.serialize_keras_object
theirs = keras.saving.serialize_keras_object
OBJECT_NAMES = sorted(golden_script.OBJECTS)
MK_CUSTOM = golden_script.custom_objects(minikeras)
KERAS_CUSTOM = golden_script.custom_objects(keras)


def unnumbered(entry, reference):
    """`entry` with Keras's numbered default name ("precision_3", as other tests made precisions before)
    replaced by `reference`'s name when that is the same name unnumbered."""
    name, base = entry["config"].get("name"), reference["config"].get("name")
    if isinstance(name, str) and isinstance(base, str) and re.fullmatch(rf"{re.escape(base)}_\d+", name):
        return {**entry, "config": {**entry["config"], "name": base}}
    return entry


@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_both_write_the_same_dict(name):
    spec = golden_script.OBJECTS[name]
    mine = ours(golden_script.build(minikeras, spec))
    assert comparable(mine) == comparable(unnumbered(theirs(golden_script.build(keras, spec)), mine))


@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_keras_reads_minikeras_dicts(name):
    entry = ours(golden_script.build(minikeras, golden_script.OBJECTS[name]))
    obj = keras.saving.deserialize_keras_object(json.loads(json.dumps(entry)))
    assert comparable(as_json(theirs(obj))) == comparable(as_json(entry))


@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_minikeras_reads_keras_dicts(name):
    entry = theirs(golden_script.build(keras, golden_script.OBJECTS[name]))
    obj = minikeras.saving.deserialize_keras_object(entry)
    assert comparable(ours(obj)) == comparable(entry)


def as_json(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("name", sorted(golden_script.FUNCTIONS))
def test_functions_cross_over(name):
    module, function = golden_script.FUNCTIONS[name]
    entry = ours(getattr(getattr(minikeras, module), function))
    assert entry == theirs(getattr(getattr(keras, module), function))
    assert keras.saving.deserialize_keras_object(entry).__name__ == entry["config"]


@pytest.mark.parametrize("name", sorted(golden_script.values()))
def test_values_cross_over(name):
    value = golden_script.values()[name]
    assert repr(ours(value)) == repr(theirs(value))
    back = keras.saving.deserialize_keras_object(as_json(ours(value)))
    mine = minikeras.saving.deserialize_keras_object(as_json(ours(value)))
    assert repr(back) == repr(mine)


@pytest.mark.parametrize("name", sorted(MK_CUSTOM))
def test_custom_objects_cross_over(name):
    entry = ours(MK_CUSTOM[name])
    expected = theirs(KERAS_CUSTOM[name])
    assert {**entry, "module": None} == {**expected, "module": None}  # each library's classes live in its own module
    key = entry["config"] if entry["class_name"] == "function" else entry["registered_name"]
    unregistered = name.startswith("unregistered")
    obj = keras.saving.deserialize_keras_object(
        entry, custom_objects={key: KERAS_CUSTOM[name]} if unregistered else None
    )
    back = minikeras.saving.deserialize_keras_object(
        expected, custom_objects={key: MK_CUSTOM[name]} if unregistered else None
    )
    if hasattr(KERAS_CUSTOM[name], "get_config"):
        assert type(obj) is type(KERAS_CUSTOM[name]) and obj.get_config() == KERAS_CUSTOM[name].get_config()
        assert type(back) is type(MK_CUSTOM[name]) and back.get_config() == MK_CUSTOM[name].get_config()
    else:
        assert obj is KERAS_CUSTOM[name] and back is MK_CUSTOM[name]


def _same_weights(source, target):
    target.set_weights([np.asarray(w) for w in source.get_weights()])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mlp", "cnn", "pooled", "flat", "global_max", "compiled"])
def test_model_json_crosses_over_and_predicts_alike(name):
    mk_model = golden_script.models(minikeras)[name]
    k_model = keras.models.model_from_json(mk_model.to_json())
    assert comparable(json.loads(k_model.to_json())) == comparable(json.loads(mk_model.to_json()))
    _same_weights(mk_model, k_model)
    x = np.random.default_rng(0).normal(size=(4, *mk_model.input_shape[1:])).astype("float32")
    np.testing.assert_allclose(np.asarray(k_model.predict(x, verbose=0)), mk_model.predict(x, verbose=0), atol=1e-5)

    k_source = golden_script.models(keras)[name]
    mk_again = minikeras.models.model_from_json(k_source.to_json())
    assert comparable(json.loads(mk_again.to_json())) == comparable(json.loads(k_source.to_json()))
    _same_weights(k_source, mk_again)
    np.testing.assert_allclose(mk_again.predict(x, verbose=0), np.asarray(k_source.predict(x, verbose=0)), atol=1e-5)
    assert mk_again.compiled == k_model.compiled == (name == "compiled")


def test_keras_reads_a_whole_model_dict_with_a_custom_layer():
    wide_mk, wide_k = type(MK_CUSTOM["registered_layer"]), type(KERAS_CUSTOM["registered_layer"])
    mk_model = minikeras.Sequential([minikeras.Input((3,), name="in"), wide_mk(2, width=2, name="w")], name="m")
    k_model = keras.saving.deserialize_keras_object(ours(mk_model))
    assert type(k_model.layers[0]) is wide_k and k_model.layers[0].units == 4
    back, entry = as_json(theirs(k_model)), as_json(ours(mk_model))
    assert back["config"]["layers"][1].pop("module") == wide_k.__module__
    assert entry["config"]["layers"][1].pop("module") == wide_mk.__module__  # each library's class, its own module
    assert comparable(back) == comparable(entry)
