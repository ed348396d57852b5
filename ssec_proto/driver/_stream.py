"""The sans-IO half of the driver loop: one stream's policy, notices and timeouts.

The sync and async loops (`_sync.py`, `_async.py`) move bytes and sleep; every
decision they act on comes from a `Stream`: the request to send, what a
response means, what a chunk of the body brings, what a failure calls for.
It reads each option of [`StreamOptions`][ssec_proto.driver.StreamOptions] in
one place, and reports every lifecycle notice to the log and to the caller's
`on_lifecycle`.
"""

from __future__ import annotations

import logging
import math
import random
import time
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeAlias, TypeVar

from .._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from .._errors import EventTimeout, LimitExceeded
from .._http import header_pairs, resume_from
from .._implementation import Decoder
from .._lifecycle import Closed, Connecting, Failed, Opened, Retrying
from .._reconnect import ConnectionInput, ConnectionState, ReconnectConfig, ReconnectPolicy
from ._options import DEFAULT_IDLE_TIMEOUT, StreamOptions
from ._transport import Failure, R, Request

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._events import Event
    from .._lifecycle import Lifecycle
    from ._transport import Response

__all__ = ["Ending", "Excerpt", "Source", "Stream"]

logger = logging.getLogger("ssec_proto")

#: What a loop acts on after a response, an end or a failure.
Answer: TypeAlias = "Opened | Retrying | Closed | Failed"
_N = TypeVar("_N", bound="Lifecycle")

_OPTIONS = StreamOptions.__optional_keys__


class Ending(Exception):
    """The body must stop here: deliver `events`, then act on `answer`."""

    def __init__(self, events: list[Event], answer: Retrying | Closed | Failed) -> None:
        self.events = events
        self.answer = answer


class Excerpt:
    """The start of an error response's body: bounded in bytes and in time."""

    __slots__ = ("_clock", "_deadline", "_limit", "data", "read_timeout")

    def __init__(
        self, limit: int, wait: float, read_timeout: float | None, clock: Callable[[], float]
    ) -> None:
        self.data = b""
        self._limit = limit
        self._clock = clock
        self._deadline = clock() + wait
        #: Each read waits at most this long, so the whole excerpt takes at
        #: most about twice `wait`, however the server trickles its bytes.
        self.read_timeout = wait if read_timeout is None else min(wait, read_timeout)

    @property
    def wanted(self) -> bool:
        """Whether any byte is to be read at all."""
        return self._limit > 0 and self.read_timeout > 0

    def add(self, chunk: bytes) -> bool:
        """Keep `chunk`; tell whether the excerpt is complete."""
        self.data += chunk
        return len(self.data) >= self._limit or self._clock() >= self._deadline


def _positive(name: str, value: float | None) -> float | None:
    if value is not None and not (
        isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf
    ):
        raise ValueError(f"{name} must be a positive number or None, not {value!r}")
    return value


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


