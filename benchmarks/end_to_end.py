"""End to end over loopback: events/s through each adapter against its transport's raw bytes.

A raw asyncio HTTP/1.1 server runs in a child process (``multiprocessing``,
so it shares no GIL with the client) on 127.0.0.1 and answers each request
with a whole workload from :mod:`benchmarks.workloads`, pre-encoded, written
as fast as the socket takes it. In this process, each driver reads the same
stream three ways:

* **raw**: the transport's own byte loop, no parsing: what the adapter reads
  from (httpx ``response.iter_bytes()`` / ``aiter_bytes()``, aiohttp
  ``response.content.iter_any()``, urllib3 ``response.raw.read1()`` under
  requests);
* **raw + feed**: that loop with ``Decoder().feed(chunk)`` on each chunk, and
  each event iterated: the transport plus the decoder, without the adapter;
* **ours**: ``connect()`` / ``aconnect()`` from ``ssec_proto.adapters``,
  iterating every event (the lifecycle, the reconnect policy, the event
  timeout check and the per-event generator hand-off included).

With ``--baseline REF``, a fourth way reads it too:

* **before**: ``connect()`` / ``aconnect()`` of git commit ``REF``'s
  ``ssec_proto`` (imported as ``ssec_proto_baseline``, see
  :mod:`benchmarks.baseline`), interleaved with the others, so that before
  and after are measured in the same run.

The overhead is ``ours time / raw time - 1``: what parsing, in all, costs on
top of the network; the bar from the issue is at most 1/3 (33%). "feed share"
is the part of that overhead the decoder alone accounts for
(``(raw + feed - raw) / (ours - raw)``); the rest is the adapter layer.

Each workload is sized so that one read through ``ours`` takes about
``--seconds`` (from a quick in-process calibration of the decoder); rounds
interleave every driver and mode in a rotating order, and the figures are
medians. Before timing, one untimed read through each adapter is checked
against the events the workload generator says the stream holds.

Usage::

    .venv/bin/python -m benchmarks.end_to_end                 # tiny and llm, 5 rounds
    .venv/bin/python -m benchmarks.end_to_end --workloads llm --rounds 3
    .venv/bin/python -m benchmarks.end_to_end --framing chunked
    .venv/bin/python -m benchmarks.end_to_end --baseline 0b7196c   # before/after
    .venv/bin/python -m benchmarks.end_to_end --quick         # CI smoke test, seconds
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gc
import importlib
import importlib.util
import multiprocessing
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from benchmarks import baseline as baseline_package
from benchmarks.workloads import WORKLOAD_NAMES, KiB, MiB, Workload, chunked, make_workload
from ssec_proto import Decoder

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from multiprocessing.connection import Connection

__all__ = ["DRIVERS", "MODES", "main", "render", "run_end_to_end"]

#: Driver name -> the library it needs.
DRIVERS = {
    "httpx": "httpx",
    "httpx-asyncio": "httpx",
    "aiohttp": "aiohttp",
    "requests": "requests",
}
#: What each driver's raw loop calls, for the report.
RAW_LOOPS = {
    "httpx": "for chunk in response.iter_bytes()",
    "httpx-asyncio": "async for chunk in response.aiter_bytes()",
    "aiohttp": "async for chunk in response.content.iter_any()",
    "requests": "while chunk := response.raw.read1(65536, decode_content=True)",
}
MODES = ("raw", "feed", "ours")
#: The mode of ``--baseline``: an earlier commit's adapter.
BEFORE = "before"
DEFAULT_WORKLOADS = ("tiny", "llm")
#: HTTP chunk size of the ``chunked`` framing.
HTTP_CHUNK = 16 * KiB
#: Upper bound of a calibrated workload.
MAX_SIZE = 256 * MiB
#: The bar from the issue: ours may take at most this much longer than raw.
BAR = 1 / 3


# --- the server (child process) ------------------------------------------------------


def _encode(body: bytes, framing: str) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
    if framing == "length":
        return head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
    pieces = (b"%x\r\n%b\r\n" % (len(piece), piece) for piece in chunked(body, HTTP_CHUNK))
    end = b"0\r\n\r\n"
    return (
        head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + b"".join(pieces) + end
    )


async def _serve(bodies: dict[str, bytes], framing: str, conn: Connection) -> None:
    responses = {f"/{name}": _encode(body, framing) for name, body in bodies.items()}
    bodies.clear()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("ascii")
            response = responses.get(path)
            if response is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            else:
                writer.write(response)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    conn.send(server.sockets[0].getsockname()[1])
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)  # the parent closed its end (or wrote)
    async with server:
        await stop.wait()


def _server_main(bodies: dict[str, bytes], framing: str, conn: Connection) -> None:
    asyncio.run(_serve(bodies, framing, conn))


@contextlib.contextmanager
def serving(bodies: dict[str, bytes], framing: str = "length") -> Any:
    """Run the server in a child process; yields its base URL."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_server_main, args=(bodies, framing, child), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(60):
            raise RuntimeError("the benchmark server did not start")
        yield f"http://127.0.0.1:{parent.recv()}"
    finally:
        parent.close()  # the server sees EOF on the pipe and stops
        process.join(10)
        if process.is_alive():  # pragma: no cover - a stuck server
            process.terminate()
            process.join(10)


