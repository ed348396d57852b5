"""CPU per event end to end, one event per server write: ours, the raw loop, and the peers.

A raw asyncio HTTP/1.1 server in a child process (it shares no GIL or CPU
accounting with the client) sends a stream of ``tiny`` events
(``data: {"n":123}``), each in a ``send()`` of its own on 127.0.0.1 with
TCP_NODELAY, paced (``--pace``, 0.1 ms) so that the client reads one event
per read, as from a real server that writes events as they happen (the
"reads" column shows it). In this process, each transport
family reads it:

* **raw**: the transport's own byte loop, no parsing (for requests both
  urllib3's ``read1()``, what the adapter used before issue 14, and
  ``http.client``'s, what it uses now);
* **calibration** (requests): the raw loop plus a fixed piece of Python
  work per read, a 60-step ``for`` loop. `benchmarks.per_event_memory` runs
  it too: there it costs what it costs with warm caches (about 0.5 us), here
  what the same work costs once each read has woken the client from a wait
  in the kernel, which is how much a loopback run inflates a small cost;
* **ssec_proto**: ``connect()`` / ``aconnect()`` from ``ssec_proto.adapters``,
  iterating every event;
* **peers**: the SSE libraries of that family on PyPI, reading the same URL
  as their documentation shows.

The figure is the client's CPU time (``time.process_time()``) per event,
median over the rounds; "over raw" is what the library adds per event on
top of its transport: the median over rounds of the paired difference (the
library's figure minus the raw loop's in the same round), with the lowest
and highest difference; "lowest over raw" is the reader's lowest round minus
the raw loop's lowest, as `timeit` reads its repeats: interference (other
processes, the hypervisor) only ever adds time, so each reader's quietest
round is the closest to its own cost. Rounds interleave every reader in a
rotating order.
The kernel's and the event loop's share of each event is large and moves
from run to run; `benchmarks.per_event_memory` runs the same readers over a
connection held in memory, which resolves differences this cannot.

Usage::

    .venv/bin/python -m benchmarks.per_event                # 20,000 events, 5 rounds
    .venv/bin/python -m benchmarks.per_event --quick        # smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import multiprocessing
import platform
import socket
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

from ssec_proto import DECODER_IMPLEMENTATION

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection

EVENT = b'data: {"n":123}\n\n'


# --- the server (child process) ------------------------------------------------------


def _serve(count: int, pace: float, conn: Connection) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (len(EVENT) * count)
    )
    listener = socket.create_server(("127.0.0.1", 0))
    conn.send(listener.getsockname()[1])
    listener.settimeout(0.2)
    while not conn.poll():  # the parent closes its end to stop us
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        with client:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = b""
            while b"\r\n\r\n" not in request:
                data = client.recv(4096)
                if not data:
                    break
                request += data
            try:
                client.sendall(head)
                for _ in range(count):
                    # One send() per event, paced so that the client has read
                    # the last one before the next arrives.
                    client.sendall(EVENT)
                    time.sleep(pace)
            except OSError:
                pass


def _server_main(count: int, pace: float, conn: Connection) -> None:
    _serve(count, pace, conn)


@contextlib.contextmanager
def serving(count: int, pace: float) -> Any:
    """Run the server in a child process; yields the stream's URL."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_server_main, args=(count, pace, child), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(60):
            raise RuntimeError("the benchmark server did not start")
        yield f"http://127.0.0.1:{parent.recv()}/events"
    finally:
        parent.close()
        process.join(10)
        if process.is_alive():  # pragma: no cover
            process.terminate()


# --- the readers: each returns (CPU seconds, events or bytes, reads) ---------------------


def _timed(body: Callable[[], tuple[int, int]]) -> tuple[float, int, int]:
    gc.collect()
    start = time.process_time()
    count, reads = body()
    return time.process_time() - start, count, reads


