"""What a transport does for the driver loop, and nothing more.

A transport sends one request, hands back the response's status, headers and
decoded body chunks, releases the response, sleeps, and tells its own failures
apart. Everything else (which headers to send, whether a response is an event
stream, what a chunk means, when to reconnect) is decided by the loop in
[`EventSource`][ssec_proto.driver.EventSource] and
[`AsyncEventSource`][ssec_proto.driver.AsyncEventSource].
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from .._http import HeadersLike

__all__ = ["AsyncTransport", "Failure", "Request", "Response", "Transport"]

#: The transport's own response object (e.g. `httpx.Response`).
R = TypeVar("R")


class Failure(enum.Enum):
    """What kind of failure an exception is, as a transport's `classify()` tells."""

    #: The connection failed or broke (refused, reset, cut off mid-body, a
    #: malformed response): reconnect under the policy.
    TRANSIENT = "TRANSIENT"
    #: Nothing arrived within the read timeout (the stream's `idle_timeout`):
    #: reconnect under the policy.
    TIMEOUT = "TIMEOUT"
    #: The same request would fail the same way again (a redirect to a
    #: scheme other than http and https, or to a URL that cannot be
    #: requested): fail at once.
    PERMANENT = "PERMANENT"


@dataclass(frozen=True, slots=True)
class Request:
    """One request for the event stream, as the loop asks a transport to send it.

    Send it with its headers exactly as given (they are bytes: a non-ASCII
    `Last-Event-ID` travels as UTF-8), follow redirects, and ask for the body
    decoded (gzip, deflate, ...) but not yet read.

    Attributes:
        url: The stream's URL, as the caller gave it.
        method: The request method.
        headers: The headers to send, in order: the caller's, then `Accept`,
            `Cache-Control` and `Last-Event-ID` as the policy adds them.
        params: Query parameters, in the form the transport's library takes.
        json: A JSON body, or `None`.
        content: A raw body (`bytes` or `str`), or `None`.
        read_timeout: Seconds to wait for the response's headers and for each
            read of its body before failing with `Failure.TIMEOUT` (the
            stream's `idle_timeout`); `None` waits forever.
    """

    url: Any
    method: str
    headers: list[tuple[bytes, bytes]]
    params: Any = None
    json: Any = None
    content: Any = None
    read_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Response(Generic[R]):
    """A response whose headers have arrived and whose body has not been read.

    Attributes:
        status: The HTTP status of the final response (after redirects).
        headers: Its headers.
        raw: The transport's own response object, which the event source
            exposes as `response` and hands back to `body()` and `release()`.
    """

    status: int
    headers: HeadersLike
    raw: R


class Transport(Protocol[R]):
    """A blocking transport for [`EventSource`][ssec_proto.driver.EventSource].

    Subclass it to inherit `sleep()` (`time.sleep`) and `close()` (nothing to
    close), or write a class with the same methods.
    """

    def send(self, request: Request) -> Response[R]:
        """Send `request`, following redirects, and return once the headers arrived.

        Raises:
            Exception: Whatever the library raises; `classify()` sorts it.
        """
        ...

    def body(self, response: Response[R], read_timeout: float | None) -> Iterator[bytes]:
        """The body's bytes, decoded, each chunk as soon as it arrives.

        A read that waits longer than `read_timeout` seconds fails (with an
        exception `classify()` calls `Failure.TIMEOUT`); the end of the body
        ends the iterator. The loop reads the stream with the request's
        `read_timeout`, and the start of an error document with a shorter one.
        """
        ...

    def release(self, response: Response[R]) -> None:
        """Give the connection back (read to its end) or close it (read in part)."""
        ...

    def classify(self, error: Exception) -> Failure | None:
        """Say what kind of failure `error` is, or `None` if it is not the transport's.

        `None` (a bug, or a mistake in the caller's own request such as a
        body that cannot be serialised) lets the error propagate unchanged.
        Anything a server can cause must be classified: it then surfaces as
        one of the library's own errors, with `error` as its cause.
        """
        ...

    def sleep(self, seconds: float) -> None:
        """Wait before reconnecting."""
        time.sleep(seconds)

    def close(self) -> None:
        """Release what the transport owns (a client it created), once the stream is done."""


class AsyncTransport(Protocol[R]):
    """An async transport for [`AsyncEventSource`][ssec_proto.driver.AsyncEventSource].

    The same duties as [`Transport`][ssec_proto.driver.Transport], awaited;
    `sleep()` belongs to the event loop the transport runs on (asyncio, trio),
    so there is no default for it.
    """

    async def send(self, request: Request) -> Response[R]:
        """Send `request`, following redirects, and return once the headers arrived."""
        ...

    def body(self, response: Response[R], read_timeout: float | None) -> AsyncIterator[bytes]:
        """The body's bytes, decoded, each chunk as soon as it arrives (see `Transport.body`)."""
        ...

    async def release(self, response: Response[R]) -> None:
        """Give the connection back or close it."""
        ...

    def classify(self, error: Exception) -> Failure | None:
        """Say what kind of failure `error` is (see `Transport.classify`)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait before reconnecting, the way the event loop waits."""
        ...

    async def close(self) -> None:
        """Release what the transport owns, once the stream is done."""
