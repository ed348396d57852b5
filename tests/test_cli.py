"""The ``ssec-proto`` command, against real servers on 127.0.0.1.

The command runs two ways: as the real thing in a subprocess (``python -m
ssec_proto``), and in-process through ``main(argv)``, which is what coverage
measures. Following a stream is a table of :class:`Scenario`; each runs
in-process in a test of its own, and those marked ``subprocess`` also run as
the real command, all at once (most of a run is importing httpx). ``decode``
tests run both ways (the ``ssec`` fixture); signals, broken pipes and live
input are tested on the real command, odd branches in-process only. The
console examples of docs/cli.md run verbatim.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssec_proto import Decoder, LimitExceeded
from ssec_proto.cli import EXIT_CODES, ExitCode, main
from ssec_proto.cli._decode import _Decoding
from ssec_proto.strategies import chunkings

from .servers import (
    Conn,
    RawServer,
    RecordedRequest,
    Resumable,
    respond,
    resumable,
    stall,
    status,
    stream,
    then_204,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .servers import Handler

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "ssec_proto"]
#: No subprocess may run longer than this.
TIMEOUT = 20.0
#: Quick reconnections for the tests; delays still come from the policy.
FAST = ["--reconnection-time", "0.01"]


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return {**env, "PYTHONUTF8": "1", **extra}


def run_process(*args: str, stdin: bytes = b"", **env: str) -> Result:
    """Run the real command, ``python -m ssec_proto``."""
    done = subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        env=_env(**env),
        check=False,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture
def run_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run ``main(argv)`` in this process, with ``stdin`` as its standard input."""

    def run(*args: str, stdin: bytes = b"") -> Result:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture(params=["process", "main"])
def ssec(request: pytest.FixtureRequest) -> Callable[..., Result]:
    """The command under test: a subprocess, or ``main()`` in-process."""
    if request.param == "process":
        return run_process
    runner: Callable[..., Result] = request.getfixturevalue("run_main")
    return runner


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


def read_until(proc: subprocess.Popen[bytes], needle: bytes, timeout: float = 10.0) -> bytes:
    """Read the subprocess's stdout until ``needle`` shows up (bounded in time)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(remaining, 0))
        if not ready:
            pytest.fail(f"no {needle!r} on stdout within {timeout} s; got {seen!r}")
        chunk = os.read(fd, 65536)
        if not chunk:
            pytest.fail(f"stdout closed before {needle!r}; got {seen!r}")
        seen += chunk
    return seen


@contextlib.contextmanager
def popen(*args: str, stdin: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [*COMMAND, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(TIMEOUT)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


# --- the scenarios: following a stream, and each way it can fail ----------------------

GREET = b'retry: 10\nid: 1\nevent: greet\ndata: {"a": [1, 2]}\n\n'


@dataclasses.dataclass
class Run:
    """What a scenario's check gets: the outcome, and what its route's server saw."""

    result: Result
    requests: list[RecordedRequest]
    conns: list[Conn]
    handler: Handler | None


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One run of the command against a route of its own on the test server.

    In ``args``, ``URL`` stands for the route's URL and ``CLOSED`` for a URL
    where nothing listens. ``err`` lists texts stderr must contain; ``check``
    returns ``False`` (or fails an assertion) when something else is wrong.
    """

    name: str
    args: tuple[str, ...]
    handler: Callable[[], Handler] | None = None
    code: int = 0
    out: str | None = None
    err: tuple[str, ...] = ()
    check: Callable[[Run], object] | None = None
    #: Also run as the real command (test_scenarios_as_the_real_command).
    subprocess: bool = True


def _lines(run: Run) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run.result.out.splitlines()]


def _check_resumed(run: Run) -> None:
    assert [(e["id"], e["data"]) for e in _lines(run)] == [
        (str(k), f"event {k}") for k in range(1, 13)
    ]
    scenario = run.handler
    assert isinstance(scenario, Resumable)
    assert len(scenario.drops) >= 2
    assert scenario.last_event_ids == scenario.expected_last_event_ids()
    assert re.search(r"^\* connecting to \S+ with Last-Event-ID: \d+$", run.result.err, re.M)


def _check_request(run: Run) -> None:
    (request,) = run.requests  # a POST is not reconnected at the end of its stream
    assert request.method == "POST"
    assert request.body == b'{"prompt": "hi", "stream": true}'
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer t0k"
    assert request.headers["x-trace"] == "1"
    assert request.headers["accept"] == "text/event-stream"
    assert request.last_event_id == "41"


def _check_hung_up(run: Run) -> None:
    assert [e["data"] for e in _lines(run)] == ["1", "2"]
    # The server lingers up to 10 s for the client to go: the command hung up.
    deadline = time.monotonic() + 5
    while run.conns[0].closed_by_peer is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert run.conns[0].closed_by_peer


def _retried_429() -> Handler:
    calls: list[RecordedRequest] = []

    async def handler(request: RecordedRequest, conn: Conn) -> None:
        calls.append(request)
        if len(calls) == 1:
            await respond(conn, 429, body=b"slow down")
        elif len(calls) == 2:
            await stream([b"data: in\n\n"])(request, conn)
        else:
            await respond(conn, 204)

    return handler