async def _atimed(body: Callable[[], Any]) -> tuple[float, int, int]:
    gc.collect()
    start = time.process_time()
    count, reads = await body()
    return time.process_time() - start, count, reads


def httpx_raw(url: str, n: int) -> tuple[float, int, int]:
    import httpx

    with httpx.Client(timeout=60) as client:

        def body() -> tuple[int, int]:
            size = reads = 0
            with client.stream("GET", url) as response:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    reads += 1
            return size // len(EVENT), reads

        return _timed(body)


def httpx_ours(url: str, n: int) -> tuple[float, int, int]:
    import httpx

    from ssec_proto.adapters.httpx import connect

    with httpx.Client(timeout=60) as client:

        def body() -> tuple[int, int]:
            count = 0
            with connect(url, client=client, reconnect=False) as source:
                for _event in source:
                    count += 1
            return count, 0

        return _timed(body)


def httpx_sse(url: str, n: int) -> tuple[float, int, int]:
    import httpx
    from httpx_sse import connect_sse

    with httpx.Client(timeout=60) as client:

        def body() -> tuple[int, int]:
            count = 0
            with connect_sse(client, "GET", url) as source:
                for _event in source.iter_sse():
                    count += 1
            return count, 0

        return _timed(body)


def httpx_openai(url: str, n: int) -> tuple[float, int, int]:
    import httpx
    from openai._streaming import SSEDecoder

    with httpx.Client(timeout=60) as client:

        def body() -> tuple[int, int]:
            count = 0
            with client.stream("GET", url) as response:
                for _event in SSEDecoder().iter_bytes(response.iter_bytes()):
                    count += 1
            return count, 0

        return _timed(body)


def aiohttp_raw(url: str, n: int) -> tuple[float, int, int]:
    import aiohttp

    async def run() -> tuple[float, int, int]:
        async with aiohttp.ClientSession() as session:

            async def body() -> tuple[int, int]:
                size = reads = 0
                async with session.get(url) as response:
                    async for chunk in response.content.iter_any():
                        size += len(chunk)
                        reads += 1
                return size // len(EVENT), reads

            return await _atimed(body)

    return asyncio.run(run())


def aiohttp_ours(url: str, n: int) -> tuple[float, int, int]:
    import aiohttp

    from ssec_proto.adapters.aiohttp import aconnect

    async def run() -> tuple[float, int, int]:
        async with aiohttp.ClientSession() as session:

            async def body() -> tuple[int, int]:
                count = 0
                async with aconnect(url, session=session, reconnect=False) as source:
                    async for _event in source:
                        count += 1
                return count, 0

            return await _atimed(body)

    return asyncio.run(run())


def aiohttp_sse_client2(url: str, n: int) -> tuple[float, int, int]:
    import aiohttp
    from aiohttp_sse_client2.client import EventSource

    async def run() -> tuple[float, int, int]:
        async with aiohttp.ClientSession() as session:

            async def body() -> tuple[int, int]:
                count = 0
                async with EventSource(url, session=session) as source:
                    async for _event in source:
                        count += 1
                        if count == n:  # it reconnects at the end: stop there
                            break
                return count, 0

            return await _atimed(body)

    return asyncio.run(run())


def requests_raw_read1(url: str, n: int) -> tuple[float, int, int]:
    import requests

    with requests.Session() as session:

        def body() -> tuple[int, int]:
            size = reads = 0
            with session.get(url, stream=True, timeout=60) as response:
                read1 = response.raw.read1
                while chunk := read1(65536, decode_content=True):
                    size += len(chunk)
                    reads += 1
            return size // len(EVENT), reads

        return _timed(body)


def requests_raw_http_client(url: str, n: int) -> tuple[float, int, int]:
    import requests

    with requests.Session() as session:

        def body() -> tuple[int, int]:
            size = reads = 0
            with session.get(url, stream=True, timeout=60) as response:
                read1 = response.raw._fp.read1  # type: ignore[union-attr]
                while chunk := read1(65536):
                    size += len(chunk)
                    reads += 1
            return size // len(EVENT), reads

        return _timed(body)


