"""The connection policy: when to reconnect, how long to wait, when to give up.

[`ReconnectPolicy`][ssec_proto.ReconnectPolicy] is the EventSource connection
algorithm without the connection. The driver tells it what happened (a
response arrived, the body brought bytes, the stream ended or broke) and gets
back what to do next, one of the [lifecycle](ssec_proto._lifecycle) notices:
[`Opened`][ssec_proto.Opened] (read the body), [`Retrying`][ssec_proto.Retrying]
(wait, then reconnect), [`Closed`][ssec_proto.Closed] (stop) or
[`Failed`][ssec_proto.Failed] (raise). The policy never sleeps, never reads a
clock and never draws a random number by itself: time and randomness are
injected, so every decision is reproducible in a test.

The policy reads the body through its [`Decoder`][ssec_proto.Decoder], which
is the one owner of the stream's last event ID and reconnection time: the
policy asks it for them when it builds a request or a delay, and copies
nothing.

Rule 1, after h11's `_state.py`: every state change is a lookup in
`TRANSITIONS`, in this file. Spec text quoted below is from the WHATWG HTML
Living Standard, section 9.2 "Server-sent events".
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, final

from ._errors import (
    ConnectionFailed,
    EventTimeout,
    LimitExceeded,
    PolicyError,
    ResponseError,
    RetriesExhausted,
)
from ._http import (
    build_headers,
    check_last_event_id,
    encode_headers,
    header_dict,
    header_pairs,
    is_event_stream,
    parse_retry_after,
    resume_from,
)
from ._implementation import Decoder
from ._lifecycle import Closed, Failed, Opened, Retrying

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Mapping
    from collections.abc import Set as AbstractSet

    from ._events import Event
    from ._http import HeadersLike

__all__ = [
    "DEFAULT_RECONNECTION_TIME",
    "DEFAULT_RETRY_STATUSES",
    "TRANSITIONS",
    "ConnectionInput",
    "ConnectionState",
    "ReconnectConfig",
    "ReconnectPolicy",
]

#: The reconnection time, in seconds, until the server sends a `retry`
#: field. The spec leaves it "implementation-defined ..., probably in the
#: region of a few seconds"; Chromium and Node's undici use 3 s (Firefox 5 s).
DEFAULT_RECONNECTION_TIME: Final = 3.0

#: Statuses that mean "come back later" rather than "you are wrong": 429 Too
#: Many Requests and the gateway/overload trio 502, 503, 504, all of them
#: transient by definition (RFC 6585, RFC 9110 section 15.6). 500 is left out
#: on purpose: it usually means a bug, and retrying a bug forever helps no one.
DEFAULT_RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})


class ConnectionState(enum.Enum):
    """Where a policy is, after EventSource's `readyState`."""

    #: A request is being made; report its response (or its failure). The
    #: state a policy starts in, like a new EventSource.
    CONNECTING = "CONNECTING"
    #: The response is an event stream and its body is being read.
    OPEN = "OPEN"
    #: Waiting out a `Retrying` delay. EventSource reports this as
    #: `CONNECTING` too ("it was closed and the user agent is reconnecting").
    WAITING = "WAITING"
    #: Finished for good: stopped, failed, or closed. Only `close()` is
    #: accepted, and does nothing.
    CLOSED = "CLOSED"

    @property
    def ready_state(self) -> int:
        """The EventSource `readyState` number: 0, 1 or 2."""
        return _READY_STATE[self]


_READY_STATE = {
    ConnectionState.CONNECTING: 0,
    ConnectionState.WAITING: 0,
    ConnectionState.OPEN: 1,
    ConnectionState.CLOSED: 2,
}


