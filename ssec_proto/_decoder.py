"""Lines to events: the field rules of WHATWG HTML "Interpreting an event stream".

Spec text quoted below is from the WHATWG HTML Living Standard, section 9.2.6
"Interpreting an event stream" and the "dispatch the event" steps in it.
"""

from __future__ import annotations

import sys
from contextlib import suppress
from typing import TYPE_CHECKING

from ._errors import EventTooLarge, LimitExceeded, LineTooLong
from ._events import Event
from ._lines import LineSplitter

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_LINE_SIZE", "Decoder"]

# The decoder builds events through the slot descriptors: the frozen
# dataclass __init__ sets each field with object.__setattr__ and costs three
# times as much, which is most of the per-event cost on small events. The
# result is the same frozen, slotted Event.
_new_event = object.__new__
_set_type = Event.__dict__["event"].__set__
_set_data = Event.__dict__["data"].__set__
_set_id = Event.__dict__["id"].__set__
_set_retry = Event.__dict__["retry"].__set__

#: Default limit on one line, in bytes (16 MiB). Generous on purpose: LLM APIs
#: send multi-megabyte base64 images as one ``data:`` line, and Go's 64 KiB
#: ``bufio.Scanner`` default is a well-known source of "token too long"
#: failures in SSE clients built on it.
DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024

#: Default limit on one event's data, in characters (64 MiB).
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024

_BYTES_LIKE = (bytes, bytearray, memoryview)


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value or "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain NUL, CR or LF: {value!r}")
    return value


