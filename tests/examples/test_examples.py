"""Every example runs to the end in a fresh directory and prints what it shows."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
EXPECTED_OUTPUT = {
    "quickstart.py": "test accuracy",
    "digits_cnn.py": "test accuracy on",
    "custom_layer.py": "predictions equal = True",
    "custom_callback.py": "best val_accuracy",
    "resume_training.py": "final weights equal to the uninterrupted run: True",
    "keras_interop.py": "lines.keras holds",
    "early_stopping_and_checkpoints.py": "restored",
    "stream_from_hdf5.py": "peak memory of the whole process",
}
RUNNABLE = sorted(
    p.name for p in EXAMPLES.glob("*.py") if p.name != "serve.py"
)  # serve.py: tests/examples/test_serve.py
SLOW = {"digits_cnn.py", "keras_interop.py", "stream_from_hdf5.py"}  # marked slow: see the marker in pyproject.toml


def test_every_example_has_an_expectation():
    assert set(RUNNABLE) <= set(EXPECTED_OUTPUT), "add the new example to EXPECTED_OUTPUT"


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in RUNNABLE]
)
def test_example_runs(name, tmp_path):
    if name == "digits_cnn.py":
        pytest.importorskip("sklearn", reason="digits_cnn.py needs scikit-learn: pip install '.[examples]'")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert EXPECTED_OUTPUT[name] in result.stdout
    if name == "digits_cnn.py":
        accuracy = float(result.stdout.split("unseen digits: ")[1].split("%")[0])
        assert accuracy >= 97.0
