"""Run the benchmark workloads for minikeras and its peers, alternating, and print ratios.

Usage:
    python benchmarks/run.py [--repeats 3] [--systems minikeras,torch,keras-jax]
                             [--workloads cnn-train,mlp-train,cnn-predict,import]
                             [--json results.json] [--png chart.png] [--baseline ../other-checkout]

Each measurement runs in a fresh process (`benchmarks/workloads.py`); repeats alternate between
systems so that a noisy moment on a shared machine hits all of them alike. The table gives the
median of the repeats and each ratio minikeras / peer (above 1: minikeras is faster; for import
time and memory, above 1 means minikeras takes less), with, in brackets, the lowest and highest
ratio within one repeat: how far the machine's noise moves it. A peer that is not installed is
reported as such and skipped. `pip install ".[bench]"` installs the peers; benchmarks/README.md
describes the workloads and how to read the table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_SYSTEMS = ["minikeras", "numpy-floor", "torch", "keras-jax", "keras-tensorflow", "keras-torch"]
FLOOR_WORKLOADS = {"cnn-train", "mlp-train", "cnn-predict"}  # numpy-floor (numpy_floor.py) has only these
ALL_WORKLOADS = [
    "cnn-train",
    "mlp-train",
    "cnn-predict",
    "import",
    "predict-latency",
    "cold-start",
    "threads-1",
    "threads-2",
    "threads-4",
    "threads-8",
]
# Systems measured only when asked for: minikeras with its fast paths off, and another checkout
# of minikeras (`--baseline DIR`, imported through PYTHONPATH) to measure a change in one paired run.
OPTIONAL_SYSTEMS = ["minikeras-reference", "baseline"]
_baseline = {"dir": None}
LOWER_IS_BETTER = {"import", "predict-latency", "cold-start"}
UNITS = {"import": "s", "predict-latency": "ms", "cold-start": "s"}
COLD_START = {
    "floor": "import numpy, h5py",
    "minikeras": "import numpy as np, minikeras; m = minikeras.models.load_model({path!r}, compile=False); "
    "m.predict(np.zeros((1, 28, 28, 1), 'float32'), verbose=0)",
    "keras": "import numpy as np, keras; m = keras.models.load_model({path!r}, compile=False); "
    "m.predict(np.zeros((1, 28, 28, 1), 'float32'), verbose=0)",
}
_PEAK = "; import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
BACKEND_MODULE = {"keras-jax": "jax", "keras-tensorflow": "tensorflow", "keras-torch": "torch"}


def child_environment(system: str | None = None) -> dict:
    """The environment of a measurement process.

    Bytecode caching is allowed even where the caller's environment forbids it
    (PYTHONDONTWRITEBYTECODE): `pip install` compiles every package's bytecode, so users never import
    from source, but an editable install under that variable would recompile minikeras at every import
    while the peers' installed wheels stay compiled.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if system == "baseline":  # the other checkout's minikeras comes first on the path
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_baseline["dir"], env.get("PYTHONPATH")) if p)
    if system and system.startswith("keras-"):
        env["KERAS_BACKEND"] = system.split("-", 1)[1]
    return env


def available(system: str) -> bool:
    if system in ("minikeras", "numpy-floor", "minikeras-reference"):
        return True
    if system == "baseline":
        return _baseline["dir"] is not None
    if system == "torch":
        return importlib.util.find_spec("torch") is not None
    return (
        importlib.util.find_spec("keras") is not None and importlib.util.find_spec(BACKEND_MODULE[system]) is not None
    )


def cold_start(system: str, model_file: str) -> dict:
    """Whole-process seconds (and peak MB) to import, load the lines CNN from its file and predict one sample."""
    import time

    kind = "floor" if system == "floor" else ("minikeras" if system in ("minikeras", "baseline") else "keras")
    code = COLD_START[kind].format(path=model_file)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code + _PEAK], capture_output=True, text=True, env=child_environment(system), timeout=600
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{system} cold-start failed:\n{result.stderr[-3000:]}")
    return {"value": elapsed, "unit": "s", "peak_rss_mb": float(result.stdout.split()[-1])}


def measure(system: str, workload: str, model_file: str | None = None) -> dict | None:
    if workload == "cold-start":
        return cold_start(system, model_file) if system not in ("torch", "numpy-floor", "minikeras-reference") else None
    if workload.startswith("threads-") and system == "torch":
        return None
    if system == "numpy-floor" and workload not in FLOOR_WORKLOADS:
        return None
    if system == "minikeras-reference" and workload == "import":  # the switch is set after the import
        return None
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "workloads.py"), "minikeras" if system == "baseline" else system, workload],
        capture_output=True,
        text=True,
        timeout=1800,
        env=child_environment("baseline" if system == "baseline" else None),
    )
    if result.returncode != 0:
        raise RuntimeError(f"{system} {workload} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(systems, workloads, repeats):
    import tempfile

    samples: dict = {}
    model_file = None
    if "cold-start" in workloads:
        directory = tempfile.mkdtemp()
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {HERE!r}); import minikeras, workloads; "
                f"print(workloads.lines_cnn_file(minikeras, {directory!r}))",
            ],
            check=True,
            capture_output=True,
            env=child_environment(),
        )
        model_file = os.path.join(directory, "lines_cnn_minikeras.keras")
    rounds = max(repeats, 7) if "cold-start" in workloads else repeats  # cold start: a median of at least 7
    for repeat in range(rounds):
        for workload in workloads:
            if repeat >= repeats and workload != "cold-start":
                continue
            cold_systems = ["floor", *systems] if workload == "cold-start" else systems
            for system in cold_systems:
                record = measure(system, workload, model_file)
                if record is None:
                    continue
                if record.get("error"):
                    print(f"  {system} {workload} failed: {record['error'][:200]}", file=sys.stderr)
                key = (system, workload)
                samples.setdefault(key, {"value": [], "peak_rss_mb": []})
                samples[key]["value"].append(record["value"])
                samples[key]["peak_rss_mb"].append(record["peak_rss_mb"])
                print(
                    f"  [{repeat + 1}/{rounds}] {system:17s} {workload:15s} {record['value']:12.4g} {record['unit']}",
                    file=sys.stderr,
                )
    return {
        f"{system}|{workload}": {
            "median": statistics.median(values["value"]),
            "values": values["value"],
            "peak_rss_mb": statistics.median(values["peak_rss_mb"]),
        }
        for (system, workload), values in samples.items()
    }


