"""Real HTTP test servers on 127.0.0.1 for the adapter tests. No mocks.

Each server runs its own asyncio event loop in a daemon thread, so sync, asyncio
and trio clients in the test thread can all talk to it over a real socket.

* :class:`RawServer` is a byte-level, scripted HTTP/1.1 server built on
  :func:`asyncio.start_server` (no HTTP library): handlers write exact bytes and
  can drop the connection anywhere, cleanly (FIN) or hard (RST).
* :class:`UvicornServer` runs any ASGI app under uvicorn; :func:`sse_app` is a
  Starlette app streaming with sse-starlette's ``EventSourceResponse``.

Typical use::

    with RawServer() as server:
        server.route("/events", stream([b"data: a\\n\\n", 0.01, b"data: b\\n\\n"]))
        response = httpx.get(server.url("/events"))
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http
import json
import logging
import random
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlsplit

try:  # Linux and the BSDs: lets Conn.flush() see the kernel's send queue
    import fcntl
    import termios
except ImportError:  # pragma: no cover - Windows
    fcntl = termios = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from types import TracebackType

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "Conn",
    "Drop",
    "Handler",
    "RawServer",
    "RecordedRequest",
    "Resumable",
    "UvicornServer",
    "compressed_stream",
    "end_chunks",
    "endless_line",
    "gzip_stream",
    "redirect",
    "respond",
    "resumable",
    "send_chunk",
    "sse_app",
    "stall",
    "start_stream",
    "status",
    "stream",
    "then_204",
]

HOST = "127.0.0.1"
#: Upper bound for every internal wait (startup, shutdown, flush), in seconds.
MAX_WAIT = 10.0

HeaderValue = str | bytes
HeadersLike = Mapping[str, HeaderValue] | Sequence[tuple[str | bytes, HeaderValue]]


# --- Recorded requests -----------------------------------------------------------


def _decode_value(value: bytes) -> str:
    # Header values are decoded as UTF-8 (the SSE spec sends Last-Event-ID as
    # UTF-8); undecodable bytes survive as surrogates. ``raw_headers`` has the bytes.
    return value.decode("utf-8", "surrogateescape")


def _header_dict(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = _decode_value(value)
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


@dataclasses.dataclass
class RecordedRequest:
    """One request as a server received it.

    Attributes:
        method: The request method, e.g. ``"GET"``.
        path: The path of the target, without the query.
        query: The query parameters (the last value wins for repeated names).
        headers: Lower-case names to values decoded as UTF-8 (surrogateescape);
            repeated fields are joined with ``", "``.
        raw_headers: The header fields exactly as received, as byte pairs.
        body: The request body (Content-Length or chunked), ``b""`` if none.
        target: The raw request target, e.g. ``"/events?x=1"``.
        conn_id: Which connection of the server carried it (0, 1, ...).
        time: ``time.monotonic()`` when its head had been read.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    target: str = ""
    conn_id: int = 0
    time: float = 0.0

    @property
    def last_event_id(self) -> str | None:
        """The ``Last-Event-ID`` header, or ``None`` if the request had none."""
        return self.headers.get("last-event-id")

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        raw_headers: list[tuple[bytes, bytes]],
        body: bytes = b"",
        conn_id: int = 0,
    ) -> RecordedRequest:
        """Build a record from the request line parts, the raw headers and the body."""
        parts = urlsplit(target)
        return cls(
            method=method,
            path=parts.path or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=_header_dict(raw_headers),
            raw_headers=raw_headers,
            body=body,
            target=target,
            conn_id=conn_id,
            time=time.monotonic(),
        )


# --- RawServer ---------------------------------------------------------------------


class BadRequest(Exception):
    """The client sent something that is not an HTTP/1.1 request."""


