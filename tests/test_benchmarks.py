"""The benchmarks keep working: each runs in its quick mode (no timing asserted)."""

from __future__ import annotations

import datetime
import importlib.util
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import peers
from benchmarks import run as bench
from benchmarks.peers import Target, adapt_ssec_proto, physical_floor
from benchmarks.workloads import MiB, chunked, make_workload

ROOT = Path(__file__).resolve().parent.parent
#: What only benchmarks/README.md adds to a cell of the table: the goal's verdict.
GOAL_NOTE = re.compile(r" \((?:goal met|at the floor: \d+% of it)\)")

# What each quick run must print besides a Markdown table.
SECTIONS = {
    "linear_time": [],
    "run": [
        "# Decoder benchmark: ssec_proto vs peers",
        "## The physical floor",
        "| physical floor | - | `bytearray += chunk;",
        "# Linear time and memory on hostile input",
        "# End to end over loopback",
    ],
    "end_to_end": ["# End to end over loopback", "| tiny | httpx |", "| llm | aiohttp |"],
    "concurrency": [],
    "floods": ["| LF, one 17 MiB chunk | ", "| comment lines inside each event | "],
    "latency": [],
    "per_event": ["# CPU per event end to end, one event per server write", "| requests |"],
    "per_event_memory": [
        "# CPU per event through each HTTP stack, connection in memory",
        "| requests | ssec_proto |",
        "| aiohttp | ssec_proto |",
    ],
}


#: Smaller still than --quick where a module takes sizes: a smoke run.
SMALLER = {
    "run": ["--size", "0.004", "--prefix", "512", "--e2e-workloads", "tiny,llm"],
    "end_to_end": ["--size", "0.05"],
    # The peers' rows need the bench extra and add seconds; the raw loops and
    # ours are what the smoke run checks.
    "per_event_memory": ["--only", "raw,ssec_proto"],
}