# --- the clients (this process) ------------------------------------------------------

# Each reader returns (seconds, bytes or events read). ``keep`` collects the
# events of an untimed check run (``ours`` only).


def _adapter(mode: str, name: str) -> Any:
    """The adapter module ``name`` that ``mode`` reads with: ours, or the baseline's."""
    package = baseline_package.NAME if mode == BEFORE else "ssec_proto"
    return importlib.import_module(f"{package}.adapters.{name}")


def _httpx_sync(mode: str, url: str, expected: int, keep: list[Any] | None) -> tuple[float, int]:
    import httpx

    connect = _adapter(mode, "httpx").connect
    with httpx.Client(timeout=60) as client:
        start = time.perf_counter()
        count = 0
        if mode in ("ours", BEFORE):
            with connect(url, client=client, reconnect=False) as source:
                for event in source:
                    if keep is not None:
                        keep.append(event)
                    count += 1
                    if count == expected:
                        break
        else:
            with client.stream("GET", url) as response:
                if mode == "raw":
                    for chunk in response.iter_bytes():
                        count += len(chunk)
                else:
                    feed = Decoder().feed
                    for chunk in response.iter_bytes():
                        for _event in feed(chunk):
                            count += 1
        return time.perf_counter() - start, count


async def _httpx_async(
    mode: str, url: str, expected: int, keep: list[Any] | None
) -> tuple[float, int]:
    import httpx

    aconnect = _adapter(mode, "httpx").aconnect
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        count = 0
        if mode in ("ours", BEFORE):
            async with aconnect(url, client=client, reconnect=False) as source:
                async for event in source:
                    if keep is not None:
                        keep.append(event)
                    count += 1
                    if count == expected:
                        break
        else:
            async with client.stream("GET", url) as response:
                if mode == "raw":
                    async for chunk in response.aiter_bytes():
                        count += len(chunk)
                else:
                    feed = Decoder().feed
                    async for chunk in response.aiter_bytes():
                        for _event in feed(chunk):
                            count += 1
        return time.perf_counter() - start, count


async def _aiohttp(mode: str, url: str, expected: int, keep: list[Any] | None) -> tuple[float, int]:
    import aiohttp

    aconnect = _adapter(mode, "aiohttp").aconnect
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        count = 0
        if mode in ("ours", BEFORE):
            async with aconnect(url, session=session, reconnect=False) as source:
                async for event in source:
                    if keep is not None:
                        keep.append(event)
                    count += 1
                    if count == expected:
                        break
        else:
            async with session.get(url) as response:
                if mode == "raw":
                    async for chunk in response.content.iter_any():
                        count += len(chunk)
                else:
                    feed = Decoder().feed
                    async for chunk in response.content.iter_any():
                        for _event in feed(chunk):
                            count += 1
        return time.perf_counter() - start, count


def _requests(mode: str, url: str, expected: int, keep: list[Any] | None) -> tuple[float, int]:
    import requests

    connect = _adapter(mode, "requests").connect
    with requests.Session() as session:
        start = time.perf_counter()
        count = 0
        if mode in ("ours", BEFORE):
            with connect(url, session=session, reconnect=False) as source:
                for event in source:
                    if keep is not None:
                        keep.append(event)
                    count += 1
                    if count == expected:
                        break
        else:
            with session.get(url, stream=True, timeout=60) as response:
                read1 = response.raw.read1
                if mode == "raw":
                    while chunk := read1(64 * KiB, decode_content=True):
                        count += len(chunk)
                else:
                    feed = Decoder().feed
                    while chunk := read1(64 * KiB, decode_content=True):
                        for _event in feed(chunk):
                            count += 1
        return time.perf_counter() - start, count