class Conn:
    """One client connection of a :class:`RawServer`, as a handler sees it.

    Attributes:
        id: The connection's number on its server (0, 1, ...).
        bytes_sent: How many bytes :meth:`send` has written so far.
        keep_alive: Whether the server reads another request on this connection
            after the handler returns. Handlers leave it ``False`` (the server
            then closes); :func:`respond` and :func:`end_chunks` set it when the
            response was fully framed and the client did not ask to close.
        closed_by_peer: The result of the last :meth:`wait_closed_by_peer`, or
            ``None`` if it was never called.
        request: The request being handled.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.id = conn_id
        self.bytes_sent = 0
        self.keep_alive = False
        self.closed_by_peer: bool | None = None
        self.request: RecordedRequest | None = None

    @property
    def closed(self) -> bool:
        """Whether the connection is closed or closing (by either side)."""
        return self.writer.transport.is_closing()

    async def send(self, data: bytes) -> None:
        """Write ``data`` and wait until the transport's buffer drains.

        Raises:
            ConnectionError: If the connection is closed, e.g. the client went away.
        """
        if self.closed:
            raise ConnectionResetError("connection is closed")
        self.writer.write(data)
        self.bytes_sent += len(data)
        await self.writer.drain()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the server's event loop."""
        await asyncio.sleep(seconds)

    async def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every byte sent is in the client's kernel (its receive queue).

        Waits for asyncio's write buffer to empty and, on Linux, for the socket's
        send queue (unsent plus unacknowledged bytes, ``TIOCOUTQ``) to reach 0.
        Call it before :meth:`abort` so a reset cannot discard sent bytes.

        Returns:
            ``True`` if everything was delivered within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        sock = self.writer.get_extra_info("socket")
        while time.monotonic() < deadline:
            if self.closed:
                return False
            if self.writer.transport.get_write_buffer_size() == 0 and _unsent(sock) == 0:
                return True
            await asyncio.sleep(0.001)
        return False

    def close(self) -> None:
        """Close cleanly: flush what was written, then send FIN."""
        self.writer.close()

    def abort(self) -> None:
        """Reset hard: send RST (SO_LINGER 0) and discard anything still unsent."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None and not self.closed:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def wait_closed_by_peer(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the client to close the connection.

        Reads and discards whatever the client still sends. Sets
        :attr:`closed_by_peer`.

        Returns:
            ``True`` on the client's FIN or RST, ``False`` on time-out.
        """

        async def until_eof() -> None:
            with contextlib.suppress(ConnectionError):
                while await self.reader.read(65536):
                    pass

        try:
            await asyncio.wait_for(until_eof(), timeout)
        except asyncio.TimeoutError:
            self.closed_by_peer = False
        else:
            self.closed_by_peer = True
        return self.closed_by_peer


Handler = Callable[[RecordedRequest, Conn], Awaitable[None]]
"""``async def handler(request, conn) -> None``: answer one request on ``conn``."""


def _unsent(sock: Any) -> int:
    """Bytes in the kernel send queue of ``sock`` (0 where that is unknown)."""
    if sock is None or fcntl is None or not hasattr(termios, "TIOCOUTQ"):
        return 0  # pragma: no cover - not Linux
    try:
        out = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    except OSError:
        return 0
    value: int = struct.unpack("i", out)[0]
    return value


async def _read_request(conn: Conn) -> RecordedRequest | None:
    """Read one request from ``conn``; ``None`` on EOF before a request."""
    try:
        head = await conn.reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequest("incomplete request head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("request head too large") from exc
    lines = head[:-4].split(b"\r\n")
    try:
        method, target, version = lines[0].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"bad request line {lines[0]!r}") from exc
    if not version.startswith("HTTP/1."):
        raise BadRequest(f"unsupported version {version!r}")
    raw_headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise BadRequest(f"bad header line {line!r}")
        raw_headers.append((name, value.strip(b" \t")))
    request = RecordedRequest.build(method, target, raw_headers, conn_id=conn.id)
    if "chunked" in request.headers.get("transfer-encoding", "").lower():
        request.body = await _read_chunked(conn.reader)
    elif "content-length" in request.headers:
        try:
            length = int(request.headers["content-length"])
        except ValueError as exc:
            raise BadRequest("bad Content-Length") from exc
        request.body = await conn.reader.readexactly(length)
    if version == "HTTP/1.0" or "close" in request.headers.get("connection", "").lower():
        request.headers.setdefault("connection", "close")
    return request


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise BadRequest("bad chunk size") from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest("bad chunk end")


async def _not_found(request: RecordedRequest, conn: Conn) -> None:
    await respond(conn, 404, body=f"no route for {request.path}\n".encode())


