"""The library's own error tree.

Everything ssec-proto raises on purpose derives from [`SSEError`][ssec_proto.SSEError], so
callers can catch one class. Adapters translate transport failures into this
tree at a single boundary and chain the original with `raise ... from exc`;
the core never subclasses an HTTP library's errors.

Anything else escaping from the core (other than `TypeError` and
`ValueError` for misuse of the API) is a bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._events import Event

__all__ = [
    "ConnectionFailed",
    "EventTimeout",
    "EventTooLarge",
    "LimitExceeded",
    "LineTooLong",
    "PolicyError",
    "ResponseError",
    "RetriesExhausted",
    "SSEError",
]


class SSEError(Exception):
    """Base class of every error ssec-proto raises on purpose."""


class LimitExceeded(SSEError):
    """The stream exceeded one of the decoder's size limits.

    The decoder discards the offending event (everything up to its blank
    line), stays usable, and raises this once per offence. Events completed in
    the same [`feed()`][ssec_proto.Decoder.feed] call, before *and* after the
    offending one, are not lost: they are in `events`.

    Attributes:
        limit: The configured limit (bytes for lines, characters for data).
        events: Events fully received in the `feed()` call that raised.
    """

    #: What was measured, and the Decoder option that limits it.
    what = "size"
    option = "limit"
    unit = "characters"

    def __init__(self, limit: int, events: list[Event] | None = None) -> None:
        self.limit = limit
        self.events: list[Event] = [] if events is None else events
        super().__init__(
            f"{self.what} exceeds {self.option}={limit} {self.unit}; the event "
            f"was discarded (raise Decoder({self.option}=...) if this stream "
            "is legitimate)"
        )


class LineTooLong(LimitExceeded):
    """A line grew beyond `max_line_size` without a line ending."""

    what = "a line"
    option = "max_line_size"
    unit = "bytes"


class EventTooLarge(LimitExceeded):
    """An event's data grew beyond `max_event_size` before its blank line."""

    what = "an event's data"
    option = "max_event_size"


# Types for the connection policy's errors below.
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._reconnect import ConnectionInput, ConnectionState


class ResponseError(SSEError):
    """The server answered, but not with an event stream.

    The spec's "fail the connection" case: a status other than 200 (and 204,
    which just stops), or a 200 whose `Content-Type` is not
    `text/event-stream`. It is also the cause chained to
    [`RetriesExhausted`][ssec_proto.RetriesExhausted] when a retryable status (such as 503) was
    returned too often.

    Attributes:
        status: The HTTP status code.
        headers: The response headers, names in lower case (a repeated name
            has its values joined with `", "`).
        body: The start of the response body, at most
            `ReconnectConfig.max_error_body` bytes when the policy built
            the error; often an error document worth showing to a human.
    """

    def __init__(
        self, status: int, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in (headers or {}).items()}
        self.body = bytes(body)
        content_type = self.headers.get("content-type")
        message = (
            f"expected an HTTP 200 response with Content-Type text/event-stream, got "
            f"HTTP {status} "
            + (f"with Content-Type {content_type!r}" if content_type else "without a Content-Type")
        )
        if self.body:
            start = self.body[:200].decode("utf-8", "replace")
            message += f"; the body starts {start!r}" + ("..." if len(self.body) > 200 else "")
        super().__init__(message)


class ConnectionFailed(SSEError):
    """The connection failed and the stream ends: no reconnection will follow.

    Raised when a failure cannot be retried: the request may not reconnect
    (a non-GET request without `reconnect_non_get`, or `reconnect=False`),
    or it would fail the same way again (a redirect to a scheme other than
    http and https, or to a URL that cannot be requested). The transport's
    own exception is chained as `__cause__`.
    [`RetriesExhausted`][ssec_proto.RetriesExhausted], raised when the
    policy gives up after reconnecting, is a subclass: catch this class for
    both.

    Attributes:
        reason: What the failure was, in words.
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        self.reason = reason or message
        super().__init__(message)


class RetriesExhausted(ConnectionFailed):
    """The connection kept failing and the policy gave up reconnecting.

    Raised when `max_attempts` or `max_elapsed` is reached. The failure that
    ended it is chained as `__cause__` when there is one: the transport's
    error, an [`EventTimeout`][ssec_proto.EventTimeout], or a
    [`ResponseError`][ssec_proto.ResponseError] for a retryable status; a
    stream the server kept closing without sending an event has none.

    Attributes:
        attempts: Reconnection attempts made since the last connection that
            delivered events.
        elapsed: Seconds from the first failure of that run to giving up.
        reason: What the last failure was, in words.
    """

    def __init__(
        self, message: str, *, attempts: int = 0, elapsed: float = 0.0, reason: str = ""
    ) -> None:
        self.attempts = attempts
        self.elapsed = elapsed
        super().__init__(message, reason=reason)


class PolicyError(SSEError):
    """A [`ReconnectPolicy`][ssec_proto.ReconnectPolicy] was told something out of order.

    Like h11's `LocalProtocolError`: the driver (an adapter, or your own
    loop) reported an input that the policy's current state does not accept,
    such as a response while it was waiting to reconnect, or anything but
    `close()` after it closed. This is a bug in the driver, not a network
    failure; the policy's state is left unchanged.

    Attributes:
        state: The policy's state (a `ConnectionState`).
        input: The rejected input (a `ConnectionInput`).
    """

    def __init__(self, message: str, *, state: ConnectionState, input: ConnectionInput) -> None:  # noqa: A002
        self.state = state
        self.input = input
        super().__init__(message)


class EventTimeout(SSEError):
    """No event arrived within `event_timeout` seconds, though bytes did.

    Keep-alive comments reset the idle timeout but not this one. The adapters
    treat it like an idle timeout: the connection is dropped and
    re-established under the reconnect policy, and the error is chained to a
    final [`RetriesExhausted`][ssec_proto.RetriesExhausted] if the policy gives up.

    Attributes:
        timeout: The configured `event_timeout` in seconds.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(f"no event arrived within event_timeout={timeout}s")
