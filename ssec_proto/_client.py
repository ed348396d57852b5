"""What every HTTP adapter shares: one stream's decoder, policy, log and lifecycle.

An adapter (httpx, aiohttp, requests) moves bytes and sleeps; everything it
decides comes from a :class:`StreamCore`. The core holds the
:class:`~ssec_proto.Decoder` whose ``last_event_id`` and ``retry`` outlive
connections, the :class:`~ssec_proto.ReconnectPolicy`, the event-level timeout,
the log lines and the lifecycle callbacks, and imports no HTTP library, so the
four drivers cannot drift apart. An adapter's loop is::

    core = StreamCore(...)
    while True:
        try:
            response = send(core.request_headers())
        except TransportError as exc:
            advice = core.transport_failed(exc)
        else:
            advice = core.response_received(status, headers, start_of_body)
            if isinstance(advice, Proceed):
                for chunk in body:           # ReadTimeout -> core.idle_timed_out()
                    events, stop = core.feed(chunk)
                    yield from events
                    if stop is not None:
                        advice = stop
                        break
                else:
                    advice = core.stream_ended()
        if isinstance(advice, Reconnect):
            sleep(advice.delay); core.reconnecting()
        elif isinstance(advice, Stop):
            return
        else:
            raise advice.error
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias, final

from ._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, Decoder
from ._errors import EventTimeout, LimitExceeded
from ._http import header_pairs
from ._reconnect import (
    ConnectionInput,
    ConnectionState,
    Fail,
    Proceed,
    Reconnect,
    ReconnectConfig,
    ReconnectPolicy,
    Stop,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._events import Event
    from ._http import HeadersLike
    from ._reconnect import Advice

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "Closed",
    "Connecting",
    "Failed",
    "Lifecycle",
    "Opened",
    "Retrying",
    "StreamCore",
]

#: Seconds without a single byte (keep-alive comments count) after which a
#: connection is presumed dead, dropped and re-established. Servers that
#: expect idle periods send keep-alive comments every 15 to 30 seconds
#: (sse-starlette's default ping is 15 s) to stop proxies from cutting them,
#: and LLM APIs can pause for a minute or more while a model thinks; five
#: minutes is ten times the usual keep-alive interval, yet notices a half-open
#: TCP connection (a peer that vanished without a FIN or RST) within minutes
#: rather than hours.
DEFAULT_IDLE_TIMEOUT: Final = 300.0

logger = logging.getLogger("ssec_proto")


@final
@dataclass(frozen=True, slots=True)
class Connecting:
    """A request is about to be sent.

    Attributes:
        attempt: 0 for the first connection, else the reconnection attempt
            since the last connection that delivered an event.
        last_event_id: The ``Last-Event-ID`` the request carries (``""``: none).
    """

    attempt: int
    last_event_id: str


@final
@dataclass(frozen=True, slots=True)
class Opened:
    """The server answered with an event stream; events will follow.

    Attributes:
        status: The HTTP status (200).
        headers: The response headers, names in lower case.
    """

    status: int
    headers: dict[str, str]


@final
@dataclass(frozen=True, slots=True)
class Retrying:
    """The connection was lost or refused; a reconnection is scheduled.

    Attributes:
        delay: Seconds until the next request.
        reason: What happened, in words.
        attempt: Which reconnection this is since the last event (1 first).
        error: The exception behind it, if any.
    """

    delay: float
    reason: str
    attempt: int
    error: BaseException | None


@final
@dataclass(frozen=True, slots=True)
class Failed:
    """The stream failed for good; the iteration raises :attr:`error`.

    Attributes:
        error: The exception about to be raised.
    """

    error: BaseException


@final
@dataclass(frozen=True, slots=True)
class Closed:
    """The stream ended normally: 204 No Content, or the caller closed it.

    Attributes:
        reason: Why, in words.
    """

    reason: str


#: What a lifecycle callback receives.
Lifecycle: TypeAlias = Connecting | Opened | Retrying | Failed | Closed


def _reconnect_config(reconnect: ReconnectConfig | bool | None) -> ReconnectConfig | None:
    if reconnect is False:
        return ReconnectConfig(max_attempts=0)
    if reconnect is True or reconnect is None:
        return None
    if not isinstance(reconnect, ReconnectConfig):
        raise TypeError(
            f"reconnect must be a ReconnectConfig or a bool, not {type(reconnect).__name__}"
        )
    return reconnect


def check_idle_timeout(idle_timeout: float | None) -> float | None:
    """Validate an adapter's ``idle_timeout`` option (seconds, or ``None``).

    Raises:
        ValueError: If it is not a positive, finite number or ``None``.
    """
    if idle_timeout is not None and not (
        isinstance(idle_timeout, (int, float)) and 0 < idle_timeout < math.inf
    ):
        raise ValueError(f"idle_timeout must be positive or None, not {idle_timeout!r}")
    return idle_timeout


class StreamCore:
    """The sans-IO state of one reconnecting event stream.

    Adapters build one per stream. All options are documented on the
    adapters' ``connect()`` functions.

    Args:
        method: The request method.
        headers: The caller's request headers (copied).
        last_event_id: Resume from this ID (``None``: from the caller's
            ``Last-Event-ID`` header, if any).
        reconnect: The reconnection options: a :class:`ReconnectConfig`,
            ``None`` or ``True`` for the defaults, ``False`` never to
            reconnect.
        event_timeout: Seconds without a complete *event* (comments do not
            count) after which the connection is treated as idle; ``None``
            (the default) disables it.
        max_line_size: The decoder's line limit.
        max_event_size: The decoder's event limit.
        on_lifecycle: Called with each :data:`Lifecycle` change.
        rng: Source of jitter (default: a new ``random.Random()``).
        clock: Monotonic seconds (default ``time.monotonic``).
        wall_clock: Epoch seconds for HTTP-date ``Retry-After`` (default
            ``time.time``).
    """

    __slots__ = (
        "_clock",
        "_last_event_at",
        "_on_lifecycle",
        "decoder",
        "event_timeout",
        "policy",
    )

    def __init__(
        self,
        *,
        method: str = "GET",
        headers: HeadersLike | None = None,
        last_event_id: str | None = None,
        reconnect: ReconnectConfig | bool | None = None,
        event_timeout: float | None = None,
        max_line_size: int | None = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        on_lifecycle: Callable[[Lifecycle], object] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] | None = time.time,
    ) -> None:
        if event_timeout is not None and not (
            isinstance(event_timeout, (int, float)) and 0 < event_timeout < math.inf
        ):
            raise ValueError(f"event_timeout must be a positive number or None: {event_timeout!r}")
        self.policy = ReconnectPolicy(
            _reconnect_config(reconnect),
            rng=random.Random() if rng is None else rng,
            clock=clock,
            wall_clock=wall_clock,
            method=method,
            headers=headers,
            last_event_id=last_event_id,
        )
        self.decoder = Decoder(
            max_line_size=max_line_size,
            max_event_size=max_event_size,
            last_event_id=self.policy.last_event_id,
        )
        self.event_timeout = event_timeout
        self._clock = clock
        self._on_lifecycle = on_lifecycle
        self._last_event_at = 0.0

    @property
    def last_event_id(self) -> str:
        """The last event ID: what the next request sends as ``Last-Event-ID``."""
        return self.decoder.last_event_id

    def request_headers(self) -> list[tuple[bytes, bytes]]:
        """Headers for the next request, encoded: names ASCII, values UTF-8."""
        self._notify(Connecting(self.policy.attempts, self.policy.last_event_id))
        return self.policy.request_headers_bytes()

    def needs_body(self, status: int, headers: HeadersLike) -> bool:
        """Whether to read the start of the body for an error message."""
        kind = self.policy.classify_response(status, headers)
        return kind in (ConnectionInput.RESPONSE_FATAL, ConnectionInput.RESPONSE_RETRYABLE)

    @property
    def max_error_body(self) -> int:
        """How many bytes of a failed response's body to read."""
        return self.policy.config.max_error_body

    def response_received(self, status: int, headers: HeadersLike, body: bytes = b"") -> Advice:
        """Report a response; returns the advice (logged and observed)."""
        advice = self.policy.response_received(status, headers, body)
        if isinstance(advice, Proceed):
            self._last_event_at = self._clock()
            logger.debug("connected: HTTP %d", status)
            self._notify(
                Opened(status, {name.lower(): value for name, value in header_pairs(headers)})
            )
            return advice
        return self._report(advice)

    def feed(self, chunk: bytes) -> tuple[list[Event], Advice | None]:
        """Decode a chunk of the body and tell the policy.

        Returns:
            The events the chunk completed, to deliver first; and advice when
            the connection must end here, else ``None``. After a decoder
            limit error the advice is :class:`Fail` with that error: the
            stream closes for good, since reconnecting would only fetch the
            same oversized event again. When ``event_timeout`` has passed
            without an event, it is the advice for an idle timeout, with an
            :class:`~ssec_proto.EventTimeout` as its error.
        """
        try:
            events = self.decoder.feed(chunk)
        except LimitExceeded as exc:
            self._update(exc.events)
            self.policy.close()
            logger.error("stream closed: %s", exc)
            self._notify(Failed(exc))
            return exc.events, Fail(exc)
        self._update(events)
        if (
            not events
            and self.event_timeout is not None
            and self._clock() - self._last_event_at > self.event_timeout
        ):
            return events, self.idle_timed_out(EventTimeout(self.event_timeout))
        return events, None

    def _update(self, events: list[Event]) -> None:
        decoder = self.decoder
        self.policy.data_received(
            len(events), last_event_id=decoder.last_event_id, retry=decoder.retry
        )
        if events:
            self._last_event_at = self._clock()

    def stream_ended(self) -> Advice:
        """Report a clean end of the body."""
        return self._report(self.policy.stream_ended())

    def transport_failed(self, error: BaseException) -> Advice:
        """Report a failed connection or read (the adapter's exception)."""
        return self._report(self.policy.transport_failed(error))

    def idle_timed_out(self, error: BaseException | None = None) -> Advice:
        """Report that no byte (or, with ``event_timeout``, no event) arrived in time."""
        return self._report(self.policy.idle_timed_out(error))

    def reconnecting(self) -> None:
        """The delay is over: reset the decoder for a new stream and reconnect."""
        self.decoder.reset()
        self.policy.reconnecting()

    def close(self, reason: str = "closed by the caller") -> None:
        """Close for good (idempotent)."""
        if self.policy.state is not ConnectionState.CLOSED:
            self.policy.close()
            self._notify(Closed(reason))

    def _report(self, advice: Reconnect | Stop | Fail) -> Advice:
        if isinstance(advice, Reconnect):
            # A server ending its stream is routine; a failure is worth a warning.
            logger.log(
                logging.INFO if advice.error is None else logging.WARNING,
                "reconnecting in %.3fs (attempt %d): %s",
                advice.delay,
                advice.attempt,
                advice.reason,
            )
            self._notify(Retrying(advice.delay, advice.reason, advice.attempt, advice.error))
        elif isinstance(advice, Stop):
            logger.info("stream ended: %s", advice.reason)
            self._notify(Closed(advice.reason))
        else:
            logger.error("stream failed: %s", advice.error)
            self._notify(Failed(advice.error))
        return advice

    def _notify(self, change: Lifecycle) -> None:
        if self._on_lifecycle is not None:
            self._on_lifecycle(change)