SCENARIOS = [
    Scenario(
        "text",
        ("URL",),
        lambda: then_204([GREET, b"data: plain\ndata: two\n\n", b"data\n\n"]),
        out='[greet] id=1 retry=10ms\n  {\n    "a": [\n      1,\n      2\n    ]\n  }\n'
        "[message] id=1\n  plain\n  two\n[message] id=1\n",
        # The server's end of stream was followed by a resuming reconnect, and its 204.
        check=lambda run: [r.last_event_id for r in run.requests] == [None, "1"],
    ),
    Scenario(
        "json",
        ("--json", "URL"),
        lambda: then_204([GREET, b"data: caf\xc3\xa9\n\n"]),
        out='{"event": "greet", "data": "{\\"a\\": [1, 2]}", "id": "1", "retry": 10}\n'
        '{"event": "message", "data": "café", "id": "1", "retry": null}\n',
        subprocess=False,  # as the real command: --json in "max-events" and "resume"
    ),
    Scenario(
        "request",
        (
            "-H",
            "Authorization: Bearer t0k",
            "--header",
            "X-Trace:1",
            "--last-event-id",
            "41",
            "--json-body",
            '{"prompt": "hi", "stream": true}',
            "URL",
        ),
        lambda: stream([b"data: hello\n\n"]),
        out="[message] id=41\n  hello\n",  # the last event ID it resumed from
        check=_check_request,
    ),
    Scenario(
        "post-reconnect",
        ("-d", "prompt=hi", "--reconnect-non-get", "URL"),
        lambda: then_204(b"retry: 10\nid: 1\ndata: part one\n\n"),
        check=lambda run: (
            [(r.method, r.body, r.last_event_id) for r in run.requests]
            == [("POST", b"prompt=hi", None), ("POST", b"prompt=hi", "1")]
        ),
        subprocess=False,
    ),
    Scenario(
        "method",
        ("-X", "put", "-d", "raw body", "-H", "Content-Type: text/plain", "URL"),
        lambda: stream([b"data: x\n\n"]),
        check=lambda run: (
            [(r.method, r.body, r.headers["content-type"]) for r in run.requests]
            == [("PUT", b"raw body", "text/plain")]
        ),
        subprocess=False,
    ),
    Scenario(
        "json-body-own-type",
        ("-H", "content-type: application/vnd.api+json", "--json-body", "[1]", "URL"),
        lambda: stream([b"data: x\n\n"]),
        check=lambda run: (
            [(r.body, r.headers["content-type"]) for r in run.requests]
            == [(b"[1]", "application/vnd.api+json")]
        ),
        subprocess=False,
    ),
    Scenario(
        "filter",
        ("--event", "a", "--event", "message", "--json", "URL"),
        lambda: then_204(
            b"retry: 10\nevent: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\nevent: a\ndata: 4\n\n"
        ),
        check=lambda run: [e["data"] for e in _lines(run)] == ["1", "3", "4"],
        subprocess=False,
    ),
    Scenario(
        "max-events",
        ("--max-events", "2", "--event", "a", "--json", "URL"),
        lambda: stream(
            [b"event: a\ndata: 1\n\ndata: x\n\n", b"event: a\ndata: 2\n\nevent: a\ndata: 3\n\n"],
            linger=10,
        ),
        check=_check_hung_up,
    ),
    Scenario(
        "resume", ("--json", "-v", "URL"), lambda: resumable(12, seed=7), check=_check_resumed
    ),
    Scenario(
        "no-reconnect",
        ("--no-reconnect", "URL"),
        lambda: stream([b"retry: 10\ndata: only\n\n"]),
        out="[message] retry=10ms\n  only\n",
        check=lambda run: len(run.requests) == 1,
        subprocess=False,  # as the real command: --no-reconnect in "idle-timeout"
    ),
    Scenario(
        "refused",
        ("CLOSED",),
        code=ExitCode.CONNECT,
        err=("ssec-proto: error: cannot connect to http://127.0.0.1:", "Connection refused"),
    ),
    Scenario(
        "refused-wait",
        ("--wait", "--max-attempts", "1", *FAST, "CLOSED"),
        code=ExitCode.CONNECT,
        # The retry is shown without -v: a failure is worth knowing about while waiting.
        err=("reconnecting in", "gave up after 1 reconnection attempt", "Connection refused"),
        subprocess=False,
    ),
    Scenario(
        "refused-credentials",
        ("-v", "CLOSED_WITH_PASSWORD"),
        code=ExitCode.CONNECT,
        # Messages and the lifecycle are fit to paste into a bug report.
        err=("* connecting to http://user:***@127.0.0.1:", "cannot connect to http://user:***@"),
        check=lambda run: "secret" not in run.result.err,
        subprocess=False,
    ),
    Scenario(
        "dns",
        ("http://no-such-host.invalid/events",),
        code=ExitCode.DNS,
        err=("cannot resolve host 'no-such-host.invalid'", "(--wait keeps retrying)"),
    ),
    Scenario(
        "http-404",
        ("URL",),
        lambda: status(404, {"Content-Type": "application/json"}, b'{"error": "no stream"}'),
        code=ExitCode.HTTP_STATUS,
        err=(
            "the server answered HTTP 404 Not Found (Content-Type application/json), starting:\n"
            '    {"error": "no stream"}\n',
        ),
        check=lambda run: len(run.requests) == 1,
    ),
    Scenario(
        "http-503",
        ("--no-reconnect", "URL"),
        lambda: status(503, {"Retry-After": "1"}, b"busy"),
        code=ExitCode.HTTP_STATUS,
        # Nothing was retried: the response is the whole story.
        err=("HTTP 503 Service Unavailable (no Content-Type), starting:\n    busy",),
        subprocess=False,
    ),
    Scenario(
        "http-503-retried",
        ("--max-attempts", "1", *FAST, "URL"),
        lambda: status(503, body=b"busy"),
        code=ExitCode.HTTP_STATUS,
        err=(
            "gave up after 1 reconnection attempt",
            "HTTP 503 Service Unavailable (no Content-Type), starting:\n    busy",
        ),
        check=lambda run: len(run.requests) == 2,
        subprocess=False,
    ),
    Scenario(
        "http-401-empty",
        ("URL",),
        lambda: status(401),
        code=ExitCode.HTTP_STATUS,
        check=lambda run: (
            run.result.err
            == "ssec-proto: error: the server answered HTTP 401 Unauthorized (no Content-Type)\n"
        ),
        subprocess=False,
    ),
    Scenario(
        "http-429-then-ok",
        (*FAST, "URL"),
        _retried_429,
        out="[message]\n  in\n",
        err=("* HTTP 429; reconnecting in 0.",),
        subprocess=False,
    ),
    Scenario(
        "http-599",
        ("URL",),
        lambda: status(599, body=b"\x1b]0;pwned\x07" + b"line\n" * 20 + b"y" * 1000),
        code=ExitCode.HTTP_STATUS,
        err=("HTTP 599 (no Content-Type), starting:\n    \\x1b]0;pwned\\x07line\n",),
        # Escaped, eight lines at most, and cut.
        check=lambda run: (
            "\x1b" not in run.result.err
            and run.result.err.count("    line") == 7
            and run.result.err.endswith("\n    ...\n")
        ),
        subprocess=False,
    ),
    Scenario(
        "content-type",
        ("URL",),
        lambda: stream([b"<html>hi</html>"], content_type="text/html"),
        code=ExitCode.CONTENT_TYPE,
        err=(
            "HTTP 200 OK (Content-Type 'text/html', not text/event-stream), starting:\n"
            "    <html>hi</html>",
        ),
    ),
    Scenario(
        "no-content-type",
        ("URL",),
        lambda: stream([b"data: x\n\n"], content_type=None),
        code=ExitCode.CONTENT_TYPE,
        err=("HTTP 200 OK (no Content-Type, not text/event-stream)",),
        subprocess=False,
    ),
    Scenario(
        "line-limit",
        ("--max-line-size", "100", "URL"),
        lambda: stream([b"data: ok\n\n", b"data: " + b"x" * 200 + b"\n\ndata: later\n\n"]),
        code=ExitCode.LIMIT,
        out="[message]\n  ok\n[message]\n  later\n",  # nothing complete is lost
        err=("a line exceeds --max-line-size 100 (bytes)",),
    ),
    Scenario(
        "event-limit",
        ("--max-event-size", "8", "URL"),
        lambda: stream([b"data: 12345\ndata: 12345\n\n"]),
        code=ExitCode.LIMIT,
        err=("an event's data exceeds --max-event-size 8 (characters)",),
        subprocess=False,
    ),
    Scenario(
        "retries-exhausted",
        ("--max-attempts", "2", "URL"),
        lambda: stream([b"retry: 10\n: nothing to say\n"]),
        code=ExitCode.RETRIES_EXHAUSTED,
        err=("gave up after 2 reconnection attempts",),
        check=lambda run: len(run.requests) == 3,
    ),
    Scenario(
        "idle-timeout",
        ("--idle-timeout", "0.3", "--no-reconnect", "URL"),
        lambda: stall(10, prefix=b"data: first\n\n"),
        code=ExitCode.IDLE_TIMEOUT,
        out="[message]\n  first\n",
        err=("no data arrived within the idle timeout",),
    ),
    Scenario(
        "verbose",
        ("-v", "URL"),
        lambda: then_204(b"retry: 10\nid: 1\ndata: a\n\n"),
        check=lambda run: (
            re.fullmatch(
                r"\* connecting to (\S+)\n"
                r"\* connected: HTTP 200 text/event-stream\n"
                # retry: 10 (ms), but requests start at least min_delay apart
                r"\* the server ended the stream; reconnecting in 0\.\d\ds \(attempt 1\)\n"
                r"\* connecting to \1 with Last-Event-ID: 1\n"
                r"\* closed: HTTP 204 No Content: the server asked not to reconnect\n",
                run.result.err,
            )
            is not None
        ),
        subprocess=False,
    ),
    Scenario(
        "very-verbose",
        ("-vv", "URL"),
        lambda: status(204),
        err=("* log INFO: stream closed: HTTP 204 No Content",),
        subprocess=False,
    ),
    Scenario(
        "verbose-failure",
        ("-v", "URL"),
        lambda: status(500, body=b"oops"),
        code=ExitCode.HTTP_STATUS,
        check=lambda run: run.result.err.count("HTTP 500") == 1,  # told once
        subprocess=False,
    ),
    Scenario(
        "unreadable-body",
        ("-d", "@/nonexistent/body.json", "URL"),
        code=ExitCode.INPUT,
        err=("cannot read /nonexistent/body.json: No such file or directory",),
        subprocess=False,
    ),
    Scenario(
        "line-break-in-id",
        ("--last-event-id", "1\r\nX-Injected: 1", "URL"),
        code=ExitCode.USAGE,
        err=("must not contain NUL, CR or LF",),
        subprocess=False,
    ),
]


