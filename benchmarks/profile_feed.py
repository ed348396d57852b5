"""Where ``Decoder.feed`` spends its time, on the benchmark's workloads.

For each workload (default ``tiny`` and ``llm``) at one chunk size (default
4 KiB) it prints

* a split of the wall time (best of ``--repeat`` runs) between the byte layer
  (``LineEndings.feed``: BOM and line endings, run on every chunk here even
  though ``Decoder.feed`` skips it for chunks without CR), building the
  ``Event`` objects, and the rest of ``Decoder.feed`` (buffering, decoding,
  the field rules);
* the share of the garbage collector: the same decoding with it disabled
  (with big chunks, the many events one ``feed()`` returns are alive
  together, and the collector walks them);
* the top functions by own time under ``cProfile``, or a call tree under
  ``pyinstrument`` with ``--pyinstrument`` (in the ``bench`` extra).

Usage::

    .venv/bin/python -m benchmarks.profile_feed
    .venv/bin/python -m benchmarks.profile_feed --workloads tiny --chunk 64 --pyinstrument
    .venv/bin/python -m benchmarks.profile_feed --workloads tiny --chunk 1048576
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
from typing import TYPE_CHECKING

from benchmarks.workloads import WORKLOAD_NAMES, KiB, MiB, chunked, make_workload
from ssec_proto import Decoder, Event
from ssec_proto._lines import LineEndings

if TYPE_CHECKING:
    from collections.abc import Callable


def _best(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def profile(name: str, chunk: int, size: int, repeat: int, use_pyinstrument: bool) -> str:
    """Return the text report for one workload."""
    workload = make_workload(name, size)
    chunks = chunked(workload.data, chunk)
    expected = workload.expected

    def decode() -> None:
        feed = Decoder().feed
        for piece in chunks:
            for _ in feed(piece):
                pass

    def split_lines() -> None:
        feed = LineEndings().feed
        for piece in chunks:
            feed(piece)

    def build_events() -> None:
        # As Decoder builds them: tuple.__new__, not the keyword __new__.
        new = tuple.__new__
        for event_type, data, event_id in expected:
            new(Event, (event_type, data, event_id, None))

    total = _best(decode, repeat)
    gc.disable()
    try:
        without_gc = _best(decode, repeat)
    finally:
        gc.enable()
    lines = _best(split_lines, repeat)
    events = _best(build_events, repeat)
    rest = total - lines - events
    out = io.StringIO()
    out.write(
        f"## {name}, {len(workload.data):,} B in {len(chunks):,} chunks of {chunk:,} B, "
        f"{len(expected):,} events\n\n"
        f"total {total * 1e3:.1f} ms = {total / len(expected) * 1e6:.2f} us/event "
        f"({len(workload.data) / total / 1e6:.1f} MB/s)\n"
        f"- LineEndings.feed (BOM, line endings): {lines * 1e3:.1f} ms "
        f"({lines / total:.0%})\n"
        f"- Event construction alone: {events * 1e3:.1f} ms ({events / total:.0%}), "
        f"{events / len(expected) * 1e9:.0f} ns each\n"
        f"- the rest of Decoder.feed (buffering, decoding, field rules): {rest * 1e3:.1f} ms "
        f"({rest / total:.0%})\n"
        f"- the garbage collector (the same decoding without it: {without_gc * 1e3:.1f} ms): "
        f"{(total - without_gc) * 1e3:.1f} ms ({(total - without_gc) / total:.0%})\n\n"
    )
    if use_pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        profiler.start()
        for _ in range(5):
            decode()
        profiler.stop()
        out.write(profiler.output_text(unicode=True, color=False, show_all=True))
    else:
        profiler_c = cProfile.Profile()
        profiler_c.enable()
        decode()
        profiler_c.disable()
        stats = pstats.Stats(profiler_c, stream=out)
        stats.sort_stats("tottime").print_stats(8)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Profile the chosen workloads and print the reports."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workloads", default="tiny,llm")
    parser.add_argument("--chunk", type=int, default=4 * KiB, help="chunk size in bytes")
    parser.add_argument("--size", type=float, default=2.0, help="MiB per workload")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args(argv)
    for name in args.workloads.split(","):
        if name not in WORKLOAD_NAMES:
            parser.error(f"unknown workload {name!r}")
        print(profile(name, args.chunk, int(args.size * MiB), args.repeat, args.pyinstrument))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
