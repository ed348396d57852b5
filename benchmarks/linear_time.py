"""Linear time and bounded memory of ``Decoder.feed`` on hostile shapes of input.

Four workloads, each at doubling sizes so that growth is visible:

* ``long-line``: one ``data:`` line of N MiB fed in 64-byte chunks, then its
  blank line. A decoder that rescans or re-concatenates its buffer on every
  chunk is quadratic here.
* ``byte-by-byte``: N small events fed one byte at a time.
* ``blank lines`` and ``comment lines``: N MiB of ``\n`` (of ``:\n``) in one
  ``feed()`` call. A decoder that makes an object per line takes memory in
  proportion to the lines here (an earlier ssec_proto took 1.3 GB for 17 MiB).

For each size it prints the wall time (best of ``--repeat`` runs), the time
per MiB or per event (constant when the cost is linear), and the peak memory
traced by ``tracemalloc`` in a separate run (tracing slows the code down, so
it is never timed).

Usage::

    .venv/bin/python -m benchmarks.linear_time            # full run, up to 64 MiB
    .venv/bin/python -m benchmarks.linear_time --quick    # smoke test, seconds
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING

from ssec_proto import Decoder

if TYPE_CHECKING:
    from collections.abc import Callable

MiB = 1024 * 1024
CHUNK = 64


def long_line(size: int) -> Callable[[], None]:
    """Return a run that feeds a ``size``-byte data line in 64-byte chunks."""
    payload = b"data: " + b"x" * (size - 6)
    chunks = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)]

    def run() -> None:
        decoder = Decoder(max_line_size=size, max_event_size=size)
        feed = decoder.feed
        for chunk in chunks:
            feed(chunk)
        (event,) = feed(b"\n\n")
        assert len(event.data) == size - 6

    return run


def byte_by_byte(count: int) -> Callable[[], None]:
    """Return a run that feeds ``count`` small events one byte at a time."""
    raw = b"".join(b'id: %d\ndata: {"n": %d}\n\n' % (i, i) for i in range(count))
    pieces = [raw[i : i + 1] for i in range(len(raw))]

    def run() -> None:
        feed = Decoder().feed
        n = 0
        for piece in pieces:
            n += len(feed(piece))
        assert n == count

    return run


def one_chunk(unit: bytes, size: int) -> Callable[[], None]:
    """Return a run that feeds ``size`` bytes of ``unit`` repeated, in one call."""
    chunk = unit * (size // len(unit))

    def run() -> None:
        assert Decoder().feed(chunk) == []

    return run


#: The one-chunk inputs: their name in the reports, and the repeated unit.
ONE_CHUNK = (("blank lines, one chunk", b"\n"), ("comment lines, one chunk", b":\n"))


def measure(run: Callable[[], None], repeat: int) -> tuple[float, int]:
    """Best wall time over ``repeat`` runs, and traced peak memory of one more."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def main(argv: list[str] | None = None) -> int:
    """Run the workloads and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (CI smoke)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    line_sizes = [MiB // 4, MiB // 2] if args.quick else [8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB]
    event_counts = [1_000, 2_000] if args.quick else [25_000, 50_000, 100_000, 200_000]

    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print()
    print("| workload | size | time (s) | per unit | peak memory (MiB) |")
    print("|---|---|---|---|---|")
    for size in line_sizes:
        seconds, peak = measure(long_line(size), repeat)
        print(
            f"| long line, 64 B chunks | {size / MiB:g} MiB | {seconds:.3f} "
            f"| {seconds / (size / MiB) * 1000:.1f} ms/MiB | {peak / MiB:.1f} |"
        )
    for count in event_counts:
        seconds, peak = measure(byte_by_byte(count), repeat)
        print(
            f"| events, 1 B chunks | {count:,} events | {seconds:.3f} "
            f"| {seconds / count * 1e6:.2f} µs/event | {peak / MiB:.1f} |"
        )
    for name, unit in ONE_CHUNK:
        for size in line_sizes:
            seconds, peak = measure(one_chunk(unit, size), repeat)
            print(
                f"| {name} | {size / MiB:g} MiB | {seconds:.3f} "
                f"| {seconds / (size / MiB) * 1000:.1f} ms/MiB | {peak / MiB:.1f} |"
            )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
