"""The `ssec-proto` command: follow a stream, decode a capture, run the demo.

Following a stream goes through the httpx adapter (imported only then), so
the reconnect policy, the resumption with `Last-Event-ID` and the limits
are the library's own; `decode` is the sans-IO [`Decoder`][ssec_proto.Decoder]
alone. Every failure ends with a one-line message and an `ExitCode`.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from .._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from .._errors import ConnectionFailed, LimitExceeded, ResponseError
from .._implementation import DECODER_IMPLEMENTATION
from .._lifecycle import Opened, Retrying
from .._reconnect import ReconnectConfig
from .._version import __version__
from ..driver._options import DEFAULT_IDLE_TIMEOUT
from ._decode import decode
from ._exits import EXIT_CODES, Exit, ExitCode, connect_failure, stream_failure, tls_failure
from ._output import PROG, Narrator, Output, library_log, safe_url
from ._tls import TLSOptions

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .._lifecycle import Lifecycle

__all__ = ["main"]


# --- arguments ----------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` that returns its verdict to `main()` instead of exiting."""

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        """End the command (after --help or --version) without `sys.exit`."""
        raise Exit(ExitCode(status))

    def error(self, message: str) -> NoReturn:
        """Report invalid arguments after the usage, as argparse does, with exit code 2."""
        self.print_usage(sys.stderr)
        raise Exit(ExitCode.USAGE, message)

    def parse(self, argv: list[str]) -> argparse.Namespace:
        """Parse `argv`, naming an unknown option as such.

        `parse_args` would first complain about a missing URL, or call the
        option "unrecognized arguments", which reads like a problem with the
        arguments that follow it.
        """
        args, extras = self.parse_known_args(argv)
        for extra in extras:
            if extra.startswith("-") and extra != "-":
                name = extra.partition("=")[0]
                self.error(f"{name} is not an option (see: {self.prog} --help)")
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return args


def _number(kind: type[int] | type[float], minimum: float, *, strict: bool = True) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or not (value > minimum if strict else value >= minimum):
            relation = "greater than" if strict else "at least"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum}: {text!r}")
        return value

    return parse


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _TOKEN.fullmatch(name) or re.search(r"[\0\r\n]", value):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name, value


#: The commands besides following a URL.
COMMANDS = ("decode", "demo")

#: The exit codes each command can end with (following a URL: all of them).
_COMMAND_EXIT_CODES = {
    "decode": (
        ExitCode.OK,
        ExitCode.ERROR,
        ExitCode.USAGE,
        ExitCode.LIMIT,
        ExitCode.INPUT,
        ExitCode.INTERRUPTED,
        ExitCode.BROKEN_PIPE,
    ),
    # A server of its own on 127.0.0.1, over plain HTTP, with small events.
    "demo": (
        ExitCode.OK,
        ExitCode.ERROR,
        ExitCode.USAGE,
        ExitCode.NO_HTTPX,
        ExitCode.CONNECT,
        ExitCode.RETRIES_EXHAUSTED,
        ExitCode.IDLE_TIMEOUT,
        ExitCode.INTERRUPTED,
        ExitCode.BROKEN_PIPE,
    ),
    "conformance": (
        ExitCode.OK,
        ExitCode.ERROR,
        ExitCode.USAGE,
        ExitCode.NONCONFORMANT,
        ExitCode.INTERRUPTED,
        ExitCode.BROKEN_PIPE,
    ),
}


def epilog(command: str) -> str:
    """The exit codes `command` can end with, for the end of its `--help`."""
    codes = _COMMAND_EXIT_CODES.get(command, tuple(EXIT_CODES))
    return "exit codes:\n" + "\n".join(f"  {code.value:>3}  {EXIT_CODES[code]}" for code in codes)


def _output_options(parser: argparse.ArgumentParser, *, verbose: bool = True) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "--json", action="store_true", help="one JSON object per event: event, data, id, retry"
    )
    group.add_argument(
        "--event",
        action="append",
        metavar="TYPE",
        help="print only events of this type (repeatable)",
    )
    group.add_argument(
        "--max-events",
        type=_number(int, 0),
        metavar="N",
        help="exit (status 0) after printing N events",
    )
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="color the event headers (auto: on a terminal, unless NO_COLOR is set)",
    )
    if verbose:  # decode has no connection to tell about
        group.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=0,
            help="show the connection's lifecycle on stderr (-vv: also the library's log)",
        )


