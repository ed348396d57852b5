"""The driver kit: the loop's sans-IO half (`Stream`) and the loop over a scripted transport.

The loop's I/O goes through a transport, so a transport that plays back a
script (responses, chunks, failures) exercises every branch of the loop in
memory; the same loop runs against real servers in ``tests/test_adapters.py``
for every adapter and for the "Write your own driver" example.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import anyio
import pytest

from ssec_proto import (
    Closed,
    Connecting,
    ConnectionFailed,
    EventTimeout,
    Failed,
    LineTooLong,
    Opened,
    ReconnectConfig,
    ResponseError,
    RetriesExhausted,
    Retrying,
)
from ssec_proto.driver import (
    AsyncEventSource,
    EventSource,
    Failure,
    Request,
    Response,
    StreamOptions,
    Transport,
)
from ssec_proto.driver._stream import Ending, Stream

from .helpers import message

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from typing_extensions import Unpack

    from ssec_proto import Lifecycle

SSE = [("Content-Type", "text/event-stream")]
QUICK = ReconnectConfig(reconnection_time=0, min_delay=0, jitter=0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(**options: Any) -> tuple[Stream, list[Lifecycle], FakeClock]:
    seen: list[Lifecycle] = []
    clock = FakeClock()
    options.setdefault("reconnect", ReconnectConfig(reconnection_time=1, jitter=0, min_delay=0))
    options["on_lifecycle"] = seen.append
    stream = Stream("http://example/", cast("StreamOptions", options), clock=clock)
    return stream, seen, clock


def ok() -> Response[None]:
    return Response(200, SSE, None)


# --- Stream: the decisions ------------------------------------------------------


def test_a_whole_connection_cycle() -> None:
    stream, seen, _ = make(headers={"X-A": "1"}, last_event_id="4", params={"q": "1"})
    request = stream.request()
    assert request == Request(
        "http://example/",
        "GET",
        [
            (b"X-A", b"1"),
            (b"Accept", b"text/event-stream"),
            (b"Cache-Control", b"no-store"),
            (b"Last-Event-ID", b"4"),
        ],
        params={"q": "1"},
        read_timeout=300.0,
    )
    assert isinstance(stream.response_received(ok(), b""), Opened)
    assert stream.feed(b"id: 5\ndata: x\n\n") == [message("x", id="5")]
    answer = stream.stream_ended()
    assert isinstance(answer, Retrying)
    assert answer.delay == 1
    stream.reconnecting()
    assert (b"Last-Event-ID", b"5") in stream.request().headers
    assert isinstance(stream.response_received(Response(204, [], None), b""), Closed)
    assert [type(c) for c in seen] == [Connecting, Opened, Retrying, Connecting, Closed]
    assert seen[1] == Opened(200, {"content-type": "text/event-stream"})


def test_decoder_state_survives_reconnects_but_partial_events_do_not() -> None:
    stream, _, _ = make()
    stream.request()
    stream.response_received(ok(), b"")
    stream.feed(b"retry: 250\nid: 1\ndata: a\n\nid: 2\ndata: cut")
    answer = stream.failed(ConnectionResetError(), Failure.TRANSIENT)
    assert isinstance(answer, Retrying)
    assert answer.delay == 0.25
    stream.reconnecting()
    stream.request()
    stream.response_received(ok(), b"")
    assert stream.feed(b"off\n\ndata: b\n\n") == [message("b", id="1")]
    assert stream.last_event_id == "1"


def test_a_header_last_event_id_is_where_the_stream_resumes() -> None:
    stream, _, _ = make(headers=[(b"Last-Event-ID", b"9")])
    assert stream.last_event_id == "9"
    assert stream.request().headers[-1] == (b"Last-Event-ID", b"9")


def test_an_excerpt_only_for_failures() -> None:
    stream, _, clock = make(reconnect=ReconnectConfig(max_error_body=8, error_body_timeout=2))
    assert stream.excerpt(ok()) is None
    assert stream.excerpt(Response(204, [], None)) is None
    excerpt = stream.excerpt(Response(404, [], None))
    assert excerpt is not None
    assert excerpt.read_timeout == 2
    assert not excerpt.add(b"abc")
    assert excerpt.add(b"defghij")  # the byte limit
    assert excerpt.data == b"abcdefghij"
    excerpt = stream.excerpt(Response(503, [], None))
    assert excerpt is not None
    assert not excerpt.add(b"a")
    clock.now += 2
    assert excerpt.add(b"b")  # the time limit


def test_an_excerpt_waits_no_longer_than_the_idle_timeout() -> None:
    stream, _, _ = make(idle_timeout=0.5)
    excerpt = stream.excerpt(Response(500, [], None))
    assert excerpt is not None
    assert excerpt.read_timeout == 0.5


@pytest.mark.parametrize(
    "config", [ReconnectConfig(max_error_body=0), ReconnectConfig(error_body_timeout=0)]
)
def test_no_excerpt_when_none_is_wanted(config: ReconnectConfig) -> None:
    stream, _, _ = make(reconnect=config)
    assert stream.excerpt(Response(500, [], None)) is None


def test_a_limit_error_ends_the_stream_after_its_events() -> None:
    stream, seen, _ = make(max_line_size=10)
    stream.request()
    stream.response_received(ok(), b"")
    with pytest.raises(Ending) as info:
        stream.feed(b"data: 1\n\ndata: 0123456789\n")
    assert info.value.events == [message("1")]
    answer = info.value.answer
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, LineTooLong)
    assert seen[-1] == answer
    stream.close("closed by the caller")  # already closed: nothing more is reported
    assert seen[-1] == answer


def test_event_timeout_counts_events_not_comments() -> None:
    stream, _, clock = make(event_timeout=10)
    stream.request()
    stream.response_received(ok(), b"")
    clock.now += 5
    assert stream.feed(b": keep-alive\n") == []
    clock.now += 4
    assert stream.feed(b"data: x\n\n") == [message("x")]
    clock.now += 9
    assert stream.feed(b": keep-alive\n") == []
    clock.now += 2
    with pytest.raises(Ending) as info:
        stream.feed(b": keep-alive\n")
    answer = info.value.answer
    assert info.value.events == []
    assert isinstance(answer, Retrying)
    assert isinstance(answer.error, EventTimeout)
    assert answer.reason == "no event arrived within event_timeout=10s"


def test_failures_are_reported_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    stream, seen, _ = make()
    stream.request()
    answer = stream.response_received(Response(404, [], None), b"missing")
    assert isinstance(answer, Failed)
    assert isinstance(answer.error, ResponseError)
    assert answer.error.body == b"missing"
    assert seen[-1] == answer
    assert "stream failed" in caplog.text


def test_failure_kinds() -> None:
    stream, _, _ = make()
    stream.request()
    timeout = stream.failed(TimeoutError(), Failure.TIMEOUT)
    assert isinstance(timeout, Retrying)
    assert timeout.reason == "no data arrived within the idle timeout"
    stream.reconnecting()
    stream.request()
    permanent = stream.failed(ValueError("bad redirect"), Failure.PERMANENT)
    assert isinstance(permanent, Failed)
    assert isinstance(permanent.error, ConnectionFailed)
    assert isinstance(permanent.error.__cause__, ValueError)


def test_an_error_that_is_not_the_transports_is_raised_as_it_is() -> None:
    stream, _, _ = make()
    stream.request()
    error = TypeError("not JSON serializable")
    with pytest.raises(TypeError) as info:
        stream.failed(error, None)
    assert info.value is error


def test_the_library_logs_but_never_prints(capsys: pytest.CaptureFixture[str]) -> None:
    # With no logging configured, Python's last-resort handler prints
    # warnings to stderr, unless the library's logger has a handler.
    root = logging.getLogger()
    handlers = root.handlers[:]
    root.handlers.clear()
    try:
        stream, _, _ = make()
        stream.request()
        stream.response_received(Response(404, [], None), b"")
    finally:
        root.handlers[:] = handlers
    assert capsys.readouterr().err == ""


def test_without_a_lifecycle_callback() -> None:
    stream = Stream("http://example/", StreamOptions())
    stream.request()
    assert isinstance(stream.response_received(Response(204, [], None), b""), Closed)
    stream.close("closed by the caller")


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"idle_timeout": 0}, ValueError, "idle_timeout"),
        ({"idle_timeout": float("nan")}, ValueError, "idle_timeout"),
        ({"event_timeout": -1}, ValueError, "event_timeout"),
        ({"event_timeout": float("inf")}, ValueError, "event_timeout"),
        ({"event_timeout": True}, ValueError, "event_timeout"),
        ({"reconnect": "yes"}, TypeError, "reconnect must be"),
        ({"json": {}, "content": b""}, ValueError, "json and content"),
        ({"max_line_size": 0}, ValueError, "max_line_size"),
        ({"last_event_id": "a\nb"}, ValueError, "last_event_id"),
        ({"headers": {"X": 1}}, TypeError, "header names and values"),
        ({"bogus": 1}, TypeError, "unexpected option bogus; the options are"),
        ({"bogus": 1, "other": 2}, TypeError, "unexpected options bogus, other"),
    ],
)
def test_options_are_checked(options: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        Stream("http://example/", options)  # type: ignore[arg-type]


@pytest.mark.parametrize("reconnect", [True, None])
def test_reconnect_true_or_none_means_the_defaults(reconnect: bool | None) -> None:
    stream = Stream("http://example/", StreamOptions(reconnect=reconnect))
    assert stream.policy.config == ReconnectConfig()


def test_reconnect_false_never_reconnects() -> None:
    stream = Stream("http://example/", StreamOptions(reconnect=False))
    stream.request()
    answer = stream.failed(ConnectionRefusedError(), Failure.TRANSIENT)
    assert isinstance(answer, Failed)
    assert type(answer.error) is ConnectionFailed


# --- The loop, over a transport that plays back a script -----------------------


@dataclass
class Scripted:
    """What one request gets: a failure, or a response and its body."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: list(SSE))
    body: list[bytes | Exception] = field(default_factory=list)
    error: Exception | None = None