class RawServer:
    """A scripted HTTP/1.1 server on 127.0.0.1 that writes exactly the bytes it is told.

    ``with RawServer() as server:`` binds a free port and serves in a daemon
    thread with its own event loop; leaving the block aborts every open client
    connection, stops the loop and joins the thread. If a handler raised
    anything but a connection error, leaving the block raises it (as the cause
    of a ``RuntimeError``) unless the block itself raised.

    Attributes:
        requests: Every request received, in order (appended under a lock).
        conns: Every connection accepted, in order.
        errors: Exceptions raised by handlers (connection errors excluded).
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.conns: list[Conn] = []
        self.errors: list[BaseException] = []
        self._routes: dict[str, Handler] = {}
        self._cond = threading.Condition()
        self._open = 0
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- public API --

    def route(self, path: str, handler: Handler) -> None:
        """Serve ``path`` (exact match, query ignored) with ``handler``."""
        self._routes[path] = handler

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._port is None:
            raise RuntimeError("server is not running")
        return self._port

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://{HOST}:{self.port}{path}"

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` requests were received."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= count, timeout)

    def wait_connections_closed(self, timeout: float = 5.0) -> bool:
        """Wait until no client connection is open (handlers done, sockets closed)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._open == 0, timeout)

    # -- lifecycle --

    def __enter__(self) -> RawServer:
        self._thread = threading.Thread(target=self._run, name="RawServer", daemon=True)
        self._thread.start()
        if not self._started.wait(MAX_WAIT) or self._failure is not None:
            self._thread.join(MAX_WAIT)
            raise RuntimeError("RawServer failed to start") from self._failure
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._thread is not None
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(MAX_WAIT)
        if self._thread.is_alive():  # pragma: no cover - a bug in a handler
            raise RuntimeError("RawServer thread did not stop")
        if exc_type is None:
            if self._failure is not None:  # pragma: no cover
                raise RuntimeError("RawServer failed") from self._failure
            if self.errors:
                raise RuntimeError(f"a RawServer handler failed: {self.errors[0]!r}") from (
                    self.errors[0]
                )

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # pragma: no cover - reported by __enter__/__exit__
            self._failure = exc
        finally:
            self._started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._on_connect, HOST, 0)
        try:
            self._port = server.sockets[0].getsockname()[1]
            self._started.set()
            await self._stop.wait()
        finally:
            server.close()
            for _ in range(2):  # again for connections accepted meanwhile
                for conn in list(self.conns):
                    conn.writer.transport.abort()
                tasks = list(self._tasks)
                for task in tasks:
                    task.cancel()
                if tasks:
                    await asyncio.wait(tasks, timeout=MAX_WAIT)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), MAX_WAIT)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._cond:
            conn = Conn(reader, writer, len(self.conns))
            self.conns.append(conn)
            self._open += 1
        try:
            await self._serve(conn)
        except asyncio.CancelledError:
            # The server is stopping. Ending normally, not cancelled, matters:
            # asyncio (3.11) logs an error for a cancelled client_connected_cb task.
            pass
        finally:
            if not conn.closed:
                conn.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 2.0)
            except (Exception, asyncio.CancelledError):
                writer.transport.abort()
            self._tasks.discard(task)
            with self._cond:
                self._open -= 1
                self._cond.notify_all()

    async def _serve(self, conn: Conn) -> None:
        try:
            while True:
                request = await _read_request(conn)
                if request is None:
                    return
                conn.request = request
                conn.keep_alive = False
                with self._cond:
                    self.requests.append(request)
                    self._cond.notify_all()
                await self._routes.get(request.path, _not_found)(request, conn)
                if conn.closed or not conn.keep_alive:
                    return
        except BadRequest as exc:
            with contextlib.suppress(ConnectionError):
                await respond(conn, 400, body=f"{exc}\n".encode(), keep_alive=False)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away
        except Exception as exc:
            self.errors.append(exc)


# --- response helpers --------------------------------------------------------------


def _status_line(code: int) -> bytes:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = "Unknown"
    return f"HTTP/1.1 {code} {phrase}\r\n".encode("ascii")


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _header_pairs(headers: HeadersLike | None) -> list[tuple[bytes, bytes]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(_as_bytes(name), _as_bytes(value)) for name, value in items]


