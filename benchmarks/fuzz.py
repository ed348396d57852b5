"""A long randomized fuzz of the compiled decoder, and a leak check (issue 14).

Two parts, each optional:

* **fuzz** (``--seconds``): random streams (arbitrary bytes, and bytes built
  from the syntax's own tokens) cut at random points, fed to the compiled
  decoder, the pure one and the spec-literal reference (tests/reference.py),
  with and without limits and a comment callback. Any difference (events,
  errors, comments, last event ID, retry) stops the run with the input; a
  crash of the process would stop it too.
* **leak** (``--feeds``): 10^6 ``feed()`` calls on a variety of chunks
  (events, partial lines, lines over the limit, comments, CR splits, BOMs,
  ``reset()``), in rounds; the memory traced by ``tracemalloc`` and the
  process's resident size after each round must stay flat.

Usage::

    .venv/bin/python -m benchmarks.fuzz                  # 60 s of fuzz, 10^6 feeds
    .venv/bin/python -m benchmarks.fuzz --seconds 600    # longer
    .venv/bin/python -m benchmarks.fuzz --quick          # smoke test, seconds
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import sys
import time
import tracemalloc
from typing import Any

from ssec_proto import LimitExceeded
from ssec_proto._decoder import Decoder as PureDecoder
from tests import reference

try:
    from ssec_proto._cdecoder import Decoder as CompiledDecoder
except ImportError:  # pragma: no cover
    CompiledDecoder = None  # type: ignore[assignment,misc]

TOKENS = [
    b"\r", b"\n", b"\r\n", b"\n\n", b":", b": ", b" ", b"\xef\xbb\xbf", b"\xef\xbb", b"\xbf",
    b"data", b"data:", b"data: ", b"id", b"id: ", b"event", b"event: ", b"retry", b"retry: ",
    b"0", b"42", b"007", b"\0", b"\xff", b"\xe2\x82", b"\xac", b"\xc3\xa9", b"\xf0\x9f\x98\x80",
    b"Data", b"x", b"abc", b"9" * 20,
]  # fmt: skip
LIMITS: list[dict[str, Any]] = [
    {},
    {"max_line_size": 8, "max_event_size": 5},
    {"max_event_size": 5},
    {"max_line_size": 3},
    {"max_line_size": 1, "max_event_size": 1},
    {"max_line_size": 40, "max_event_size": 30},
]


def random_stream(rng: random.Random) -> bytes:
    if rng.random() < 0.2:
        return rng.randbytes(rng.randrange(200))
    parts = []
    for _ in range(rng.randrange(120)):
        if rng.random() < 0.85:
            parts.append(rng.choice(TOKENS))
        else:
            parts.append(rng.randbytes(rng.randrange(1, 5)))
    return b"".join(parts)


def random_chunks(rng: random.Random, raw: bytes) -> list[bytes]:
    if not raw:
        return [b""] * rng.randrange(3)
    mode = rng.random()
    if mode < 0.2:
        return [raw[i : i + 1] for i in range(len(raw))]
    if mode < 0.3:
        return [raw]
    cuts = sorted(rng.sample(range(len(raw) + 1), min(len(raw) + 1, rng.randrange(1, 20))))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


Outcome = tuple[list[Any], str, "int | None", list[str]]


def run(factory: Any, options: dict[str, Any], chunks: list[bytes], listening: bool) -> Outcome:
    seen: list[str] = []

    def on_comment(text: str) -> None:
        seen.append(text)
        if text == "x":
            raise ValueError(text)

    decoder = factory(**options, **({"on_comment": on_comment} if listening else {}))
    calls: list[Any] = []
    for chunk in [*chunks, b""]:
        try:
            calls.append(decoder.feed(chunk))
        except LimitExceeded as exc:  # noqa: PERF203 - how callers consume it
            calls.append((type(exc).__name__, exc.limit, exc.events))
        except ValueError as exc:
            calls.append(("comment", exc.args))
    return calls, decoder.last_event_id, decoder.retry, seen


def flatten(calls: list[Any]) -> list[Any]:
    events: list[Any] = []
    for call in calls:
        if isinstance(call, list):
            events += call
        elif call[0] != "comment":
            events += call[2]
    return events


def fuzz(seconds: float, seed: int) -> int:
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    cases = 0
    while time.monotonic() < deadline:
        for _ in range(200):
            raw = random_stream(rng)
            chunks = random_chunks(rng, raw)
            options = rng.choice(LIMITS)
            listening = rng.random() < 0.5
            compiled = run(CompiledDecoder, options, chunks, listening)
            pure = run(PureDecoder, options, chunks, listening)
            comments: list[str] = []
            expected = reference.decode_limited(raw, comments=comments, **options)
            got = (flatten(compiled[0]), compiled[1], compiled[2])
            if (
                compiled != pure
                or got != tuple(expected)
                or (listening and compiled[3] != comments)
            ):
                print(f"MISMATCH (seed {seed}, case {cases})")
                print(f"  chunks={chunks!r} options={options!r} listening={listening}")
                print(f"  compiled={compiled!r}\n  pure={pure!r}\n  reference={expected!r}")
                return 1
            cases += 1
    print(f"fuzz: {cases:,} random streams in {seconds:g} s: compiled == pure == reference")
    return 0


def _rss_kib() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4
    except OSError:  # not Linux
        return 0


LEAK_CHUNKS = [
    b"data: hello\n\n",
    b"event: e\nid: 7\ndata: x\n\n",
    b"data: partial",
    b" line\r",
    b"\ndata: a\r\n\r\n",
    b": comment\n",
    b"retry: 100\n\n",
    b"data: " + b"z" * 100,  # over the line limit below
    b"\n\n",
    b"id: \0\n\n",
    b"\xef\xbb",
    b"\xbf",
    b"data: \xff\xe2\x82\n\n",
    b"",
]


def leak(feeds: int, rounds: int = 10) -> int:
    decoder = CompiledDecoder(max_line_size=64, max_event_size=1000, on_comment=lambda _: None)
    per_round = feeds // rounds
    tracemalloc.start()
    traced: list[int] = []
    rss: list[int] = []
    done = 0
    for _ in range(rounds):
        for i in range(per_round):
            with contextlib.suppress(LimitExceeded):
                decoder.feed(LEAK_CHUNKS[i % len(LEAK_CHUNKS)])
            if i % 1001 == 0:
                decoder.reset()
        done += per_round
        gc.collect()
        traced.append(tracemalloc.get_traced_memory()[0])
        rss.append(_rss_kib())
    tracemalloc.stop()
    print(f"leak: {done:,} feed() calls in {rounds} rounds")
    print(f"  traced KiB after each round: {[t // 1024 for t in traced]}")
    print(f"  resident KiB after each round: {rss}")
    # Flat: the last rounds hold no more than the second (after warm-up),
    # give or take a page or two.
    grew = traced[-1] - traced[1]
    rss_grew = rss[-1] - rss[1]
    if grew > 64 * 1024 or rss_grew > 1024:
        print(f"LEAK? traced grew {grew} B, resident {rss_grew} KiB")
        return 1
    print("  flat: no leak")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="fuzz time")
    parser.add_argument("--feeds", type=int, default=1_000_000, help="feed() calls for leak")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="a few seconds in all")
    args = parser.parse_args(argv)
    if CompiledDecoder is None:
        print("the compiled decoder is not built here; nothing to fuzz")
        return 1
    if args.quick:
        args.seconds, args.feeds = 0.5, 20_000
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"seed {seed}; Python {sys.version.split()[0]}")
    status = fuzz(args.seconds, seed) if args.seconds > 0 else 0
    if status == 0 and args.feeds > 0:
        status = leak(args.feeds)
    return status


if __name__ == "__main__":
    sys.exit(main())
