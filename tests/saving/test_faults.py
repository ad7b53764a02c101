"""Damaged files and crashes: flipped bytes give clean errors, a kill during save loses nothing."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import minikeras as keras


def flipped_copies(data: bytes, count: int, seed: int):
    """Yield `count` copies of `data`, each with one to seven random bytes replaced."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        damaged = bytearray(data)
        for _ in range(rng.integers(1, 8)):
            damaged[rng.integers(len(damaged))] = rng.integers(256)
        yield bytes(damaged)


def test_flipping_bytes_in_a_saved_file_gives_only_clean_errors(tmp_path, trained_model):
    trained_model.save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    outcomes = {"refused": 0, "loaded": 0}
    for damaged in flipped_copies(data, 300, seed=0):
        (tmp_path / "fuzz.h5").write_bytes(damaged)
        try:
            model = keras.models.load_model(tmp_path / "fuzz.h5")
        except (ValueError, OSError):
            outcomes["refused"] += 1
            continue
        # Only flips in the unused padding of the seal's block can leave the file as it was.
        outcomes["loaded"] += 1
        for a, b in zip(model.get_weights(), trained_model.get_weights()):
            np.testing.assert_array_equal(a, b)
    assert outcomes["refused"] > 250


FUZZ_UNSEALED = textwrap.dedent(
    """
    import sys, numpy as np, minikeras as keras
    sys.path.insert(0, {tests!r})
    from test_faults import flipped_copies
    data = open({src!r}, "rb").read()
    clean = 0
    for damaged in flipped_copies(data, 300, seed=11):
        open({dst!r}, "wb").write(damaged)
        try:
            keras.models.load_model({dst!r})
        except (ValueError, OSError):
            pass
        clean += 1
    print("clean", clean)
    """
)


def test_the_parser_handles_damaged_unsealed_files_in_a_child_process(tmp_path, trained_model):
    """Files Keras wrote carry no seal: their damage reaches the HDF5 parser itself.

    Run in a child so that an interpreter crash would fail this test instead of the run.
    """
    from test_hostile_files import unsealed_copy

    trained_model.save(tmp_path / "sealed.h5")
    unsealed_copy(tmp_path / "sealed.h5", tmp_path / "plain.h5")
    script = FUZZ_UNSEALED.format(
        tests=os.path.dirname(__file__), src=str(tmp_path / "plain.h5"), dst=str(tmp_path / "f.h5")
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "clean 300" in result.stdout


SAVE_FOREVER = textwrap.dedent(
    """
    import sys, numpy as np, minikeras as keras
    from minikeras import layers
    model = keras.Sequential([keras.Input(shape=(1000,)), layers.Dense(4000), layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    version = 0
    while True:
        version += 1
        model.set_weights([np.full(w.shape, version, dtype=np.float32) for w in model.get_weights()])
        print(version, flush=True)  # about to save this version
        model.save(sys.argv[1])
    """
)


@pytest.mark.slow
def test_a_process_killed_during_save_leaves_the_previous_file_loadable(tmp_path):
    path = tmp_path / "model.h5"
    rng = np.random.default_rng(0)
    interrupted_saves = 0
    for attempt in range(4):
        child = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            announced = [int(child.stdout.readline()) for _ in range(2)]  # version 1 saved, version 2 being saved
            time.sleep(rng.uniform(0.0, 0.05))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        announced += [int(line) for line in child.stdout.read().split()]
        leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        interrupted_saves += bool(leftovers)
        for name in leftovers:
            os.remove(tmp_path / name)
        model = keras.models.load_model(path)
        values = {float(v) for w in model.get_weights() for v in np.unique(w)}
        assert len(values) == 1, f"attempt {attempt}: a mix of versions {values}"
        # The last announced version was being saved: the file holds it complete, or the one before.
        assert values.pop() in (announced[-1] - 1, announced[-1])
    assert interrupted_saves >= 1, "no kill landed inside a save; the test proved nothing"
