"""CPU per event through each real HTTP stack, over a connection held in memory.

`benchmarks.per_event` over loopback cannot resolve a difference of 1 us per
event: each event there costs the client 18-64 us in wake-ups and ``recv()``
calls, which move by more than that from run to run on a shared machine.
This runs the same readers (the raw loops, ssec_proto's adapters, the peers:
`benchmarks.per_event.READERS`, unchanged) with only the socket replaced:

* requests: urllib3's connection gets a socket that hands out one chunk
  per receive (``recv_into()`` or ``recv()``), under the socket's own raw
  file (``socket.SocketIO``) and http.client's buffered file, as
  ``socket.makefile()`` builds them;
* httpx: httpcore's sync backend gets a network stream whose ``read()``
  returns one chunk per call;
* aiohttp: the connector gets an asyncio transport that hands aiohttp's
  protocol one chunk per turn of the event loop (``data_received``), so the
  reader is woken once per chunk as by a socket.

The response is a ``Content-Length`` body (``--chunked``: a chunked one,
an HTTP chunk per event) of ``tiny`` events
(``data: {"n":123}``), one event per chunk: every layer above the socket
(http.client or httpcore or aiohttp's C parser, urllib3, requests, the
library under test) runs as it does on a network, once per event, while the
kernel's share (the same for every reader of a family) is gone. What is left
is mostly what differs between the readers.

Two ways to count, both reported per event:

* CPU time (default): rounds interleave every reader in a rotating order;
  the figure is the median over rounds, and "over raw" is the median of the
  per-round differences from the family's raw loop (paired: both ran in the
  same round), with the lowest and highest difference of the rounds;
* instructions (``--instructions``, needs valgrind): each reader runs under
  ``valgrind --tool=callgrind`` twice, with ``--small`` and ``--small +
  --events`` events; the difference of the two counts over ``--events`` is
  the cost per event without start-up and imports, and does not move with
  the machine's load (``PYTHONHASHSEED=0`` for both).

Usage::

    .venv/bin/python -m benchmarks.per_event_memory                 # 20,000 events, 15 rounds
    .venv/bin/python -m benchmarks.per_event_memory --instructions  # callgrind counts
    .venv/bin/python -m benchmarks.per_event_memory --quick         # smoke test
    .venv/bin/python -m benchmarks.per_event_memory --profile requests,ssec_proto
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import platform
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from benchmarks.instructions import callgrind
from benchmarks.per_event import EVENT, READERS, _version, interleave
from ssec_proto import DECODER_IMPLEMENTATION

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

#: The URL the readers ask for: nothing listens there, the fakes answer.
URL = "http://127.0.0.1:9/events"


#: Whether the response is chunked (`--chunked`) rather than of a Content-Length.
CHUNKED: list[bool] = [False]


def _chunks(count: int) -> list[bytes]:
    """The response: its head, then `count` events, one per chunk (and one per HTTP chunk)."""
    if CHUNKED[0]:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        event = b"%x\r\n%s\r\n" % (len(EVENT), EVENT)
        return [head] + [event] * count + [b"0\r\n\r\n"]
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        b"Content-Length: %d\r\n\r\n" % (len(EVENT) * count)
    )
    return [head] + [EVENT] * count


# --- the fake sockets ------------------------------------------------------------------


class _Socket:
    """Enough of a socket for urllib3 and http.client: one chunk per receive."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._next = iter(chunks).__next__

    def recv_into(self, buffer: Any, size: int = 0) -> int:
        try:
            chunk = self._next()
        except StopIteration:
            return 0
        n = len(chunk)  # every chunk fits http.client's 8 KiB buffer
        buffer[:n] = chunk
        return n

    def recv(self, size: int) -> bytes:
        try:
            return self._next()
        except StopIteration:
            return b""

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        # What socket.makefile() builds: the socket's own raw file under a
        # buffer, so that every layer above the system call runs.
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        pass

    def settimeout(self, seconds: float | None) -> None:
        pass

    def setsockopt(self, *args: Any) -> None:
        pass

    def close(self) -> None:
        pass