def _ratio(mine: float, theirs: float, workload: str) -> float:
    """minikeras / peer, turned so that above 1 means minikeras is better."""
    return theirs / mine if workload in LOWER_IS_BETTER else mine / theirs


def _paired_ratios(mine: dict, theirs: dict, workload: str) -> list[float]:
    """The ratio of each repeat: the systems alternate within a repeat, so its two values met the
    same moment of a noisy machine. Empty unless both have every repeat and no failure."""
    a, b = mine.get("values", []), theirs.get("values", [])
    if len(a) != len(b) or not all(math.isfinite(v) and v > 0 for v in (*a, *b)):
        return []
    return [_ratio(x, y, workload) for x, y in zip(a, b)]


def table(results, systems, workloads) -> str:
    """The medians, then each ratio minikeras / peer (above 1: minikeras better, whatever the unit)."""
    columns = ["floor", *systems] if "cold-start" in workloads else list(systems)

    def cell(system, workload):
        entry = results.get(f"{system}|{workload}")
        return f"{entry['median']:>17.4g}" if entry else f"{'-':>17s}"

    lines = [f"{'workload':15s} " + " ".join(f"{s:>17s}" for s in columns)]
    for workload in workloads:
        unit = UNITS.get(workload, "samples/s")
        lines.append(f"{workload:15s} " + " ".join(cell(s, workload) for s in columns) + f"   ({unit}, median)")
    lines += [
        "",
        "ratios minikeras / peer (above 1: minikeras better; in brackets, the lowest and highest ratio of one "
        "repeat's pair)",
    ]
    for workload in workloads:
        mine = results.get(f"minikeras|{workload}")
        ratios = []
        for peer in [c for c in columns if c != "minikeras"]:
            theirs = results.get(f"{peer}|{workload}")
            if mine and theirs:
                ratio = _ratio(mine["median"], theirs["median"], workload)
                paired = _paired_ratios(mine, theirs, workload)
                spread = f" ({min(paired):.2f}-{max(paired):.2f})" if len(paired) > 1 else ""
                ratios.append(f"{peer} {ratio:.2f}x{spread}")
        lines.append(f"{workload:15s} " + (", ".join(ratios) or "-"))
    for workload, label in (
        ("cnn-train", "peak memory of cnn-train"),
        ("import", "peak memory after import"),
        ("cold-start", "peak memory of cold start"),
    ):
        if workload in workloads:
            peaks = ", ".join(
                f"{s} {results[f'{s}|{workload}']['peak_rss_mb']:.0f}" for s in columns if f"{s}|{workload}" in results
            )
            lines.append(f"{label} (MB): {peaks}")
    return "\n".join(lines)


def chart(results, systems, workloads, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart (pip install matplotlib)", file=sys.stderr)
        return
    speed = [w for w in workloads if w not in LOWER_IS_BETTER and f"minikeras|{w}" in results]
    fig, axes = plt.subplots(1, len(speed), figsize=(4 * len(speed), 3.5))
    for ax, workload in zip(axes if len(speed) > 1 else [axes], speed):
        shown = [s for s in systems if f"{s}|{workload}" in results]
        values = [results[f"{s}|{workload}"]["median"] for s in shown]
        ax.bar(shown, values, color=["tab:red"] + ["tab:gray"] * (len(shown) - 1))
        ax.set_title(workload)
        ax.set_ylabel("samples/s")
        ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--systems",
        default=",".join(ALL_SYSTEMS),
        help=f"comma-separated, of {ALL_SYSTEMS + OPTIONAL_SYSTEMS}; minikeras-reference runs with the fast paths off",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="the root of another minikeras checkout, measured as the system 'baseline' (added to --systems)",
    )
    parser.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--png", default=None, help="draw a bar chart here (needs matplotlib)")
    args = parser.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    if args.baseline:
        _baseline["dir"] = os.path.abspath(args.baseline)
        if "baseline" not in systems:
            systems.append("baseline")
    missing = [s for s in systems if not available(s)]
    for system in missing:
        print(f"{system}: not installed, skipped (pip install '.[bench]')", file=sys.stderr)
    systems = [s for s in systems if s not in missing]
    workloads = [w for w in args.workloads.split(",") if w]
    results = run(systems, workloads, args.repeats)
    print(table(results, systems, workloads))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {
                    "systems": systems,
                    "workloads": workloads,
                    "repeats": args.repeats,
                    "results": results,
                    "skipped": missing,
                },
                handle,
                indent=2,
            )
    if args.png:
        chart(results, systems, workloads, args.png)


if __name__ == "__main__":
    main()