def _has(pairs: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(key.lower() == name for key, _ in pairs)


def _head(code: int, pairs: list[tuple[bytes, bytes]]) -> bytes:
    return _status_line(code) + b"".join(k + b": " + v + b"\r\n" for k, v in pairs) + b"\r\n"


def _client_wants_close(conn: Conn) -> bool:
    return conn.request is not None and "close" in conn.request.headers.get("connection", "")


async def respond(
    conn: Conn,
    status: int = 200,
    headers: HeadersLike | None = None,
    body: bytes = b"",
    *,
    keep_alive: bool = True,
) -> None:
    """Send a complete response framed by ``Content-Length``.

    No ``Content-Length`` (and no body) for 1xx, 204 and 304; no body for HEAD.
    With ``keep_alive`` (and unless the client sent ``Connection: close``) the
    server then reads the next request on this connection; otherwise it adds
    ``Connection: close``.
    ``str`` header values are encoded as UTF-8, ``bytes`` are sent as they are.
    """
    pairs = _header_pairs(headers)
    no_body = status < 200 or status in (204, 304)
    if not no_body and not _has(pairs, b"content-length"):
        pairs.append((b"Content-Length", str(len(body)).encode()))
    keep = keep_alive and not _client_wants_close(conn)
    if not keep and not _has(pairs, b"connection"):
        pairs.append((b"Connection", b"close"))
    is_head = conn.request is not None and conn.request.method == "HEAD"
    await conn.send(_head(status, pairs) + (b"" if no_body or is_head else body))
    conn.keep_alive = keep


async def start_stream(
    conn: Conn,
    headers: HeadersLike | None = None,
    status: int = 200,
    content_type: str | None = "text/event-stream",
    *,
    chunked: bool = False,
) -> None:
    """Send the status line and headers of a streamed response.

    By default the body is delimited by the connection: no ``Content-Length``,
    ``Connection: close``, and the body ends when the server closes. With
    ``chunked`` it is ``Transfer-Encoding: chunked``: send each piece with
    :func:`send_chunk` and end with :func:`end_chunks`. ``content_type=None``
    sends no ``Content-Type`` (nor does a ``Content-Type`` in ``headers`` get a
    second one).
    """
    pairs = _header_pairs(headers)
    if content_type is not None and not _has(pairs, b"content-type"):
        pairs.insert(0, (b"Content-Type", content_type.encode()))
    if chunked:
        if not _has(pairs, b"transfer-encoding"):
            pairs.append((b"Transfer-Encoding", b"chunked"))
    elif not _has(pairs, b"connection"):
        pairs.append((b"Connection", b"close"))
    await conn.send(_head(status, pairs))


async def send_chunk(conn: Conn, data: bytes) -> None:
    """Send ``data`` as one chunk of a chunked body (nothing for empty ``data``)."""
    if data:
        await conn.send(b"%x\r\n%s\r\n" % (len(data), data))


async def end_chunks(conn: Conn, *, keep_alive: bool = True) -> None:
    """Send the last chunk; the connection may then carry another request."""
    await conn.send(b"0\r\n\r\n")
    conn.keep_alive = keep_alive and not _client_wants_close(conn)


# --- handler factories ---------------------------------------------------------------


def status(code: int, headers: HeadersLike | None = None, body: bytes = b"") -> Handler:
    """A handler answering every request with this complete response."""

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await respond(conn, code, headers, body)

    return handler


def redirect(code: int, location: str, headers: HeadersLike | None = None) -> Handler:
    """A handler answering with a redirect to ``location`` and an empty body."""
    pairs: list[tuple[str | bytes, HeaderValue]] = [("Location", location)]
    return status(code, [*pairs, *_header_pairs(headers)])


def stream(
    parts: Sequence[bytes | float],
    *,
    headers: HeadersLike | None = None,
    status: int = 200,
    content_type: str | None = "text/event-stream",
    chunked: bool = False,
    linger: float | None = None,
    end: Literal["close", "abort"] = "close",
) -> Handler:
    """A handler sending a scripted stream: ``bytes`` parts are sent, floats are sleeps.

    After the parts, a chunked stream sends its last chunk. With ``linger`` the
    handler then waits up to that many seconds for the client to close the
    connection (see :attr:`Conn.closed_by_peer`). Finally it closes cleanly, or
    resets the connection with ``end="abort"`` (after flushing what was sent).
    """

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn, headers, status, content_type, chunked=chunked)
        for part in parts:
            if isinstance(part, bytes):
                await (send_chunk(conn, part) if chunked else conn.send(part))
            else:
                await conn.sleep(part)
        if chunked:
            await end_chunks(conn, keep_alive=False)
        if linger is not None:
            await conn.wait_closed_by_peer(linger)
        if end == "abort":
            await conn.flush()
            conn.abort()
        else:
            conn.close()

    return handler


