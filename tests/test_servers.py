"""Self-tests of the test servers in :mod:`tests.servers`.

Clients here are the standard library (``socket``, ``http.client``) and httpx's
sync client only, so a failure points at the servers, not at an adapter.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import re
import socket
import time
import zlib
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.servers import (
    RawServer,
    UvicornServer,
    compressed_stream,
    endless_line,
    gzip_stream,
    redirect,
    respond,
    resumable,
    send_chunk,
    sse_app,
    stall,
    start_stream,
    status,
    stream,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Literal

    from tests.servers import Conn, RecordedRequest

    Encoding = Literal["gzip", "deflate", "br"]

TIMEOUT = 5.0


# --- a naive raw-socket client ------------------------------------------------------


def raw_request(port: int, head: bytes, *, timeout: float = TIMEOUT) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(head)
    return sock


def read_all(sock: socket.socket) -> tuple[bytes, bool]:
    """Read until EOF; return the bytes and whether the connection was reset."""
    data = bytearray()
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        return bytes(data), True
    return bytes(data), False


def fetch(port: int, head: bytes) -> tuple[bytes, bytes, bool]:
    """Send a raw request; return (response head, body, reset) once it ends."""
    with raw_request(port, head) as sock:
        data, reset = read_all(sock)
    response_head, _, body = data.partition(b"\r\n\r\n")
    return response_head, body, reset


def get(path: str, *headers: bytes) -> bytes:
    lines = [b"GET " + path.encode() + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def parse_events(body: bytes) -> tuple[list[dict[str, str]], str | None]:
    """A tiny spec-shaped SSE parser: events and the last dispatched ID.

    Lines end at CRLF, LF or CR; an unterminated last line and an event without
    its blank line are discarded, as at the end of a stream. Each event's
    ``"id"`` is the last event ID when it was dispatched.
    """
    events: list[dict[str, str]] = []
    last_id: str | None = None
    fields: dict[str, str] = {}
    id_buffer: str | None = None
    lines = re.split(rb"\r\n|\r|\n", body)
    for raw in lines[:-1]:  # the last element is unterminated
        line = raw.decode()
        if not line:
            if id_buffer is not None:
                last_id = id_buffer
            if fields:
                events.append({**fields, "id": last_id or ""})
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            id_buffer = value
        elif name == "data":
            fields["data"] = f"{fields['data']}\n{value}" if "data" in fields else value
        else:
            fields[name] = value
    return events, last_id


def header_lines(head: bytes) -> list[bytes]:
    return head.split(b"\r\n")


# --- RawServer basics --------------------------------------------------------------------


def test_route_and_404() -> None:
    with RawServer() as server:
        server.route("/hello", status(200, {"X-Test": "yes"}, b"hi"))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            conn.request("GET", "/hello?a=1&b=2")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"hi")
            assert response.getheader("X-Test") == "yes"
            # Content-Length framing keeps the connection open for the next one.
            conn.request("GET", "/missing")
            response = conn.getresponse()
            assert response.status == 404
            assert response.read() == b"no route for /missing\n"
        finally:
            conn.close()
        assert [r.path for r in server.requests] == ["/hello", "/missing"]
        assert server.requests[0].query == {"a": "1", "b": "2"}
        assert server.requests[0].target == "/hello?a=1&b=2"
        assert [r.conn_id for r in server.requests] == [0, 0]
        assert server.url("/x") == f"http://127.0.0.1:{server.port}/x"


def test_recorded_request_keeps_raw_utf8_headers_and_body() -> None:
    with RawServer() as server:
        server.route("/post", status(201))
        body = b'{"prompt": "hi"}'
        head = (
            b"POST /post?x=%%C3%%A9 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Last-Event-ID: caf\xc3\xa9 \xe2\x9c\x93\r\nX-Dup: 1\r\nx-dup: 2\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (len(body), body)
        )
        response_head, _, _ = fetch(server.port, head)
        assert response_head.startswith(b"HTTP/1.1 201 Created\r\n")
        assert b"Content-Length: 0" in response_head
        assert b"Connection: close" in response_head
        (request,) = server.requests
        assert request.method == "POST"
        assert request.query == {"x": "é"}
        assert request.body == body
        assert (b"Last-Event-ID", "café ✓".encode()) in request.raw_headers
        assert request.headers["last-event-id"] == "café ✓"
        assert request.last_event_id == "café ✓"
        assert request.headers["x-dup"] == "1, 2"
        assert request.headers["content-type"] == "application/json"


def test_chunked_request_body_and_bad_request() -> None:
    with RawServer() as server:
        server.route("/up", status(200))
        head = (
            b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
        )
        assert fetch(server.port, head)[0].startswith(b"HTTP/1.1 200 OK")
        assert server.requests[0].body == b"abcde"
        bad_head, bad_body, _ = fetch(server.port, b"NONSENSE\r\n\r\n")
        assert bad_head.startswith(b"HTTP/1.1 400 Bad Request")
        assert bad_body.startswith(b"bad request line")


def test_status_and_redirect() -> None:
    with RawServer() as server:
        server.route("/busy", status(503, [("Retry-After", "1")], b"busy"))
        server.route("/moved", redirect(307, "/busy"))
        server.route("/empty", status(204))
        with httpx.Client(timeout=TIMEOUT) as client:
            response = client.get(server.url("/busy"))
            assert (response.status_code, response.text) == (503, "busy")
            assert response.headers["retry-after"] == "1"
            response = client.get(server.url("/moved"))
            assert response.status_code == 307
            assert response.headers["location"] == "/busy"
            assert response.headers["content-length"] == "0"
            response = client.head(server.url("/busy"))
            assert (response.status_code, response.content) == (503, b"")
            assert response.headers["content-length"] == "4"
            response = client.get(server.url("/moved"), follow_redirects=True)
            assert response.status_code == 503
            assert [str(r.url) for r in response.history] == [server.url("/moved")]
        head, body, _ = fetch(server.port, get("/empty", b"Connection: close"))
        assert head.startswith(b"HTTP/1.1 204 No Content")
        assert b"Content-Length" not in head
        assert body == b""


def test_custom_handler_with_helpers() -> None:
    async def handler(request: RecordedRequest, conn: Conn) -> None:
        if request.query.get("mode") == "full":
            await respond(conn, 200, {"Content-Type": b"text/plain; charset=utf-8"}, "é".encode())
            return
        await start_stream(conn, {"X-Mode": "chunks"}, chunked=True)
        await send_chunk(conn, b"data: 1\n\n")
        await send_chunk(conn, b"")  # no empty chunk: that would end the body
        await send_chunk(conn, b"data: 2\n\n")
        conn.close()  # no last chunk: an incomplete chunked body

    with RawServer() as server:
        server.route("/h", handler)
        head, body, _ = fetch(server.port, get("/h?mode=full", b"Connection: close"))
        assert body == "é".encode()
        assert b"Content-Type: text/plain; charset=utf-8" in head
        head, body, _ = fetch(server.port, get("/h"))
        assert b"Transfer-Encoding: chunked" in head
        assert b"Connection" not in head
        assert body == b"9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n"


# --- stream factories ----------------------------------------------------------------------


def test_stream_sends_exact_bytes_then_closes() -> None:
    parts: list[bytes | float] = [b"data: a\n\n", 0.01, b"data: b\r\n", b"\r\n"]
    with RawServer() as server:
        server.route("/s", stream(parts, headers={"X-Extra": "1"}))
        head, body, reset = fetch(server.port, get("/s"))
    lines = header_lines(head)
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert lines[1:] == [b"Content-Type: text/event-stream", b"X-Extra: 1", b"Connection: close"]
    assert body == b"data: a\n\ndata: b\r\n\r\n"
    assert not reset


def test_stream_chunked_is_decoded_by_http_client() -> None:
    parts: list[bytes | float] = [b"data: a\n\n", b"data: b\n\n"]
    with RawServer() as server:
        server.route("/c", stream(parts, chunked=True, status=201, content_type="text/plain"))
        head, body, _ = fetch(server.port, get("/c"))
        assert head.startswith(b"HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n")
        assert body == b"9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n"
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            conn.request("GET", "/c")
            assert conn.getresponse().read() == b"data: a\n\ndata: b\n\n"
        finally:
            conn.close()


def test_stream_abort_resets_after_delivering() -> None:
    with RawServer() as server:
        server.route("/a", stream([b"data: x\n\n" * 1000], end="abort"))
        _, body, reset = fetch(server.port, get("/a"))
    assert reset
    assert body == b"data: x\n\n" * 1000


def test_linger_sees_the_client_close() -> None:
    with RawServer() as server:
        server.route("/l", stream([b"data: 1\n\n"], linger=TIMEOUT))
        with raw_request(server.port, get("/l")) as sock:
            data = b""
            while not data.endswith(b"data: 1\n\n"):
                data += sock.recv(65536)
        assert server.wait_connections_closed(TIMEOUT)
        assert server.conns[0].closed_by_peer is True


def test_linger_times_out() -> None:
    with RawServer() as server:
        server.route("/l", stream([b"data: 1\n\n"], linger=0.05))
        _, body, _ = fetch(server.port, get("/l"))
        assert body == b"data: 1\n\n"
        assert server.wait_connections_closed(TIMEOUT)
        assert server.conns[0].closed_by_peer is False


EVENTS = b"id: 1\ndata: one\n\nid: 2\r\ndata: two\r\n\r\nid: 3\rdata: three\r\r"


def test_gzip_stream_arrives_incrementally() -> None:
    with RawServer() as server:
        server.route("/gz", gzip_stream(EVENTS, delay=0.3))
        with raw_request(server.port, get("/gz")) as sock:
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            assert b"Content-Encoding: gzip" in head
            decoder = zlib.decompressobj(wbits=31)
            text = decoder.decompress(body)
            while b"\n\n" not in text:  # the first event, long before the last
                body += (chunk := sock.recv(65536))
                text += decoder.decompress(chunk)
            started = time.monotonic()
            rest, _ = read_all(sock)
        assert time.monotonic() - started > 0.3
        assert text == b"id: 1\ndata: one\n\n"
        assert text + decoder.decompress(rest) == EVENTS
        assert decoder.eof
        assert gzip.decompress(body + rest) == EVENTS


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_stream_is_decoded_by_httpx(encoding: Encoding) -> None:
    with RawServer() as server:
        server.route("/z", compressed_stream([b"data: a\n\n", b"data: b\n\n"], encoding))
        response = httpx.get(server.url("/z"), timeout=TIMEOUT)
    assert response.headers["content-encoding"] == encoding
    assert response.content == b"data: a\n\ndata: b\n\n"


def test_stall_sends_headers_then_nothing() -> None:
    with RawServer() as server:
        server.route("/stall", stall(TIMEOUT, prefix=b": hello\n"))
        with raw_request(server.port, get("/stall"), timeout=0.2) as sock:
            data = b""
            while not data.endswith(b": hello\n"):
                data += sock.recv(65536)
            assert data.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n")
            with pytest.raises(TimeoutError):
                sock.recv(65536)
        # Leaving the block cuts the stalled connection at once.


def test_endless_line_stops_at_its_limit() -> None:
    with RawServer() as server:
        server.route("/line", endless_line(limit=300_000))
        _, body, _ = fetch(server.port, get("/line"))
    assert len(body) == 300_000
    assert body.startswith(b"data: xxx")
    assert body.count(b"\n") == 0


def test_endless_line_stops_when_the_client_goes_away() -> None:
    with RawServer() as server:
        server.route("/line", endless_line())
        with raw_request(server.port, get("/line")) as sock:
            received = 0
            while received < 1_000_000:
                received += len(sock.recv(65536))
        assert server.wait_connections_closed(TIMEOUT)
        assert server.conns[0].bytes_sent < 50_000_000


def test_exit_cuts_open_connections() -> None:
    with contextlib.ExitStack() as stack:
        with RawServer() as server:
            server.route("/", stall(60))
            sock = stack.enter_context(raw_request(server.port, get("/")))
            assert server.wait_for_requests(1, TIMEOUT)
            started = time.monotonic()
        data, _ = read_all(sock)  # ends now, not after the stall
        assert time.monotonic() - started < 2
    assert data.startswith(b"HTTP/1.1 200 OK")


def test_handler_errors_are_raised_on_exit() -> None:
    async def broken(request: RecordedRequest, conn: Conn) -> None:
        raise ValueError("boom")

    server = RawServer()
    with pytest.raises(RuntimeError, match="handler failed") as info, server:  # noqa: PT012
        server.route("/", broken)
        _, body, _ = fetch(server.port, get("/"))
        assert body == b""
    assert isinstance(info.value.__cause__, ValueError)


# --- resumable ---------------------------------------------------------------------------------


def naive_resume(port: int, *, max_connections: int = 500) -> tuple[list[str], list[bool]]:
    """Reconnect with Last-Event-ID until 204; return the event IDs and the resets."""
    ids: list[str] = []
    resets: list[bool] = []
    last_id: str | None = None
    for _ in range(max_connections):
        extra = [b"Last-Event-ID: " + last_id.encode()] if last_id is not None else []
        head, body, reset = fetch(port, get("/r", *extra))
        if head.startswith(b"HTTP/1.1 204"):
            return ids, resets
        assert head.startswith(b"HTTP/1.1 200 OK")
        resets.append(reset)
        events, new_id = parse_events(body)
        for event in events:
            assert event["data"] == f"event {event['id']}"
            ids.append(event["id"])
        last_id = new_id if new_id is not None else last_id
    raise AssertionError("too many connections")


@pytest.mark.parametrize("seed", range(6))
def test_resumable_delivers_every_event_exactly_once(seed: int) -> None:
    scenario = resumable(40, seed=seed)
    with RawServer() as server:
        server.route("/r", scenario)
        ids, resets = naive_resume(server.port)
    assert ids == [str(k) for k in range(1, 41)]
    assert scenario.last_event_ids == scenario.expected_last_event_ids()
    assert scenario.last_event_ids[0] is None
    assert scenario.last_event_ids[-1] == "40"
    kinds = [d.kind for d in scenario.drops]
    assert kinds[:4] == ["abort", "close", "abort", "close"]
    # Each dropped connection: an RST reads as a reset, a FIN as a clean end.
    assert resets[: len(kinds)] == [kind == "abort" for kind in kinds]
    # Request i was dropped during its 2nd to 5th event.
    for drop, last_id in zip(scenario.drops, scenario.last_event_ids, strict=False):
        assert 2 <= drop.event_id - int(last_id or 0) <= 5


def test_resumable_covers_every_drop_position() -> None:
    wheres: Counter[str] = Counter()
    for seed in range(6):
        scenario = resumable(40, seed=seed)
        with RawServer() as server:
            server.route("/r", scenario)
            naive_resume(server.port)
        wheres.update(d.where for d in scenario.drops)
    assert set(wheres) == {"start", "random", "mid_crlf", "after_id", "before_blank", "end"}


def test_resumable_edges() -> None:
    scenario = resumable(3, seed=1, drop_every=(10, 10))
    with RawServer() as server:
        server.route("/r", scenario)
        head, body, reset = fetch(server.port, get("/r"))
        assert b"Content-Length" not in head
        assert b"Connection: close" in head
        assert not reset
        assert body.startswith(b"retry: 10")
        events, last_id = parse_events(body)
        assert [e["data"] for e in events] == ["event 1", "event 2", "event 3"]
        assert last_id == "3"
        head, _, _ = fetch(server.port, get("/r", b"Last-Event-ID: 1"))
        assert head.startswith(b"HTTP/1.1 200")
        assert fetch(server.port, get("/r", b"Last-Event-ID: 3"))[0].startswith(b"HTTP/1.1 204")
        assert fetch(server.port, get("/r", b"Last-Event-ID: x"))[0].startswith(b"HTTP/1.1 400")
        assert fetch(server.port, get("/r", b"Last-Event-ID: 4"))[0].startswith(b"HTTP/1.1 400")
    assert scenario.last_event_ids == [None, "1", "3", "x", "4"]
    assert scenario.drops == []
    with pytest.raises(ValueError, match="drop_every"):
        resumable(3, seed=1, drop_every=(3, 2))


# --- uvicorn + sse-starlette ------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_server() -> Iterator[UvicornServer]:
    with UvicornServer(sse_app()) as server:
        yield server


def test_sse_app_streams_ticks(app_server: UvicornServer) -> None:
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        client.stream("GET", app_server.url("/events?count=3&sep=lf")) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read()
    assert body == (
        b"id: 1\nevent: tick\ndata: tick 1\nretry: 1000\n\n"
        b"id: 2\nevent: tick\ndata: tick 2\n\n"
        b"id: 3\nevent: tick\ndata: tick 3\n\n"
    )


def test_sse_app_resumes_after_last_event_id(app_server: UvicornServer) -> None:
    headers = {"Last-Event-ID": "3", "X-Probe": "resume"}
    response = httpx.get(app_server.url("/events?count=5"), headers=headers, timeout=TIMEOUT)
    events, last_id = parse_events(response.content)
    assert [e["data"] for e in events] == ["tick 4", "tick 5"]
    assert events[0]["retry"] == "1000"
    assert "retry" not in events[1]
    assert b"\r\n" in response.content  # sse-starlette's default separator
    assert last_id == "5"
    done = httpx.get(app_server.url("/events?count=5"), headers={"Last-Event-ID": "5"})
    assert done.status_code == 204
    recorded = [r for r in app_server.app.state.requests if r.headers.get("x-probe") == "resume"]
    assert len(recorded) == 1
    assert recorded[0].last_event_id == "3"
    assert recorded[0].query == {"count": "5"}
    assert (b"last-event-id", b"3") in recorded[0].raw_headers


def test_sse_app_chat(app_server: UvicornServer) -> None:
    response = httpx.post(
        app_server.url("/chat?sep=lf"), json={"prompt": "hi there"}, timeout=TIMEOUT
    )
    events, _ = parse_events(response.content)
    deltas = [json.loads(e["data"]) for e in events if e.get("event") == "delta"]
    assert [d["text"] for d in deltas] == ["you", "said:", "hi", "there"]
    assert [d["index"] for d in deltas] == [0, 1, 2, 3]
    assert events[-1] == {"data": "[DONE]", "id": ""}
    assert app_server.app.state.requests[-1].body == b'{"prompt":"hi there"}'
    bad = httpx.post(app_server.url("/chat"), content=b"nope", timeout=TIMEOUT)
    assert bad.status_code == 400


def test_sse_app_pings(app_server: UvicornServer) -> None:
    url = app_server.url("/events?count=2&delay=0.3&ping=0.05&sep=lf")
    response = httpx.get(url, timeout=TIMEOUT)
    assert re.search(rb"(^|\n): ping - ", response.content)
    events, _ = parse_events(response.content)
    assert [e["data"] for e in events] == ["tick 1", "tick 2"]


def test_uvicorn_shutdown_cuts_open_streams() -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        server = UvicornServer(sse_app())
        with server:
            response_cm = client.stream("GET", server.url("/events?count=100000&delay=0.05"))
            response = response_cm.__enter__()
            lines = response.iter_lines()
            assert next(lines) == "id: 1"
            started = time.monotonic()
        assert time.monotonic() - started < 3
        with pytest.raises(httpx.HTTPError):  # the stream was cut
            for _ in lines:
                pass
        response_cm.__exit__(None, None, None)


# --- the same servers from asyncio and trio clients ---------------------------------------------


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    with RawServer() as server:
        yield server


@pytest.mark.anyio
async def test_async_clients_use_the_servers(
    anyio_backend: str, raw_server: RawServer, app_server: UvicornServer
) -> None:
    # Start servers in sync fixtures: entering one blocks for a moment.
    raw_server.route("/s", stream([b"data: a\n\n", 0.01, b"data: b\n\n"]))
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        async with client.stream("GET", raw_server.url("/s")) as response:
            body = b"".join([chunk async for chunk in response.aiter_bytes()])
        assert body == b"data: a\n\ndata: b\n\n"
        response = await client.get(app_server.url("/events?count=2&sep=lf"))
        assert [e["data"] for e in parse_events(response.content)[0]] == ["tick 1", "tick 2"]