def read_once(
    driver: str, mode: str, url: str, expected: int, keep: list[Any] | None = None
) -> tuple[float, int]:
    """Read one stream through ``driver`` in ``mode``: (seconds, bytes or events)."""
    gc.collect()
    if driver == "httpx":
        return _httpx_sync(mode, url, expected, keep)
    if driver == "requests":
        return _requests(mode, url, expected, keep)
    reader = _httpx_async if driver == "httpx-asyncio" else _aiohttp
    return asyncio.run(reader(mode, url, expected, keep))


# --- the run -------------------------------------------------------------------------


@dataclass
class Cell:
    """One driver on one workload: seconds per mode over the rounds."""

    seconds: dict[str, list[float]] = field(
        default_factory=lambda: {m: [] for m in (*MODES, BEFORE)}
    )

    def median(self, mode: str) -> float:
        """Median seconds of ``mode``."""
        return statistics.median(self.seconds[mode])


@dataclass
class EndToEnd:
    """Everything the report needs."""

    workloads: list[Workload]
    drivers: list[str]
    missing: list[str]
    cells: dict[tuple[str, str], Cell]
    rounds: int
    framing: str
    seconds: float
    started: datetime.datetime
    elapsed: float
    quick: bool
    #: The baseline's label (``ssec_proto@<commit>``), if one was read too.
    baseline: str | None = None


def calibrate(name: str, seconds: float, chunk_size: int = 64 * KiB) -> int:
    """Bytes of workload ``name`` that ``Decoder.feed`` takes about ``seconds`` to decode."""
    sample = make_workload(name, MiB)
    chunks = chunked(sample.data, chunk_size)
    best = float("inf")
    for _ in range(3):
        feed = Decoder().feed
        start = time.perf_counter()
        for chunk in chunks:
            feed(chunk)
        best = min(best, time.perf_counter() - start)
    rate = len(sample.data) / best
    return max(64 * KiB, min(MAX_SIZE, int(rate * seconds)))


def _normalised(events: list[Any]) -> list[tuple[str, str, str]]:
    return [(e.event, e.data, e.id) for e in events]


def run_end_to_end(
    *,
    workload_names: Sequence[str] = DEFAULT_WORKLOADS,
    drivers: Sequence[str] = tuple(DRIVERS),
    rounds: int = 5,
    seconds: float = 1.0,
    size: int | None = None,
    framing: str = "length",
    quick: bool = False,
    baseline: str | None = None,
    say: Callable[[str], None] = lambda _message: None,
) -> EndToEnd:
    """Serve the workloads, check every adapter once, then time the rounds.

    ``baseline`` is a git ref whose adapters are read too (mode ``before``).
    """
    started = datetime.datetime.now(datetime.timezone.utc)
    modes: tuple[str, ...] = MODES
    if baseline is not None:
        baseline_package.load(baseline_package.extract(baseline))
        modes = (*MODES, BEFORE)
    clock = time.perf_counter()
    available = [d for d in drivers if importlib.util.find_spec(DRIVERS[d]) is not None]
    missing = [d for d in drivers if d not in available]
    workloads = []
    for name in workload_names:
        # The decoder is the slowest stage, so sizing by it gives ~seconds for ours.
        nbytes = size if size is not None else calibrate(name, seconds)
        say(f"end to end: building {name}, {nbytes / MiB:.1f} MiB")
        workloads.append(make_workload(name, nbytes))
    cells = {(w.name, d): Cell() for w in workloads for d in available}
    # Keep what is loaded (HTTP libraries, and the SDKs when benchmarks.run
    # compared peers first) out of the collections run during the reads.
    gc.collect()
    gc.freeze()
    try:
        _read_all(workloads, available, cells, modes, rounds=rounds, framing=framing, say=say)
    finally:
        gc.unfreeze()
    return EndToEnd(
        workloads=workloads,
        drivers=available,
        missing=missing,
        cells=cells,
        rounds=rounds,
        framing=framing,
        seconds=seconds,
        started=started,
        elapsed=time.perf_counter() - clock,
        quick=quick,
        baseline=baseline_package.label(baseline) if baseline is not None else None,
    )


