"""Servers we do not control: none may hang a driver, make it flood, or leak a foreign error.

Every test runs against every driver (the shipped adapters and the example
driver of docs/write-a-driver.md), over real sockets on 127.0.0.1, with a
raw server that misbehaves on purpose.
"""

from __future__ import annotations

import gc
import time
import warnings
from typing import Any

import pytest

from ssec_proto import (
    ConnectionFailed,
    ReconnectConfig,
    ResponseError,
    RetriesExhausted,
    Retrying,
    SSEError,
)

from .drivers import DRIVERS, Outcome, run
from .servers import Conn, Handler, RawServer, RecordedRequest, start_stream

pytestmark = pytest.mark.parametrize("driver", DRIVERS)

#: Far longer than any of these tests may take: reaching it is the failure.
IDLE = 9.0

#: The drivers on http.client (through urllib3).
HTTP_CLIENT = {"requests", "urllib3"}


# --- 1. An error response whose server holds the connection open -----------------


def held_open(status: int, content_type: str | None, *, chunked: bool) -> Handler:
    """Headers and a few bytes of body, then silence on an open connection."""

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn, status=status, content_type=content_type, chunked=chunked)
        await conn.send(b"4\r\noops\r\n" if chunked else b"oops")
        await conn.sleep(IDLE * 2)

    return handler


@pytest.mark.parametrize(
    ("status", "content_type", "chunked"),
    [
        (200, None, False),
        (200, "text/html", True),
        (404, "application/json", False),
        (500, None, True),
    ],
    # (Each status once, and each framing twice: a product would wait twice as long.)
    ids=["200-none-close-delimited", "200-html-chunked", "404-json-close-delimited", "500-chunked"],
)
def test_an_error_response_held_open_fails_at_once(
    driver: str, raw: RawServer, status: int, content_type: str | None, chunked: bool
) -> None:
    raw.route("/s", held_open(status, content_type, chunked=chunked))
    started = time.monotonic()
    out = run(
        driver, raw.url("/s"), idle_timeout=IDLE, reconnect=ReconnectConfig(error_body_timeout=0.2)
    )
    took = time.monotonic() - started
    assert isinstance(out.error, ResponseError)
    assert out.error.status == status
    assert out.error.body == b"oops"  # what arrived within error_body_timeout
    assert len(raw.requests) == 1  # failed, not retried as a timeout
    assert took < IDLE / 3  # error_body_timeout bounds the wait, not the idle timeout


def test_a_retryable_status_held_open_is_retried_as_that_status(
    driver: str, raw: RawServer
) -> None:
    raw.route("/s", held_open(503, None, chunked=False))
    out = run(
        driver,
        raw.url("/s"),
        idle_timeout=IDLE,
        reconnect=ReconnectConfig(
            reconnection_time=0, min_delay=0, max_attempts=1, error_body_timeout=0.2
        ),
    )
    assert isinstance(out.error, RetriesExhausted)
    assert isinstance(out.error.__cause__, ResponseError)
    assert out.error.__cause__.body == b"oops"
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert retrying.reason == "HTTP 503"


# --- 4. retry: 0 cannot turn reconnecting into a flood ---------------------------------


def test_a_retry_of_zero_is_honoured_once_then_backs_off_from_a_floor(
    driver: str, raw: RawServer
) -> None:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        if request.last_event_id is None:
            await start_stream(conn)
            await conn.send(b"retry: 0\nid: 1\ndata: x\n\n")
            await conn.sleep(0.3)  # a stream that lasted longer than the floor
            conn.close()
        else:  # then nothing but failures
            await start_stream(conn, status=502, content_type=None)
            conn.close()

    raw.route("/s", handler)
    out = run(
        driver,
        raw.url("/s"),
        reconnect=ReconnectConfig(min_delay=0.05, jitter=0, max_attempts=4),
    )
    assert isinstance(out.error, RetriesExhausted)
    delays = [c.delay for c in out.lifecycle if isinstance(c, Retrying)]
    # The first reconnection honours retry: 0; the run of failures after it
    # doubles from the floor, whatever the server said.
    assert delays == [0, 0.1, 0.2, 0.4]
    gaps = [b.time - a.time for a, b in zip(raw.requests, raw.requests[1:], strict=False)]
    assert all(gap >= 0.05 for gap in gaps[1:])


