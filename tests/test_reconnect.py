"""The sans-IO connection policy: its transition table, its advice, its limits.

Time and randomness are injected: a ``FakeClock`` the tests move by hand and a
seeded ``random.Random``, so every delay is reproducible.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssec_proto._errors import PolicyError, ResponseError, RetriesExhausted, SSEError
from ssec_proto._reconnect import (
    DEFAULT_RECONNECTION_TIME,
    DEFAULT_RETRY_STATUSES,
    TRANSITIONS,
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

    from ssec_proto._reconnect import Advice

S = ConnectionState
I = ConnectionInput  # noqa: E741 - short like the table it mirrors

SSE = {"Content-Type": "text/event-stream"}
DEFAULTS = [("Accept", "text/event-stream"), ("Cache-Control", "no-store")]
NO_JITTER = ReconnectConfig(jitter=0)


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(config: ReconnectConfig | None = None, **options: Any) -> ReconnectPolicy:
    options.setdefault("rng", random.Random(0))
    options.setdefault("clock", FakeClock())
    return ReconnectPolicy(config, **options)


def events(policy: ReconnectPolicy, count: int = 1, last_event_id: str = "", retry: Any = None):
    policy.data_received(count, last_event_id=last_event_id, retry=retry)


def opened(config: ReconnectConfig | None = None, **options: Any) -> ReconnectPolicy:
    policy = make(config, **options)
    assert policy.response_received(200, SSE) == Proceed()
    return policy


# One call per input, through the public methods.
DRIVE: dict[ConnectionInput, Callable[[ReconnectPolicy], object]] = {
    I.RESPONSE_OK: lambda p: p.response_received(200, SSE),
    I.RESPONSE_NO_CONTENT: lambda p: p.response_received(204, {}),
    I.RESPONSE_RETRYABLE: lambda p: p.response_received(503, {}),
    I.RESPONSE_FATAL: lambda p: p.response_received(404, {}),
    I.DATA_RECEIVED: events,
    I.END_OF_STREAM: lambda p: p.stream_ended(),
    I.TRANSPORT_ERROR: lambda p: p.transport_failed(OSError("reset")),
    I.IDLE_TIMEOUT: lambda p: p.idle_timed_out(),
    I.CONNECT: lambda p: p.reconnecting(),
    I.CLOSE: lambda p: p.close(),
}


def in_state(state: ConnectionState, config: ReconnectConfig | None = None, **options: Any):
    policy = make(config, **options)
    if state is S.OPEN:
        policy.response_received(200, SSE)
    elif state is S.WAITING:
        policy.transport_failed()
    elif state is S.CLOSED:
        policy.close()
    assert policy.state is state
    return policy


# --- The transition table ------------------------------------------------------


def test_table_shape() -> None:
    assert len(TRANSITIONS) == 15
    assert all(isinstance(target, ConnectionState) for target in TRANSITIONS.values())
    # CLOSE is accepted everywhere; a closed policy accepts nothing else.
    assert all(TRANSITIONS[state, I.CLOSE] is S.CLOSED for state in S)
    assert [i for s, i in TRANSITIONS if s is S.CLOSED] == [I.CLOSE]
    with pytest.raises(TypeError):
        TRANSITIONS[S.CLOSED, I.CONNECT] = S.OPEN  # type: ignore[index]


def test_every_input_has_a_method() -> None:
    assert set(DRIVE) == set(ConnectionInput)


@pytest.mark.parametrize(("state", "event"), list(itertools.product(S, I)))
def test_every_state_input_pair(state: ConnectionState, event: ConnectionInput) -> None:
    policy = in_state(state)
    if (state, event) in TRANSITIONS:
        DRIVE[event](policy)
        assert policy.state is TRANSITIONS[state, event]
    else:
        with pytest.raises(PolicyError) as info:
            DRIVE[event](policy)
        assert policy.state is state  # unchanged
        assert (info.value.state, info.value.input) == (state, event)
        assert f"cannot take {event.name} in state {state.name}" in str(info.value)
        assert isinstance(info.value, SSEError)


@pytest.mark.parametrize(
    ("state", "event"), [key for key, target in TRANSITIONS.items() if target is S.WAITING]
)
def test_giving_up_closes_instead_of_waiting(
    state: ConnectionState, event: ConnectionInput
) -> None:
    policy = make(ReconnectConfig(max_attempts=1))
    policy.transport_failed()  # use up the one attempt first
    policy.reconnecting()
    if state is S.OPEN:
        policy.response_received(200, SSE)
    assert policy.state is state
    advice = DRIVE[event](policy)
    assert isinstance(advice, Stop | Fail)
    assert policy.state is S.CLOSED


def test_policy_error_lists_what_the_state_accepts() -> None:
    policy = in_state(S.WAITING)
    with pytest.raises(PolicyError, match="accepts only CONNECT, CLOSE"):
        policy.response_received(200, SSE)


def test_ready_state_mirrors_eventsource() -> None:
    assert [s.ready_state for s in S] == [0, 1, 0, 2]


def test_repr() -> None:
    assert repr(make(method="post")) == (
        "<ReconnectPolicy POST CONNECTING attempts=0 reconnection_time=3.0s>"
    )


# --- Request headers -------------------------------------------------------------


def test_request_headers_default() -> None:
    policy = make()
    assert policy.request_headers() == DEFAULTS
    assert policy.request_headers_bytes() == [
        (b"Accept", b"text/event-stream"),
        (b"Cache-Control", b"no-store"),
    ]


def test_caller_accept_is_kept_case_insensitively() -> None:
    policy = make(headers={"accept": "*/*", "Authorization": "Bearer t"})
    assert policy.request_headers() == [
        ("accept", "*/*"),
        ("Authorization", "Bearer t"),
        ("Cache-Control", "no-store"),
    ]


def test_last_event_id_follows_the_stream() -> None:
    policy = opened(last_event_id="1")
    assert policy.request_headers()[-1] == ("Last-Event-ID", "1")
    events(policy, last_event_id="2")
    assert policy.last_event_id == "2"
    assert policy.request_headers()[-1] == ("Last-Event-ID", "2")
    # An empty id field resets it: no header at all on the next request.
    events(policy, 0, last_event_id="")
    assert policy.request_headers() == DEFAULTS


def test_caller_last_event_id_is_the_starting_point() -> None:
    headers = {"Last-Event-ID": "from-caller"}
    policy = opened(headers=headers)
    assert policy.last_event_id == "from-caller"
    assert policy.request_headers() == [*DEFAULTS, ("Last-Event-ID", "from-caller")]
    events(policy, last_event_id="")
    assert policy.request_headers() == DEFAULTS  # never resent once reset
    assert make(headers=headers, last_event_id="explicit").last_event_id == "explicit"
    assert make(headers=headers, last_event_id="").request_headers() == DEFAULTS


def test_non_ascii_last_event_id_is_sent_as_utf8() -> None:
    policy = make(last_event_id="é☕")
    assert policy.request_headers()[-1] == ("Last-Event-ID", "é☕")
    assert policy.request_headers_bytes()[-1] == (b"Last-Event-ID", "é☕".encode())


def test_caller_headers_are_copied_not_modified() -> None:
    headers = {"X-Key": "1", "Last-Event-ID": "5"}
    policy = make(headers=headers)
    policy.request_headers().append(("X-Other", "2"))
    headers["X-Key"] = "changed"
    assert policy.request_headers()[0] == ("X-Key", "1")
    assert headers == {"X-Key": "changed", "Last-Event-ID": "5"}


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b"])
def test_last_event_id_must_be_a_header_value(bad: str) -> None:
    with pytest.raises(ValueError, match="NUL, CR or LF"):
        make(last_event_id=bad)
    policy = opened()
    with pytest.raises(ValueError, match="NUL, CR or LF"):
        events(policy, last_event_id=bad)
    with pytest.raises(TypeError, match="must be a str"):
        make(last_event_id=5)


# --- Responses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {"Content-Type": "Text/Event-Stream; charset=utf-8"}, I.RESPONSE_OK),
        (200, [("content-type", " text/event-stream ")], I.RESPONSE_OK),
        (200, {}, I.RESPONSE_FATAL),
        (200, {"Content-Type": "text/html"}, I.RESPONSE_FATAL),
        (200, {"Content-Type": "text/event-streamx"}, I.RESPONSE_FATAL),
        (201, SSE, I.RESPONSE_FATAL),
        (204, {}, I.RESPONSE_NO_CONTENT),
        (204, SSE, I.RESPONSE_NO_CONTENT),
        (301, SSE, I.RESPONSE_FATAL),
        (401, {}, I.RESPONSE_FATAL),
        (404, SSE, I.RESPONSE_FATAL),
        (500, {}, I.RESPONSE_FATAL),
        (429, {}, I.RESPONSE_RETRYABLE),
        (502, {}, I.RESPONSE_RETRYABLE),
        (503, SSE, I.RESPONSE_RETRYABLE),
        (504, {}, I.RESPONSE_RETRYABLE),
    ],
)
def test_classify_response(status: int, headers: Any, expected: ConnectionInput) -> None:
    policy = make()
    assert policy.classify_response(status, headers) is expected
    assert policy.state is S.CONNECTING  # classifying changes nothing


def test_event_stream_proceeds() -> None:
    policy = make()
    assert policy.response_received(200, {"content-type": "text/event-stream;charset=utf-8"}) == (
        Proceed()
    )
    assert policy.state is S.OPEN


def test_no_content_stops_for_good() -> None:
    policy = make()
    advice = policy.response_received(204, {})
    assert advice == Stop("HTTP 204 No Content: the server asked not to reconnect")
    assert policy.state is S.CLOSED


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, "text/html"), (200, None), (400, "application/json"), (401, None), (500, "text/plain")],
)
def test_other_responses_fail_without_reconnecting(status: int, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {"X-Request-Id": "r1"}
    policy = make()
    advice = policy.response_received(status, headers, b'{"error": "nope"}')
    assert isinstance(advice, Fail)
    error = advice.error
    assert isinstance(error, ResponseError)
    assert (error.status, error.body) == (status, b'{"error": "nope"}')
    assert error.headers == {k.lower(): v for k, v in headers.items()}
    assert f"got HTTP {status} " in str(error)
    assert "expected an HTTP 200 response with Content-Type text/event-stream" in str(error)
    assert 'the body starts \'{"error": "nope"}\'' in str(error)
    assert advice.reason == str(error)
    assert policy.state is S.CLOSED


def test_response_error_messages() -> None:
    assert "with Content-Type 'text/html'" in str(ResponseError(200, {"Content-Type": "text/html"}))
    assert str(ResponseError(401)) == (
        "expected an HTTP 200 response with Content-Type text/event-stream, "
        "got HTTP 401 without a Content-Type"
    )
    long = ResponseError(500, {}, b"x" * 300)
    assert str(long).endswith("'" + "x" * 200 + "'...")
    assert long.body == b"x" * 300


def test_error_body_is_truncated() -> None:
    policy = make(ReconnectConfig(max_error_body=10))
    advice = policy.response_received(403, {}, b"0123456789abcdef")
    assert isinstance(advice, Fail)
    assert isinstance(advice.error, ResponseError)
    assert advice.error.body == b"0123456789"


@pytest.mark.parametrize("status", sorted(DEFAULT_RETRY_STATUSES))
def test_transient_statuses_back_off(status: int) -> None:
    policy = make(NO_JITTER)
    advice = policy.response_received(status, {}, b"busy")
    assert isinstance(advice, Reconnect)
    assert (advice.delay, advice.attempt, advice.reason) == (3.0, 1, f"HTTP {status}")
    assert isinstance(advice.error, ResponseError)
    assert advice.error.body == b"busy"
    assert policy.state is S.WAITING


def test_retry_statuses_are_configurable() -> None:
    policy = make(ReconnectConfig(retry_statuses={500}))
    assert policy.config.retry_statuses == frozenset({500})
    assert policy.classify_response(500, {}) is I.RESPONSE_RETRYABLE
    assert policy.classify_response(503, {}) is I.RESPONSE_FATAL


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        ("10", 10.0),  # longer than the backoff: honoured
        ("1", 3.0),  # shorter: the backoff still applies
        ("0", 3.0),
        ("soon", 3.0),  # garbage: ignored
        ("-5", 3.0),
        ("100000", 120.0),  # too big: capped at max_retry_after
        ("Sun, 15 Jun 2025 12:01:30 GMT", 90.0),  # HTTP-date, with the wall clock
        ("Sun, 15 Jun 2025 11:00:00 GMT", 3.0),  # in the past
    ],
)
def test_retry_after(retry_after: str, delay: float) -> None:
    wall = datetime(2025, 6, 15, 12, tzinfo=timezone.utc).timestamp()
    policy = make(NO_JITTER, wall_clock=lambda: wall)
    advice = policy.response_received(429, {"Retry-After": retry_after})
    assert isinstance(advice, Reconnect)
    assert advice.delay == delay
    assert advice.reason == f"HTTP 429 with Retry-After: {retry_after}"


def test_retry_after_date_without_wall_clock_is_ignored() -> None:
    policy = make(NO_JITTER)
    advice = policy.response_received(503, {"Retry-After": "Sun, 15 Jun 2025 12:01:30 GMT"})
    assert isinstance(advice, Reconnect)
    assert advice.delay == 3.0


def test_max_retry_after_is_configurable() -> None:
    policy = make(ReconnectConfig(jitter=0, max_retry_after=600))
    advice = policy.response_received(503, {"retry-after": "500"})
    assert isinstance(advice, Reconnect)
    assert advice.delay == 500.0


# --- Reconnection time and backoff ------------------------------------------------------


def lose(policy: ReconnectPolicy, how: str = "drop") -> Reconnect | Stop | Fail:
    """End the current connection; reconnect first if waiting."""
    if policy.state is S.WAITING:
        policy.reconnecting()
    if how == "end":
        policy.response_received(200, SSE)
        return policy.stream_ended()
    return policy.transport_failed(ConnectionError("refused"))


def test_default_reconnection_time() -> None:
    assert DEFAULT_RECONNECTION_TIME == 3.0
    policy = opened(NO_JITTER)
    assert policy.reconnection_time == 3.0
    events(policy)
    assert policy.stream_ended() == Reconnect(3.0, "the server ended the stream", 1)


def test_server_retry_replaces_the_reconnection_time_and_survives() -> None:
    policy = opened(NO_JITTER)
    events(policy, retry=1500)
    assert policy.reconnection_time == 1.5
    assert policy.stream_ended() == Reconnect(1.5, "the server ended the stream", 1)
    policy.reconnecting()
    policy.response_received(200, SSE)
    events(policy, retry=None)  # no retry field this time: the value stays
    assert policy.reconnection_time == 1.5
    advice = policy.transport_failed()
    assert advice == Reconnect(1.5, "the connection failed", 1)


def test_retry_without_an_event_still_counts() -> None:
    policy = opened(NO_JITTER)
    events(policy, 0, retry=500)
    assert policy.reconnection_time == 0.5


def test_data_received_per_chunk_sees_every_change() -> None:
    # Drivers report every chunk; values that did not change are not checked
    # again, and every change still counts and is checked.
    policy = opened(NO_JITTER)
    retry = 2500
    for _ in range(3):
        events(policy, 0, last_event_id="7", retry=retry)
    assert (policy.reconnection_time, policy.last_event_id) == (2.5, "7")
    events(policy, 1, last_event_id="8", retry=500)
    assert (policy.reconnection_time, policy.last_event_id) == (0.5, "8")
    with pytest.raises(ValueError, match="CR"):
        events(policy, 1, last_event_id="9\r\n", retry=500)
    with pytest.raises(ValueError, match="retry"):
        events(policy, 1, last_event_id="8", retry=-2)
    assert (policy.reconnection_time, policy.last_event_id) == (0.5, "8")


def test_server_retry_is_capped_at_max_delay() -> None:
    policy = opened(NO_JITTER)
    events(policy, retry=10**5000)  # a retry field of thousands of digits
    assert policy.reconnection_time == 30.0
    advice = policy.stream_ended()
    assert isinstance(advice, Reconnect)
    assert advice.delay == 30.0


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = make(ReconnectConfig(jitter=0, max_attempts=None))
    delays = []
    for _ in range(8):
        advice = lose(policy)
        assert isinstance(advice, Reconnect)
        delays.append(advice.delay)
    assert delays == [3.0, 6.0, 12.0, 24.0, 30.0, 30.0, 30.0, 30.0]
    assert policy.attempts == 8


def test_backoff_jitter_is_deterministic_with_a_seed() -> None:
    config = ReconnectConfig(max_attempts=None)
    policy = make(config, rng=random.Random(42))
    draws = random.Random(42)
    for attempt in range(1, 9):
        advice = lose(policy)
        assert isinstance(advice, Reconnect)
        base = min(30.0, 3.0 * 2 ** (attempt - 1))
        assert advice.delay == base * (1 + 0.5 * draws.random())
        assert base <= advice.delay <= base * 1.5
        assert advice.attempt == attempt


def test_a_stream_that_ends_without_events_backs_off() -> None:
    policy = make(NO_JITTER)
    delays = [getattr(lose(policy, "end"), "delay", None) for _ in range(3)]
    assert delays == [3.0, 6.0, 12.0]


def test_backoff_resets_once_a_connection_delivers_events() -> None:
    policy = make(NO_JITTER)
    for _ in range(3):
        lose(policy)
    assert policy.attempts == 3
    policy.reconnecting()
    policy.response_received(200, SSE)
    events(policy, 0)  # data without a complete event is not progress
    assert policy.attempts == 3
    events(policy, 2)
    assert policy.attempts == 0
    assert policy.stream_ended() == Reconnect(3.0, "the server ended the stream", 1)


def test_idle_timeout_reconnects() -> None:
    policy = opened(NO_JITTER)
    timeout = TimeoutError("read timed out")
    advice = policy.idle_timed_out(timeout)
    assert advice == Reconnect(3.0, "no data arrived within the idle timeout", 1, timeout)
    policy.reconnecting()
    assert isinstance(policy.idle_timed_out(), Reconnect)  # waiting for headers, too


def test_transport_error_reasons() -> None:
    policy = make(NO_JITTER)
    assert getattr(policy.transport_failed(OSError("boom")), "reason", None) == "OSError: boom"
    policy.reconnecting()
    assert getattr(policy.transport_failed(ConnectionError()), "reason", None) == "ConnectionError"


def test_zero_reconnection_time_never_grows() -> None:
    policy = opened(ReconnectConfig(max_attempts=None))
    events(policy, retry=0)
    for _ in range(1100):  # far past the point where 2.0 ** n overflows
        advice = lose(policy)
        assert isinstance(advice, Reconnect)
        assert advice.delay == 0.0


def test_unlimited_attempts_stay_at_the_cap() -> None:
    policy = make(ReconnectConfig(jitter=0, max_attempts=None))
    for _ in range(1100):
        advice = lose(policy)
    assert isinstance(advice, Reconnect)
    assert (advice.delay, advice.attempt) == (30.0, 1100)


# --- Giving up --------------------------------------------------------------------------


def test_max_attempts_gives_up_with_the_cause_chained() -> None:
    clock = FakeClock()
    policy = make(ReconnectConfig(jitter=0, max_attempts=3), clock=clock)
    for attempt in (1, 2, 3):
        advice = lose(policy)
        assert isinstance(advice, Reconnect)
        assert advice.attempt == attempt
        clock.now += advice.delay
    policy.reconnecting()
    last = OSError("connection refused")
    advice = policy.transport_failed(last)
    assert isinstance(advice, Fail)
    error = advice.error
    assert isinstance(error, RetriesExhausted)
    assert str(error) == (
        "gave up after 3 reconnection attempts in 21.0s without an event (max_attempts=3); "
        "last failure: OSError: connection refused"
    )
    assert (error.attempts, error.elapsed, error.reason) == (3, 21.0, "OSError: connection refused")
    assert error.__cause__ is last
    assert policy.state is S.CLOSED
    with pytest.raises(RetriesExhausted) as info:
        raise advice.error
    assert info.value.__cause__ is last


def test_one_attempt_is_singular() -> None:
    policy = make(ReconnectConfig(max_attempts=1))
    lose(policy)
    advice = lose(policy)
    assert isinstance(advice, Fail)
    assert str(advice.error).startswith("gave up after 1 reconnection attempt in ")


def test_max_attempts_counts_retryable_responses_too() -> None:
    policy = make(ReconnectConfig(max_attempts=1))
    assert isinstance(policy.response_received(503, {}), Reconnect)
    policy.reconnecting()
    advice = policy.response_received(502, {}, b"bad gateway")
    assert isinstance(advice, Fail)
    assert isinstance(advice.error.__cause__, ResponseError)
    assert advice.error.__cause__.status == 502
    assert "last failure: HTTP 502" in str(advice.error)


def test_a_server_that_keeps_closing_without_events_exhausts_attempts() -> None:
    policy = make(ReconnectConfig(max_attempts=2))
    lose(policy, "end")
    lose(policy, "end")
    advice = lose(policy, "end")
    assert isinstance(advice, Fail)
    assert advice.error.__cause__ is None
    assert "last failure: the server ended the stream" in str(advice.error)


def test_max_elapsed_gives_up_with_a_fake_clock() -> None:
    clock = FakeClock(1000.0)
    policy = make(ReconnectConfig(jitter=0, max_attempts=None, max_elapsed=10), clock=clock)
    advice = lose(policy)
    assert isinstance(advice, Reconnect)
    assert advice.delay == 3.0
    clock.now += 3.0
    advice = lose(policy)
    assert isinstance(advice, Reconnect)
    assert advice.delay == 6.0  # 3 + 6 = 9 seconds after the first failure: allowed
    clock.now += 6.0
    advice = lose(policy)  # 9 + 12 = 21 > 10: give up
    assert isinstance(advice, Fail)
    error = advice.error
    assert isinstance(error, RetriesExhausted)
    assert str(error) == (
        "gave up after 2 reconnection attempts: the next would start 21.0s after the first "
        "failure, past max_elapsed=10s; last failure: ConnectionError: refused"
    )
    assert (error.attempts, error.elapsed) == (2, 9.0)
    assert isinstance(error.__cause__, ConnectionError)
    assert policy.state is S.CLOSED


def test_max_elapsed_restarts_after_events() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(jitter=0, max_elapsed=5), clock=clock)
    assert isinstance(policy.transport_failed(), Reconnect)
    clock.now += 3600  # a long, healthy stream later ...
    policy.reconnecting()
    policy.response_received(200, SSE)
    events(policy)
    assert isinstance(policy.transport_failed(), Reconnect)  # ... the count starts over


# --- Requests that do not reconnect ------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "post", "PUT", "DELETE"])
def test_non_get_ends_normally_at_end_of_stream(method: str) -> None:
    policy = opened(method=method)
    events(policy)
    advice = policy.stream_ended()
    assert advice == Stop(
        f"the server ended the stream; a {method.upper()} request is only reconnected "
        "with reconnect_non_get=True"
    )
    assert policy.state is S.CLOSED


def test_non_get_fails_on_a_dropped_connection() -> None:
    policy = opened(method="POST")
    cause = ConnectionResetError("reset by peer")
    advice = policy.transport_failed(cause)
    assert isinstance(advice, Fail)
    assert isinstance(advice.error, RetriesExhausted)
    assert str(advice.error) == (
        "not reconnecting, a POST request is only reconnected with reconnect_non_get=True: "
        "ConnectionResetError: reset by peer"
    )
    assert advice.error.__cause__ is cause
    assert advice.error.attempts == 0


def test_non_get_fails_on_a_retryable_status() -> None:
    policy = make(method="POST")
    advice = policy.response_received(429, {"Retry-After": "1"})
    assert isinstance(advice, Fail)
    assert isinstance(advice.error.__cause__, ResponseError)


def test_non_get_reconnects_when_asked() -> None:
    policy = opened(ReconnectConfig(jitter=0, reconnect_non_get=True), method="POST")
    assert policy.stream_ended() == Reconnect(3.0, "the server ended the stream", 1)


def test_lowercase_get_reconnects() -> None:
    assert isinstance(opened(method="get").stream_ended(), Reconnect)


def test_max_attempts_zero_disables_reconnection() -> None:
    policy = opened(ReconnectConfig(max_attempts=0))
    events(policy)
    advice = policy.stream_ended()
    assert advice == Stop("the server ended the stream; reconnection is disabled (max_attempts=0)")
    advice = make(ReconnectConfig(max_attempts=0)).idle_timed_out()
    assert isinstance(advice, Fail)
    assert str(advice.error) == (
        "not reconnecting, reconnection is disabled (max_attempts=0): "
        "no data arrived within the idle timeout"
    )


# --- Configuration ---------------------------------------------------------------------


def test_config_defaults() -> None:
    config = ReconnectConfig()
    assert dataclasses.asdict(config) == {
        "reconnection_time": 3.0,
        "backoff_multiplier": 2.0,
        "max_delay": 30.0,
        "jitter": 0.5,
        "max_attempts": 10,
        "max_elapsed": None,
        "retry_statuses": frozenset({429, 502, 503, 504}),
        "max_retry_after": 120.0,
        "max_error_body": 4096,
        "reconnect_non_get": False,
    }
    assert make().config == config
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.jitter = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"reconnection_time": -1}, ValueError),
        ({"reconnection_time": 31}, ValueError),  # above max_delay
        ({"reconnection_time": "3"}, TypeError),
        ({"max_delay": True}, TypeError),
        ({"max_delay": float("inf")}, ValueError),
        ({"max_delay": float("nan")}, ValueError),
        ({"backoff_multiplier": 0.5}, ValueError),
        ({"jitter": 1.5}, ValueError),
        ({"jitter": -0.1}, ValueError),
        ({"max_attempts": -1}, ValueError),
        ({"max_attempts": 1.5}, TypeError),
        ({"max_elapsed": -1}, ValueError),
        ({"max_retry_after": -1}, ValueError),
        ({"max_error_body": -1}, ValueError),
        ({"max_error_body": None}, TypeError),
        ({"retry_statuses": {200}}, ValueError),
        ({"retry_statuses": {600}}, ValueError),
        ({"retry_statuses": {"503"}}, TypeError),
        ({"reconnect_non_get": 1}, TypeError),
    ],
)
def test_config_validation(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        ReconnectConfig(**options)


def test_config_validation_messages() -> None:
    with pytest.raises(ValueError, match=r"jitter must be a number from 0 to 1, not 2"):
        ReconnectConfig(jitter=2)
    with pytest.raises(ValueError, match=r"max_delay must be a number >= 0, not -1"):
        ReconnectConfig(max_delay=-1)


def test_policy_argument_types() -> None:
    with pytest.raises(TypeError, match="ReconnectConfig"):
        make({"jitter": 0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="method"):
        make(method=b"GET")


@pytest.mark.parametrize(
    ("count", "retry", "error"),
    [(-1, None, ValueError), (True, None, TypeError), (1, -1, ValueError), (1, "5", TypeError)],
)
def test_data_received_validation(count: Any, retry: Any, error: type[Exception]) -> None:
    policy = opened()
    with pytest.raises(error):
        events(policy, count, retry=retry)
    assert policy.state is S.OPEN


# --- Properties ----------------------------------------------------------------------------

ACTIONS = st.sampled_from(sorted(I, key=lambda i: i.value))
CONFIGS = st.builds(
    ReconnectConfig,
    reconnection_time=st.floats(0, 5),
    backoff_multiplier=st.floats(1, 4),
    max_delay=st.floats(5, 60),
    jitter=st.floats(0, 1),
    max_attempts=st.none() | st.integers(0, 5),
    max_elapsed=st.none() | st.floats(0, 100),
    max_retry_after=st.floats(0, 300),
    reconnect_non_get=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    config=CONFIGS,
    method=st.sampled_from(["GET", "POST"]),
    seed=st.integers(0, 2**32),
    steps=st.lists(st.tuples(ACTIONS, st.floats(0, 50)), max_size=40),
)
def test_random_inputs_follow_the_table(
    config: ReconnectConfig,
    method: str,
    seed: int,
    steps: list[tuple[ConnectionInput, float]],
) -> None:
    clock = FakeClock()
    policy = make(config, method=method, rng=random.Random(seed), clock=clock)
    for event, pause in steps:
        clock.now += pause
        before = policy.state
        target = TRANSITIONS.get((before, event))
        if target is None:
            with pytest.raises(PolicyError):
                DRIVE[event](policy)
            assert policy.state is before
            continue
        advice = DRIVE[event](policy)
        if target is S.WAITING:
            # Either it waits, or it gives up and closes.
            assert isinstance(advice, Reconnect) == (policy.state is S.WAITING)
            assert policy.state in {S.WAITING, S.CLOSED}
        else:
            assert policy.state is target
        if config.max_attempts is not None:
            assert policy.attempts <= config.max_attempts


@settings(max_examples=300, deadline=None)
@given(
    config=CONFIGS,
    seed=st.integers(0, 2**32),
    failures=st.lists(
        st.one_of(
            st.just("drop"),
            st.just("end"),
            st.integers(0, 10**9).map(lambda ms: ("retry", ms)),
            st.text(max_size=12).map(lambda v: ("retry-after", v)),
            st.integers(0, 10**6).map(lambda s: ("retry-after", str(s))),
        ),
        max_size=30,
    ),
)
def test_delays_are_bounded(config: ReconnectConfig, seed: int, failures: list[Any]) -> None:
    config = dataclasses.replace(config, max_attempts=None, max_elapsed=None)
    policy = make(config, rng=random.Random(seed))
    ceiling = max(config.max_delay * (1 + config.jitter), config.max_retry_after)
    advice: Advice
    for failure in failures:
        if policy.state is S.WAITING:
            policy.reconnecting()
        if failure == "drop":
            advice = policy.transport_failed()
        elif failure == "end":
            policy.response_received(200, SSE)
            advice = policy.stream_ended()
        elif failure[0] == "retry":
            policy.response_received(200, SSE)
            events(policy, 0, retry=failure[1])
            advice = policy.transport_failed()
        else:
            advice = policy.response_received(503, {"Retry-After": failure[1]})
        assert isinstance(advice, Reconnect)
        assert 0.0 <= advice.delay <= ceiling
        assert advice.delay >= 0.0
