"""What only the requests adapter has: urllib3's reads, sessions, exception shapes.

The shared behaviour is in the parity suite (tests/test_adapters.py). These
tests pin down how requests and urllib3 are driven by the driver kit's loop
(``RequestsTransport``): bytes are delivered as they arrive whatever the
framing and encoding, each shape of read timeout is an idle timeout, every
transport failure reconnects, errors in the caller's own request are raised
as they are, and a caller's session (its adapters, retries and default
headers) is used and left usable. All servers are real, on 127.0.0.1, and
every wait is bounded.
"""

from __future__ import annotations

import gzip
import http.client
import io
import itertools
import logging
import socket
import ssl
import time
import zlib
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
import requests
import urllib3.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ssec_proto import (
    ConnectionFailed,
    Opened,
    ReconnectConfig,
    ResponseError,
    Retrying,
    SSEError,
)
from ssec_proto.adapters.requests import (
    EventSource,
    RequestsTransport,
    _read_chunked,
    _read_unchunked,
    _require_read1,
    _set_read_timeout,
    connect,
)
from ssec_proto.driver import EventSource as KitEventSource
from ssec_proto.driver import Failure, Response

from .drivers import FAST, run
from .helpers import message
from .servers import (
    Conn,
    RawServer,
    RecordedRequest,
    redirect,
    respond,
    send_chunk,
    start_stream,
    status,
    stream,
    then_204,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .servers import Handler

#: No test waits longer than this for one event.
WAIT = 5.0


def _compress(encoding: str | None) -> Callable[[bytes], bytes]:
    if encoding is None:
        return lambda data: data
    if encoding == "br":
        import brotli  # type: ignore[import-untyped,unused-ignore]

        compressor = brotli.Compressor()
        return lambda data: compressor.process(data) + compressor.flush()
    zobj = zlib.compressobj(wbits=31 if encoding == "gzip" else 15)
    return lambda data: zobj.compress(data) + zobj.flush(zlib.Z_SYNC_FLUSH)


def lingering(encoding: str | None, *, chunked: bool) -> Handler:
    """One event, then up to 10 s of silence waiting for the client to hang up."""

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        compress = _compress(encoding)
        headers = [] if encoding is None else [("Content-Encoding", encoding)]
        await start_stream(conn, headers, chunked=chunked)
        piece = compress(b"data: first\n\n")
        await (send_chunk(conn, piece) if chunked else conn.send(piece))
        await conn.wait_closed_by_peer(10)
        conn.close()

    return handler


def pieces(parts: list[bytes | float], *, chunked: bool) -> Handler:
    """Like ``servers.stream`` but a chunked body ends without a last chunk."""

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn, chunked=chunked)
        for part in parts:
            if isinstance(part, bytes):
                await (send_chunk(conn, part) if chunked else conn.send(part))
            else:
                await conn.sleep(part)
        conn.close()

    return handler


# --- bytes are delivered as they arrive -----------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
@pytest.mark.parametrize("encoding", [None, "gzip", "deflate", "br"])
def test_an_event_arrives_at_once(raw: RawServer, encoding: str | None, chunked: bool) -> None:
    # The server sends one event and then waits (10 s) for the client to hang
    # up. A reader that waits for a full buffer, or for the end of a
    # close-delimited body, would wait out the whole 10 s.
    raw.route("/s", lingering(encoding, chunked=chunked))
    with connect(raw.url("/s"), reconnect=False, idle_timeout=WAIT) as source:
        started = time.monotonic()
        event = next(source)
        elapsed = time.monotonic() - started
    assert event == message("first")
    assert elapsed < 2.0
    assert raw.wait_connections_closed(WAIT)
    assert raw.conns[0].closed_by_peer


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
def test_a_crlf_split_across_reads_makes_no_phantom_event(raw: RawServer, chunked: bool) -> None:
    raw.route("/s", then_204(pieces([b"data: a\r", 0.2, b"\n\r\n"], chunked=chunked)))
    out = run("requests", raw.url("/s"))
    assert out.error is None
    assert out.events == [message("a")]


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
def test_the_lf_after_a_split_cr_does_not_end_the_event(raw: RawServer, chunked: bool) -> None:
    # Were the LF read as a blank line of its own, "a" would be dispatched
    # alone and "b" would follow as a second event.
    parts: list[bytes | float] = [b"data: a\r", 0.2, b"\ndata: b\r\n\r\n"]
    raw.route("/s", then_204(pieces(parts, chunked=chunked)))
    out = run("requests", raw.url("/s"))
    assert out.events == [message("a\nb")]


