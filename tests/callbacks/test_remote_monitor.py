"""`RemoteMonitor` against a real HTTP server on 127.0.0.1: the requests Keras 3 sends, recorded by
tests/fixtures/make_keras_golden_remote_monitor.py, and Keras's warning when the server is unreachable."""

import importlib.util
import inspect
import json
import pathlib
import socket
import urllib.parse

import numpy as np
import pytest

import minikeras as keras
from minikeras.callbacks import RemoteMonitor

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_golden_remote_monitor", FIXTURES / "make_keras_golden_remote_monitor.py"
)
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = json.loads((FIXTURES / "golden" / "remote_monitor.json").read_text(encoding="utf-8"))["scenarios"]


@pytest.fixture(autouse=True)
def bounded_sockets():
    """Every socket of a test gives up after 5 s, so a test cannot hang on the network."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(5.0)
    yield
    socket.setdefaulttimeout(previous)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy from the environment must not take the requests to 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_the_golden_file_covers_the_scenarios_of_its_script():
    assert set(GOLDEN) == set(golden_script.SCENARIOS) | {"unreachable", "no_scheme"}


@pytest.mark.parametrize("name", sorted(golden_script.SCENARIOS))
def test_requests_are_the_ones_keras_sends(name):
    kwargs, epochs, status = golden_script.SCENARIOS[name]
    with golden_script.RecordingServer(status) as server:
        messages = golden_script.run(RemoteMonitor, kwargs, epochs, server.root)
    assert server.requests == GOLDEN[name]["requests"]
    assert messages == GOLDEN[name]["warnings"]


def test_an_unreachable_server_gives_keras_warning_not_an_error():
    root = golden_script.unused_root()
    assert golden_script.run(RemoteMonitor, {}, [(0, {"loss": 1.0})], root) == GOLDEN["unreachable"]["warnings"]
    with pytest.warns(UserWarning, match=f"^Could not reach RemoteMonitor root server at {root}$"):
        RemoteMonitor(root=root).on_epoch_end(0, {"loss": 1.0})


def test_a_url_without_scheme_gives_keras_warning():
    assert golden_script.run(RemoteMonitor, {}, [(0, {})], "127.0.0.1:9") == GOLDEN["no_scheme"]["warnings"]


def test_the_form_carries_the_logs_as_json():
    with golden_script.RecordingServer() as server:
        RemoteMonitor(root=server.root).on_epoch_end(7, {"loss": np.float64(0.5), "acc": np.float32(0.25)})
    (request,) = server.requests
    assert json.loads(urllib.parse.parse_qs(request["body"])["data"][0]) == {"epoch": 7, "loss": 0.5, "acc": 0.25}


def test_fit_posts_each_epoch_and_goes_on_when_the_server_is_gone():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    with golden_script.RecordingServer() as server:
        history = model.fit(
            x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[RemoteMonitor(server.root, send_as_json=True)]
        )
    sent = [json.loads(request["body"]) for request in server.requests]
    assert [entry.pop("epoch") for entry in sent] == [0, 1, 2]
    for epoch, entry in enumerate(sent):
        assert entry == pytest.approx({key: values[epoch] for key, values in history.history.items()})
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[RemoteMonitor(golden_script.unused_root())])
    assert len(history.history["loss"]) == 2


def test_values_json_cannot_hold_are_errors_as_in_keras():
    with golden_script.RecordingServer() as server, pytest.raises(TypeError, match="not JSON serializable"):
        RemoteMonitor(root=server.root).on_epoch_end(0, {"weights": object()})
    assert server.requests == []


def test_keras_signature_and_export():
    assert keras.callbacks.RemoteMonitor is RemoteMonitor
    parameters = inspect.signature(RemoteMonitor).parameters
    assert {name: p.default for name, p in parameters.items()} == {
        "root": "http://localhost:9000",
        "path": "/publish/epoch/end/",
        "field": "data",
        "headers": None,
        "send_as_json": False,
    }