class ConnectionInput(enum.Enum):
    """What the driver reports; each method of the policy is one."""

    #: A 200 response whose `Content-Type` is `text/event-stream`.
    RESPONSE_OK = "RESPONSE_OK"
    #: A 204 No Content response: the server says stop.
    RESPONSE_NO_CONTENT = "RESPONSE_NO_CONTENT"
    #: A status in `retry_statuses` (e.g. 503): try again later.
    RESPONSE_RETRYABLE = "RESPONSE_RETRYABLE"
    #: Any other response: "fail the connection".
    RESPONSE_FATAL = "RESPONSE_FATAL"
    #: Body bytes arrived (whether or not they completed an event).
    DATA_RECEIVED = "DATA_RECEIVED"
    #: The body ended cleanly.
    END_OF_STREAM = "END_OF_STREAM"
    #: The transport failed: no connection, a reset, a broken read.
    TRANSPORT_ERROR = "TRANSPORT_ERROR"
    #: Nothing arrived for the driver's idle timeout.
    IDLE_TIMEOUT = "IDLE_TIMEOUT"
    #: The reconnection delay elapsed and a new request is being made.
    CONNECT = "CONNECT"
    #: The caller closed the stream (also applied when the policy gives up).
    CLOSE = "CLOSE"


_S = ConnectionState
_I = ConnectionInput

#: Every transition of the policy: `{(state, input): next state}`. A pair
#: that is missing is a driver bug and raises
#: [`PolicyError`][ssec_proto.PolicyError]. The table holds no conditions: an
#: input that leads to `WAITING` is followed at once by `CLOSE` when the
#: policy gives up (a limit was reached, the request may not reconnect, or the
#: failure would repeat), which the `Closed` or `Failed` answer reports.
TRANSITIONS: Final[Mapping[tuple[ConnectionState, ConnectionInput], ConnectionState]] = (
    MappingProxyType(
        {
            (_S.CONNECTING, _I.RESPONSE_OK): _S.OPEN,
            (_S.CONNECTING, _I.RESPONSE_NO_CONTENT): _S.CLOSED,
            (_S.CONNECTING, _I.RESPONSE_RETRYABLE): _S.WAITING,
            (_S.CONNECTING, _I.RESPONSE_FATAL): _S.CLOSED,
            (_S.CONNECTING, _I.TRANSPORT_ERROR): _S.WAITING,
            # No response headers within the idle timeout.
            (_S.CONNECTING, _I.IDLE_TIMEOUT): _S.WAITING,
            (_S.CONNECTING, _I.CLOSE): _S.CLOSED,
            (_S.OPEN, _I.DATA_RECEIVED): _S.OPEN,
            # "if res is not a network error, then reestablish the connection"
            (_S.OPEN, _I.END_OF_STREAM): _S.WAITING,
            (_S.OPEN, _I.TRANSPORT_ERROR): _S.WAITING,
            (_S.OPEN, _I.IDLE_TIMEOUT): _S.WAITING,
            (_S.OPEN, _I.CLOSE): _S.CLOSED,
            (_S.WAITING, _I.CONNECT): _S.CONNECTING,
            (_S.WAITING, _I.CLOSE): _S.CLOSED,
            # EventSource.close() on a closed source does nothing.
            (_S.CLOSED, _I.CLOSE): _S.CLOSED,
        }
    )
)


