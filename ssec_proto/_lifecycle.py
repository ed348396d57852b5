"""The lifecycle of a stream: one vocabulary for the policy's advice and for observers.

A [`ReconnectPolicy`][ssec_proto.ReconnectPolicy] answers each input with one of
[`Opened`][ssec_proto.Opened], [`Retrying`][ssec_proto.Retrying],
[`Closed`][ssec_proto.Closed] or [`Failed`][ssec_proto.Failed]: what the driver
does next. The same objects, with [`Connecting`][ssec_proto.Connecting] before
each request, are what an `on_lifecycle` callback receives, so a log line, a
metric and the driver's own decision all read the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, final

if TYPE_CHECKING:
    from ._errors import SSEError

__all__ = ["Closed", "Connecting", "Failed", "Lifecycle", "Opened", "Retrying"]


@final
@dataclass(frozen=True, slots=True)
class Connecting:
    """A request is about to be sent.

    Attributes:
        attempt: 0 for the first connection, else which reconnection this is
            since the last connection that delivered an event.
        last_event_id: The `Last-Event-ID` the request carries (`""`: none).
    """

    attempt: int
    last_event_id: str


@final
@dataclass(frozen=True, slots=True)
class Opened:
    """The response is an event stream: read its body.

    Attributes:
        status: The HTTP status (200).
        headers: The response headers, names in lower case (a repeated name
            has its values joined with `", "`).
    """

    status: int
    headers: dict[str, str]


@final
@dataclass(frozen=True, slots=True)
class Retrying:
    """The connection ended or was refused: wait `delay` seconds, then reconnect.

    The driver sleeps, calls
    [`ReconnectPolicy.reconnecting`][ssec_proto.ReconnectPolicy.reconnecting]
    and sends a new request.

    Attributes:
        delay: Seconds to wait before the next request.
        reason: What ended the connection, in words, for logs.
        attempt: Which reconnection this is since the last connection that
            delivered an event: 1 for the first.
        error: The failure behind it, if any: the transport's exception, an
            [`EventTimeout`][ssec_proto.EventTimeout], or a
            [`ResponseError`][ssec_proto.ResponseError] for a retryable status.
    """

    delay: float
    reason: str
    attempt: int
    error: BaseException | None = None


@final
@dataclass(frozen=True, slots=True)
class Closed:
    """The stream ended normally and will not reconnect.

    After a 204 No Content, at the end of a stream that may not reconnect (a
    non-GET request, or `max_attempts=0`), or when the caller closed it.

    Attributes:
        reason: Why, in words, for logs.
    """

    reason: str


@final
@dataclass(frozen=True, slots=True)
class Failed:
    """The stream failed for good: the driver raises `error`.

    Attributes:
        error: The error to raise, one of the library's own: a
            [`ResponseError`][ssec_proto.ResponseError], a
            [`ConnectionFailed`][ssec_proto.ConnectionFailed] (such as
            [`RetriesExhausted`][ssec_proto.RetriesExhausted]) or a
            [`LimitExceeded`][ssec_proto.LimitExceeded]. The failure behind it
            is already chained as its `__cause__`.
    """

    error: SSEError

    @property
    def reason(self) -> str:
        """The error message, for logs."""
        return str(self.error)


#: Everything an `on_lifecycle` callback receives.
Lifecycle: TypeAlias = Connecting | Opened | Retrying | Closed | Failed
