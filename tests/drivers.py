"""Run one scenario through any adapter, sync or async, with the same options.

``run(driver, url, **options)`` consumes a stream to its end (or to
``max_events``) in a bounded time and returns what happened. Async drivers
run in a fresh event loop of their own (asyncio or trio), so one
parametrised suite (``tests/test_adapters.py``) covers every driver.

A driver is registered in :data:`DRIVERS` by its name, its adapter module,
whether it is async, the event loop it runs on, and how to make a caller's
client or session for it. A driver whose library is not installed is
skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from ssec_proto import Event, Lifecycle, ReconnectConfig

#: The example driver of docs/write-a-driver.md.
DRIVER_EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "urllib3_driver.py"


@dataclass(frozen=True)
class Driver:
    """How to run a stream through one adapter."""

    name: str
    module: str  # the adapter module, e.g. "ssec_proto.adapters.httpx"
    library: str  # the HTTP library it needs
    backend: str | None  # None: sync; else "asyncio" or "trio"
    client_option: str  # the keyword for a caller's client or session
    client_factory: str  # "module:callable" that makes one, given headers


_ALL = [
    Driver("httpx", "ssec_proto.adapters.httpx", "httpx", None, "client", "httpx:Client"),
    Driver(
        "httpx-asyncio",
        "ssec_proto.adapters.httpx",
        "httpx",
        "asyncio",
        "client",
        "httpx:AsyncClient",
    ),
    Driver(
        "httpx-trio", "ssec_proto.adapters.httpx", "httpx", "trio", "client", "httpx:AsyncClient"
    ),
    Driver(
        "aiohttp",
        "ssec_proto.adapters.aiohttp",
        "aiohttp",
        "asyncio",
        "session",
        "aiohttp:ClientSession",
    ),
    Driver(
        "requests",
        "ssec_proto.adapters.requests",
        "requests",
        None,
        "session",
        "tests.drivers:requests_session",
    ),
    # The driver of the docs page "Write your own driver", which we do not
    # ship: the page's code, run as one more driver.
    Driver("urllib3", str(DRIVER_EXAMPLE), "urllib3", None, "pool", "urllib3:PoolManager"),
]


def load(module: str) -> Any:
    """Import an adapter module, or the example driver from its file."""
    if not module.endswith(".py"):
        return importlib.import_module(module)
    name = Path(module).stem
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, module)
        assert spec is not None
        assert spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        spec.loader.exec_module(loaded)
    return sys.modules[name]


def _available(driver: Driver) -> bool:
    return importlib.util.find_spec(driver.library) is not None and (
        driver.module.endswith(".py") or importlib.util.find_spec(driver.module) is not None
    )


#: Every driver the suite runs against (those installed and implemented).
DRIVERS = [d.name for d in _ALL if _available(d)]
_BY_NAME = {d.name: d for d in _ALL}


def _connect_errors(library: str) -> tuple[type[BaseException], ...]:
    # The transport's own "could not connect" error, chained by RetriesExhausted.
    if library == "httpx":
        import httpx

        return (httpx.ConnectError,)
    if library == "aiohttp":
        import aiohttp

        return (aiohttp.ClientConnectionError,)
    if library == "urllib3":
        import urllib3

        return (urllib3.exceptions.MaxRetryError,)
    import requests

    return (requests.ConnectionError,)


#: The exception each driver chains when it cannot connect.
CONNECT_ERRORS = {name: _connect_errors(_BY_NAME[name].library) for name in DRIVERS}

#: Reconnect quickly in tests; the delays are still computed by the policy.
FAST = ReconnectConfig(reconnection_time=0.01, max_delay=0.05, jitter=0.5)

#: No test waits longer than this for a stream.
DEADLINE = 30.0


def requests_session(headers: dict[str, str]) -> Any:
    """A requests Session with default headers (its constructor takes none)."""
    import requests

    session = requests.Session()
    session.headers.update(headers)
    return session


def client_factory(driver: str, headers: dict[str, str]) -> Any:
    """A callable making a caller's client for ``driver`` (called in its loop)."""
    module, _, name = _BY_NAME[driver].client_factory.partition(":")
    make = getattr(importlib.import_module(module), name)
    if name == "requests_session":
        return lambda: make(headers)
    return lambda: make(headers=headers)


