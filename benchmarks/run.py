"""Run the benchmark workloads for minikeras and its peers, alternating, and print ratios.

Usage:
    python benchmarks/run.py [--repeats 3] [--systems minikeras,torch,keras-jax]
                             [--workloads cnn-train,mlp-train,cnn-predict,import]
                             [--json results.json] [--png chart.png]

Each measurement runs in a fresh process (`benchmarks/workloads.py`); repeats alternate between
systems so that a noisy moment on a shared machine hits all of them alike. The table gives the
median of the repeats and each ratio minikeras / peer (above 1: minikeras is faster; for import
time and memory, above 1 means minikeras takes less). A peer that is not installed is reported as
such and skipped. `pip install ".[bench]"` installs the peers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_SYSTEMS = ["minikeras", "torch", "keras-jax", "keras-tensorflow", "keras-torch"]
ALL_WORKLOADS = ["cnn-train", "mlp-train", "cnn-predict", "import"]
BACKEND_MODULE = {"keras-jax": "jax", "keras-tensorflow": "tensorflow", "keras-torch": "torch"}


def available(system: str) -> bool:
    if system == "minikeras":
        return True
    if system == "torch":
        return importlib.util.find_spec("torch") is not None
    return importlib.util.find_spec("keras") is not None and importlib.util.find_spec(BACKEND_MODULE[system]) is not None


def measure(system: str, workload: str) -> dict:
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "workloads.py"), system, workload], capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        raise RuntimeError(f"{system} {workload} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(systems, workloads, repeats):
    samples: dict = {}
    for repeat in range(repeats):
        for workload in workloads:
            for system in systems:
                record = measure(system, workload)
                key = (system, workload)
                samples.setdefault(key, {"value": [], "peak_rss_mb": []})
                samples[key]["value"].append(record["value"])
                samples[key]["peak_rss_mb"].append(record["peak_rss_mb"])
                print(f"  [{repeat + 1}/{repeats}] {system:17s} {workload:12s} {record['value']:12.2f} {record['unit']}", file=sys.stderr)
    return {
        f"{system}|{workload}": {
            "median": statistics.median(values["value"]),
            "values": values["value"],
            "peak_rss_mb": statistics.median(values["peak_rss_mb"]),
        }
        for (system, workload), values in samples.items()
    }


def table(results, systems, workloads) -> str:
    lines = []
    header = f"{'workload':12s} " + " ".join(f"{s:>17s}" for s in systems)
    lines.append(header)
    for workload in workloads:
        unit = "s" if workload == "import" else "samples/s"
        row = f"{workload:12s} " + " ".join(f"{results[f'{s}|{workload}']['median']:>17.3g}" for s in systems)
        lines.append(row + f"   ({unit}, median)")
    lines.append("")
    lines.append("ratios minikeras / peer (above 1: minikeras better)")
    for workload in workloads:
        mine = results[f"minikeras|{workload}"]["median"]
        ratios = []
        for peer in systems[1:]:
            theirs = results[f"{peer}|{workload}"]["median"]
            ratio = theirs / mine if workload == "import" else mine / theirs
            ratios.append(f"{peer} {ratio:.2f}x")
        lines.append(f"{workload:12s} " + ", ".join(ratios))
    if "cnn-train" in workloads:
        lines.append("")
        lines.append("peak memory of cnn-train (MB): " + ", ".join(f"{s} {results[f'{s}|cnn-train']['peak_rss_mb']:.0f}" for s in systems))
    if "import" in workloads:
        lines.append("peak memory after import (MB): " + ", ".join(f"{s} {results[f'{s}|import']['peak_rss_mb']:.0f}" for s in systems))
    return "\n".join(lines)


def chart(results, systems, workloads, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart (pip install matplotlib)", file=sys.stderr)
        return
    speed = [w for w in workloads if w != "import"]
    fig, axes = plt.subplots(1, len(speed), figsize=(4 * len(speed), 3.5))
    for ax, workload in zip(axes if len(speed) > 1 else [axes], speed):
        values = [results[f"{s}|{workload}"]["median"] for s in systems]
        ax.bar(systems, values, color=["tab:red"] + ["tab:gray"] * (len(systems) - 1))
        ax.set_title(workload)
        ax.set_ylabel("samples/s")
        ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    parser.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--png", default=None, help="draw a bar chart here (needs matplotlib)")
    args = parser.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    missing = [s for s in systems if not available(s)]
    for system in missing:
        print(f"{system}: not installed, skipped (pip install '.[bench]')", file=sys.stderr)
    systems = [s for s in systems if s not in missing]
    workloads = [w for w in args.workloads.split(",") if w]
    results = run(systems, workloads, args.repeats)
    print(table(results, systems, workloads))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"systems": systems, "workloads": workloads, "repeats": args.repeats, "results": results, "skipped": missing}, handle, indent=2)
    if args.png:
        chart(results, systems, workloads, args.png)


if __name__ == "__main__":
    main()