class Boom(Exception):
    """A failure the scripted transport calls its own."""


class ScriptedTransport(Transport[Scripted]):
    def __init__(self, *script: Scripted) -> None:
        self.script = list(script)
        self.requests: list[Request] = []
        self.released = 0
        self.slept: list[float] = []
        self.closed = False
        self.read_timeouts: list[float | None] = []

    def send(self, request: Request) -> Response[Scripted]:
        self.requests.append(request)
        step = self.script.pop(0)
        if step.error is not None:
            raise step.error
        return Response(step.status, step.headers, step)

    def body(self, response: Response[Scripted], read_timeout: float | None) -> Iterator[bytes]:
        self.read_timeouts.append(read_timeout)
        for piece in response.raw.body:
            if isinstance(piece, Exception):
                raise piece
            yield piece

    def release(self, response: Response[Scripted]) -> None:
        self.released += 1

    def classify(self, error: Exception) -> Failure | None:
        if isinstance(error, Boom):
            return Failure.TRANSIENT
        if isinstance(error, TimeoutError):
            return Failure.TIMEOUT
        return None

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def close(self) -> None:
        self.closed = True


class AsyncScriptedTransport:
    """The same script, awaited."""

    def __init__(self, *script: Scripted) -> None:
        self.sync = ScriptedTransport(*script)
        self.closed_bodies = 0

    async def send(self, request: Request) -> Response[Scripted]:
        return self.sync.send(request)

    async def _body(
        self, response: Response[Scripted], read_timeout: float | None
    ) -> AsyncIterator[bytes]:
        try:
            for piece in self.sync.body(response, read_timeout):
                yield piece
        finally:
            self.closed_bodies += 1

    def body(
        self, response: Response[Scripted], read_timeout: float | None
    ) -> AsyncIterator[bytes]:
        return self._body(response, read_timeout)

    async def release(self, response: Response[Scripted]) -> None:
        self.sync.release(response)

    def classify(self, error: Exception) -> Failure | None:
        return self.sync.classify(error)

    async def sleep(self, seconds: float) -> None:
        self.sync.slept.append(seconds)

    async def close(self) -> None:
        self.sync.close()