def requests_calibration(url: str, n: int) -> tuple[float, int, int]:
    import requests

    steps = range(60)
    with requests.Session() as session:

        def body() -> tuple[int, int]:
            size = reads = 0
            with session.get(url, stream=True, timeout=60) as response:
                read1 = response.raw._fp.read1  # type: ignore[union-attr]
                while chunk := read1(65536):
                    for _ in steps:
                        pass
                    size += len(chunk)
                    reads += 1
            return size // len(EVENT), reads

        return _timed(body)


def requests_ours(url: str, n: int) -> tuple[float, int, int]:
    import requests

    from ssec_proto.adapters.requests import connect

    with requests.Session() as session:

        def body() -> tuple[int, int]:
            count = 0
            with connect(url, session=session, reconnect=False) as source:
                for _event in source:
                    count += 1
            return count, 0

        return _timed(body)


def requests_sse(url: str, n: int) -> tuple[float, int, int]:
    import requests
    from requests_sse import EventSource

    def stop(*_: object) -> None:
        raise StopIteration

    with requests.Session() as session:

        def body() -> tuple[int, int]:
            count = 0
            with EventSource(url, session=session, timeout=60) as source:
                for _event in source:
                    count += 1
                    if count == n:  # it reconnects at the end: stop there
                        break
            return count, 0

        return _timed(body)


def sseclient_py(url: str, n: int) -> tuple[float, int, int]:
    import requests
    from sseclient import SSEClient

    with requests.Session() as session:

        def body() -> tuple[int, int]:
            count = 0
            with session.get(url, stream=True, timeout=60) as response:
                # sseclient-py 1.9 ships stubs that type its source as an
                # Iterator[bytes]; a Response is the iterable its README passes.
                source: Any = response
                for _event in SSEClient(source).events():
                    count += 1
            return count, 0

        return _timed(body)


#: family -> (name, reader, kind); the first of each family is its raw loop.
READERS: dict[str, list[tuple[str, Callable[[str, int], tuple[float, int, int]], str]]] = {
    "httpx": [
        ("raw: response.iter_bytes()", httpx_raw, "raw"),
        ("ssec_proto", httpx_ours, "ours"),
        ("httpx-sse", httpx_sse, "peer"),
        ("openai (SSEDecoder over iter_bytes)", httpx_openai, "peer"),
    ],
    "aiohttp": [
        ("raw: response.content.iter_any()", aiohttp_raw, "raw"),
        ("ssec_proto", aiohttp_ours, "ours"),
        ("aiohttp-sse-client2", aiohttp_sse_client2, "peer"),
    ],
    "requests": [
        ("raw: http.client read1()", requests_raw_http_client, "raw"),
        ("raw: urllib3 read1()", requests_raw_read1, "raw (before)"),
        ("calibration: http.client read1() + a 60-step loop", requests_calibration, "calibration"),
        ("ssec_proto", requests_ours, "ours"),
        ("requests-sse", requests_sse, "peer"),
        ("sseclient-py", sseclient_py, "peer"),
    ],
}