def _read_all(
    workloads: list[Workload],
    available: list[str],
    cells: dict[tuple[str, str], Cell],
    modes: tuple[str, ...],
    *,
    rounds: int,
    framing: str,
    say: Callable[[str], None],
) -> None:
    with serving({w.name: w.data for w in workloads}, framing) as base:
        for workload in workloads:
            url = f"{base}/{workload.name}"
            expected = len(workload.expected)
            for driver in available:
                for mode in modes[2:]:  # ours, and before
                    got: list[Any] = []
                    read_once(driver, mode, url, expected, got)
                    if _normalised(got) != workload.expected:
                        raise AssertionError(f"{driver} {mode} on {workload.name}: wrong events")
                    del got
                nbytes = read_once(driver, "raw", url, expected)[1]
                if nbytes != len(workload.data):
                    raise AssertionError(f"{driver} raw on {workload.name}: {nbytes:,} bytes")
        for round_index in range(rounds):
            say(f"end to end: round {round_index + 1}/{rounds}")
            for workload in workloads:
                url = f"{base}/{workload.name}"
                expected = len(workload.expected)
                shift = round_index % len(available) if available else 0
                for driver in available[shift:] + available[:shift]:
                    turn = round_index % len(modes)
                    for mode in modes[turn:] + modes[:turn]:
                        took, count = read_once(driver, mode, url, expected)
                        want = len(workload.data) if mode == "raw" else expected
                        if count != want:
                            raise AssertionError(
                                f"{driver} {mode} on {workload.name}: {count:,} instead of {want:,}"
                            )
                        cells[workload.name, driver].seconds[mode].append(took)


# --- the report ----------------------------------------------------------------------


