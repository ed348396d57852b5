"""The field rules and the dispatch steps: complete lines in, events out.

This is the text half of WHATWG HTML "Interpreting an event stream" (the
quotes are from that section of the Living Standard). The byte half, which
cuts the stream into lines and blocks, is the framing in `_decoder.py`: it
hands over complete lines, decoded, and says which lines broke
`max_line_size`.

`Interpreter.lines()` applies the rules one line at a time, as the spec words
them, and every rule is written there once. While the decoder is between
blocks, faster routes take complete blocks: `blocks()` reads each block
whole, and `_data_lines()` and `_columns()` read many blocks of one shape at
once. Each states its precondition and leaves what is outside it to the
route before. They share with `lines()` what a dispatch needs:
`_event_type()` (the type an event gets, step 6), `_data_of` (its data, step
3) and the state; `reconnection_time()` is the one retry rule.

The routes build their events inline rather than through a shared dispatch
function: on CPython 3.11 a Python call costs about 900 instructions, a
quarter of all a small event costs (benchmarks/README.md).
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

from ._errors import EventTooLarge, LimitExceeded, LineTooLong
from ._events import Event

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["MAX_RETRY_DIGITS", "Interpreter", "reconnection_time"]

#: The most significant digits a `retry` value may have (leading zeros do
#: not count); a longer value is ignored. It is the lowest int/str conversion
#: limit CPython accepts (`sys.int_info.str_digits_check_threshold`), so
#: `int()` converts such a value whatever the limit is set to, in bounded time.
MAX_RETRY_DIGITS = 640

# Events are built with tuple.__new__ on a ready tuple of the four fields,
# which skips the keyword-only Event.__new__: a third of the cost, on the one
# object a decoder builds per event.
_new_event = tuple.__new__

# Dispatch step 3, "If the data buffer's last character is a U+000A LINE FEED
# (LF) character, then remove the last character from the data buffer": the
# data buffer is kept as the list of its lines' values (each "followed by" an
# LF), so the buffer without its last LF is the values joined with LF.
_data_of = "\n".join


def _event_type(buffer: str) -> str:
    """The type of the event that dispatch creates, from the event type buffer.

    Dispatch steps 5 and 6: "Initialize event's type attribute to "message"
    [...]. If the event type buffer has a value other than the empty string,
    change the type of the newly created event to equal the value of the
    event type buffer."
    """
    return buffer or "message"


#: The type of an event whose block set none. The fast routes take only
#: blocks whose `event` lines (if any) have a value, so this is the one place
#: they need the rule.
_UNTYPED = _event_type("")

_COLUMN_PREFIXES = ("data: ", "event: ", "id: ")

# For `blocks()` to drop: runs of blocks of one comment line, each with the
# blank line before it; runs of comment lines, each with the LF before it;
# runs of blank lines beyond one. A match a run keeps the cost per run, not
# per line (and each pattern opens with a literal, which the regex engine
# finds at C speed).
_KEEP_ALIVES = re.compile(r"\n\n:[^\n]*(?:\n\n:[^\n]*)*(?=\n\n|\Z)")
_COMMENT_LINES = re.compile(r"\n:[^\n]*(?:\n:[^\n]*)*")
_BLANK_RUNS = re.compile(r"\n\n\n+")
_VALUE_AFTER = {prefix: itemgetter(slice(len(prefix), None)) for prefix in _COLUMN_PREFIXES}


def reconnection_time(value: str) -> int | None:
    """The reconnection time a `retry` field's value sets, or `None` to ignore it.

    "If the field value consists of only ASCII digits, then interpret the
    field value as an integer in base ten, and set the event stream's
    reconnection time to that integer. Otherwise, ignore the field."

    Our documented reading: leading zeros are not significant (`007` is 7);
    the empty value is ignored (no number can be read from it, and browsers
    ignore it); a value of more than `MAX_RETRY_DIGITS` (640) significant
    digits is ignored, as browsers ignore a value that overflows their
    integer type. So the cost is linear in the value's length, and the result
    does not depend on the interpreter's int/str conversion limit
    (`sys.set_int_max_str_digits()`, `PYTHONINTMAXSTRDIGITS`).
    """
    if not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0")
    if len(digits) > MAX_RETRY_DIGITS:
        return None
    return int(digits) if digits else 0


class Interpreter:
    """The event source's state and the spec's buffers, with the rules that change them.

    The framing hands over complete lines through `lines()`, or complete
    blocks through `blocks()` while it is between blocks. What a `feed()`
    call produces collects here until `feed()` takes it: the events, and the
    first limit error and `on_comment` exception (see `Decoder` for what
    `feed()` does with them).

    Attributes:
        last_event_id: The spec's "last event ID string" of the event source.
        retry: The event stream's reconnection time in milliseconds, or `None`.
        on_comment: Called with the text of each comment line, or `None`.
        events: The events dispatched and not yet returned by `feed()`.
        limit_error: The first limit error not yet raised by `feed()`.
        comment_error: The first exception `on_comment` raised, not yet
            raised by `feed()`.
    """

    __slots__ = (
        "_block_retry",
        "_data",
        "_data_size",
        "_event_type",
        "_fold",
        "_folded",
        "_id_buffer",
        "_max_data_size",
        "_max_line_size",
        "_min_columns",
        "_skipping",
        "comment_error",
        "events",
        "last_event_id",
        "limit_error",
        "on_comment",
        "retry",
    )

    def __init__(
        self,
        *,
        last_event_id: str = "",
        retry: int | None = None,
        on_comment: Callable[[str], object] | None = None,
        max_line_size: int = 0,
        max_event_size: int | None = None,
        min_columns: int = 12,
        fold: int = 1024,
    ) -> None:
        self.last_event_id = last_event_id
        self.retry = retry
        self.on_comment = on_comment
        self.events: list[Event] = []
        self.limit_error: LimitExceeded | None = None
        self.comment_error: Exception | None = None
        # For LineTooLong only: the framing measures lines, in bytes.
        self._max_line_size = max_line_size
        # The data buffer's limit: one more than the limit on the event's
        # data, as the buffer counts an LF after each line.
        self._max_data_size = (2**63 if max_event_size is None else max_event_size) + 1
        self._min_columns = min_columns
        self._fold = fold
        self.new_block()

    def new_block(self) -> None:
        """Empty the buffers of the block under way: the state between blocks.

        Dispatch step 7, "Set the data buffer and the event type buffer to
        the empty string", and what a dropped block or a new connection
        needs besides: the last event ID buffer back to the last event ID
        (only a blank line copies it over), no retry of the block's own.
        """
        # The data buffer: the values of its data lines (see _data_of), the
        # first _folded of them joined already (see lines()); its length,
        # with an LF after each line.
        self._data: list[str] = []
        self._folded = 0
        self._data_size = 0
        self._event_type = ""
        # The spec's "last event ID buffer": an id field writes here, and
        # dispatch step 1 copies it to the last event ID at the blank line.
        self._id_buffer = self.last_event_id
        # The value of the block's own retry field, for Event.retry.
        self._block_retry: int | None = None
        # Whether the rest of the block is being skipped after a limit error.
        self._skipping = False

    def lines(self, lines: Iterable[str | None]) -> None:
        """Apply the rules to complete lines, one at a time, as the spec words them.

        Args:
            lines: The lines in stream order, without their line endings:
                `""` is a blank line, and `None` stands for a line longer than
                `max_line_size` bytes.
        """
        on_comment = self.on_comment
        for line in lines:
            if self._skipping:
                # The rest of a block that broke a limit, up to its blank line.
                if line == "":
                    self._skipping = False
                continue
            if not line:
                if line is None:
                    self._drop_block(LineTooLong(self._max_line_size))
                else:
                    # "If the line is empty (a blank line): Dispatch the event."
                    self._dispatch()
                continue
            if line[0] == ":":
                # "If the line starts with a U+003A COLON character (:): Ignore
                # the line." We let on_comment see it first: the text after
                # the colon, without one leading space (as for a value).
                if on_comment is not None:
                    self._comment(line[2:] if line[1:2] == " " else line[1:])
                continue
            if line[:6] == "data: ":
                # The commonest line, ahead of the general split below (whose
                # result it is), which would copy a long value twice.
                field = "data"
                value = line[6:]
            else:
                # "Collect the characters on the line before the first U+003A
                # COLON character (:), and let field be that string. Collect
                # the characters on the line after the first U+003A COLON
                # character (:), and let value be that string. If value starts
                # with a U+0020 SPACE character, remove it from value." A line
                # without a colon is a field name with an empty value, which
                # is what partition() gives.
                field, _, value = line.partition(":")
                if value[:1] == " ":
                    value = value[1:]
            # "Field names must be compared literally, with no case folding."
            if field == "data":
                # "Append the field value to the data buffer, then append a
                # single U+000A LINE FEED (LF) character to the data buffer."
                # The limit is counted as the buffer grows, so that it trips
                # at the same line whatever the chunking.
                size = self._data_size + len(value) + 1
                if size > self._max_data_size:
                    self._drop_block(EventTooLarge(self._max_data_size - 1))
                    continue
                self._data_size = size
                self._data.append(value)
            elif field == "event":
                # "Set the event type buffer to the field value."
                self._event_type = value
            elif field == "id":
                # "If the field value does not contain U+0000 NULL, then set
                # the last event ID buffer to the field value. Otherwise,
                # ignore the field."
                if "\0" not in value:
                    self._id_buffer = value
            elif field == "retry":
                # It takes effect at once, not at the blank line, so it counts
                # even in a block that is cut off later.
                time = reconnection_time(value)
                if time is not None:
                    self.retry = self._block_retry = time
            # "Otherwise: The field is ignored."
        data = self._data
        if len(data) - self._folded > self._fold:
            # Many short data lines in one event: join those of this call, so
            # that the buffer holds a string per call rather than per line.
            # Joining with LF is associative: the joined string stands for
            # its lines in _data_of().
            data[self._folded :] = [_data_of(data[self._folded :])]
            self._folded += 1

    def _comment(self, text: str) -> None:
        """Show `on_comment` a comment; what it raises waits for `feed()`."""
        try:
            self.on_comment(text)  # type: ignore[misc]  # lines() checked it
        except Exception as exc:  # feed() raises it later (see Decoder)
            if self.comment_error is None:
                self.comment_error = exc

    def _dispatch(self) -> None:
        """Dispatch the event: the spec's steps, on the buffers."""
        # 1. "Set the last event ID string of the event source to the value of
        # the last event ID buffer."
        self.last_event_id = self._id_buffer
        # 2. "If the data buffer is an empty string, set the data buffer and
        # the event type buffer to the empty string and return."
        if self._data:
            # 3.-6. An event of the data (less its last LF), with the type the
            # buffer gives and the last event ID string.
            self.events.append(
                _new_event(
                    Event,
                    (
                        _event_type(self._event_type),
                        _data_of(self._data),
                        self.last_event_id,
                        self._block_retry,
                    ),
                )
            )
        # 7. "Set the data buffer and the event type buffer to the empty string."
        self.new_block()

    def _drop_block(self, error: LimitExceeded) -> None:
        """A limit was hit: drop the block under way and skip to its blank line.

        The whole block goes, its id included, as if the connection had been
        cut before it (its retry fields have taken effect already).
        """
        if self.limit_error is None:
            self.limit_error = error
        self.new_block()
        self._skipping = True

    def blocks(self, text: str) -> None:
        """Dispatch complete blocks, each read whole if it can be.

        Precondition: the decoder is between blocks (the state `new_block()`
        leaves), and `text` is complete blocks, each without its blank line,
        with one or more blank lines between them (and maybe some before and
        after).

        Between blocks the data and event type buffers are empty and the last
        event ID buffer equals the last event ID, and a blank line dispatches
        nothing and changes nothing. So a block of `data`, `event` and `id`
        lines spelt the usual way (`name: value`, with a type that is not
        empty and an id without NUL), and of comments when no one listens,
        within `max_event_size`, is an event made of its values (or none,
        without data). Any other block goes through `lines()`, which applies
        every rule. Many blocks of one shape go faster still, through
        `_data_lines()` or `_columns()`.
        """
        blocks = None
        if "\n\n" not in text:
            blocks = [text]
        elif len(text) >= 8 * self._min_columns:
            # Long enough to hold many blocks of one shape (min_columns of
            # them, if the others are as long as the first).
            text = text.lstrip("\n")
            first = text.find("\n\n")
            if len(text) >= self._min_columns * (first + 2) - 2 and self._bulk(text, first):
                return
            # What changes nothing between blocks keeps the routes above from
            # the events around it: drop it, in passes over the whole text
            # (a match a run, not a line), and try again.
            kept = text
            if self.on_comment is None and (text[:1] == ":" or "\n:" in text):
                # "If the line starts with a U+003A COLON character (:):
                # Ignore the line." When no one listens, comment lines change
                # nothing. First the blocks of one comment line (keep-alives
                # between events), then any left inside blocks, each with
                # the LF before it (the LFs put in front give a first line
                # those).
                kept = _KEEP_ALIVES.sub("", "\n\n" + text)
                if "\n:" in kept:
                    kept = _COMMENT_LINES.sub("", kept)
            if "\n\n\n" in kept:
                # Blank lines beyond the one that ends a block dispatch
                # nothing: a run of them folds into one.
                kept = _BLANK_RUNS.sub("\n\n", kept)
            if kept is not text:
                text = kept.strip("\n")
                first = text.find("\n\n")
                if len(text) >= self._min_columns * (first + 2) - 2 and self._bulk(text, first):
                    return
        events = self.events
        last_id = self.last_event_id
        max_size = self._max_data_size
        for block in text.split("\n\n") if blocks is None else blocks:
            if not block:
                # Blank lines beyond the one that ends a block.
                continue
            if len(block) < max_size:
                if block[:6] == "data: " and "\n" not in block:
                    # One data line: the commonest block there is.
                    events.append(_new_event(Event, (_UNTYPED, block[6:], last_id, None)))
                    continue
                if block[0] == ":" and self.on_comment is None and "\n" not in block:
                    # A keep-alive comment.
                    continue
                event_type = _UNTYPED
                block_id = last_id
                data: list[str] = []
                for line in block.split("\n"):
                    # For these three names, the text before the first ": "
                    # is the text before the first colon, so this split is the
                    # spec's (and a line that is just the name has an empty
                    # value, as in the spec).
                    name, _, value = line.partition(": ")
                    if name == "data":
                        data.append(value)
                    elif name == "event" and value:
                        event_type = value
                    elif name == "id" and "\0" not in value:
                        block_id = value
                    elif line and (line[0] != ":" or self.on_comment is not None):
                        # (An empty line is a blank line beyond the one that
                        # ends a block, which changes nothing.)
                        break
                else:
                    # The blank line: dispatch step 1, then an event if the
                    # block had data (step 2).
                    last_id = block_id
                    if data:
                        events.append(
                            _new_event(Event, (event_type, _data_of(data), last_id, None))
                        )
                    continue
            # Any other block: line by line.
            self.last_event_id = self._id_buffer = last_id
            lines: list[str | None] = []
            lines += block.split("\n")
            lines.append("")
            self.lines(lines)
            last_id = self.last_event_id
        self.last_event_id = self._id_buffer = last_id

    def _bulk(self, text: str, first: int) -> bool:
        """Dispatch the blocks of `text` at once if they are many, of one shape.

        Precondition: as `blocks()`, `text` starts with a block, and `first`
        is where its first blank line begins (or -1 if it has none).
        """
        if first < 0:
            return False
        if text[:6] == "data: " and "\n" not in text[:first]:
            return self._data_lines(text)
        return text.startswith(_COLUMN_PREFIXES) and self._columns(text)

    def _data_lines(self, text: str) -> bool:
        """Dispatch many blocks of one `data: ` line each at once; tell whether they were.

        Precondition: as `_bulk()`, with two blocks or more, the first of them
        one `data: ` line.

        The commonest stream of all (`data: {json}` events, as LLM APIs
        send): the values are what lies between the `data: ` prefixes, which
        one `split()` in C cuts out. Nothing is dispatched, and `False`
        returned, unless there are at least `min_columns` blocks, each one
        `data: ` line within `max_event_size`, and no other lines than blank
        ones.
        """
        values = text[6:].split("\n\ndata: ")
        count = len(values)
        if count < self._min_columns:
            return False
        if text.count("\n") != 2 * (count - 1):
            # More LFs: blank lines beyond those that end the blocks (at the
            # end of a value, then), or other lines (anywhere).
            if "\n\n:" in text:
                return False
            values = list(map(str.rstrip, values, repeat("\n")))
            if "\n" in "".join(values):
                return False
        if max(map(len, values)) >= self._max_data_size:
            return False
        self.events += map(
            _new_event,
            repeat(Event, count),
            zip(
                repeat(_UNTYPED, count),
                values,
                repeat(self.last_event_id, count),
                repeat(None, count),
                strict=True,
            ),
        )
        return True

    def _columns(self, text: str) -> bool:  # noqa: PLR0911 - each check may end it
        """Dispatch many blocks of one shape at once; tell whether they were.

        Precondition: as `_bulk()`, with two blocks or more.

        When every block has the same lines in the same order, as in most
        streams, the n-th lines of the blocks form a column: one check of a
        column's field name, one pass to cut its values, and then all the
        events are built at once (`map`, `zip` and slices running in C).
        Nothing is dispatched, and `False` returned, unless there are at least
        `min_columns` blocks, all of one shape, every line is a `data`,
        `event` or `id` field spelt `name: value`, no type is empty, no id has
        a NUL, and the blocks have data within `max_event_size`.
        """
        lines = text.split("\n")
        # The first block gives the shape: its lines, and the blank line.
        size = lines.index("") + 1
        count = (len(lines) + 1) // size
        if (
            count < self._min_columns
            or count * size != len(lines) + 1
            or any(lines[size - 1 :: size])
        ):
            return False
        fields: dict[str, list[str]] = {}
        data_columns: list[list[str]] = []
        for j in range(size - 1):
            column = lines[j::size]
            for prefix in _COLUMN_PREFIXES:
                if column[0].startswith(prefix):
                    break
            else:
                return False
            if not all(map(str.startswith, column, repeat(prefix))):
                return False
            values = list(map(_VALUE_AFTER[prefix], column))
            if prefix == "data: ":
                data_columns.append(values)
            else:
                # A later line of the same field wins.
                fields[prefix] = values
        types = fields.get("event: ")
        if not data_columns or (types is not None and "" in types):
            return False
        datas = (
            data_columns[0]
            if len(data_columns) == 1
            else list(map(_data_of, zip(*data_columns, strict=True)))
        )
        if max(map(len, datas)) >= self._max_data_size:
            return False
        ids = fields.get("id: ")
        if ids is not None:
            if "\0" in "".join(ids):
                return False
            # Dispatch step 1 at each blank line: the last one stands.
            self.last_event_id = self._id_buffer = ids[-1]
        self.events += map(
            _new_event,
            repeat(Event, count),
            zip(
                repeat(_UNTYPED, count) if types is None else types,
                datas,
                repeat(self.last_event_id, count) if ids is None else ids,
                repeat(None, count),
                strict=True,
            ),
        )
        return True