def follow(transport: ScriptedTransport, **options: Unpack[StreamOptions]) -> tuple[list[Any], Any]:
    """Iterate a source to its end; the events and the error it ended with."""
    options.setdefault("reconnect", QUICK)
    got: list[Any] = []
    with EventSource(transport, "http://example/", **options) as source:
        try:
            got.extend(source)
        except Exception as exc:  # the test looks at it
            return got, exc
    return got, None


def afollow(
    transport: AsyncScriptedTransport, **options: Unpack[StreamOptions]
) -> tuple[list[Any], Any]:
    options.setdefault("reconnect", QUICK)
    got: list[Any] = []
    error: list[Exception] = []

    async def main() -> None:
        async with AsyncEventSource(transport, "http://example/", **options) as source:
            try:
                async for event in source:
                    got.append(event)  # noqa: PERF401 - keeps those before an error
            except Exception as exc:  # the test looks at it
                error.append(exc)

    anyio.run(main)
    return got, error[0] if error else None


BOTH = pytest.mark.parametrize("mode", ["sync", "async"])


def run_script(
    mode: str, *script: Scripted, **options: Any
) -> tuple[list[Any], Any, ScriptedTransport]:
    if mode == "sync":
        transport = ScriptedTransport(*script)
        return (*follow(transport, **options), transport)
    atransport = AsyncScriptedTransport(*script)
    return (*afollow(atransport, **options), atransport.sync)