def _sig(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _rate(count: float) -> str:
    if count >= 1e6:
        return f"{_sig(count / 1e6)} M"
    if count >= 1e3:
        return f"{_sig(count / 1e3)} k"
    return _sig(count)


def render(result: EndToEnd, *, level: int = 1, header: bool = True) -> str:
    """The Markdown report; ``level`` is the top heading's level."""
    h1 = "#" * level
    h2 = "#" * (level + 1)
    out: list[str] = []
    add = out.append
    add(f"{h1} End to end over loopback" + (" (quick smoke run)" if result.quick else ""))
    add("")
    if header:
        add(f"- Date: {result.started:%Y-%m-%d %H:%M} UTC")
        add(
            f"- Interpreter: {platform.python_implementation()} {platform.python_version()}; "
            f"{platform.system()} {platform.machine()}"
        )
    add(f"- Took {result.elapsed:.0f} s.")
    add(
        f"- Server: raw asyncio HTTP/1.1 server in a child process on 127.0.0.1, the whole "
        f"pre-encoded response in one write; framing: {result.framing}"
        + (f" ({HTTP_CHUNK // KiB} KiB HTTP chunks)" if result.framing == "chunked" else "")
        + "."
    )
    add(
        f"- Each workload sized for about {result.seconds:g} s through the decoder; "
        f"{result.rounds} round(s), drivers and modes interleaved in rotating order; medians."
    )
    add(
        "- raw: the transport's byte loop, no parsing; raw + feed: the same loop with "
        "`Decoder().feed(chunk)`; ours: the adapter's `connect()` / `aconnect()`."
    )
    add(
        f"- overhead = ours time / raw time - 1 (the bar: at most {BAR:.0%}); feed share = "
        "(raw + feed - raw) / (ours - raw), the part of the overhead in the decoder."
    )
    if result.baseline:
        add(
            f"- before: the adapters of {result.baseline}, read in the same rounds; "
            "before / ours = how many times longer the earlier commit took."
        )
    if result.missing:
        add(f"- Not installed, skipped: {', '.join(result.missing)}.")
    add("")
    if result.baseline:
        _render_baseline(result, add)
        return "\n".join(out)
    add(
        "| workload | driver | raw MB/s | raw events/s | raw + feed events/s | ours events/s "
        "| ours MB/s | overhead | feed share | within bar |"
    )
    add("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for workload in result.workloads:
        nbytes = len(workload.data)
        nevents = len(workload.expected)
        for driver in result.drivers:
            cell = result.cells[workload.name, driver]
            raw, feed, ours = (cell.median(m) for m in MODES)
            overhead = ours / raw - 1
            share = (feed - raw) / (ours - raw) if ours > raw else float("nan")
            add(
                f"| {workload.name} | {driver} | {_sig(nbytes / raw / 1e6)} "
                f"| {_rate(nevents / raw)} | {_rate(nevents / feed)} | {_rate(nevents / ours)} "
                f"| {_sig(nbytes / ours / 1e6)} | {overhead:+.0%} | {share:.0%} "
                f"| {'yes' if overhead <= BAR else 'no'} |"
            )
    add("")
    add(f"{h2} Workloads and raw loops")
    add("")
    add("| workload | bytes | events | stream |")
    add("|---|---:|---:|---|")
    for workload in result.workloads:
        add(
            f"| {workload.name} | {len(workload.data):,} | {len(workload.expected):,} "
            f"| {workload.description} |"
        )
    add("")
    add("| driver | raw loop |")
    add("|---|---|")
    for driver in result.drivers:
        add(f"| {driver} | `{RAW_LOOPS[driver]}` |")
    add("")
    return "\n".join(out)


def _render_baseline(result: EndToEnd, add: Callable[[str], None]) -> None:
    """The before/after table: the same cells, ours beside the baseline's adapter."""
    add(
        "| workload | driver | raw events/s | before events/s | ours events/s "
        "| before overhead | ours overhead | before / ours |"
    )
    add("|---|---|---:|---:|---:|---:|---:|---:|")
    for workload in result.workloads:
        nevents = len(workload.expected)
        for driver in result.drivers:
            cell = result.cells[workload.name, driver]
            raw, ours, before = (cell.median(m) for m in ("raw", "ours", BEFORE))
            add(
                f"| {workload.name} | {driver} | {_rate(nevents / raw)} "
                f"| {_rate(nevents / before)} | {_rate(nevents / ours)} "
                f"| {before / raw - 1:+.0%} | {ours / raw - 1:+.0%} | {before / ours:.2f}x |"
            )
    add("")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_arguments(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The end-to-end options (``prefix`` namespaces them inside benchmarks.run)."""
    parser.add_argument(
        f"--{prefix}workloads",
        default=",".join(DEFAULT_WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOAD_NAMES)} (default tiny,llm)",
    )
    parser.add_argument(
        f"--{prefix}drivers",
        default=",".join(DRIVERS),
        help=f"comma-separated subset of {','.join(DRIVERS)}",
    )
    parser.add_argument(
        f"--{prefix}seconds",
        type=float,
        default=1.0,
        help="size each workload for about this long through the decoder (default 1)",
    )
    parser.add_argument(
        f"--{prefix}framing",
        choices=("length", "chunked"),
        default="length",
        help="Content-Length body (default) or chunked transfer encoding",
    )


def options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, prefix: str = ""
) -> dict[str, Any]:
    """Validated keyword arguments for :func:`run_end_to_end` from ``args``."""
    get = vars(args)
    key = prefix.replace("-", "_")
    names = tuple(n for n in get[f"{key}workloads"].split(",") if n)
    drivers = tuple(d for d in get[f"{key}drivers"].split(",") if d)
    if bad := [n for n in names if n not in WORKLOAD_NAMES]:
        parser.error(f"unknown workload(s): {', '.join(bad)}")
    if bad := [d for d in drivers if d not in DRIVERS]:
        parser.error(f"unknown driver(s): {', '.join(bad)}")
    if get[f"{key}seconds"] <= 0:
        parser.error(f"--{prefix}seconds must be positive")
    return {
        "workload_names": names,
        "drivers": drivers,
        "seconds": get[f"{key}seconds"],
        "framing": get[f"{key}framing"],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its Markdown report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small streams, one round (CI)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 5; 1 with --quick)")
    parser.add_argument("--size", type=float, help="MiB per workload (default: calibrated)")
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also read through the adapters of this git commit (mode 'before')",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    kwargs = options(parser, args)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 5)
    if rounds < 1 or (args.size is not None and args.size <= 0):
        parser.error("--rounds and --size must be positive")
    size = int(args.size * MiB) if args.size is not None else (256 * KiB if args.quick else None)
    result = run_end_to_end(
        rounds=rounds,
        size=size,
        quick=args.quick,
        baseline=args.baseline,
        say=_progress,
        **kwargs,
    )
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