class _HttpcoreStream:
    """An httpcore network stream: one chunk per `read()`."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._next = iter(chunks).__next__

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._next()
        except StopIteration:
            return b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        pass

    def close(self) -> None:
        pass

    def get_extra_info(self, info: str) -> Any:
        return None


class _AsyncioTransport(asyncio.Transport):
    """An asyncio transport for aiohttp: one chunk per turn of the loop, once asked."""

    def __init__(self, protocol: Any, chunks: list[bytes]) -> None:
        super().__init__()
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._next = iter(chunks).__next__
        self._request: bytes | None = b""
        self._closing = False

    def _deliver(self) -> None:
        if self._closing:
            return
        try:
            chunk = self._next()
        except StopIteration:
            return  # the Content-Length ends the body; the connection stays
        self._protocol.data_received(chunk)
        # Scheduled after the wake-up of the reader this chunk woke: it reads
        # this chunk alone, as after a socket read.
        self._loop.call_soon(self._deliver)

    def write(self, data: Any) -> None:
        if self._request is None:
            return
        self._request += bytes(data)
        if b"\r\n\r\n" in self._request:  # the request is out: answer
            self._request = None
            self._loop.call_soon(self._deliver)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


@contextlib.contextmanager
def in_memory(count: int) -> Iterator[None]:
    """Within it, every new connection of the three stacks reads `count` events from memory."""
    import aiohttp.connector
    import httpcore._backends.sync
    import urllib3.connection

    def new_conn(self: Any) -> Any:
        return _Socket(_chunks(count))

    def connect_tcp(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _HttpcoreStream(_chunks(count))

    async def wrap_create_connection(self: Any, factory: Any, **kwargs: Any) -> Any:
        protocol = factory()
        transport = _AsyncioTransport(protocol, _chunks(count))
        protocol.connection_made(transport)
        return transport, protocol

    patches = [
        (urllib3.connection.HTTPConnection, "_new_conn", new_conn),
        (httpcore._backends.sync.SyncBackend, "connect_tcp", connect_tcp),
        (aiohttp.connector.TCPConnector, "_wrap_create_connection", wrap_create_connection),
    ]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


# --- running ---------------------------------------------------------------------------


#: Name prefixes of the readers to run (`--only`); empty: all of them.
ONLY: list[str] = []


def _readers(families: list[str]) -> list[tuple[str, str, Callable[..., Any], str]]:
    return [
        (f, name, reader, kind)
        for f in families
        for name, reader, kind in READERS[f]
        if not ONLY or any(name.startswith(prefix) for prefix in ONLY)
    ]


def _find(family: str, name: str) -> Callable[..., Any]:
    for found, reader_name, reader, _ in _readers([family]):
        if found == family and reader_name.startswith(name):
            return reader
    raise SystemExit(f"no reader {family},{name}")


def measure(
    count: int, rounds: int, families: list[str], say: Callable[[str], None]
) -> dict[str, Any]:
    """CPU seconds per run of each reader, per round: {(family, name): [seconds, ...]}."""
    readers = [(family, name, reader) for family, name, reader, _ in _readers(families)]
    with in_memory(count):
        return interleave(readers, URL, count, rounds, say)


def _drive_arg(family: str, name: str, count: int) -> str:
    return f"{family},{name},{count}" + (",chunked" if CHUNKED[0] else "")


def _drive(family: str, name: str, count: int) -> None:
    """Run one reader once over `count` events and print the number read."""
    reader = _find(family, name)
    with in_memory(count):
        _, got, _ = reader(URL, count)
    print(got)


def _callgrind(family: str, name: str, count: int) -> int:
    instructions, stdout = callgrind("benchmarks.per_event_memory", _drive_arg(family, name, count))
    if int(stdout.split()[-1]) != count:
        raise AssertionError(f"{family}/{name}: {stdout!r}, {count} events expected")
    return instructions


def count_instructions(
    small: int, events: int, families: list[str], jobs: int, say: Callable[[str], None]
) -> dict[tuple[str, str], float]:
    """Instructions per event of each reader: {(family, name): count}."""
    readers = [(f, name) for f, name, _, _ in _readers(families)]
    for family, name in list(readers):
        # Once outside valgrind, so that every module's bytecode is cached
        # before the two counted runs (compiling in one of them would skew
        # the difference), and to leave out peers not installed.
        command = [sys.executable, "-m", "benchmarks.per_event_memory"]
        done = subprocess.run(
            [*command, "--drive", _drive_arg(family, name, 2)], capture_output=True, check=False
        )
        if done.returncode:
            say(f"{family}/{name}: does not run, left out")
            readers.remove((family, name))

    def one(job: tuple[str, str, int]) -> int:
        say(f"callgrind {job[0]}/{job[1]}, {job[2]} events")
        return _callgrind(*job)

    jobs_list = [(f, n, c) for f, n in readers for c in (small, small + events)]
    with ThreadPoolExecutor(jobs) as pool:
        counts = dict(zip(jobs_list, pool.map(one, jobs_list), strict=True))
    return {
        (f, n): (counts[f, n, small + events] - counts[f, n, small]) / events for f, n in readers
    }


# --- the report ------------------------------------------------------------------------


def _header(title: str, lines: list[str], command: str) -> list[str]:
    return [
        f"# {title}",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
        f"- Interpreter: {platform.python_implementation()} {platform.python_version()}; "
        f"decoder: {DECODER_IMPLEMENTATION}",
        f"- Machine: {platform.platform()}",
        *lines,
        f"- Command: `{command}`",
        "",
    ]


def render_times(data: dict[str, Any], count: int, rounds: int, command: str) -> str:
    results, reads = data["results"], data["reads"]
    out = _header(
        "CPU per event through each HTTP stack, connection in memory",
        [
            f"- {count:,} `tiny` events per stream, one per socket read, "
            f"{'each in an HTTP chunk' if CHUNKED[0] else 'a Content-Length body'}; "
            f"{rounds} rounds, interleaved; medians of the client's CPU time "
            "(`time.process_time()`); "
            "over raw: median of the rounds' paired differences [lowest, highest]"
        ],
        command,
    )
    out += [
        "| family | reader | kind | CPU us/event | over raw, us/event | [range] | reads |",
        "|---|---|---|---:|---:|---|---:|",
    ]
    for family, readers in READERS.items():
        raw: list[float] | None = None
        for name, _, kind in readers:
            seconds = results.get((family, name))
            if not seconds:
                why = data["missing"].get((family, name))
                if why is not None:
                    out.append(f"| {family} | {name} | {kind} | {why} | | | |")
                continue
            per = [s / count * 1e6 for s in seconds]
            if raw is None:
                raw = per
            if kind.startswith("raw"):
                over, spread = "-", ""
            else:
                diffs = [a - b for a, b in zip(per, raw, strict=False)]
                over = f"{statistics.median(diffs):+.2f}"
                spread = f"[{min(diffs):+.2f}, {max(diffs):+.2f}]"
            nreads = reads.get((family, name))
            middle = f"{statistics.median(per):.2f} | {over} | {spread}"
            out.append(
                f"| {family} | {name} | {kind} | {middle} | "
                f"{'' if nreads is None else f'{nreads:,}'} |"
            )
    out += ["", _versions()]
    return "\n".join(out)


def render_instructions(
    counts: dict[tuple[str, str], float], small: int, events: int, command: str
) -> str:
    out = _header(
        "Instructions per event through each HTTP stack, connection in memory",
        [
            f"- valgrind --tool=callgrind, client process; ({small + events:,} events - "
            f"{small:,} events) / {events:,}; PYTHONHASHSEED=0; "
            f"{'each event in an HTTP chunk' if CHUNKED[0] else 'a Content-Length body'}"
        ],
        command,
    )
    out += [
        "| family | reader | kind | instructions/event | over raw |",
        "|---|---|---|---:|---:|",
    ]
    for family, readers in READERS.items():
        raw = None
        for name, _, kind in readers:
            if (family, name) not in counts:
                continue
            per = counts[family, name]
            if raw is None:
                raw = per
            over = "-" if kind.startswith("raw") else f"{per - raw:+,.0f}"
            out.append(f"| {family} | {name} | {kind} | {per:,.0f} | {over} |")
    out += ["", _versions()]
    return "\n".join(out)


def _versions() -> str:
    dists = ["httpx", "httpcore", "aiohttp", "requests", "urllib3", "httpx-sse", "openai"]
    dists += ["aiohttp-sse-client2", "requests-sse", "sseclient-py"]
    return "Versions: " + ", ".join(f"{d} {_version(d)}" for d in dists) + "."


def profile(family: str, name: str, count: int) -> str:
    """A cProfile of one reader over `count` events, by own time."""
    reader = _find(family, name)
    profiler = cProfile.Profile()
    with in_memory(count):
        profiler.runcall(reader, URL, count)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small stream, two rounds")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--families", default=",".join(READERS))
    parser.add_argument(
        "--only", default="", help="readers whose names start so, e.g. 'raw,ssec_proto'"
    )
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument("--small", type=int, default=200, help="--instructions' first run")
    parser.add_argument("--jobs", type=int, default=2, help="--instructions' parallel runs")
    parser.add_argument("--profile", metavar="FAMILY,READER", help="cProfile one reader")
    parser.add_argument(
        "--chunked", action="store_true", help="a chunked body (else one of a Content-Length)"
    )
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    families = [f for f in args.families.split(",") if f]
    ONLY[:] = [prefix for prefix in args.only.split(",") if prefix]
    say: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python -m benchmarks.per_event_memory", *given])
    CHUNKED[0] = args.chunked
    if args.drive:
        family, name, count, *framing = args.drive.split(",")
        CHUNKED[0] = framing == ["chunked"]
        _drive(family, name, int(count))
        return 0
    if args.profile:
        family, name = args.profile.split(",")
        print(profile(family, name, args.events))
        return 0
    if args.instructions:
        if shutil.which("valgrind") is None:
            parser.error("valgrind is not installed")
        events = 200 if args.quick else args.events
        counts = count_instructions(args.small, events, families, args.jobs, say)
        print(render_instructions(counts, args.small, events, command))
        return 0
    count, rounds = (500, 2) if args.quick else (args.events, args.rounds)
    data = measure(count, rounds, families, say)
    print(render_times(data, count, rounds, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
