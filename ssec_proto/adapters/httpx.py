"""Reconnecting event streams over httpx, sync (:func:`connect`) and async (:func:`aconnect`).

Thin by design: this module sends requests, reads decoded bytes and sleeps.
What to send, whether a response is an event stream, when and how long to
wait, and when to give up are decided by the sans-IO core
(:class:`ssec_proto._client.StreamCore`), exactly as in the other adapters.

The async form runs on asyncio and on trio (httpx uses anyio for both).
"""

from __future__ import annotations

import time
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, cast

import anyio
import httpx

from .._client import DEFAULT_IDLE_TIMEOUT, StreamCore, check_idle_timeout
from .._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from .._reconnect import Fail, Proceed, Reconnect, ReconnectConfig, Stop

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
    from types import TracebackType

    from .._client import Lifecycle
    from .._events import Event
    from .._reconnect import Advice

__all__ = ["AsyncEventSource", "EventSource", "aconnect", "connect"]

#: Connect, write and pool timeout of a client this module creates itself.
_OWN_CLIENT_TIMEOUT = 30.0

# What a failed read or connection looks like in httpx: transport errors
# (refused, reset, incomplete chunked body, protocol violations), bodies that
# fail to decompress, and redirect loops.
_TRANSPORT_ERRORS = (httpx.TransportError, httpx.DecodingError, httpx.TooManyRedirects)


def _timeout(client_timeout: httpx.Timeout, idle_timeout: float | None) -> httpx.Timeout:
    # The read timeout is the idle timeout: httpx raises ReadTimeout when no
    # byte arrives for that long, while waiting for headers or for the body.
    return httpx.Timeout(
        connect=client_timeout.connect,
        read=idle_timeout,
        write=client_timeout.write,
        pool=client_timeout.pool,
    )


