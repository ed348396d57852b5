"""`ssec-proto conformance -- COMMAND...`: the conformance kit against a parser in any language.

The parser runs behind an adapter that speaks the kit's JSON-lines protocol
on its stdin and stdout (see `ssec_proto.testing.AdapterProcess` and
docs/testing.md); the report is a table on the terminal, and optionally
Markdown or JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING

from ..testing import AdapterProcess, cases, run
from ..testing._process import DEFAULT_TIMEOUT
from ..testing._properties import DEFAULT_EXAMPLES
from ..testing._run import DEFAULT_RANDOM_CHUNKINGS
from ._exits import Exit, ExitCode
from ._main import _number, _Parser, epilog
from ._output import PROG, printable

if TYPE_CHECKING:
    from ..testing import Report

__all__ = ["conformance"]


def _parser() -> _Parser:
    parser = _Parser(
        prog=f"{PROG} conformance",
        usage=f"{PROG} conformance [options] -- COMMAND [ARG...]",
        description="Check an SSE parser in any language against ssec-proto's conformance kit:\n"
        "named cases from the WHATWG spec under every chunking, then generated\n"
        "streams. COMMAND starts an adapter that drives the parser and speaks the\n"
        "kit's JSON-lines protocol on stdin and stdout (docs: Test your parser).",
        allow_abbrev=False,
        epilog=epilog("conformance"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    checks = parser.add_argument_group("checks")
    checks.add_argument(
        "--case",
        action="append",
        metavar="PATTERN",
        help="run only the cases whose name matches (e.g. 'retry/*'; repeatable)",
    )
    for flag, kind, default, metavar, text in (
        (
            "--examples",
            _number(int, 0, strict=False),
            DEFAULT_EXAMPLES,
            "N",
            "generated streams after the cases; 0: none",
        ),
        (
            "--random-chunkings",
            _number(int, 0, strict=False),
            DEFAULT_RANDOM_CHUNKINGS,
            "N",
            "random chunkings per case, besides the systematic ones",
        ),
        ("--seed", int, 0, "N", "seeds the random chunkings and streams"),
        (
            "--timeout",
            _number(float, 0),
            DEFAULT_TIMEOUT,
            "SECONDS",
            "longest wait for each answer of the adapter",
        ),
    ):
        checks.add_argument(
            flag, type=kind, default=default, metavar=metavar, help=f"{text} (default: %(default)s)"
        )
    report = parser.add_argument_group("report")
    for flag, kind in (("--markdown", "Markdown"), ("--json", "JSON")):
        report.add_argument(
            flag,
            type=argparse.FileType("w", encoding="utf-8", errors="backslashreplace"),
            metavar="FILE",
            help=f"also write the report as {kind} (-: to stdout, instead of the table)",
        )
    return parser


def _write(stream: IO[str], text: str) -> None:
    stream.write(text)
    if stream is sys.stdout:
        stream.flush()
    else:
        stream.close()


def conformance(argv: list[str]) -> ExitCode:
    """Run `ssec-proto conformance` with the arguments after the command's name."""
    parser = _parser()
    args = parser.parse_args(argv)
    command: list[str] = args.command
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("the adapter's command is missing: ... conformance -- COMMAND [ARG...]")
    try:
        selected = cases(*(args.case or ()))
    except ValueError as error:
        raise Exit(ExitCode.USAGE, str(error)) from None
    with AdapterProcess(command, timeout=args.timeout) as adapter:
        try:
            adapter.start()
        except OSError as error:
            raise Exit(ExitCode.USAGE, f"cannot run {adapter}: {error.strerror or error}") from None
        result: Report = run(
            adapter,
            cases=selected,
            examples=args.examples,
            seed=args.seed,
            random_chunkings=args.random_chunkings,
        )
    if args.markdown is not None:
        _write(args.markdown, result.markdown())
    if args.json is not None:
        _write(args.json, json.dumps(result.to_json(), indent=2) + "\n")
    if sys.stdout not in (args.markdown, args.json):
        # What a parser sent must not drive the terminal.
        _write(sys.stdout, printable(result.text()))
    return ExitCode.OK if result.passed else ExitCode.NONCONFORMANT