@BOTH
def test_a_stream_that_drops_and_resumes(mode: str) -> None:
    events, error, transport = run_script(
        mode,
        Scripted(body=[b"id: 1\ndata: a\n\n", b"id: 2\nda", Boom("reset")]),
        Scripted(error=Boom("refused")),
        Scripted(body=[b"id: 2\ndata: b\n\n"]),
        Scripted(status=204, headers=[]),
    )
    assert error is None
    assert events == [message("a", id="1"), message("b", id="2")]
    sent = [dict(r.headers).get(b"Last-Event-ID") for r in transport.requests]
    assert sent == [None, b"1", b"1", b"2"]
    assert transport.released == 3
    assert transport.slept == [0, 0, 0]
    assert transport.closed


@BOTH
def test_events_before_a_limit_error_are_delivered_first(mode: str) -> None:
    events, error, transport = run_script(
        mode, Scripted(body=[b"data: 1\n\ndata: 0123456789\n\ndata: 2\n\n"]), max_line_size=10
    )
    # Every event the chunk completed, before and after the bad one, first.
    assert events == [message("1"), message("2")]
    assert isinstance(error, LineTooLong)
    assert error.events == events
    assert transport.released == 1


@BOTH
def test_a_limit_error_after_the_first_events_ends_the_stream_alike(mode: str) -> None:
    # After a connection's first events the loop calls the decoder's own
    # feed() (Stream.direct_feed); a limit error there ends it the same way.
    events, error, transport = run_script(
        mode,
        Scripted(body=[b"data: 1\n\n", b"data: 2\n\ndata: 0123456789\n\ndata: 3\n\n"]),
        max_line_size=10,
    )
    assert events == [message("1"), message("2"), message("3")]
    assert isinstance(error, LineTooLong)
    assert error.events == [message("2"), message("3")]
    assert transport.released == 1


@BOTH
def test_an_event_timeout_reconnects(mode: str) -> None:
    events, error, _ = run_script(
        mode,
        Scripted(body=[b": ping\n"]),
        reconnect=ReconnectConfig(max_attempts=0),
        event_timeout=1e-9,
    )
    assert events == []
    assert isinstance(error, ConnectionFailed)
    assert isinstance(error.__cause__, EventTimeout)
    assert "no event arrived within event_timeout" in str(error)