class _Base:
    """What the sync and async event sources share: options and state."""

    def __init__(
        self,
        url: str | httpx.URL,
        *,
        method: str,
        headers: Any,
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
        self._url = url
        self._method = method
        self._params = params
        self._json = json
        self._content = content
        self._idle_timeout = idle_timeout
        self._core = StreamCore(
            method=method,
            headers=httpx.Headers(headers).multi_items() if headers is not None else None,
            last_event_id=last_event_id,
            reconnect=reconnect,
            event_timeout=event_timeout,
            max_line_size=max_line_size,
            max_event_size=max_event_size,
            on_lifecycle=on_lifecycle,
            rng=rng,
        )
        self._response: httpx.Response | None = None

    @property
    def last_event_id(self) -> str:
        """The last event ID: where a reconnect (or a later run) resumes from."""
        return self._core.last_event_id

    @property
    def response(self) -> httpx.Response | None:
        """The current (or last) HTTP response, for its status and headers."""
        return self._response

    def _request(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        return client.build_request(
            self._method,
            self._url,
            headers=self._core.request_headers(),
            params=self._params,
            json=self._json,
            content=self._content,
            timeout=_timeout(client.timeout, self._idle_timeout),
        )

    def _failed(self, exc: Exception) -> Advice:
        if isinstance(exc, httpx.ReadTimeout):
            return self._core.idle_timed_out(exc)
        return self._core.transport_failed(exc)


class EventSource(_Base):
    """A reconnecting event stream over a sync ``httpx.Client``; see :func:`connect`.

    Iterate over it for :class:`~ssec_proto.Event` objects. Use it as a
    context manager, or call :meth:`close`, to release the connection (and
    the client, when it created its own).
    """

    def __init__(self, url: str | httpx.URL, *, client: httpx.Client | None, **options: Any):
        super().__init__(url, **options)
        self._own_client = client is None
        self._client = client if client is not None else _own_client(httpx.Client, options)
        self._iterator: Generator[list[Event], None, None] | None = None
        self._pending: Iterator[Event] = iter(())

    def __enter__(self) -> EventSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        # _run() yields each chunk's events as one list; handing them out
        # from a list iterator costs less than resuming it for every event.
        event = next(self._pending, None)
        if event is not None:
            return event
        if self._iterator is None:
            self._iterator = self._run()
        self._pending = iter(next(self._iterator))
        return next(self._pending)

    def close(self) -> None:
        """Close the connection (and the client, if this source created it)."""
        if self._iterator is None:
            # Iterating after close() ends at once, as in the other adapters.
            self._iterator = self._run()
        self._pending = iter(())
        self._iterator.close()
        self._core.close()
        if self._own_client:
            self._client.close()

    def _run(self) -> Generator[list[Event], None, None]:
        core = self._core
        while True:
            advice: Advice
            try:
                response = self._client.send(
                    self._request(self._client), stream=True, follow_redirects=True
                )
            except _TRANSPORT_ERRORS as exc:
                advice = self._failed(exc)
            else:
                self._response = response
                try:
                    headers = response.headers.multi_items()
                    body = b""
                    if core.needs_body(response.status_code, headers):
                        body = _start_of_body(response.iter_bytes(), core.max_error_body)
                    advice = core.response_received(response.status_code, headers, body)
                    if isinstance(advice, Proceed):
                        for chunk in response.iter_bytes():
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
                    response.close()
            if isinstance(advice, Reconnect):
                time.sleep(advice.delay)
                core.reconnecting()
            elif isinstance(advice, Stop):
                return
            else:
                assert isinstance(advice, Fail)  # Proceed was replaced above
                raise advice.error


class AsyncEventSource(_Base):
    """A reconnecting event stream over an ``httpx.AsyncClient``; see :func:`aconnect`.

    Iterate over it with ``async for``. Use it as an async context manager,
    or call :meth:`aclose`, to release the connection (and the client, when
    it created its own).
    """

    def __init__(
        self, url: str | httpx.URL, *, client: httpx.AsyncClient | None, **options: Any
    ) -> None:
        super().__init__(url, **options)
        self._own_client = client is None
        self._client = client if client is not None else _own_client(httpx.AsyncClient, options)
        self._iterator: AsyncGenerator[list[Event], None] | None = None
        self._pending: Iterator[Event] = iter(())

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
        if self._iterator is None:
            self._iterator = self._run()
        self._pending = iter(await self._iterator.__anext__())
        return next(self._pending)

    async def aclose(self) -> None:
        """Close the connection (and the client, if this source created it)."""
        if self._iterator is None:
            self._iterator = self._run()
        self._pending = iter(())
        await self._iterator.aclose()
        self._core.close()
        if self._own_client:
            await self._client.aclose()

    async def _run(self) -> AsyncGenerator[list[Event], None]:
        core = self._core
        while True:
            advice: Advice
            try:
                response = await self._client.send(
                    self._request(self._client), stream=True, follow_redirects=True
                )
            except _TRANSPORT_ERRORS as exc:
                advice = self._failed(exc)
            else:
                self._response = response
                try:
                    headers = response.headers.multi_items()
                    body = b""
                    if core.needs_body(response.status_code, headers):
                        async with aclosing(_body(response)) as chunks:
                            body = await _astart_of_body(chunks, core.max_error_body)
                    advice = core.response_received(response.status_code, headers, body)
                    if isinstance(advice, Proceed):
                        # aclosing: trio wants async generators closed, not
                        # left to the garbage collector, when we stop early.
                        async with aclosing(_body(response)) as chunks:
                            async for chunk in chunks:
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
                    await response.aclose()
            if isinstance(advice, Reconnect):
                await anyio.sleep(advice.delay)
                core.reconnecting()
            elif isinstance(advice, Stop):
                return
            else:
                assert isinstance(advice, Fail)  # Proceed was replaced above
                raise advice.error


def _body(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    # httpx types aiter_bytes() as an AsyncIterator; it is an async generator.
    return cast("AsyncGenerator[bytes, None]", response.aiter_bytes())


def _own_client(kind: Any, options: dict[str, Any]) -> Any:
    return kind(timeout=httpx.Timeout(_OWN_CLIENT_TIMEOUT, read=options["idle_timeout"]))


def _start_of_body(chunks: Iterator[bytes], limit: int) -> bytes:
    body = b""
    for chunk in chunks:
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


async def _astart_of_body(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    body = b""
    async for chunk in chunks:
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


def connect(
    url: str | httpx.URL,
    *,
    client: httpx.Client | None = None,
    method: str = "GET",
    headers: Any = None,
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
) -> EventSource:
    """Open a reconnecting event stream with a sync ``httpx.Client``.

    Nothing is sent until the first event is asked for::

        with connect("http://127.0.0.1:8000/events") as source:
            for event in source:
                print(event.event, event.data)

    Args:
        url: The stream's URL.
        client: An ``httpx.Client`` to use (its auth, proxies, cookies and
            base headers apply). ``None``: a new one, closed by :meth:`close`.
        method: The request method. Only GET requests reconnect, unless
            ``reconnect=ReconnectConfig(reconnect_non_get=True)``.
        headers: Extra request headers. ``Accept: text/event-stream`` (unless
            given here), ``Cache-Control: no-store`` and ``Last-Event-ID`` are
            added; a ``Last-Event-ID`` given here is where the stream resumes.
        params: Query parameters, as for httpx.
        json: A JSON request body (e.g. the POST body of an LLM API).
        content: A raw request body (bytes or str).
        last_event_id: Resume after this event ID (e.g. one saved from
            :attr:`EventSource.last_event_id` by an earlier run).
        idle_timeout: Seconds without a single byte (keep-alive comments
            count) after which the connection is dropped and re-established.
            Replaces the client's read timeout. ``None`` disables it. The
            default is :data:`ssec_proto.DEFAULT_IDLE_TIMEOUT` (5 minutes).
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
        An :class:`EventSource`. Iterating it raises
        :class:`~ssec_proto.ResponseError` when the server answers with
        something other than an event stream,
        :class:`~ssec_proto.RetriesExhausted` (chaining the last failure)
        when the reconnect policy gives up, and
        :class:`~ssec_proto.LimitExceeded` for an oversized line or event.
        Iteration ends normally on HTTP 204 No Content.
    """
    return EventSource(
        url,
        client=client,
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


def aconnect(
    url: str | httpx.URL,
    *,
    client: httpx.AsyncClient | None = None,
    method: str = "GET",
    headers: Any = None,
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
    """Open a reconnecting event stream with an ``httpx.AsyncClient``.

    The async twin of :func:`connect`, with the same options (``client`` is
    an ``httpx.AsyncClient``); runs on asyncio and trio::

        async with aconnect("http://127.0.0.1:8000/events") as source:
            async for event in source:
                print(event.event, event.data)

    Returns:
        An :class:`AsyncEventSource`.
    """
    return AsyncEventSource(
        url,
        client=client,
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
