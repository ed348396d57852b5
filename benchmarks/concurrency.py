"""Many concurrent streams in one process: throughput, CPU and memory per stream.

A raw asyncio event server runs in a child process on 127.0.0.1. Each of
``--streams`` clients in this process follows its own stream of ``--events``
events through an async adapter (httpx on asyncio, aiohttp), all sharing one
client/session. Every stream's connection is dropped once, at a random point
(possibly in the middle of an event), so every client also reconnects and
resumes with ``Last-Event-ID``; the server answers 204 once a stream is done.

Each stream must receive exactly ids 1..N, once each, in order: the run fails
otherwise. Reported per driver: wall time, events/s, CPU seconds of this
process (the server's are not counted), and peak RSS growth per stream.

Usage::

    .venv/bin/python -m benchmarks.concurrency                  # 1,000 streams each
    .venv/bin/python -m benchmarks.concurrency --streams 2000
    .venv/bin/python -m benchmarks.concurrency --quick          # CI smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import importlib.util
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ssec_proto import ReconnectConfig

HERE = Path(__file__).resolve().parent


# --- the server (child process) ---------------------------------------------------


async def _serve(port_file: Path, events: int, interval: float, seed: int) -> None:
    drops: dict[str, int] = {}
    rng = random.Random(seed)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            stream = lines[0].split(" ")[1].rpartition("/")[2]
            last = next(
                (
                    line.partition(":")[2].strip()
                    for line in lines[1:]
                    if line.lower().startswith("last-event-id:")
                ),
                "0",
            )
            first = int(last) + 1
            if first > events:
                writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            )
            # The first connection of each stream is cut once, mid-way.
            cut = None if stream in drops else drops.setdefault(stream, rng.randint(1, events))
            for k in range(first, events + 1):
                event = b'id: %d\ndata: {"stream": "%s", "n": %d}\n\n' % (k, stream.encode(), k)
                if k == cut:
                    writer.write(event[: rng.randrange(len(event))])
                    await writer.drain()
                    return
                writer.write(event)
                await writer.drain()
                await asyncio.sleep(interval)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    parent = os.getppid()
    async with server:
        # A server that outlives the run (its parent killed before it could
        # stop it) ends itself within a second.
        while os.getppid() == parent:
            await asyncio.sleep(1)


# --- the clients (this process) ------------------------------------------------------

FAST = ReconnectConfig(reconnection_time=0.05, max_delay=0.5, max_attempts=20)


async def _httpx(url: str, streams: int, check: Any) -> None:
    import httpx

    from ssec_proto.adapters.httpx import aconnect

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one(name: str) -> None:
            async with aconnect(f"{url}/{name}", client=client, reconnect=FAST) as source:
                check(name, [event async for event in source])

        await asyncio.gather(*(one(f"s{i}") for i in range(streams)))


async def _aiohttp(url: str, streams: int, check: Any) -> None:
    import aiohttp

    from ssec_proto.adapters.aiohttp import aconnect

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(name: str) -> None:
            async with aconnect(f"{url}/{name}", session=session, reconnect=FAST) as source:
                check(name, [event async for event in source])

        await asyncio.gather(*(one(f"s{i}") for i in range(streams)))


DRIVERS = {"httpx-asyncio": ("httpx", _httpx), "aiohttp": ("aiohttp", _aiohttp)}


def _available(library: str, module: str) -> bool:
    return (
        importlib.util.find_spec(library) is not None
        and importlib.util.find_spec(module) is not None
    )


def measure(driver: str, url: str, streams: int, events: int) -> dict[str, float]:
    """Run ``streams`` concurrent streams through ``driver``; verify and measure."""
    problems: list[str] = []
    received = 0

    def check(name: str, got: list[Any]) -> None:
        nonlocal received
        received += len(got)
        ids = [event.id for event in got]
        if ids != [str(k) for k in range(1, events + 1)]:
            problems.append(f"{name}: got ids {ids[:5]}... ({len(ids)} events)")

    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    asyncio.run(DRIVERS[driver][1](url, streams, check))
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    if problems:
        raise SystemExit(f"{driver}: {len(problems)} streams wrong, e.g. {problems[:3]}")
    return {
        "wall": wall,
        "events": received,
        "events_per_s": received / wall,
        "cpu": cpu,
        # ru_maxrss is in KiB on Linux; growth of the peak over the run.
        "kib_per_stream": max(0, usage.ru_maxrss - rss_before) / streams,
    }


def main(argv: list[str] | None = None) -> int:
    """Start the server, run every driver, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20, help="events per stream")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between events")
    parser.add_argument("--quick", action="store_true", help="20 streams x 5 events (CI smoke)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.streams, args.events, args.interval = 20, 5, 0.01
    if args.serve:
        asyncio.run(_serve(args.serve, args.events, args.interval, seed=1))
        return 0
    if args.client:
        # One driver per process, so that peak memory is its own.
        driver, _, url = args.client.partition("=")
        # Import before measuring, so that peak memory counts streams, not code.
        importlib.import_module(f"ssec_proto.adapters.{DRIVERS[driver][0]}")
        importlib.import_module(DRIVERS[driver][0])
        print(json.dumps(measure(driver, url, args.streams, args.events)))
        return 0

    port_file = Path(f"/tmp/ssec-proto-bench-{int(time.time() * 1000)}.port")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.concurrency",
            "--serve",
            str(port_file),
            "--events",
            str(args.events),
            "--interval",
            str(args.interval),
        ],
        cwd=HERE.parent,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline:
                raise SystemExit("the benchmark server did not start")
            time.sleep(0.01)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        print(f"Python {platform.python_version()}, {platform.system()} {platform.machine()}")
        print(f"{args.streams} streams x {args.events} events, one drop + resume per stream")
        print()
        print("| driver | wall (s) | events | events/s | CPU (s) | peak RSS growth per stream |")
        print("|---|---|---|---|---|---|")
        for driver, (library, function) in DRIVERS.items():
            module = f"ssec_proto.adapters.{library}"
            if not _available(library, module):
                print(f"| {driver} | not installed | | | | |")
                continue
            del function
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.concurrency",
                    "--client",
                    f"{driver}={url}",
                    "--streams",
                    str(args.streams),
                    "--events",
                    str(args.events),
                ],
                cwd=HERE.parent,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode:
                raise SystemExit(f"{driver} failed:\n{out.stdout}{out.stderr}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"| {driver} | {result['wall']:.2f} | {result['events']:,.0f} "
                f"| {result['events_per_s']:,.0f} | {result['cpu']:.2f} "
                f"| {result['kib_per_stream']:.1f} KiB |"
            )
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(10)
        port_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
