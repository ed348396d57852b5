"""The sans-IO connection policy: its transition table, its answers, its limits, its decoder.

Time and randomness are injected: a ``FakeClock`` the tests move by hand and a
seeded ``random.Random``, so every delay is reproducible. The policy reads the
body through its own ``Decoder``, so a test puts it in a state (a last event
ID, a ``retry``) by feeding it real bytes.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssec_proto import (
    Closed,
    ConnectionFailed,
    Decoder,
    EventTimeout,
    EventTooLarge,
    Failed,
    LimitExceeded,
    LineTooLong,
    Opened,
    PolicyError,
    ResponseError,
    RetriesExhausted,
    Retrying,
    SSEError,
)
from ssec_proto._reconnect import (
    DEFAULT_RECONNECTION_TIME,
    DEFAULT_RETRY_STATUSES,
    TRANSITIONS,
    ConnectionInput,
    ConnectionState,
    ReconnectConfig,
    ReconnectPolicy,
)

from .helpers import message

if TYPE_CHECKING:
    from collections.abc import Callable

S = ConnectionState
I = ConnectionInput  # noqa: E741 - short like the table it mirrors

SSE = {"Content-Type": "text/event-stream"}
DEFAULTS = [("Accept", "text/event-stream"), ("Cache-Control", "no-store")]
NO_JITTER = ReconnectConfig(jitter=0)
#: No jitter and no floor: delays exactly as the backoff formula gives them.
EXACT = ReconnectConfig(jitter=0, min_delay=0)
#: An event, as a server sends it.
EVENT = b"data: x\n\n"


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


def opened(config: ReconnectConfig | None = None, **options: Any) -> ReconnectPolicy:
    policy = make(config, **options)
    assert isinstance(policy.response_received(200, SSE), Opened)
    return policy


Answer: TypeAlias = Retrying | Closed | Failed

# One call per input, through the public methods.
DRIVE: dict[ConnectionInput, Callable[[ReconnectPolicy], object]] = {
    I.RESPONSE_OK: lambda p: p.response_received(200, SSE),
    I.RESPONSE_NO_CONTENT: lambda p: p.response_received(204, {}),
    I.RESPONSE_RETRYABLE: lambda p: p.response_received(503, {}),
    I.RESPONSE_FATAL: lambda p: p.response_received(404, {}),
    I.DATA_RECEIVED: lambda p: p.feed(EVENT),
    I.END_OF_STREAM: lambda p: p.stream_ended(),
    I.TRANSPORT_ERROR: lambda p: p.transport_failed(OSError("reset")),
    I.IDLE_TIMEOUT: lambda p: p.idle_timed_out(),
    I.CONNECT: lambda p: p.reconnecting(),
    I.CLOSE: lambda p: p.close(),
}


def in_state(
    state: ConnectionState, config: ReconnectConfig | None = None, **options: Any
) -> ReconnectPolicy:
    policy = make(config, **options)
    if state is S.OPEN:
        policy.response_received(200, SSE)
    elif state is S.WAITING:
        policy.transport_failed()
    elif state is S.CLOSED:
        policy.close()
    assert policy.state is state
    return policy


def lose(policy: ReconnectPolicy, how: str = "drop") -> Answer:
    """End the current connection; reconnect first if waiting."""
    if policy.state is S.WAITING:
        policy.reconnecting()
    if how == "end":
        policy.response_received(200, SSE)
        return policy.stream_ended()
    return policy.transport_failed(ConnectionError("refused"))


def delays_of_failures(policy: ReconnectPolicy, clock: FakeClock, count: int) -> list[float]:
    """Fail ``count`` times in a row, waiting out each delay on ``clock``."""
    delays = []
    for _ in range(count):
        answer = lose(policy)
        assert isinstance(answer, Retrying)
        delays.append(answer.delay)
        clock.now += answer.delay
    return delays


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
    answer = DRIVE[event](policy)
    assert isinstance(answer, Closed | Failed)
    assert policy.state is S.CLOSED


@pytest.mark.parametrize(
    ("state", "event"), [key for key, target in TRANSITIONS.items() if target is S.WAITING]
)
def test_a_request_that_may_not_reconnect_closes_instead_of_waiting(
    state: ConnectionState, event: ConnectionInput
) -> None:
    policy = in_state(state, method="POST")
    answer = DRIVE[event](policy)
    assert isinstance(answer, Closed | Failed)
    assert policy.state is S.CLOSED
    assert policy.attempts == 0


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
    policy = opened()
    policy.feed(b"retry: 1500\n")
    assert repr(policy) == "<ReconnectPolicy GET OPEN attempts=0 reconnection_time=1.5s>"


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


def test_caller_headers_may_be_utf8_bytes() -> None:
    policy = make(headers=[(b"X-Key", "é".encode()), ("X-Other", b"1")])
    assert policy.request_headers()[:2] == [("X-Key", "é"), ("X-Other", "1")]
    assert policy.request_headers_bytes()[0] == (b"X-Key", "é".encode())


def test_last_event_id_follows_the_stream() -> None:
    policy = opened(last_event_id="1")
    assert policy.request_headers()[-1] == ("Last-Event-ID", "1")
    assert policy.feed(b"id: 2\ndata: x\n\n") == [message("x", id="2")]
    assert policy.last_event_id == "2"
    assert policy.request_headers()[-1] == ("Last-Event-ID", "2")
    # An empty id field resets it, even in a block without an event: no
    # header at all on the next request.
    assert policy.feed(b"id\n\n") == []
    assert policy.last_event_id == ""
    assert policy.request_headers() == DEFAULTS


def test_an_id_takes_effect_at_its_blank_line() -> None:
    policy = opened()
    assert policy.feed(b"id: 3\ndata: x\n") == []
    assert policy.last_event_id == ""  # the block may still be cut off
    policy.feed(b"\n")
    assert policy.last_event_id == "3"


def test_caller_last_event_id_is_the_starting_point() -> None:
    headers = {"Last-Event-ID": "from-caller"}
    policy = opened(headers=headers)
    assert policy.last_event_id == "from-caller"
    assert policy.decoder.last_event_id == "from-caller"
    assert policy.request_headers() == [*DEFAULTS, ("Last-Event-ID", "from-caller")]
    policy.feed(b"id:\ndata: x\n\n")
    assert policy.request_headers() == DEFAULTS  # never resent once reset
    assert make(headers=headers, last_event_id="explicit").last_event_id == "explicit"
    assert make(headers=headers, last_event_id="").request_headers() == DEFAULTS


def test_non_ascii_last_event_id_is_sent_as_utf8() -> None:
    policy = make(last_event_id="é☕")
    assert policy.request_headers()[-1] == ("Last-Event-ID", "é☕")
    assert policy.request_headers_bytes()[-1] == (b"Last-Event-ID", "é☕".encode())
    policy = opened()
    policy.feed("id: ☃\ndata: x\n\n".encode())
    assert policy.request_headers_bytes()[-1] == (b"Last-Event-ID", "☃".encode())


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
    with pytest.raises(ValueError, match="NUL, CR or LF"):
        make(headers={"Last-Event-ID": bad})
    with pytest.raises(TypeError, match="must be a str"):
        make(last_event_id=5)


def test_the_stream_cannot_set_an_id_that_is_no_header_value() -> None:
    # CR and LF end lines, and an id field with a NUL is ignored (spec), so
    # whatever the server sends, the next request can carry the ID.
    policy = opened(last_event_id="1")
    assert policy.feed(b"id: a\0b\ndata: x\n\n") == [message("x", id="1")]
    assert policy.feed(b"id: a\rb\ndata: y\n\n") == [message("y", id="a")]
    assert policy.last_event_id == "a"


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


def test_event_stream_is_opened_with_its_headers() -> None:
    policy = make()
    answer = policy.response_received(200, {"content-type": "text/event-stream;charset=utf-8"})
    assert answer == Opened(200, {"content-type": "text/event-stream;charset=utf-8"})
    assert policy.state is S.OPEN
    # Names in lower case; a repeated name has its values joined.
    headers = [("Content-Type", "text/event-stream"), ("X-A", "1"), ("x-a", "2")]
    assert make().response_received(200, headers) == Opened(
        200, {"content-type": "text/event-stream", "x-a": "1, 2"}
    )


def test_no_content_closes_for_good() -> None:
    policy = make()
    answer = policy.response_received(204, {})
    assert answer == Closed("HTTP 204 No Content: the server asked not to reconnect")
    assert policy.state is S.CLOSED


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, "text/html"), (200, None), (400, "application/json"), (401, None), (500, "text/plain")],
)
def test_other_responses_fail_without_reconnecting(status: int, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {"X-Request-Id": "r1"}
    policy = make()
    answer = policy.response_received(status, headers, b'{"error": "nope"}')
    assert isinstance(answer, Failed)
    error = answer.error
    assert isinstance(error, ResponseError)
    assert (error.status, error.body) == (status, b'{"error": "nope"}')
    assert error.headers == {k.lower(): v for k, v in headers.items()}
    assert f"got HTTP {status} " in str(error)
    assert "expected an HTTP 200 response with Content-Type text/event-stream" in str(error)
    assert 'the body starts \'{"error": "nope"}\'' in str(error)
    assert error.__cause__ is None
    assert answer.reason == str(error)
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
    answer = policy.response_received(403, {}, b"0123456789abcdef")
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, ResponseError)
    assert answer.error.body == b"0123456789"


@pytest.mark.parametrize("status", sorted(DEFAULT_RETRY_STATUSES))
def test_transient_statuses_back_off(status: int) -> None:
    policy = make(NO_JITTER)
    answer = policy.response_received(status, {}, b"busy")
    assert isinstance(answer, Retrying)
    assert (answer.delay, answer.attempt, answer.reason) == (3.0, 1, f"HTTP {status}")
    assert isinstance(answer.error, ResponseError)
    assert answer.error.body == b"busy"
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
    answer = policy.response_received(429, {"Retry-After": retry_after})
    assert isinstance(answer, Retrying)
    assert answer.delay == delay
    assert answer.reason == f"HTTP 429 with Retry-After: {retry_after}"


def test_retry_after_date_without_wall_clock_is_ignored() -> None:
    policy = make(NO_JITTER)
    answer = policy.response_received(503, {"Retry-After": "Sun, 15 Jun 2025 12:01:30 GMT"})
    assert isinstance(answer, Retrying)
    assert answer.delay == 3.0


def test_max_retry_after_is_configurable() -> None:
    policy = make(ReconnectConfig(jitter=0, max_retry_after=600))
    answer = policy.response_received(503, {"retry-after": "500"})
    assert isinstance(answer, Retrying)
    assert answer.delay == 500.0


def test_retry_after_applies_when_the_reconnection_time_is_zero() -> None:
    policy = make(ReconnectConfig(jitter=0, reconnection_time=0))
    answer = policy.response_received(503, {"Retry-After": "2"})
    assert isinstance(answer, Retrying)
    assert answer.delay == 2.0


# --- The decoder the policy owns --------------------------------------------------------


def test_the_policy_makes_its_decoder() -> None:
    policy = make(last_event_id="3")
    decoder = policy.decoder
    assert isinstance(decoder, Decoder)
    assert (decoder.last_event_id, decoder.retry) == ("3", None)
    assert policy.decoder is decoder  # one decoder for the whole stream


def test_a_decoder_can_be_given() -> None:
    decoder = Decoder(last_event_id="5", retry=1500, max_line_size=100)
    policy = make(NO_JITTER, decoder=decoder)
    assert policy.decoder is decoder
    assert (policy.last_event_id, policy.reconnection_time) == ("5", 1.5)
    assert policy.request_headers() == [*DEFAULTS, ("Last-Event-ID", "5")]


def test_a_given_decoder_decides_the_last_event_id_over_the_callers_header() -> None:
    # With a decoder, the caller's Last-Event-ID header is not consulted:
    # the decoder's ID replaces it on the wire.
    policy = make(decoder=Decoder(), headers={"Last-Event-ID": "7"})
    assert policy.last_event_id == ""
    assert policy.request_headers() == DEFAULTS


def test_a_decoder_and_a_last_event_id_are_refused_together() -> None:
    with pytest.raises(ValueError, match="give last_event_id to the Decoder, not with it"):
        make(decoder=Decoder(), last_event_id="1")
    with pytest.raises(ValueError, match="give last_event_id to the Decoder"):
        make(decoder=Decoder(), last_event_id="")
    with pytest.raises(TypeError, match="decoder must be a Decoder, not dict"):
        make(decoder={})


def test_nothing_is_copied_from_the_decoder() -> None:
    policy = opened(EXACT)
    decoder = policy.decoder
    # A retry field takes effect at once, in a chunk without an event.
    assert policy.feed(b"retry: 2500\n") == []
    assert policy.reconnection_time == 2.5
    assert policy.feed(b"id: 7\ndata: x\n\n") == [message("x", id="7", retry=2500)]
    assert policy.last_event_id == "7"
    # Whatever reaches the decoder is what the policy reads next.
    decoder.feed(b"id: 8\nretry: 700\n\n")
    assert (policy.last_event_id, policy.reconnection_time) == ("8", 0.7)
    assert policy.request_headers()[-1] == ("Last-Event-ID", "8")
    assert policy.stream_ended() == Retrying(0.7, "the server ended the stream", 1)


def test_feeding_repeats_and_changes_are_all_seen() -> None:
    policy = opened(NO_JITTER)
    for _ in range(3):
        policy.feed(b"id: 7\nretry: 2500\n\n")
    assert (policy.reconnection_time, policy.last_event_id) == (2.5, "7")
    policy.feed(b"id: 8\nretry: 500\ndata: x\n\n")
    assert (policy.reconnection_time, policy.last_event_id) == (0.5, "8")
    # Fields no decoder accepts change nothing.
    policy.feed(b"id: 9\0\nretry: -2\nretry: 1.5\nretry:\ndata: y\n\n")
    assert (policy.reconnection_time, policy.last_event_id) == (0.5, "8")


def test_reconnecting_drops_a_partial_event_and_keeps_the_rest() -> None:
    policy = opened(NO_JITTER)
    events = policy.feed(b"id: 1\nretry: 800\ndata: a\n\nid: 2\ndata: cut")
    assert events == [message("a", id="1", retry=800)]
    assert isinstance(policy.transport_failed(), Retrying)
    policy.reconnecting()
    policy.response_received(200, SSE)
    # The cut-off block is gone, its id with it.
    assert policy.feed(b" off\n\ndata: b\n\n") == [message("b", id="1")]
    assert (policy.last_event_id, policy.reconnection_time) == ("1", 0.8)


def test_feed_takes_bytes_like_objects_only() -> None:
    policy = opened()
    assert policy.feed(bytearray(b"data: a\n\n")) == [message("a")]
    assert policy.feed(memoryview(b"data: b\n\n")) == [message("b")]
    with pytest.raises(TypeError, match="takes bytes"):
        policy.feed("data: c\n\n")  # type: ignore[arg-type]
    assert policy.state is S.OPEN


@pytest.mark.parametrize("state", [S.CONNECTING, S.WAITING, S.CLOSED])
def test_feeding_outside_open_is_a_policy_error(state: ConnectionState) -> None:
    policy = in_state(state)
    with pytest.raises(PolicyError, match=f"cannot take DATA_RECEIVED in state {state.name}"):
        policy.feed(b"id: 9\nretry: 10\ndata: x\n\n")
    assert policy.state is state
    # The decoder never saw the bytes.
    assert (policy.last_event_id, policy.decoder.retry) == ("", None)


def test_a_limit_error_closes_the_policy() -> None:
    policy = make(decoder=Decoder(max_event_size=5))
    policy.response_received(200, SSE)
    with pytest.raises(EventTooLarge) as info:
        policy.feed(b"id: 1\ndata: a\n\ndata: 0123456789\n\nid: 3\ndata: b\n\n")
    # The events around the oversized one are handed over with the error.
    assert info.value.events == [message("a", id="1"), message("b", id="3")]
    assert policy.state is S.CLOSED
    with pytest.raises(PolicyError):
        policy.stream_ended()
    policy.close()  # harmless


def test_a_line_too_long_closes_the_policy() -> None:
    policy = make(decoder=Decoder(max_line_size=8))
    policy.response_received(200, SSE)
    with pytest.raises(LineTooLong) as info:
        policy.feed(b"data: " + b"x" * 20)
    assert isinstance(info.value, LimitExceeded)
    assert info.value.events == []
    assert policy.state is S.CLOSED


# --- Reconnection time and backoff ------------------------------------------------------


def test_default_reconnection_time() -> None:
    assert DEFAULT_RECONNECTION_TIME == 3.0
    policy = opened(NO_JITTER)
    assert policy.reconnection_time == 3.0
    policy.feed(EVENT)
    assert policy.stream_ended() == Retrying(3.0, "the server ended the stream", 1)


def test_server_retry_replaces_the_reconnection_time_and_survives() -> None:
    policy = opened(NO_JITTER)
    policy.feed(b"retry: 1500\ndata: x\n\n")
    assert policy.reconnection_time == 1.5
    assert policy.stream_ended() == Retrying(1.5, "the server ended the stream", 1)
    policy.reconnecting()
    policy.response_received(200, SSE)
    policy.feed(b"data: y\n\n")  # no retry field this time: the value stays
    assert policy.reconnection_time == 1.5
    answer = policy.transport_failed()
    assert answer == Retrying(1.5, "the connection failed", 1)


def test_retry_without_an_event_still_counts() -> None:
    policy = opened(EXACT)
    assert policy.feed(b"retry: 40\n") == []  # no blank line yet
    assert policy.reconnection_time == 0.04
    answer = policy.transport_failed()  # cut off before the blank line
    assert isinstance(answer, Retrying)
    assert answer.delay == 0.04


def test_a_retry_line_cut_off_does_not_count() -> None:
    policy = opened(NO_JITTER)
    policy.feed(b"retry: 40")  # no line ending: not a field yet
    assert policy.reconnection_time == 3.0


def test_server_retry_is_capped_at_max_delay() -> None:
    policy = opened(NO_JITTER)
    policy.feed(b"retry: " + b"9" * 600 + b"\n")  # far too large for a float
    assert policy.decoder.retry == int("9" * 600)
    assert policy.reconnection_time == 30.0
    answer = policy.stream_ended()
    assert isinstance(answer, Retrying)
    assert answer.delay == 30.0


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = make(ReconnectConfig(jitter=0, max_attempts=None))
    delays = []
    for _ in range(8):
        answer = lose(policy)
        assert isinstance(answer, Retrying)
        delays.append(answer.delay)
    assert delays == [3.0, 6.0, 12.0, 24.0, 30.0, 30.0, 30.0, 30.0]
    assert policy.attempts == 8


def test_backoff_jitter_is_deterministic_with_a_seed() -> None:
    config = ReconnectConfig(max_attempts=None)
    policy = make(config, rng=random.Random(42))
    draws = random.Random(42)
    for attempt in range(1, 9):
        answer = lose(policy)
        assert isinstance(answer, Retrying)
        base = min(30.0, 3.0 * 2 ** (attempt - 1))
        assert answer.delay == base * (1 + 0.5 * draws.random())
        assert base <= answer.delay <= base * 1.5
        assert answer.attempt == attempt


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
    # Bytes without a complete event are not progress: a partial event, a
    # comment, a block without data.
    assert policy.feed(b": keep-alive\n\nid: 5\n\ndata: partial\n") == []
    assert policy.attempts == 3
    assert len(policy.feed(b"\ndata: b\n\n")) == 2
    assert policy.attempts == 0
    assert policy.stream_ended() == Retrying(3.0, "the server ended the stream", 1)


def test_idle_timeout_reconnects() -> None:
    policy = opened(NO_JITTER)
    timeout = TimeoutError("read timed out")
    answer = policy.idle_timed_out(timeout)
    assert answer == Retrying(3.0, "no data arrived within the idle timeout", 1, timeout)
    policy.reconnecting()
    assert isinstance(policy.idle_timed_out(), Retrying)  # waiting for headers, too


def test_an_event_timeout_gives_its_own_reason() -> None:
    policy = opened(NO_JITTER)
    timeout = EventTimeout(2.5)
    answer = policy.idle_timed_out(timeout)
    assert answer == Retrying(3.0, "no event arrived within event_timeout=2.5s", 1, timeout)


def test_transport_error_reasons() -> None:
    policy = make(NO_JITTER)
    assert getattr(policy.transport_failed(OSError("boom")), "reason", None) == "OSError: boom"
    policy.reconnecting()
    assert getattr(policy.transport_failed(ConnectionError()), "reason", None) == "ConnectionError"


def test_zero_reconnection_time_never_grows_without_a_floor() -> None:
    policy = opened(ReconnectConfig(max_attempts=None, min_delay=0))
    policy.feed(b"retry: 0\n")
    for _ in range(1100):  # far past the point where 2.0 ** n overflows
        answer = lose(policy)
        assert isinstance(answer, Retrying)
        assert answer.delay == 0.0


def test_unlimited_attempts_stay_at_the_cap() -> None:
    policy = make(ReconnectConfig(jitter=0, max_attempts=None))
    for _ in range(1100):
        answer = lose(policy)
    assert isinstance(answer, Retrying)
    assert (answer.delay, answer.attempt) == (30.0, 1100)


# --- The floor: min_delay ----------------------------------------------------------------


def test_retry_zero_is_honoured_once_then_failures_back_off_from_the_floor() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(jitter=0, max_attempts=None), clock=clock)
    policy.feed(b"retry: 0\ndata: x\n\n")
    clock.now += 60  # a long, healthy stream
    answer = policy.stream_ended()
    assert answer == Retrying(0.0, "the server ended the stream", 1)
    # The server is down now: each attempt n waits 0.5 * 2 ** (n - 1).
    delays = delays_of_failures(policy, clock, 7)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert policy.reconnection_time == 0.0  # the server's value stays


def test_the_floor_backs_off_a_run_of_streams_without_events() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(jitter=0, max_attempts=None), clock=clock)
    policy.feed(b"retry: 0\n")
    delays = []
    for _ in range(4):
        clock.now += 5  # each stream lasts a while, and delivers nothing
        answer = policy.stream_ended()
        assert isinstance(answer, Retrying)
        delays.append(answer.delay)
        clock.now += answer.delay
        policy.reconnecting()
        policy.response_received(200, SSE)
    assert delays == [0.0, 1.0, 2.0, 4.0]


def test_streams_that_deliver_an_event_and_end_at_once_are_spaced() -> None:
    clock = FakeClock()
    policy = make(ReconnectConfig(jitter=0), clock=clock)
    starts = [clock.now]
    for _ in range(20):
        clock.now += 0.01  # the response
        policy.response_received(200, SSE)
        assert policy.feed(b"retry: 0\ndata: x\n\n")
        clock.now += 0.02  # the server ends the stream at once
        answer = policy.stream_ended()
        assert isinstance(answer, Retrying)
        assert answer.attempt == 1  # every stream delivered an event
        # min_delay from the response on (the policy sees no request start)
        assert answer.delay == pytest.approx(0.48)
        clock.now += answer.delay
        policy.reconnecting()
        starts.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps == pytest.approx([0.51] * 20)
    assert min(gaps) >= 0.5


def test_spacing_counts_from_the_reconnection_not_from_the_policys_creation() -> None:
    clock = FakeClock(100.0)
    policy = make(ReconnectConfig(jitter=0, reconnection_time=0, min_delay=2), clock=clock)
    clock.now += 60  # a source made long before its first request
    answer = policy.transport_failed()
    assert isinstance(answer, Retrying)
    assert answer.delay == 0.0  # the reconnection time: no earlier start is known
    policy.reconnecting()
    clock.now += 0.5
    answer = lose(policy)
    assert isinstance(answer, Retrying)
    assert answer.delay == 4.0  # attempt 2: from the floor, doubled


def test_a_stream_longer_than_the_floor_reconnects_at_once() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(jitter=0), clock=clock)
    policy.feed(b"retry: 0\ndata: x\n\n")
    clock.now += 0.7
    assert policy.stream_ended() == Retrying(0.0, "the server ended the stream", 1)


def test_min_delay_zero_turns_the_floor_off() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(jitter=0, max_attempts=None, min_delay=0), clock=clock)
    policy.feed(b"retry: 0\ndata: x\n\n")
    assert policy.stream_ended() == Retrying(0.0, "the server ended the stream", 1)
    assert delays_of_failures(policy, clock, 5) == [0.0] * 5
    policy.reconnecting()
    policy.response_received(200, SSE)
    policy.feed(b"retry: 100\ndata: x\n\n")
    assert delays_of_failures(policy, clock, 3) == [0.1, 0.2, 0.4]


def test_the_floor_never_exceeds_max_delay() -> None:
    clock = FakeClock()
    config = ReconnectConfig(jitter=0, reconnection_time=1, max_delay=2, min_delay=10)
    policy = make(config, clock=clock)
    assert delays_of_failures(policy, clock, 3) == [1.0, 2.0, 2.0]


def test_jitter_applies_to_the_backoff_from_the_floor() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(max_attempts=None), clock=clock, rng=random.Random(7))
    policy.feed(b"retry: 0\ndata: x\n\n")
    clock.now += 60
    draws = random.Random(7)
    assert policy.stream_ended() == Retrying(0.0, "the server ended the stream", 1)
    draws.random()  # drawn for the first delay too
    for attempt, answer_delay in enumerate(delays_of_failures(policy, clock, 4), start=2):
        base = 0.5 * 2 ** (attempt - 1)
        assert answer_delay == base * (1 + 0.5 * draws.random())


# --- Giving up --------------------------------------------------------------------------


def test_max_attempts_gives_up_with_the_cause_chained() -> None:
    clock = FakeClock()
    policy = make(ReconnectConfig(jitter=0, max_attempts=3), clock=clock)
    for attempt in (1, 2, 3):
        answer = lose(policy)
        assert isinstance(answer, Retrying)
        assert answer.attempt == attempt
        clock.now += answer.delay
    policy.reconnecting()
    last = OSError("connection refused")
    answer = policy.transport_failed(last)
    assert isinstance(answer, Failed)
    error = answer.error
    assert isinstance(error, RetriesExhausted)
    assert isinstance(error, ConnectionFailed)
    assert str(error) == (
        "gave up after 3 reconnection attempts in 21.0s without an event (max_attempts=3); "
        "last failure: OSError: connection refused"
    )
    assert (error.attempts, error.elapsed, error.reason) == (3, 21.0, "OSError: connection refused")
    assert error.__cause__ is last
    assert answer.reason == str(error)
    assert policy.state is S.CLOSED
    with pytest.raises(ConnectionFailed) as info:
        raise answer.error
    assert info.value.__cause__ is last


def test_retries_exhausted_is_a_connection_failure() -> None:
    assert issubclass(RetriesExhausted, ConnectionFailed)
    assert issubclass(ConnectionFailed, SSEError)
    error = RetriesExhausted("gave up", attempts=2, elapsed=1.5, reason="refused")
    assert (error.attempts, error.elapsed, error.reason) == (2, 1.5, "refused")
    assert ConnectionFailed("it broke").reason == "it broke"
    assert ConnectionFailed("it broke", reason="broke").reason == "broke"


def test_one_attempt_is_singular() -> None:
    policy = make(ReconnectConfig(max_attempts=1))
    lose(policy)
    answer = lose(policy)
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, RetriesExhausted)
    assert str(answer.error).startswith("gave up after 1 reconnection attempt in ")


def test_max_attempts_counts_retryable_responses_too() -> None:
    policy = make(ReconnectConfig(max_attempts=1))
    assert isinstance(policy.response_received(503, {}), Retrying)
    policy.reconnecting()
    answer = policy.response_received(502, {}, b"bad gateway")
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, RetriesExhausted)
    assert isinstance(answer.error.__cause__, ResponseError)
    assert answer.error.__cause__.status == 502
    assert "last failure: HTTP 502" in str(answer.error)


def test_a_server_that_keeps_closing_without_events_exhausts_attempts() -> None:
    policy = make(ReconnectConfig(max_attempts=2))
    lose(policy, "end")
    lose(policy, "end")
    answer = lose(policy, "end")
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, RetriesExhausted)
    assert answer.error.__cause__ is None
    assert "last failure: the server ended the stream" in str(answer.error)


def test_max_elapsed_gives_up_with_a_fake_clock() -> None:
    clock = FakeClock(1000.0)
    policy = make(ReconnectConfig(jitter=0, max_attempts=None, max_elapsed=10), clock=clock)
    answer = lose(policy)
    assert isinstance(answer, Retrying)
    assert answer.delay == 3.0
    clock.now += 3.0
    answer = lose(policy)
    assert isinstance(answer, Retrying)
    assert answer.delay == 6.0  # 3 + 6 = 9 seconds after the first failure: allowed
    clock.now += 6.0
    answer = lose(policy)  # 9 + 12 = 21 > 10: give up
    assert isinstance(answer, Failed)
    error = answer.error
    assert isinstance(error, RetriesExhausted)
    assert str(error) == (
        "gave up after 2 reconnection attempts: the next would start 21.0s after the first "
        "failure, past max_elapsed=10s; last failure: ConnectionError: refused"
    )
    assert (error.attempts, error.elapsed) == (2, 9.0)
    assert isinstance(error.__cause__, ConnectionError)
    assert policy.state is S.CLOSED


def test_max_elapsed_shorter_than_the_first_delay_gives_up_at_the_first_failure() -> None:
    policy = make(ReconnectConfig(jitter=0, max_elapsed=1))
    answer = policy.transport_failed()
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, RetriesExhausted)
    assert answer.error.attempts == 0
    assert str(answer.error).startswith("gave up after 0 reconnection attempts: the next would")


def test_max_elapsed_restarts_after_events() -> None:
    clock = FakeClock()
    policy = opened(ReconnectConfig(jitter=0, max_elapsed=5), clock=clock)
    assert isinstance(policy.transport_failed(), Retrying)
    clock.now += 3600  # a long, healthy stream later ...
    policy.reconnecting()
    policy.response_received(200, SSE)
    policy.feed(EVENT)
    assert isinstance(policy.transport_failed(), Retrying)  # ... the count starts over


# --- Failures that are not retried -------------------------------------------------------


@pytest.mark.parametrize("state", [S.CONNECTING, S.OPEN])
def test_a_permanent_failure_fails_at_once(state: ConnectionState) -> None:
    policy = in_state(state, NO_JITTER)
    cause = ValueError("redirected to ftp://example.com/")
    answer = policy.transport_failed(cause, permanent=True)
    assert isinstance(answer, Failed)
    error = answer.error
    assert type(error) is ConnectionFailed
    assert str(error) == (
        "ValueError: redirected to ftp://example.com/ (not retried: it would fail again)"
    )
    assert error.__cause__ is cause
    assert error.__suppress_context__
    assert policy.state is S.CLOSED
    assert policy.attempts == 0


def test_a_permanent_failure_is_not_retried_with_attempts_left_or_without_an_error() -> None:
    policy = make(ReconnectConfig(max_attempts=None))
    lose(policy)
    policy.reconnecting()
    answer = policy.transport_failed(permanent=True)
    assert isinstance(answer, Failed)
    assert type(answer.error) is ConnectionFailed
    assert str(answer.error) == "the connection failed (not retried: it would fail again)"
    assert answer.error.__cause__ is None


def test_a_permanent_failure_while_waiting_is_a_policy_error() -> None:
    policy = in_state(S.WAITING)
    with pytest.raises(PolicyError, match="cannot take TRANSPORT_ERROR in state WAITING"):
        policy.transport_failed(OSError("x"), permanent=True)
    assert policy.state is S.WAITING


@pytest.mark.parametrize("method", ["POST", "post", "PUT", "DELETE"])
def test_non_get_closes_normally_at_end_of_stream(method: str) -> None:
    policy = opened(method=method)
    policy.feed(EVENT)
    answer = policy.stream_ended()
    assert answer == Closed(
        f"the server ended the stream; a {method.upper()} request is only reconnected "
        "with reconnect_non_get=True"
    )
    assert policy.state is S.CLOSED


def test_non_get_fails_on_a_dropped_connection() -> None:
    policy = opened(method="POST")
    cause = ConnectionResetError("reset by peer")
    answer = policy.transport_failed(cause)
    assert isinstance(answer, Failed)
    assert type(answer.error) is ConnectionFailed  # no reconnection was attempted
    assert str(answer.error) == (
        "ConnectionResetError: reset by peer (not reconnecting: a POST request is only "
        "reconnected with reconnect_non_get=True)"
    )
    assert answer.error.__cause__ is cause
    assert policy.state is S.CLOSED


def test_a_connection_failure_reason_is_the_failure() -> None:
    answer = opened(method="POST").transport_failed(ConnectionResetError("reset by peer"))
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, ConnectionFailed)
    assert answer.error.reason == "ConnectionResetError: reset by peer"


def test_non_get_fails_on_a_retryable_status_with_the_response() -> None:
    policy = make(method="POST")
    answer = policy.response_received(429, {"Retry-After": "1"}, b"slow down")
    assert isinstance(answer, Failed)
    error = answer.error
    assert type(error) is ResponseError  # the response is the whole story
    assert (error.status, error.body) == (429, b"slow down")
    assert error.__cause__ is None
    assert policy.state is S.CLOSED


def test_non_get_fails_on_an_idle_timeout() -> None:
    policy = opened(method="POST")
    timeout = EventTimeout(1.5)
    answer = policy.idle_timed_out(timeout)
    assert isinstance(answer, Failed)
    assert type(answer.error) is ConnectionFailed
    assert str(answer.error) == (
        "no event arrived within event_timeout=1.5s (not reconnecting: a POST request is "
        "only reconnected with reconnect_non_get=True)"
    )
    assert answer.error.__cause__ is timeout


def test_non_get_reconnects_when_asked() -> None:
    policy = opened(ReconnectConfig(jitter=0, reconnect_non_get=True), method="POST")
    assert policy.stream_ended() == Retrying(3.0, "the server ended the stream", 1)


def test_lowercase_get_reconnects() -> None:
    assert isinstance(opened(method="get").stream_ended(), Retrying)


def test_max_attempts_zero_disables_reconnection() -> None:
    config = ReconnectConfig(max_attempts=0)
    policy = opened(config)
    policy.feed(EVENT)
    answer = policy.stream_ended()
    assert answer == Closed(
        "the server ended the stream; reconnection is disabled (max_attempts=0)"
    )
    answer = make(config).idle_timed_out()
    assert isinstance(answer, Failed)
    assert type(answer.error) is ConnectionFailed
    assert str(answer.error) == (
        "no data arrived within the idle timeout "
        "(not reconnecting: reconnection is disabled (max_attempts=0))"
    )
    assert answer.error.__cause__ is None
    cause = OSError("refused")
    answer = make(config).transport_failed(cause)
    assert isinstance(answer, Failed)
    assert type(answer.error) is ConnectionFailed
    assert answer.error.__cause__ is cause
    refused = make(config).response_received(503, {}, b"busy")
    assert isinstance(refused, Failed)
    assert type(refused.error) is ResponseError
    assert refused.error.status == 503


# --- Configuration ---------------------------------------------------------------------


def test_config_defaults() -> None:
    config = ReconnectConfig()
    assert dataclasses.asdict(config) == {
        "reconnection_time": 3.0,
        "backoff_multiplier": 2.0,
        "min_delay": 0.5,
        "max_delay": 30.0,
        "jitter": 0.5,
        "max_attempts": 10,
        "max_elapsed": None,
        "retry_statuses": frozenset({429, 502, 503, 504}),
        "max_retry_after": 120.0,
        "max_error_body": 4096,
        "error_body_timeout": 1.0,
        "reconnect_non_get": False,
    }
    assert make().config == config
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.jitter = 0  # type: ignore[misc]


def test_config_accepts_zero_floors_and_timeouts() -> None:
    config = ReconnectConfig(min_delay=0, error_body_timeout=0, max_delay=0, reconnection_time=0)
    assert (config.min_delay, config.error_body_timeout) == (0, 0)
    assert ReconnectConfig(min_delay=100).min_delay == 100  # above max_delay: capped in use


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"reconnection_time": -1}, ValueError),
        ({"reconnection_time": 31}, ValueError),  # above max_delay
        ({"reconnection_time": "3"}, TypeError),
        ({"max_delay": True}, TypeError),
        ({"max_delay": float("inf")}, ValueError),
        ({"max_delay": float("nan")}, ValueError),
        ({"min_delay": -0.1}, ValueError),
        ({"min_delay": float("inf")}, ValueError),
        ({"min_delay": None}, TypeError),
        ({"backoff_multiplier": 0.5}, ValueError),
        ({"jitter": 1.5}, ValueError),
        ({"jitter": -0.1}, ValueError),
        ({"max_attempts": -1}, ValueError),
        ({"max_attempts": 1.5}, TypeError),
        ({"max_elapsed": -1}, ValueError),
        ({"max_retry_after": -1}, ValueError),
        ({"max_error_body": -1}, ValueError),
        ({"max_error_body": None}, TypeError),
        ({"error_body_timeout": -1}, ValueError),
        ({"error_body_timeout": float("nan")}, ValueError),
        ({"error_body_timeout": float("inf")}, ValueError),
        ({"error_body_timeout": "1"}, TypeError),
        ({"error_body_timeout": None}, TypeError),
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
    with pytest.raises(ValueError, match=r"min_delay must be a number >= 0, not -1"):
        ReconnectConfig(min_delay=-1)
    with pytest.raises(TypeError, match=r"error_body_timeout must be a number, not str"):
        ReconnectConfig(error_body_timeout="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"error_body_timeout must be a number >= 0, not -0.5"):
        ReconnectConfig(error_body_timeout=-0.5)


def test_policy_argument_types() -> None:
    with pytest.raises(TypeError, match="ReconnectConfig"):
        make({"jitter": 0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="method"):
        make(method=b"GET")


# --- Properties ----------------------------------------------------------------------------

ACTIONS = st.sampled_from(sorted(I, key=lambda i: i.value))
CONFIGS = st.builds(
    ReconnectConfig,
    reconnection_time=st.floats(0, 5),
    backoff_multiplier=st.floats(1, 4),
    min_delay=st.floats(0, 10),
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
        answer = DRIVE[event](policy)
        if target is S.WAITING:
            # Either it waits, or it gives up and closes.
            assert isinstance(answer, Retrying) == (policy.state is S.WAITING)
            assert policy.state in {S.WAITING, S.CLOSED}
        else:
            assert policy.state is target
        if config.max_attempts is not None:
            assert policy.attempts <= config.max_attempts


FAILURES = st.one_of(
    st.just("drop"),
    st.just("end"),
    st.just("event-then-end"),
    st.integers(0, 10**9).map(lambda ms: ("retry", ms)),
    st.text(max_size=12).map(lambda v: ("retry-after", v)),
    st.integers(0, 10**6).map(lambda s: ("retry-after", str(s))),
)


def fail_once(policy: ReconnectPolicy, failure: Any) -> Opened | Answer:
    """Make one request that ends in ``failure``."""
    if failure == "drop":
        return policy.transport_failed()
    if failure[0] == "retry-after":
        return policy.response_received(503, {"Retry-After": failure[1]})
    policy.response_received(200, SSE)
    if failure == "event-then-end":
        policy.feed(EVENT)
    elif failure[0] == "retry":
        policy.feed(b"retry: %d\n" % failure[1])
        return policy.transport_failed()
    return policy.stream_ended()


@settings(max_examples=300, deadline=None)
@given(
    config=CONFIGS,
    seed=st.integers(0, 2**32),
    failures=st.lists(FAILURES, max_size=30),
)
def test_delays_are_bounded(config: ReconnectConfig, seed: int, failures: list[Any]) -> None:
    config = dataclasses.replace(config, max_attempts=None, max_elapsed=None)
    policy = make(config, rng=random.Random(seed))
    ceiling = max(config.max_delay * (1 + config.jitter), config.max_retry_after)
    for failure in failures:
        if policy.state is S.WAITING:
            policy.reconnecting()
        answer = fail_once(policy, failure)
        assert isinstance(answer, Retrying)
        assert 0.0 <= answer.delay <= ceiling


@settings(max_examples=300, deadline=None)
@given(
    config=CONFIGS,
    seed=st.integers(0, 2**32),
    steps=st.lists(st.tuples(FAILURES, st.floats(0, 3)), max_size=30),
)
def test_requests_start_at_least_the_floor_apart(
    config: ReconnectConfig, seed: int, steps: list[tuple[Any, float]]
) -> None:
    config = dataclasses.replace(config, max_attempts=None, max_elapsed=None)
    clock = FakeClock()
    policy = make(config, rng=random.Random(seed), clock=clock)
    floor = min(config.min_delay, config.max_delay)
    started = None  # the policy cannot know when the first request started
    for failure, duration in steps:
        clock.now += duration  # how long this request lasted
        answer = fail_once(policy, failure)
        assert isinstance(answer, Retrying)
        if answer.attempt > 1:
            # A run of failures backs off from the floor at least.
            assert answer.delay >= floor
        clock.now += answer.delay
        policy.reconnecting()
        if started is not None:
            assert clock.now - started >= floor - 1e-9
        started = clock.now
