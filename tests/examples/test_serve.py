"""The serving example, started as a real process on 127.0.0.1, answers real requests."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "serve.py")


@pytest.fixture
def server(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(4, 4, 1)),
            layers.Conv2D(2, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(tmp_path / "model.keras")
    process = subprocess.Popen(
        [sys.executable, EXAMPLE, str(tmp_path / "model.keras"), "--port", "0", "--max-body-bytes", "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "Serving" in line, line
        yield model, line.strip().rsplit(" ", 1)[-1].removesuffix("/predict")
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(url, body: bytes):
    request = urllib.request.Request(url + "/predict", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_prediction_requests_are_answered_with_the_models_numbers(server):
    model, url = server
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 1)).astype(np.float32)
    status, payload = post(url, json.dumps({"instances": x.tolist()}).encode())
    assert status == 200
    np.testing.assert_allclose(payload["predictions"], model.predict(x, verbose=0), rtol=1e-6)
    with urllib.request.urlopen(url + "/health", timeout=10) as response:
        assert json.loads(response.read())["input_shape"] == [None, 4, 4, 1]


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"inputs": []}', 400, '"instances"'),
        (json.dumps({"instances": [[[1.0]] * 4]}).encode(), 400, "shape [4, 4, 1]"),
        (json.dumps({"instances": [[["a"]] * 4] * 4}).encode(), 400, "numbers only"),
        (b'{"instances": [' + b"0," * 3000 + b"0]}", 413, "limit is 2000"),
    ],
    ids=["bad_json", "no_instances", "wrong_shape", "non_numeric", "too_large"],
)
def test_bad_requests_get_clear_errors_and_the_server_keeps_answering(server, body, status, message):
    model, url = server
    got_status, payload = post(url, body)
    assert got_status == status
    assert message in payload["error"]
    ok_status, _ = post(url, json.dumps({"instances": np.zeros((1, 4, 4, 1)).tolist()}).encode())
    assert ok_status == 200