@BOTH
def test_an_error_response_is_judged_with_the_start_of_its_body(mode: str) -> None:
    events, error, transport = run_script(
        mode,
        Scripted(status=404, headers=[], body=[b"not ", b"found", b" and more"]),
        reconnect=ReconnectConfig(max_error_body=8),
    )
    assert events == []
    assert isinstance(error, ResponseError)
    assert error.body == b"not foun"
    assert transport.read_timeouts == [1.0]  # error_body_timeout, not the idle timeout


@BOTH
def test_a_broken_or_slow_error_body_keeps_what_arrived(mode: str) -> None:
    events, error, _ = run_script(
        mode, Scripted(status=500, headers=[], body=[b"partial", TimeoutError()])
    )
    assert events == []
    assert isinstance(error, ResponseError)
    assert error.status == 500
    assert error.body == b"partial"


@BOTH
def test_a_bug_in_the_error_body_is_not_hidden(mode: str) -> None:
    _, error, _ = run_script(mode, Scripted(status=500, headers=[], body=[KeyError("bug")]))
    assert isinstance(error, KeyError)


@BOTH
def test_an_error_the_transport_does_not_know_propagates(mode: str) -> None:
    _, error, transport = run_script(mode, Scripted(error=TypeError("not JSON serializable")))
    assert isinstance(error, TypeError)
    assert transport.closed


@BOTH
def test_an_idle_timeout_in_the_body_gives_up_after_the_attempts(mode: str) -> None:
    _, error, transport = run_script(
        mode,
        Scripted(body=[TimeoutError()]),
        Scripted(body=[TimeoutError()]),
        reconnect=ReconnectConfig(reconnection_time=0, min_delay=0, max_attempts=1),
    )
    assert isinstance(error, RetriesExhausted)
    assert isinstance(error.__cause__, TimeoutError)
    assert len(transport.requests) == 2


@BOTH
def test_closing_before_iterating_sends_nothing(mode: str) -> None:
    seen: list[Lifecycle] = []
    if mode == "sync":
        transport = ScriptedTransport(Scripted(body=[b"data: x\n\n"]))
        source = EventSource(transport, "http://example/", on_lifecycle=seen.append)
        source.close()
        assert list(source) == []
        assert source.response is None
        sync = transport
    else:
        atransport = AsyncScriptedTransport(Scripted(body=[b"data: x\n\n"]))

        async def main() -> None:
            source = AsyncEventSource(atransport, "http://example/", on_lifecycle=seen.append)
            await source.aclose()
            assert [e async for e in source] == []

        anyio.run(main)
        sync = atransport.sync
    assert sync.requests == []
    assert sync.closed
    assert seen == [Closed("closed by the caller")]


def test_closing_mid_stream_releases_the_response() -> None:
    transport = ScriptedTransport(Scripted(body=[b"data: 1\n\ndata: 2\n\n", b"data: 3\n\n"]))
    seen: list[Lifecycle] = []
    with EventSource(transport, "http://example/", on_lifecycle=seen.append) as source:
        assert next(source) == message("1")
        assert source.response is not None
        assert source.response.status == 200
        assert source.last_event_id == ""
    assert transport.released == 1
    assert list(source) == []
    assert seen[-1] == Closed("closed by the caller")


def test_an_async_body_is_closed_when_the_stream_stops_early() -> None:
    transport = AsyncScriptedTransport(Scripted(body=[b"data: 1\n\n", b"data: 2\n\n"]))

    async def main() -> None:
        async with AsyncEventSource(transport, "http://example/") as source:
            async for _ in source:
                break

    anyio.run(main)
    assert transport.closed_bodies == 1
    assert transport.sync.released == 1


def test_the_default_sleep_and_close() -> None:
    transport = ScriptedTransport()
    Transport.sleep(transport, 0)
    Transport.close(transport)
    assert not transport.closed
