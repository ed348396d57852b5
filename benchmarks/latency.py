"""Event latency through each adapter: from the server's write to the client's hands.

A raw asyncio server on 127.0.0.1 (in a thread) writes one small event, then
waits for the client to hang up, so nothing but the adapter's own buffering
can delay the event. For each driver and trial, the latency is the time from
just before the server's write to the moment the client's loop receives the
event (both read from ``time.perf_counter`` in the same process).

Usage::

    .venv/bin/python -m benchmarks.latency            # 30 trials per driver
    .venv/bin/python -m benchmarks.latency --quick    # CI smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import platform
import statistics
import threading
import time
from typing import Any

DRIVERS = ["httpx", "httpx-asyncio", "aiohttp", "requests"]


class Server:
    """One-event server: records when each event was written."""

    def __init__(self) -> None:
        self.sent: list[float] = []
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.02)  # let the client start waiting for the body
            self.sent.append(time.perf_counter())
            writer.write(b"data: ping\n\n")
            await writer.drain()
            await asyncio.wait_for(reader.read(), 10)  # until the client hangs up
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            writer.close()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()


def _one_sync(module: Any, url: str) -> float:
    with module.connect(url, reconnect=False) as source:
        for _ in source:
            return time.perf_counter()
    raise RuntimeError("no event")


async def _one_async(module: Any, url: str) -> float:
    async with module.aconnect(url, reconnect=False) as source:
        async for _ in source:
            return time.perf_counter()
    raise RuntimeError("no event")


def measure(driver: str, server: Server, trials: int) -> list[float]:
    """Latencies in milliseconds for ``trials`` fresh connections."""
    module = importlib.import_module(f"ssec_proto.adapters.{driver.partition('-')[0]}")
    url = f"http://127.0.0.1:{server.port}/"
    latencies = []
    for _ in range(trials):
        if driver in ("httpx", "requests"):
            received = _one_sync(module, url)
        else:
            received = asyncio.run(_one_async(module, url))
        latencies.append((received - server.sent[-1]) * 1000)
    return latencies


def main(argv: list[str] | None = None) -> int:
    """Print a Markdown table of latencies per driver."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="3 trials (CI smoke)")
    args = parser.parse_args(argv)
    trials = 3 if args.quick else args.trials
    print(f"Python {platform.python_version()}, {platform.system()} {platform.machine()}")
    print(f"{trials} connections per driver; one event each, then the server waits")
    print()
    print("| driver | median (ms) | max (ms) |")
    print("|---|---:|---:|")
    with Server() as server:
        for driver in DRIVERS:
            library = driver.partition("-")[0]
            if importlib.util.find_spec(library) is None:
                print(f"| {driver} | not installed | |")
                continue
            latencies = measure(driver, server, trials)
            print(f"| {driver} | {statistics.median(latencies):.2f} | {max(latencies):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
