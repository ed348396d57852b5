"""Hostile servers against every driver: how long, how many requests, what error.

Each scenario runs a misbehaving server on 127.0.0.1 (``tests/servers.py``)
and a client in a child process, which is stopped after a bounded time, so
the same scenarios measure any version of the package, including one that
hangs or floods: ``--package DIR`` runs the ``ssec_proto`` found in DIR (a
checkout of an earlier commit, say), to put figures before and after a fix
side by side. Usage::

    .venv/bin/python -m benchmarks.hostile
    git worktree add /tmp/before 0b7196c
    .venv/bin/python -m benchmarks.hostile --package /tmp/before

The scenarios (issue "Hostile servers can't hang, flood or blow up a client"):

* ``error-held-open``: a 404 with a few bytes of body, then an open, silent
  connection (``idle_timeout=5``): seconds to fail, requests, error.
* ``retry-0-instant``: every stream sends ``retry: 0`` and an event, then
  ends at once: requests in 3 seconds (``max_attempts=None``).
* ``retry-0-failing``: ``retry: 0`` and an event once, then 502 for every
  request: requests in 3 seconds (``max_attempts=None``).
* ``redirect-javascript``, ``redirect-bracket``, ``redirect-bytes``: a
  redirect to ``javascript:alert(1)``, ``http://[::1`` and non-UTF-8 bytes:
  the error, and requests sent.
* ``negative-chunk``, ``garbage-length``: malformed framing on a connection
  held open (``idle_timeout=5``): seconds to notice, requests, error.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from typing import Any

from tests.servers import Conn, RawServer, RecordedRequest, start_stream

DRIVERS = {
    "httpx": ("ssec_proto.adapters.httpx", "connect"),
    "httpx-asyncio": ("ssec_proto.adapters.httpx", "aconnect"),
    "aiohttp": ("ssec_proto.adapters.aiohttp", "aconnect"),
    "requests": ("ssec_proto.adapters.requests", "connect"),
}
#: The longest a child may run before it is stopped (its result: "stopped").
CAP = 20.0


def _client(package: str | None, driver: str, url: str, options: dict[str, Any], out: Any) -> None:
    if package:
        sys.path.insert(0, package)
    import importlib

    from ssec_proto import ReconnectConfig

    reconnect = options.pop("reconnect", None)
    if reconnect is not None:
        options["reconnect"] = ReconnectConfig(**reconnect)
    module, name = DRIVERS[driver]
    connect = getattr(importlib.import_module(module), name)
    started = time.monotonic()
    error = "none"
    try:
        if name == "connect":
            with connect(url, **options) as source:
                for _ in source:
                    pass
        else:
            import asyncio

            async def main() -> None:
                async with connect(url, **options) as source:
                    async for _ in source:
                        pass

            asyncio.run(main())
    except Exception as exc:  # the figure is which error it was
        error = type(exc).__name__
    out.put((time.monotonic() - started, error))


def _measure(
    package: str | None, driver: str, url: str, options: dict[str, Any], cap: float
) -> tuple[str, str]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_client, args=(package, driver, url, options, out))
    child.start()
    child.join(cap)
    if child.is_alive():
        child.terminate()
        child.join()
        return f">{cap:.0f} s (stopped)", "-"
    seconds, error = out.get(timeout=5)
    return f"{seconds:.2f} s", error


def _held_open() -> Any:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn, status=404, content_type="application/json")
        await conn.send(b'{"error": "no"}')
        await conn.sleep(CAP * 2)

    return handler


def _instant() -> Any:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn)
        await conn.send(b"retry: 0\ndata: x\n\n")
        conn.close()

    return handler


def _once_then_502() -> Any:
    served: list[RecordedRequest] = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        if not served:
            await start_stream(conn)
            await conn.send(b"retry: 0\nid: 1\ndata: x\n\n")
        else:
            await start_stream(conn, status=502, content_type=None)
        served.append(request)
        conn.close()

    return handler


def _redirect(location: bytes) -> Any:
    def make() -> Any:
        async def handler(request: RecordedRequest, conn: Conn) -> None:
            await conn.send(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\n\r\n")
            conn.close()

        return handler

    return make


def _framing(head: bytes) -> Any:
    def make() -> Any:
        async def handler(request: RecordedRequest, conn: Conn) -> None:
            await conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" + head)
            await conn.sleep(CAP * 2)

        return handler

    return make


FAST = {"reconnection_time": 0.01, "max_delay": 0.05}
#: name -> (a handler factory, options, what is measured: "time", or the
#: seconds over which requests are counted)
SCENARIOS: dict[str, tuple[Any, dict[str, Any], str | float]] = {
    "error-held-open": (_held_open, {"idle_timeout": 5, "reconnect": {"max_attempts": 2}}, "time"),
    "retry-0-instant": (_instant, {"reconnect": {"max_attempts": None}}, 3.0),
    "retry-0-failing": (_once_then_502, {"reconnect": {"max_attempts": None}}, 3.0),
    "redirect-javascript": (_redirect(b"javascript:alert(1)"), {"reconnect": FAST}, "time"),
    "redirect-bracket": (_redirect(b"http://[::1"), {"reconnect": FAST}, "time"),
    "redirect-bytes": (_redirect(b"http://\xff\xfe/"), {"reconnect": FAST}, "time"),
    "negative-chunk": (
        _framing(b"Transfer-Encoding: chunked\r\n\r\n-5\r\ndata: x\n\n\r\n"),
        {"idle_timeout": 5, "reconnect": {**FAST, "max_attempts": 1}},
        "time",
    ),
    "garbage-length": (
        _framing(b"Content-Length: x1\r\n\r\ndata: x\n\n"),
        {"idle_timeout": 5, "reconnect": {**FAST, "max_attempts": 1}},
        "time",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", help="a directory holding the ssec_proto to measure")
    parser.add_argument("--scenarios", help="comma-separated names (default: all)")
    parser.add_argument("--drivers", help="comma-separated names (default: all)")
    args = parser.parse_args()
    names = args.scenarios.split(",") if args.scenarios else list(SCENARIOS)
    drivers = args.drivers.split(",") if args.drivers else list(DRIVERS)
    print(f"package: {args.package or 'this checkout'}")
    print("| scenario | driver | time | requests | error |")
    print("|---|---|---:|---:|---|")
    with RawServer() as server:
        for name in names:
            handler, options, measure = SCENARIOS[name]
            for driver in drivers:
                path = f"/{name}/{driver}"
                server.route(path, handler())
                before = len(server.requests)
                cap = CAP if measure == "time" else float(measure)
                took, error = _measure(args.package, driver, server.url(path), dict(options), cap)
                count = len(server.requests) - before
                if measure != "time":
                    took = f"{count / float(measure):.1f} requests/s"
                print(f"| {name} | {driver} | {took} | {count} | {error} |", flush=True)


if __name__ == "__main__":
    main()
