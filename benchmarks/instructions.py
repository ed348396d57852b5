"""Instructions per event, counted by valgrind: a noise-free second opinion.

Timings on a shared, busy machine swing by 2x from run to run; the number of
CPU instructions a decoder executes per event does not (within about 1%),
and for interpreter-bound code it tracks time closely. For each workload and
chunk size this runs ``ssec_proto.Decoder.feed`` and launchdarkly-eventsource
(the fastest peer on almost every cell of ``benchmarks.run``) under
``valgrind --tool=callgrind``, twice each (once decoding the stream once,
once decoding it ``1 + --reps`` times), so the difference is the cost of
decoding alone, without start-up and imports. Lower is better; the ratio is
the peer's count over ours (above 1 means ssec_proto executes fewer).

With ``--baseline REF`` the decoder of git commit ``REF`` is counted too
(see :mod:`benchmarks.baseline`), with the change from it in percent
(negative: fewer instructions now). ``instr/byte`` is ssec_proto's count per
byte of stream, which compares workloads of different shapes.

Needs valgrind on PATH and the ``bench`` extra. Usage::

    .venv/bin/python -m benchmarks.instructions
    .venv/bin/python -m benchmarks.instructions --workloads llm --chunks 64,4096
    .venv/bin/python -m benchmarks.instructions --baseline main
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from benchmarks import baseline
from benchmarks.workloads import WORKLOAD_NAMES, KiB, chunked, make_workload

if TYPE_CHECKING:
    from ssec_proto import Decoder

#: Bytes per workload: small, as valgrind runs code about 50 times slower.
SIZE = 64 * KiB
#: The 1 B cells decode a prefix of the stream this long.
PREFIX = 2 * KiB
CHUNKS = (1024 * KiB, 4 * KiB, 64, 1)
TARGETS = ("ssec_proto", "launchdarkly-eventsource")
#: Where the child processes find the baseline package (see --baseline).
BASELINE_ENV = "SSEC_BASELINE_DIR"


def _cell_data(workload: str, chunk: int) -> bytes:
    data = make_workload(workload, SIZE).data
    return data[:PREFIX] if chunk == 1 else data


def _drive(target: str, workload: str, chunk: int, reps: int) -> None:
    """Decode one cell ``1 + reps`` times and print the number of events."""
    chunks = chunked(_cell_data(workload, chunk), chunk)
    if target in ("ssec_proto", "baseline"):
        decoder_class: type[Decoder]
        if target == "ssec_proto":
            import ssec_proto

            decoder_class = ssec_proto.Decoder
        else:
            # The baseline commit's Decoder: another class, with the same API.
            decoder_class = baseline.load(os.environ[BASELINE_ENV]).Decoder

        def run() -> int:
            feed = decoder_class().feed
            return sum(len(feed(piece)) for piece in chunks)

    else:
        from benchmarks.peers import _ld_events

        def run() -> int:
            return sum(1 for _ in _ld_events(chunks))

    count = run()
    for _ in range(reps):
        run()
    print(count)


def callgrind(module: str, drive: str) -> tuple[int, str]:
    """Run `python -m module --drive drive` under callgrind: (instructions, its stdout).

    Also what `benchmarks.per_event_memory --instructions` counts with.
    """
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        module,
        "--drive",
        drive,
    ]
    # One hash seed for every run: with random ones, start-up alone differs
    # by more than a cell of few events costs.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:  # pragma: no cover - valgrind changed its output
        raise RuntimeError(done.stderr[-500:])
    return int(found.group(1)), done.stdout


def _count(target: str, workload: str, chunk: int, reps: int) -> tuple[int, int]:
    """Return (instructions, events) of one callgrind run."""
    count, stdout = callgrind("benchmarks.instructions", f"{target},{workload},{chunk},{reps}")
    return count, int(stdout.split()[-1])


def per_event(target: str, workload: str, chunk: int, reps: int) -> tuple[float, int]:
    """Instructions per event decoded, and the number of events in the cell."""
    once, events = _count(target, workload, chunk, 0)
    more, _ = _count(target, workload, chunk, reps)
    return (more - once) / reps / events, events


def _label(chunk: int) -> str:
    return f"{chunk // 1024} KiB" if chunk >= 1024 else f"{chunk} B"


def main(argv: list[str] | None = None) -> int:
    """Print a Markdown table of instructions per event."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(WORKLOAD_NAMES))
    parser.add_argument("--chunks", default=",".join(map(str, CHUNKS)))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--baseline", metavar="REF", help="also count the decoder of this git commit"
    )
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        target, workload, chunk, reps = args.drive.split(",")
        _drive(target, workload, int(chunk), int(reps))
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed")
    cells = [
        (workload, int(chunk))
        for workload in args.workloads.split(",")
        for chunk in args.chunks.split(",")
        if not (workload == "large" and int(chunk) == 1)
    ]
    targets: tuple[str, ...] = TARGETS
    if args.baseline:
        # The children inherit the directory through the environment.
        os.environ[BASELINE_ENV] = str(baseline.extract(args.baseline))
        targets = ("ssec_proto", "baseline", *TARGETS[1:])
    for target in targets:
        # Once outside valgrind, so that every module's bytecode is cached:
        # compiling it in one of a pair of counted runs would skew the
        # difference.
        subprocess.run(
            [sys.executable, "-m", "benchmarks.instructions", "--drive", f"{target},tiny,4096,0"],
            check=True,
            capture_output=True,
        )
    jobs = [(target, workload, chunk) for workload, chunk in cells for target in targets]

    def count(job: tuple[str, str, int]) -> tuple[float, int]:
        return per_event(*job, args.reps)

    with ThreadPoolExecutor(args.jobs) as pool:
        counts = list(pool.map(count, jobs))
    results = dict(zip(jobs, counts, strict=True))
    for line in table(cells, results, baseline.label(args.baseline) if args.baseline else None):
        print(line)
    return 0


def table(
    cells: list[tuple[str, int]],
    results: dict[tuple[str, str, int], tuple[float, int]],
    baseline_name: str | None,
) -> list[str]:
    """The Markdown table of a run (with the baseline's columns if it has one)."""
    head = ["workload", "chunk", "events", "ssec_proto instr/event", "instr/byte"]
    if baseline_name:
        head += [f"{baseline_name} instr/event", "change"]
    head += ["peer instr/event", "ratio"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for workload, chunk in cells:
        ours, events = results["ssec_proto", workload, chunk]
        peer, _ = results["launchdarkly-eventsource", workload, chunk]
        nbytes = len(_cell_data(workload, chunk))
        row = [
            workload,
            _label(chunk),
            f"{events:,}",
            f"{ours:,.0f}",
            f"{ours * events / nbytes:.0f}",
        ]
        if baseline_name:
            before, _ = results["baseline", workload, chunk]
            row += [f"{before:,.0f}", f"{ours / before - 1:+.1%}"]
        row += [f"{peer:,.0f}", f"{peer / ours:.2f}x"]
        lines.append("| " + " | ".join(row) + " |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
