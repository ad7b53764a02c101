"""`serialize_keras_object` / `deserialize_keras_object`, `model.to_json` and `model_from_json` against the
dicts real Keras 3 writes (tests/fixtures/golden/serialization.json, made by
tests/fixtures/make_keras_golden_serialization.py), without Keras installed."""

import importlib
import importlib.util
import json
import pathlib
import sys

import numpy as np
import pytest

import minikeras
from minikeras import layers
from minikeras.saving import deserialize_keras_object, serialize_keras_object

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_serialization", FIXTURES / "make_keras_golden_serialization.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = json.loads((FIXTURES / "golden" / "serialization.json").read_text())

# Options minikeras writes that Keras 3.15 leaves out of these configs (so that Keras loses them
# on a round trip: `Huber(delta=2.0)` comes back with delta=1.0). Keras reads them back fine.
KERAS_DROPS = {
    ("keras.losses", "Huber"): {"delta"},
    ("keras.losses", "CosineSimilarity"): {"axis"},
    ("keras.metrics", "CosineSimilarity"): {"axis"},
    ("keras.initializers", "Identity"): {"gain"},
}
# Keras writes the jit_compile it resolved for its backend (True on JAX); minikeras has no JIT and writes False.
BACKEND_KEYS = {"jit_compile"}

CUSTOM = golden_script.custom_objects(minikeras)


def as_json(value):
    return json.loads(json.dumps(value))


def comparable(value):
    """`value` as JSON, without the keys of `KERAS_DROPS` and `BACKEND_KEYS`."""

    def strip(item):
        if isinstance(item, dict):
            dropped = KERAS_DROPS.get((item.get("module"), item.get("class_name")), set())
            stripped = {key: strip(inner) for key, inner in item.items() if key not in BACKEND_KEYS}
            if dropped and isinstance(stripped.get("config"), dict):
                stripped["config"] = {key: v for key, v in stripped["config"].items() if key not in dropped}
            return stripped
        if isinstance(item, list):
            return [strip(inner) for inner in item]
        return item

    return strip(as_json(value))


def make(name):
    if name == "dense_built":
        return golden_script.built_dense(minikeras)
    return golden_script.build(minikeras, golden_script.OBJECTS[name])


OBJECT_NAMES = [*golden_script.OBJECTS, "dense_built"]


# --------------------------------------------------------------------------------------- the dicts Keras writes
def test_the_golden_file_covers_every_case():
    assert set(GOLDEN["objects"]) == set(OBJECT_NAMES)
    assert set(GOLDEN["functions"]) == set(golden_script.FUNCTIONS)
    assert set(GOLDEN["models"]) == set(golden_script.models(minikeras))
    assert set(GOLDEN["errors"]) == set(golden_script.BAD_CONFIGS)


@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_objects_serialize_as_keras(name):
    assert comparable(serialize_keras_object(make(name))) == comparable(GOLDEN["objects"][name])


def test_only_the_listed_options_differ_from_keras():
    """The options of `KERAS_DROPS` are the only difference, and only where Keras's config lacks them."""
    for name in OBJECT_NAMES:
        ours, theirs = as_json(serialize_keras_object(make(name))), GOLDEN["objects"][name]
        extra = set(ours["config"]) - set(theirs["config"]) if isinstance(ours.get("config"), dict) else set()
        assert extra <= KERAS_DROPS.get((ours.get("module"), ours.get("class_name")), set()), name


@pytest.mark.parametrize("name", sorted(golden_script.FUNCTIONS))
def test_functions_serialize_as_keras(name):
    module, function = golden_script.FUNCTIONS[name]
    assert serialize_keras_object(getattr(getattr(minikeras, module), function)) == GOLDEN["functions"][name]


@pytest.mark.parametrize("name", sorted(golden_script.values()))
def test_plain_values_serialize_as_keras(name):
    value = golden_script.values()[name]
    ours = serialize_keras_object(value)
    assert as_json(ours) == GOLDEN["values"][name]["json"]
    assert repr(ours) == GOLDEN["values"][name]["repr"]  # tuples stay tuples, numpy numbers become Python's