def test_streams_that_end_at_once_are_asked_at_most_at_the_floors_rate(
    driver: str, raw: RawServer
) -> None:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn)
        await conn.send(b"retry: 0\ndata: x\n\n")
        conn.close()

    raw.route("/s", handler)
    out = run(driver, raw.url("/s"), reconnect=ReconnectConfig(min_delay=0.1), max_events=6)
    assert len(out.events) == 6
    gaps = [b.time - a.time for a, b in zip(raw.requests, raw.requests[1:], strict=False)]
    assert len(gaps) >= 5
    assert min(gaps) >= 0.09  # 10 requests a second, not thousands


# --- 5. Hostile redirects surface as our own errors, without retries -------------------


def follow_redirect(driver: str, url: str, **options: Any) -> Outcome:
    out = run(driver, url, **options)
    if driver in HTTP_CLIENT:
        # requests and urllib3 themselves leave the response whose Location
        # they cannot follow to the garbage collector, and the tracebacks keep
        # it alive: collect it here, where its ResourceWarning is expected.
        error = out.error
        while error is not None:
            error.__traceback__ = None
            error = error.__cause__ or error.__context__
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    return out


def redirect_to(location: bytes) -> Handler:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await conn.send(
            b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
        )
        conn.close()

    return handler


@pytest.mark.parametrize(
    "location",
    [
        b"javascript:alert(1)",
        b"data:text/plain,hi",
        b"ftp://127.0.0.1/x",
        b"http://[::1",
    ],
)
def test_a_hostile_redirect_fails_at_once_with_our_own_error(
    driver: str, raw: RawServer, location: bytes
) -> None:
    raw.route("/s", redirect_to(location))
    out = follow_redirect(driver, raw.url("/s"), idle_timeout=IDLE)
    assert isinstance(out.error, ConnectionFailed)
    assert not isinstance(out.error, RetriesExhausted)  # permanent: not retried
    assert out.error.__cause__ is not None
    assert "not retried: it would fail again" in str(out.error)
    assert len(raw.requests) == 1


@pytest.mark.parametrize(
    "location", [b"http://xn--a.example/", b"http://\xff\xfe/", b"http://127.0.0.1:99999/"]
)
def test_a_redirect_that_may_or_may_not_work_later_is_our_own_error(
    driver: str, raw: RawServer, location: bytes
) -> None:
    # Some libraries refuse the name or the port at once (IDNA, a port out of
    # range), others try (DNS, a connection to the port modulo 65536), which
    # fails and might not later: permanent or transient, never a foreign error.
    raw.route("/s", redirect_to(location))
    out = follow_redirect(
        driver,
        raw.url("/s"),
        reconnect=ReconnectConfig(reconnection_time=0, min_delay=0, max_attempts=1),
    )
    assert isinstance(out.error, ConnectionFailed)
    assert out.error.__cause__ is not None
    assert len(raw.requests) <= 2


CUT_HEADERS = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="http.client reads a header block cut off by the connection's end as a "
    "complete one: the response is judged by what arrived (here: not an event stream)",
)


# --- 6. Malformed framing is noticed at once and retried, the same on every driver ------


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"-5\r\ndata: x\n\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\ndata: x\n\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: x1\r\n\r\n"
        b"data: x\n\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 10\r\n"
        b"Content-Length: 11\r\n\r\ndata: x\n\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-st",
    ],
    ids=["negative-chunk", "garbage-chunk", "garbage-length", "two-lengths", "cut-headers"],
)
def test_malformed_framing_is_a_transient_failure(
    driver: str, raw: RawServer, response: bytes, request: pytest.FixtureRequest
) -> None:
    if driver in HTTP_CLIENT and response.endswith(b"event-st"):
        request.applymarker(CUT_HEADERS)

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await conn.send(response)
        await conn.flush()
        if response.endswith(b"event-st"):
            conn.close()
        else:
            await conn.sleep(IDLE * 2)  # and keep the connection open

    raw.route("/s", handler)
    started = time.monotonic()
    out = run(
        driver,
        raw.url("/s"),
        idle_timeout=IDLE,
        reconnect=ReconnectConfig(reconnection_time=0, min_delay=0, max_attempts=1),
    )
    assert isinstance(out.error, RetriesExhausted), out.error
    # Noticed, and retried once (aiohttp retries a request on a dropped
    # connection once more on its own).
    assert 2 <= len(raw.requests) <= 4
    assert time.monotonic() - started < IDLE / 3
    assert isinstance(out.error, SSEError)