def test_large_compressed_stream_is_read_in_bounded_pieces(raw: RawServer) -> None:
    body = b"".join(b"data: %d %s\n\n" % (k, b"x" * 1000) for k in range(2000))
    compressed = gzip.compress(body)  # 2 MB in a few KiB

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn, [("Content-Encoding", "gzip")])
        await conn.send(compressed)
        conn.close()

    raw.route("/s", handler)
    out = run("requests", raw.url("/s"), reconnect=False)
    assert [e.data.split(" ")[0] for e in out.events] == [str(k) for k in range(2000)]


# --- every read timeout is an idle timeout ----------------------------------------


async def _no_headers(request: RecordedRequest, conn: Conn) -> None:
    await conn.sleep(2)


async def _stall_body(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn)
    await conn.send(b": hi\n")
    await conn.sleep(2)


def test_no_headers_in_time_is_an_idle_timeout(raw: RawServer) -> None:
    raw.route("/s", then_204(_no_headers))
    out = run("requests", raw.url("/s"), idle_timeout=0.3)
    assert out.error is None
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert "idle" in retrying.reason
    # requests wraps urllib3's timeout while it waits for the headers.
    assert isinstance(retrying.error, requests.exceptions.ReadTimeout)


def test_no_body_bytes_in_time_is_an_idle_timeout(raw: RawServer) -> None:
    raw.route("/s", then_204(_stall_body))
    out = run("requests", raw.url("/s"), idle_timeout=0.3)
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert "idle" in retrying.reason
    # Read from response.raw directly, the body raises urllib3's own error.
    assert isinstance(retrying.error, urllib3.exceptions.ReadTimeoutError)


def test_read_timeouts_retried_by_the_callers_adapter_are_an_idle_timeout(
    raw: RawServer,
) -> None:
    raw.route("/s", _no_headers)

    def session() -> requests.Session:
        s = requests.Session()
        retry = Retry(total=None, connect=0, read=1, status=0, redirect=0, backoff_factor=0)
        s.mount("http://", HTTPAdapter(max_retries=retry))
        return s

    out = run("requests", raw.url("/s"), client=session, idle_timeout=0.3, reconnect=False)
    # Not reconnecting: a ConnectionFailed, no RetriesExhausted.
    assert type(out.error) is ConnectionFailed
    assert str(out.error) == (
        "no data arrived within the idle timeout "
        "(not reconnecting: reconnection is disabled (max_attempts=0))"
    )
    # The adapter's give-up: ConnectionError(MaxRetryError(ReadTimeoutError)).
    cause = out.error.__cause__
    assert isinstance(cause, requests.exceptions.ConnectionError)
    assert isinstance(cause.args[0].reason, urllib3.exceptions.ReadTimeoutError)
    assert len(raw.requests) == 2  # the adapter's own retry came first


# --- every transport failure reconnects; only our errors escape ------------------


async def _reset_mid_event(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn)  # delimited by the connection: a RST is no clean end
    await conn.send(b"id: 1\ndata: a\n\nid: 2\ndata: b")
    await conn.flush()
    conn.abort()


async def _reset_mid_chunked_event(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn, chunked=True)
    await send_chunk(conn, b"id: 1\ndata: a\n\nid: 2\ndata: b")
    await conn.flush()
    conn.abort()


async def _chunked_body_cut(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn, chunked=True)
    await send_chunk(conn, b"id: 1\ndata: a\n\n")
    await conn.send(b"20\r\nid: 2\ndata")  # a chunk promising more than it has
    conn.close()


async def _bad_chunk_size(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn, chunked=True)
    await send_chunk(conn, b"id: 1\ndata: a\n\n")
    await conn.send(b"zz\r\nid: 2\r\n")
    conn.close()


async def _content_length_cut(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn, [("Content-Length", "100")])
    await conn.send(b"id: 1\ndata: a\n\n")
    conn.close()


async def _corrupt_gzip(request: RecordedRequest, conn: Conn) -> None:
    await start_stream(conn, [("Content-Encoding", "gzip")])
    good = zlib.compressobj(wbits=31)
    await conn.send(good.compress(b"id: 1\ndata: a\n\n") + good.flush(zlib.Z_SYNC_FLUSH))
    # Apart, so the good part is decoded by a read of its own: a read that
    # fails to decompress delivers nothing of what it read.
    await conn.sleep(0.2)
    await conn.send(b"\xff" * 64)
    conn.close()