def then_204(first: Handler | bytes | Sequence[bytes | float], **options: Any) -> Handler:
    """Answer the first request with ``first``, and every later one with 204 No Content.

    ``first`` is a handler, or a stream's parts (one ``bytes``, or a list as
    :func:`stream` takes) with :func:`stream`'s keyword options.
    """
    parts = [first] if isinstance(first, bytes) else first
    answer = parts if callable(parts) else stream(parts, **options)
    served: list[RecordedRequest] = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        if served:
            await respond(conn, 204)
        else:
            served.append(request)
            await answer(request, conn)

    return handler


_EVENT_END = re.compile(rb"(?<=\r\n\r\n)|(?<=\n\n)|(?<=\r\r)")


def _split_events(data: bytes | Sequence[bytes]) -> list[bytes]:
    if isinstance(data, bytes):
        return [piece for piece in _EVENT_END.split(data) if piece]
    return list(data)


def compressed_stream(
    events: bytes | Sequence[bytes],
    encoding: Literal["gzip", "deflate", "br"] = "gzip",
    *,
    delay: float = 0.0,
    headers: HeadersLike | None = None,
) -> Handler:
    """A handler streaming ``events`` with ``Content-Encoding: encoding``.

    ``events`` is either a list of pieces or bytes that are cut after each
    blank line. Each piece is compressed and flushed (``Z_SYNC_FLUSH``, or a
    brotli flush) and sent on its own, ``delay`` seconds apart, so a decoding
    client gets each event before the stream ends. Then the compressor is
    finished and the connection closed.
    """

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        compress, finish = _compressor(encoding)
        pairs: list[tuple[str | bytes, HeaderValue]] = [("Content-Encoding", encoding)]
        await start_stream(conn, [*pairs, *_header_pairs(headers)])
        for index, piece in enumerate(_split_events(events)):
            if index and delay:
                await conn.sleep(delay)
            await conn.send(compress(piece))
        await conn.send(finish())
        conn.close()

    return handler


def _compressor(
    encoding: Literal["gzip", "deflate", "br"],
) -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
    if encoding == "br":
        import brotli  # type: ignore[import-untyped,unused-ignore]

        compressor = brotli.Compressor()
        return (
            lambda data: compressor.process(data) + compressor.flush(),
            compressor.finish,
        )
    zobj = zlib.compressobj(wbits=31 if encoding == "gzip" else 15)
    return (lambda data: zobj.compress(data) + zobj.flush(zlib.Z_SYNC_FLUSH), zobj.flush)


def gzip_stream(events: bytes | Sequence[bytes], *, delay: float = 0.0) -> Handler:
    """:func:`compressed_stream` with ``Content-Encoding: gzip``."""
    return compressed_stream(events, "gzip", delay=delay)


def stall(seconds: float, *, prefix: bytes = b"", headers: HeadersLike | None = None) -> Handler:
    """A handler sending stream headers (and ``prefix``), then silence, then a close."""

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn, headers)
        if prefix:
            await conn.send(prefix)
        await conn.sleep(seconds)
        conn.close()

    return handler


def endless_line(*, piece_size: int = 64 * 1024, limit: int = 256 * 1024 * 1024) -> Handler:
    """A handler sending one line ``data: xxxx...`` that never ends.

    Sends ``piece_size`` bytes at a time until the client goes away or ``limit``
    body bytes were sent, then closes. For line-length limits.
    """

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        await start_stream(conn)
        sent = 0
        filler = b"x" * piece_size
        first = b"data: " + filler[6:]
        while sent < limit:
            piece = (first if sent == 0 else filler)[: limit - sent]
            await conn.send(piece)
            sent += len(piece)
        conn.close()

    return handler