@pytest.mark.parametrize("name", sorted(GOLDEN["models"]))
def test_models_serialize_as_keras(name):
    model = golden_script.models(minikeras)[name]
    assert comparable(serialize_keras_object(model)) == comparable(GOLDEN["models"][name])
    assert comparable(json.loads(model.to_json())) == comparable(json.loads(GOLDEN["model_json"][name]))


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_custom_objects_serialize_as_keras(name):
    obj = CUSTOM[name]
    ours = serialize_keras_object(obj)
    expected = dict(GOLDEN["custom"][name])
    if expected["module"] is None:  # Keras wrote None for its `__main__`; here the classes live in the script's module
        expected["module"] = type(obj).__module__
    assert as_json(ours) == expected


def test_a_subclass_of_a_registered_class_is_not_registered():
    registered = CUSTOM["registered_layer"]

    class Wider(type(registered)):
        pass

    entry = serialize_keras_object(Wider(2, name="w"))
    assert entry["registered_name"] == "Wider"
    assert minikeras.saving.get_registered_name(Wider) == "Wider"
    assert minikeras.saving.get_registered_name(type(registered)) == "golden>wide_dense"


# ------------------------------------------------------------------------------------ reading Keras's dicts back
@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_keras_dicts_deserialize_to_the_same_object(name):
    obj = deserialize_keras_object(GOLDEN["objects"][name])
    assert type(obj) is type(make(name))
    assert comparable(serialize_keras_object(obj)) == comparable(GOLDEN["objects"][name])


@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_minikeras_dicts_round_trip(name):
    entry = serialize_keras_object(make(name))
    again = deserialize_keras_object(json.loads(json.dumps(entry)))
    assert as_json(serialize_keras_object(again)) == as_json(entry)


def test_a_built_layer_comes_back_built():
    layer = deserialize_keras_object(GOLDEN["objects"]["dense_built"])
    assert layer.built and [w.shape for w in layer.get_weights()] == [(3, 2), (2,)]


def test_a_learning_rate_schedule_comes_back_inside_its_optimizer():
    optimizer = deserialize_keras_object(GOLDEN["objects"]["optimizer_adam_schedule"])
    schedule = optimizer.get_config()["learning_rate"]
    assert schedule["class_name"] == "ExponentialDecay"
    assert schedule["config"]["decay_steps"] == 10


@pytest.mark.parametrize("name", sorted(golden_script.FUNCTIONS))
def test_keras_function_entries_give_minikeras_functions(name):
    module, function = golden_script.FUNCTIONS[name]
    found = deserialize_keras_object(GOLDEN["functions"][name])
    assert serialize_keras_object(found) == GOLDEN["functions"][name]
    if function not in ("swish", "hard_swish"):  # aliases: Keras writes their canonical names
        assert found is getattr(getattr(minikeras, module), function)


@pytest.mark.parametrize("name", sorted(golden_script.values()))
def test_plain_values_deserialize(name):
    value = golden_script.values()[name]
    back = deserialize_keras_object(GOLDEN["values"][name]["json"])
    if isinstance(value, np.ndarray) and value.ndim > 0:
        assert back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    elif name == "dict_of_arrays":
        assert back["w"].dtype == np.float64 and back["w"].shape == (2, 2)
    else:
        assert as_json(serialize_keras_object(back)) == GOLDEN["values"][name]["json"]
    if name == "tuple":
        assert back == [1, 2]  # as in Keras: a list comes back


@pytest.mark.parametrize("name", sorted(GOLDEN["models"]))
def test_keras_model_json_rebuilds_the_model(name):
    model = minikeras.models.model_from_json(GOLDEN["model_json"][name])
    assert isinstance(model, minikeras.Sequential)
    assert comparable(json.loads(model.to_json())) == comparable(json.loads(GOLDEN["model_json"][name]))
    assert model.compiled == bool(GOLDEN["models"][name]["compile_config"])  # compiled when it says so, as Keras


def test_a_model_round_trips_through_json_and_predicts_alike():
    model = golden_script.models(minikeras)["cnn"]
    again = minikeras.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 2)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert again.to_json() == model.to_json()


def test_a_compiled_model_round_trips_its_compile_arguments():
    model = minikeras.models.model_from_json(golden_script.models(minikeras)["compiled"].to_json())
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    assert type(model.loss).__name__ == "CategoricalCrossentropy" and model.loss.label_smoothing == 0.1


