"""StreamCore (the adapters' shared sans-IO part) and the adapters' option checks."""

from __future__ import annotations

import random

import anyio
import pytest

from ssec_proto import (
    Closed,
    Connecting,
    EventTimeout,
    Fail,
    Failed,
    LineTooLong,
    Opened,
    Proceed,
    Reconnect,
    ReconnectConfig,
    Retrying,
    Stop,
)
from ssec_proto._client import StreamCore
from ssec_proto.adapters.httpx import aconnect, connect

from .helpers import message

SSE = [("Content-Type", "text/event-stream")]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(**options: object) -> tuple[StreamCore, list[object], FakeClock]:
    seen: list[object] = []
    clock = FakeClock()
    core = StreamCore(
        rng=random.Random(0),
        clock=clock,
        on_lifecycle=seen.append,
        reconnect=ReconnectConfig(reconnection_time=1, jitter=0),
        **options,  # type: ignore[arg-type]
    )
    return core, seen, clock


def test_a_whole_connection_cycle() -> None:
    core, seen, _ = make(headers={"X-A": "1"}, last_event_id="4")
    headers = dict(core.request_headers())
    assert headers[b"Last-Event-ID"] == b"4"
    assert headers[b"X-A"] == b"1"
    assert isinstance(core.response_received(200, SSE), Proceed)
    assert core.feed(b"id: 5\ndata: x\n\n") == ([message("x", id="5")], None)
    advice = core.stream_ended()
    assert isinstance(advice, Reconnect)
    assert advice.delay == 1
    core.reconnecting()
    assert dict(core.request_headers())[b"Last-Event-ID"] == b"5"
    assert isinstance(core.response_received(204, []), Stop)
    assert [type(c) for c in seen] == [Connecting, Opened, Retrying, Connecting, Closed]


def test_decoder_state_survives_reconnects_but_partial_events_do_not() -> None:
    core, _, _ = make()
    core.request_headers()
    core.response_received(200, SSE)
    core.feed(b"retry: 250\nid: 1\ndata: a\n\nid: 2\ndata: cut")
    advice = core.transport_failed(ConnectionResetError())
    assert isinstance(advice, Reconnect)
    assert advice.delay == 0.25
    core.reconnecting()
    core.response_received(200, SSE)
    assert core.feed(b"off\n\ndata: b\n\n") == ([message("b", id="1")], None)
    assert core.last_event_id == "1"


def test_needs_body_only_for_failures() -> None:
    core, _, _ = make()
    assert not core.needs_body(200, SSE)
    assert not core.needs_body(204, [])
    assert core.needs_body(404, [])
    assert core.needs_body(503, [])
    assert core.max_error_body == 4096


def test_limit_errors_close_the_stream() -> None:
    core, seen, _ = make(max_line_size=10)
    core.request_headers()
    core.response_received(200, SSE)
    events, advice = core.feed(b"data: 1\n\ndata: 0123456789\n")
    assert events == [message("1")]
    assert isinstance(advice, Fail)
    assert isinstance(advice.error, LineTooLong)
    assert advice.error.events == [message("1")]
    assert isinstance(seen[-1], Failed)
    core.close()  # already closed: nothing more is reported
    assert isinstance(seen[-1], Failed)


def test_event_timeout_counts_events_not_comments() -> None:
    core, _, clock = make(event_timeout=10)
    core.request_headers()
    core.response_received(200, SSE)
    clock.now += 5
    assert core.feed(b": keep-alive\n") == ([], None)
    clock.now += 4
    assert core.feed(b"data: x\n\n") == ([message("x")], None)
    clock.now += 9
    assert core.feed(b": keep-alive\n") == ([], None)
    clock.now += 2
    events, advice = core.feed(b": keep-alive\n")
    assert events == []
    assert isinstance(advice, Reconnect)
    assert isinstance(advice.error, EventTimeout)
    assert "event_timeout=10" in str(advice.error)


def test_failures_are_reported_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    core, seen, _ = make()
    core.request_headers()
    advice = core.response_received(404, [], b"missing")
    assert isinstance(advice, Fail)
    assert isinstance(seen[-1], Failed)
    assert "stream failed" in caplog.text


def test_without_a_lifecycle_callback() -> None:
    core = StreamCore(rng=random.Random(0))
    core.request_headers()
    assert isinstance(core.response_received(204, []), Stop)
    core.close()


@pytest.mark.parametrize("bad", [0, -1, float("inf"), "5"])
def test_event_timeout_is_validated(bad: object) -> None:
    with pytest.raises(ValueError, match="event_timeout"):
        StreamCore(event_timeout=bad)  # type: ignore[arg-type]


def test_adapter_options_are_validated() -> None:
    with pytest.raises(ValueError, match="idle_timeout"):
        connect("http://127.0.0.1:1/", idle_timeout=0)
    with pytest.raises(TypeError, match="reconnect"):
        connect("http://127.0.0.1:1/", reconnect="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event_timeout"):
        aconnect("http://127.0.0.1:1/", event_timeout=-1)


def test_reconnect_true_means_the_defaults() -> None:
    source = connect("http://127.0.0.1:1/", reconnect=True)
    assert source._core.policy.config == ReconnectConfig()
    source.close()  # before iterating: nothing to release but the own client
    assert source._client.is_closed


def test_async_close_before_iterating() -> None:
    async def main() -> None:
        source = aconnect("http://127.0.0.1:1/", reconnect=False)
        await source.aclose()
        assert source._client.is_closed

    anyio.run(main)
