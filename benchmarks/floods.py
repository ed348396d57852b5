"""One big chunk of short lines, and streams heavy with blank lines: memory and CPU.

The inputs of the hostile-servers issue that cost an earlier decoder
gigabytes (an object per line) or most of its time (blank lines and comments
between events). Each case runs in a child process of its own, so that its
peak resident memory (``getrusage``) is its alone, with a time limit: an
earlier version may not finish. ``--package DIR`` measures the
``ssec_proto`` found in DIR instead of this checkout's, e.g. a
``git worktree`` of an earlier commit.

Usage::

    .venv/bin/python -m benchmarks.floods
    .venv/bin/python -m benchmarks.floods --package /tmp/before
    .venv/bin/python -m benchmarks.floods --quick     # small inputs (CI smoke)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

__all__ = ["CASES", "main"]

MiB = 1 << 20
#: name -> (the repeated unit, its input size in MiB (whole), or 0: a rate
#: over 64 chunks of 64 KiB, the best of 7 passes).
CASES: dict[str, tuple[bytes, int]] = {
    "LF, one 17 MiB chunk": (b"\n", 17),
    "LF, one 64 MiB chunk": (b"\n", 64),
    "CR, one 64 MiB chunk": (b"\r", 64),
    "events": (b"data: x\n\n", 0),
    "one extra blank line each": (b"data: x\n\n\n", 0),
    "eight extra blank lines each": (b"data: x\n\n" + b"\n" * 8, 0),
    "keep-alive blocks between events": (b"data: x\n\n" + b":\n\n" * 4, 0),
    "comment lines inside each event": (b"data: x\n" + b":\n" * 100 + b"\n", 0),
}

# The child: decode one case, print "seconds events peak_rss_kib"; the
# seconds are the least of `rounds` passes, each with a fresh decoder.
_CHILD = """
import resource, sys, time
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
from ssec_proto import Decoder
unit, size, chunks = eval(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
chunk = unit * (size // len(unit))
times = []
for _ in range(int(sys.argv[5])):
    decoder = Decoder()
    start = time.process_time()
    events = sum(len(decoder.feed(chunk)) for _ in range(chunks))
    times.append(time.process_time() - start)
print(min(times), events, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(package: str, unit: bytes, mib: int, *, quick: bool, limit: float) -> str:
    """One case in a child process: the table row's figures, or why there are none."""
    if mib:
        size, chunks, rounds = (mib if not quick else 1) * MiB, 1, 1
    else:
        # A rate: the best of a few passes, as a single pass this short
        # moves by a third from run to run.
        size, chunks, rounds = 64 * 1024, 8 if quick else 64, 1 if quick else 7
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                _CHILD,
                package,
                repr(unit),
                str(size),
                str(chunks),
                str(rounds),
            ],
            capture_output=True,
            text=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return f"| not finished within {limit:g} s | | |"
    except subprocess.CalledProcessError as exc:
        return f"| failed: {exc.stderr.strip().splitlines()[-1:]} | | |"
    seconds, _events, rss = result.stdout.split()
    total = size * chunks
    rate = f"{total / float(seconds) / 1e6:.1f} MB/s" if float(seconds) else "-"
    return f"| {float(seconds):.2f} s | {rate} | {int(rss) / 1024:,.0f} MiB |"


def main(argv: list[str] | None = None) -> int:
    """Print the table for this checkout, or for ``--package``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--package", help="a directory holding the ssec_proto to measure")
    parser.add_argument("--quick", action="store_true", help="small inputs (CI smoke)")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per case (120)")
    args = parser.parse_args(argv)
    package = str(Path(args.package).resolve()) if args.package else ""
    print(f"package: {args.package or 'this checkout'}")
    print()
    print("| input | CPU time | throughput | peak RSS |")
    print("|---|---:|---:|---:|")
    for name, (unit, mib) in CASES.items():
        row = measure(package, unit, mib, quick=args.quick, limit=args.limit)
        print(f"| {name} {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