FAULTS: dict[str, tuple[Any, type[BaseException]]] = {
    "reset-mid-event": (_reset_mid_event, urllib3.exceptions.ProtocolError),
    "reset-mid-chunked-event": (_reset_mid_chunked_event, urllib3.exceptions.ProtocolError),
    "chunked-body-cut": (_chunked_body_cut, urllib3.exceptions.ProtocolError),
    "bad-chunk-size": (_bad_chunk_size, urllib3.exceptions.ProtocolError),
    "content-length-cut": (_content_length_cut, urllib3.exceptions.ProtocolError),
    "corrupt-gzip": (_corrupt_gzip, urllib3.exceptions.DecodeError),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_body_reconnects_and_resumes(raw: RawServer, fault: str) -> None:
    handler, error = FAULTS[fault]
    raw.route("/s", then_204(handler))
    out = run("requests", raw.url("/s"))
    assert out.error is None
    assert out.events == [message("a", id="1")]
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert isinstance(retrying.error, error)
    assert [r.last_event_id for r in raw.requests] == [None, "1"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_body_is_chained_when_the_stream_may_not_reconnect(
    raw: RawServer, fault: str
) -> None:
    handler, error = FAULTS[fault]
    raw.route("/s", handler)
    out = run("requests", raw.url("/s"), reconnect=False)
    assert type(out.error) is ConnectionFailed
    assert isinstance(out.error.__cause__, error)
    assert str(out.error).endswith("(not reconnecting: reconnection is disabled (max_attempts=0))")


def test_a_refused_connection_is_chained(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    with caplog.at_level(logging.DEBUG, logger="ssec_proto"):
        out = run("requests", f"http://127.0.0.1:{port}/", reconnect=False)
    assert type(out.error) is ConnectionFailed
    cause = out.error.__cause__
    assert isinstance(cause, requests.exceptions.ConnectionError)
    assert not isinstance(cause, requests.exceptions.ReadTimeout)
    assert "refused" in str(out.error)
    # A failure is worth a warning, not an error: the caller gets the exception.
    (record,) = [r for r in caplog.records if r.getMessage().startswith("stream failed: ")]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"stream failed: {out.error}"


def test_a_url_without_a_scheme_fails_like_a_transport_error() -> None:
    # requests reads "localhost:1/x" as scheme "localhost" and finds no
    # adapter for it: as with httpx's UnsupportedProtocol, the policy decides.
    out = run("requests", "localhost:1/x", reconnect=False)
    assert type(out.error) is ConnectionFailed
    assert isinstance(out.error.__cause__, requests.exceptions.InvalidSchema)
    assert [type(c).__name__ for c in out.lifecycle] == ["Connecting", "Failed"]


def test_a_broken_error_body_keeps_what_arrived(raw: RawServer) -> None:
    # The body is cut short of its Content-Length: the response is judged by
    # its status all the same, with the bytes that came.
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await conn.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\nbusy")
        conn.close()

    raw.route("/s", then_204(handler))
    out = run("requests", raw.url("/s"))
    assert out.error is None
    (retrying,) = [c for c in out.lifecycle if isinstance(c, Retrying)]
    assert retrying.reason == "HTTP 503"
    assert isinstance(retrying.error, ResponseError)
    assert retrying.error.body == b"busy"


def test_an_error_body_that_stalls_is_cut_at_error_body_timeout(raw: RawServer) -> None:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await conn.send(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 100\r\n\r\nno such"
        )
        await conn.wait_closed_by_peer(10)
        conn.close()

    raw.route("/s", handler)
    started = time.monotonic()
    out = run(
        "requests",
        raw.url("/s"),
        reconnect=ReconnectConfig(error_body_timeout=0.2),
        idle_timeout=WAIT,
    )
    elapsed = time.monotonic() - started
    assert isinstance(out.error, ResponseError)
    assert (out.error.status, out.error.body) == (404, b"no such")
    assert elapsed < 2.0  # not the idle timeout, nor the server's 10 s
    assert raw.wait_connections_closed(WAIT)


def test_error_body_timeout_zero_reads_no_error_body(raw: RawServer) -> None:
    raw.route("/s", status(404, {"Content-Type": "text/plain"}, b"no such stream"))
    out = run("requests", raw.url("/s"), reconnect=ReconnectConfig(error_body_timeout=0))
    assert isinstance(out.error, ResponseError)
    assert (out.error.status, out.error.body) == (404, b"")


def test_a_compressed_error_body_is_decoded(raw: RawServer) -> None:
    body = gzip.compress(b'{"error": "nope"}')
    raw.route(
        "/s", status(404, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, body)
    )
    out = run("requests", raw.url("/s"))
    assert isinstance(out.error, ResponseError)
    assert out.error.body == b'{"error": "nope"}'


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"url": "/relative"}, requests.exceptions.MissingSchema),
        ({"headers": {"X-Bad": "a\nb"}}, requests.exceptions.InvalidHeader),
        ({"method": "POST", "json": {"x": float("nan")}}, requests.exceptions.InvalidJSONError),
        ({"method": "POST", "json": {"x": object()}}, TypeError),
    ],
    ids=["missing-scheme", "invalid-header", "nan-in-json", "unserializable-json"],
)
def test_errors_in_the_callers_request_are_raised_at_once(
    raw: RawServer, options: dict[str, Any], error: type[Exception]
) -> None:
    raw.route("/s", status(204))
    url = options.pop("url", raw.url("/s"))
    log: list[Any] = []
    with connect(
        url, on_lifecycle=log.append, reconnect=FAST, idle_timeout=WAIT, **options
    ) as source:
        with pytest.raises(error):
            next(source)
        assert list(source) == []  # the stream is over
    assert [type(c).__name__ for c in log] == ["Connecting", "Closed"]
    assert raw.requests == []


