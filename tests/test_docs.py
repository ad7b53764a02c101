"""Every Python code block in README.md and docs/ runs, page by page, in a fresh directory."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES_WITH_CODE = [
    page for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))] if BLOCK.search(page.read_text())
]


def test_the_pages_with_code_include_the_readme_and_the_guides():
    names = {str(page.relative_to(ROOT)) for page in PAGES_WITH_CODE}
    assert {"README.md", "docs/getting-started.md"} <= names


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[str(p.relative_to(ROOT)) for p in PAGES_WITH_CODE])
def test_code_blocks_run(page, tmp_path, monkeypatch):
    blocks = BLOCK.findall(page.read_text())
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{page.name} block {number}", "exec"), namespace)
        except Exception as error:  # report which block failed
            raise AssertionError(f"{page.name}, code block {number} failed: {error!r}") from error
