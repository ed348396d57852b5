"""What `ssec-proto` prints: events on stdout, the connection's story on stderr."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from .._lifecycle import Closed, Connecting, Opened, Retrying

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from .._events import Event
    from .._lifecycle import Lifecycle

__all__ = ["PROG", "Narrator", "Output", "library_log", "printable", "safe_url"]

#: The command's name, at the start of its messages.
PROG = "ssec-proto"

# C0 and C1 controls but line feed and tab, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    r"""`text` with control characters escaped (`\x1b`), line feeds and tabs kept.

    What a server sends must not drive the user's terminal (escape sequences
    can move the cursor, rewrite the title or hide text); `--json` output
    keeps the data exact, since JSON escapes them anyway.
    """
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def safe_url(url: str) -> str:
    """`url` with any password replaced by `***`, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()


class Output:
    """Writes events to stdout, as text for people or NDJSON for programs."""

    def __init__(self, args: argparse.Namespace, stream: IO[str]) -> None:
        self.stream = stream
        self.as_json: bool = args.json
        self.types = frozenset(args.event) if args.event else None
        self.max_events: int | None = args.max_events
        self.count = 0
        self.color = args.color == "always" or (
            args.color == "auto" and stream.isatty() and not os.environ.get("NO_COLOR")
        )

    def write(self, events: list[Event]) -> bool:
        """Print the events that pass the filter; `True` once `--max-events` are out."""
        for event in events:
            if self.types is not None and event.event not in self.types:
                continue
            self.stream.write(self._json(event) if self.as_json else self._text(event))
            # Each event as it comes, even into a pipe: `| jq` and `tail -f |` are live.
            self.stream.flush()
            self.count += 1
            if self.count == self.max_events:
                return True
        return False

    @staticmethod
    def _json(event: Event) -> str:
        record = {"event": event.event, "data": event.data, "id": event.id, "retry": event.retry}
        return json.dumps(record, ensure_ascii=False) + "\n"

    def _text(self, event: Event) -> str:
        header = f"[{printable(event.event)}]"
        if event.id:
            header += f" id={printable(event.id)}"
        if event.retry is not None:
            header += f" retry={event.retry}ms"
        if self.color:
            header = f"\x1b[1;36m{header}\x1b[0m"
        data = printable(_pretty(event.data))
        lines = [header] + ["  " + line for line in data.split("\n")]
        return "\n".join(lines if event.data else lines[:1]) + "\n"


def _pretty(data: str) -> str:
    # Only objects and arrays gain from indentation; "42" or "true" stay as sent.
    if data.lstrip()[:1] not in ("{", "["):
        return data
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return data
    return json.dumps(value, indent=2, ensure_ascii=False)


class Narrator:
    """Tells on stderr what the connection does: always failures, all of it with -v."""

    def __init__(self, verbosity: int, stream: IO[str], url: str = "") -> None:
        self.verbosity = verbosity
        self.stream = stream
        self.url = safe_url(url)

    def lifecycle(self, change: Lifecycle) -> None:
        """Describe one lifecycle change, if the verbosity asks for it."""
        if isinstance(change, Retrying):
            # A failure is shown even without -v: otherwise a client waiting
            # out a backoff would look hung.
            if self.verbosity or change.error is not None:
                self.line(
                    f"{change.reason}; reconnecting in {change.delay:.2f}s "
                    f"(attempt {change.attempt})"
                )
        elif not self.verbosity:
            return
        elif isinstance(change, Connecting):
            resume = f" with Last-Event-ID: {change.last_event_id}" if change.last_event_id else ""
            self.line(f"connecting to {self.url}{resume}")
        elif isinstance(change, Opened):
            content_type = change.headers.get("content-type", "")
            self.line(f"connected: HTTP {change.status} {content_type}".rstrip())
        elif isinstance(change, Closed):
            self.line(f"closed: {change.reason}")
        # Failed: the error message that ends the command says it all.

    def line(self, text: str, prefix: str = "* ") -> None:
        """Print one line of narration."""
        self.stream.write(f"{prefix}{text}\n")
        self.stream.flush()


@contextlib.contextmanager
def library_log(verbosity: int, stream: IO[str]) -> Iterator[None]:
    # The lifecycle callback narrates; the library's own log lines would
    # repeat it (Python prints unhandled warnings on stderr), so they are
    # shown only with -vv, and the logger is put back as it was afterwards.
    logger = logging.getLogger("ssec_proto")
    saved = logger.level, logger.propagate
    handler: logging.Handler = logging.NullHandler()
    if verbosity >= 2:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("* log %(levelname)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
