"""The parity suite: every adapter, against the same real servers on 127.0.0.1.

Each test runs unchanged against every driver in ``tests.drivers.DRIVERS``
(httpx sync, httpx on asyncio and on trio, and the other adapters). A
behaviour difference between drivers is a bug unless it is documented as a
limit of that transport.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import pytest

from ssec_proto import (
    Closed,
    Connecting,
    EventTimeout,
    LineTooLong,
    Opened,
    ReconnectConfig,
    ResponseError,
    RetriesExhausted,
    Retrying,
)

from .drivers import CONNECT_ERRORS, DRIVERS, client_factory, run
from .helpers import message
from .servers import (
    Conn,
    RawServer,
    RecordedRequest,
    UvicornServer,
    compressed_stream,
    endless_line,
    redirect,
    respond,
    resumable,
    sse_app,
    stall,
    status,
    stream,
    then_204,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.parametrize("driver", DRIVERS)


@pytest.fixture(scope="module")
def uvicorn_server() -> Iterator[UvicornServer]:
    with UvicornServer(sse_app()) as server:
        yield server


# --- the ordinary path against uvicorn + sse-starlette ------------------------


def test_ordinary_stream(driver: str, uvicorn_server: UvicornServer) -> None:
    out = run(driver, uvicorn_server.url("/events?count=3&ping=0.01&delay=0.02"))
    assert out.error is None
    assert out.events == [
        message("tick 1", event="tick", id="1", retry=1000),
        message("tick 2", event="tick", id="2"),
        message("tick 3", event="tick", id="3"),
    ]
    # The server's clean end is followed by a reconnect, which gets 204.
    assert out.kinds() == ["Connecting", "Opened", "Retrying", "Connecting", "Closed"]
    assert out.last_event_id == "3"
    assert out.status == 204


def test_resume_from_a_stored_last_event_id(driver: str, uvicorn_server: UvicornServer) -> None:
    out = run(driver, uvicorn_server.url("/events?count=4"), last_event_id="2")
    assert [e.id for e in out.events] == ["3", "4"]
    first = out.lifecycle[0]
    assert isinstance(first, Connecting)
    assert first.last_event_id == "2"


def test_post_stream_like_an_llm_api(driver: str, uvicorn_server: UvicornServer) -> None:
    out = run(driver, uvicorn_server.url("/chat"), method="POST", json={"prompt": "hi there"})
    assert out.error is None
    assert [e.json()["text"] for e in out.events[:-1]] == ["you", "said:", "hi", "there"]
    assert out.events[-1].data == "[DONE]"
    # A POST stream is not reconnected at its end.
    assert out.kinds() == ["Connecting", "Opened", "Closed"]


# --- the central scenario: random drops, exact resumption ------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_drops_resume_exactly_once_in_order(driver: str, raw: RawServer, seed: int) -> None:
    scenario = resumable(40, seed=seed)
    raw.route("/r", scenario)
    out = run(
        driver,
        raw.url("/r"),
        reconnect=ReconnectConfig(reconnection_time=0, max_delay=0.05, min_delay=0),
    )
    assert out.error is None
    assert [e.id for e in out.events] == [str(k) for k in range(1, 41)]
    assert [e.data for e in out.events] == [f"event {k}" for k in range(1, 41)]
    assert len(scenario.drops) >= 5
    assert scenario.last_event_ids == scenario.expected_last_event_ids()


# --- byte-level faults ---------------------------------------------------------


def test_drop_in_the_middle_of_an_event(driver: str, raw: RawServer) -> None:
    raw.route("/s", then_204(b"id: 1\ndata: a\n\nid: 2\ndata: b", end="abort"))
    out = run(driver, raw.url("/s"))
    assert out.events == [message("a", id="1")]
    # The id of the cut-off event does not count: the reconnect resumes after 1.
    assert [r.last_event_id for r in raw.requests] == [None, "1"]


def test_drop_in_the_middle_of_a_crlf(driver: str, raw: RawServer) -> None:
    raw.route("/s", then_204(b"id: 1\r\ndata: a\r\n\r"))
    out = run(driver, raw.url("/s"))
    # The CR ends the blank line at once: the event is complete.
    assert out.events == [message("a", id="1")]
    assert [r.last_event_id for r in raw.requests] == [None, "1"]


def test_drop_after_a_retry_field(driver: str, raw: RawServer) -> None:
    raw.route("/s", then_204(b"retry: 40\n"))
    out = run(
        driver,
        raw.url("/s"),
        reconnect=ReconnectConfig(reconnection_time=1, jitter=0.5, min_delay=0),
    )
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    # The server's retry (milliseconds) replaced the 1 s reconnection time.
    assert 0.04 <= retrying.delay <= 0.06


def test_stall_hits_the_idle_timeout_and_reconnects(driver: str, raw: RawServer) -> None:
    calls = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        calls.append(request)
        if len(calls) == 1:
            await stall(5, prefix=b": hello\n")(request, conn)
        else:
            await respond(conn, 204)

    raw.route("/s", handler)
    out = run(driver, raw.url("/s"), idle_timeout=0.3)
    assert out.error is None
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert "idle" in retrying.reason
    assert retrying.error is not None


def test_no_idle_timeout_waits_through_silence(driver: str, raw: RawServer) -> None:
    raw.route("/s", stream([b": hi\n", 0.6, b"data: late\n\n"]))
    out = run(driver, raw.url("/s"), idle_timeout=None, reconnect=False)
    assert out.events == [message("late")]
    assert out.error is None


def test_event_timeout_is_not_reset_by_comments(driver: str, raw: RawServer) -> None:
    calls = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        calls.append(request)
        if len(calls) == 1:
            await stream([b"data: x\n\n"] + [0.05, b":\n"] * 40)(request, conn)
        else:
            await respond(conn, 204)

    raw.route("/s", handler)
    out = run(driver, raw.url("/s"), idle_timeout=5, event_timeout=0.3)
    assert out.events == [message("x")]
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert isinstance(retrying.error, EventTimeout)


def test_204_stops_normally(driver: str, raw: RawServer) -> None:
    raw.route("/s", status(204))
    out = run(driver, raw.url("/s"))
    assert out.error is None
    assert out.events == []
    assert out.kinds() == ["Connecting", "Closed"]


def test_only_the_start_of_a_large_error_body_is_read(driver: str, raw: RawServer) -> None:
    raw.route("/s", status(404, {"Content-Type": "text/plain"}, b"e" * 1_000_000))
    out = run(driver, raw.url("/s"))
    assert isinstance(out.error, ResponseError)
    assert out.error.body == b"e" * 4096


@pytest.mark.parametrize("code", [404, 500])
def test_error_status_fails_without_reconnecting(driver: str, raw: RawServer, code: int) -> None:
    raw.route("/s", status(code, {"Content-Type": "application/json"}, b'{"error": "nope"}'))
    out = run(driver, raw.url("/s"))
    assert isinstance(out.error, ResponseError)
    assert out.error.status == code
    assert out.error.body == b'{"error": "nope"}'
    assert "nope" in str(out.error)
    assert len(raw.requests) == 1


def test_503_with_retry_after_backs_off_and_retries(driver: str, raw: RawServer) -> None:
    calls = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        calls.append(request)
        if len(calls) == 1:
            await respond(conn, 503, {"Retry-After": "1"}, b"busy")
        elif len(calls) == 2:
            await stream([b"data: ok\n\n"])(request, conn)
        else:
            await respond(conn, 204)

    raw.route("/s", handler)
    out = run(
        driver,
        raw.url("/s"),
        reconnect=ReconnectConfig(reconnection_time=0, max_attempts=2, min_delay=0.01),
    )
    assert out.events == [message("ok")]
    retrying = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert retrying[0].delay >= 1.0
    assert isinstance(retrying[0].error, ResponseError)
    assert calls[1].time - calls[0].time >= 1.0


@pytest.mark.parametrize("content_type", ["text/html", None])
def test_wrong_or_missing_content_type_fails(
    driver: str, raw: RawServer, content_type: str | None
) -> None:
    raw.route("/s", stream([b"<html>data: x\n\n"], content_type=content_type))
    out = run(driver, raw.url("/s"))
    assert isinstance(out.error, ResponseError)
    assert out.error.status == 200
    assert out.events == []
    assert len(raw.requests) == 1


def test_content_type_parameters_and_case_are_accepted(driver: str, raw: RawServer) -> None:
    raw.route("/s", stream([b"data: x\n\n"], content_type="Text/Event-Stream; charset=latin-1"))
    out = run(driver, raw.url("/s"), reconnect=False)
    assert out.events == [message("x")]


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_is_followed_with_last_event_id(driver: str, raw: RawServer, code: int) -> None:
    raw.route("/old", redirect(code, "/new"))
    raw.route("/new", stream([b"id: 8\ndata: moved\n\n"]))
    out = run(driver, raw.url("/old"), last_event_id="7", reconnect=False)
    assert out.events == [message("moved", id="8")]
    assert [(r.path, r.last_event_id) for r in raw.requests] == [("/old", "7"), ("/new", "7")]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_body_is_decoded(driver: str, raw: RawServer, encoding: str) -> None:
    body = b"data: one\n\ndata: two\n\n"
    raw.route("/s", compressed_stream(body, encoding, delay=0.02))  # type: ignore[arg-type]
    out = run(driver, raw.url("/s"), reconnect=False)
    assert out.events == [message("one"), message("two")]


def test_endless_line_ends_with_a_clear_error(driver: str, raw: RawServer) -> None:
    raw.route("/s", endless_line(limit=64 * 1024 * 1024))
    out = run(driver, raw.url("/s"), max_line_size=256 * 1024)
    assert isinstance(out.error, LineTooLong)
    assert "max_line_size=262144" in str(out.error)
    assert len(raw.requests) == 1
    assert raw.wait_connections_closed(5)


def test_events_before_an_oversized_line_are_delivered(driver: str, raw: RawServer) -> None:
    raw.route("/s", stream([b"data: 1\n\ndata: 2\n\ndata: " + b"x" * 100 + b"\n\n"]))
    out = run(driver, raw.url("/s"), max_line_size=50)
    assert out.events == [message("1"), message("2")]
    assert isinstance(out.error, LineTooLong)


# --- giving up, headers, lifecycle, release ------------------------------------


def test_gives_up_with_the_cause_chained(driver: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    out = run(
        driver,
        f"http://127.0.0.1:{port}/",
        reconnect=ReconnectConfig(reconnection_time=0.01, max_attempts=2, min_delay=0.01),
    )
    assert isinstance(out.error, RetriesExhausted)
    assert isinstance(out.error.__cause__, CONNECT_ERRORS[driver])
    assert "max_attempts=2" in str(out.error)
    assert out.kinds() == [
        "Connecting",
        "Retrying",
        "Connecting",
        "Retrying",
        "Connecting",
        "Failed",
    ]


def test_redirect_loop_gives_up_with_the_cause_chained(driver: str, raw: RawServer) -> None:
    raw.route("/a", redirect(302, "/a"))
    out = run(
        driver,
        raw.url("/a"),
        reconnect=ReconnectConfig(reconnection_time=0.01, max_attempts=1, min_delay=0.01),
    )
    assert isinstance(out.error, RetriesExhausted)
    assert out.error.__cause__ is not None


def test_request_headers(driver: str, raw: RawServer) -> None:
    raw.route("/s", status(204))
    headers = {"Authorization": "Bearer t", "X-Trace": "1"}
    run(driver, raw.url("/s"), headers=headers, last_event_id="é-1")
    (request,) = raw.requests
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["cache-control"] == "no-store"
    assert request.headers["authorization"] == "Bearer t"
    # A non-ASCII last event ID travels as UTF-8 bytes, as the spec says.
    assert (b"last-event-id", "é-1".encode()) in [(k.lower(), v) for k, v in request.raw_headers]
    assert headers == {"Authorization": "Bearer t", "X-Trace": "1"}  # not mutated


def test_callers_accept_header_is_kept(driver: str, raw: RawServer) -> None:
    raw.route("/s", status(204))
    run(driver, raw.url("/s"), headers={"accept": "text/event-stream, */*;q=0.1"})
    assert raw.requests[0].headers["accept"] == "text/event-stream, */*;q=0.1"


def test_a_caller_client_is_used_and_left_open(driver: str, raw: RawServer) -> None:
    raw.route("/s", stream([b"data: x\n\n"]))
    out = run(
        driver,
        raw.url("/s"),
        client=client_factory(driver, {"X-Client": "mine"}),
        reconnect=False,
    )
    assert out.events == [message("x")]
    assert raw.requests[0].headers["x-client"] == "mine"
    assert out.client_closed is False


def test_event_arrives_before_the_server_sends_more(driver: str, raw: RawServer) -> None:
    # The server sends one event and then waits up to 10 s for the client to
    # hang up; the client leaves after one event. Had it buffered, it would
    # wait for the server's close instead and the linger would run out.
    raw.route("/s", stream([b"data: first\n\n"], linger=10))
    out = run(driver, raw.url("/s"), max_events=1)
    assert out.events == [message("first")]
    assert raw.wait_connections_closed(5)
    assert raw.conns[0].closed_by_peer


def test_breaking_out_releases_the_connection(driver: str, raw: RawServer) -> None:
    raw.route("/s", stream([b"data: 1\n\ndata: 2\n\n"], linger=10))
    out = run(driver, raw.url("/s"), max_events=1)
    assert [e.data for e in out.events] == ["1"]
    assert raw.wait_connections_closed(5)


def test_reconnects_are_logged(
    driver: str, raw: RawServer, caplog: pytest.LogCaptureFixture
) -> None:
    raw.route("/s", then_204(b"id: 1\ndata: a\n\n"))
    with caplog.at_level(logging.INFO, logger="ssec_proto"):
        run(driver, raw.url("/s"))
    messages = [r.getMessage() for r in caplog.records if r.name == "ssec_proto"]
    assert any("reconnecting in" in m and "attempt 1" in m and "ended" in m for m in messages)
    assert any("204" in m for m in messages)


def test_lifecycle_reports_open_with_headers(driver: str, raw: RawServer) -> None:
    raw.route("/s", stream([b"data: x\n\n"], headers={"X-Server": "raw"}))
    out = run(driver, raw.url("/s"), reconnect=False)
    opened = next(c for c in out.lifecycle if isinstance(c, Opened))
    assert opened.status == 200
    assert opened.headers["x-server"] == "raw"
    assert isinstance(out.lifecycle[-1], Closed)