def _argv(scenario: Scenario, raw: RawServer) -> list[str]:
    port = closed_port()
    where = {
        "URL": raw.url(f"/{scenario.name}"),
        "CLOSED": f"http://127.0.0.1:{port}/",
        "CLOSED_WITH_PASSWORD": f"http://user:secret@127.0.0.1:{port}/",
    }
    return [where.get(arg, arg) for arg in scenario.args]


def _route(scenario: Scenario, raw: RawServer) -> Handler | None:
    handler = scenario.handler() if scenario.handler is not None else None
    if handler is not None:
        raw.route(f"/{scenario.name}", handler)
    return handler


def _verify(scenario: Scenario, result: Result, raw: RawServer, handler: Handler | None) -> None:
    about = f"{scenario.name}: exit {result.code}\nstdout: {result.out}\nstderr: {result.err}"
    assert result.code == scenario.code, about
    if scenario.out is not None:
        assert result.out == scenario.out, about
    for text in scenario.err:
        assert text in result.err, about
    assert "Traceback" not in result.err, about
    if scenario.check is not None:
        path = f"/{scenario.name}"
        requests = [r for r in raw.requests if r.path == path]
        conns = [c for c in raw.conns if c.request is not None and c.request.path == path]
        assert scenario.check(Run(result, requests, conns, handler)) is not False, about


def _no_invalid_names(real: Callable[..., Any]) -> Callable[..., Any]:
    # RFC 6761: "invalid" names never resolve, and resolvers should say so at once.
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    return getaddrinfo


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(
    scenario: Scenario,
    raw: RawServer,
    run_main: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _no_invalid_names(socket.getaddrinfo))
    handler = _route(scenario, raw)
    _verify(scenario, run_main(*_argv(scenario, raw)), raw, handler)


@functools.cache
def resolver_fails_invalid_names_quickly() -> bool:
    """Whether this machine's resolver fails a ``.invalid`` name within 3 s.

    No network is needed for that answer; but a resolver may be slow without
    one, and some networks answer every name with an address of their own.
    """
    failed = threading.Event()

    def probe() -> None:
        try:
            socket.getaddrinfo("ssec-proto-probe.invalid", 80)
        except socket.gaierror:
            failed.set()

    threading.Thread(target=probe, daemon=True).start()
    return failed.wait(3.0)


# What _no_invalid_names does, for a subprocess; the command's arguments follow.
NO_INVALID_NAMES = """
import socket, sys
real = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith(".invalid"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return real(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
from ssec_proto.cli import main
sys.exit(main())
"""