def _limit_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    group = parser.add_argument_group("limits")
    group.add_argument(
        "--max-line-size",
        type=_number(int, 0),
        default=DEFAULT_MAX_LINE_SIZE,
        metavar="BYTES",
        help="longest line accepted (default: %(default)s)",
    )
    group.add_argument(
        "--max-event-size",
        type=_number(int, 0),
        default=DEFAULT_MAX_EVENT_SIZE,
        metavar="CHARS",
        help="largest event data accepted (default: %(default)s)",
    )
    return group


def _parser(command: str) -> _Parser:
    # No abbreviated options: a script using one would break when an option
    # sharing its prefix is added.
    options: dict[str, Any] = {
        "allow_abbrev": False,
        "epilog": epilog(command),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    if command == "decode":
        parser = _Parser(
            prog=f"{PROG} decode",
            description="Decode a captured event stream (a file, or stdin) and print its\n"
            "events as they are decoded: the sans-IO decoder alone, no network.",
            **options,
        )
        parser.add_argument(
            "file", nargs="?", default="-", metavar="FILE", help="the capture; - for stdin"
        )
        _output_options(parser, verbose=False)
        limits = _limit_options(parser)
        limits.add_argument(
            "--stop-at-limit",
            action="store_true",
            help="stop at the first event over a limit (default: skip it, go on, exit 8)",
        )
        return parser
    if command == "demo":
        parser = _Parser(
            prog=f"{PROG} demo",
            description="Start a small event server on 127.0.0.1 that drops the connection\n"
            "now and then, and follow it: events, reconnects and resumption by\n"
            "Last-Event-ID, with no server of your own. Ends by itself in a few seconds.",
            **options,
        )
        demo = parser.add_argument_group("demo")
        demo.add_argument(
            "--events",
            type=_number(int, 0),
            default=12,
            metavar="N",
            help="events in the stream (default: 12)",
        )
        demo.add_argument(
            "--drop-every",
            type=_number(int, 0),
            default=5,
            metavar="N",
            help="events per connection before the server drops it (default: 5)",
        )
        demo.add_argument(
            "--interval",
            type=_number(float, 0, strict=False),
            default=0.15,
            metavar="SECONDS",
            help="between events (default: 0.15)",
        )
        _output_options(parser)
        return parser
    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [options] URL\n       {PROG} decode [options] [FILE|-]\n"
        f"       {PROG} demo [options]\n       {PROG} conformance [options] -- COMMAND...",
        description="Follow a Server-Sent Events stream and print its events. The connection\n"
        "is re-established as the reconnect policy says, resuming with Last-Event-ID.\n\n"
        "commands:\n"
        "  URL      follow the event stream at URL (http or https)\n"
        "  decode   decode a captured stream from FILE or stdin (see: decode --help)\n"
        "  demo     follow a local demo server that drops and resumes (see: demo --help)\n"
        "  conformance  check an SSE parser in any language (see: conformance --help)",
        **options,
    )
    # Optional to argparse, so that an unknown option is named before a missing URL.
    parser.add_argument("url", nargs="?", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__} ({DECODER_IMPLEMENTATION} decoder)",
    )
    request = parser.add_argument_group("request")
    request.add_argument(
        "-H",
        "--header",
        action="append",
        type=_header,
        default=[],
        metavar="'NAME: VALUE'",
        help="add a request header (repeatable)",
    )
    request.add_argument(
        "-X", "--method", help="request method (default: GET, or POST with a body)"
    )
    body = request.add_mutually_exclusive_group()
    body.add_argument(
        "-d", "--data", metavar="DATA", help="request body; @FILE reads a file, @- stdin"
    )
    body.add_argument(
        "--json-body",
        metavar="JSON",
        help="JSON request body (checked; sets Content-Type: application/json); "
        "@FILE reads a file, @- stdin",
    )
    request.add_argument(
        "--last-event-id", metavar="ID", help="resume after this event ID (sent as Last-Event-ID)"
    )
    reconnect = parser.add_argument_group("reconnection")
    never = reconnect.add_mutually_exclusive_group()
    never.add_argument(
        "--no-reconnect", action="store_true", help="never reconnect; a failure ends the command"
    )
    never.add_argument(
        "--max-attempts",
        type=_number(int, 0, strict=False),
        metavar="N",
        help="reconnections in a row without an event before giving up (default: 10)",
    )
    reconnect.add_argument(
        "--reconnection-time",
        type=_number(float, 0, strict=False),
        metavar="SECONDS",
        help="first reconnection delay until the server sends retry: (default: 3)",
    )
    reconnect.add_argument(
        "--reconnect-non-get",
        action="store_true",
        help="also reconnect a POST (or other non-GET) request, repeating its body",
    )
    reconnect.add_argument(
        "--wait",
        action="store_true",
        help="retry a first connection that fails (refused, DNS; not TLS) instead of exiting",
    )
    reconnect.add_argument(
        "--idle-timeout",
        type=_number(float, 0),
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="reconnect after this long without a byte (default: %(default)s)",
    )
    tls = parser.add_argument_group("TLS (https://)")
    verify = tls.add_mutually_exclusive_group()
    verify.add_argument(
        "-k",
        "--insecure",
        action="store_true",
        help="do not check the server's certificate (nor the name it is for)",
    )
    verify.add_argument(
        "--cacert",
        metavar="FILE",
        help="trust the CA certificates of this PEM file instead of the default ones "
        "(certifi's, or those of SSL_CERT_FILE or SSL_CERT_DIR if set)",
    )
    tls.add_argument(
        "--cert", metavar="FILE", help="client certificate (PEM), with its key unless --key"
    )
    tls.add_argument("--key", metavar="FILE", help="the private key of --cert (PEM)")
    _output_options(parser)
    _limit_options(parser)
    return parser