# --- headers, redirects --------------------------------------------------------------


def test_header_forms_requests_accepts(raw: RawServer) -> None:
    raw.route("/s", status(204))
    headers = [(b"X-Bytes", "é".encode()), ("X-Repeated", "1"), ("x-repeated", "2")]
    run("requests", raw.url("/s"), headers=headers)
    (request,) = raw.requests
    assert request.headers["x-bytes"] == "é"
    assert request.headers["x-repeated"] == "1, 2"  # sent once, values joined


def test_a_non_ascii_last_event_id_survives_reconnects_and_redirects(raw: RawServer) -> None:
    calls: list[RecordedRequest] = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        calls.append(request)
        if len(calls) == 1:
            await stream([b"id: \xc3\xa9-2\ndata: x\n\n"])(request, conn)
        else:
            await redirect(307, "/new")(request, conn)

    raw.route("/old", handler)
    raw.route("/new", status(204))
    out = run("requests", raw.url("/old"), last_event_id="é-1")
    assert out.events == [message("x", id="é-2")]
    wire = [{k.lower(): v for k, v in r.raw_headers}.get(b"last-event-id") for r in raw.requests]
    assert wire == ["é-1".encode(), "é-2".encode(), "é-2".encode()]
    assert [r.path for r in raw.requests] == ["/old", "/old", "/new"]


def test_303_turns_a_post_into_a_get_and_keeps_last_event_id(raw: RawServer) -> None:
    raw.route("/old", redirect(303, "/new"))
    raw.route("/new", stream([b"data: moved\n\n"]))
    out = run("requests", raw.url("/old"), method="POST", json={"q": 1}, last_event_id="7")
    assert out.events == [message("moved", id="7")]
    old, new = raw.requests
    assert (old.method, old.body) == ("POST", b'{"q": 1}')
    assert (new.method, new.body, new.last_event_id) == ("GET", b"", "7")
    assert "content-type" not in new.headers


def test_307_repeats_the_post_with_its_body(raw: RawServer) -> None:
    raw.route("/old", redirect(307, "/new"))
    raw.route("/new", stream([b"data: moved\n\n"]))
    out = run("requests", raw.url("/old"), method="POST", content=b"raw body")
    assert out.events == [message("moved")]
    assert [(r.method, r.body) for r in raw.requests] == [
        ("POST", b"raw body"),
        ("POST", b"raw body"),
    ]


def test_a_cross_origin_redirect_drops_authorization_not_last_event_id(raw: RawServer) -> None:
    with RawServer() as other:
        other.route("/new", status(204))
        raw.route("/old", redirect(302, other.url("/new")))
        run("requests", raw.url("/old"), headers={"Authorization": "Bearer t"}, last_event_id="5")
        (moved,) = other.requests
    assert raw.requests[0].headers["authorization"] == "Bearer t"
    assert "authorization" not in moved.headers
    assert moved.last_event_id == "5"


def test_response_is_the_final_response(raw: RawServer) -> None:
    raw.route("/old", redirect(301, "/new"))
    raw.route("/new", stream([b"data: x\n\n"], headers={"X-Server": "raw"}))
    with connect(raw.url("/old"), reconnect=False, idle_timeout=WAIT, params={"a": "1"}) as source:
        assert list(source) == [message("x")]
        response = source.response
    assert isinstance(response, requests.Response)
    assert response.status_code == 200
    assert response.url == raw.url("/new")
    assert [r.status_code for r in response.history] == [301]
    assert raw.requests[0].query == {"a": "1"}


# --- sessions --------------------------------------------------------------------------