def test_scenarios_as_the_real_command(raw: RawServer) -> None:
    # Concurrently: each process spends most of its time importing httpx.
    chosen = [(s, _route(s, raw)) for s in SCENARIOS if s.subprocess]
    command = COMMAND
    if not resolver_fails_invalid_names_quickly():
        # Bound the DNS scenario: answer for the resolver as RFC 6761 says it should.
        command = [sys.executable, "-c", NO_INVALID_NAMES]
    procs = []
    try:
        for scenario, _ in chosen:
            procs.append(
                subprocess.Popen(
                    [*command, *_argv(scenario, raw)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=_env(),
                    cwd=ROOT,
                )
            )
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            results.append(Result(proc.returncode, out.decode(), err.decode()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for (scenario, handler), result in zip(chosen, results, strict=True):
        _verify(scenario, result, raw, handler)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: URL"),
        (["ftp://example.com/"], "not an http:// or https:// URL"),
        (["example.com"], "not an http:// or https:// URL"),
        (["http://h:abc/"], "not an http:// or https:// URL: 'http://h:abc/'"),
        (["http://u:secret@h:99999/"], "not an http:// or https:// URL: 'http://u:***@h:99999/'"),
        (["http://h:0/"], "not an http:// or https:// URL"),
        (["--json-b", "{}", "http://x/"], "--json-b is not an option (see: ssec-proto --help)"),
        # Named as what it is, before the missing URL.
        (["--bogus"], "ssec-proto: error: --bogus is not an option (see: ssec-proto --help)"),
        (["--bogus=1", "http://x/"], "error: --bogus is not an option"),
        (["http://x/", "http://y/"], "unrecognized arguments: http://y/"),
        (["http://x/", "decode"], "unrecognized arguments: decode"),
        (["-H", "NoColon", "http://x/"], "expected 'Name: value', got 'NoColon'"),
        (["-H", "Bad Name: v", "http://x/"], "expected 'Name: value'"),
        (["--json-body", "{oops", "http://x/"], "--json-body is not valid JSON"),
        (["-d", "a", "--json-body", "{}", "http://x/"], "not allowed with argument"),
        (["-X", "GE T", "http://x/"], "not an HTTP method: 'GE T'"),
        (["--max-events", "0", "http://x/"], "must be greater than 0: '0'"),
        (["--idle-timeout", "nan", "http://x/"], "must be greater than 0: 'nan'"),
        (["--idle-timeout", "soon", "http://x/"], "not a number: 'soon'"),
        (["--reconnection-time", "100", "http://x/"], "reconnection_time"),
        (["--no-reconnect", "--max-attempts", "3", "http://x/"], "not allowed with argument"),
        (["--color", "pink", "http://x/"], "invalid choice: 'pink'"),
        (["decode", "--bogus"], "--bogus is not an option (see: ssec-proto decode --help)"),
        # Before the command, its own options only.
        (["-H", "A: b", "decode"], "-H is not an option (see: ssec-proto decode --help)"),
        (["-v", "decode"], "-v is not an option (see: ssec-proto decode --help)"),
        (["demo", "--events", "-1"], "must be greater than 0"),
        (["--key", "k.pem", "https://x/"], "--key goes with --cert FILE"),
        (["-k", "--cacert", "ca.pem", "https://x/"], "not allowed with argument"),
    ],
)
def test_invalid_arguments(run_main: Callable[..., Result], args: list[str], message: str) -> None:
    result = run_main(*args)
    assert result.code == ExitCode.USAGE
    assert int(ExitCode.USAGE) == 2
    assert result.err.startswith("usage: ssec-proto") or "ssec-proto: error:" in result.err
    assert message in result.err
    assert "Traceback" not in result.err


def test_invalid_arguments_in_a_subprocess() -> None:
    result = run_process("-H", "NoColon", "http://x/")
    assert result.code == ExitCode.USAGE
    assert result.err.startswith("usage: ssec-proto [options] URL\n")
    assert result.err.endswith("ssec-proto: error: argument -H/--header: expected 'Name: value', "
                               "got 'NoColon'\n")  # fmt: skip


def test_body_from_a_file_and_from_stdin(
    run_main: Callable[..., Result], raw: RawServer, tmp_path: Path
) -> None:
    raw.route("/s", stream([b"data: x\n\n"]))
    (tmp_path / "body.json").write_bytes(b'{"from": "file"}')
    assert run_main("--json-body", f"@{tmp_path / 'body.json'}", raw.url("/s")).code == 0
    assert run_main("-d", "@-", raw.url("/s"), stdin=b"from stdin").code == 0
    assert [r.body for r in raw.requests] == [b'{"from": "file"}', b"from stdin"]


def test_missing_httpx_in_a_subprocess(tmp_path: Path) -> None:
    fake = tmp_path / "httpx"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        'raise ImportError("No module named \'httpx\'", name="httpx")'
    )
    result = run_process("http://127.0.0.1:1/", PYTHONPATH=str(tmp_path))
    assert result.code == ExitCode.NO_HTTPX
    assert int(ExitCode.NO_HTTPX) == 3
    assert "pip install 'ssec-proto[httpx]'" in result.err
    assert "Traceback" not in result.err


def test_missing_httpx_in_process(
    run_main: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "ssec_proto.adapters.httpx", raising=False)
    monkeypatch.setitem(sys.modules, "httpx", None)
    result = run_main("http://127.0.0.1:1/")
    assert result.code == ExitCode.NO_HTTPX
    assert "install it with:\n    pip install 'ssec-proto[httpx]'" in result.err
    result = run_main("demo")
    assert result.code == ExitCode.NO_HTTPX
    assert result.err.startswith("ssec-proto: error: following a stream needs httpx")


def test_sigint_exits_130_without_a_traceback(raw: RawServer) -> None:
    raw.route("/s", stall(15, prefix=b"data: first\n\n"))
    # As from a shell, the child must start with Ctrl-C's default action: a
    # SIGINT ignored here (by some library) would be inherited, and Python
    # then installs no KeyboardInterrupt handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with popen(raw.url("/s")) as proc:
            read_until(proc, b"  first\n")  # now it waits on a stalled stream
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert proc.returncode == ExitCode.INTERRUPTED
    assert int(ExitCode.INTERRUPTED) == 130
    assert b"Traceback" not in err
    assert err == b""


