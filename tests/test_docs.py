"""Every code example in the README and the docs runs, so none can rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.py"))


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for n, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8"))):
            found.append((f"{page.relative_to(ROOT)}#{n}", match.group(1)))
    return found


@pytest.mark.parametrize(("where", "code"), _blocks(), ids=[w for w, _ in _blocks()])
def test_markdown_python_block_runs(where: str, code: str) -> None:
    exec(compile(code, where, "exec"), {"__name__": "__docs__"})


def test_readme_has_python_examples() -> None:
    assert any(where.startswith("README.md") for where, _ in _blocks())


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_script_runs(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip()


def test_decode_sample_output() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "decode_sample.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "{'token': 'café'}" in out
    assert "'line one\\nline two'" in out
    assert "last_event_id='3' retry=3000 ms" in out
    assert "never dispatched" not in out


def test_reconnect_page_shows_the_real_transition_table() -> None:
    from ssec_proto import TRANSITIONS

    text = (ROOT / "docs" / "reconnect.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z]+) \| ([A-Z_]+) \| ([A-Z]+) \|$", text, re.MULTILINE)
    table = {(state, event): target for state, event, target in rows}
    assert table == {(s.name, i.name): t.name for (s, i), t in TRANSITIONS.items()}