class Decoder:
    """Push-style, sans-IO decoder for a ``text/event-stream`` byte stream.

    Feed it the bytes of one HTTP response body as they arrive; it returns the
    events each chunk completes. It does no I/O and keeps no reference to the
    transport, so any client (or a test) can drive it::

        decoder = Decoder()
        for chunk in chunks:
            for event in decoder.feed(chunk):
                ...

    Chunk boundaries never matter: any split of the same bytes yields the same
    events, each one returned by the ``feed()`` call that delivers its blank
    line.

    Args:
        max_line_size: Longest accepted line in bytes, without its line
            ending. ``None`` removes the limit (not recommended for untrusted
            servers).
        max_event_size: Longest accepted event data in characters.
            ``None`` removes the limit.
        last_event_id: Start from this last event ID, e.g. one stored from an
            earlier connection. It must not contain NUL, CR or LF.
        retry: Start from this reconnection time in milliseconds.
        on_comment: Called with the text of every comment line (the part
            after the colon, minus one leading space) while :meth:`feed`
            parses it, so before ``feed()`` returns the events of that chunk.
            Keep-alive comments are typically empty strings. The callback must
            not raise: an exception propagates out of ``feed()`` and the rest
            of that chunk is lost.

    Raises:
        ValueError: If a limit is not positive or ``last_event_id`` is
            invalid.
    """

    __slots__ = (
        "_block_retry",
        "_data",
        "_data_size",
        "_discard",
        "_event_type",
        "_id_buffer",
        "_last_event_id",
        "_lines",
        "_max_data_size",
        "_on_comment",
        "_retry",
    )

    def __init__(
        self,
        *,
        max_line_size: int | None = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str = "",
        retry: int | None = None,
        on_comment: Callable[[str], object] | None = None,
    ) -> None:
        for name, limit in (("max_line_size", max_line_size), ("max_event_size", max_event_size)):
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                raise ValueError(f"{name} must be a positive int or None, not {limit!r}")
        if retry is not None and (
            not isinstance(retry, int) or isinstance(retry, bool) or retry < 0
        ):
            raise ValueError(f"retry must be a non-negative int or None, not {retry!r}")
        self._lines = LineSplitter(max_line_size)
        self._on_comment = on_comment
        # The spec's "last event ID string" of the event source: what a
        # reconnect sends as Last-Event-ID.
        self._last_event_id = _check_id(last_event_id, "last_event_id")
        # The spec's "last event ID buffer": an id field writes here, and
        # dispatch step 1 copies it to the string above at the blank line.
        self._id_buffer = self._last_event_id
        self._retry = retry
        self._data: list[str] = []
        self._event_type = ""
        self._block_retry: int | None = None
        # The data buffer's length (each line with its LF) and its limit,
        # which is one more than the limit on the event's data; and whether
        # the current block is being discarded after a limit was exceeded.
        self._data_size = 0
        self._max_data_size = (sys.maxsize if max_event_size is None else max_event_size) + 1
        self._discard = False

    @property
    def last_event_id(self) -> str:
        """The last event ID as of the last blank line (``""`` until then).

        This is what a reconnect sends as ``Last-Event-ID``. An ``id`` field
        takes effect when its block's blank line arrives, whether or not the
        block dispatches an event, so an ID in a block cut off by a dropped
        connection never counts.
        """
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds from the last valid ``retry`` field.

        ``None`` until the stream (or the constructor) sets one. As in the
        spec, a valid ``retry`` field takes effect at once, even in a block
        that is later cut off.
        """
        return self._retry

    def reset(self) -> None:
        """Prepare for a new connection (a new stream).

        Drops any partial line and partial event, and the BOM and UTF-8 state,
        so the next stream may start with its own BOM. Keeps
        :attr:`last_event_id` and :attr:`retry`, which outlive connections.
        Also call it when a stream ends: per the spec, an event whose blank
        line never arrived is discarded.
        """
        self._lines.reset()
        self._data = []
        self._event_type = ""
        self._block_retry = None
        self._id_buffer = self._last_event_id
        self._data_size = 0
        self._discard = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Consume a chunk of the stream and return the events it completes.

        Args:
            data: The next bytes of the response body, of any length
                (including empty).

        Returns:
            The events whose blank line is in this chunk, in stream order.

        Raises:
            TypeError: If ``data`` is not bytes-like (e.g. a ``str``).
            LineTooLong: If a line exceeds ``max_line_size``.
            EventTooLarge: If an event's data exceeds ``max_event_size``.
                Both limit errors carry the chunk's complete events in
                ``.events``; the offending event is discarded and the decoder
                stays usable.
        """
        if type(data) is not bytes:
            if not isinstance(data, _BYTES_LIKE):
                raise TypeError(
                    "Decoder.feed() takes bytes (or bytearray/memoryview), not "
                    f"{type(data).__name__}; pass the raw response body bytes"
                    + (", e.g. text.encode('utf-8')" if isinstance(data, str) else "")
                )
            data = bytes(data)
        lines = self._lines.feed(data)
        if not lines:
            return []
        return self._process(lines)

    def _process(self, lines: list[str | None]) -> list[Event]:
        events: list[Event] = []
        error: LimitExceeded | None = None
        data = self._data
        size = self._data_size
        max_size = self._max_data_size
        event_type = self._event_type
        id_buffer = self._id_buffer
        block_retry = self._block_retry
        it = iter(lines)
        if self._discard:
            # Still skipping the block of an earlier over-limit line or event.
            for skipped in it:
                if skipped == "":
                    self._discard = False
                    break
            else:
                return events
        for line in it:
            if not line:
                if line is None:
                    # An over-long line stands here (see _lines.py).
                    error = error or LineTooLong(self._lines.limit)
                else:
                    # "If the line is empty (a blank line): Dispatch the event."
                    # Step 1: the last event ID string takes the buffer's value.
                    self._last_event_id = id_buffer
                    if data:
                        # Step 3, by joining: appending LF after each line and
                        # removing the last one is "\n".join(). Steps 4-6: the
                        # event carries the last event ID string, and the type
                        # is "message" unless the buffer says otherwise.
                        event = _new_event(Event)
                        _set_type(event, event_type or "message")
                        _set_data(event, "\n".join(data) if len(data) > 1 else data[0])
                        _set_id(event, id_buffer)
                        _set_retry(event, block_retry)
                        events.append(event)
                        data = []
                        size = 0
                    # Steps 2 and 7: reset the data and event type buffers.
                    event_type = ""
                    block_retry = None
                    continue
            elif line[:5] == "data:":
                # The most common line, ahead of the general field rules
                # below (which it follows exactly).
                value = line[6:] if line[5:6] == " " else line[5:]
                size += len(value) + 1
                if size <= max_size:
                    data.append(value)
                    continue
                error = error or EventTooLarge(max_size - 1)
            elif line[0] == ":":
                # "If the line starts with a U+003A COLON character (:)
                # Ignore the line." We let the caller observe it.
                if self._on_comment is not None:
                    self._on_comment(line[2:] if line[1:2] == " " else line[1:])
                continue
            else:
                # "Collect the characters on the line before the first U+003A
                # COLON character (:), and let field be that string ... If
                # value starts with a U+0020 SPACE character, remove it from
                # value." A line without a colon is a field name with an empty
                # value, which is exactly what partition() gives.
                field, _, value = line.partition(":")
                if value[:1] == " ":
                    value = value[1:]
                # "Field names must be compared literally, with no case folding."
                if field == "data":
                    # Count the data buffer as it grows, line by line, so the
                    # limit trips at the same line whatever the chunking.
                    size += len(value) + 1
                    if size <= max_size:
                        data.append(value)
                        continue
                    error = error or EventTooLarge(max_size - 1)
                elif field == "event":
                    event_type = value
                    continue
                elif field == "id":
                    # "If the field value does not contain U+0000 NULL, then
                    # set the last event ID buffer to the field value."
                    if "\0" not in value:
                        id_buffer = value
                    continue
                else:
                    if field == "retry" and value.isascii() and value.isdigit():
                        # "If the field value consists of only ASCII digits
                        # ... set the event stream's reconnection time to that
                        # integer." isdigit() is False for "", so an empty
                        # value is ignored, as browsers do. int() refuses
                        # values beyond the interpreter's int/str conversion
                        # limit (thousands of digits), no usable time either.
                        with suppress(ValueError):
                            block_retry = self._retry = int(value)
                    # "Otherwise: The field is ignored."
                    continue
            # A limit was hit: drop this whole block, its id included, as if
            # the connection had been cut before it, and skip to its blank
            # line (which may come in a later chunk).
            data = []
            size = 0
            event_type = ""
            block_retry = None
            id_buffer = self._last_event_id
            for skipped in it:
                if skipped == "":
                    break
            else:
                self._discard = True
        self._data = data
        self._data_size = size
        self._event_type = event_type
        self._id_buffer = id_buffer
        self._block_retry = block_retry
        if error is not None:
            error.events = events
            raise error
        return events
