"""Reconnecting event streams over aiohttp: [`aconnect`][ssec_proto.adapters.aiohttp.aconnect].

This module is the aiohttp transport of the driver kit: it sends requests,
reads decoded bytes and sleeps; the loop is [`ssec_proto.driver`][ssec_proto.driver],
the same for every adapter. aiohttp runs on asyncio only: use
[`ssec_proto.adapters.httpx.aconnect`][ssec_proto.adapters.httpx.aconnect]
on trio. It has no sync form.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .._extras import missing_extra

try:
    import aiohttp
    from aiohttp.http_exceptions import HttpProcessingError
except ModuleNotFoundError as exc:
    raise missing_extra(__name__, "aiohttp", exc) from exc

from ..driver import AsyncEventSource, Failure, Request, Response

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from typing_extensions import Unpack
    from yarl import URL

    from ..driver import StreamOptions

__all__ = ["AiohttpTransport", "AsyncEventSource", "aconnect"]

#: Connect timeouts (pool wait plus connecting, and the socket connect alone)
#: of a session this module creates itself.
_OWN_SESSION_TIMEOUT = 30.0


def _timeout(session: aiohttp.ClientTimeout, read_timeout: float | None) -> aiohttp.ClientTimeout:
    # aiohttp's `total` bounds the whole request, body included (a session's
    # default is 300 s), so it would cut a healthy stream: it is dropped, and
    # where the session set no connect timeout its total bounds connecting
    # instead. `sock_read` is the idle timeout: aiohttp raises
    # SocketTimeoutError when no byte arrives for that long, for the headers
    # and for the body.
    return aiohttp.ClientTimeout(
        total=None,
        connect=session.total if session.connect is None else session.connect,
        sock_connect=session.sock_connect,
        sock_read=read_timeout,
        ceil_threshold=session.ceil_threshold,
    )


class AiohttpTransport:
    """The transport over an `aiohttp.ClientSession`.

    With `session=None` it makes its own at the first request (aiohttp binds
    a session to the running event loop) and closes it in `close()`.
    """

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._own = session is None
        self._session = session
        self._read_timeout: float | None = None
        self._idle_timer: _IdleTimer | None = None

    async def send(self, request: Request) -> Response[aiohttp.ClientResponse]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=_OWN_SESSION_TIMEOUT, sock_connect=_OWN_SESSION_TIMEOUT
                )
            )
        session = self._session
        self._read_timeout = request.read_timeout
        raw = await session.request(
            request.method,
            request.url,
            # aiohttp writes str headers out as UTF-8 (its C and its Python
            # writer alike), so the request's UTF-8 bytes reach the wire as
            # they are: a non-ASCII Last-Event-ID travels as UTF-8.
            headers=[(name.decode("ascii"), value.decode()) for name, value in request.headers],
            params=request.params,
            json=request.json,
            data=request.content,
            timeout=_timeout(session.timeout, request.read_timeout),
            allow_redirects=True,
            # The loop judges every status (it reads the start of an error
            # body) and the decoder needs decoded bytes: a session's opposite
            # defaults must not apply.
            raise_for_status=False,
            auto_decompress=True,
        )
        return Response(raw.status, list(raw.headers.items()), raw)

    def body(
        self, response: Response[aiohttp.ClientResponse], read_timeout: float | None
    ) -> AsyncIterator[bytes]:
        # readany() returns whatever has arrived, at once and whole: reading
        # lines would split on LF only, miss CR-only line ends and fail on
        # lines longer than aiohttp's buffer. Its reads are bounded by the
        # request's sock_read; a shorter bound needs a timer of its own.
        raw = response.raw
        content = raw.content
        if read_timeout is None:
            return content.iter_any()
        if read_timeout != self._read_timeout:
            return _timed(content, read_timeout)
        if not _watchable(content):
            return _watched(content, read_timeout)
        # aiohttp's own iterator with one timer for the stream (issue 14):
        # no layer of ours between each read and the loop, and no timer
        # re-armed on each read (see _IdleTimer). The timer aiohttp armed
        # when the headers arrived still bounds the wait for the first byte.
        connection = raw.connection
        protocol = None if connection is None else connection.protocol
        if protocol is not None:
            protocol.read_timeout = None
        self._stop_idle_timer()
        self._idle_timer = _IdleTimer(content, read_timeout)
        return content.iter_any()

    def _stop_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    async def release(self, response: Response[aiohttp.ClientResponse]) -> None:
        self._stop_idle_timer()
        # A fully read response goes back to the pool; one read in part is
        # closed.
        response.raw.release()

    def classify(self, error: Exception) -> Failure | None:
        """Sort an aiohttp exception into a [`Failure`][ssec_proto.driver.Failure] kind."""
        # A redirect to another scheme, or to a URL aiohttp cannot parse.
        if isinstance(error, (aiohttp.InvalidURL, aiohttp.NonHttpUrlRedirectClientError)):
            return Failure.PERMANENT
        # Connecting took too long: a failure, not an idle stream.
        if isinstance(error, aiohttp.ConnectionTimeoutError):
            return Failure.TRANSIENT
        if isinstance(error, asyncio.TimeoutError):
            return Failure.TIMEOUT
        # ClientError: refused, reset, disconnected, incomplete or undecodable
        # bodies, malformed responses. aiohttp's pure-Python parser (PyPy, or
        # AIOHTTP_NO_EXTENSIONS=1) lets a malformed chunk through unwrapped,
        # as an HttpProcessingError, which is no ClientError.
        if isinstance(error, (aiohttp.ClientError, HttpProcessingError)):
            return Failure.TRANSIENT
        return None

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        if self._own and self._session is not None:
            await self._session.close()


async def _timed(content: aiohttp.StreamReader, read_timeout: float) -> AsyncIterator[bytes]:
    while chunk := await asyncio.wait_for(content.readany(), read_timeout):
        yield chunk


def _watchable(content: aiohttp.StreamReader) -> bool:
    # aiohttp's stream reader keeps its pending read in `_waiter`, which
    # `_IdleTimer` looks at; an aiohttp without it keeps its own timer per
    # read, and the reads are wrapped to report to `_Watchdog`.
    return hasattr(content, "_waiter")


#: How often `_IdleTimer` looks at a stream, per idle period.
_CHECKS = 4


class _IdleTimer:
    """A stream's idle timeout: one timer per stream, not one per read.

    aiohttp's `sock_read` re-arms a timer on every read (a timer handle made,
    the previous one cancelled): in CPython's asyncio about 2.6 us per chunk,
    more than all of ssec_proto's work per event. This one looks at the
    stream reader `_CHECKS` times per idle period instead, and fails its
    pending read once no byte has been received for `_CHECKS` checks in a
    row: between 1 and 1 + 1/`_CHECKS` idle periods after the last byte
    (aiohttp itself rounds timeouts over 5 s up to the second). Only a read
    that waits fails, and a read waits only on an empty buffer: a consumer
    slower than its stream is never cut off.

    It also ends the reads aiohttp would leave waiting forever: after its C
    parser rejects a chunk size in the middle of a body, it drops its own
    timer and never wakes the reader.
    """

    __slots__ = ("_content", "_handle", "_period", "_quiet", "_received")

    def __init__(self, content: aiohttp.StreamReader, idle: float) -> None:
        self._content = content
        self._period = idle / _CHECKS
        self._received = content.total_bytes
        self._quiet = 0
        self._handle = asyncio.get_running_loop().call_later(self._period, self._check)

    def _check(self) -> None:
        content = self._content
        received = content.total_bytes
        if received != self._received:
            self._received = received
            self._quiet = 0
        else:
            self._quiet += 1
        if self._quiet >= _CHECKS and getattr(content, "_waiter", None) is not None:
            content.set_exception(aiohttp.SocketTimeoutError("idle: no data arrived"))
        elif not content.is_eof():
            self._handle = asyncio.get_running_loop().call_later(self._period, self._check)

    def cancel(self) -> None:
        self._handle.cancel()


class _Watchdog:
    """Ends a read that waited a whole `idle` period, should aiohttp not (`_watched()`).

    After aiohttp's C parser rejects a chunk size in the middle of a body, it
    drops its sock_read timer and never wakes the reader: the read would wait
    forever. This checks every `idle` seconds and fails a read that was
    pending at two checks in a row, so a stream waits at most twice the idle
    timeout whatever aiohttp does; a timer per stream, not per read.
    """

    __slots__ = ("_content", "_handle", "_idle", "_seen", "reads", "waiting")

    def __init__(self, content: aiohttp.StreamReader, idle: float) -> None:
        self._content = content
        self._idle = idle
        self.reads = 0
        self.waiting = False
        self._seen = (False, 0)
        self._handle = asyncio.get_running_loop().call_later(idle, self._check)

    def _check(self) -> None:
        now = (self.waiting, self.reads)
        if now[0] and now == self._seen:
            self._content.set_exception(aiohttp.SocketTimeoutError("idle: no data arrived"))
        else:
            self._seen = now
            self._handle = asyncio.get_running_loop().call_later(self._idle, self._check)

    def cancel(self) -> None:
        self._handle.cancel()


async def _watched(content: aiohttp.StreamReader, idle: float) -> AsyncIterator[bytes]:
    watchdog = _Watchdog(content, idle)
    try:
        while True:
            watchdog.waiting = True
            chunk = await content.readany()
            watchdog.waiting = False
            if not chunk:
                return
            watchdog.reads += 1
            yield chunk
    finally:
        watchdog.cancel()


def aconnect(
    url: str | URL,
    *,
    session: aiohttp.ClientSession | None = None,
    **options: Unpack[StreamOptions],
) -> AsyncEventSource[aiohttp.ClientResponse]:
    """Open a reconnecting event stream with an `aiohttp.ClientSession` (asyncio only).

    Nothing is sent until the first event is asked for. Many streams at once
    share one session:

    ```python
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with aconnect("http://127.0.0.1:8000/events", session=session) as source:
            async for event in source:
                print(event.id, event.data)
    ```

    Args:
        url: The stream's URL.
        session: An `aiohttp.ClientSession` to use (its connector, auth,
            proxies, cookies and base headers apply; `idle_timeout` replaces
            its `sock_read` (once the headers are in, one timer per stream
            checks it, four times per period: a silent stream is dropped 1
            to 1.25 idle timeouts after its last byte), and its `total`
            timeout, which would cut a long stream, bounds only connecting);
            left open. `None`: a new one, made in the running event loop and
            closed with the source.
        **options: The stream's options, the same for every driver: see
            [`StreamOptions`][ssec_proto.driver.StreamOptions].

    Returns:
        An [`AsyncEventSource`][ssec_proto.driver.AsyncEventSource] whose
        `response` is the `aiohttp.ClientResponse`.
    """
    return AsyncEventSource(AiohttpTransport(session), url, **options)
