"""Every code example in the README and the docs runs, so none can rot.

Each ```python (or ```py) block of README.md and docs/**/*.md is executed as it
is written, in a fresh namespace, with nothing skipped. Examples that need a
server connect to ``http://127.0.0.1:8000``, where the reader runs
``docs/examples/server.py``; the tests start that same script on a free port
and change only the port in the code before running it. A block followed by a
```text title="Output" block must print exactly that. Other tests tie the
pages to the code they describe: the reconnect diagram and tables, the
benchmark figures, the README's commands, the nav and the API reference.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import importlib
import importlib.util
import inspect
import io
import os
import re
import select
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("**/*.md"))]
SERVER_SCRIPT = DOCS / "examples" / "server.py"
#: Scripts that run on their own; those that follow the example server run as
#: the page blocks that include them (see SNIPPET).
EXAMPLES = sorted(
    p
    for p in (DOCS / "examples").glob("*.py")
    if p != SERVER_SCRIPT and "127.0.0.1:8000" not in p.read_text(encoding="utf-8")
)

#: Where the examples find docs/examples/server.py (its default port).
EXAMPLE_AUTHORITY = "127.0.0.1:8000"
PYTHON = {"python", "py"}
#: The longest an example may run: a hung one fails instead of blocking the suite.
EXAMPLE_TIMEOUT = 30.0

FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.DOTALL | re.MULTILINE
)
OUTPUT_INFO = re.compile(r'^text\s+title="Output"\s*$')

README_INSTALL = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/ssec-proto demo"
)
README_TEST = ".venv/bin/python -bb -m pytest"


@dataclasses.dataclass(frozen=True)
class Fence:
    page: Path
    index: int  # among the page's fences
    info: str
    body: str
    end: int  # offset just after the closing fence
    start: int

    @property
    def language(self) -> str:
        return self.info.split(maxsplit=1)[0] if self.info.strip() else ""

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}#{self.index}"


#: A pymdownx.snippets line: the page shows that file (paths from the root).
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


def _fences(page: Path) -> list[Fence]:
    text = page.read_text(encoding="utf-8")
    return [
        Fence(page, n, m.group("info").strip(), _expand(m.group("body")), m.end(), m.start())
        for n, m in enumerate(FENCE.finditer(text))
    ]


def _expand(body: str) -> str:
    return SNIPPET.sub(lambda m: (ROOT / m.group(1)).read_text(encoding="utf-8"), body)


def _examples() -> list[tuple[str, str, str | None]]:
    """Every Python block: (where, code, the output it must print or None)."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        fences = _fences(page)
        for n, fence in enumerate(fences):
            if fence.language not in PYTHON:
                continue
            following = fences[n + 1] if n + 1 < len(fences) else None
            output = None
            if (
                following is not None
                and OUTPUT_INFO.match(following.info)
                and not text[fence.end : following.start].strip()
            ):
                output = following.body
            found.append((fence.where, fence.body, output))
    return found


EXAMPLE_BLOCKS = _examples()


@pytest.fixture(scope="module")
def example_server() -> Any:
    """docs/examples/server.py on a free port; yields its ``host:port``."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER_SCRIPT), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 10.0)
        assert ready, "docs/examples/server.py did not start within 10 s"
        line = proc.stdout.readline()
        match = re.fullmatch(r"serving on http://(127\.0\.0\.1:\d+)\n", line)
        assert match, f"unexpected first line from the example server: {line!r}"
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a hung server
            proc.kill()
            proc.communicate(timeout=5)


def _run_bounded(code: str, where: str) -> str:
    """Execute ``code`` as a script in a worker thread; return what it printed."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            exec(compile(code, where, "exec"), {"__name__": "__main__"})
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        worker = threading.Thread(target=target, name=f"example {where}", daemon=True)
        worker.start()
        worker.join(EXAMPLE_TIMEOUT)
    if worker.is_alive():  # a hung example
        pytest.fail(f"{where} did not finish within {EXAMPLE_TIMEOUT} s")
    if "error" in result:
        raise result["error"]
    return out.getvalue()


