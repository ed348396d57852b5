"""`ssec-proto decode`: a captured stream through the sans-IO decoder alone.

An event over a limit is skipped, as the decoder itself skips it: the events
after it are printed, each skipped one is reported on stderr where it stood,
and the exit code says that something was skipped. `--stop-at-limit` ends
at the first one instead.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, cast

from .._errors import LimitExceeded
from .._implementation import Decoder
from ._exits import Exit, ExitCode, limit_flag, limit_text
from ._output import PROG, Output

if TYPE_CHECKING:
    import argparse
    import io
    from collections.abc import Generator, Sequence

    from .._events import Event

__all__ = ["decode"]

#: Bytes read from a capture at a time; `read1` returns sooner with less.
_CHUNK = 64 * 1024


def _chunks(path: str) -> Generator[bytes, None, None]:
    """The bytes of a file, or of stdin for `-`, as they arrive."""
    try:
        with contextlib.ExitStack() as stack:
            stream = cast(
                "io.BufferedIOBase",
                sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb")),
            )
            # read1 returns what has arrived: a growing capture is decoded live.
            while chunk := stream.read1(_CHUNK):
                yield chunk
    except OSError as exc:
        name = "stdin" if path == "-" else path
        raise Exit(ExitCode.INPUT, f"cannot read {name}: {exc.strerror or exc}") from None


class _Decoding:
    """Decodes chunks into events and limit errors, each error in its place.

    A limit error carries the events of its whole `feed()` call, those
    before the skipped event and those after it, and one error stands for
    every event skipped in that call. To tell them apart, a second decoder
    follows one chunk behind; a chunk that raised is fed to it again a line
    at a time, so that each of its calls completes one event at most.
    """

    def __init__(self, max_line_size: int, max_event_size: int) -> None:
        self._decoder = Decoder(max_line_size=max_line_size, max_event_size=max_event_size)
        self._behind = Decoder(max_line_size=max_line_size, max_event_size=max_event_size)

    def feed(self, chunk: bytes) -> Sequence[Event | LimitExceeded]:
        """The events that `chunk` completes, and an error where an event was skipped."""
        try:
            events = self._decoder.feed(chunk)
        except LimitExceeded:
            return [item for line in chunk.splitlines(keepends=True) for item in self._line(line)]
        # The same bytes after the same bytes: the same verdict (a limit trips
        # at the same byte whatever the chunking), so this does not raise.
        self._behind.feed(chunk)
        return events

    def _line(self, line: bytes) -> Sequence[Event | LimitExceeded]:
        try:
            return self._behind.feed(line)
        except LimitExceeded as exc:
            # At most one event completed in this call: the one before.
            return [*exc.events, exc]


def decode(args: argparse.Namespace) -> ExitCode:
    """Decode a capture from a file or stdin, printing events as they complete."""
    output = Output(args, sys.stdout)
    decoding = _Decoding(args.max_line_size, args.max_event_size)
    seen = 0  # events of the input, skipped ones included
    skipped: list[str] = []  # the option each skipped event was over
    # Only reading is guarded: a failed write (a closed pipe) is not an input error.
    with contextlib.closing(_chunks(args.file)) as chunks:
        for item in (item for chunk in chunks for item in decoding.feed(chunk)):
            seen += 1
            if not isinstance(item, LimitExceeded):
                if output.write([item]):
                    break  # --max-events
                continue
            if args.stop_at_limit:
                raise Exit(
                    ExitCode.LIMIT,
                    f"event #{seen} of the input: {limit_text(item)}; stopped there "
                    f"(--stop-at-limit): raise {limit_flag(item)} if the input is legitimate",
                )
            sys.stderr.write(f"{PROG}: skipped event #{seen} of the input: {limit_text(item)}\n")
            sys.stderr.flush()
            skipped.append(limit_flag(item))
    if skipped:
        count, options = len(skipped), list(dict.fromkeys(skipped))
        raise Exit(
            ExitCode.LIMIT,
            f"{count} event{'s' if count > 1 else ''} skipped (over {' and '.join(options)}); "
            f"raise the limit{'s' if len(options) > 1 else ''} if the input is legitimate",
        )
    return ExitCode.OK
