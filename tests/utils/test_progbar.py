"""`minikeras.utils.Progbar` against Keras 3's output, recorded by tests/fixtures/make_keras_golden_progbar.py.

Each golden scenario is replayed on a fake clock, so the whole output, timing parts included, must
match Keras's character for character; the one real-clock run is compared with its timings normalized.
"""

import importlib.util
import io
import json
import pathlib
import re
import types

import numpy as np
import pytest

import minikeras
from minikeras.utils import Progbar
from minikeras.utils import progbar as progbar_module

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_keras_golden_progbar", FIXTURES / "make_keras_golden_progbar.py")
golden_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_script)
GOLDEN = json.loads((FIXTURES / "golden" / "progbar.json").read_text(encoding="utf-8"))["scenarios"]
FAKE_CLOCK_SCENARIOS = sorted(name for name in GOLDEN if name != "real_clock")


@pytest.fixture
def clock(monkeypatch):
    fake = golden_script.FakeClock()
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(time=fake.time))
    return fake


def test_the_golden_file_covers_the_scenarios_of_its_script():
    assert set(FAKE_CLOCK_SCENARIOS) == set(golden_script.SCENARIOS)
    assert len(FAKE_CLOCK_SCENARIOS) >= 20


@pytest.mark.parametrize("name", FAKE_CLOCK_SCENARIOS)
def test_output_matches_keras_exactly(name, clock, capsys):
    scenario = GOLDEN[name]
    golden_script.replay(Progbar, scenario["kwargs"], scenario["events"], clock)
    assert capsys.readouterr().out == scenario["output"]


def _normalize_timings(text):
    """Drop the redraw control characters and padding; replace times and ETAs by placeholders."""
    text = re.sub(r"\x08+", "", text)
    text = re.sub(r"\x1b\[1m[\d:]+s?\x1b\[0m", "<clock>", text)
    text = re.sub(r" \d+(s|ms|us)/", " <t>/", text)
    return re.sub(r" +(\r|\n|$)", r"\1", text)


def test_real_clock_output_matches_keras_up_to_timings(capsys):
    scenario = GOLDEN["real_clock"]
    golden_script.replay(Progbar, scenario["kwargs"], scenario["events"], None)
    out = capsys.readouterr().out
    assert _normalize_timings(out) == _normalize_timings(scenario["output"])
    assert "<clock> <t>/step - loss: 0.2000\n" in _normalize_timings(out)


def test_averages_are_weighted_by_the_steps_each_update_covers(clock, capsys):
    bar = Progbar(100, verbose=2)
    bar.update(10, [("loss", 2.0)])  # 10 steps at 2.0
    bar.add(60, [("loss", 1.0)])  # 60 steps at 1.0
    bar.add(20, [("loss", 0.5)])  # 20 steps at 0.5
    assert bar._average("loss") == pytest.approx((10 * 2.0 + 60 * 1.0 + 20 * 0.5) / 90)
    assert capsys.readouterr().out == ""  # verbose=2 prints only at the target
    bar.add(10, [("loss", 4.0)])  # the final update's value replaces the average, as Keras's
    assert capsys.readouterr().out.endswith(" - loss: 4.0000\n")


def test_stateful_values_are_shown_as_given(clock, capsys):
    bar = Progbar(3, verbose=2, stateful_metrics=["acc"])
    for step, (loss, acc) in enumerate([(3.0, 0.5), (2.0, 0.7), (1.0, 0.9)], start=1):
        bar.update(step, [("loss", loss), ("acc", acc)])
    assert capsys.readouterr().out == "3/3 - 0s - 0s/step - loss: 1.0000 - acc: 0.9000\n"


def test_stateless_metrics_make_the_others_stateful(clock):
    bar = Progbar(4, verbose=0, stateless_metrics=["loss"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(3, [("loss", 4.0), ("acc", 0.3)])
    assert bar._average("loss") == pytest.approx((1 * 1.0 + 2 * 4.0) / 3)
    assert bar._average("acc") == pytest.approx(0.3)


def test_array_values_are_averaged_over_their_entries(clock):
    bar = Progbar(10, verbose=0)
    bar.update(2, [("v", np.array([1.0, 3.0], dtype=np.float32))])
    bar.update(4, [("v", np.array([5.0, 7.0], dtype=np.float32))])
    assert bar._average("v") == pytest.approx(4.0)


def test_unknown_target_prints_its_count_and_no_summary_line(clock, capsys):
    bar = Progbar(None)
    clock.tick(0.5)
    bar.update(3, [("loss", 0.25)])
    assert capsys.readouterr().out == "\r      3/Unknown \x1b[1m0s\x1b[0m 167ms/step - loss: 0.2500"
    quiet = Progbar(None, verbose=2)
    quiet.update(3, [("loss", 0.25)], finalize=True)
    assert capsys.readouterr().out == ""


def test_lines_start_on_a_new_line_without_a_dynamic_display(clock, capsys):
    assert Progbar(2)._dynamic_display  # on POSIX systems, as Keras decides
    bar = Progbar(2)
    bar._dynamic_display = False  # as on Windows with output to a file
    bar.update(1)
    bar.update(2)
    lines = capsys.readouterr().out.split("\n")
    half = "\x1b[32m" + "━" * 10 + "\x1b[0m\x1b[37m" + "━" * 10 + "\x1b[0m"
    assert lines[:2] == ["", f"\x1b[1m1/2\x1b[0m {half} \x1b[1m0s\x1b[0m 0s/step"]


def test_a_stream_without_the_bar_character_gets_equals_signs(clock, monkeypatch):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(progbar_module.sys, "stdout", stream)
    Progbar(2, verbose=1).update(2)
    stream.flush()
    assert b"\x1b[32m====================\x1b[0m" in raw.getvalue()


def test_both_metric_lists_are_refused():
    with pytest.raises(ValueError, match="Only one of `stateful_metrics` or `stateless_metrics`"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_keras_signature_and_export():
    import inspect

    assert minikeras.utils.Progbar is Progbar
    assert list(inspect.signature(Progbar).parameters) == [
        "target",
        "width",
        "verbose",
        "interval",
        "stateful_metrics",
        "stateless_metrics",
        "unit_name",
    ]
    defaults = {name: p.default for name, p in inspect.signature(Progbar).parameters.items()}
    assert defaults["width"] == 20 and defaults["verbose"] == 1 and defaults["interval"] == 0.05
    assert defaults["unit_name"] == "step" and defaults["stateful_metrics"] is None