@dataclass
class Outcome:
    """What a stream delivered before it ended, failed or was left."""

    events: list[Event] = field(default_factory=list)
    error: BaseException | None = None
    lifecycle: list[Lifecycle] = field(default_factory=list)
    last_event_id: str = ""
    status: int | None = None
    #: Whether a caller's client was closed by the source (it must not be).
    client_closed: bool | None = None

    def kinds(self) -> list[str]:
        return [type(change).__name__ for change in self.lifecycle]


def run(
    driver: str,
    url: str,
    *,
    max_events: int | None = None,
    client: Any = None,
    **options: Any,
) -> Outcome:
    """Consume ``url`` with ``driver``; never takes longer than DEADLINE.

    ``client``, if given, is a callable that makes the caller's client (see
    :func:`client_factory`); it is made inside the driver's event loop.
    """
    spec = _BY_NAME[driver]
    outcome = Outcome()
    options.setdefault("reconnect", FAST)
    options.setdefault("rng", random.Random(0))
    options["on_lifecycle"] = outcome.lifecycle.append
    adapter = load(spec.module)
    if spec.backend is None:
        _run_sync(adapter, spec, outcome, url, max_events, client, options)
    else:
        anyio.run(
            _run_async,
            adapter,
            spec,
            outcome,
            url,
            max_events,
            client,
            options,
            backend=spec.backend,
        )
    return outcome


def _status(response: Any) -> int | None:
    if response is None:
        return None
    return getattr(response, "status_code", None) or getattr(response, "status", None)


def _closed(client: Any) -> bool:
    # httpx: is_closed; aiohttp: closed; requests sessions have no such flag
    # (a closed Session still works), so the source must simply not close it.
    for attribute in ("is_closed", "closed", "_ssec_closed"):
        if hasattr(client, attribute):
            return bool(getattr(client, attribute))
    return False


def _hard_close(source: Any) -> None:
    # Closing the client or session from another thread shuts its sockets,
    # which unblocks a read that hangs; source.close() could not (its
    # generator is running in the test's thread).
    transport = source._transport
    if source._response is not None:  # a read that waits on it fails at once
        transport.release(source._response)
    for name in ("_client", "_session", "pool"):
        owner = getattr(transport, name, None)
        if owner is not None:
            (getattr(owner, "close", None) or owner.clear)()


def _run_sync(
    adapter: Any,
    spec: Driver,
    outcome: Outcome,
    url: str,
    max_events: int | None,
    client: Any,
    options: dict[str, Any],
) -> None:
    if client is not None:
        client = client()
        options[spec.client_option] = client
    source = adapter.connect(url, **options)
    # A watchdog: close the source from another thread if the stream hangs,
    # so a broken test fails instead of blocking CI.
    timer = threading.Timer(DEADLINE, _hard_close, (source,))
    timer.start()
    try:
        with source:
            try:
                for event in source:
                    outcome.events.append(event)
                    if max_events is not None and len(outcome.events) >= max_events:
                        break
            except Exception as exc:  # the outcome records it
                outcome.error = exc
            outcome.last_event_id = source.last_event_id
            outcome.status = _status(source.response)
        if client is not None:
            outcome.client_closed = _closed(client)
            (getattr(client, "close", None) or client.clear)()
    finally:
        timer.cancel()


async def _run_async(
    adapter: Any,
    spec: Driver,
    outcome: Outcome,
    url: str,
    max_events: int | None,
    client: Any,
    options: dict[str, Any],
) -> None:
    if client is not None:  # an async client must be made inside its event loop
        client = client()
        options[spec.client_option] = client
    with anyio.fail_after(DEADLINE):
        async with adapter.aconnect(url, **options) as source:
            try:
                async for event in source:
                    outcome.events.append(event)
                    if max_events is not None and len(outcome.events) >= max_events:
                        break
            except Exception as exc:  # the outcome records it
                outcome.error = exc
            outcome.last_event_id = source.last_event_id
            outcome.status = _status(source.response)
    if client is not None:
        outcome.client_closed = _closed(client)
        close = getattr(client, "aclose", None) or client.close
        await close()
