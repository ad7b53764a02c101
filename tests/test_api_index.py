"""docs/api.md's table of every public name stays in step with the package's `__all__` lists.

After adding a public name, rewrite the table with `python tests/test_api_index.py`.
"""

import importlib
import pathlib
import re

import pytest

API_PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "api.md"
HEADING = "## Every public name"
NAMESPACES = [
    "minikeras",
    "minikeras.models",
    "minikeras.layers",
    "minikeras.activations",
    "minikeras.initializers",
    "minikeras.regularizers",
    "minikeras.losses",
    "minikeras.metrics",
    "minikeras.optimizers",
    "minikeras.optimizers.schedules",
    "minikeras.callbacks",
    "minikeras.saving",
    "minikeras.utils",
    "minikeras.config",
]
ROW = re.compile(r"^\| `([\w.]+)` \| (.*) \|$", re.M)


def public_names(namespace: str) -> list[str]:
    module = importlib.import_module(namespace)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == namespace]
    return sorted(n for n in names if not n.startswith("_"))


def table() -> str:
    rows = [f"| `{ns}` | {', '.join(f'`{n}`' for n in public_names(ns))} |" for ns in NAMESPACES]
    return "\n".join(
        [
            HEADING,
            "",
            "What each namespace exports, with Keras's names (this table is checked against the code).",
            "",
            "| Namespace | Names |",
            "| --- | --- |",
            *rows,
            "",
        ]
    )


def documented() -> dict[str, list[str]]:
    text = API_PAGE.read_text()
    section = text[text.index(HEADING) :] if HEADING in text else ""
    return {ns: re.findall(r"`(\w+)`", names) for ns, names in ROW.findall(section)}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_the_api_page_lists_every_public_name(namespace):
    assert documented().get(namespace) == public_names(namespace), "run `python tests/test_api_index.py`"


if __name__ == "__main__":
    text = API_PAGE.read_text()
    head = text[: text.index(HEADING)] if HEADING in text else text.rstrip("\n") + "\n\n"
    API_PAGE.write_text(head + table())