# --- commands ------------------------------------------------------------------------


def _import_connect() -> Callable[..., Any]:
    try:
        from ..adapters.httpx import connect  # noqa: PLC0415 - httpx is optional
    except ImportError as exc:
        raise Exit(
            ExitCode.NO_HTTPX,
            f"following a stream needs httpx ({exc}); install it with:\n"
            "    pip install 'ssec-proto[httpx]'",
        ) from None
    return connect


def _read_argument(value: str) -> bytes:
    """A body argument: the text itself, or the bytes of `@FILE` (`@-`: stdin)."""
    if not value.startswith("@"):
        return value.encode()
    if value == "@-":
        return sys.stdin.buffer.read()
    try:
        with open(value[1:], "rb") as file:
            return file.read()
    except OSError as exc:
        raise Exit(ExitCode.INPUT, f"cannot read {value[1:]}: {exc.strerror}") from None


def _request(args: argparse.Namespace) -> dict[str, Any]:
    """The request options for `connect()`, from the command line."""
    parts = urlsplit(args.url)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, or out of range
        valid = False
    if not valid:
        raise Exit(ExitCode.USAGE, f"not an http:// or https:// URL: {safe_url(args.url)!r}")
    headers: list[tuple[str, str]] = args.header
    content = None
    if args.data is not None:
        content = _read_argument(args.data)
    elif args.json_body is not None:
        content = _read_argument(args.json_body)
        try:
            json.loads(content)
        except ValueError as exc:
            raise Exit(ExitCode.USAGE, f"--json-body is not valid JSON: {exc}") from None
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers = [*headers, ("Content-Type", "application/json")]
    method = (args.method or ("GET" if content is None else "POST")).upper()
    if not _TOKEN.fullmatch(method):
        raise Exit(ExitCode.USAGE, f"not an HTTP method: {method!r}")
    options: dict[str, Any] = {}
    if args.max_attempts is not None:
        options["max_attempts"] = args.max_attempts
    if args.reconnection_time is not None:
        options["reconnection_time"] = args.reconnection_time
    try:
        reconnect = (
            False
            if args.no_reconnect
            else ReconnectConfig(reconnect_non_get=args.reconnect_non_get, **options)
        )
    except ValueError as exc:
        raise Exit(ExitCode.USAGE, str(exc)) from None
    return {
        "method": method,
        "headers": headers,
        "content": content,
        "last_event_id": args.last_event_id,
        "idle_timeout": args.idle_timeout,
        "reconnect": reconnect,
        "max_line_size": args.max_line_size,
        "max_event_size": args.max_event_size,
    }


def _follow(
    url: str,
    request: dict[str, Any],
    args: argparse.Namespace,
    output: Output,
    narrator: Narrator,
    *,
    wait: bool,
    tls: TLSOptions,
) -> ExitCode:
    """Follow the stream at `url` and print its events until it ends."""
    connect = _import_connect()
    opened = False

    def on_lifecycle(change: Lifecycle) -> None:
        nonlocal opened
        opened = opened or isinstance(change, Opened)
        if isinstance(change, Retrying) and change.error is not None:
            # Waiting mends neither a certificate nor a port without TLS.
            failure = tls_failure(change.error, url)
            if failure is not None:
                raise failure
            if not opened and not wait:
                # A first connection that fails is most likely a wrong URL,
                # not an outage: say so at once, as curl does, rather than
                # back off.
                failure = connect_failure(change.error, url)
                if failure is not None:
                    failure.message += " (--wait keeps retrying)"
                    raise failure
        narrator.lifecycle(change)

    with tls.client() as client:
        try:
            source = connect(url, client=client, on_lifecycle=on_lifecycle, **request)
        except ValueError as exc:  # e.g. a Last-Event-ID with a line break
            raise Exit(ExitCode.USAGE, str(exc)) from None
        with source, library_log(args.verbose, sys.stderr):
            try:
                for event in source:
                    if output.write([event]):
                        break
            except (LimitExceeded, ResponseError, ConnectionFailed) as exc:
                raise stream_failure(exc, url) from None
    return ExitCode.OK


