"""A deliberately simple, spec-literal reference decoder: the tests' oracle.

It follows WHATWG HTML "Interpreting an event stream" step by step, on the
whole stream at once, with no attempt at speed or streaming:

1. UTF-8 decode with U+FFFD replacement and strip one leading BOM;
2. split into lines character by character (CR LF, lone LF, lone CR); the
   text after the last line ending is an incomplete line and is dropped;
3. apply the field rules line by line, keeping the spec's buffers as plain
   strings (the data buffer gets "data value + LF" appended, and dispatch
   removes one trailing LF).

``Event.retry`` (the retry value of the event's own block) is ssec-proto's
addition to the spec's model; it is tracked next to the spec's buffers. So
are the comments, which ssec-proto shows to ``on_comment``: pass a list as
``comments`` to collect their text.

:func:`decode_limited` adds ssec-proto's documented size limits (not part of
the spec) on top of the same field rules, for the limit properties.
"""

from __future__ import annotations

from typing import NamedTuple

from ssec_proto import Event

__all__ = ["Result", "decode", "decode_limited", "interpret", "split_lines"]

BOM = "\ufeff"


class Result(NamedTuple):
    """What a stream decodes to."""

    events: list[Event]
    last_event_id: str
    retry: int | None


def split_lines(text: str) -> list[str]:
    """Return the complete lines of ``text``, without their line endings.

    "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE
    FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a
    single U+000D CARRIAGE RETURN (CR) character." Whatever follows the last
    line ending is not a line (yet) and is dropped.
    """
    lines = []
    current = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r":
            lines.append(current)
            current = ""
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1  # CR LF is one line ending
        elif char == "\n":
            lines.append(current)
            current = ""
        else:
            current += char
        i += 1
    return lines


def field_value(line: str) -> str:
    """The value of a field line: after the first colon, minus one leading space.

    A line without a colon is a field name with an empty value.
    """
    if ":" not in line:
        return ""
    value = line[line.index(":") + 1 :]
    if value.startswith(" "):
        value = value[1:]
    return value


def is_ascii_digits(value: str) -> bool:
    return value != "" and all(char in "0123456789" for char in value)


def interpret(
    lines: list[str | None],
    *,
    last_event_id: str = "",
    retry: int | None = None,
    max_event_size: int | None = None,
    comments: list[str] | None = None,
) -> Result:
    """Apply the field rules to complete lines.

    Limits (ssec-proto's, not the spec's): ``None`` stands for a line over
    the line size limit, and a ``data`` field that would make the event's
    data longer than ``max_event_size`` characters trips the event limit. In
    both cases the whole block is dropped, id included, and the rest of it is
    skipped up to and including its blank line (fields before the offending
    line, such as ``retry``, have taken effect already; comments after it are
    not shown).

    Comments: the text after the colon, less one leading space, is appended
    to ``comments`` if given.
    """
    events = []
    data_buffer = ""
    event_type_buffer = ""
    last_event_id_buffer = last_event_id
    block_retry = None
    skipping = False
    for line in lines:
        if skipping:
            if line == "":
                skipping = False
            continue
        if line is None or (
            max_event_size is not None
            and line.partition(":")[0] == "data"
            and len(data_buffer) + len(field_value(line)) > max_event_size
        ):
            # Limit hit: forget the block and skip to its blank line.
            data_buffer = ""
            event_type_buffer = ""
            last_event_id_buffer = last_event_id
            block_retry = None
            skipping = True
            continue
        if line == "":
            # Dispatch the event.
            # Step 1: set the last event ID string to the buffer.
            last_event_id = last_event_id_buffer
            # Step 2: no data, reset the buffers and return.
            if data_buffer == "":
                event_type_buffer = ""
                block_retry = None
                continue
            # Step 3: remove the last character of the data buffer (an LF).
            data = data_buffer[:-1]
            # Steps 4-6: type "message" unless the type buffer is non-empty.
            event_type = event_type_buffer if event_type_buffer != "" else "message"
            events.append(Event(event=event_type, data=data, id=last_event_id, retry=block_retry))
            # Step 7: reset the data and event type buffers.
            data_buffer = ""
            event_type_buffer = ""
            block_retry = None
            continue
        if line.startswith(":"):
            # A comment.
            if comments is not None:
                comments.append(field_value(line))
            continue
        field = line.partition(":")[0]
        value = field_value(line)
        if field == "event":
            event_type_buffer = value
        elif field == "data":
            data_buffer += value + "\n"
        elif field == "id":
            if "\0" not in value:
                last_event_id_buffer = value
        elif field == "retry" and is_ascii_digits(value):
            # ssec-proto's documented choice, not the spec's: leading zeros
            # do not count, and a value of more than 640 significant digits
            # is ignored (so that no int/str conversion limit matters).
            significant = value.lstrip("0")
            if len(significant) <= 640:
                retry = block_retry = int(significant or "0")
        # Any other field is ignored.
    return Result(events, last_event_id, retry)


def decode(
    raw: bytes,
    *,
    last_event_id: str = "",
    retry: int | None = None,
    comments: list[str] | None = None,
) -> Result:
    """Decode a whole stream with the spec's rules (no size limits)."""
    text = raw.decode("utf-8", "replace")
    if text.startswith(BOM):
        text = text[1:]
    return interpret(
        list(split_lines(text)), last_event_id=last_event_id, retry=retry, comments=comments
    )


def decode_limited(
    raw: bytes,
    *,
    max_line_size: int | None = None,
    max_event_size: int | None = None,
    comments: list[str] | None = None,
) -> Result:
    """Decode a whole stream with ssec-proto's documented size limits.

    Lines are split on the raw bytes (decoded as Latin-1, one character per
    byte) so that their length can be measured in bytes, then each line is
    UTF-8 decoded on its own. With no limits this equals :func:`decode`,
    which the tests check: CR and LF never occur inside a UTF-8 sequence.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines: list[str | None] = []
    for byte_line in split_lines(raw.decode("latin-1")):
        raw_line = byte_line.encode("latin-1")
        if max_line_size is not None and len(raw_line) > max_line_size:
            lines.append(None)
        else:
            lines.append(raw_line.decode("utf-8", "replace"))
    return interpret(lines, max_event_size=max_event_size, comments=comments)
