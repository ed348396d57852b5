"""The decoder: bytes in, events out, by WHATWG HTML "Interpreting an event stream".

[Decoder][ssec_proto.Decoder] is the public face, and does the byte half of
the spec, the framing: it finds the lines and blocks in the chunks it is fed
and hands them, decoded, to an `Interpreter` (`_interpreter.py`), which
applies the field rules and dispatch steps. `LineEndings` (`_lines.py`)
strips the BOM and turns CR LF and CR into LF first.

Between blocks the interpreter's state is empty, so the lines of an open
block have no effect until its blank line arrives (except a `retry` field,
see `Decoder.retry`, and a comment, which `on_comment` may want to see at
once). So the framing has two modes:

* **Held**: the buffer holds an open block whole, unparsed, until its blank
  line arrives; then the complete blocks go to `Interpreter.blocks()` in one
  piece. A chunk in the middle of a block costs a few operations, and a chunk
  of many blocks a few C calls per block. This lasts while the open block
  stays within `Tuning.held` bytes (and both limits) and has no comment that
  `on_comment` must see.
* **Line by line**: otherwise the block's complete lines go to
  `Interpreter.lines()` as they arrive, so the buffer holds only the line
  under way, which keeps memory within `max_line_size`. At the block's blank
  line the framing goes back to held mode.

A chunk is framed a piece of `Tuning.piece` bytes at a time, so that what
one call allocates is bounded by the piece and the limits, not by the chunk.

`Decoder.iter_feed()` frames lazily: it keeps the chunk as pending input
and, each time its iterator is advanced, frames the next piece's bytes up to
and including the next blank line only (`_next_event()`), so the state
(`last_event_id`, `retry`, the comments shown) is always that of the stream
up to the event just handed out, and the rest of the chunk waits unparsed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ._interpreter import Interpreter
from ._lines import LineEndings, to_lf

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._events import Event

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_LINE_SIZE", "Decoder", "Tuning"]

#: Default limit on one line, in bytes (16 MiB). Generous on purpose: LLM APIs
#: send multi-megabyte base64 images as one `data:` line, and Go's 64 KiB
#: `bufio.Scanner` default is a well-known source of "token too long"
#: failures in SSE clients built on it.
DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024

#: Default limit on one event's data, in characters (64 MiB).
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024

_BYTES_LIKE = (bytes, bytearray, memoryview)

#: The start of the buffer: an LF, as if a line had just ended, so that the
#: searches see the first line start like any other (a blank line is "\n\n",
#: a comment "\n:").
_HEAD = b"\n"
_H = len(_HEAD)


@dataclass(frozen=True)
class Tuning:
    """The sizes at which the decoder changes route: speed only, never results.

    The defaults are the ones measured best (benchmarks/README.md). The tests
    set small ones, through a subclass of `Decoder` that overrides its
    `_TUNING`, so that short inputs reach every route.

    Attributes:
        held: Longest open block, in bytes, held back whole until its blank
            line (also bounded by both limits); a longer one is parsed line
            by line.
        piece: Bytes of a chunk framed at a time.
        columns: Fewest blocks of one shape read at once
            (`Interpreter._data_lines()`, `Interpreter._columns()`).
        fold: Data lines that `Interpreter.lines()` joins into one string, at
            the end of a call, once this many are pending.
    """

    held: int = 4096
    piece: int = 64 * 1024
    columns: int = 12
    fold: int = 1024


def _as_bytes(data: object, method: str = "feed") -> bytes:
    if not isinstance(data, _BYTES_LIKE):
        raise TypeError(
            f"Decoder.{method}() takes bytes (or bytearray/memoryview), not "
            f"{type(data).__name__}; pass the raw response body bytes"
            + (", e.g. text.encode('utf-8')" if isinstance(data, str) else "")
        )
    return bytes(data)


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
    line. What one call allocates is bounded by the limits and a fixed piece
    size, whatever the chunk holds, and the time is linear in its length.

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
            after the colon, minus one leading space) while
            [feed][ssec_proto.Decoder.feed] parses it, so before `feed()`
            returns the events of that chunk. Keep-alive comments are
            typically empty strings. If it raises an exception, decoding
            carries on to the end of the chunk (the later comments are still
            reported), and then `feed()` raises the first such exception
            instead of returning. Nothing is lost: the decoder's state is that
            of a completed call, and the events the chunk completed (and a
            [LimitExceeded][ssec_proto.LimitExceeded] it found) wait for the
            next `feed()` call, which returns them ahead of its own (or raises
            that error with them all); `feed(b"")` collects them.

    For a chunk that completes many large events,
    [iter_feed][ssec_proto.Decoder.iter_feed] hands them out one at a time
    instead of in a list.

    Raises:
        ValueError: If a limit is not positive or `last_event_id` is
            invalid.
    """

    __slots__ = (
        "_buf",
        "_dropping",
        "_eol",
        "_fast",
        "_held",
        "_held_limit",
        "_hold",
        "_interpreter",
        "_lazy",
        "_lf",
        "_lf_pos",
        "_line_limit",
        "_max_line",
        "_piece",
        "_queue",
        "_raw",
        "_raw_pos",
    )

    #: The route thresholds (see `Tuning`); a test subclass may override it.
    _TUNING: ClassVar[Tuning] = Tuning()

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
        tuning = self._TUNING
        self._interpreter = Interpreter(
            last_event_id=_check_id(last_event_id, "last_event_id"),
            retry=retry,
            on_comment=on_comment,
            max_line_size=max_line_size or 0,
            max_event_size=max_event_size,
            min_columns=tuning.columns,
            fold=tuning.fold,
        )
        self._eol = LineEndings()
        self._max_line = sys.maxsize if max_line_size is None else max_line_size
        # The longest buffer in each mode: _HEAD, then the open block (held)
        # or the line under way (line by line).
        self._held_limit = _H + min(
            tuning.held, self._max_line, sys.maxsize if max_event_size is None else max_event_size
        )
        self._line_limit = _H + self._max_line
        self._piece = tuning.piece
        # Nothing is held yet; reset() sets up the rest.
        self._buf = bytearray(_HEAD)
        self._held = False
        # What iter_feed() keeps (see _next_event()): the events decoded and
        # not yet handed out, oldest last (so that pop() takes it); the token
        # of the call whose iterator may take the pending input (None once
        # no call's may); the pending input, raw (not yet through
        # LineEndings) and LF-only (not yet framed), each from its offset.
        self._queue: list[Event] = []
        self._lazy: object | None = None
        self._raw = self._lf = b""
        self._raw_pos = self._lf_pos = 0
        self.reset()

    @property
    def last_event_id(self) -> str:
        """The last event ID as of the last blank line (`""` until then).

        This is what a reconnect sends as `Last-Event-ID`. An `id` field
        takes effect when its block's blank line arrives, whether or not the
        block dispatches an event, so an ID in a block cut off by a dropped
        connection never counts.
        """
        return self._interpreter.last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds from the last valid `retry` field.

        `None` until the stream (or the constructor) sets one. As in the
        spec, a valid `retry` field takes effect at once, even in a block
        that is later cut off. A valid value is ASCII digits, at most 640 of
        them once leading zeros are dropped; any other is ignored. Reading
        it changes nothing.
        """
        if self._held and b"\nretry" in self._buf:
            # A retry field in an open block held back unparsed: read the
            # held lines with a scratch interpreter, leaving ours as it is.
            scratch = Interpreter(retry=self._interpreter.retry)
            scratch.lines(self._lines(_H, self._buf.rfind(b"\n") + 1))
            return scratch.retry
        return self._interpreter.retry

    def reset(self) -> None:
        """Prepare for a new connection (a new stream).

        Drops any partial line and partial event, and the BOM and UTF-8 state,
        so the next stream may start with its own BOM. Keeps
        [last_event_id][ssec_proto.Decoder.last_event_id] and
        [retry][ssec_proto.Decoder.retry], which outlive connections, and the
        events an `on_comment` exception left for the next `feed()` call.
        Also call it when a stream ends: per the spec, an event whose blank
        line never arrived is discarded.

        The input an [iter_feed][ssec_proto.Decoder.iter_feed] iterator left
        undecoded is discarded too (that iterator ends); the events and
        errors it had found still wait for the next call.
        """
        self._unqueue()
        self._lazy = None
        self._raw = self._lf = b""
        self._raw_pos = self._lf_pos = 0
        if self._held:
            # The complete lines of an open block held back: a retry field
            # among them takes effect at once (see retry), so apply them all
            # before the block is dropped.
            self._interpreter.lines(self._lines(_H, self._buf.rfind(b"\n") + 1))
        self._interpreter.new_block()
        self._eol.reset()
        self._buf = bytearray(_HEAD)
        self._held = True
        # What the buffer may grow to in this mode before it is framed.
        self._hold = self._held_limit
        # Whether the rest of a line over max_line_size is being dropped.
        self._dropping = False
        # Whether feed() may take its short way (see there); a new stream may
        # start with a BOM.
        self._fast = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:  # noqa: PLR0911
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
            Exception: What `on_comment` raised (see the class docstring).
        """
        if type(data) is not bytes:
            data = _as_bytes(data)
        if self._fast:
            # The short way, for most chunks, with as few operations as
            # possible. It holds while no BOM or CR is pending, no over-long
            # line is being dropped, and no one listens to comments (see
            # _feed()).
            if 13 in data:
                if data[-1] == 13:
                    # Its LF, if any, comes with the next chunk.
                    return self._feed(data)
                # A chunk that leaves nothing for LineEndings to remember.
                data = to_lf(data)
            buf = self._buf
            if 10 not in data:
                # The middle of a line. Past the bound, the buffer is framed
                # (with this chunk in it, which the caller holds anyway).
                buf += data
                if len(buf) <= self._hold:
                    return []
                self._frame(len(buf) - len(data) - 1)
                return self._finish()
            if self._held and len(data) <= self._piece:
                # Lines of an open block: held until its blank line.
                start = len(buf) - 1
                buf += data
                end = buf.rfind(b"\n\n", start)
                if end < 0 and len(buf) <= self._hold:
                    return []
                self._frame_held(start, end)
                # _finish(), for a call that found no error (the short way
                # sees no on_comment exception).
                interpreter = self._interpreter
                if interpreter.limit_error is None:
                    events = interpreter.events
                    interpreter.events = []
                    return events
                return self._finish()
        return self._feed(data)

    def _feed(self, data: bytes) -> list[Event]:
        """Frame a chunk the short way leaves: a piece at a time, all the rules."""
        if self._lazy is not None:
            # (iter_feed() turns the short way off until its call ends.)
            self._settle()
        piece = self._piece
        if len(data) <= piece:
            data = self._eol.feed(data)
            if data:  # (Else the LF of a CR LF cut after its CR.)
                self._take(data)
        else:
            for start in range(0, len(data), piece):
                self._take(self._eol.feed(data[start : start + piece]))
        self._fast = (
            self._eol.settled and not self._dropping and self._interpreter.on_comment is None
        )
        return self._finish()

    def iter_feed(self, data: bytes | bytearray | memoryview) -> Iterator[Event]:
        """Consume a chunk of the stream lazily: an iterator over the events it completes.

        The same events as [feed][ssec_proto.Decoder.feed], one at a time:
        each step of the iterator decodes the chunk up to the next event's
        blank line, and no further, so that a chunk that completes many
        large events holds about one of them in memory at a time, not all.
        The decoder's state keeps pace: after an event is handed out,
        [last_event_id][ssec_proto.Decoder.last_event_id] is its ID (the ID
        to resume after it), and `retry` and the comments shown to
        `on_comment` are those of the stream up to its blank line.

        ```python
        for chunk in chunks:
            for event in decoder.iter_feed(chunk):
                ...
        ```

        The chunk is taken at once (a `TypeError` is raised here, not when
        iterating), and nothing is lost if the iterator is not run to the
        end: what it has not decoded stays pending, and the next call
        (`feed()` or `iter_feed()`) decodes it first, ahead of its own
        chunk; that call also ends this iterator.
        [reset][ssec_proto.Decoder.reset] discards it. The iterator first
        hands out the events an `on_comment` exception left from an earlier
        `feed()` call.

        Errors come where `feed()` raises them, at the end of the chunk:
        once the iterator has handed out every event, it raises the first
        exception `on_comment` raised while it decoded, or else the first
        limit error ([LineTooLong][ssec_proto.LineTooLong] or
        [EventTooLarge][ssec_proto.EventTooLarge]), whose `.events` is then
        empty: every event was handed out (as with `feed()`, the offending
        event is discarded and the events after it are not). As with
        `feed()`, a limit error found in a chunk whose `on_comment` raised
        waits for the next call; so does any error found before an iterator
        was left unfinished.

        Args:
            data: The next bytes of the response body, of any length
                (including empty).

        Returns:
            An iterator over the events whose blank line is in this chunk (or
            in the input an earlier call left pending), in stream order.

        Raises:
            TypeError: If `data` is not bytes-like (e.g. a `str`).
        """
        data = _as_bytes(data, "iter_feed")
        # Events an on_comment exception left (if any): handed out first.
        interpreter = self._interpreter
        events = interpreter.events
        interpreter.events = []
        events.reverse()
        self._queue[:0] = events
        # The input an earlier iterator left (if any), then the chunk. (A
        # bytes object plus an empty one is that object: no copy.)
        self._raw = self._raw[self._raw_pos :] + data
        self._raw_pos = 0
        # The short way of feed() frames at once: off until the call ends.
        self._fast = False
        # A new token: an earlier call's iterator, if still running, ends.
        self._lazy = token = object()
        return self._events_of(token)

    def _events_of(self, token: object) -> Iterator[Event]:
        """The iterator of the `iter_feed()` call whose token is `token`."""
        while self._lazy is token:
            event = self._next_event()
            if event is None:
                break
            yield event
        else:
            # A later call took the pending input over.
            return
        # The end of the call: feed()'s, with every event handed out.
        self._lazy = None
        self._fast = (
            self._eol.settled and not self._dropping and self._interpreter.on_comment is None
        )
        self._finish()

    def _next_event(self) -> Event | None:
        """Frame the pending input up to the next event; return it (`None`: all framed).

        The pending input is framed a piece at a time, as `_feed()` frames a
        chunk, and each piece up to and including its next blank line at a
        time: only a blank line dispatches, so each step dispatches one event
        at most, and the state is that of the stream up to it.
        """
        queue = self._queue
        interpreter = self._interpreter
        while not queue:
            lf = self._lf
            pos = self._lf_pos
            if pos >= len(lf):
                raw = self._raw
                start = self._raw_pos
                if start >= len(raw):
                    return None
                self._raw_pos = start + self._piece
                self._lf = self._eol.feed(raw[start : start + self._piece])
                self._lf_pos = 0
                continue
            if lf[pos] == 10 and self._buf[-1] == 10:
                # The line under way is empty, so this LF ends a blank line.
                # (Or it ends the rest of a line over max_line_size, which is
                # being dropped: a step that dispatches nothing, harmless.)
                end = pos + 1
            else:
                end = lf.find(b"\n\n", pos)
                end = len(lf) if end < 0 else end + 2
            self._lf_pos = end
            data = lf[pos:end]
            # The pending input is taken out while this is framed, and put
            # back after: if on_comment raises other than an Exception (which
            # waits for the end of the call), or memory runs out, the rest of
            # the input is lost, as the rest of its chunk is in feed().
            token = self._lazy
            raw = self._raw
            self._lazy = None
            self._raw = self._lf = b""
            if 10 in data or self._dropping or interpreter.on_comment is not None:
                self._take(data)
            else:
                # The middle of a line: as in feed()'s short way, the buffer
                # is framed only past its bound (framing it at each step
                # would look at the whole line under way each time).
                buf = self._buf
                buf += data
                if len(buf) > self._hold:
                    self._frame(len(buf) - len(data) - 1)
            self._lazy = token
            self._raw = raw
            self._lf = lf
            if interpreter.events:
                queue = interpreter.events
                interpreter.events = []
                queue.reverse()
                self._queue = queue
        return queue.pop()

    def _unqueue(self) -> None:
        """Put the events `iter_feed()` has not handed out back where `feed()` takes them."""
        queue = self._queue
        self._queue = []
        queue.reverse()
        self._interpreter.events[:0] = queue

    def _settle(self) -> None:
        """End the `iter_feed()` call under way: frame at once the input it left."""
        self._lazy = None
        self._unqueue()
        lf = self._lf[self._lf_pos :]
        raw = self._raw[self._raw_pos :]
        self._raw = self._lf = b""
        self._raw_pos = self._lf_pos = 0
        if lf:
            self._take(lf)
        piece = self._piece
        for start in range(0, len(raw), piece):
            self._take(self._eol.feed(raw[start : start + piece]))

    def _take(self, data: bytes) -> None:
        """Frame bytes whose lines all end with LF (at most a piece of them)."""
        if self._dropping:
            # The rest of a line over max_line_size, dropped up to its end.
            end = data.find(b"\n")
            if end < 0:
                return
            self._dropping = False
            data = data[end + 1 :]
        buf = self._buf
        start = len(buf) - 1
        buf += data
        self._frame(start)

    def _frame(self, start: int) -> None:
        """Frame the buffer after bytes were added to it at `start + 1`."""
        if self._held:
            buf = self._buf
            # Back from the last LF (a memrchr) to the last blank line: a
            # search for two bytes would look at each byte of a long line.
            self._frame_held(start, buf.rfind(b"\n\n", start, buf.rfind(b"\n") + 1))
        else:
            self._frame_lines(start)

    def _frame_held(self, start: int, end: int) -> None:
        """Held mode, after bytes were added to the buffer at `start + 1`.

        `end` is where the last blank line in the buffer begins (the LF
        before it), or -1: the complete blocks before it go to the
        interpreter whole, and what follows stays held if it can.
        """
        buf = self._buf
        if end >= 0:
            if end + 2 - _H > self._line_limit and self._long_lines(_H, end + 2):
                # A line over max_line_size among them: line by line.
                self._interpreter.lines(self._lines(_H, end + 2))
            else:
                self._interpreter.blocks(buf[_H:end].decode("utf-8", "replace"))
            # The LF of the last blank line serves as the _HEAD of the rest.
            del buf[: end + 1]
            start = 0
        if len(buf) > self._hold or (
            self._interpreter.on_comment is not None and buf.find(b"\n:", start) >= 0
        ):
            # Too long to hold, or a comment to show on_comment now: on, line
            # by line.
            self._held = False
            self._hold = self._line_limit
            self._hand_over(0)

    def _frame_lines(self, start: int) -> None:
        """Line-by-line mode, after bytes were added to the buffer at `start + 1`."""
        buf = self._buf
        blank = buf.find(b"\n\n", start, buf.rfind(b"\n") + 1)
        if blank < 0:
            self._hand_over(start)
            return
        # The open block ends here. After its blank line the interpreter is
        # between blocks, so what follows is held again.
        self._interpreter.lines(self._lines(_H, blank + 2))
        del buf[: blank + 1]
        self._held = True
        self._hold = self._held_limit
        self._frame(0)

    def _hand_over(self, start: int) -> None:
        """Line by line: the complete lines from `start` on go; the line under way stays."""
        buf = self._buf
        last = buf.rfind(b"\n", start)
        if last > 0:
            if not (
                buf[_H] == 58  # ":"
                and self._interpreter.on_comment is None
                and buf.count(b"\n:", 0, last) == buf.count(b"\n", 0, last)
                and not self._long_lines(_H, last + 1)
            ):
                self._interpreter.lines(self._lines(_H, last + 1))
            # (Else they are all comments, which change nothing when no one
            # listens: "Ignore the line". A flood of them is skipped in C.)
            del buf[_H : last + 1]
        if len(buf) > self._hold:
            # The line under way broke max_line_size: its block is dropped at
            # once (this very call raises), and the rest of the line as it
            # arrives.
            self._interpreter.lines([None])
            del buf[_H:]
            self._dropping = True
            self._fast = False

    def _lines(self, start: int, stop: int) -> list[str | None]:
        """Decode the complete lines in `buf[start:stop]`, which ends with an LF.

        A line over `max_line_size` bytes is `None`: the limit is on bytes,
        which decoding would lose.
        """
        buf = self._buf
        end = stop - 1
        if end < start:
            return []
        # The first line on its own: str.split() looks at each character, and
        # a long line (a base64 image) is most often the first.
        first = buf.find(b"\n", start, end)
        lines: list[str | None] = []
        if first < 0:
            lines.append(buf[start:end].decode("utf-8", "replace"))
        else:
            lines.append(buf[start:first].decode("utf-8", "replace"))
            lines += buf[first + 1 : end].decode("utf-8", "replace").split("\n")
        if stop - start > self._line_limit:
            line = 0
            for begin in self._long_lines(start, stop):
                line += buf.count(b"\n", start, begin)
                start = begin
                lines[line] = None
        return lines

    def _long_lines(self, start: int, stop: int) -> list[int]:
        """Where each line over `max_line_size` begins, in `buf[start:stop]`.

        `buf[start:stop]` is complete lines, each ending with an LF. No list
        of lines is made: each search looks at a window of `max_line_size + 1`
        bytes from the start of a line for the window's last LF, and the next
        search starts after it; a window without an LF starts a long line.
        Two searches cover at least `max_line_size` bytes, so the cost is
        O((stop - start) / max_line_size) C calls.
        """
        buf = self._buf
        window = self._line_limit  # max_line_size + 1
        found: list[int] = []
        while stop - start > window:
            last = buf.rfind(b"\n", start, start + window)
            if last < 0:
                found.append(start)
                last = buf.find(b"\n", start + window)
            start = last + 1
        return found

    def _finish(self) -> list[Event]:
        """Return the events the call completed, or raise what it found."""
        interpreter = self._interpreter
        events = interpreter.events
        if interpreter.limit_error is None and interpreter.comment_error is None:
            interpreter.events = []
            return events
        error = interpreter.comment_error
        if error is not None:
            # The events and any limit error wait for the next call.
            interpreter.comment_error = None
            raise error
        limit_error = interpreter.limit_error
        assert limit_error is not None
        interpreter.limit_error = None
        interpreter.events = []
        limit_error.events = events
        raise limit_error