def _check(
    name: str, value: object, minimum: float, maximum: float = math.inf, *, integer: bool = False
) -> None:
    # Numbers must be finite: a driver cannot sleep for inf or nan seconds.
    kind = "an int" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")
    if not minimum <= value <= maximum or (isinstance(value, float) and not math.isfinite(value)):
        bounds = f">= {minimum}" if maximum == math.inf else f"from {minimum} to {maximum}"
        raise ValueError(f"{name} must be {kind} {bounds}, not {value!r}")


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ReconnectConfig:
    """The options of a [`ReconnectPolicy`][ssec_proto.ReconnectPolicy], validated on creation.

    The first reconnection after a connection that delivered an event waits
    the reconnection time (the server's `retry`, or `reconnection_time`), as
    the spec says. Each further one in a row (`attempt` n) waits
    `min(max_delay, max(reconnection_time, min_delay) * backoff_multiplier **
    (n - 1))` seconds. Every wait gets up to `jitter` times more at random, is
    at least as long as a `Retry-After` header asks (up to
    `max_retry_after`), and never lets a request start less than `min_delay`
    after the one before. The run of attempts starts over once a connection
    delivers an event.

    Attributes:
        reconnection_time: Seconds to wait before the first reconnection, until
            the server's `retry` field replaces it. See
            [`DEFAULT_RECONNECTION_TIME`][ssec_proto.DEFAULT_RECONNECTION_TIME].
        backoff_multiplier: Growth of the delay per failed attempt in a row.
            2 (doubling) is the usual choice: few attempts reach the cap, and
            each one halves the load on a struggling server.
        min_delay: The floor, in seconds, that backoff grows from whatever
            the server's `retry` says (a `retry: 0` is honoured once, after a
            stream that delivered events, not for a run of failures), and the
            shortest time between the starts of two requests, so that a
            server that ends every stream at once is asked at most twice a
            second. 0 turns the floor off; it never exceeds `max_delay`.
        max_delay: Cap, in seconds, on the delay before jitter, including a
            server's `retry` (as LaunchDarkly's SSE clients do): 30 s keeps
            a recovered server from waiting long for its clients while
            spacing out the attempts on one that is down.
        jitter: Fraction of extra random wait, from 0 to 1. The spec allows
            only *longer* waits ("Wait a delay equal to the reconnection
            time of the event source. Optionally, wait some more."), so the
            delay is drawn from `[d, d * (1 + jitter)]`. 0.5 spreads out
            clients that lost the same server at the same moment.
        max_attempts: Reconnections in a row without an event before giving
            up with [`RetriesExhausted`][ssec_proto.RetriesExhausted], or
            `None` for no limit (as in browsers). The default 10 gives up
            after about five minutes of a server being down instead of
            hanging forever, yet a stream that drops now and then never runs
            out: any event starts the count over. `0` disables
            reconnection: the stream ends at the server's end of stream and
            any failure raises.
        max_elapsed: Seconds from the first failure of a run after which no
            reconnection is scheduled, or `None` for no limit (the default;
            `max_attempts` already bounds a run).
        retry_statuses: HTTP statuses (400-599) that back off and reconnect
            instead of failing. See
            [`DEFAULT_RETRY_STATUSES`][ssec_proto.DEFAULT_RETRY_STATUSES].
        max_retry_after: Cap, in seconds, on the `Retry-After` wait that is
            honoured. Two minutes is longer than any overload worth waiting
            out silently, and short enough that a misconfigured server cannot
            park a client for hours.
        max_error_body: Bytes of a failed response's body to keep in
            [`ResponseError.body`][ssec_proto.ResponseError]; drivers read no
            more. 4 KiB holds any JSON error document an API sends.
        error_body_timeout: Seconds a driver waits for those bytes: a failed
            response's body is what arrived within this time, so a server
            that sends an error's headers and then holds the connection open
            cannot stall the failure.
        reconnect_non_get: Also reconnect non-GET requests (such as the POST
            streams of LLM APIs). Off by default: repeating a POST repeats its
            side effects, and such streams end when the answer does.
    """

    reconnection_time: float = DEFAULT_RECONNECTION_TIME
    backoff_multiplier: float = 2.0
    min_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    max_attempts: int | None = 10
    max_elapsed: float | None = None
    retry_statuses: AbstractSet[int] = DEFAULT_RETRY_STATUSES
    max_retry_after: float = 120.0
    max_error_body: int = 4096
    error_body_timeout: float = 1.0
    reconnect_non_get: bool = False

    def __post_init__(self) -> None:
        _check("max_delay", self.max_delay, 0)
        _check("reconnection_time", self.reconnection_time, 0, self.max_delay)
        _check("min_delay", self.min_delay, 0)
        _check("backoff_multiplier", self.backoff_multiplier, 1)
        _check("jitter", self.jitter, 0, 1)
        _check("max_retry_after", self.max_retry_after, 0)
        if self.max_elapsed is not None:
            _check("max_elapsed", self.max_elapsed, 0)
        if self.max_attempts is not None:
            _check("max_attempts", self.max_attempts, 0, integer=True)
        _check("max_error_body", self.max_error_body, 0, integer=True)
        _check("error_body_timeout", self.error_body_timeout, 0)
        if not isinstance(self.reconnect_non_get, bool):
            raise TypeError("reconnect_non_get must be a bool")
        statuses = frozenset(self.retry_statuses)
        for status in statuses:
            _check("a retry status", status, 400, 599, integer=True)
        object.__setattr__(self, "retry_statuses", statuses)