def test_a_callers_session_with_retries_and_headers_is_used_and_left_usable(
    raw: RawServer,
) -> None:
    calls: list[RecordedRequest] = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        calls.append(request)
        if len(calls) == 1:
            await respond(conn, 502, body=b"bad gateway")
        else:
            await stream([b"data: x\n\n"])(request, conn)

    raw.route("/s", handler)
    raw.route("/ping", status(204))
    session = requests.Session()
    session.headers["X-Session"] = "mine"
    retry = Retry(total=2, status_forcelist=[502], backoff_factor=0)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    try:
        log: list[Any] = []
        with connect(
            raw.url("/s"),
            session=session,
            reconnect=False,
            idle_timeout=WAIT,
            on_lifecycle=log.append,
        ) as s:
            assert list(s) == [message("x")]
        # The adapter retried the 502 itself: the stream saw one request.
        assert [type(c).__name__ for c in log] == ["Connecting", "Opened", "Closed"]
        assert [r.headers["x-session"] for r in calls] == ["mine", "mine"]
        assert calls[1].headers["accept"] == "text/event-stream"
        assert session.get(raw.url("/ping"), timeout=WAIT).status_code == 204
    finally:
        session.close()


def test_a_callers_adapter_giving_up_is_a_transport_failure(raw: RawServer) -> None:
    raw.route("/s", status(503, body=b"busy"))

    def session() -> requests.Session:
        s = requests.Session()
        s.mount("http://", HTTPAdapter(max_retries=Retry(total=1, status_forcelist=[503])))
        return s

    out = run("requests", raw.url("/s"), client=session, reconnect=False)
    assert type(out.error) is ConnectionFailed
    assert isinstance(out.error.__cause__, requests.exceptions.RetryError)


def test_only_an_own_session_is_closed(raw: RawServer, monkeypatch: pytest.MonkeyPatch) -> None:
    raw.route("/s", stream([b"data: x\n\n"]))
    closed: list[requests.Session] = []
    close = requests.Session.close

    def spy(self: requests.Session) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(requests.Session, "close", spy)
    with connect(raw.url("/s"), reconnect=False, idle_timeout=WAIT) as source:
        assert list(source) == [message("x")]
    assert len(closed) == 1
    closed.clear()
    mine = requests.Session()
    with connect(raw.url("/s"), session=mine, reconnect=False, idle_timeout=WAIT) as source:
        assert list(source) == [message("x")]
    assert closed == []
    mine.close()


# --- lifecycle of the source -------------------------------------------------------------


def test_closing_before_iterating_sends_nothing(
    raw: RawServer, caplog: pytest.LogCaptureFixture
) -> None:
    raw.route("/s", stream([b"data: x\n\n"]))
    log: list[Any] = []
    with caplog.at_level(logging.DEBUG, logger="ssec_proto"):
        source = connect(raw.url("/s"), on_lifecycle=log.append)
        source.close()
        assert list(source) == []
        source.close()  # idempotent
    assert [type(c).__name__ for c in log] == ["Closed"]
    assert raw.requests == []
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "stream closed: closed by the caller")
    ]


def test_closing_mid_stream_ends_iteration_and_releases_the_connection(raw: RawServer) -> None:
    raw.route("/s", stream([b"data: 1\n\ndata: 2\n\n"], linger=10))
    log: list[Any] = []
    source = connect(raw.url("/s"), on_lifecycle=log.append, idle_timeout=WAIT, reconnect=False)
    # iter() hands out the source's own event generator: one stream either way.
    assert iter(source) is iter(source)
    assert next(source) == message("1")
    source.close()
    assert list(source) == []
    assert raw.wait_connections_closed(WAIT)
    assert [type(c).__name__ for c in log] == ["Connecting", "Opened", "Closed"]


def test_reconnect_true_uses_the_defaults(raw: RawServer) -> None:
    raw.route("/s", status(204))
    with connect(raw.url("/s"), reconnect=True, idle_timeout=WAIT) as source:
        assert list(source) == []
        assert source.last_event_id == ""


def test_opened_reports_the_response_headers(raw: RawServer) -> None:
    raw.route("/s", stream([b"data: x\n\n"], headers={"X-Server": "raw"}))
    out = run("requests", raw.url("/s"), reconnect=False)
    opened = next(c for c in out.lifecycle if isinstance(c, Opened))
    assert opened.headers["x-server"] == "raw"
    assert opened.headers["content-type"] == "text/event-stream"


# --- option validation ------------------------------------------------------------------