@pytest.mark.parametrize("module", list(SECTIONS))
def test_benchmark_quick_mode(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--quick", *SMALLER.get(module, [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "|" in result.stdout  # a Markdown table came out
    for text in SECTIONS[module]:
        assert text in result.stdout, text


def test_run_sections_can_be_skipped() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--no-peers", "--no-end-to-end"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("# Linear time and memory on hostile input")
    assert "vs peers" not in result.stdout
    assert "End to end" not in result.stdout


def test_the_command_line_shown_leaves_out_where_the_report_goes() -> None:
    argv = ["--rounds", "3", "--readme", "--output", "x.md", "--output=y.md", "--no-end-to-end"]
    assert bench._command(argv) == ".venv/bin/python -m benchmarks.run --rounds 3 --no-end-to-end"


def _fake_run() -> bench.Run:
    workload = make_workload("tiny", 4096)
    cells = [bench.Cell(workload, n, chunked(workload.data, n)) for n in bench.CHUNK_SIZES]
    targets = [
        Target("ssec_proto", "ours", "0", "feed", drive=len, collect=lambda _chunks: []),
        Target("a-peer", "peer", "1", "parse", drive=len, collect=lambda _chunks: []),
        Target("physical floor", "physical", "-", "find", drive=len, collect=lambda _chunks: []),
    ]
    ours, peer, floor = targets
    results = {}
    # ssec_proto's share of the floor: 90% at 1 MiB (issue 14's 80% met), 50% elsewhere.
    floor_seconds = {MiB: 1.8}
    for cell in cells:
        results[bench._key(cell, ours)] = bench.Result("ok", seconds=[1.0, 2.0, 4.0])
        # 1.5x ours everywhere but at 64 B, where 3.5x meets the project's goal.
        slower = 7.0 if cell.chunk_size == 64 else 3.0
        results[bench._key(cell, peer)] = bench.Result("ok", seconds=[slower])
        seconds = floor_seconds.get(cell.chunk_size, 1.0)
        results[bench._key(cell, floor)] = bench.Result("ok", seconds=[seconds])
    return bench.Run(
        targets=targets,
        missing={},
        workloads=[workload],
        cells=cells,
        results=results,
        rounds=3,
        prefix_bytes=1024,
        started=datetime.datetime(2030, 1, 2, 3, 4, tzinfo=datetime.timezone.utc),
        elapsed=1.0,
        load_before=None,
        load_after=None,
        quick=False,
    )


def test_readme_refreshes_both_records_alike(tmp_path: Path) -> None:
    # What tests/test_docs.py checks of docs/comparison.md against the README.
    run = _fake_run()
    command = bench._command(["--rounds", "3", "--readme"])
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n\n{bench.README_START}\nold\n{bench.README_END}\nafter\n")
    page = tmp_path / "comparison.md"
    page.write_text(f"a\n{bench.COMPARISON_START}\nold\n{bench.COMPARISON_END}\nb\n")

    bench._update_readme(bench.render(run, level=3, command=command), readme)
    assert bench._update_comparison(run, command, page)

    record, doc = readme.read_text(), page.read_text()
    assert record.startswith("intro\n\n")
    assert record.endswith(f"{bench.README_END}\nafter\n")
    assert doc.startswith("a\n")
    assert doc.endswith(f"{bench.COMPARISON_END}\nb\n")
    assert "old" not in record
    assert "old" not in doc
    table = re.compile(r"^\| workload \| 1 MiB .*?(?=\n\n|\n?\Z)", re.DOTALL | re.MULTILINE)
    latest = record.split("#### Ours vs the fastest correct peer", 1)[1]
    shown = table.search(doc).group(0)  # type: ignore[union-attr]
    recorded = table.search(latest).group(0)  # type: ignore[union-attr]
    # The same figures; the project's goals stay in the README.
    assert "(goal met)" in recorded
    assert shown == GOAL_NOTE.sub("", recorded)
    assert "goal" not in doc.lower()
    assert "floor" not in doc.lower()
    assert "| tiny | 1.50x vs a-peer |" in doc
    assert "ssec_proto was the faster on 3 of 3 cells" in doc
    # Short of 3x at 1 MiB but at 90% of the physical floor: met, as issue 14 allows;
    # at 4 KiB, 50% of it is not. The floor is never the fastest peer.
    assert (
        "| tiny | 1.50x vs a-peer (at the floor: 90% of it) | 1.50x vs a-peer "
        "| 3.50x vs a-peer (goal met) | - |" in recorded
    )
    assert "Goal met on 2 of 3 cells." in record
    assert "vs physical floor" not in record
    floor_section = record.split("#### The physical floor", 1)[1].split("\n####", 1)[0]
    assert "| tiny | 1 MiB | 0.002 | 0.002 | 90% | met at the floor |" in floor_section
    assert "| tiny | 4 KiB | 0.004 | 0.002 | 50% | **not met** |" in floor_section
    assert "| tiny | 64 B | 0.004 | 0.002 | 50% | ratio met |" in floor_section
    assert "1.50x at 1 MiB; 1.50x at 4 KiB; 3.50x at 64 B." in doc
    assert "2030-01-02 03:04 UTC" in doc
    assert f"{platform.python_implementation()} {platform.python_version()}" in doc
    assert "`.venv/bin/python -m benchmarks.run --rounds 3`" in doc
    assert "- Command: `.venv/bin/python -m benchmarks.run --rounds 3`" in record


def test_the_physical_floor_is_timed_but_neither_gated_nor_a_peer() -> None:
    # What load_targets() appends last (without importing every peer's SDK).
    floor = peers._physical_floor_target()
    ours = Target("ssec_proto", "ours", "0", "feed", drive=len, collect=adapt_ssec_proto)
    assert floor.kind == "physical"
    assert not floor.yields_events
    assert ours.yields_events
    workload = make_workload("crlf", 4096)
    cell = bench.Cell(workload, 64, chunked(workload.data, 64))
    # It yields no events, so neither the gate nor the timed count asks for them.
    gated = bench._gate_all([ours, floor], [cell], print)
    assert gated[bench._key(cell, floor)].status == "ok"
    assert bench._time_once(floor, cell) >= 0
    # Faster than every peer or not, it is never the fastest peer.
    run = _fake_run()
    best = bench._fastest_peer(run, run.cells[0])
    assert best is not None
    assert best[0].name == "a-peer"


@pytest.mark.parametrize(
    ("stream", "lines"),
    [
        (b"data: a\n\ndata: b\n\n", 4),
        (b"data: a\r\n\r\ndata: b\r\n\r\n", 4),
        (b"data: a\r\rdata: b\r\r", 4),
        (b"a\r\nb\rc\n\r\r\nd", 5),  # mixed endings; "d" is no complete line
        (b"a\r", 1),  # a CR that ends the stream ends its line
        ("é\n".encode() * 3 + b"\xff\n", 4),
    ],
)
def test_physical_floor_finds_every_line_ending(stream: bytes, lines: int) -> None:
    for size in range(1, len(stream) + 1):
        assert physical_floor(chunked(stream, size)) == lines, size
    assert physical_floor([b"", stream, b""]) == lines


def test_physical_floor_on_the_workloads() -> None:
    for name in ("tiny", "large", "crlf", "cr"):
        workload = make_workload(name, 70_000)
        text = workload.data.decode()
        expected = len(re.split(r"\r\n|\r|\n", text)) - 1
        for size in (1, 3, 64, 4096, MiB):
            assert physical_floor(chunked(workload.data, size)) == expected, (name, size)


def test_comparison_page_without_markers_is_left_alone(tmp_path: Path) -> None:
    run = _fake_run()
    assert not bench._update_comparison(run, "cmd", tmp_path / "missing.md")
    page = tmp_path / "comparison.md"
    page.write_text("no markers\n")
    assert not bench._update_comparison(run, "cmd", page)
    assert page.read_text() == "no markers\n"


def test_instructions_drives_each_target(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import instructions

    targets = ["ssec_proto"]
    if importlib.util.find_spec("ld_eventsource") is not None:  # the peer: the bench extra
        targets.append("launchdarkly-eventsource")
    for target in targets:
        assert instructions.main(["--drive", f"{target},tiny,4096,1"]) == 0
        assert int(capsys.readouterr().out) > 3000


@pytest.mark.parametrize("family", ["httpx", "aiohttp", "requests"])
def test_per_event_memory_drives_each_family(
    family: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # What --instructions runs under valgrind: the raw loop and ours, over
    # the in-memory connection, each read to the end.
    from benchmarks import per_event_memory

    for reader in ("raw", "ssec_proto"):
        assert per_event_memory.main(["--drive", f"{family},{reader},7"]) == 0
        assert capsys.readouterr().out.split() == ["7"]


def test_per_event_memory_profiles_one_reader(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import per_event_memory

    assert per_event_memory.main(["--profile", "requests,ssec_proto", "--events", "50"]) == 0
    assert "function calls" in capsys.readouterr().out


def test_instructions_needs_valgrind(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import instructions

    monkeypatch.setattr("benchmarks.instructions.shutil.which", lambda name: None)
    with pytest.raises(SystemExit):
        instructions.main([])


def test_fuzz_quick_mode() -> None:
    # benchmarks.fuzz: the compiled decoder against the pure one and the
    # reference on random streams, and a leak check (issue 14).
    pytest.importorskip("ssec_proto._cdecoder")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.fuzz", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "compiled == pure == reference" in result.stdout
    assert "flat: no leak" in result.stdout