class ReconnectPolicy:
    """The sans-IO reconnection policy of one event source, with its decoder.

    Create one per stream; it starts in `ConnectionState.CONNECTING`. Each
    method below reports one `ConnectionInput`; one the current state does
    not accept raises [`PolicyError`][ssec_proto.PolicyError] and changes
    nothing. A driver's loop, with `send`, `sleep` and the body's chunks
    standing for its I/O:

    ```python
    policy = ReconnectPolicy(rng=random.Random(), clock=time.monotonic)
    while True:
        try:
            response = send(policy.request_headers())
        except OSError as exc:
            answer = policy.transport_failed(exc)
        else:
            # With the start of the body if the response is not an event
            # stream (see classify_response):
            answer = policy.response_received(response.status, response.headers)
            if isinstance(answer, Opened):
                for chunk in response.body:  # or transport_failed, idle_timed_out
                    for event in policy.feed(chunk):
                        print(event.data)
                answer = policy.stream_ended()
        if isinstance(answer, Retrying):
            sleep(answer.delay)
            policy.reconnecting()
        elif isinstance(answer, Closed):
            break
        else:
            raise answer.error  # its __cause__ is already chained
    ```

    Args:
        config: The options; `None` for the defaults.
        rng: The source of jitter, e.g. `random.Random()`; a seeded one in
            tests. Only its `random()` method is called.
        clock: Monotonic seconds, e.g. `time.monotonic`; read at each
            response, reconnection and failure, to space requests and measure
            `max_elapsed`.
        wall_clock: Seconds since the Unix epoch, e.g. `time.time`, for a
            `Retry-After` given as an HTTP-date. Without it such a date is
            ignored (delay-seconds still work).
        method: The request method. Only GET reconnects, unless
            `config.reconnect_non_get`.
        headers: The caller's request headers; copied, never modified.
        last_event_id: The last event ID to resume from. `None` takes the
            caller's `Last-Event-ID` header, if any, else `""`. Not together
            with `decoder`.
        decoder: The [`Decoder`][ssec_proto.Decoder] that reads the body, for
            its limits or its `on_comment` callback; `None` makes one. It
            owns the last event ID and the server's reconnection time: its
            last event ID is where the stream resumes, whatever
            `Last-Event-ID` header the caller gave.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If `last_event_id` contains NUL, CR or LF, or is given
            with a `decoder`.
    """

    __slots__ = (
        "_attempts",
        "_clock",
        "_config",
        "_decoder",
        "_headers",
        "_method",
        "_rng",
        "_run_start",
        "_started",
        "_state",
        "_wall_clock",
    )

    def __init__(
        self,
        config: ReconnectConfig | None = None,
        *,
        rng: random.Random,
        clock: Callable[[], float],
        wall_clock: Callable[[], float] | None = None,
        method: str = "GET",
        headers: HeadersLike | None = None,
        last_event_id: str | None = None,
        decoder: Decoder | None = None,
    ) -> None:
        self._config = ReconnectConfig() if config is None else config
        if not isinstance(self._config, ReconnectConfig):
            raise TypeError(f"config must be a ReconnectConfig, not {type(config).__name__}")
        if not isinstance(method, str):
            raise TypeError(f"method must be a str, not {type(method).__name__}")
        self._rng = rng
        self._clock = clock
        self._wall_clock = wall_clock
        self._method = method.upper()
        self._headers = header_pairs(headers)
        if decoder is None:
            resume = check_last_event_id(resume_from(self._headers, last_event_id))
            decoder = Decoder(last_event_id=resume)
        elif not isinstance(decoder, Decoder):
            raise TypeError(f"decoder must be a Decoder, not {type(decoder).__name__}")
        elif last_event_id is not None:
            raise ValueError("give last_event_id to the Decoder, not with it")
        self._decoder = decoder
        self._state = ConnectionState.CONNECTING
        # Reconnections scheduled since the last connection that delivered an
        # event, the clock reading at the first failure of that run, and when
        # the current connection started (its reconnection, or its response).
        self._attempts = 0
        self._run_start: float | None = None
        self._started: float | None = None

    def __repr__(self) -> str:
        return (
            f"<ReconnectPolicy {self._method} {self._state.name} attempts={self._attempts} "
            f"reconnection_time={self.reconnection_time}s>"
        )

    @property
    def config(self) -> ReconnectConfig:
        """The options."""
        return self._config

    @property
    def decoder(self) -> Decoder:
        """The decoder that reads the body, and owns the stream's state."""
        return self._decoder

    @property
    def state(self) -> ConnectionState:
        """The current state."""
        return self._state

    @property
    def last_event_id(self) -> str:
        """The decoder's last event ID, sent as `Last-Event-ID` when not empty."""
        return self._decoder.last_event_id

    @property
    def reconnection_time(self) -> float:
        """The reconnection time in seconds: the server's `retry`, capped at `max_delay`."""
        retry = self._decoder.retry
        if retry is None:
            return float(self._config.reconnection_time)
        # Compare before dividing: a retry of many digits is too large for a
        # float.
        cap = self._config.max_delay
        return float(cap) if retry > cap * 1000 else retry / 1000

    @property
    def attempts(self) -> int:
        """Reconnections scheduled since the last connection that delivered an event."""
        return self._attempts

    def request_headers(self) -> list[tuple[str, str]]:
        """The headers of the next request, values as `str`.

        The caller's headers, then `Accept: text/event-stream` and
        `Cache-Control: no-store` unless the caller set those, then
        `Last-Event-ID` if [`last_event_id`][ssec_proto.ReconnectPolicy.last_event_id]
        is not empty. A caller's own `Last-Event-ID` is replaced by it (which
        starts from it), so an ID the stream reset to `""` is not sent.
        """
        return build_headers(self._headers, self._decoder.last_event_id)

    def request_headers_bytes(self) -> list[tuple[bytes, bytes]]:
        """The headers of `request_headers()` encoded for the wire: names ASCII, values UTF-8.

        Use this form when the last event ID may be non-ASCII: the spec sends
        it "encoded as UTF-8", which `str` header values of httpx (ASCII) or
        `http.client` (Latin-1) cannot express.
        """
        return encode_headers(self.request_headers())

    def classify_response(self, status: int, headers: HeadersLike) -> ConnectionInput:
        """Say which `RESPONSE_*` input a response is, without changing state.

        A driver reads the start of the body (up to `config.max_error_body`
        bytes, for at most `config.error_body_timeout` seconds) for
        `response_received()` when this is `RESPONSE_RETRYABLE` or
        `RESPONSE_FATAL`.
        """
        if status == 200 and is_event_stream(header_dict(headers).get("content-type")):
            return ConnectionInput.RESPONSE_OK
        if status == 204:
            return ConnectionInput.RESPONSE_NO_CONTENT
        if status in self._config.retry_statuses:
            return ConnectionInput.RESPONSE_RETRYABLE
        return ConnectionInput.RESPONSE_FATAL

    def response_received(
        self, status: int, headers: HeadersLike, body: bytes = b""
    ) -> Opened | Retrying | Closed | Failed:
        """Report the response to the current request.

        Args:
            status: The HTTP status code.
            headers: The response headers.
            body: The start of the body when it is not an event stream (see
                `classify_response()`); it is cut to `max_error_body`.

        Returns:
            `Opened` for an event stream; `Closed` for 204 No Content;
            `Retrying` or `Failed` for a retryable status; `Failed` with a
            [`ResponseError`][ssec_proto.ResponseError] for anything else:
            "if res's status is not 200, or if res's `Content-Type` is not
            `text/event-stream`, then fail the connection".
        """
        kind = self.classify_response(status, headers)
        fields = header_dict(headers)
        self._started = self._clock()
        if kind is ConnectionInput.RESPONSE_OK:
            self._fire(kind)
            return Opened(status, fields)
        if kind is ConnectionInput.RESPONSE_NO_CONTENT:
            # "a client can be told to stop reconnecting using the HTTP 204
            # No Content response code"
            self._fire(kind)
            return Closed("HTTP 204 No Content: the server asked not to reconnect")
        error = ResponseError(status, fields, bytes(body[: self._config.max_error_body]))
        if kind is ConnectionInput.RESPONSE_FATAL:
            # "Once the user agent has failed the connection, it does not
            # attempt to reconnect."
            self._fire(kind)
            return Failed(error)
        retry_after = fields.get("retry-after")
        now = None if self._wall_clock is None else self._wall_clock()
        reason = f"HTTP {status}" + (f" with Retry-After: {retry_after}" if retry_after else "")
        return self._connection_lost(kind, reason, error, parse_retry_after(retry_after, now))

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Decode the next chunk of the body; returns the events it completes.

        An event starts the run of reconnection attempts over.

        Raises:
            LimitExceeded: The decoder's limit error (with the chunk's
                complete events in `.events`). The stream has failed: the
                policy is closed, since reconnecting would only fetch the
                same oversized event again.
        """
        if self._state is not _S.OPEN:
            self._fire(ConnectionInput.DATA_RECEIVED)
        try:
            events = self._decoder.feed(data)
        except LimitExceeded:
            self._fire(ConnectionInput.CLOSE)
            raise
        if events:
            self._attempts = 0
            self._run_start = None
        return events

    def stream_ended(self) -> Retrying | Closed | Failed:
        """Report that the body ended cleanly; returns what to do."""
        return self._connection_lost(ConnectionInput.END_OF_STREAM, "the server ended the stream")

    def transport_failed(
        self, error: BaseException | None = None, *, permanent: bool = False
    ) -> Retrying | Closed | Failed:
        """Report that connecting or reading failed; returns what to do.

        Args:
            error: The transport's exception, chained to the error a
                `Failed` answer carries.
            permanent: The same request would fail the same way again (a
                redirect to a scheme other than http and https, or to a URL
                that cannot be requested): fail at once, with a
                [`ConnectionFailed`][ssec_proto.ConnectionFailed].
        """
        what = "the connection failed" if error is None else _describe(error)
        if permanent:
            self._fire(ConnectionInput.TRANSPORT_ERROR)
            message = f"{what} (not retried: it would fail again)"
            return self._fail(ConnectionFailed(message, reason=what), error)
        return self._connection_lost(ConnectionInput.TRANSPORT_ERROR, what, error)

    def idle_timed_out(self, error: BaseException | None = None) -> Retrying | Closed | Failed:
        """Report that nothing arrived within the driver's idle timeout.

        Args:
            error: The timeout exception, if the driver has one; an
                [`EventTimeout`][ssec_proto.EventTimeout] when bytes arrived
                but no event did.
        """
        if isinstance(error, EventTimeout):
            what = str(error)
        else:
            what = "no data arrived within the idle timeout"
        return self._connection_lost(ConnectionInput.IDLE_TIMEOUT, what, error)

    def reconnecting(self) -> None:
        """Report that the `Retrying` delay is over and a new request is being made.

        The decoder starts a new stream: a partial event is dropped, the
        last event ID and reconnection time are kept.
        """
        self._fire(ConnectionInput.CONNECT)
        self._decoder.reset()
        self._started = self._clock()

    def close(self) -> None:
        """Close for good, like `EventSource.close()`; harmless when closed."""
        self._fire(ConnectionInput.CLOSE)

    def _fire(self, event: ConnectionInput) -> None:
        try:
            self._state = TRANSITIONS[self._state, event]
        except KeyError:
            accepted = ", ".join(i.name for s, i in TRANSITIONS if s is self._state)
            raise PolicyError(
                f"ReconnectPolicy cannot take {event.name} in state {self._state.name}, "
                f"which accepts only {accepted}; the driver reported its inputs out of order",
                state=self._state,
                input=event,
            ) from None

    def _connection_lost(
        self,
        event: ConnectionInput,
        reason: str,
        error: BaseException | None = None,
        retry_after: float | None = None,
    ) -> Retrying | Closed | Failed:
        # The connection is over: decide between waiting and giving up.
        self._fire(event)
        config = self._config
        now = self._clock()
        if self._run_start is None:
            self._run_start = now
        elapsed = now - self._run_start
        attempt = self._attempts + 1
        if config.max_attempts == 0 or (self._method != "GET" and not config.reconnect_non_get):
            why = (
                "reconnection is disabled (max_attempts=0)"
                if config.max_attempts == 0
                else f"a {self._method} request is only reconnected with reconnect_non_get=True"
            )
            if event is ConnectionInput.END_OF_STREAM:
                self._fire(ConnectionInput.CLOSE)
                return Closed(f"{reason}; {why}")
            if isinstance(error, ResponseError):
                # Nothing was retried: the response is the whole story.
                self._fire(ConnectionInput.CLOSE)
                return Failed(error)
            message = f"{reason} (not reconnecting: {why})"
            return self._fail(ConnectionFailed(message, reason=reason), error)
        if config.max_attempts is not None and attempt > config.max_attempts:
            return self._give_up(
                f"gave up after {_attempts(self._attempts)} in {elapsed:.1f}s "
                f"without an event (max_attempts={config.max_attempts}); last failure: {reason}",
                error,
                elapsed,
                reason,
            )
        delay = self._delay(attempt, now, retry_after)
        if config.max_elapsed is not None and elapsed + delay > config.max_elapsed:
            return self._give_up(
                f"gave up after {_attempts(self._attempts)}: the next would start "
                f"{elapsed + delay:.1f}s after the first failure, past "
                f"max_elapsed={config.max_elapsed}s; last failure: {reason}",
                error,
                elapsed,
                reason,
            )
        self._attempts = attempt
        return Retrying(delay, reason, attempt, error)

    def _delay(self, attempt: int, now: float, retry_after: float | None) -> float:
        config = self._config
        base = self.reconnection_time
        floor = min(config.min_delay, config.max_delay)
        if attempt > 1:
            # A run of failures backs off from the floor, whatever the
            # server's retry says: a retry of 0 must not turn it into a flood.
            base = max(base, floor)
        try:
            growth = config.backoff_multiplier ** (attempt - 1)
        except OverflowError:  # a run of over a thousand attempts, no limit set
            growth = math.inf
        # base <= max_delay always; checking it avoids 0 * inf = nan.
        backoff = min(config.max_delay, base * growth) if base else 0.0
        delay = backoff * (1 + config.jitter * self._rng.random())
        if retry_after is not None:
            delay = max(delay, min(retry_after, config.max_retry_after))
        # Requests start at least min_delay apart, even when each stream
        # delivered an event and the server asked for no wait.
        if self._started is not None:
            delay = max(delay, floor - (now - self._started))
        return delay

    def _give_up(
        self, message: str, cause: BaseException | None, elapsed: float, reason: str
    ) -> Failed:
        error = RetriesExhausted(message, attempts=self._attempts, elapsed=elapsed, reason=reason)
        return self._fail(error, cause)

    def _fail(self, error: ConnectionFailed, cause: BaseException | None) -> Failed:
        self._fire(ConnectionInput.CLOSE)
        error.__cause__ = cause
        error.__suppress_context__ = True
        return Failed(error)


def _attempts(count: int) -> str:
    return f"{count} reconnection attempt{'' if count == 1 else 's'}"


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
