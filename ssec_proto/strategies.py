"""Hypothesis strategies for property-testing any Server-Sent Events parser.

Install the `hypothesis` extra (`pip install 'ssec-proto[hypothesis]'`);
the rest of ssec-proto never imports this module.

`streams()` generates `text/event-stream` bytes together with exactly
what a parser that follows WHATWG HTML "Interpreting an event stream" must
produce from them. The expectation is computed from the way each stream is
built, not by running a parser, so it can judge any parser, including ours.
`chunkings()` splits bytes the way a network might (including inside
CR LF pairs, the BOM and multi-byte characters), and `events()` generates
events that an encoder can carry faithfully.

Testing your own parser takes a few lines:

```python
from hypothesis import given
from ssec_proto.strategies import chunked_streams

@given(chunked_streams())
def test_my_parser(case):
    stream, chunks = case
    parser = MyParser()
    events = [e for chunk in chunks for e in parser.feed(chunk)]
    assert [(e.type, e.data, e.last_event_id) for e in events] == [
        (e.event, e.data, e.id) for e in stream.events
    ]
    assert parser.last_event_id == stream.last_event_id
    assert parser.reconnection_time == stream.retry
```

The expected values use ssec-proto's [`Event`][ssec_proto.Event]: `event`
is the type (`"message"` by default), `data` the data lines joined with
LF, `id` the last event ID at dispatch time (it persists across events, like
`MessageEvent.lastEventId`), and `retry` the reconnection time set in the
event's own block, if any (an ssec-proto addition; compare
`Stream.retry` with your parser's reconnection time instead if it has no
such thing). Where the spec's wording leaves room, the expectations follow
ssec-proto's reading: a `retry` field with an empty value is ignored, like
any value that is not all ASCII digits. Valid `retry` values stay below
10**10, so parsers that store milliseconds in 64 bits are not tripped up.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, NamedTuple

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:
    from ._extras import missing_extra

    raise missing_extra(__name__, "hypothesis", exc) from exc

from ._events import Event

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn, SearchStrategy

__all__ = ["Stream", "chunked_streams", "chunkings", "events", "streams"]

_BOM = b"\xef\xbb\xbf"

# Characters that trip up parsers: separators that are *not* SSE line endings
# (VT, FF, NEL, LS, PS), NUL, the BOM, the replacement character, a colon and
# spaces (field syntax), and multi-byte characters of every UTF-8 length.
_TRICKY_CHARS = (
    " ",
    ":",
    "\0",
    "\t",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffd",
    "\xe9",
    "\u20ac",
    "\U0001f600",
)

# Invalid UTF-8 (each shown with what U+FFFD replacement makes of it): a lone
# continuation byte, bytes never valid in UTF-8, an overlong encoding, a UTF-16
# surrogate, a code point above U+10FFFF, and truncated sequences (including
# half a BOM). A truncated sequence followed by a generated continuation byte
# may become valid; the expectation accounts for that by decoding the bytes.
_INVALID_UTF8 = (
    b"\x80",
    b"\xbf",
    b"\xc0\xaf",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xef\xbb",
    b"\xf0\x9f\x98",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xfe",
    b"\xff",
)

_INVALID_RETRY = (
    "",
    " 5",
    "-5",
    "+5",
    "5 ",
    "5\t",
    "1_0",
    "1e3",
    "0x10",
    "5.0",
    "1,000",
    "\uff15",  # FULLWIDTH DIGIT FIVE
    "\u0663",  # ARABIC-INDIC DIGIT THREE
    "\xb2",  # SUPERSCRIPT TWO
    "\U0001d7ce",  # MATHEMATICAL BOLD DIGIT ZERO
    "5\0",
    "five",
)

# Names that are not fields: case variants, near misses, and names with
# whitespace or unusual characters. None starts with a BOM (a leading BOM
# would be stripped at the start of a stream) or contains a colon.
_UNKNOWN_FIELDS = (
    "Data",
    "DATA",
    "Event",
    "ID",
    "Id",
    "Retry",
    "foo",
    "dat",
    "datas",
    "data ",
    " data",
    "id ",
    "retry ",
    "event\t",
    "\0",
    "\xe9",
    "\u0131d",  # dotless i
    "data\ufeff",
    "x-request-id",
)


class Stream(NamedTuple):
    """A generated event stream and the exact result of parsing it.

    Attributes:
        raw: The stream's bytes, from the start of the response body.
        events: The events a conforming parser dispatches, in order.
        last_event_id: The last event ID string after the whole stream (what
            a reconnect sends as `Last-Event-ID`; `""` if none).
        retry: The reconnection time in milliseconds set by the stream's last
            valid `retry` field, or `None` if it has none.
    """

    raw: bytes
    events: list[Event]
    last_event_id: str
    retry: int | None


_BOOLEANS = st.booleans()


def _binary(max_size: int) -> SearchStrategy[bytes]:
    """Like `st.binary(max_size=...)`, but safe under `python -bb`.

    Hypothesis caches test cases keyed by their raw choices, so a bytes choice
    can be compared with an int one (`hash(b"") == hash(0)`), which raises
    BytesWarning under `-bb`. Drawing the bytes as ints avoids that.
    """
    return st.lists(st.integers(0, 255), max_size=max_size).map(bytes)


_ENDINGS = st.sampled_from((b"\n", b"\r\n", b"\r"))
_ENDINGS_BUT_LF = st.sampled_from((b"\r\n", b"\r"))
_INVALID_FRAGMENTS = st.sampled_from(_INVALID_UTF8)


@functools.cache
def _text(exclude: str, min_size: int = 0, max_size: int = 8) -> SearchStrategy[str]:
    """Text without the characters in `exclude`, rich in tricky characters.

    Built from pieces (a tricky character, a bit of ASCII, or a run of any
    characters) so that every tricky character is likely to show up; lengths
    are approximate. `st.text(one_of(...))` would merge the alphabet into
    one set of characters and lose that bias.
    """
    pieces = [piece for piece in (*_TRICKY_CHARS, "a", "0", "xyz") if piece not in exclude]
    piece = st.one_of(
        st.sampled_from(pieces),
        st.text(st.characters(codec="utf-8", exclude_characters=exclude), min_size=1, max_size=4),
    )
    return st.lists(piece, min_size=min_size, max_size=(max_size + 1) // 2).map("".join)


def events() -> SearchStrategy[Event]:
    """Events that the text/event-stream format can carry faithfully.

    Encoding an event with `encode(e.data, event=e.event, id=e.id,
    retry=e.retry)` and decoding it gives back an equal event: the type is
    never empty (the default is `"message"`), type and id contain no CR, LF
    or NUL, the data contains no CR (its lines are received joined with LF,
    so it may contain LF), and retry is `None` or a non-negative int. The
    values include empty strings, leading spaces, colons, NUL and characters
    such as U+2028, U+0085, VT and FF that are not SSE line breaks.

    Returns:
        A strategy of [`Event`][ssec_proto.Event] values.
    """
    return st.builds(
        Event,
        event=st.one_of(st.just("message"), _text("\r\n\0", min_size=1)),
        data=_text("\r", max_size=16),
        id=_text("\r\n\0"),
        retry=st.one_of(st.none(), st.integers(0, 2**31 - 1), st.integers(min_value=0)),
    )


def _interesting_cuts(data: bytes) -> list[int]:
    """Offsets (1 to len - 1) where splitting `data` is most likely to hurt."""
    cuts: set[int] = set()
    if data.startswith(_BOM):
        cuts.update(i for i in (1, 2, 3) if i < len(data))
    for i in range(1, len(data)):
        before, after = data[i - 1], data[i]
        if (
            before in (10, 13)  # just after a line ending (or between CR and LF)
            or after in (10, 13, 58)  # just before a line ending or a colon
            or 0x80 <= after <= 0xBF  # inside a multi-byte character
        ):
            cuts.add(i)
    return sorted(cuts)


_CHUNKING_MODES = st.sampled_from(("whole", "cuts", "bytes", "interesting"))


@st.composite
def _chunkings(draw: DrawFn, data: bytes) -> list[bytes]:
    size = len(data)
    mode = draw(_CHUNKING_MODES)
    if mode == "whole" or size < 2:
        chunks = [data]
    elif mode == "bytes":
        chunks = [data[i : i + 1] for i in range(size)]
    else:
        interesting = _interesting_cuts(data)
        if mode == "interesting" and interesting:
            cuts = set(interesting)
        else:
            offsets = st.integers(1, size - 1)
            if interesting:
                offsets = st.one_of(st.sampled_from(interesting), offsets)
            cuts = draw(st.sets(offsets, max_size=min(size - 1, 24)))
        bounds = [0, *sorted(cuts), size]
        chunks = [data[start:end] for start, end in itertools.pairwise(bounds)]
    # Sometimes add empty chunks (a read that returned no bytes).
    for position in draw(st.lists(st.integers(0, len(chunks)), max_size=3)):
        chunks.insert(position, b"")
    return chunks


def chunkings(data: bytes) -> SearchStrategy[list[bytes]]:
    """Ways a transport could deliver `data`: lists of chunks that join to it.

    The chunks are the whole of `data`, single bytes, or pieces cut at
    random offsets, biased toward the offsets where parsers go wrong: inside a
    CR LF pair, inside the leading BOM, inside a multi-byte character and next
    to line endings. Empty chunks are mixed in sometimes. It shrinks toward
    delivering `data` in one chunk.

    Args:
        data: The bytes to split.

    Returns:
        A strategy of lists of chunks with `b"".join(chunks) == data`.
    """
    return _chunkings(data)


class _Line(NamedTuple):
    """One generated line: its bytes without line ending, and its effect."""

    content: bytes
    kind: str  # "data", "event", "id", "retry" or "ignored"
    text: str = ""  # the value of a data, event or id field
    number: int = 0  # the value of a retry field


class _Block(NamedTuple):
    lines: list[_Line]
    terminated: bool  # ends with a blank line
    tail: bytes  # an unterminated last line (only in the final block)


def _encoded(value: str) -> tuple[bytes, str]:
    return value.encode("utf-8"), value


@functools.cache
def _values(adversarial: bool, exclude: str = "") -> SearchStrategy[tuple[bytes, str]]:
    """Pairs of a field value's bytes and the text a parser must see for them.

    `exclude` holds ASCII characters to leave out besides CR and LF.
    """
    text = _text("\r\n" + exclude)
    if not adversarial:
        return text.map(_encoded)
    unwanted = ("\r\n" + exclude).encode("ascii")

    def without_unwanted(raw: bytes) -> bytes:
        return bytes(byte for byte in raw if byte not in unwanted)

    # Valid text, invalid sequences and random bytes, concatenated. Parts can
    # merge (a truncated sequence followed by continuation bytes is valid),
    # so the expected text comes from decoding the whole value, which is
    # exact: the value is preceded by ASCII and followed by a line ending.
    # Excluded characters are ASCII, so they can only come from random bytes.
    part = st.one_of(
        text.map(str.encode),
        _INVALID_FRAGMENTS,
        _binary(3).map(without_unwanted),
    )
    return st.lists(part, max_size=3).map(
        lambda parts: (b"".join(parts), b"".join(parts).decode("utf-8", "replace"))
    )


def _field_line(draw: DrawFn, name: bytes, raw: bytes, decoded: str) -> bytes:
    """Render `name: value` so that the parsed value is exactly `decoded`.

    The space after the colon is optional, but a value that itself starts
    with a space needs it, since parsers remove exactly one.
    """
    if raw == b"" and draw(_BOOLEANS):
        return name  # no colon at all: the value is empty
    space = decoded.startswith(" ") or draw(_BOOLEANS)
    return name + (b": " if space else b":") + raw


def _simple_line(draw: DrawFn, kind: str, adversarial: bool) -> _Line:
    """A `data` or `event` field, or a comment."""
    raw, decoded = draw(_values(adversarial))
    if kind == "comment":
        return _Line(b":" + raw, "ignored")
    return _Line(_field_line(draw, kind.encode(), raw, decoded), kind, decoded)


def _id_line(draw: DrawFn, adversarial: bool) -> _Line:
    if draw(_ONE_IN_FOUR):
        # An id containing NUL is ignored.
        raw, decoded = draw(_values(adversarial))
        head, tail = draw(_values(adversarial))
        raw, decoded = raw + b"\0" + head, decoded + "\0" + tail
        return _Line(_field_line(draw, b"id", raw, decoded), "ignored")
    raw, decoded = draw(_values(adversarial, "\0"))
    return _Line(_field_line(draw, b"id", raw, decoded), "id", decoded)


def _retry_line(draw: DrawFn, adversarial: bool) -> _Line:
    if draw(_BOOLEANS):
        number = draw(_RETRY_VALUES)
        digits = "0" * draw(_LEADING_ZEROS) + str(number)
        return _Line(_field_line(draw, b"retry", digits.encode(), digits), "retry", number=number)
    invalid = draw(_INVALID_RETRIES)
    raw = invalid.encode("utf-8")
    if adversarial and draw(_BOOLEANS):
        raw += draw(_INVALID_FRAGMENTS)
    if invalid.startswith(" "):
        # "retry:  5": after removing one space the value is " 5".
        return _Line(b"retry: " + raw, "ignored")
    return _Line(_field_line(draw, b"retry", raw, invalid), "ignored")


def _unknown_line(draw: DrawFn, adversarial: bool) -> _Line:
    name = draw(_UNKNOWN_NAMES).encode("utf-8")
    if adversarial and draw(_BOOLEANS):
        name += draw(_INVALID_FRAGMENTS)
    raw, decoded = draw(_values(adversarial))
    return _Line(_field_line(draw, name, raw, decoded), "ignored")


_ONE_IN_FOUR = st.integers(0, 3).map(lambda n: n == 0)
_RETRY_VALUES = st.integers(0, 10**10 - 1)
_LEADING_ZEROS = st.integers(0, 2)
_KINDS = st.sampled_from(("data", "event", "id", "retry", "comment", "unknown"))
_UNKNOWN_NAMES = st.sampled_from(_UNKNOWN_FIELDS)
_INVALID_RETRIES = st.sampled_from(_INVALID_RETRY)


@st.composite
def _line(draw: DrawFn, adversarial: bool) -> _Line:
    kind = draw(_KINDS)
    if kind == "id":
        return _id_line(draw, adversarial)
    if kind == "retry":
        return _retry_line(draw, adversarial)
    if kind == "unknown":
        return _unknown_line(draw, adversarial)
    return _simple_line(draw, kind, adversarial)


@functools.cache
def _lines(
    adversarial: bool,
) -> tuple[SearchStrategy[_Line], SearchStrategy[list[list[_Line]]], SearchStrategy[list[_Line]]]:
    """Strategies of one line, the lines of a few blocks, and of a cut-off block."""
    line = _line(adversarial)
    return line, st.lists(st.lists(line, max_size=4), max_size=5), st.lists(line, max_size=3)


@st.composite
def _streams(draw: DrawFn, adversarial: bool) -> Stream:
    line, block_lines, cut_off_lines = _lines(adversarial)
    blocks = [_Block(lines, terminated=True, tail=b"") for lines in draw(block_lines)]
    if draw(_BOOLEANS):
        # A final block cut off before its blank line, maybe mid-line.
        lines = draw(cut_off_lines)
        tail = draw(line).content if draw(_BOOLEANS) else b""
        blocks.append(_Block(lines, terminated=False, tail=tail))

    # Render. A CR line ending followed by an empty line that ends with LF
    # would read as one CR LF, so an empty line after CR never ends with LF.
    out = bytearray()
    previous = b""

    def emit(content: bytes) -> None:
        nonlocal previous
        ending = draw(_ENDINGS_BUT_LF if content == b"" and previous == b"\r" else _ENDINGS)
        out.extend(content + ending)
        previous = ending

    if draw(_BOOLEANS):
        out += _BOM
        if adversarial and draw(_ONE_IN_FOUR):
            # Only one BOM is stripped; a second one starts the first line,
            # which makes it an unknown field (a blank line would stop being
            # blank), so this line has no effect.
            out += _BOM
            emit(draw(line).content)

    # The expectation, computed from the structure.
    expected: list[Event] = []
    last_event_id = ""
    retry: int | None = None
    for block in blocks:
        data: list[str] = []
        event_type = ""
        id_buffer = last_event_id
        block_retry: int | None = None
        for item in block.lines:
            emit(item.content)
            if item.kind == "data":
                data.append(item.text)
            elif item.kind == "event":
                event_type = item.text
            elif item.kind == "id":
                id_buffer = item.text
            elif item.kind == "retry":
                retry = block_retry = item.number
        if block.terminated:
            emit(b"")
            last_event_id = id_buffer
            if data:
                expected.append(
                    Event(
                        event=event_type or "message",
                        data="\n".join(data),
                        id=last_event_id,
                        retry=block_retry,
                    )
                )
        out += block.tail
    return Stream(bytes(out), expected, last_event_id, retry)


def streams(*, adversarial: bool = True) -> SearchStrategy[Stream]:
    """Event streams together with what a conforming parser must make of them.

    Each stream is a few blocks of lines: `data`, `event`, `id` and
    `retry` fields with and without the space after the colon and without
    a colon at all, comments, unknown fields (`Data`, `DATA`, `foo`,
    `" data"`...), ids containing NUL (ignored), invalid retry values (`-5`,
    `" 5"`, `1_0`, fullwidth and Arabic-Indic digits, empty), blocks with
    only an id or a retry, empty blocks, a line ending chosen per line among
    CR LF, LF and CR, an optional leading BOM and an optional final block cut
    off before its blank line (possibly in the middle of a line).

    Args:
        adversarial: Also put invalid UTF-8 inside values and field names
            (expected as U+FFFD, one per maximal invalid subsequence, as
            `bytes.decode("utf-8", "replace")` and the WHATWG decoder do)
            and sometimes a second BOM, which is not stripped. With
            `False`, every stream is valid UTF-8 that a conforming server
            could send.

    Returns:
        A strategy of `Stream` values.
    """
    return _streams(adversarial)


def chunked_streams(*, adversarial: bool = True) -> SearchStrategy[tuple[Stream, list[bytes]]]:
    """A `streams()` value together with a `chunkings()` of its bytes.

    Args:
        adversarial: As for `streams()`.

    Returns:
        A strategy of `(stream, chunks)` pairs, with
        `b"".join(chunks) == stream.raw`.
    """
    return streams(adversarial=adversarial).flatmap(
        lambda stream: chunkings(stream.raw).map(lambda chunks: (stream, chunks))
    )