def interleave(
    readers: list[tuple[str, str, Callable[[str, int], tuple[float, int, int]]]],
    url: str,
    count: int,
    rounds: int,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Run `(family, name, reader)` over `url` for `rounds` rounds, in a rotating order.

    Returns `{"results": {(family, name): [CPU seconds, ...]}, "reads": {...},
    "missing": {(family, name): why}}`; a reader whose peer library is not
    installed is left out, and one that reads a wrong number of events fails.
    """
    results: dict[tuple[str, str], list[float]] = {}
    reads: dict[tuple[str, str], int] = {}
    missing: dict[tuple[str, str], str] = {}
    for round_index in range(rounds):
        say(f"round {round_index + 1}/{rounds}")
        shift = round_index % len(readers)
        for family, name, reader in readers[shift:] + readers[:shift]:
            if (family, name) in missing:
                continue
            try:
                seconds, got, nreads = reader(url, count)
            except ImportError as exc:  # a peer not installed (the bench extra)
                missing[family, name] = f"not installed ({exc.name})"
                continue
            if got != count:
                raise AssertionError(f"{family}/{name}: {got} events, {count} expected")
            results.setdefault((family, name), []).append(seconds)
            if nreads:
                reads[family, name] = nreads
    return {"results": results, "reads": reads, "missing": missing}


def run(
    count: int, rounds: int, families: list[str], pace: float, say: Callable[[str], None]
) -> dict[str, Any]:
    readers = [(f, name, reader) for f in families for name, reader, _ in READERS[f]]
    with serving(count, pace) as url:
        return interleave(readers, url, count, rounds, say)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def render(data: dict[str, Any], count: int, rounds: int, command: str) -> str:
    results, reads = data["results"], data["reads"]
    out = [
        "# CPU per event end to end, one event per server write",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
        f"- Interpreter: {platform.python_implementation()} {platform.python_version()}; "
        f"decoder: {DECODER_IMPLEMENTATION}",
        f"- Machine: {platform.platform()}; a shared 2-core machine (another engineer's test "
        "suites may run alongside): compare rows within a run",
        f"- {count:,} `tiny` events per stream, each in its own server write; {rounds} rounds, "
        "medians of the client's CPU time (`time.process_time()`)",
        f"- Command: `{command}`",
        "",
        "| family | reader | kind | CPU us/event | over raw, us/event | [range] "
        "| lowest over raw | reads |",
        "|---|---|---|---:|---:|---|---:|---:|",
    ]
    for family, readers in READERS.items():
        if not any((family, n) in results or (family, n) in data["missing"] for n, _, _ in readers):
            continue  # not selected
        raw: list[float] | None = None
        for name, _, kind in readers:
            seconds = results.get((family, name))
            if not seconds:
                why = data["missing"].get((family, name), "not run")
                out.append(f"| {family} | {name} | {kind} | {why} | | | | |")
                continue
            per = [s / count * 1e6 for s in seconds]
            if raw is None:
                raw = per
            over = spread = lowest = ""
            if not kind.startswith("raw"):
                lowest = f"{min(per) - min(raw):+.2f}"
                # Paired: each round's reading minus the raw loop's of the
                # same round, so that a slow round weighs on both alike.
                diffs = [a - b for a, b in zip(per, raw, strict=False)]
                over = f"{statistics.median(diffs):+.2f}"
                spread = f"[{min(diffs):+.2f}, {max(diffs):+.2f}]"
            nreads = reads.get((family, name))
            out.append(
                f"| {family} | {name} | {kind} | {statistics.median(per):.2f} | {over or '-'} | "
                f"{spread} | {lowest or '-'} | {'' if nreads is None else f'{nreads:,}'} |"
            )
    out.append("")
    versions = ", ".join(
        f"{d} {_version(d)}"
        for d in (
            "httpx",
            "aiohttp",
            "requests",
            "urllib3",
            "httpx-sse",
            "openai",
            "aiohttp-sse-client2",
            "requests-sse",
            "sseclient-py",
        )
    )
    out.append(f"Versions: {versions}.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small stream, one round")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--families", default=",".join(READERS))
    parser.add_argument(
        "--pace", type=float, default=0.0001, help="server's pause after each event, s"
    )
    args = parser.parse_args(argv)
    count, rounds = (200, 1) if args.quick else (args.events, args.rounds)
    families = [f for f in args.families.split(",") if f]
    data = run(count, rounds, families, args.pace, lambda m: print(m, file=sys.stderr, flush=True))
    command = ".venv/bin/python -m benchmarks.per_event" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:])
        else ""
    )
    print(render(data, count, rounds, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