# --- resumable: random drops, resumption by Last-Event-ID ------------------------------

DropWhere = Literal["start", "random", "mid_crlf", "after_id", "before_blank", "end"]


@dataclasses.dataclass(frozen=True)
class Drop:
    """Where :class:`Resumable` dropped a connection.

    Attributes:
        kind: ``"abort"`` (RST) or ``"close"`` (FIN).
        event_id: The event during which the connection was dropped.
        offset: How many bytes of that event were sent (0 = none, all = whole).
        where: How the offset was chosen.
    """

    kind: Literal["abort", "close"]
    event_id: int
    offset: int
    where: DropWhere


class Resumable:
    """The central reconnection scenario; build it with :func:`resumable`.

    Each request gets the events after its ``Last-Event-ID`` (all of them with
    none): ``id: k`` and ``data: event k``, with a ``retry: 10`` first, comments
    mixed in and LF, CRLF or CR line endings (one kind per event). After a
    seeded random number of events within ``drop_every`` the connection is
    dropped at a random byte position of an event, alternately by RST (after
    flushing) and by FIN. After event ``n`` it closes cleanly; a request whose
    ``Last-Event-ID`` is ``n`` gets ``204 No Content``, one with a non-numeric or
    too large ID ``400``.

    Attributes:
        last_event_ids: The ``Last-Event-ID`` of each request (``None``: absent).
        complete_through: For each request, the highest event ID the client can
            have dispatched once the response ended (the ID it sent, or 0,
            plus the complete events sent).
        drops: Every dropped connection, in order.
    """

    def __init__(self, n: int, seed: int, drop_every: tuple[int, int] = (2, 5)) -> None:
        if n < 1 or drop_every[0] < 1 or drop_every[1] < drop_every[0]:
            raise ValueError("need n >= 1 and 1 <= drop_every[0] <= drop_every[1]")
        self.n = n
        self.drop_every = drop_every
        self.rng = random.Random(seed)
        self.last_event_ids: list[str | None] = []
        self.complete_through: list[int] = []
        self.drops: list[Drop] = []
        self._lock = threading.Lock()

    def expected_last_event_ids(self) -> list[str | None]:
        """The ``Last-Event-ID`` a spec-exact client sends on each request so far.

        The first is what the first request sent; each later one is the ID of
        the last event completely sent before (the previous one if none was).
        """
        expected: list[str | None] = self.last_event_ids[:1]
        for index, through in enumerate(self.complete_through[:-1]):
            expected.append(str(through) if through else self.last_event_ids[index])
        return expected

    def _event(self, k: int) -> tuple[bytes, bytes]:
        """Encode event ``k``; return it and its line ending."""
        rng = self.rng
        eol = rng.choice([b"\n", b"\r\n", b"\r"])
        id_line = (b"id: %d" if rng.random() < 0.7 else b"id:%d") % k
        data_line = b"data: event %d" % k
        lines = [id_line, data_line]
        if rng.random() < 0.3:
            lines.reverse()
        if rng.random() < 0.3:
            lines.insert(0, b": comment %d" % k)
        return b"".join(line + eol for line in lines) + eol, eol

    def _drop_offset(self, event: bytes, eol: bytes) -> tuple[int, DropWhere]:
        rng = self.rng
        where: DropWhere = rng.choice(
            ["start", "random", "random", "mid_crlf", "after_id", "before_blank", "end"]
        )
        if where == "mid_crlf" and eol != b"\r\n":
            where = "random"
        if where == "start":
            return 0, where
        if where == "end":
            return len(event), where
        if where == "before_blank":
            return len(event) - len(eol), where
        if where == "after_id":
            start = event.index(b"id:")
            return event.index(eol, start) + len(eol), where
        if where == "mid_crlf":
            return rng.choice([m.start() + 1 for m in re.finditer(b"\r\n", event)]), where
        return rng.randint(1, len(event) - 1), where

    async def __call__(self, request: RecordedRequest, conn: Conn) -> None:
        last_id = request.last_event_id
        plan: tuple[list[bytes], Drop | None] | None = None
        with self._lock:
            self.last_event_ids.append(last_id)
            if last_id is None:
                first = 1
            elif last_id.isascii() and last_id.isdigit() and int(last_id) <= self.n:
                first = int(last_id) + 1
            else:
                first = 0
            if not first:
                self.complete_through.append(0)
            elif first > self.n:
                self.complete_through.append(self.n)
            else:
                plan = self._plan(first)
        if not first:
            await respond(conn, 400, body=b"bad Last-Event-ID\n", keep_alive=False)
            return
        if plan is None:
            await respond(conn, 204, keep_alive=False)
            return
        body, drop = plan
        await start_stream(conn, {"Cache-Control": "no-store"})
        for piece in body:
            await conn.send(piece)
        if drop is not None and drop.kind == "abort":
            await conn.flush()
            conn.abort()
        else:
            conn.close()

    def _plan(self, first: int) -> tuple[list[bytes], Drop | None]:
        """Pick the pieces to send from event ``first`` on, and the drop if any."""
        rng = self.rng
        eol = rng.choice([b"\n", b"\r\n", b"\r"])
        pieces = [b"retry: 10" + eol + (b": resumable\n" if rng.random() < 0.5 else b"")]
        budget = rng.randint(*self.drop_every)
        drop: Drop | None = None
        through = first - 1
        for k in range(first, self.n + 1):
            event, event_eol = self._event(k)
            if k - first + 1 == budget:
                offset, where = self._drop_offset(event, event_eol)
                kind: Literal["abort", "close"] = "abort" if len(self.drops) % 2 == 0 else "close"
                drop = Drop(kind, k, offset, where)
                self.drops.append(drop)
                pieces.append(event[:offset])
                # A CR ends a line at once: "...\r\n\r" has dispatched the event.
                if offset > len(event) - len(event_eol):
                    through = k
                break
            pieces.append(event)
            through = k
        self.complete_through.append(through)
        return [piece for piece in pieces if piece], drop