def test_keyboard_interrupt_in_process(
    run_main: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("ssec_proto.cli._main.decode", interrupted)
    assert run_main("decode", "-").code == ExitCode.INTERRUPTED


def test_unexpected_error_is_a_message(
    run_main: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("ssec_proto.cli._main.decode", broken)
    result = run_main("decode", "-")
    assert result.code == ExitCode.ERROR
    assert int(ExitCode.ERROR) == 1
    assert result.err.startswith("ssec-proto: error: unexpected RuntimeError: boom\n")
    assert "please report it" in result.err


# --- TLS ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PKI:
    """PEM files for the TLS tests: each certificate is a ``.pem`` with its ``.key``."""

    where: Path

    def pem(self, name: str) -> str:
        return str(self.where / f"{name}.pem")

    def key(self, name: str) -> str:
        return str(self.where / f"{name}.key")

    def context(self, name: str, *, client_ca: str | None = None) -> ssl.SSLContext:
        """A server's context with certificate ``name``; ``client_ca``: ask for a client's."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pem(name), self.key(name))
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.pem(client_ca))
        return context


def _openssl(where: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    """A CA and the certificates it signs, made by the openssl command.

    (The cryptography package would do as well, but nothing installs it.)
    """
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    where = tmp_path_factory.mktemp("pki")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"]
    ca = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"]
    leaf = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature"]
    for name, extensions in [
        ("ca", ca),
        ("self-signed", [*leaf, "subjectAltName=IP:127.0.0.1", "extendedKeyUsage=serverAuth"]),
    ]:
        added = [arg for extension in extensions for arg in ("-addext", extension)]
        _openssl(where, "req", "-x509", *new_key, "-subj", f"/CN={name}", *added,
                 "-keyout", f"{name}.key", "-out", f"{name}.pem")  # fmt: skip
    signed = {
        "server": [*leaf, "subjectAltName=IP:127.0.0.1", "extendedKeyUsage=serverAuth"],
        "localhost": [*leaf, "subjectAltName=DNS:localhost", "extendedKeyUsage=serverAuth"],
        "client": [*leaf, "extendedKeyUsage=clientAuth"],
    }
    for serial, (name, extensions) in enumerate(signed.items(), 2):
        (where / f"{name}.ext").write_text("\n".join([*extensions, "authorityKeyIdentifier=keyid"]))
        _openssl(where, "req", *new_key, "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr")  # fmt: skip
        _openssl(where, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-set_serial", str(serial), "-days", "2", "-extfile", f"{name}.ext",
                 "-out", f"{name}.pem")  # fmt: skip
    return PKI(where)


class TLSServer:
    """A server on 127.0.0.1 that answers each request with one event, over TLS.

    Connections are served one at a time, each with a TLS handshake under
    ``context``. Without one, it speaks plain HTTP and answers a TLS hello
    (anything) with 400 Bad Request, as an HTTP server does.
    """

    def __init__(self, context: ssl.SSLContext | None) -> None:
        self.context = context
        #: Connections accepted so far.
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, scheme: str = "https") -> str:
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}/events"

    def __enter__(self) -> TLSServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.settimeout(TIMEOUT)
            if self.context is None:
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                self._end(conn)
                continue
            tls = self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            # A handshake that fails (on either side) ends the connection.
            with contextlib.suppress(OSError):
                tls.do_handshake()
                head = b""
                while b"\r\n\r\n" not in head and (data := tls.recv(65536)):
                    head += data
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
                tls.sendall(b"data: over TLS\n\n")
            self._end(tls)

    @staticmethod
    def _end(conn: socket.socket) -> None:
        # Half-close, then read until the client goes: closing with its
        # request unread would reset the connection, and the client could
        # lose the TLS alert that says why the handshake failed.
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)  # an SSLSocket stops speaking TLS
            while conn.recv(65536):
                pass
        conn.close()


OVER_TLS = "[message]\n  over TLS\n"


def test_tls_untrusted_certificate_fails_at_once(ssec: Callable[..., Result], pki: PKI) -> None:
    with TLSServer(pki.context("server")) as server:
        result = ssec("--wait", server.url())  # retrying cannot help
    assert result.code == ExitCode.TLS
    assert int(ExitCode.TLS) == 12
    assert result.err == (
        "ssec-proto: error: the TLS certificate of 127.0.0.1 is not trusted (unable to get "
        "local issuer certificate); --cacert FILE trusts the CA that signed it, -k skips the "
        "check\n"
    )
    assert server.connections == 1


@pytest.mark.parametrize(
    ("certificate", "message"),
    [
        ("self-signed", "the TLS certificate of 127.0.0.1 is not trusted (self-signed "
         "certificate);"),
        ("localhost", "the TLS certificate of 127.0.0.1 is for other names (IP address mismatch, "
         "certificate is not valid for '127.0.0.1'); -k skips the check\n"),
    ],
)  # fmt: skip
def test_tls_certificate_problems(
    run_main: Callable[..., Result], pki: PKI, certificate: str, message: str
) -> None:
    with TLSServer(pki.context(certificate)) as server:
        result = run_main("--cacert", pki.pem("ca"), server.url())
        insecure = run_main("-k", "--max-events", "1", server.url())
    assert (result.code, result.out) == (ExitCode.TLS, "")
    assert message in result.err
    assert (insecure.code, insecure.out, insecure.err) == (0, OVER_TLS, "")


def test_tls_cacert(ssec: Callable[..., Result], pki: PKI) -> None:
    with TLSServer(pki.context("server")) as server:
        result = ssec("--cacert", pki.pem("ca"), "--max-events", "1", server.url())
    assert (result.code, result.out, result.err) == (0, OVER_TLS, "")


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_tls_trusts_the_environment_s_cas(
    run_main: Callable[..., Result], pki: PKI, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    ca = pki.where / "ca-dir"
    if not ca.exists():
        ca.mkdir()
        shutil.copy(pki.pem("ca"), ca / "ca.pem")
        _openssl(ca, "rehash", ".")  # the file names that OpenSSL looks up
    # One or the other: SSL_CERT_FILE is used first.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv(variable, str(ca / "ca.pem" if variable == "SSL_CERT_FILE" else ca))
    with TLSServer(pki.context("server")) as server:
        result = run_main("--max-events", "1", server.url())
    assert (result.code, result.out, result.err) == (0, OVER_TLS, "")


def test_tls_to_a_port_without_tls(ssec: Callable[..., Result]) -> None:
    with TLSServer(None) as server:
        result = ssec(server.url())
    assert result.code == ExitCode.TLS
    assert result.err == (
        "ssec-proto: error: the server does not speak TLS on this port (try http://)\n"
    )
    assert server.connections == 1


def test_tls_failure_without_reconnecting(run_main: Callable[..., Result]) -> None:
    with TLSServer(None) as server:
        result = run_main("--no-reconnect", server.url())
    assert result.code == ExitCode.TLS
    assert result.err.startswith("ssec-proto: error: ConnectError: ")
    assert result.err.endswith("\n  the server does not speak TLS on this port (try http://)\n")


def test_tls_client_certificate(ssec: Callable[..., Result], pki: PKI) -> None:
    with TLSServer(pki.context("server", client_ca="ca")) as server:
        cacert = ("--cacert", pki.pem("ca"))
        result = ssec(*cacert, "--cert", pki.pem("client"), "--key", pki.key("client"),
                      "--max-events", "1", server.url())  # fmt: skip
        refused = ssec(*cacert, server.url())
    assert (result.code, result.out, result.err) == (0, OVER_TLS, "")
    assert refused.code == ExitCode.TLS
    assert refused.err == (
        "ssec-proto: error: TLS with 127.0.0.1 failed (tlsv13 alert certificate required): "
        "the server wants a client certificate (--cert FILE --key FILE)\n"
    )


def test_tls_client_certificate_and_key_in_one_file(
    run_main: Callable[..., Result], pki: PKI, tmp_path: Path
) -> None:
    both = tmp_path / "both.pem"
    both.write_text(Path(pki.pem("client")).read_text() + Path(pki.key("client")).read_text())
    untrusted = ("--cert", pki.pem("self-signed"), "--key", pki.key("self-signed"))
    with TLSServer(pki.context("server", client_ca="ca")) as server:
        result = run_main("--cacert", pki.pem("ca"), "--cert", str(both), "--max-events", "1",
                          server.url())  # fmt: skip
        refused = run_main("--cacert", pki.pem("ca"), *untrusted, server.url())
    assert (result.code, result.out, result.err) == (0, OVER_TLS, "")
    assert refused.code == ExitCode.TLS
    assert refused.err.startswith("ssec-proto: error: TLS with 127.0.0.1 failed (")
    assert "client certificate" not in refused.err


def test_tls_files_that_cannot_be_used(
    run_main: Callable[..., Result], pki: PKI, tmp_path: Path
) -> None:
    url = f"https://127.0.0.1:{closed_port()}/"
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    missing = tmp_path / "missing.pem"
    cases = [
        (("--cacert", str(missing)), f"cannot read --cacert {missing}: No such file or directory"),
        (("--cacert", str(junk)), f"cannot use --cacert {junk}: "),
        (("--cert", str(junk)), f"cannot use --cert {junk}: "),
        (("--cert", pki.pem("client"), "--key", pki.key("server")),
         f"cannot use --cert {pki.pem('client')} with --key {pki.key('server')}: "),
    ]  # fmt: skip
    for args, message in cases:
        result = run_main(*args, url)
        assert result.code == ExitCode.INPUT, result
        assert result.err.startswith(f"ssec-proto: error: {message}"), result
        assert "(_ssl.c" not in result.err


# --- formatting -------------------------------------------------------------------


def test_colors(run_main: Callable[..., Result], tmp_path: Path) -> None:
    capture = tmp_path / "c.sse"
    capture.write_bytes(b"id: 1\ndata: x\n\n")
    result = run_main("decode", "--color", "always", str(capture))
    assert result.out == "\x1b[1;36m[message] id=1\x1b[0m\n  x\n"
    assert run_main("decode", str(capture)).out == "[message] id=1\n  x\n"  # auto: not a tty


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ("42", "  42\n"),
        ("{not json", "  {not json\n"),
        ('  ["a", {"b": null}]', '  [\n    "a",\n    {\n      "b": null\n    }\n  ]\n'),
        ("[" * 100_000, "  " + "[" * 100_000 + "\n"),  # too deep to parse: shown as sent
        ("bell\x07 and \x1b[2J", "  bell\\x07 and \\x1b[2J\n"),
    ],
)
def test_text_output_of_data(run_main: Callable[..., Result], data: str, shown: str) -> None:
    result = run_main("decode", stdin=f"data: {data}\n\n".encode())
    assert result.out == "[message]\n" + shown


# --- decode -----------------------------------------------------------------------------

CAPTURE = b'id: 1\nevent: greet\ndata: {"hello": "world"}\n\n: comment\ndata: plain text\n\nid: 2'


def test_decode_a_file(ssec: Callable[..., Result], tmp_path: Path) -> None:
    capture = tmp_path / "capture.sse"
    capture.write_bytes(CAPTURE)
    result = ssec("decode", str(capture))
    assert result.code == 0
    # The unterminated last block is not an event, as the spec says.
    assert (
        result.out == '[greet] id=1\n  {\n    "hello": "world"\n  }\n[message] id=1\n  plain text\n'
    )


def test_decode_stdin_as_json(ssec: Callable[..., Result]) -> None:
    result = ssec("decode", "--json", "-", stdin=CAPTURE)
    assert result.code == 0
    assert [json.loads(line) for line in result.out.splitlines()] == [
        {"event": "greet", "data": '{"hello": "world"}', "id": "1", "retry": None},
        {"event": "message", "data": "plain text", "id": "1", "retry": None},
    ]


def test_decode_reads_stdin_by_default_and_stops_at_max_events(
    run_main: Callable[..., Result],
) -> None:
    result = run_main("decode", "--max-events", "1", stdin=CAPTURE)
    assert result.out == '[greet] id=1\n  {\n    "hello": "world"\n  }\n'


def test_decode_limit(ssec: Callable[..., Result]) -> None:
    result = ssec(
        "decode", "--max-line-size", "20", stdin=b"data: a\n\ndata: " + b"b" * 30 + b"\n\n"
    )
    assert result.code == ExitCode.LIMIT
    assert result.out == "[message]\n  a\n"
    assert "a line exceeds --max-line-size 20" in result.err


def _numbered(count: int, bad: dict[int, bytes]) -> bytes:
    """``count`` events with ids 0, 1, ...; those in ``bad`` have that data line instead."""
    return b"".join(b"id: %d\n%s\n\n" % (k, bad.get(k, b"data: %d" % k)) for k in range(count))


def test_decode_goes_on_after_a_limit(ssec: Callable[..., Result], tmp_path: Path) -> None:
    # Many read chunks: the events after the one skipped are in later ones.
    capture = tmp_path / "capture.sse"
    capture.write_bytes(_numbered(20_000, {4970: b"data: " + b"x" * 200}))
    result = ssec("decode", "--max-line-size", "100", "--json", str(capture))
    assert [json.loads(line)["data"] for line in result.out.splitlines()] == [
        str(k) for k in range(20_000) if k != 4970
    ]
    assert result.err == (
        "ssec-proto: skipped event #4971 of the input: a line exceeds --max-line-size 100 (bytes)\n"
        "ssec-proto: error: 1 event skipped (over --max-line-size); "
        "raise the limit if the input is legitimate\n"
    )
    assert result.code == ExitCode.LIMIT


def test_decode_reports_each_skipped_event_in_its_place() -> None:
    # Three in one read chunk, over both limits; stderr and stdout in one pipe.
    capture = _numbered(
        8, {2: b"data: " + b"x" * 50, 3: b"data: 1234\ndata: 1234", 6: b"data: " + b"y" * 50}
    )
    done = subprocess.run(
        [*COMMAND, "decode", "--max-line-size", "40", "--max-event-size", "8"],
        input=capture,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=TIMEOUT,
        env=_env(),
        check=False,
    )
    assert done.returncode == ExitCode.LIMIT
    assert done.stdout.decode() == (
        "[message] id=0\n  0\n[message] id=1\n  1\n"
        "ssec-proto: skipped event #3 of the input: a line exceeds --max-line-size 40 (bytes)\n"
        "ssec-proto: skipped event #4 of the input: "
        "an event's data exceeds --max-event-size 8 (characters)\n"
        "[message] id=4\n  4\n[message] id=5\n  5\n"
        "ssec-proto: skipped event #7 of the input: a line exceeds --max-line-size 40 (bytes)\n"
        "[message] id=7\n  7\n"
        "ssec-proto: error: 3 events skipped (over --max-line-size and --max-event-size); "
        "raise the limits if the input is legitimate\n"
    )


def test_decode_stop_at_limit(ssec: Callable[..., Result]) -> None:
    stdin = _numbered(6, {3: b"data: " + b"x" * 50})
    result = ssec("decode", "--max-line-size", "40", "--stop-at-limit", "--json", stdin=stdin)
    assert [json.loads(line)["data"] for line in result.out.splitlines()] == ["0", "1", "2"]
    assert result.err == (
        "ssec-proto: error: event #4 of the input: a line exceeds --max-line-size 40 (bytes); "
        "stopped there (--stop-at-limit): raise --max-line-size if the input is legitimate\n"
    )
    assert result.code == ExitCode.LIMIT


# Blocks within and over the limits of test_decode_skips_as_a_line_at_a_time,
# with every line ending, and lines cut off by the end of the input.
LIMITED_PIECES = [
    b"data: ok\n\n",
    b"id: 7\r\n\r\n",
    b"data: abc\rdata: abc\r\r",
    b"data: " + b"x" * 30 + b"\n",
    b"event: e\ndata: 1\n\n",
    b"\n",
    b"x" * 25,
    b": comment\r\n",
    b"retry: 5\n",
]


def _line_at_a_time(raw: bytes) -> list[object]:
    """What one decoder makes of ``raw`` fed a line at a time: where each error stands."""
    decoder = Decoder(max_line_size=20, max_event_size=8)
    items: list[object] = []
    for line in raw.splitlines(keepends=True):
        try:
            items += decoder.feed(line)
        except LimitExceeded as exc:
            items += [*exc.events, type(exc)]
    return items


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(LIMITED_PIECES), max_size=14)
    .map(b"".join)
    .flatmap(lambda raw: chunkings(raw).map(lambda chunks: (raw, chunks)))
)
def test_decode_skips_as_a_line_at_a_time(case: tuple[bytes, list[bytes]]) -> None:
    # A line at a time, a decoder completes one event at most per feed(), so
    # each error stands where its event did; decode reads bigger chunks.
    raw, chunks = case
    decoding = _Decoding(20, 8)
    items = [item for chunk in chunks for item in decoding.feed(chunk)]
    assert [type(i) if isinstance(i, LimitExceeded) else i for i in items] == _line_at_a_time(raw)


def test_decode_max_events_before_a_limit(run_main: Callable[..., Result]) -> None:
    # The limit error comes with the events before it; the first one is all that was asked.
    result = run_main(
        "decode",
        "--max-events",
        "1",
        "--max-line-size",
        "20",
        stdin=b"data: a\n\ndata: " + b"b" * 30,
    )
    assert (result.code, result.out, result.err) == (0, "[message]\n  a\n", "")


def test_options_before_the_command(ssec: Callable[..., Result], tmp_path: Path) -> None:
    capture = tmp_path / "capture.sse"
    capture.write_bytes(CAPTURE)
    result = ssec("--json", "--max-events", "1", "decode", str(capture))
    assert (result.code, result.err) == (0, "")
    assert [json.loads(line)["event"] for line in result.out.splitlines()] == ["greet"]


def test_an_option_value_is_not_a_command(run_main: Callable[..., Result]) -> None:
    # "--event decode": events of type "decode"; the second "decode" is the command.
    stdin = b"event: decode\ndata: 1\n\ndata: 2\n\n"
    result = run_main("--event", "decode", "decode", "--json", stdin=stdin)
    assert [json.loads(line)["data"] for line in result.out.splitlines()] == ["1"]


def test_decode_unreadable_input(ssec: Callable[..., Result], tmp_path: Path) -> None:
    result = ssec("decode", str(tmp_path / "nope.sse"))
    assert result.code == ExitCode.INPUT
    assert f"cannot read {tmp_path / 'nope.sse'}: No such file or directory" in result.err
    assert ssec("decode", str(tmp_path)).code == ExitCode.INPUT  # a directory


def test_decode_large_input_is_streamed(run_main: Callable[..., Result]) -> None:
    # Many chunks, events across chunk boundaries: all of them, in order.
    capture = b"".join(b"id: %d\ndata: %s\n\n" % (k, b"x" * (k % 300)) for k in range(5000))
    result = run_main("decode", "--json", stdin=capture)
    ids = [json.loads(line)["id"] for line in result.out.splitlines()]
    assert ids == [str(k) for k in range(5000)]


def test_decode_is_live() -> None:
    # As with `tail -f capture | ssec-proto decode`: each event is printed as
    # soon as its blank line arrives, while the input stays open.
    with popen("decode", stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        proc.stdin.write(b"data: first\n")
        proc.stdin.flush()
        time.sleep(0.05)
        proc.stdin.write(b"\ndata: sec")
        proc.stdin.flush()
        assert read_until(proc, b"  first\n") == b"[message]\n  first\n"
        proc.stdin.write(b"ond\n\n")
        proc.stdin.close()
        proc.wait(TIMEOUT)
        assert proc.stdout is not None
        assert proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    assert (proc.returncode, out, err) == (0, b"[message]\n  second\n", b"")


def test_broken_pipe_exits_quietly() -> None:
    with popen("decode", stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(b"data: 1\n\n")
        proc.stdin.flush()
        read_until(proc, b"  1\n")
        proc.stdout.close()  # like `| head -2` once it has its lines
        proc.stdin.write(b"data: 2\n\n" * 100)
        proc.stdin.close()
        proc.wait(TIMEOUT)
        assert proc.stderr is not None
        err = proc.stderr.read()
    assert proc.returncode == ExitCode.BROKEN_PIPE
    assert int(ExitCode.BROKEN_PIPE) == 141
    assert err == b""


def test_broken_pipe_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    pipe = open(write_end, "w")  # noqa: SIM115 - closed below
    try:
        monkeypatch.setattr(sys, "stdout", pipe)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"data: 1\n\n")))
        assert main(["decode"]) == ExitCode.BROKEN_PIPE
        # stdout now leads to /dev/null, so flushing it again cannot fail
        pipe.write("more")
        pipe.flush()
    finally:
        pipe.close()


def test_broken_pipe_on_a_stream_without_a_file_descriptor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Gone())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"data: 1\n\n")))
    assert main(["decode"]) == ExitCode.BROKEN_PIPE


# --- demo ---------------------------------------------------------------------------------


DEMO_SENTENCE = "every event arrives once and in order even when the connection drops"


def test_demo_end_to_end(run_main: Callable[..., Result]) -> None:
    # As the real command, it runs in test_docs_console_example[ssec-proto demo].
    started = time.monotonic()
    result = run_main("demo", "--interval", "0.01")
    assert result.code == 0, result.err
    assert time.monotonic() - started < 10
    words = DEMO_SENTENCE.split()
    assert result.out == "".join(f"[word] id={k}\n  {w}\n" for k, w in enumerate(words, 1))
    err = result.err
    assert "[server] dropping the connection in the middle of event 6" in err
    assert "* the server ended the stream; reconnecting in" in err
    assert re.search(r"\* connecting to http://127\.0\.0\.1:\d+/events with Last-Event-ID: 5", err)
    assert "[server] resuming after Last-Event-ID 5" in err
    assert "[server] resuming after Last-Event-ID 10" in err
    assert "* closed: HTTP 204 No Content" in err
    assert "demo done: 12 events printed, 2 dropped connection(s)" in err


def test_demo_json_and_early_exit(run_main: Callable[..., Result]) -> None:
    result = run_main("demo", "--interval", "0", "--json", "--max-events", "3")
    assert result.code == 0
    assert [json.loads(line)["data"] for line in result.out.splitlines()] == [
        "every",
        "event",
        "arrives",
    ]
    assert "demo done: 3 events printed" in result.err


# --- help, version, entry points ------------------------------------------------------------


def _exit_code_table(text: str) -> dict[int, str]:
    table = text.split("exit codes:\n", 1)[1]
    return {int(m[1]): m[2] for m in re.finditer(r"^ +(\d+) {2}(.+)$", table, re.M)}


def test_help_lists_the_exit_codes() -> None:
    result = run_process("--help")
    assert result.code == 0
    assert result.out.startswith("usage: ssec-proto [options] URL\n")
    assert _exit_code_table(result.out) == {code.value: text for code, text in EXIT_CODES.items()}


# The ways each command can end; following a URL, all of them.
DECODE_EXITS = ["OK", "ERROR", "USAGE", "LIMIT", "INPUT", "INTERRUPTED", "BROKEN_PIPE"]
DEMO_EXITS = ["OK", "ERROR", "USAGE", "NO_HTTPX", "CONNECT", "RETRIES_EXHAUSTED", "IDLE_TIMEOUT"]
DEMO_EXITS += ["INTERRUPTED", "BROKEN_PIPE"]


@pytest.mark.parametrize(("command", "exits"), [("decode", DECODE_EXITS), ("demo", DEMO_EXITS)])
def test_subcommand_help(run_main: Callable[..., Result], command: str, exits: list[str]) -> None:
    result = run_main(command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: ssec-proto {command} ")
    codes = [ExitCode[name] for name in exits]
    assert _exit_code_table(result.out) == {code.value: EXIT_CODES[code] for code in codes}
    # Every option says what it does, not only its default.
    for option, wrapped in re.findall(r"^  (-.*)\n((?: {20,}.*\n)*)", result.out, re.M):
        _, *first = re.split(r" {2,}", option, maxsplit=1)
        description = " ".join([*first, *wrapped.split()])
        assert description, option
        assert not description.startswith("default:"), option


def test_decode_help_offers_only_what_decode_does(run_main: Callable[..., Result]) -> None:
    result = run_main("decode", "--help")
    assert "--verbose" not in result.out
    assert not re.search(r"^  -v\b", result.out, re.M)


def test_help_of_the_body_options(run_main: Callable[..., Result]) -> None:
    text = " ".join(run_main("--help").out.split())
    # (Python 3.13's argparse names the metavar once: "-d, --data DATA".)
    assert re.search(r"-d( DATA)?, --data DATA request body; @FILE reads a file, @- stdin", text)
    assert "@FILE reads a file, @- stdin --last-event-id" in text  # --json-body


def test_help_before_a_command_is_the_command_s_help(run_main: Callable[..., Result]) -> None:
    assert run_main("-h", "decode").out.startswith("usage: ssec-proto decode ")


def test_every_exit_code_is_explained() -> None:
    assert list(EXIT_CODES) == list(ExitCode)


def test_version_from_sys_argv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ssec_proto import __version__

    monkeypatch.setattr(sys, "argv", ["ssec-proto", "--version"])
    assert main() == 0
    assert capsys.readouterr().out == f"ssec-proto {__version__}\n"


def test_output_that_is_not_a_text_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["--version"]) == 0
    assert out.getvalue().startswith("ssec-proto ")


def test_console_script_entry_point() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    entry = re.search(r'^\[project\.scripts\]\nssec-proto = "([\w.]+):(\w+)"$', text, re.M)
    assert entry is not None
    module = __import__(entry[1], fromlist=[entry[2]])
    assert getattr(module, entry[2]) is main


def test_dunder_main_module() -> None:
    import ssec_proto.__main__ as dunder_main

    assert dunder_main.main is main  # type: ignore[attr-defined]


def test_import_ssec_proto_does_not_import_the_cli() -> None:
    code = "import sys, ssec_proto; print(any(m.startswith('ssec_proto.cli') for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out == "False\n"


# --- docs/cli.md ------------------------------------------------------------------------------

CLI_PAGE = ROOT / "docs" / "cli.md"
CONSOLE = re.compile(r"^```console\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def test_docs_exit_code_table_is_the_real_one() -> None:
    text = CLI_PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (.+?) \|$", text, re.MULTILINE)
    assert [(int(value), name, meaning) for value, name, meaning in rows] == [
        (code.value, code.name, EXIT_CODES[code].replace("|", "\\|")) for code in ExitCode
    ]


def _console_examples() -> list[tuple[str, str]]:
    """Each ``$ command`` of the page's console blocks, with the output shown after it."""
    examples = []
    for block in CONSOLE.findall(CLI_PAGE.read_text(encoding="utf-8")):
        for piece in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = piece.partition("\n")
            examples.append((command, output))
    return examples


def _normalize(text: str) -> list[str]:
    # What changes from run to run: ports, delays, and the order in which the
    # demo's server thread and its client write their lines.
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"in \d+\.\d+s", "in N.NNs", text)
    return sorted(text.splitlines())


@pytest.fixture(scope="module", autouse=True)
def docs_examples(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every console example of docs/cli.md, started when this module's tests start.

    They run verbatim (``ssec-proto`` on PATH runs this checkout) in the
    background: the demo spends about four seconds waiting for its
    reconnections, which would otherwise add up to the module's run time.
    """
    bin_dir = tmp_path_factory.mktemp("bin")
    script = bin_dir / "ssec-proto"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ssec_proto "$@"\n')
    script.chmod(0o755)
    env = _env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    procs = {}
    for command, _ in _console_examples():
        procs[command] = subprocess.Popen(
            ["bash", "-o", "pipefail", "-c", f"{command} 2>&1"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # a group of its own: stopped as a whole below
        )
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("command", "output"), _console_examples(), ids=[c for c, _ in _console_examples()]
)
def test_docs_console_example(
    command: str, output: str, docs_examples: dict[str, subprocess.Popen[str]]
) -> None:
    if "jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    proc = docs_examples[command]
    out, _ = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, out
    assert _normalize(out) == _normalize(output)


def test_docs_show_console_examples() -> None:
    commands = [command for command, _ in _console_examples()]
    assert any(c.startswith("ssec-proto demo") for c in commands)
    assert any("ssec-proto decode" in c for c in commands)