def _demo(args: argparse.Namespace) -> ExitCode:
    """Follow a local server that drops connections and resumes them."""
    from ._demo import DemoServer  # noqa: PLC0415 - http.server only for the demo

    _import_connect()  # before the server starts, whose narration would say otherwise
    narrator = Narrator(max(args.verbose, 1), sys.stderr)
    with DemoServer(
        events=args.events,
        drop_every=args.drop_every,
        interval=args.interval,
        say=lambda line: narrator.line(line, prefix="[server] "),
    ) as server:
        narrator.url = server.url
        narrator.line(f"demo server listening on {server.url}", prefix="[server] ")
        # Bounded, so that the demo ends even if something goes wrong.
        request = {"idle_timeout": 10.0, "reconnect": ReconnectConfig(max_attempts=3)}
        output = Output(args, sys.stdout)
        code = _follow(server.url, request, args, output, narrator, wait=False, tls=TLSOptions())
        drops = server.drops
    narrator.line(
        f"demo done: {output.count} events printed, {drops} dropped connection(s), each\n"
        "resumed after the last complete event: none lost, none repeated.\n"
        f"next: {PROG} URL  (options: {PROG} --help)",
        prefix="",
    )
    return code


def _command(argv: list[str]) -> tuple[str, list[str]]:
    """The command `argv` asks for, and its arguments without the command's name.

    Options may come before the name (`ssec-proto --json decode FILE`): the
    name is the first argument that is neither an option nor an option's value.
    """
    # Any command's option that takes a value, so that its value is skipped.
    # (argparse keeps its actions in an attribute of its own, not a method.)
    with_value = {
        name
        for parser in map(_parser, ("follow", *COMMANDS))
        for action in parser._actions
        if action.nargs != 0
        for name in action.option_strings
    }
    value_next = False
    for index, arg in enumerate(argv):
        if value_next:
            value_next = False
        elif arg in COMMANDS:
            return arg, argv[:index] + argv[index + 1 :]
        elif arg.startswith("-") and arg not in ("-", "--"):
            value_next = arg in with_value
        else:
            break  # the URL (or an argument out of place, which the parser names)
    return "follow", argv


def _run(argv: list[str]) -> ExitCode:
    if argv[:1] == ["conformance"]:
        from ._conformance import conformance  # noqa: PLC0415 - the kit only for this command

        return conformance(argv[1:])
    command, argv = _command(argv)
    parser = _parser(command)
    args = parser.parse(argv)
    if command == "decode":
        return decode(args)
    if command == "demo":
        return _demo(args)
    if args.url is None:
        parser.error("the following arguments are required: URL")
    if args.key is not None and args.cert is None:
        parser.error("--key goes with --cert FILE")
    request = _request(args)
    narrator = Narrator(args.verbose, sys.stderr, args.url)
    tls = TLSOptions(args.insecure, args.cacert, args.cert, args.key)
    output = Output(args, sys.stdout)
    return _follow(args.url, request, args, output, narrator, wait=args.wait, tls=tls)


def _quiet_stdout() -> None:
    # The reader is gone: point stdout at /dev/null so that flushing it at
    # exit does not fail again.
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `ssec-proto` command.

    Args:
        argv: The arguments, without the program name (default:
            `sys.argv[1:]`).

    Returns:
        The exit status, an `ExitCode`.
    """
    for stream in (sys.stdout, sys.stderr):
        # Print what a server sends even where the terminal's encoding cannot.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except Exit as exc:
        if exc.message:
            sys.stderr.write(f"{PROG}: error: {exc.message}\n")
        return exc.code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return ExitCode.BROKEN_PIPE
    except Exception as exc:  # a bug: say so, without a traceback
        sys.stderr.write(
            f"{PROG}: error: unexpected {type(exc).__name__}: {exc}\n"
            f"    this is a bug in {PROG} {__version__}; please report it\n"
        )
        return ExitCode.ERROR