@pytest.mark.parametrize(
    ("where", "code", "output"), EXAMPLE_BLOCKS, ids=[w for w, _, _ in EXAMPLE_BLOCKS]
)
def test_python_block_runs(where: str, code: str, output: str | None, example_server: str) -> None:
    urls = set(re.findall(r"\bhttps?://[^\s\"'/)]+", code))
    assert urls <= {f"http://{EXAMPLE_AUTHORITY}"}, f"{where}: only the example server, not {urls}"
    if re.search(r"\basync def\b|\bawait\b", code):
        # An async example must run its coroutine, not just define it.
        assert re.search(r"^(asyncio|trio)\.run\(", code, re.MULTILINE), where
    printed = _run_bounded(code.replace(EXAMPLE_AUTHORITY, example_server), where)
    if output is not None:
        assert printed == output


def test_every_fence_says_what_it_holds() -> None:
    # An untagged or indented fence would hide a Python example from the tests.
    for page in PAGES:
        for fence in _fences(page):
            assert fence.language, f"{fence.where}: give the fence a language"
            assert fence.language not in {"pycon", "python3", "py3"}, fence.where
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"^[ \t]+```", text, re.MULTILINE), f"{page}: indented fence"


def test_output_blocks_follow_an_example() -> None:
    outputs = sum(1 for _, _, output in EXAMPLE_BLOCKS if output is not None)
    declared = sum(1 for page in PAGES for f in _fences(page) if OUTPUT_INFO.match(f.info))
    assert outputs == declared > 0


def test_readme_has_an_example_per_driver() -> None:
    readme = [code for where, code, _ in EXAMPLE_BLOCKS if where.startswith("README.md")]
    for needle in (
        "from ssec_proto import Decoder",
        "from ssec_proto.adapters.httpx import connect",
        "from ssec_proto.adapters.httpx import aconnect",
        "from ssec_proto.adapters.aiohttp import aconnect",
        "from ssec_proto.adapters.requests import connect",
    ):
        assert sum(needle in code for code in readme) == 1, needle


def test_readme_commands_are_the_ones_ci_runs() -> None:
    readme = _fences(ROOT / "README.md")
    commands = [f.body.strip() for f in readme if f.language in {"sh", "console"}]
    assert commands == [README_INSTALL, README_TEST]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(rf"^\s*{re.escape(README_TEST)}\b", ci, re.MULTILINE)
    assert re.search(r"-m venv \.venv\b", ci)
    assert ".venv/bin/pip install" in ci
    assert ".venv/bin/ssec-proto demo" in ci
    assert "mkdocs build --strict" in ci