def test_function_metrics_and_weighted_metrics_round_trip_and_train():
    model = minikeras.Sequential([minikeras.Input((3,)), layers.Dense(2, name="d")], name="m")
    model.compile(
        optimizer="sgd", loss="mse", metrics=[minikeras.metrics.binary_accuracy, "mae"], weighted_metrics=["mse"]
    )
    text = model.to_json()
    assert json.loads(text)["compile_config"]["metrics"][0] == GOLDEN["functions"]["metric_binary_accuracy"]
    again = minikeras.models.model_from_json(text)
    assert again.to_json() == text
    history = again.fit(np.zeros((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "binary_accuracy", "mae", "mse"}


def test_to_json_passes_its_arguments_to_json_dumps():
    model = golden_script.models(minikeras)["mlp"]
    assert model.to_json(indent=2, sort_keys=True) == json.dumps(json.loads(model.to_json()), indent=2, sort_keys=True)
    with pytest.raises(TypeError):
        model.to_json(bogus=1)


def test_model_from_json_reads_keras_2_json():
    legacy = {
        "class_name": "Sequential",
        "config": {
            "name": "old",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32"}},
                {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "relu"}},
            ],
        },
        "keras_version": "2.13.1",
        "backend": "tensorflow",
    }
    model = minikeras.models.model_from_json(json.dumps(legacy))
    assert model.input_shape == (None, 4) and model.layers[0].units == 2