def resumable(n: int, seed: int, drop_every: tuple[int, int] = (2, 5)) -> Resumable:
    """A handler for the reconnect scenario (see :class:`Resumable`)."""
    return Resumable(n, seed, drop_every)


# --- uvicorn ------------------------------------------------------------------------------


class UvicornServer:
    """Run an ASGI app under uvicorn on 127.0.0.1 (a free port) in a daemon thread.

    Leaving the ``with`` block asks uvicorn to exit; streams still open after
    ``shutdown_grace`` seconds are cut (their transports aborted, which the app
    sees as a client disconnect), so an endless SSE response cannot block the
    shutdown. ``config`` keywords go to ``uvicorn.Config``.
    """

    def __init__(self, app: Any, *, shutdown_grace: float = 0.5, **config: Any) -> None:
        self.app = app
        self.shutdown_grace = shutdown_grace
        self._config = config
        self._sock: socket.socket | None = None
        self._server: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._sock is None:
            raise RuntimeError("server is not running")
        port: int = self._sock.getsockname()[1]
        return port

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://{HOST}:{self.port}{path}"

    def __enter__(self) -> UvicornServer:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        options: dict[str, Any] = {
            "host": HOST,
            "port": self.port,
            "log_level": "warning",
            "log_config": None,  # leave the process's logging configuration alone
            "access_log": False,
            "lifespan": "off",
            "http": "h11",
            "ws": "none",
            "proxy_headers": False,
            "timeout_graceful_shutdown": 5,
            **self._config,
        }
        self._server = uvicorn.Server(uvicorn.Config(self.app, **options))
        self._thread = threading.Thread(target=self._run, name="UvicornServer", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + MAX_WAIT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._stop()
                raise RuntimeError("uvicorn failed to start") from self._failure
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _run(self) -> None:
        assert self._sock is not None
        sock = self._sock

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[sock])

        try:
            asyncio.run(serve())
        except BaseException as exc:  # SystemExit on a startup failure
            self._failure = exc

    def _stop(self) -> None:
        thread, server = self._thread, self._server
        assert thread is not None
        server.should_exit = True
        thread.join(self.shutdown_grace)
        if thread.is_alive() and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
                self._loop.call_soon_threadsafe(self._cut_connections)
            thread.join(MAX_WAIT / 2)
        if thread.is_alive():  # pragma: no cover - last resort
            server.force_exit = True
            thread.join(MAX_WAIT / 2)
        if self._sock is not None:
            self._sock.close()
        if thread.is_alive():  # pragma: no cover
            raise RuntimeError("uvicorn did not stop")

    def _cut_connections(self) -> None:
        for protocol in list(self._server.server_state.connections):
            protocol.transport.abort()