def test_readme_demo_command_runs() -> None:
    # What `.venv/bin/ssec-proto demo` runs: the [project.scripts] entry point.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # no tomllib on 3.10
    section = r"^\[project\.scripts\]\n(?:[^\[\n].*\n|\n)*?"
    entry = re.search(section + r'ssec-proto = "([\w.]+):(\w+)"', pyproject, re.MULTILINE)
    assert entry, "pyproject.toml has no [project.scripts] ssec-proto entry"
    module, function = entry.groups()
    launcher = (
        f"import sys; from {module} import {function} as main; "
        f"sys.argv = ['ssec-proto', 'demo']; sys.exit(main())"
    )
    result = subprocess.run(
        [sys.executable, "-c", launcher], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_script_runs(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip()


def test_decode_sample_output() -> None:
    out = subprocess.run(
        [sys.executable, str(DOCS / "examples" / "decode_sample.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "{'token': 'café'}" in out
    assert "'line one\\nline two'" in out
    assert "last_event_id='3' retry=3000 ms" in out
    assert "never dispatched" not in out


# --- the reconnect page against the policy -------------------------------------------


def _transitions() -> dict[tuple[str, str], str]:
    from ssec_proto.driver import TRANSITIONS

    return {(s.name, i.name): t.name for (s, i), t in TRANSITIONS.items()}


def test_reconnect_page_shows_the_real_transition_table() -> None:
    text = (DOCS / "reconnect.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z]+) \| ([A-Z_]+) \| ([A-Z]+) \|$", text, re.MULTILINE)
    table = {(state, event): target for state, event, target in rows}
    assert len(rows) == len(table)
    assert table == _transitions()


def test_reconnect_page_draws_the_real_state_machine() -> None:
    # The picture is a file of the site, drawn from TRANSITIONS by
    # docs/make_state_diagram.py: no script from a CDN is needed to see it.
    script = DOCS / "make_state_diagram.py"
    spec = importlib.util.spec_from_file_location("make_state_diagram", script)
    assert spec is not None
    assert spec.loader is not None
    drawing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drawing)
    svg = drawing.OUT.read_text(encoding="utf-8")
    assert svg == drawing.draw(), "run: .venv/bin/python docs/make_state_diagram.py"
    text = (DOCS / "reconnect.md").read_text(encoding="utf-8")
    assert "](img/reconnect-states.svg)" in text
    assert "mermaid" not in text
    shown = set(re.findall(r">([A-Z_]+)</tspan>", svg))
    table = _transitions().items()
    assert shown == {name for (state, event), target in table for name in (state, event, target)}


def _shown_default(cell: str) -> object:
    cell = cell.strip().strip("`")
    if cell in {"None", "False", "True"}:
        return {"None": None, "False": False, "True": True}[cell]
    if re.fullmatch(r"\d+(, \d+)+", cell):
        return frozenset(int(n) for n in cell.split(", "))
    number = re.fullmatch(r"([\d.]+)( s| bytes)?", cell)
    assert number, f"unreadable default {cell!r}"
    return float(number.group(1))


def test_reconnect_page_shows_the_real_defaults() -> None:
    from ssec_proto import ReconnectConfig

    text = (DOCS / "reconnect.md").read_text(encoding="utf-8")
    shown = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", text, re.MULTILINE))
    defaults = {f.name: f.default for f in dataclasses.fields(ReconnectConfig)}
    assert set(shown) >= set(defaults)
    for name, default in defaults.items():
        assert _shown_default(shown[name]) == default, name


# --- the comparison page against the benchmark record ----------------------------------

BENCH_SUMMARY = re.compile(
    r"<!-- bench-summary:start -->\n(.*?)<!-- bench-summary:end -->", re.DOTALL
)
SUMMARY_TABLE = re.compile(r"^\| workload \| 1 MiB .*?(?=\n\n|\n?\Z)", re.DOTALL | re.MULTILINE)
#: A cell's verdict on the goal (issue 14: met by the ratio, or at the physical floor).
GOAL_NOTE = re.compile(r" \((?:goal met|at the floor: \d+% of it)\)")


def _summary_table(text: str) -> str:
    match = SUMMARY_TABLE.search(text)
    assert match, "no 'Ours vs the fastest correct peer' table"
    return match.group(0).strip()


def test_comparison_page_has_the_latest_benchmark_figures() -> None:
    page = (DOCS / "comparison.md").read_text(encoding="utf-8")
    (region,) = BENCH_SUMMARY.findall(page)
    bench = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    latest = bench.split("<!-- latest-figures:start -->", 1)[1]
    latest = latest.split("#### Ours vs the fastest correct peer", 1)[1]
    # The same figures; only benchmarks/README.md marks the project's goals.
    assert _summary_table(region) == GOAL_NOTE.sub("", _summary_table(latest))
    assert "goal" not in region.lower()
    # The run the table came from: its date, interpreter and command.
    for label in ("Date", "Interpreter", "Command"):
        line = re.search(rf"^- {label}: (.*)$", bench, re.MULTILINE)
        assert line, label
        value = line.group(1).split(";")[0]
        if label == "Interpreter":
            value = value.split(" (")[0]
        assert value in region, label


# --- the site's structure ------------------------------------------------------------------


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1]
    return re.findall(r":\s+([\w./-]+\.md)\s*$", nav, re.MULTILINE)


def test_every_page_is_in_the_nav_once() -> None:
    nav = _nav_pages()
    assert len(nav) == len(set(nav))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.glob("**/*.md")}
    assert set(nav) == on_disk | {"cli.md"}


def test_api_reference_covers_the_public_api() -> None:
    import ssec_proto

    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: ([\w.]+)$", text, re.MULTILINE))
    import ssec_proto.driver

    public = {f"ssec_proto.{name}" for name in ssec_proto.__all__ if name != "__version__"}
    public |= {f"ssec_proto.driver.{name}" for name in ssec_proto.driver.__all__}
    assert public <= documented, public - documented
    for module in ("httpx", "aiohttp", "requests"):
        assert f"ssec_proto.adapters.{module}" in documented
    assert "ssec_proto.strategies" in documented


def test_spec_compliance_names_real_tests() -> None:
    text = (DOCS / "spec-compliance.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_\w+)`", text))
    source = (ROOT / "tests" / "test_decoder.py").read_text(encoding="utf-8")
    defined = set(re.findall(r"^def (test_\w+)", source, re.MULTILINE))
    assert len(named) > 30
    assert named <= defined, named - defined


# The examples in the adapters' docstrings (shown on the API reference page)
# run too; the async ones inside a coroutine, as they are written for one.
DOCSTRING_EXAMPLES = [
    ("ssec_proto.adapters.httpx", "connect"),
    ("ssec_proto.adapters.httpx", "aconnect"),
    ("ssec_proto.adapters.aiohttp", "aconnect"),
    ("ssec_proto.adapters.requests", "connect"),
]


@pytest.mark.parametrize(("module", "name"), DOCSTRING_EXAMPLES)
def test_docstring_example_runs(module: str, name: str, example_server: str) -> None:
    doc = inspect.getdoc(getattr(importlib.import_module(module), name)) or ""
    found = re.search(r"```python\n(.*?)```", doc, re.DOTALL)
    assert found, f"{module}.{name} has no example"
    code = found.group(1)
    assert f"http://{EXAMPLE_AUTHORITY}/" in code
    if "async " in code:
        code = f"async def main():\n{textwrap.indent(code, '    ')}\n\nasyncio.run(main())\n"
    code = f"import asyncio\nfrom {module} import {name}\n\n{code}"
    printed = _run_bounded(code.replace(EXAMPLE_AUTHORITY, example_server), f"{module}.{name}")
    # The example server's three events, on three lines or in one list.
    assert len(re.findall(r"tick \d", printed)) == 3


# --- the built site -------------------------------------------------------------------

#: What reStructuredText leaves as text when mkdocstrings renders it as Markdown.
RST_LEFTOVERS = re.compile(r":(?:meth|class|func|attr|data|mod|exc|obj|ref):`?\w|\w::\s*$", re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built as CI builds it (needs the docs extra)."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


def _page_text(page: Path) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", "", page.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_the_site_shows_no_restructuredtext(site: Path) -> None:
    found = {
        str(page.relative_to(site)): [m.group(0) for m in RST_LEFTOVERS.finditer(_page_text(page))]
        for page in site.glob("**/*.html")
    }
    assert {page: hits for page, hits in found.items() if hits} == {}


def test_readme_links_work_from_anywhere() -> None:
    # A package index shows the README without the repository around it.
    links = re.findall(r"\]\(([^)]+)\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert links
    assert [link for link in links if not link.startswith("https://")] == []
    prefix = "https://github.com/ssec-proto/ssec-proto/blob/main/"
    for link in links:
        if link.startswith(prefix):
            assert (ROOT / link.removeprefix(prefix)).exists(), link
