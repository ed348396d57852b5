"""``ssec-proto conformance``, the example adapters, and the pages that show the kit.

The command runs in-process through ``main(argv)`` (what coverage measures)
and as the real thing with the adapters of docs/examples/conformance/ (the
JavaScript one only where ``node`` is installed). The comparison page's
conformance table is checked against the record the peer run wrote, without
running the peers, which the dev extra does not install.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import ssec_proto.testing
from benchmarks import conformance as bench
from ssec_proto import Decoder
from ssec_proto.cli import ExitCode, main
from ssec_proto.testing import CORPUS_VERSION, cases, run

from .test_conformance import GOOD

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples" / "conformance"
PYTHON_ADAPTER = EXAMPLES / "adapter.py"
JS_ADAPTER = EXAMPLES / "adapter.js"
PAGE = DOCS / "testing.md"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

#: An adapter whose parser never dispatches anything.
SILENT = (
    "import sys\n"
    "for line in sys.stdin:\n"
    "    print('{\"events\": []}' if 'feed' in line else '{}', flush=True)\n"
)


def _conformance(
    capsys: pytest.CaptureFixture[str], *args: str, code: str = GOOD
) -> tuple[int, str, str]:
    status = main(["conformance", *args, "--", sys.executable, "-c", code])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_conforming_parser(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _conformance(capsys, "--case", "bom/*", "--examples", "5")
    assert status == ExitCode.OK
    assert err == ""
    assert out.startswith("ssec-proto conformance, corpus version 1: ")
    assert "\nbom/stripped" in out
    assert out.endswith("8 of 8 cases pass; 5 generated streams pass.\n")


def test_a_failing_parser(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    markdown, record = tmp_path / "report.md", tmp_path / "report.json"
    status, out, _ = _conformance(
        capsys,
        "--case",
        "data/*",
        "--examples",
        "0",
        "--random-chunkings",
        "1",
        "--seed",
        "3",
        "--markdown",
        str(markdown),
        "--json",
        str(record),
        code=SILENT,
    )
    assert status == ExitCode.NONCONFORMANT
    assert "0 of 7 cases pass." in out
    assert "data/nul-is-kept (Interpreting an event stream)\n" in out
    assert markdown.read_text(encoding="utf-8").startswith("# Conformance report: ")
    report = json.loads(record.read_text(encoding="utf-8"))
    assert report["passed"] is False
    assert report["checked"] == ["events"]
    assert report["cases"][0]["failed_chunkings"][-1] == "random 1 (seed 3)"


def test_json_to_stdout_replaces_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _conformance(
        capsys, "--case", "bom/stripped", "--examples", "0", "--json", "-"
    )
    assert status == ExitCode.OK
    assert json.loads(out)["summary"].endswith("1 of 1 cases pass.")


def test_markdown_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _conformance(
        capsys, "--case", "bom/stripped", "--examples", "0", "--markdown", "-"
    )
    assert status == ExitCode.OK
    assert out.startswith("# Conformance report: ")
    assert "| `bom/stripped` | pass | 21 |" in out


def test_what_an_adapter_says_cannot_drive_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = 'import sys\nfor line in sys.stdin: print(\'{"error": "\\\\u001b[2J"}\', flush=True)'
    status, out, _ = _conformance(capsys, "--case", "bom/stripped", "--examples", "0", code=code)
    assert status == ExitCode.NONCONFORMANT
    assert "\x1b" not in out
    assert "raised the adapter reported: \\x1b[2J" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the adapter's command is missing"),
        (["--"], "the adapter's command is missing"),
        (["--case", "nope/*", "--", "true"], "no case matches 'nope/*'"),
        (["--", "/nonexistent/adapter"], "cannot run /nonexistent/adapter: No such file"),
        (["--timeout", "0", "--", "true"], "must be greater than 0"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["conformance", *args]) == ExitCode.USAGE
    assert message in capsys.readouterr().err


def test_the_exit_code_for_failed_cases() -> None:
    assert ExitCode.NONCONFORMANT.value == 13


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("usage: ssec-proto conformance [options] -- COMMAND [ARG...]\n")
    assert "  13  the parser under test failed conformance cases (conformance)\n" in out
    assert main(["--help"]) == ExitCode.OK
    assert "conformance  check an SSE parser" in capsys.readouterr().out


# --- the example adapters, through the real command ----------------------------------------


def _python(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return _python("-m", "ssec_proto", "conformance", *args)


def test_the_python_adapter_conforms() -> None:
    result = _command("--examples", "50", "--", sys.executable, str(PYTHON_ADAPTER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("104 of 104 cases pass; 50 generated streams pass.\n")
    assert "checked: events, last event ID, reconnection time\n" in result.stdout


@needs_node
def test_the_javascript_adapter_conforms() -> None:
    assert NODE is not None
    result = _command("--examples", "50", "--", NODE, str(JS_ADAPTER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("104 of 104 cases pass; 50 generated streams pass.\n")
    assert "checked: events, last event ID, reconnection time\n" in result.stdout


@needs_node
def test_the_page_console_example_runs_verbatim() -> None:
    (block,) = re.findall(r"^```console\n(.*?)^```$", PAGE.read_text("utf-8"), re.S | re.M)
    command, _, output = block.removeprefix("$ ").partition("\n")
    args = command.split()
    assert args[:2] == ["ssec-proto", "conformance"]
    result = _command(*(arg.strip("'") for arg in args[2:]))
    assert result.returncode == 0, result.stderr
    assert result.stdout == output


# --- the docs page ---------------------------------------------------------------------------


def test_the_pytest_example_runs_in_another_project(tmp_path: Path) -> None:
    example = EXAMPLES / "test_my_parser.py"
    code = [line for line in example.read_text("utf-8").splitlines() if line.strip()]
    assert len(code) < 10, "the page promises fewer than ten lines"
    # The page shows the file as it is (a snippet line would be reformatted by ruff).
    assert f"```python\n{example.read_text('utf-8')}```" in PAGE.read_text("utf-8")
    shutil.copy(example, tmp_path)
    result = _python("-m", "pytest", "-q", "-p", "no:cacheprovider", example.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(cases()) + 1} passed" in result.stdout


def test_the_page_names_every_group() -> None:
    text = PAGE.read_text("utf-8")
    groups = {case.name.split("/")[0] for case in cases()}
    assert set(re.findall(r"^\| `([\w-]+)/` \|", text, re.M)) == groups


def test_the_reference_documents_the_kit() -> None:
    text = (DOCS / "reference.md").read_text("utf-8")
    documented = set(re.findall(r"^::: ssec_proto\.testing\.(\w+)$", text, re.M))
    assert documented == set(ssec_proto.testing.__all__)


# --- the comparison page -----------------------------------------------------------------------


def _record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(bench.RECORD.read_text("utf-8"))
    return record


def test_the_comparison_shows_the_recorded_table() -> None:
    page = (DOCS / "comparison.md").read_text("utf-8")
    (region,) = re.findall(rf"{bench.START}\n\n(.*?){bench.END}", page, re.S)
    assert region == bench.render(_record())


def test_the_record_is_of_this_corpus_and_decoder() -> None:
    record = _record()
    assert record["corpus_version"] == CORPUS_VERSION
    assert record["cases"] == len(cases())
    ours = record["targets"][0]
    assert ours["name"] == bench.OURS
    report = run(Decoder, examples=record["examples"], seed=record["seed"], name=bench.OURS)
    assert bench._entry(ours["name"], ours["version"], report) == ours
    for peer in record["targets"][1:]:
        assert peer["checked"] == ["events"]
        assert peer["passed"] + len(peer["failed"]) == record["cases"]


def test_the_comparison_names_only_real_cases() -> None:
    page = (DOCS / "comparison.md").read_text("utf-8")
    section = page.split("## Conformance", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z0-9-]+/[a-z0-9-]+)`", section))
    assert len(named) > 40
    assert named <= {case.name for case in cases()}


def test_failed_cases_are_listed_below_the_table() -> None:
    # In a table cell, the case names made the table wider than the page.
    record = dict(_record())
    record["targets"] = [
        {"name": "ok", "version": "1", "checked": ["events"], "passed": 2, "failed": [],
         "streams": "pass"},
        {"name": "bad", "version": "2", "checked": ["events"], "passed": 0,
         "failed": ["bom/stripped", "id/with-nul-is-ignored"], "streams": "fail"},
    ]  # fmt: skip
    text = bench.render(record)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert not any("`" in line for line in table)
    assert "| bad | 2 | events | 0 of " in text
    assert "- **bad** (2): `bom/stripped`, `id/with-nul-is-ignored`" in text
    assert "**ok**" not in text


def test_the_script_runs_on_our_decoder(capsys: pytest.CaptureFixture[str]) -> None:
    before = bench.RECORD.read_bytes()
    assert bench.main(["--targets", bench.OURS, "--examples", "5", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "| ssec_proto | " in out
    assert f"| {len(cases())} of {len(cases())} | pass |\n" in out
    assert "The cases each parser failed" not in out
    assert bench.RECORD.read_bytes() == before


def test_a_collected_peer_is_a_parser() -> None:
    def collect(chunks: list[bytes]) -> list[tuple[str, str, str]]:
        decoder = Decoder()
        return [(e.event, e.data, e.id) for c in chunks for e in decoder.feed(c)]

    factory: Callable[[], bench.Collected] = lambda: bench.Collected(collect)  # noqa: E731
    assert run(factory, cases=cases("bom/stripped"), examples=0).passed