class Stream:
    """One stream's decisions, for a loop that does its I/O.

    Args:
        url: The stream's URL, passed to the transport as it is.
        options: The stream's options.
        clock: Monotonic seconds.

    Raises:
        TypeError: For an unknown option, or one of the wrong type.
        ValueError: For an option out of range.
    """

    __slots__ = (
        "_body",
        "_clock",
        "_last_event_at",
        "_on_lifecycle",
        "event_timeout",
        "method",
        "policy",
        "read_timeout",
        "url",
    )

    def __init__(
        self, url: object, options: StreamOptions, clock: Callable[[], float] = time.monotonic
    ) -> None:
        unknown = options.keys() - _OPTIONS
        if unknown:
            raise TypeError(
                f"unexpected option{'s' if len(unknown) > 1 else ''} {', '.join(sorted(unknown))}; "
                f"the options are {', '.join(sorted(_OPTIONS))}"
            )
        self.url = url
        self.method = options.get("method", "GET")
        self.read_timeout = _positive(
            "idle_timeout", options.get("idle_timeout", DEFAULT_IDLE_TIMEOUT)
        )
        self.event_timeout = _positive("event_timeout", options.get("event_timeout"))
        json, content = options.get("json"), options.get("content")
        if json is not None and content is not None:
            raise ValueError("json and content cannot both be given")
        self._body = (options.get("params"), json, content)
        headers = header_pairs(options.get("headers"))
        decoder = Decoder(
            max_line_size=options.get("max_line_size", DEFAULT_MAX_LINE_SIZE),
            max_event_size=options.get("max_event_size", DEFAULT_MAX_EVENT_SIZE),
            last_event_id=resume_from(headers, options.get("last_event_id")),
        )
        self.policy = ReconnectPolicy(
            _reconnect_config(options.get("reconnect")),
            rng=options.get("rng") or random.Random(),
            clock=clock,
            wall_clock=time.time,
            method=self.method,
            headers=headers,
            decoder=decoder,
        )
        self._on_lifecycle = options.get("on_lifecycle")
        self._clock = clock
        self._last_event_at = 0.0

    @property
    def last_event_id(self) -> str:
        """Where the next request resumes from."""
        return self.policy.last_event_id

    def request(self) -> Request:
        """The next request to send (reported as `Connecting`)."""
        policy = self.policy
        self.report(Connecting(policy.attempts, policy.last_event_id))
        params, json, content = self._body
        return Request(
            self.url,
            self.method,
            policy.request_headers_bytes(),
            params,
            json,
            content,
            self.read_timeout,
        )

    def excerpt(self, response: Response[Any]) -> Excerpt | None:
        """An `Excerpt` to fill from the body of an error response, else `None`."""
        kind = self.policy.classify_response(response.status, response.headers)
        if kind not in (ConnectionInput.RESPONSE_FATAL, ConnectionInput.RESPONSE_RETRYABLE):
            return None
        config = self.policy.config
        excerpt = Excerpt(
            config.max_error_body, config.error_body_timeout, self.read_timeout, self._clock
        )
        return excerpt if excerpt.wanted else None

    def response_received(self, response: Response[Any], body: bytes) -> Answer:
        """Judge a response (with the start of its body if it is an error)."""
        answer = self.policy.response_received(response.status, response.headers, body)
        if isinstance(answer, Opened):
            self._last_event_at = self._clock()
        return self.report(answer)

    def feed(self, chunk: bytes) -> list[Event]:
        """Decode a chunk of the body; the events it completes, to deliver.

        Raises:
            Ending: The connection ends here: after a limit error (the stream
                fails, since reconnecting would fetch the same event again),
                or when `event_timeout` passed without an event.
        """
        try:
            events = self.policy.feed(chunk)
        except LimitExceeded as exc:
            raise Ending(exc.events, self.report(Failed(exc))) from None
        if self.event_timeout is not None:
            now = self._clock()
            if events:
                self._last_event_at = now
            elif now - self._last_event_at > self.event_timeout:
                answer = self.policy.idle_timed_out(EventTimeout(self.event_timeout))
                raise Ending(events, self.report(answer))
        return events

    def direct_feed(self) -> Callable[[bytes], list[Event]] | None:
        """The decoder's own `feed()`, for the chunks after a connection's first events.

        Once a connection has delivered events, `feed()` has nothing left to
        do per chunk but call the decoder: the policy is open, its attempts
        start over, and there is no event timeout to watch (`None` is
        returned when there is one). The loop then calls this, and turns a
        limit error into an `Ending` with `limit_exceeded()`.
        """
        return None if self.event_timeout is not None else self.policy.decoder.feed

    def limit_exceeded(self, error: LimitExceeded) -> Ending:
        """A limit error from `direct_feed()`: the stream fails, as in `feed()`."""
        self.policy.close()
        return Ending(error.events, self.report(Failed(error)))

    def stream_ended(self) -> Retrying | Closed | Failed:
        """The body ended cleanly."""
        return self.report(self.policy.stream_ended())

    def failed(self, error: Exception, kind: Failure | None) -> Retrying | Closed | Failed:
        """A send or a read raised `error`, which the transport classified as `kind`.

        Raises:
            Exception: `error` itself, when it is not the transport's (`kind`
                is `None`).
        """
        if kind is None:
            _reraise(error)
        if kind is Failure.TIMEOUT:
            return self.report(self.policy.idle_timed_out(error))
        return self.report(self.policy.transport_failed(error, permanent=kind is Failure.PERMANENT))

    def reconnecting(self) -> None:
        """The delay is over: a new request follows."""
        self.policy.reconnecting()

    def close(self, reason: str) -> None:
        """Close for good (once; later calls do nothing)."""
        if self.policy.state is not ConnectionState.CLOSED:
            self.policy.close()
            self.report(Closed(reason))

    def report(self, notice: _N) -> _N:
        """Log a notice and pass it to `on_lifecycle`; returns it."""
        _log(notice)
        if self._on_lifecycle is not None:
            self._on_lifecycle(notice)
        return notice


def _reraise(error: Exception) -> NoReturn:
    raise error


def _log(notice: Lifecycle) -> None:
    if isinstance(notice, Retrying):
        # A server ending its stream is routine; a failure is worth a warning.
        logger.log(
            logging.INFO if notice.error is None else logging.WARNING,
            "reconnecting in %.3fs (attempt %d): %s",
            notice.delay,
            notice.attempt,
            notice.reason,
        )
    elif isinstance(notice, Closed):
        logger.info("stream closed: %s", notice.reason)
    elif isinstance(notice, Failed):
        logger.warning("stream failed: %s", notice.error)
    elif isinstance(notice, Opened):
        logger.debug("connected: HTTP %d", notice.status)
    else:
        logger.debug("connecting (attempt %d)", notice.attempt)


class Source(Generic[R]):
    """What both event sources hold: the stream's sans-IO half and the current response."""

    def __init__(self, url: Any, options: StreamOptions) -> None:
        self._stream = Stream(url, options)
        self._response: Response[R] | None = None

    @property
    def last_event_id(self) -> str:
        """The last event ID: where a reconnect (or a later run) resumes from."""
        return self._stream.last_event_id

    @property
    def response(self) -> R | None:
        """The current (or last) HTTP response, the transport's own object."""
        return None if self._response is None else self._response.raw