def test_keras_internal_module_paths_and_old_function_entries():
    dense = deserialize_keras_object(
        {
            "module": "keras.src.layers.core.dense",
            "class_name": "Dense",
            "config": {"units": 2},
            "registered_name": None,
        }
    )
    assert isinstance(dense, layers.Dense)
    relu = deserialize_keras_object(
        {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": "relu"}
    )
    assert relu is minikeras.activations.relu
    # Keras <= 3.6 wrote a registered function by its bare name.
    halve = deserialize_keras_object(
        {"module": "builtins", "class_name": "function", "config": "halve", "registered_name": "function"}
    )
    assert halve is CUSTOM["registered_function"]


def test_a_dtype_policy_entry_gives_the_dtype_name():
    assert deserialize_keras_object(GOLDEN["objects"]["dense_float64"]["config"]["dtype"]) == "float64"
    with pytest.raises(ValueError, match="mixed_float16"):
        deserialize_keras_object(minikeras.saving.keras_form.dtype_policy("mixed_float16"))


# ------------------------------------------------------------------------------------------------ custom objects
@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_keras_custom_entries_find_the_registered_objects(name):
    entry = GOLDEN["custom"][name]
    if name.startswith("unregistered"):
        with pytest.raises(TypeError, match="Could not locate"):
            deserialize_keras_object(entry)
        key = entry["config"] if entry["class_name"] == "function" else entry["registered_name"]
        obj = deserialize_keras_object(entry, custom_objects={key: CUSTOM[name]})
    else:
        obj = deserialize_keras_object(entry)
    if callable(CUSTOM[name]) and not hasattr(CUSTOM[name], "get_config"):
        assert obj is CUSTOM[name]
    else:
        assert type(obj) is type(CUSTOM[name])
        assert obj.get_config() == CUSTOM[name].get_config()


def test_custom_objects_argument_and_scope():
    class Doubled(layers.Dense):
        pass

    entry = serialize_keras_object(Doubled(2, name="x"))
    assert entry["registered_name"] == "Doubled"
    with pytest.raises(TypeError, match="Could not locate class 'Doubled'"):
        deserialize_keras_object(entry)
    assert type(deserialize_keras_object(entry, custom_objects={"Doubled": Doubled})) is Doubled
    with minikeras.saving.custom_object_scope({"Doubled": Doubled}):
        assert type(deserialize_keras_object(entry)) is Doubled
    # A name given as a plain string is a custom object when one has that name, else stays a string.
    assert deserialize_keras_object("Doubled", custom_objects={"Doubled": Doubled}) is Doubled
    assert deserialize_keras_object("Doubled") == "Doubled"


def test_a_model_with_a_custom_layer_round_trips_through_json():
    wide = type(CUSTOM["registered_layer"])
    model = minikeras.Sequential([minikeras.Input((3,)), wide(2, width=2, name="w"), layers.Dense(1, name="d")])
    text = model.to_json()
    assert json.loads(text)["config"]["layers"][1]["registered_name"] == "golden>wide_dense"
    again = minikeras.models.model_from_json(text)
    assert type(again.layers[0]) is wide and again.layers[0].units == 4
    assert again.to_json() == text


def test_module_objects_keras_legacy_lookup():
    table = {"Zeros": minikeras.initializers.Zeros, "relu": minikeras.activations.relu}
    assert isinstance(deserialize_keras_object("Zeros", module_objects=table), minikeras.initializers.Zeros)
    assert deserialize_keras_object({"class_name": "Zeros", "config": {}}, module_objects=table).get_config() == {}
    assert deserialize_keras_object("relu", module_objects=table) is minikeras.activations.relu
    assert deserialize_keras_object("unknown", module_objects=table) == "unknown"


# ------------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("name", sorted(golden_script.BAD_CONFIGS))
def test_bad_configs_raise_keras_exception_and_phrase(name):
    config, phrase = golden_script.BAD_CONFIGS[name]
    expected = {"TypeError": TypeError, "ValueError": ValueError}[GOLDEN["errors"][name]["type"]]
    with pytest.raises(expected) as caught:
        deserialize_keras_object(config)
    assert phrase in str(caught.value)
    assert phrase in GOLDEN["errors"][name]["message"]


def test_a_lambda_is_refused_even_outside_safe_mode():
    config, phrase = golden_script.BAD_CONFIGS["lambda"]
    with pytest.raises(ValueError, match=phrase):
        deserialize_keras_object(config, safe_mode=False)
    with pytest.raises(ValueError, match="lambda"):
        serialize_keras_object(lambda x: x)


def test_a_config_never_imports_the_module_it_names(monkeypatch):
    def refuse(name, *args, **kwargs):
        raise AssertionError(f"deserialize_keras_object imported {name}")

    monkeypatch.setattr(importlib, "import_module", refuse)
    monkeypatch.delitem(sys.modules, "this", raising=False)
    for module, class_name in [("this", "Anything"), ("keras.src.nope", "Dense"), ("minikeras.fast.plan", "plan")]:
        with pytest.raises((TypeError, ValueError)):
            deserialize_keras_object(
                {"module": module, "class_name": class_name, "config": {}, "registered_name": None}
            )
    assert "this" not in sys.modules


def test_serializing_what_keras_cannot_serialize_either():
    with pytest.raises(TypeError, match="Cannot serialize object"):
        serialize_keras_object(np.dtype("float32"))  # Keras 3 writes no numpy dtype objects either
    with pytest.raises(TypeError, match="Cannot serialize object"):
        serialize_keras_object(object())

    class BadConfig:
        def get_config(self):
            return [1]

    with pytest.raises(TypeError, match="should return a dict"):
        serialize_keras_object(BadConfig())


def test_unparseable_configs():
    with pytest.raises(TypeError, match="Could not parse config"):
        deserialize_keras_object(object())
    with pytest.raises(json.JSONDecodeError):
        minikeras.models.model_from_json("{not json")
    with pytest.raises(ValueError, match="Unknown `config` as a `dict`"):
        deserialize_keras_object({"config": {}}, module_objects={})
    # A dict without both class_name and config is a plain dict, as in Keras.
    assert deserialize_keras_object({"class_name": "Dense"}) == {"class_name": "Dense"}


def test_an_unsupported_keras_option_is_refused_by_name():
    entry = as_json(GOLDEN["objects"]["dense"])
    entry["config"]["kernel_constraint"] = {"module": "keras.constraints", "class_name": "NonNeg", "config": {}}
    with pytest.raises(ValueError, match="kernel_constraint"):
        deserialize_keras_object(entry)


# --------------------------------------------------------------------------------------------------------- names
def test_the_api_is_published_where_keras_publishes_it():
    for name in (
        "serialize_keras_object",
        "deserialize_keras_object",
        "register_keras_serializable",
        "get_registered_name",
        "get_registered_object",
        "get_custom_objects",
        "custom_object_scope",
        "CustomObjectScope",
    ):
        assert getattr(minikeras.saving, name) is getattr(minikeras.utils, name), name
    assert minikeras.models.model_from_json is not None
    assert "golden>halve" in minikeras.saving.get_custom_objects()