# --- sse_app: a Starlette + sse-starlette app --------------------------------------------

_SEPARATORS = {"crlf": "\r\n", "lf": "\n", "cr": "\r"}


async def _record(request: Request) -> RecordedRequest:
    body = await request.body()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    record = RecordedRequest.build(request.method, target, list(request.headers.raw), body=body)
    request.app.state.requests.append(record)
    return record


def sse_app(*, default_ping: float = 0.0) -> Starlette:
    """A Starlette app streaming with sse-starlette's ``EventSourceResponse``.

    Routes (query parameters in brackets, all optional):

    * ``GET /events`` [``count=3``, ``delay=0.0``, ``ping``, ``retry=1000``,
      ``sep=crlf|lf|cr``]: events ``id: k``, ``event: tick``, ``data: tick k`` for
      ``k`` after the ``Last-Event-ID`` header up to ``count``, ``delay`` seconds
      apart, ``retry`` on the first one; ``204`` once nothing is left.
    * ``POST /chat`` [``delay``, ``ping``, ``sep``] with a JSON body
      ``{"prompt": "..."}``: ``event: delta`` events whose data is JSON
      ``{"index": i, "text": word}`` (the words of ``"you said: <prompt>"``),
      then ``data: [DONE]``, then the end; ``400`` on a bad body.

    ``ping`` is the keep-alive comment interval in seconds, ``0`` for none
    (``default_ping`` otherwise). Every request is recorded, as a
    :class:`RecordedRequest`, in ``app.state.requests``.
    """
    from sse_starlette import EventSourceResponse, ServerSentEvent
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.responses import Response as PlainResponse
    from starlette.routing import Route

    def options(request: Request) -> tuple[float, float, str]:
        query = request.query_params
        return (
            float(query.get("delay", "0")),
            float(query.get("ping", str(default_ping))),
            _SEPARATORS[query.get("sep", "crlf")],
        )

    async def events(request: Request) -> Response:
        record = await _record(request)
        delay, ping, sep = options(request)
        count = int(request.query_params.get("count", "3"))
        retry = int(request.query_params.get("retry", "1000"))
        last = record.last_event_id
        first = int(last) + 1 if last and last.isascii() and last.isdigit() else 1
        if first > count:
            return PlainResponse(status_code=204)

        async def generate() -> Any:
            for k in range(first, count + 1):
                if delay:
                    await asyncio.sleep(delay)
                yield ServerSentEvent(
                    f"tick {k}",
                    event="tick",
                    id=str(k),
                    retry=retry if k == first else None,
                    sep=sep,
                )

        return EventSourceResponse(generate(), ping=ping, sep=sep)

    async def chat(request: Request) -> Response:
        record = await _record(request)
        delay, ping, sep = options(request)
        try:
            prompt = json.loads(record.body)["prompt"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "expected {'prompt': ...}"}, status_code=400)
        words = f"you said: {prompt}".split(" ")

        async def generate() -> Any:
            for index, word in enumerate(words):
                if delay:
                    await asyncio.sleep(delay)
                data = json.dumps({"index": index, "text": word})
                yield ServerSentEvent(data, event="delta", sep=sep)
            yield ServerSentEvent("[DONE]", sep=sep)

        return EventSourceResponse(generate(), ping=ping, sep=sep)

    # sse-starlette logs each chunk with ``logger.debug("chunk: %s", chunk)``: at
    # DEBUG level that formats bytes with %s, a BytesWarning (an error under -bb).
    logging.getLogger("sse_starlette").setLevel(logging.INFO)
    app = Starlette(
        routes=[Route("/events", events, methods=["GET"]), Route("/chat", chat, methods=["POST"])]
    )
    app.state.requests = []
    return app