@pytest.mark.parametrize("idle_timeout", [0, -1, float("nan"), float("inf")])
def test_idle_timeout_must_be_positive(idle_timeout: float) -> None:
    with pytest.raises(ValueError, match="idle_timeout"):
        connect("http://127.0.0.1:1/", idle_timeout=idle_timeout)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"session": object()}, TypeError, "requests.Session"),
        ({"reconnect": 3}, TypeError, "ReconnectConfig"),
        ({"event_timeout": 0}, ValueError, "event_timeout"),
        ({"headers": {"X-Number": 1}}, TypeError, "str"),
        ({"headers": {"X-Latin-1": b"\xe9"}}, UnicodeDecodeError, "utf-8"),
        ({"last_event_id": "a\nb"}, ValueError, "last_event_id"),
    ],
)
def test_options_are_checked(options: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        connect("http://127.0.0.1:1/", **options)


def test_an_urllib3_without_read1_is_refused_on_import() -> None:
    with pytest.raises(ImportError, match=r"urllib3>=2\.2"):
        _require_read1(object)


def test_a_response_without_a_socket_keeps_its_read_timeout() -> None:
    # urllib3 may one day keep its socket elsewhere: reads then wait the
    # request's read timeout (the idle timeout), as they did before.
    class NoSocket:
        connection = None

    _set_read_timeout(NoSocket(), 1.0)  # type: ignore[arg-type]


def test_the_source_is_the_kits_event_source_over_an_own_session() -> None:
    source = connect("http://127.0.0.1:1/")
    try:
        assert EventSource is KitEventSource
        assert isinstance(source, EventSource)
        assert source.response is None
        # An own session is made at once, and the stream's policy is built.
        transport = source._transport
        assert isinstance(transport, RequestsTransport)
        assert isinstance(transport._session, requests.Session)
        assert source._stream.policy.config == ReconnectConfig()
    finally:
        source.close()


def test_a_callers_session_is_the_transports() -> None:
    session = requests.Session()
    try:
        source = connect("http://127.0.0.1:1/", session=session, reconnect=False)
        transport = source._transport
        assert isinstance(transport, RequestsTransport)
        assert transport._session is session
        assert source._stream.policy.config.max_attempts == 0
        source.close()
    finally:
        session.close()


def test_json_and_content_together_are_refused() -> None:
    with pytest.raises(ValueError, match="json and content cannot both be given"):
        connect("http://127.0.0.1:1/", method="POST", json={"a": 1}, content=b"{}")


def test_an_unknown_option_is_refused() -> None:
    with pytest.raises(TypeError, match="unexpected option data"):
        connect("http://127.0.0.1:1/", data=b"x")  # type: ignore[call-arg]


# --- found while porting: behaviour that looks wrong ----------------------------------


def test_the_first_reconnection_is_spaced_from_the_first_request(raw: RawServer) -> None:
    raw.route("/s", then_204(stream([b"retry: 0\ndata: x\n\n"])))
    source = connect(raw.url("/s"), reconnect=ReconnectConfig(min_delay=0.5), idle_timeout=WAIT)
    time.sleep(0.7)  # made, then iterated a while later
    with source:
        assert list(source) == [message("x", retry=0)]
    first, second = raw.requests
    assert second.time - first.time >= 0.45  # min_delay, give or take the clocks


def test_a_redirect_to_another_scheme_fails_at_once(raw: RawServer) -> None:
    raw.route("/s", redirect(302, "ftp://127.0.0.1/x"))
    out = run("requests", raw.url("/s"))
    assert type(out.error) is ConnectionFailed
    assert str(out.error).endswith("(not retried: it would fail again)")
    assert isinstance(out.error.__cause__, requests.exceptions.InvalidSchema)
    assert len(raw.requests) == 1


def test_an_event_id_with_a_leading_space_is_not_a_requests_error(raw: RawServer) -> None:
    raw.route("/s", then_204(stream([b"id:  x\ndata: a\n\n"])))
    out = run("requests", raw.url("/s"))
    assert out.events == [message("a", id=" x")]
    assert out.error is None or isinstance(out.error, SSEError), repr(out.error)


# --- The read path (issue 14): the socket, http.client's read1() for a chunked body,
# urllib3's read1() for a compressed one ---------------------------------------------


def with_length(body: bytes, sends: list[int | float], extra: bytes = b"") -> Handler:
    """A body of Content-Length `len(body)`, sent with the head in pieces: `sends` cuts
    head + body (+ `extra`, bytes after the body) at those offsets, a float pauses; the
    connection then stays open, as a server's that would send another response on it."""

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        data, start = head + body + extra, 0
        for cut in [*sends, len(head + body + extra)]:
            if isinstance(cut, float):
                await conn.sleep(cut)
                continue
            await conn.send(data[start:cut])
            start = cut
        await conn.wait_closed_by_peer(WAIT)
        conn.close()

    return handler


_BODY = b"data: a\n\nid: 1\ndata: b\n\ndata: c\n\n"
_HEAD = len(
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n" % len(_BODY)
)


@pytest.mark.parametrize(
    ("sends", "extra"),
    [
        ([], b""),
        ([_HEAD, 0.05, _HEAD + 9, 0.05, _HEAD + 20, 0.05], b""),
        ([_HEAD + 4, 0.05, _HEAD + 12, 0.05], b""),
        ([], b"data: not in the body\n\n"),
        ([_HEAD + 9, 0.05], b"data: not in the body\n\n"),
    ],
    ids=["all-at-once", "after-the-head", "split-events", "bytes-after", "bytes-after-split"],
)
def test_a_body_with_a_content_length_is_read_to_its_length(
    raw: RawServer, sends: list[int | float], extra: bytes
) -> None:
    # The first read takes what http.client buffered with the head, the next
    # ones come from the socket; none reads past the Content-Length, which
    # ends the body while the connection stays open.
    raw.route("/s", with_length(_BODY, sends, extra))
    out = run("requests", raw.url("/s"), reconnect=False, idle_timeout=WAIT)
    assert out.events == [message("a"), message("b", id="1"), message("c", id="1")]
    assert out.error is None


class _FakeFp:
    """An http.client response (and its buffer) that reads `chunks`, then raises `error`."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.chunked = False
        self.chunk_left: int | None = None
        self.length: int | None = None
        self.fp = self

    def read1(self, n: int = -1) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        if self.error is not None:
            raise self.error
        return b""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ssl.SSLError("The read operation timed out"), "ReadTimeout"),
        (ssl.SSLError("bad record mac"), "SSLError"),
    ],
    ids=["tls-timeout", "tls-error"],
)
@pytest.mark.parametrize("path", ["chunked", "socket", "buffer"])
def test_tls_errors_of_the_direct_read_are_urllib3_errors(
    error: Exception, expected: str, path: str
) -> None:
    fp = _FakeFp([b"9\r\ndata: a\n\n\r\n" if path == "chunked" else b"data: a\n\n"], error)
    reader = {
        "chunked": lambda: _read_chunked(fp, SimpleNamespace(recv=fp.read1)),  # type: ignore[arg-type]
        "socket": lambda: _read_unchunked(fp, SimpleNamespace(recv=fp.read1)),  # type: ignore[arg-type]
        "buffer": lambda: _read_unchunked(fp, None),  # type: ignore[arg-type]
    }[path]()
    assert next(reader) == b"data: a\n\n"
    with pytest.raises(urllib3.exceptions.HTTPError) as info:
        next(reader)
    assert type(info.value).__name__.startswith(expected)
    assert RequestsTransport().classify(info.value) is None  # not prepared: the caller's own
    transport = RequestsTransport()
    transport._prepared = True
    assert transport.classify(info.value) in (Failure.TIMEOUT, Failure.TRANSIENT)


def test_a_compressed_body_is_read_with_urllib3_and_its_chunks_checked() -> None:
    # With a Content-Encoding, urllib3's read1() decodes; the check of
    # http.client's chunk size stays on that path too.
    class FakeRaw:
        chunked = True
        connection = None
        headers: ClassVar[dict[str, str]] = {"content-encoding": "gzip"}

        def __init__(self) -> None:
            self._fp = _FakeFp([])
            self._fp.chunk_left = -5
            self.reads = [b"data: x\n\n"]

        def read1(self, amt: int, decode_content: bool) -> bytes:
            return self.reads.pop(0) if self.reads else b""

    raw = FakeRaw()
    response = Response(200, {}, SimpleNamespace(raw=raw))
    with pytest.raises(urllib3.exceptions.ProtocolError, match="chunk size"):
        list(RequestsTransport().body(response, None))  # type: ignore[arg-type]
    raw = FakeRaw()
    raw._fp.chunk_left = 3
    response = Response(200, {}, SimpleNamespace(raw=raw))
    assert list(RequestsTransport().body(response, None)) == [b"data: x\n\n"]  # type: ignore[arg-type]


# --- The chunked coding, undone by the adapter ----------------------------------------


def _dechunk(reads: list[bytes], *, sock: bool = True) -> tuple[list[bytes], Exception | None]:
    """What `_read_chunked()` yields from `reads` (one per socket read), and its error."""
    fp = _FakeFp(list(reads))
    out: list[bytes] = []
    try:
        out.extend(_read_chunked(fp, SimpleNamespace(recv=fp.read1) if sock else None))  # type: ignore[arg-type]
    except urllib3.exceptions.HTTPError as exc:
        return out, exc
    return out, None


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@given(
    chunks=st.lists(st.binary(min_size=1, max_size=40), max_size=8),
    extensions=st.lists(st.sampled_from([b"", b";a=b", b" ; x", b';q="1;2"']), min_size=8),
    upper=st.booleans(),
    trailer=st.sampled_from([b"\r\n", b"X-T: 1\r\n\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
    sock=st.booleans(),
)
@settings(max_examples=300)
def test_any_chunked_body_cut_anywhere_gives_its_data(
    chunks: list[bytes],
    extensions: list[bytes],
    upper: bool,
    trailer: bytes,
    cuts: list[int],
    sock: bool,
) -> None:
    body = b"".join(
        (b"%X" if upper else b"%x") % len(c) + ext + b"\r\n" + c + b"\r\n"
        for c, ext in zip(chunks, extensions, strict=False)
    )
    body += b"0\r\n" + trailer + b"data: after the body\n\n"
    out, error = _dechunk(_split(body, cuts), sock=sock)
    assert error is None
    assert b"".join(out) == b"".join(chunks)
    assert all(out)  # no empty reads handed on


def test_each_read_hands_on_what_it_brought() -> None:
    # Nothing is held back for a chunk to complete, and two chunks of one
    # read come as one piece.
    reads = [b"5\r\nda", b"ta:\r\n3\r\n x\n\r\n2\r", b"\n\n\n\r\n0\r\n\r\n"]
    assert _dechunk(reads) == ([b"da", b"ta: x\n", b"\n\n"], None)


@pytest.mark.parametrize(
    "size",
    [b"-5", b"0x10", b"1_0", b"+5", b"", b"zz", b"1" * 17, b"5 5"],
)
def test_a_malformed_chunk_size_is_an_error_after_what_came_before(size: bytes) -> None:
    out, error = _dechunk([b"3\r\nabc\r\n" + size + b"\r\nhello\r\n"])
    assert out == [b"abc"]
    assert isinstance(error, urllib3.exceptions.ProtocolError)
    assert "invalid chunk size" in str(error)


@pytest.mark.parametrize("reads", [[b"3\r\nabcX\r\n"], [b"3\r\nabc", b"\rX"], [b"3\r\nabc\n"]])
def test_data_not_followed_by_crlf_is_an_error(reads: list[bytes]) -> None:
    out, error = _dechunk(reads)
    assert out == [b"abc"]
    assert isinstance(error, urllib3.exceptions.ProtocolError)
    assert "invalid chunk end" in str(error)


def test_an_endless_chunk_size_line_is_an_error() -> None:
    out, error = _dechunk([b"1;" + b"x" * 40_000, b"y" * 40_000])
    assert out == []
    assert isinstance(error, urllib3.exceptions.ProtocolError)
    assert "too long" in str(error)


@pytest.mark.parametrize(
    "reads", [[b"5\r\nab"], [b"5\r\nabcde"], [b"5\r\nabcde\r\n"], [b"5\r\nabcde\r\n5"], []]
)
def test_a_body_cut_before_its_last_chunk_is_an_incomplete_read(reads: list[bytes]) -> None:
    out, error = _dechunk(reads)
    assert b"".join(out) == b"abcde"[: max(0, len(reads[0]) - 3)] if reads else out == []
    assert isinstance(error, urllib3.exceptions.ProtocolError)
    assert "IncompleteRead" in str(error)


def test_a_read_of_the_full_size_stays_on_the_buffer() -> None:
    # A read that brought all it was asked for may have left more in
    # http.client's buffer: the next read takes it from there too.
    head = b"%x\r\n" % 70_000
    first = head + b"x" * (65_536 - len(head))
    second = b"x" * (70_000 - (65_536 - len(head))) + b"\r\n0\r\n\r\n"
    out, error = _dechunk([first, second])
    assert error is None
    assert b"".join(out) == b"x" * 70_000


def test_a_closed_response_has_an_empty_body() -> None:
    # http.client drops its file once a response is closed: nothing to read.
    class FakeSocket:
        def makefile(self, mode: str) -> io.BufferedReader:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
            return io.BufferedReader(io.BytesIO(head))

    fp = http.client.HTTPResponse(FakeSocket())  # type: ignore[arg-type]
    fp.begin()
    fp.close()
    raw = SimpleNamespace(_fp=fp, connection=None, headers={})
    response = Response(200, {}, SimpleNamespace(raw=raw))
    assert list(RequestsTransport().body(response, None)) == []  # type: ignore[arg-type]
