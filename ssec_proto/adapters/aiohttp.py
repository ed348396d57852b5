"""Reconnecting event streams over aiohttp (:func:`aconnect`).

Thin by design: this module sends requests, reads decoded bytes and sleeps.
What to send, whether a response is an event stream, when and how long to
wait, and when to give up are decided by the sans-IO core
(:class:`ssec_proto._client.StreamCore`), exactly as in the other adapters.

aiohttp runs on asyncio only: this transport cannot serve trio (use
:func:`ssec_proto.adapters.httpx.aconnect` there). It has no sync form.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError

from .._client import DEFAULT_IDLE_TIMEOUT, StreamCore, check_idle_timeout
from .._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from .._reconnect import Fail, Proceed, Reconnect, ReconnectConfig, Stop

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
    from types import TracebackType

    from yarl import URL

    from .._client import Lifecycle
    from .._events import Event
    from .._http import HeadersLike
    from .._reconnect import Advice

__all__ = ["AsyncEventSource", "aconnect"]

#: Connect timeouts (pool wait plus connecting, and the socket connect alone)
#: of a session this module creates itself.
_OWN_SESSION_TIMEOUT = 30.0

# What a failed read or connection looks like in aiohttp: ClientError covers
# refused, reset, timed out (SocketTimeoutError is the idle timeout),
# disconnected, incomplete or undecodable bodies (ClientPayloadError) and
# malformed responses. aiohttp's pure-Python parser (PyPy, or
# AIOHTTP_NO_EXTENSIONS=1) lets a malformed chunk through unwrapped, as an
# HttpProcessingError (TransferEncodingError), which is no ClientError.
_TRANSPORT_ERRORS = (aiohttp.ClientError, HttpProcessingError)


def _timeout(
    session_timeout: aiohttp.ClientTimeout, idle_timeout: float | None
) -> aiohttp.ClientTimeout:
    # aiohttp's ``total`` bounds the whole request, body included (a session's
    # default is 300 s), so it would cut a healthy stream: it is dropped, and
    # where the session set no connect timeout its total bounds connecting
    # instead. ``sock_read`` is the idle timeout: aiohttp raises
    # SocketTimeoutError when no byte arrives for that long, while waiting for
    # the headers or for the body.
    connect = session_timeout.connect
    return aiohttp.ClientTimeout(
        total=None,
        connect=session_timeout.total if connect is None else connect,
        sock_connect=session_timeout.sock_connect,
        sock_read=idle_timeout,
        ceil_threshold=session_timeout.ceil_threshold,
    )


def _wire_headers(pairs: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    # aiohttp takes str headers and writes them out as UTF-8 (its C and its
    # pure-Python writer alike), so decoding the core's UTF-8 bytes puts those
    # exact bytes on the wire: a non-ASCII Last-Event-ID travels as UTF-8, as
    # the spec says.
    return [(name.decode("ascii"), value.decode("utf-8")) for name, value in pairs]


class AsyncEventSource:
    """A reconnecting event stream over an ``aiohttp.ClientSession``; see :func:`aconnect`.

    Iterate over it with ``async for``. Use it as an async context manager,
    or call :meth:`aclose`, to release the connection (and the session, when
    it created its own).
    """

    def __init__(
        self,
        url: str | URL,
        *,
        session: aiohttp.ClientSession | None,
        method: str,
        headers: HeadersLike | None,
        params: Any,
        json: Any,
        content: Any,
        last_event_id: str | None,
        idle_timeout: float | None,
        event_timeout: float | None,
        reconnect: ReconnectConfig | bool | None,
        on_lifecycle: Callable[[Lifecycle], object] | None,
        max_line_size: int | None,
        max_event_size: int | None,
        rng: random.Random | None,
    ) -> None:
        check_idle_timeout(idle_timeout)
        # aiohttp would refuse both on the first request; say so at once.
        if json is not None and content is not None:
            raise ValueError("json and content cannot both be given")
        self._url = url
        self._method = method
        self._params = params
        self._json = json
        self._content = content
        self._idle_timeout = idle_timeout
        self._core = StreamCore(
            method=method,
            headers=headers,
            last_event_id=last_event_id,
            reconnect=reconnect,
            event_timeout=event_timeout,
            max_line_size=max_line_size,
            max_event_size=max_event_size,
            on_lifecycle=on_lifecycle,
            rng=rng,
        )
        self._own_session = session is None
        # An own session is made by the first request: aiohttp binds a session
        # to the running event loop, and aconnect() may be called outside one.
        self._session = session
        self._response: aiohttp.ClientResponse | None = None
        self._iterator: AsyncGenerator[list[Event], None] | None = None
        self._pending: Iterator[Event] = iter(())
        self._closed = False

    @property
    def last_event_id(self) -> str:
        """The last event ID: where a reconnect (or a later run) resumes from."""
        return self._core.last_event_id

    @property
    def response(self) -> aiohttp.ClientResponse | None:
        """The current (or last) HTTP response, for its status and headers."""
        return self._response

    async def __aenter__(self) -> AsyncEventSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        # _run() yields each chunk's events as one list; handing them out
        # from a list iterator costs less than resuming it for every event.
        event = next(self._pending, None)
        if event is not None:
            return event
        if self._closed:
            # Starting now would open a session that nothing closes.
            raise StopAsyncIteration
        if self._iterator is None:
            self._iterator = self._run()
        self._pending = iter(await self._iterator.__anext__())
        return next(self._pending)

    async def aclose(self) -> None:
        """Close the connection (and the session, if this source created it)."""
        self._closed = True
        self._pending = iter(())
        if self._iterator is not None:
            await self._iterator.aclose()
        self._core.close()
        if self._own_session and self._session is not None:
            await self._session.close()

    def _failed(self, exc: Exception) -> Advice:
        if isinstance(exc, aiohttp.SocketTimeoutError):
            return self._core.idle_timed_out(exc)
        return self._core.transport_failed(exc)

    async def _run(self) -> AsyncGenerator[list[Event], None]:
        core = self._core
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=_OWN_SESSION_TIMEOUT,
                    sock_connect=_OWN_SESSION_TIMEOUT,
                    sock_read=self._idle_timeout,
                )
            )
        session = self._session
        while True:
            advice: Advice
            try:
                response = await session.request(
                    self._method,
                    self._url,
                    headers=_wire_headers(core.request_headers()),
                    params=self._params,
                    json=self._json,
                    data=self._content,
                    timeout=_timeout(session.timeout, self._idle_timeout),
                    allow_redirects=True,
                    # The core judges every status (it reads the start of an
                    # error body), and the decoder needs decoded bytes: a
                    # session's opposite defaults must not apply.
                    raise_for_status=False,
                    auto_decompress=True,
                )
            except _TRANSPORT_ERRORS as exc:
                advice = self._failed(exc)
            else:
                self._response = response
                try:
                    headers = list(response.headers.items())
                    body = b""
                    if core.needs_body(response.status, headers):
                        body = await _start_of_body(response.content, core.max_error_body)
                    advice = core.response_received(response.status, headers, body)
                    if isinstance(advice, Proceed):
                        # iter_any() yields whatever has arrived, at once and
                        # whole: reading lines (readline(), ``async for line``)
                        # would split on LF only, miss CR-only line ends and
                        # fail on lines longer than aiohttp's buffer.
                        async for chunk in response.content.iter_any():
                            events, stop = core.feed(chunk)
                            if events:
                                yield events
                            if stop is not None:
                                advice = stop
                                break
                        else:
                            advice = core.stream_ended()
                except _TRANSPORT_ERRORS as exc:
                    advice = self._failed(exc)
                finally:
                    # A fully read response goes back to the pool; one read
                    # in part (we stopped early, or it failed) is closed.
                    response.release()
            if isinstance(advice, Reconnect):
                await asyncio.sleep(advice.delay)
                core.reconnecting()
            elif isinstance(advice, Stop):
                return
            else:
                assert isinstance(advice, Fail)  # Proceed was replaced above
                raise advice.error


async def _start_of_body(content: aiohttp.StreamReader, limit: int) -> bytes:
    body = b""
    async for chunk in content.iter_any():
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


def aconnect(
    url: str | URL,
    *,
    session: aiohttp.ClientSession | None = None,
    method: str = "GET",
    headers: HeadersLike | None = None,
    params: Any = None,
    json: Any = None,
    content: Any = None,
    last_event_id: str | None = None,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    event_timeout: float | None = None,
    reconnect: ReconnectConfig | bool | None = None,
    on_lifecycle: Callable[[Lifecycle], object] | None = None,
    max_line_size: int | None = DEFAULT_MAX_LINE_SIZE,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    rng: random.Random | None = None,
) -> AsyncEventSource:
    """Open a reconnecting event stream with an ``aiohttp.ClientSession``.

    Nothing is sent until the first event is asked for. aiohttp runs on
    asyncio only (trio is a limit of this transport)::

        async with aconnect("http://127.0.0.1:8000/events") as source:
            async for event in source:
                print(event.event, event.data)

    Args:
        url: The stream's URL.
        session: An ``aiohttp.ClientSession`` to use (its connector, auth,
            proxies, cookies and base headers apply; its ``total`` timeout,
            which would cut a long stream, bounds only connecting).
            ``None``: a new one, made in the running event loop and closed
            by :meth:`AsyncEventSource.aclose`.
        method: The request method. Only GET requests reconnect, unless
            ``reconnect=ReconnectConfig(reconnect_non_get=True)``.
        headers: Extra request headers (``str`` names and values).
            ``Accept: text/event-stream`` (unless given here),
            ``Cache-Control: no-store`` and ``Last-Event-ID`` are added; a
            ``Last-Event-ID`` given here is where the stream resumes.
        params: Query parameters, as for aiohttp.
        json: A JSON request body (e.g. the POST body of an LLM API).
        content: A raw request body (bytes or str), sent as aiohttp's
            ``data``. Not together with ``json``.
        last_event_id: Resume after this event ID (e.g. one saved from
            :attr:`AsyncEventSource.last_event_id` by an earlier run).
        idle_timeout: Seconds without a single byte (keep-alive comments
            count) after which the connection is dropped and re-established.
            Replaces the session's ``sock_read`` timeout. ``None`` disables
            it. The default is :data:`ssec_proto.DEFAULT_IDLE_TIMEOUT`
            (5 minutes).
        event_timeout: Seconds without a complete event (comments do not
            count), checked whenever bytes arrive; ``None`` (default) off.
        reconnect: A :class:`~ssec_proto.ReconnectConfig`; ``True`` or
            ``None`` for the defaults; ``False`` never to reconnect.
        on_lifecycle: Called with :class:`~ssec_proto.Connecting`,
            :class:`~ssec_proto.Opened`, :class:`~ssec_proto.Retrying`,
            :class:`~ssec_proto.Failed` and :class:`~ssec_proto.Closed`.
        max_line_size: The decoder's line limit in bytes.
        max_event_size: The decoder's event data limit in characters.
        rng: The source of backoff jitter (seed one for reproducible tests).

    Returns:
        An :class:`AsyncEventSource`. Iterating it raises
        :class:`~ssec_proto.ResponseError` when the server answers with
        something other than an event stream,
        :class:`~ssec_proto.RetriesExhausted` (chaining the last failure)
        when the reconnect policy gives up, and
        :class:`~ssec_proto.LimitExceeded` for an oversized line or event.
        Iteration ends normally on HTTP 204 No Content.

    Raises:
        ValueError: For an ``idle_timeout`` or ``event_timeout`` that is not
            positive, or for both ``json`` and ``content``.
        TypeError: For a ``reconnect`` that is neither a config nor a bool.
    """
    return AsyncEventSource(
        url,
        session=session,
        method=method,
        headers=headers,
        params=params,
        json=json,
        content=content,
        last_event_id=last_event_id,
        idle_timeout=idle_timeout,
        event_timeout=event_timeout,
        reconnect=reconnect,
        on_lifecycle=on_lifecycle,
        max_line_size=max_line_size,
        max_event_size=max_event_size,
        rng=rng,
    )
