"""The decoder: bytes in, events out, by WHATWG HTML "Interpreting an event stream".

Spec text quoted below is from the WHATWG HTML Living Standard, section
"Interpreting an event stream" and the "dispatch the event" steps in it.

The decoder spends as few Python operations per byte and per event as the
rules allow (figures in benchmarks/README.md):

* Block mode. Between events, and while an open block is small, a chunk is
  appended to a buffer and searched for the blank line that ends the block
  (two LFs in a row, line endings being LF by then). The block's lines are parsed
  together once it is complete: until then they have no effect, except
  comments (reported as they arrive, when someone listens) and retry fields
  (applied as soon as `Decoder.retry` is read, or the stream resets).
* A complete block of `data`, `event` and `id` lines in their usual
  spelling becomes an event straight from its values, and a chunk of many
  blocks of one shape becomes events a column of lines at a time.
* Everything else (comments, retry, other spellings, blocks too long to hold,
  lines or events over a limit) goes through `Decoder._process`, which
  applies the rules line by line as the spec words them: line mode. Line
  mode lasts to the end of its block: the complete blocks after it in the
  same chunk go back to block mode.

All paths give the same events: the property tests compare the decoder,
fed in any chunks, with a spec-literal reference (tests/reference.py).
"""

from __future__ import annotations

import sys
from contextlib import suppress
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

from ._errors import EventTooLarge, LimitExceeded, LineTooLong
from ._events import Event
from ._lines import LineEndings, to_lf

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_LINE_SIZE", "Decoder"]

# Events are built with tuple.__new__ on a ready tuple of the four fields,
# which skips the keyword-only Event.__new__: a third of the cost, on the one
# object a decoder builds per event.
_new_event = tuple.__new__
_MESSAGE = "message"

#: An open block is held back, unparsed, while it is at most this many bytes
#: (and within both limits), so that it is parsed whole once its blank line
#: arrives; a longer one is parsed line by line as its lines arrive.
_MAX_HELD = 4096

#: The start of the buffer of an open block: an LF, as if a line had just
#: ended, so that the searches in Decoder.feed() see the block's first line
#: start like any other.
_HEAD = b"\n"
_H = len(_HEAD)


def _as_bytes(data: object) -> bytes:
    if not isinstance(data, _BYTES_LIKE):
        raise TypeError(
            "Decoder.feed() takes bytes (or bytearray/memoryview), not "
            f"{type(data).__name__}; pass the raw response body bytes"
            + (", e.g. text.encode('utf-8')" if isinstance(data, str) else "")
        )
    return bytes(data)


def _raise_with(error: LimitExceeded | None, events: list[Event]) -> None:
    """Raise a limit error found while parsing, with the events completed."""
    if error is not None:
        error.events = events
        raise error


#: Bytes of complete blocks parsed at a time (see Decoder._parse_held).
_PIECE = 64 * 1024

#: A line longer than this is decoded on its own in line mode.
_LONG_LINE = 1024

#: Building events by columns pays from this many blocks in one chunk on.
_MIN_COLUMNS = 12
_join_lf = "\n".join
_PREFIXES = ("data: ", "event: ", "id: ")
_VALUE_AFTER = {prefix: itemgetter(slice(len(prefix), None)) for prefix in _PREFIXES}


def _prefix(line: str) -> str | None:
    for prefix in _PREFIXES:
        if line.startswith(prefix):
            return prefix
    return None


