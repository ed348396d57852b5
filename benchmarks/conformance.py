"""The conformance kit (``ssec_proto.testing``) against ssec_proto and its peers.

Each target runs over every case of the corpus, under every chunking, and
over generated streams. ssec_proto is tested through ``Decoder`` itself
(events, last event ID, reconnection time). Each peer is driven as
``benchmarks/peers.py`` drives it for the benchmark's correctness gate: through
its users' API, over in-memory chunks, collecting the events once the stream
has ended; none of these APIs exposes the reconnection time, and most do not
expose the last event ID after the stream, so the peers are checked on their
events only.

Usage::

    .venv/bin/python -m benchmarks.conformance             # needs the bench extra
    .venv/bin/python -m benchmarks.conformance --dry-run   # print, write nothing

The run writes its record to ``benchmarks/conformance.json`` and the table
rendered from it to ``docs/comparison.md``, between the ``conformance``
markers; a test keeps the two equal.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import logging
import platform
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssec_proto import Decoder
from ssec_proto.testing import CORPUS_VERSION, Dispatched, Report, cases, run

if TYPE_CHECKING:
    from collections.abc import Callable

    from benchmarks.peers import Expected

__all__ = ["main", "render"]

HERE = Path(__file__).resolve().parent
RECORD = HERE / "conformance.json"
COMPARISON = HERE.parent / "docs" / "comparison.md"
START = "<!-- conformance:start -->"
END = "<!-- conformance:end -->"
COMMAND = ".venv/bin/python -m benchmarks.conformance"
OURS = "ssec_proto"


class Collected:
    """A peer behind the kit's parser interface: chunks are kept, and run through it at the end."""

    def __init__(self, collect: Callable[[list[bytes]], list[Expected]]) -> None:
        self._collect = collect
        self._chunks: list[bytes] = []

    def feed(self, data: bytes) -> list[Dispatched]:
        self._chunks.append(data)
        return []

    def end(self) -> list[Dispatched]:
        # collect() gives (type, data, last event ID) triples, already in the
        # last-event-ID form the kit compares.
        return [Dispatched(*event) for event in self._collect(self._chunks)]


def _factory(collect: Callable[[list[bytes]], list[Expected]]) -> Callable[[], Collected]:
    return lambda: Collected(collect)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _targets(names: list[str] | None) -> list[tuple[str, str, Callable[[], Any]]]:
    """(name, version, parser factory) for ssec_proto and every installed peer."""
    found: list[tuple[str, str, Callable[[], Any]]] = [(OURS, _version("ssec-proto"), Decoder)]
    if names is None or set(names) - {OURS}:
        from benchmarks.peers import load_targets

        targets, missing = load_targets()
        for name, why in missing.items():
            print(f"skipping {name}: {why}", file=sys.stderr)
        found += [(t.name, t.version, _factory(t.collect)) for t in targets if t.kind == "peer"]
    if names is not None:
        found = [target for target in found if target[0] in names]
    return found


def _entry(name: str, version: str, report: Report) -> dict[str, Any]:
    streams = report.streams
    return {
        "name": name,
        "version": version,
        "checked": list(report.checked),
        "passed": len(report.results) - len(report.failed),
        "failed": [result.case.name for result in report.failed],
        "streams": "pass" if streams is None or streams.passed else "fail",
    }


def render(record: dict[str, Any]) -> str:
    """The Markdown that docs/comparison.md shows between its conformance markers."""
    total = record["cases"]
    lines = [
        f"From a run on {record['date']} with {record['interpreter']} (command: "
        f"`{record['command']}`): corpus version {record['corpus_version']}, {total} cases "
        f"under every chunking, then {record['examples']} generated streams "
        f"(seed {record['seed']}).",
        "",
        "| Parser | Version | Checked | Cases passed | Generated streams |",
        "|---|---|---|---|---|",
    ]
    lines.extend(
        f"| {entry['name']} | {entry['version']} | {', '.join(entry['checked'])} | "
        f"{entry['passed']} of {total} | {entry['streams']} |"
        for entry in record["targets"]
    )
    # The names of the failed cases go below the table, where they wrap
    # between names: in a table cell they made the table wider than the page.
    failing = [entry for entry in record["targets"] if entry["failed"]]
    if failing:
        lines += ["", "The cases each parser failed:", ""]
    for entry in failing:
        names = ", ".join(f"`{name}`" for name in entry["failed"])
        lines.append(f"- **{entry['name']}** ({len(entry['failed'])}): {names}")
    return "\n".join(lines) + "\n"


def _write_comparison(table: str) -> None:
    page = COMPARISON.read_text(encoding="utf-8")
    head, found, rest = page.partition(START)
    if not found:
        raise SystemExit(f"{COMPARISON} has no {START} marker")
    _, found, tail = rest.partition(END)
    if not found:
        raise SystemExit(f"{COMPARISON} has no {END} marker")
    COMPARISON.write_text(f"{head}{START}\n\n{table}{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the kit against every target; print the table, and record it unless told not to."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", metavar="NAME", help="only these targets")
    parser.add_argument("--examples", type=int, default=100, help="generated streams per target")
    parser.add_argument("--seed", type=int, default=0, help="for the chunkings and streams")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the table; write neither record nor page"
    )
    args = parser.parse_args(argv)
    # Some peers log each invalid field they skip, with no handler of their
    # own: Python's last-resort handler would print thousands of lines.
    logging.getLogger().addHandler(logging.NullHandler())
    entries = []
    for name, version, factory in _targets(args.targets):
        report = run(factory, examples=args.examples, seed=args.seed, name=name)
        print(report.summary(), file=sys.stderr)
        entries.append(_entry(name, version, report))
    command = COMMAND + "".join(f" {shlex.quote(arg)}" for arg in (argv or sys.argv[1:]))
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "interpreter": f"{platform.python_implementation()} {platform.python_version()}",
        "command": command,
        "corpus_version": CORPUS_VERSION,
        "cases": len(cases()),
        "examples": args.examples,
        "seed": args.seed,
        "targets": entries,
    }
    table = render(record)
    print(table, end="")
    if not args.dry_run:
        RECORD.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _write_comparison(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
