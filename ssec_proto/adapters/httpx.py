"""Reconnecting event streams over httpx, sync (`connect()`) and async (`aconnect()`).

This module is the httpx transport of the driver kit: it sends requests,
reads decoded bytes and sleeps. The loop that decides what to send, what a
response means and when to reconnect is [`ssec_proto.driver`][ssec_proto.driver],
the same for every adapter. The async form runs on asyncio and on trio
(httpx uses anyio for both).
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Generic, TypeVar

from .._extras import missing_extra

try:
    import anyio
    import httpx
except ModuleNotFoundError as exc:
    raise missing_extra(__name__, "httpx", exc) from exc

from ..driver import AsyncEventSource, EventSource, Failure, Request, Response

if TYPE_CHECKING:
    import ssl
    from collections.abc import AsyncIterator, Iterator

    from typing_extensions import Unpack

    from ..driver import StreamOptions

__all__ = [
    "AsyncEventSource",
    "AsyncHttpxTransport",
    "EventSource",
    "HttpxTransport",
    "aconnect",
    "connect",
]

_C = TypeVar("_C", httpx.Client, httpx.AsyncClient)

#: Connect, write and pool timeout of a client this module creates itself.
_OWN_CLIENT_TIMEOUT = httpx.Timeout(30.0)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # The clients this module makes share one TLS context: loading the CA
    # certificates for each costs about 1 MB and 50 ms, which a thousand
    # streams without a client of the caller's would pay a thousand times.
    return httpx.create_ssl_context()


def _own(kind: type[_C]) -> _C:
    return kind(timeout=_OWN_CLIENT_TIMEOUT, verify=_ssl_context())


class _Base(Generic[_C]):
    """What the sync and async transports share: the client, requests, failures."""

    def __init__(self, client: _C | None) -> None:
        self._own = client is None
        self._client: _C | None = client
        # Whether the client is sending a request that was built: what it
        # raises then comes from the server's answers (a redirect it cannot
        # follow), while building raised the caller's own mistakes.
        self._sending = False

    def _request(self, client: _C, request: Request) -> httpx.Request:
        # The read timeout is the stream's idle timeout: httpx raises
        # ReadTimeout when no byte arrives for that long, for the headers and
        # for each read of the body.
        self._sending = False
        timeout = client.timeout
        built = client.build_request(
            request.method,
            request.url,
            headers=request.headers,
            params=request.params,
            json=request.json,
            content=request.content,
            timeout=httpx.Timeout(
                connect=timeout.connect,
                read=request.read_timeout,
                write=timeout.write,
                pool=timeout.pool,
            ),
        )
        self._sending = True
        return built

    def classify(self, error: Exception) -> Failure | None:
        """Sort an httpx exception into a [`Failure`][ssec_proto.driver.Failure] kind."""
        if isinstance(error, httpx.ReadTimeout):
            return Failure.TIMEOUT
        # A redirect to another scheme, or to a URL httpx cannot parse.
        if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL)) or isinstance(
            error.__context__, httpx.InvalidURL
        ):
            return Failure.PERMANENT
        # Refused, reset, cut off, malformed; bodies that fail to decompress;
        # redirect loops.
        if isinstance(error, (httpx.TransportError, httpx.DecodingError, httpx.TooManyRedirects)):
            return Failure.TRANSIENT
        # Anything else while sending: a redirect's URL that fails deeper
        # down (an IDNA label, a port out of range).
        return Failure.PERMANENT if self._sending else None


def _response(raw: httpx.Response) -> Response[httpx.Response]:
    return Response(raw.status_code, raw.headers.multi_items(), raw)


def _read_timeout(raw: httpx.Response, read_timeout: float | None) -> None:
    # httpcore takes the body's read timeout from the request's extensions
    # when the body is first read: set before that, it bounds every read.
    raw.request.extensions["timeout"]["read"] = read_timeout


def _raw_is_decoded(raw: httpx.Response) -> bool:
    """Whether the body's raw bytes are its decoded bytes.

    With no `Content-Encoding` there is nothing to decode, and `iter_raw()`
    gives the chunks `iter_bytes()` would, without its decoder and chunker
    on each (issue 14). A body already read (by an event hook) is left to
    `iter_bytes()`, which serves it from memory.
    """
    return "content-encoding" not in raw.headers and not raw.is_stream_consumed


class HttpxTransport(_Base[httpx.Client]):
    """The transport over a sync `httpx.Client` (a new one if `client` is `None`)."""

    def send(self, request: Request) -> Response[httpx.Response]:
        if self._client is None:
            self._client = _own(httpx.Client)
        raw = self._client.send(
            self._request(self._client, request), stream=True, follow_redirects=True
        )
        self._sending = False
        return _response(raw)

    def body(
        self, response: Response[httpx.Response], read_timeout: float | None
    ) -> Iterator[bytes]:
        raw = response.raw
        _read_timeout(raw, read_timeout)
        return raw.iter_raw() if _raw_is_decoded(raw) else raw.iter_bytes()

    def release(self, response: Response[httpx.Response]) -> None:
        response.raw.close()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        if self._own and self._client is not None:
            self._client.close()


class AsyncHttpxTransport(_Base[httpx.AsyncClient]):
    """The transport over an `httpx.AsyncClient` (a new one if `client` is `None`)."""

    async def send(self, request: Request) -> Response[httpx.Response]:
        if self._client is None:
            self._client = _own(httpx.AsyncClient)
        raw = await self._client.send(
            self._request(self._client, request), stream=True, follow_redirects=True
        )
        self._sending = False
        return _response(raw)

    def body(
        self, response: Response[httpx.Response], read_timeout: float | None
    ) -> AsyncIterator[bytes]:
        raw = response.raw
        _read_timeout(raw, read_timeout)
        return raw.aiter_raw() if _raw_is_decoded(raw) else raw.aiter_bytes()

    async def release(self, response: Response[httpx.Response]) -> None:
        await response.raw.aclose()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    async def close(self) -> None:
        if self._own and self._client is not None:
            await self._client.aclose()


def connect(
    url: str | httpx.URL, *, client: httpx.Client | None = None, **options: Unpack[StreamOptions]
) -> EventSource[httpx.Response]:
    """Open a reconnecting event stream with a sync `httpx.Client`.

    Nothing is sent until the first event is asked for:

    ```python
    with connect("http://127.0.0.1:8000/events") as source:
        for event in source:
            print(event.event, event.data)
    ```

    Args:
        url: The stream's URL.
        client: An `httpx.Client` to use (its auth, proxies, cookies and base
            headers apply; `idle_timeout` replaces its read timeout); left
            open. `None`: a new one, closed with the source.
        **options: The stream's options, the same for every driver: see
            [`StreamOptions`][ssec_proto.driver.StreamOptions].

    Returns:
        An [`EventSource`][ssec_proto.driver.EventSource] whose `response`
        is the `httpx.Response`.
    """
    return EventSource(HttpxTransport(client), url, **options)


def aconnect(
    url: str | httpx.URL,
    *,
    client: httpx.AsyncClient | None = None,
    **options: Unpack[StreamOptions],
) -> AsyncEventSource[httpx.Response]:
    """Open a reconnecting event stream with an `httpx.AsyncClient`, on asyncio or trio.

    ```python
    async with aconnect("http://127.0.0.1:8000/events", idle_timeout=60) as source:
        print([event.data async for event in source])
    ```

    Args:
        url: The stream's URL.
        client: An `httpx.AsyncClient` to use; left open. `None`: a new one,
            made at the first request (in the running event loop) and closed
            with the source. Share one client among many streams: each new
            client builds its own connection pool and TLS context.
        **options: The stream's options: see
            [`StreamOptions`][ssec_proto.driver.StreamOptions].

    Returns:
        An [`AsyncEventSource`][ssec_proto.driver.AsyncEventSource].
    """
    return AsyncEventSource(AsyncHttpxTransport(client), url, **options)