#: Default limit on one line, in bytes (16 MiB). Generous on purpose: LLM APIs
#: send multi-megabyte base64 images as one `data:` line, and Go's 64 KiB
#: `bufio.Scanner` default is a well-known source of "token too long"
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
    """Push-style, sans-IO decoder for a `text/event-stream` byte stream.

    Feed it the bytes of one HTTP response body as they arrive; it returns the
    events each chunk completes. It does no I/O and keeps no reference to the
    transport, so any client (or a test) can drive it:

    ```python
    decoder = Decoder()
    for chunk in chunks:
        for event in decoder.feed(chunk):
            ...
    ```

    Chunk boundaries never matter: any split of the same bytes yields the same
    events, each one returned by the `feed()` call that delivers its blank
    line.

    Args:
        max_line_size: Longest accepted line in bytes, without its line
            ending. `None` removes the limit (not recommended for untrusted
            servers).
        max_event_size: Longest accepted event data in characters.
            `None` removes the limit.
        last_event_id: Start from this last event ID, e.g. one stored from an
            earlier connection. It must not contain NUL, CR or LF.
        retry: Start from this reconnection time in milliseconds.
        on_comment: Called with the text of every comment line (the part
            after the colon, minus one leading space) while `feed()`
            parses it, so before `feed()` returns the events of that chunk.
            Keep-alive comments are typically empty strings. The callback must
            not raise: an exception propagates out of `feed()` and the rest
            of that chunk is lost.

    Raises:
        ValueError: If a limit is not positive or `last_event_id` is
            invalid.
    """

    __slots__ = (
        "_block",
        "_block_hold",
        "_block_retry",
        "_buf",
        "_data",
        "_data_size",
        "_discard",
        "_eol",
        "_event_type",
        "_fast",
        "_hold",
        "_id_buffer",
        "_last_event_id",
        "_max_data_size",
        "_max_line",
        "_on_comment",
        "_overlong",
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
        self._on_comment = on_comment
        # The spec's "last event ID string" of the event source: what a
        # reconnect sends as Last-Event-ID.
        self._last_event_id = _check_id(last_event_id, "last_event_id")
        self._retry = retry
        self._eol = LineEndings()
        self._max_line = sys.maxsize if max_line_size is None else max_line_size
        # The data buffer's limit: one more than the limit on the event's
        # data, as the buffer counts an LF after each line.
        self._max_data_size = (sys.maxsize if max_event_size is None else max_event_size) + 1
        self._block_hold = min(_MAX_HELD, self._max_line, self._max_data_size - 1) + _H
        self._block = False
        self._buf = bytearray(_HEAD)
        self.reset()

    @property
    def last_event_id(self) -> str:
        """The last event ID as of the last blank line (`""` until then).

        This is what a reconnect sends as `Last-Event-ID`. An `id` field
        takes effect when its block's blank line arrives, whether or not the
        block dispatches an event, so an ID in a block cut off by a dropped
        connection never counts.
        """
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds from the last valid `retry` field.

        `None` until the stream (or the constructor) sets one. As in the
        spec, a valid `retry` field takes effect at once, even in a block
        that is later cut off.
        """
        if self._block and b"\nretry" in self._buf:
            self._apply_held_retry()
        return self._retry

    def _apply_held_retry(self) -> None:
        # Block mode holds an open block's lines back, unparsed, until its
        # blank line, and a retry field takes effect at once: so apply the
        # retry fields among them before anyone can see the difference. The
        # block is parsed as a whole later, and sets the same value again.
        for line in self._buf[: self._buf.rfind(b"\n")].split(b"\n"):
            field, _, value = line.partition(b":")
            if field == b"retry":
                if value[:1] == b" ":
                    value = value[1:]
                if value.isdigit():
                    with suppress(ValueError):
                        self._retry = int(value)

    def reset(self) -> None:
        """Prepare for a new connection (a new stream).

        Drops any partial line and partial event, and the BOM and UTF-8 state,
        so the next stream may start with its own BOM. Keeps
        `last_event_id` and `retry`, which outlive connections.
        Also call it when a stream ends: per the spec, an event whose blank
        line never arrived is discarded.
        """
        if self._block and b"\nretry" in self._buf:
            self._apply_held_retry()
        self._eol.reset()
        # The bytes not parsed yet. In block mode (between blocks, and in a
        # block held back whole, see _MAX_HELD): _HEAD, then the open block's
        # complete lines, then its incomplete last line. In line mode (in a
        # block parsed line by line): the incomplete last line.
        self._buf = bytearray(_HEAD)
        self._block = True
        # feed() may append a chunk without CR while the buffer stays within
        # this many bytes: one chunk can't hold a line or event over a limit.
        self._hold = self._block_hold
        # Whether a chunk without CR can skip LineEndings: no BOM or CR is
        # pending and no over-long line is being dropped.
        self._fast = False
        self._overlong = False
        # The buffers of the block being parsed line by line. The spec's
        # "last event ID buffer": an id field writes here, and dispatch step
        # 1 copies it to the last event ID at the blank line. _data_size is
        # the data buffer's length, each line with its LF; _discard tells
        # that the block is being skipped after a limit was exceeded.
        self._data: list[str] = []
        self._data_size = 0
        self._event_type = ""
        self._id_buffer = self._last_event_id
        self._block_retry: int | None = None
        self._discard = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Consume a chunk of the stream and return the events it completes.

        Args:
            data: The next bytes of the response body, of any length
                (including empty).

        Returns:
            The events whose blank line is in this chunk, in stream order.

        Raises:
            TypeError: If `data` is not bytes-like (e.g. a `str`).
            LineTooLong: If a line exceeds `max_line_size`.
            EventTooLarge: If an event's data exceeds `max_event_size`.
                Both limit errors carry the chunk's complete events in
                `.events`; the offending event is discarded and the decoder
                stays usable.
        """
        if type(data) is not bytes:
            data = _as_bytes(data)
        # The common chunks, with as few operations as possible; everything
        # else, and whatever these find worth a look, goes the long way.
        if self._fast:
            if 13 in data:
                if data[-1] == 13:
                    # Its LF, if any, comes with the next chunk.
                    return self._feed_slow(data)
                # A chunk that leaves nothing for LineEndings to remember.
                data = to_lf(data)
            buf = self._buf
            if 10 not in data:
                # The middle of a line. The buffer may go past the bound by
                # this one chunk, which the caller holds anyway, before the
                # long way deals with it.
                buf += data
                if len(buf) <= self._hold:
                    return []
                return self._parse_appended()
            if self._block:
                # Complete lines of an open block wait for its blank line;
                # they have no effect before it, except comments (when
                # someone listens) and retry fields (see the retry property).
                start = len(buf) - 1
                buf += data
                first = buf.find(b"\n\n", start)
                if (
                    first < 0
                    and len(buf) <= self._hold
                    and (self._on_comment is None or buf.find(b"\n:") < 0)
                ):
                    return []
                return self._parse_buffer(first)
        return self._feed_slow(data)

    def _feed_slow(self, data: bytes) -> list[Event]:
        eol = self._eol
        data = eol.feed(data)
        if self._overlong:
            # Drop the rest of a line that already broke the limit.
            nl = data.find(b"\n")
            if nl < 0:
                return []
            self._overlong = False
            data = data[nl + 1 :]
        self._fast = eol.settled
        # The same as the end of feed(), for data now without CR.
        buf = self._buf
        start = len(buf) - 1
        buf += data
        if self._block:
            first = buf.find(b"\n\n", start)
            if (
                first < 0
                and len(buf) <= self._hold
                and (self._on_comment is None or buf.find(b"\n:") < 0)
            ):
                return []
            return self._parse_buffer(first)
        if 10 not in data and len(buf) <= self._hold:
            return []
        return self._parse_appended()

    def _parse_appended(self) -> list[Event]:
        if self._block:
            return self._parse_buffer()
        events: list[Event] = []
        _raise_with(self._parse_lines(events), events)
        return events

    def _parse_buffer(self, first: int = -2) -> list[Event]:
        """Parse the buffer in block mode: its complete blocks, then what is left.

        `first` may give where the first blank line in it begins (the
        position of the LF before it).
        """
        buf = self._buf
        events: list[Event] = []
        error: LimitExceeded | None = None
        size = len(buf)
        if first == size - 2 and first < self._hold:
            # One block and its blank line, nothing after: the usual read
            # from a server that writes an event at a time. It was held, so
            # it is within both limits.
            text = buf[_H:first].decode("utf-8", "replace")
            del buf[_H:]
            _raise_with(self._parse_blocks([text], events), events)
            return events
        if size - _H > self._max_line and max(map(len, buf.split(b"\n"))) > self._max_line:
            # Some line is over the limit: line mode sorts it out.
            return self._to_line_mode(events, error)
        if size < _LONG_LINE:
            end = buf.rfind(b"\n\n")
        else:
            # Back from the last LF (a memrchr) to the last blank line: a
            # search for two bytes looks at every byte of a long line.
            end = buf.rfind(b"\n\n", 0, buf.rfind(b"\n") + 1)
        if end == first >= 0:
            # One block, the usual case with small chunks.
            error = self._parse_blocks([buf[_H:end].decode("utf-8", "replace")], events)
        else:
            # Complete blocks, a piece of at most _PIECE bytes at a time (or
            # one block, if longer): the lists and strings made from a piece
            # stay in the CPU caches, which doubles the speed on 1 MiB chunks.
            start = _H
            while start < end:
                stop = end
                if end - start > _PIECE:
                    stop = buf.find(b"\n\n", buf.find(b"\n", start))
                    if stop - start > _PIECE:
                        # A block longer than a piece, on its own.
                        found = self._parse_long_block(start, stop, events)
                        error = error or found
                        start = stop + 2
                        continue
                    stop = buf.rfind(b"\n\n", stop, start + _PIECE + 2)
                # Too short for _MIN_COLUMNS blocks like the first one?
                few = stop - start < _MIN_COLUMNS * (buf.find(b"\n\n", start) - start)
                region = buf[start : stop + 2]
                start = stop + 2
                text = region.decode("utf-8", "replace")
                if few or 0 in region or not self._dispatch_columns(text, events):
                    parts = text.split("\n\n")
                    parts.pop()
                    found = self._parse_blocks(parts, events)
                    error = error or found
        if end >= 0:
            del buf[_H : end + 2]
        if len(buf) > self._hold or (self._on_comment is not None and buf.find(b"\n:") >= 0):
            return self._to_line_mode(events, error)
        if error is not None:
            error.events = events
            raise error
        return events

    def _parse_long_block(self, start: int, stop: int, events: list[Event]) -> LimitExceeded | None:
        """Dispatch the long block `buf[start:stop]` (without its blank line)."""
        buf = self._buf
        if (
            buf.startswith(b"data: ", start)
            and buf.find(b"\n", start, stop) < 0
            and stop - start - 6 < self._max_data_size
        ):
            # One data line, as a base64 image in an LLM stream: decoded
            # straight from the buffer, with no copy of its bytes.
            with memoryview(buf) as view:
                data = str(view[start + 6 : stop], "utf-8", "replace")
            events.append(_new_event(Event, (_MESSAGE, data, self._last_event_id, None)))
            return None
        return self._parse_blocks([buf[start:stop].decode("utf-8", "replace")], events)

    def _to_line_mode(self, events: list[Event], error: LimitExceeded | None) -> list[Event]:
        del self._buf[:_H]
        self._block = False
        self._hold = self._max_line
        found = self._parse_lines(events)
        _raise_with(error or found, events)
        return events

    def _parse_blocks(self, parts: list[str], events: list[Event]) -> LimitExceeded | None:
        """Dispatch complete blocks, each given without its blank line.

        Between blocks the data and event type buffers are empty and the last
        event ID buffer equals the last event ID, so a block of `data`,
        `event` and `id` lines spelt the usual way (`"name: value"`) is
        an event made of their values. Anything else (comments, retry, other
        spellings, extra blank lines, a NUL in an id, a block over the size
        limit) goes through `_process()`, line by line, which implements
        every rule.
        """
        error: LimitExceeded | None = None
        last_id = self._last_event_id
        max_size = self._max_data_size
        for part in parts:
            if len(part) < max_size:
                if part[:6] == "data: " and "\n" not in part:
                    events.append(_new_event(Event, (_MESSAGE, part[6:], last_id, None)))
                    continue
                event_type = _MESSAGE
                block_id = last_id
                data: list[str] = []
                for line in part.split("\n"):
                    # For these three names, the text before the first ": "
                    # is the text before the first colon, so the split is
                    # the spec's (and a line that is just the name has an
                    # empty value, as in the spec).
                    name, _, value = line.partition(": ")
                    if name == "data":
                        data.append(value)
                    elif name == "event":
                        event_type = value or _MESSAGE
                    elif name == "id" and "\0" not in value:
                        block_id = value
                    else:
                        break
                else:
                    # Dispatch steps 1 to 6, as in _process().
                    last_id = block_id
                    if data:
                        events.append(
                            _new_event(Event, (event_type, "\n".join(data), block_id, None))
                        )
                    continue
            self._last_event_id = self._id_buffer = last_id
            lines: list[str | None] = []
            lines += part.split("\n")
            lines.append("")
            found = self._process(lines, events)
            error = error or found
            last_id = self._last_event_id
        self._last_event_id = self._id_buffer = last_id
        return error

    def _dispatch_columns(self, text: str, events: list[Event]) -> bool:
        """Dispatch blocks of one shape at once; tell whether they were.

        When every block of `text` (which ends with a blank line) has the
        same lines in the same order, as in most streams, its n-th lines form
        a column: one check of a column's field names and one pass to cut its
        values, then all the events are built at once. Nothing is dispatched
        if any block differs; the caller then goes block by block.
        """
        lines = text.split("\n")
        lines.pop()
        # The first block gives the shape: one column per line of it.
        size = lines.index("") + 1
        count = len(lines) // size
        if (
            size == 1
            or count < _MIN_COLUMNS
            or count * size != len(lines)
            or any(lines[size - 1 :: size])
        ):
            return False
        fields: dict[str, list[str]] = {}
        data_columns: list[list[str]] = []
        for j in range(size - 1):
            column = lines[j::size]
            prefix = _prefix(column[0])
            if prefix is None or not all(map(str.startswith, column, repeat(prefix))):
                return False
            values = list(map(_VALUE_AFTER[prefix], column))
            if prefix == "data: ":
                data_columns.append(values)
            else:
                # A later line of the same field wins.
                fields[prefix] = values
        if not data_columns:
            return False
        # Dispatch step 3: the data lines joined with LF.
        data = (
            data_columns[0]
            if len(data_columns) == 1
            else list(map(_join_lf, zip(*data_columns, strict=True)))
        )
        if max(map(len, data)) >= self._max_data_size:
            return False
        types = fields.get("event: ")
        if types is None:
            event_types: Iterable[str] = repeat(_MESSAGE, count)
        else:
            # Dispatch step 6: the empty type is "message".
            event_types = [t or _MESSAGE for t in types] if "" in types else types
        ids = fields.get("id: ")
        if ids is None:
            event_ids: Iterable[str] = repeat(self._last_event_id, count)
        else:
            # Dispatch step 1 at each blank line: the last one stands.
            event_ids = ids
            self._last_event_id = self._id_buffer = ids[-1]
        events += map(
            _new_event, repeat(Event, count), zip(event_types, data, event_ids, repeat(None))
        )
        return True

    def _parse_lines(self, events: list[Event]) -> LimitExceeded | None:
        """Parse the buffer's complete lines in line mode, one by one.

        Line mode lasts to the end of the block under way: the complete
        blocks after its blank line go back to block mode, unless the buffer
        may hold a line over the limit (then all its lines are parsed here,
        which keeps the work linear).
        """
        buf = self._buf
        error: LimitExceeded | None = None
        nl = buf.rfind(b"\n") + 1
        if nl:
            cut = nl
            first_nl = buf.find(b"\n")
            if len(buf) <= self._max_line:
                if first_nl == 0:
                    cut = 1
                else:
                    blank = buf.find(b"\n\n", first_nl)
                    if blank >= 0:
                        cut = blank + 2
            lines: list[str | None] = []
            if first_nl > _LONG_LINE:
                # A long line on its own: str.split() would look at each of
                # its characters, where finding its end was one memchr.
                with memoryview(buf) as view:
                    lines.append(str(view[:first_nl], "utf-8", "replace"))
                lines += buf[first_nl + 1 : cut].decode("utf-8", "replace").split("\n")
            else:
                lines += buf[:cut].decode("utf-8", "replace").split("\n")
            lines.pop()
            if cut - 1 > self._max_line:
                limit = self._max_line
                for i, raw in enumerate(buf[:cut].split(b"\n")):
                    if len(raw) > limit:
                        # An over-long line stands here.
                        lines[i] = None
            del buf[:cut]
            error = self._process(lines, events)
            if cut < nl:
                # The blank line at the cut left the decoder between blocks
                # (it dispatched, or ended a block being skipped): the
                # complete blocks after it go back to block mode.
                self._buf = bytearray(_HEAD) + buf
                self._block = True
                self._hold = self._block_hold
                try:
                    events += self._parse_buffer()
                except LimitExceeded as exc:
                    events += exc.events
                    return error or exc
                return error
        if len(buf) > self._max_line:
            # The incomplete line broke the limit: drop it as it goes on.
            self._buf = bytearray()
            self._overlong = True
            self._fast = False
            found = self._process([None], events)
            error = error or found
        elif len(buf) < self._block_hold - _H and not (
            self._data
            or self._event_type
            or self._block_retry is not None
            or self._discard
            or self._id_buffer != self._last_event_id
        ):
            # Between blocks again, with no long line under way: back to
            # block mode.
            self._buf = bytearray(_HEAD) + buf
            self._block = True
            self._hold = self._block_hold
        return error

    def _process(self, lines: list[str | None], events: list[Event]) -> LimitExceeded | None:
        """Apply the field rules to complete lines; return the first limit error."""
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
                return None
        for line in it:
            if not line:
                if line is None:
                    # An over-long line stands here (see _parse_lines).
                    error = error or LineTooLong(self._max_line)
                else:
                    # "If the line is empty (a blank line): Dispatch the event."
                    # Step 1: the last event ID string takes the buffer's value.
                    self._last_event_id = id_buffer
                    if data:
                        # Step 3, by joining: appending LF after each line and
                        # removing the last one is "\n".join(). Steps 4-6: the
                        # event carries the last event ID string, and the type
                        # is "message" unless the buffer says otherwise.
                        events.append(
                            _new_event(
                                Event,
                                (event_type or _MESSAGE, "\n".join(data), id_buffer, block_retry),
                            )
                        )
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
        return error
