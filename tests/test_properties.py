"""Hypothesis properties of the real Decoder.

The oracles are the structural expectations of ssec_proto.strategies.streams()
and the spec-literal reference decoder in tests/reference.py, neither of which
shares code with the Decoder.

The decoder changes route at fixed sizes (`Tuning`): how much of an open
block it holds, how big a piece of a chunk it frames at a time, from how many
blocks it reads them as columns, how many data lines it folds. Most
properties draw small random sizes as well as the defaults, so that short
inputs reach every route; run on its own, this file covers every line and
branch of the decoder's modules (CI checks that).
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, ParamSpec, TypedDict

import pytest
from hypothesis import assume, example, given, note, settings
from hypothesis import strategies as st

from ssec_proto import Decoder, Event, LimitExceeded, encode
from ssec_proto._decoder import Tuning
from ssec_proto.strategies import chunked_streams, chunkings, events

from . import reference
from .helpers import DECODERS, held_data_size, held_line_size, state

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import TypeGuard

    from ssec_proto.strategies import Stream


def binary(*, min_size: int = 0, max_size: int) -> st.SearchStrategy[bytes]:
    # Not st.binary(): Hypothesis keys its cache by raw choices, and a bytes
    # choice compared with an int one (hash(b"") == hash(0)) raises
    # BytesWarning under "python -bb", which CI uses. Ints are safe.
    return st.lists(st.integers(0, 255), min_size=min_size, max_size=max_size).map(bytes)


# Pieces of the syntax, to make arbitrary bytes look like event streams.
TOKENS = (
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b":",
    b": ",
    b" ",
    b"\xef\xbb\xbf",
    b"\xef\xbb",
    b"\xbf",
    b"data",
    b"data:",
    b"data: ",
    b"id",
    b"id: ",
    b"event",
    b"event: ",
    b"retry",
    b"retry: ",
    b"0",
    b"42",
    b"\0",
    b"\xff",
    b"\xe2\x82",
    b"\xac",
    b"\xc3\xa9",
    b"\xf0\x9f\x98\x80",
    b"Data",
)
sse_bytes = st.lists(
    st.one_of(st.sampled_from(TOKENS), binary(min_size=1, max_size=3)), max_size=60
).map(b"".join)

# Streams of many short blocks, mostly of one shape, with what the fast routes
# must see through: blank lines beyond those that end blocks, keep-alive
# comments, comment lines, the odd block of another shape.
_VALUES = st.sampled_from([b"", b"a", b"bc", b"\xc3\xa9", b"\0", b"\xff", b" x", b"a: b"])
_BLOCKS = st.one_of(
    _VALUES.map(lambda value: b"data: " + value),
    _VALUES.map(lambda value: b"data: " + value),
    st.tuples(_VALUES, _VALUES).map(lambda v: b"event: e" + v[0] + b"\nid: " + v[1] + b"\ndata: x"),
    st.tuples(_VALUES, _VALUES).map(lambda v: b"data: " + v[0] + b"\ndata: " + v[1]),
    st.sampled_from([b":", b": keep-alive", b":ping", b"event: \ndata: y", b"retry: 7\ndata: z"]),
    st.sampled_from([b"data: a\n: c", b": c\ndata: b", b":\n:\n:", b"id: 5", b"data:x", b"data"]),
)
many_blocks = st.lists(
    st.tuples(_BLOCKS, st.sampled_from([b"\n\n", b"\n\n", b"\n\n", b"\n\n\n", b"\n\n\n\n\n"])),
    min_size=1,
    max_size=30,
).map(lambda blocks: b"".join(block + end for block, end in blocks))

# Many blocks of one data line among keep-alive comments and blank lines.
keep_alive_streams = st.lists(
    st.sampled_from([b"data: a\n\n", b"data: bc\n\n", b":\n\n", b": ping\n\n", b"\n", b"\n\n"]),
    max_size=40,
).map(b"".join)

# Floods of comment lines, with no blank line for a while.
comment_floods = st.lists(
    st.sampled_from([b":\n", b": x\n", b":yz\n", b"data: a\n", b"\n"]), max_size=40
).map(b"".join)

any_bytes = st.one_of(
    binary(max_size=300), sse_bytes, many_blocks, keep_alive_streams, comment_floods
)

DEFAULTS = Tuning()

#: The route sizes: the defaults, or small ones that short inputs cross.
tunings = st.one_of(
    st.just(DEFAULTS),
    st.builds(
        Tuning,
        held=st.integers(0, 40),
        piece=st.integers(1, 40),
        columns=st.integers(1, 5),
        fold=st.integers(0, 4),
    ),
)


def tuned(tuning: Tuning) -> type[Decoder]:
    """A Decoder class that changes route at the sizes of `tuning`."""
    return _tuned(Decoder, tuning)


@functools.cache
def _tuned(base: type[Decoder], tuning: Tuning) -> type[Decoder]:
    return type("TunedDecoder", (base,), {"_TUNING": tuning, "__slots__": ()})


_P = ParamSpec("_P")


def on_both(test: Callable[_P, None]) -> Callable[_P, None]:
    """Run a property's body once per decoder implementation, on the same inputs.

    Every property holds for the compiled decoder and the pure one alike
    (issue 14): each input Hypothesis draws goes to both, in turn, through
    this module's `Decoder` (the tunings change the pure decoder's routes
    only). Drawing an input once for both halves what the properties cost.
    """

    @functools.wraps(test)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        module = globals()
        default = module["Decoder"]
        for name, cls in DECODERS.items():
            if cls is None:  # pragma: no cover - .ci/run checks that it is built
                continue
            note(f"decoder: {name}")
            module["Decoder"] = cls
            try:
                test(*args, **kwargs)
            finally:
                module["Decoder"] = default

    return run


def feed_all(decoder: Decoder, chunks: Sequence[bytes | bytearray | memoryview]) -> list[Event]:
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def decode_chunks(
    chunks: Sequence[bytes | bytearray | memoryview], tuning: Tuning = DEFAULTS
) -> reference.Result:
    decoder = tuned(tuning)()
    events = feed_all(decoder, chunks)
    return reference.Result(events, decoder.last_event_id, decoder.retry)


# -- 1. generated streams, any chunking ----------------------------------------


@settings(max_examples=300, deadline=None)
@given(chunked_streams(), tunings)
@on_both
def test_any_chunking_of_a_stream_yields_its_events(
    case: tuple[Stream, list[bytes]], tuning: Tuning
) -> None:
    stream, chunks = case
    decoder = tuned(tuning)()
    assert feed_all(decoder, chunks) == stream.events
    assert decoder.last_event_id == stream.last_event_id
    assert decoder.retry == stream.retry


@settings(max_examples=100, deadline=None)
@given(chunked_streams(adversarial=False))
@on_both
def test_any_chunking_of_a_well_formed_stream_yields_its_events(
    case: tuple[Stream, list[bytes]],
) -> None:
    stream, chunks = case
    assert decode_chunks(chunks) == (stream.events, stream.last_event_id, stream.retry)


# -- 2. chunking never matters, on arbitrary bytes too ---------------------------


def as_bytes_like(chunks: list[bytes], kinds: list[int]) -> list[bytes | bytearray | memoryview]:
    """The chunks as bytes, bytearray or memoryview: feed() takes them all."""
    wrap = (bytes, bytearray, memoryview)
    kinds = (kinds + [0] * len(chunks))[: len(chunks)]
    return [wrap[kind](chunk) for chunk, kind in zip(chunks, kinds, strict=True)]


@settings(max_examples=600, deadline=None)
@given(st.data(), any_bytes, tunings)
@on_both
def test_whole_bytewise_and_chunked_agree_with_reference(
    data: st.DataObject, raw: bytes, tuning: Tuning
) -> None:
    expected = reference.decode(raw)
    assert decode_chunks([raw], tuning) == expected
    assert decode_chunks([raw[i : i + 1] for i in range(len(raw))], tuning) == expected
    chunks = data.draw(chunkings(raw), label="chunks")
    kinds = data.draw(st.lists(st.integers(0, 2)), label="types")
    assert decode_chunks(as_bytes_like(chunks, kinds), tuning) == expected


@settings(max_examples=200, deadline=None)
@given(st.data(), st.one_of(any_bytes, chunked_streams().map(lambda case: case[0].raw)), tunings)
@on_both
def test_each_event_arrives_with_its_blank_line(
    data: st.DataObject, raw: bytes, tuning: Tuning
) -> None:
    # After every chunk, the decoder has returned exactly the events that the
    # bytes so far complete, and its last event ID and retry are up to date.
    decoder = tuned(tuning)()
    events: list[Event] = []
    received = b""
    for chunk in data.draw(chunkings(raw), label="chunks"):
        events += decoder.feed(chunk)
        received += chunk
        assert (events, decoder.last_event_id, decoder.retry) == reference.decode(received)


# -- 3. size limits ----------------------------------------------------------------

LINE_LIMIT = 8
EVENT_LIMIT = 5


def limited_decoder(
    tuning: Tuning = DEFAULTS, *, on_comment: Callable[[str], object] | None = None
) -> Decoder:
    return tuned(tuning)(
        max_line_size=LINE_LIMIT, max_event_size=EVENT_LIMIT, on_comment=on_comment
    )


def decode_limited(raw: bytes, *, comments: list[str] | None = None) -> reference.Result:
    return reference.decode_limited(
        raw, max_line_size=LINE_LIMIT, max_event_size=EVENT_LIMIT, comments=comments
    )


# Streams of short events, many of them near the limits: data lines of up to
# three characters fit in an 8-byte "data:abc" line, and a few of them make
# an event just under or over EVENT_LIMIT.
small_data = st.lists(st.sampled_from(["", "a", "ab", "abc"]), min_size=1, max_size=4).map(
    "\n".join
)
small_blocks = st.builds(
    lambda data, id_, retry: encode(data, id=id_, retry=retry),
    st.none() | small_data,
    st.none() | st.sampled_from(["", "1", "22"]),
    st.none() | st.integers(0, 99),
)
limited_input = st.one_of(
    any_bytes,
    st.lists(small_blocks, max_size=6).map(b"".join),
    chunked_streams().map(lambda case: case[0].raw),
)
limited_cases = limited_input.flatmap(lambda raw: chunkings(raw).map(lambda chunks: (raw, chunks)))


# A retry field before the offending data line takes effect, one after it
# does not; the event after the dropped one still comes out.
@example(raw=b"retry: 1\ndata:abc\ndata:abc\nretry: 2\n\ndata:ok\n\n", tuning=Tuning())
# The dropped block's id does not take effect.
@example(raw=b"id: 1\n\nid: 2\ndata: abcdefgh\n\ndata\n\n", tuning=Tuning())
@settings(max_examples=300, deadline=None)
@given(limited_input, tunings)
@on_both
def test_limits_on_a_whole_stream_follow_the_documented_model(raw: bytes, tuning: Tuning) -> None:
    # Over-limit blocks (a line over max_line_size bytes, or data over
    # max_event_size characters) are dropped with their id; every other event
    # comes out as the spec says, including those in LimitExceeded.events.
    decoder = limited_decoder(tuning)
    try:
        events = decoder.feed(raw)
    except LimitExceeded as exc:
        events = exc.events
    expected = decode_limited(raw)
    assert (events, decoder.last_event_id, decoder.retry) == expected


# Regressions found by this property in an earlier decoder, which measured
# data left pending at the end of feed() with counters that were not reset
# when an event was dispatched in a feed() that ended with no data pending.
# Dropped: the second event's data "\nab" (3 characters) was counted as 6 > 5.
@example(
    case=(
        b"data:abc\n\ndata\ndata: ab\n\n",
        [b"data:abc\n", b"\n", b"data\n", b"data: ab\n", b"\n"],
    ),
    tuning=Tuning(),
)
# Held: the first event's six (empty) lines made the next event's first six
# data lines count for nothing, so 11 characters were held with a limit of 5.
@example(
    case=(b"data\n" * 6 + b"\n" + b"data:abc\n" * 3, [b"data\n" * 6, b"\n", b"data:abc\n" * 3]),
    tuning=Tuning(),
)
# Retry: the event limit was checked at the blank line, or at the end of a
# feed() if that came first, so the retry field after the data that crosses
# the limit took effect or not depending on chunking.
@example(
    case=(b"data:abc\ndata:abc\nretry: 5\n\n", [b"data:abc\ndata:abc\n", b"retry: 5\n\n"]),
    tuning=Tuning(),
)
@settings(max_examples=400, deadline=None)
@given(limited_cases, tunings)
@on_both
def test_limits_with_any_chunking_follow_the_documented_model(
    case: tuple[bytes, list[bytes]], tuning: Tuning
) -> None:
    # Chunking does not matter under limits either: the same events (also
    # those in LimitExceeded.events), last event ID and retry as the model,
    # which the whole stream matches (above). Only LimitExceeded escapes, and
    # what the decoder holds for the incomplete line and event stays bounded.
    raw, chunks = case
    decoder = limited_decoder(tuning)
    events: list[Event] = []
    errors: list[LimitExceeded] = []
    for chunk in chunks:
        try:
            events += decoder.feed(chunk)
        except LimitExceeded as exc:
            errors.append(exc)
            events += exc.events
        assert held_line_size(decoder) <= LINE_LIMIT
        assert held_data_size(decoder) <= EVENT_LIMIT
    assert all(error.limit in (LINE_LIMIT, EVENT_LIMIT) for error in errors)
    expected = decode_limited(raw)
    assert (events, decoder.last_event_id, decoder.retry) == expected


# -- 4. comments, and a callback that raises ----------------------------------------


def commented(raw: bytes, limited: bool) -> tuple[reference.Result, list[str]]:
    """What the reference makes of ``raw``, and the comments it shows."""
    comments: list[str] = []
    if limited:
        return decode_limited(raw, comments=comments), comments
    return reference.decode(raw, comments=comments), comments


@settings(max_examples=300, deadline=None)
@given(limited_cases, tunings, st.booleans())
@on_both
def test_every_comment_is_shown_in_order(
    case: tuple[bytes, list[bytes]], tuning: Tuning, limited: bool
) -> None:
    raw, chunks = case
    seen: list[str] = []
    on_comment = seen.append
    decoder = (
        limited_decoder(tuning, on_comment=on_comment)
        if limited
        else tuned(tuning)(on_comment=on_comment)
    )
    events: list[Event] = []
    for chunk in chunks:
        try:
            events += decoder.feed(chunk)
        except LimitExceeded as exc:
            events += exc.events
    assert ((events, decoder.last_event_id, decoder.retry), seen) == commented(raw, limited)


class Boom(Exception):
    pass


@settings(max_examples=300, deadline=None)
@given(limited_cases, tunings, st.booleans(), st.sets(st.sampled_from(["", "x", " x", "ping"])))
@on_both
def test_a_raising_comment_callback_loses_nothing(
    case: tuple[bytes, list[bytes]], tuning: Tuning, limited: bool, raising: set[str]
) -> None:
    # on_comment raises for some comments: feed() raises the first such
    # exception of the call once the chunk is decoded; the call's events (and
    # a limit error it found) come with the next call. Over all the calls,
    # and a last feed(b"") to collect, nothing differs from a quiet callback.
    raw, chunks = case
    seen: list[str] = []

    def on_comment(text: str) -> None:
        seen.append(text)
        if text in raising:
            raise Boom(text)

    decoder = (
        limited_decoder(tuning, on_comment=on_comment)
        if limited
        else tuned(tuning)(on_comment=on_comment)
    )
    events: list[Event] = []
    for chunk in [*chunks, b""]:
        shown = len(seen)
        raised: list[str] = []
        try:
            events += decoder.feed(chunk)
        except LimitExceeded as exc:
            events += exc.events
        except Boom as exc:
            raised.append(exc.args[0])
        # What was raised is the first comment of this call that raised.
        assert raised == [text for text in seen[shown:] if text in raising][:1]
    try:
        events += decoder.feed(b"")
    except LimitExceeded as exc:
        events += exc.events
    assert ((events, decoder.last_event_id, decoder.retry), seen) == commented(raw, limited)


# -- 5. reading the state changes nothing ---------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.data(), limited_input, tunings)
@on_both
def test_reading_retry_and_last_event_id_changes_nothing(
    data: st.DataObject, raw: bytes, tuning: Tuning
) -> None:
    # A decoder whose properties are read after any chunk, any number of
    # times, ends in the same state, with the same events, as one never read.
    chunks = data.draw(chunkings(raw), label="chunks")
    reads = data.draw(st.lists(st.integers(0, 2), min_size=len(chunks), max_size=len(chunks)))
    read, quiet = tuned(tuning)(), tuned(tuning)()
    for chunk, times in zip(chunks, reads, strict=True):
        assert read.feed(chunk) == quiet.feed(chunk)
        for _ in range(times):
            before = state(read)
            assert (read.retry, read.last_event_id) == (read.retry, read.last_event_id)
            assert state(read) == before
        assert state(read) == state(quiet)
    read.reset()
    quiet.reset()
    assert state(read) == state(quiet)
    assert (read.retry, read.last_event_id) == reference.decode(raw)[1:][::-1]


# -- 6. encode round trip ------------------------------------------------------------


def encode_event(event: Event, comment: str | None = None) -> bytes:
    return encode(event.data, event=event.event, id=event.id, retry=event.retry, comment=comment)


@settings(max_examples=300, deadline=None)
@given(events())
@on_both
def test_encode_round_trip_one_event(event: Event) -> None:
    # Retry values of more than 640 digits are ignored (see
    # test_decoder.py); events() stays far below that.
    decoder = Decoder()
    assert decoder.feed(encode_event(event)) == [event]
    assert decoder.last_event_id == event.id
    assert decoder.retry == event.retry


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(st.tuples(events(), st.none() | st.text(max_size=5)), max_size=5))
@on_both
def test_encode_round_trip_event_list(
    data: st.DataObject, items: list[tuple[Event, str | None]]
) -> None:
    raw = b"".join(encode_event(event, comment) for event, comment in items)
    expected = [event for event, _ in items]
    decoder = Decoder()
    assert feed_all(decoder, data.draw(chunkings(raw), label="chunks")) == expected
    assert decoder.last_event_id == (expected[-1].id if expected else "")
    retries = [event.retry for event in expected if event.retry is not None]
    assert decoder.retry == (retries[-1] if retries else None)


# -- 7. reset() ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.data(), any_bytes, chunked_streams(), tunings)
@on_both
def test_reset_starts_a_new_stream(
    data: st.DataObject, prefix: bytes, case: tuple[Stream, list[bytes]], tuning: Tuning
) -> None:
    # Whatever state a cut-off stream left (partial line, BOM, CR, UTF-8
    # sequence, event), after reset() the decoder reads a new stream like a
    # fresh one that starts from the old last event ID and retry.
    stream, chunks = case
    decoder = tuned(tuning)()
    feed_all(decoder, data.draw(chunkings(prefix), label="prefix chunks"))
    last_event_id, retry = decoder.last_event_id, decoder.retry
    decoder.reset()
    assert (decoder.last_event_id, decoder.retry) == (last_event_id, retry)
    assert (last_event_id, retry) == reference.decode(prefix)[1:]
    events = feed_all(decoder, chunks)
    fresh = tuned(tuning)(last_event_id=last_event_id, retry=retry)
    assert events == fresh.feed(stream.raw)
    assert (decoder.last_event_id, decoder.retry) == (fresh.last_event_id, fresh.retry)
    expected = reference.decode(stream.raw, last_event_id=last_event_id, retry=retry)
    assert (events, decoder.last_event_id, decoder.retry) == expected


# -- 8. many blocks of one shape in one chunk ---------------------------------------
# The decoder builds the events of such a chunk a column of lines at a time;
# these streams make sure that path agrees with the spec, for every shape,
# with values that are empty, wide, NUL or invalid UTF-8, and with limits.

shape_fields = st.sampled_from(("data", "data", "event", "id", "retry", "", "data:", "id:"))
shape_values = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=4),
    st.sampled_from(("", "\0", "\U0001f600", "é")),
).map(lambda text: text.encode())
shape_values = st.one_of(shape_values, st.sampled_from((b"\xff", b"\xe2\x82")))


@st.composite
def blocks_of_one_shape(draw: st.DrawFn) -> bytes:
    shape = draw(st.lists(shape_fields, min_size=1, max_size=4))
    blocks: list[bytes] = []
    # More blocks than the decoder needs to try columns (12).
    for _ in range(draw(st.integers(12, 18))):
        lines = [name.encode() + b": " + draw(shape_values) for name in shape]
        blocks.append(b"\n".join(lines) + b"\n\n")
    # Sometimes one block differs; sometimes an open block follows.
    if draw(st.booleans()):
        blocks.insert(draw(st.integers(0, len(blocks))), draw(sse_bytes) + b"\n\n")
    return b"".join(blocks) + draw(st.sampled_from((b"", b"\n", b"data: open", b"id: 9\n")))


class Limits(TypedDict, total=False):
    """The size limits that both Decoder() and reference.decode_limited() take."""

    max_line_size: int | None
    max_event_size: int | None


@example(raw=b"data: a\n\n" * 12 + b"data: \xff\n\n", tuning=Tuning())
# The first block is short, the others not: fewer blocks than it seemed.
@example(raw=b"data: a\n\ndata: " + b"b" * 30 + b"\n\n", tuning=Tuning(columns=3))
@example(raw=b"id: 1\ndata: a\n\nid: 2\ndata: " + b"b" * 30 + b"\n\n", tuning=Tuning(columns=3))
# Data over the event limit, one column or two; an id with NUL.
@example(raw=b"data: abcdef\n\n" * 12, tuning=Tuning())
@example(raw=b"data: abc\ndata: abc\n\n" * 12, tuning=Tuning())
@example(raw=b"id: \0\ndata: x\n\n" * 12, tuning=Tuning())
@example(raw=b"event: e\nid: 7\ndata: x\n\n" * 12, tuning=Tuning())
@example(raw=b"event: \ndata: x\n\n" * 13, tuning=Tuning())
@example(raw=b"id: 1\n\n" * 13, tuning=Tuning())
@example(raw=b"data: a\ndata: b\nevent: e\nevent: f\n\n" * 12, tuning=Tuning())
# One-data-line blocks, then one of two data lines: not all one line each
# (CI's coverage missed this branch on one seed) ...
@example(raw=b"data: a\n\n" * 12 + b"data: b\ndata: c\n\n", tuning=Tuning())
# ... or then a keep-alive comment (and this one on another).
@example(raw=b"data: a\n\n" * 12 + b": c\n\n", tuning=Tuning())
# Blocks of one shape but for one whose first field differs: no columns.
@example(raw=b"event: e\ndata: x\n\n" * 12 + b"id: 1\ndata: y\n\n", tuning=Tuning())
# Keep-alive comments between the blocks: dropped in one pass, then columns.
@example(raw=b":\n\ndata: a\n\n" * 12, tuning=Tuning())
# Comment lines inside the blocks, one opening the first; blocks of comment
# lines only (blank lines left to fold); keep-alives that end the text, or
# that a block opening with a comment follows (not a keep-alive, then).
@example(raw=b": c\ndata: a\n:\n\n" * 12, tuning=Tuning())
@example(raw=b"data: a\n\n:c\n:d\n\n" * 12, tuning=Tuning())
@example(raw=b"data: a\n\n" * 12 + b":c\n\n:d\n\n", tuning=Tuning())
@example(raw=b"data: a\n\n:c\n\n:d\ndata: b\n\n" * 12, tuning=Tuning())
# Blank lines beyond one between blocks of two fields: folded, then columns.
@example(raw=b"event: e\ndata: x\n\n\n" * 12, tuning=Tuning())
@settings(max_examples=300, deadline=None)
@given(blocks_of_one_shape(), tunings)
@on_both
def test_many_blocks_of_one_shape_in_one_chunk(raw: bytes, tuning: Tuning) -> None:
    assert decode_chunks([raw], tuning) == reference.decode(raw)
    # Both limits, as elsewhere; and the event limit alone, which lets long
    # lines through to the routes that read blocks whole.
    both = Limits(max_line_size=LINE_LIMIT, max_event_size=EVENT_LIMIT)
    for limits in (both, Limits(max_event_size=EVENT_LIMIT)):
        decoder = tuned(tuning)(**limits)
        try:
            events = decoder.feed(raw)
        except LimitExceeded as exc:
            events = exc.events
        expected = reference.decode_limited(raw, **limits)
        assert (events, decoder.last_event_id, decoder.retry) == expected


# -- 9. the API refuses what it cannot take ---------------------------------------------

not_bytes = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.lists(binary(max_size=2)))


@settings(max_examples=50, deadline=None)
@given(not_bytes)
@on_both
def test_feed_takes_only_bytes(chunk: object) -> None:
    decoder = Decoder()
    with pytest.raises(TypeError, match="takes bytes") as info:
        decoder.feed(chunk)  # type: ignore[arg-type]  # not bytes, on purpose: the TypeError
    assert ("encode('utf-8')" in str(info.value)) == isinstance(chunk, str)
    assert state(decoder) == state(Decoder())


options = st.fixed_dictionaries(
    {},
    optional={
        "max_line_size": st.one_of(st.none(), st.integers(-1, 3), st.just(1.5)),
        "max_event_size": st.one_of(st.none(), st.integers(-1, 3), st.just("2")),
        "retry": st.one_of(st.none(), st.integers(-1, 3), st.just(True), st.just(0.5)),
        "last_event_id": st.one_of(st.sampled_from(["", "7", "a\nb", "a\rb", "\0"]), st.just(5)),
    },
)


class DecoderOptions(TypedDict, total=False):
    """The options of Decoder() that the strategy above draws."""

    max_line_size: int | None
    max_event_size: int | None
    retry: int | None
    last_event_id: str


def valid_option(name: str, value: object) -> bool:
    if value is None:
        return name != "last_event_id"
    if name == "last_event_id":
        return isinstance(value, str) and not any(char in value for char in "\0\r\n")
    if name == "retry":
        return type(value) is int and value >= 0
    return type(value) is int and value >= 1


def valid_options(kwargs: dict[str, object]) -> TypeGuard[DecoderOptions]:
    """Whether Decoder() takes all of these options: then they have its types."""
    return all(valid_option(name, value) for name, value in kwargs.items())


@settings(max_examples=100, deadline=None)
@given(options)
@on_both
def test_options_are_checked(kwargs: dict[str, object]) -> None:
    if valid_options(kwargs):
        decoder = Decoder(**kwargs)
        assert decoder.last_event_id == kwargs.get("last_event_id", "")
        assert decoder.retry == kwargs.get("retry")
        return
    # The limits and retry are checked first (ValueError), then the ID (its
    # type, then its characters).
    numbers_valid = all(
        valid_option(name, value) for name, value in kwargs.items() if name != "last_event_id"
    )
    wrong_type = not isinstance(kwargs.get("last_event_id", ""), str)
    with pytest.raises(TypeError if numbers_valid and wrong_type else ValueError):
        Decoder(**kwargs)  # type: ignore[arg-type]  # wrong types on purpose: the errors


# -- 10. retry values: digits only, and at most 640 of them that count --------------------


retry_values = st.builds(
    lambda zeros, digits, tail: "0" * zeros + digits + tail,
    st.integers(0, 700),
    st.one_of(st.just(""), st.integers(1, 10**30).map(str), st.just("9" * 640), st.just("9" * 641)),
    st.sampled_from(["", "", "x", " ", "٣"]),
)


@settings(max_examples=200, deadline=None)
@given(retry_values, st.sampled_from([0, 640, 4300]))
@on_both
def test_retry_values_follow_the_documented_rule(value: str, int_max_str_digits: int) -> None:
    assume(value)
    raw = b"retry: 3\n\nretry: " + value.encode() + b"\ndata: x\n\n"
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(int_max_str_digits)
    try:
        events, last_event_id, retry = decode_chunks([raw])
    finally:
        sys.set_int_max_str_digits(old)
    significant = value.lstrip("0")
    valid = value.isascii() and value.isdigit() and len(significant) <= 640
    assert retry == (int(value) if valid else 3)
    assert events == [Event(data="x", retry=retry if valid else None)]
    assert (events, last_event_id, retry) == reference.decode(raw)


# -- 11. iter_feed(): feed()'s events, one at a time -------------------------------------

#: How each call is made: `feed()`, or `iter_feed()` stopped after so many
#: events (`None`: run to the end; 0: never advanced).
calls = st.one_of(st.just("feed"), st.none(), st.integers(0, 3))

lazy_limits = st.sampled_from(
    [
        Limits(),
        Limits(max_line_size=8, max_event_size=5),
        Limits(max_event_size=5),
        Limits(max_line_size=3),
    ]
)


def collect(decoder: Decoder, events: list[Event]) -> None:
    """`feed(b"")` until it returns: whatever is pending comes out."""
    for _ in range(3):
        try:
            events += decoder.feed(b"")
        except LimitExceeded as exc:
            events += exc.events
        except Boom:
            continue
        return
    raise AssertionError("feed(b'') kept raising")  # pragma: no cover - a failure


LazyCase = tuple[bytes, list[bytes], list["str | int | None"]]


@st.composite
def lazy_cases(draw: st.DrawFn) -> LazyCase:
    """A stream, its chunks, and how each is fed (see `calls`)."""
    raw = draw(st.one_of(any_bytes, limited_input))
    chunks = draw(chunkings(raw))
    how = st.none() if draw(st.booleans()) else calls
    return raw, chunks, draw(st.lists(how, min_size=len(chunks), max_size=len(chunks)))


# Each route of the lazy framing: a piece cut in two by a blank line, a blank
# line at the start of a piece, input left pending in both forms, and the
# events a raising on_comment left to a feed() call handed out first.
@example(
    case=(
        b"data: a\n\n: x\ndata: b\n\ndata: c\n\ndata: d\n\n",
        [b"data: a\n\n: x\ndata: b\n\ndata: c\n\n", b"data: d\n", b"\n"],
        ["feed", 1, None],
    ),
    tuning=Tuning(piece=4),
    options=Limits(),
    listening=True,
)
@example(
    case=(
        b"id: 1\ndata: a\n\ndata: b\n\n\ndata: c\n\n",
        [b"id: 1\ndata: a\n\ndata: b\n\n", b"\ndata: c\n\n"],
        [1, "feed"],
    ),
    tuning=Tuning(),
    options=Limits(),
    listening=False,
)
@example(
    case=(b"data: a\n\ndata: b\n\n", [b"data: a\n\ndata: b\n\n", b""], [1, "feed"]),
    tuning=Tuning(piece=4),
    options=Limits(),
    listening=False,
)
@settings(max_examples=300, deadline=None)
@given(case=lazy_cases(), tuning=tunings, options=lazy_limits, listening=st.booleans())
@on_both
def test_iter_feed_hands_out_what_feed_returns(
    case: LazyCase, tuning: Tuning, options: Limits, listening: bool
) -> None:
    # Random streams, cut at random, each chunk through feed() or through
    # iter_feed() stopped early or not, then feed(b"") to collect: the events
    # handed out (and those the errors carry), the comments and the state are
    # feed()'s. After each event the state is that of the stream up to it;
    # with no early stop, each call raises what feed() raised in it; an
    # iterator that a later call took over ends.
    _, chunks, plan = case

    def decoder(log: list[str]) -> Decoder:
        def on_comment(text: str) -> None:
            log.append(text)
            if text == "x":
                raise Boom(text)

        return tuned(tuning)(**options, on_comment=on_comment if listening else None)

    eager_log: list[str] = []
    eager = decoder(eager_log)
    eager_events: list[Event] = []
    eager_states: list[tuple[str, int | None]] = []
    eager_raised: list[object] = []
    for chunk in chunks:
        raised: object = None
        try:
            eager_events += eager.feed(chunk)
        except LimitExceeded as exc:
            eager_events += exc.events
            raised = (type(exc), exc.limit)
        except Boom:
            raised = Boom
        eager_states.append((eager.last_event_id, eager.retry))
        eager_raised.append(raised)
    collect(eager, eager_events)

    lazy_log: list[str] = []
    lazy = decoder(lazy_log)
    lazy_events: list[Event] = []
    lazy_raised: list[object] = []
    left: Iterator[Event] | None = None  # an iterator stopped early
    caught_up = True  # whether all the input so far was decoded
    for index, (chunk, how) in enumerate(zip(chunks, plan, strict=True)):
        raised = None
        carried: list[Event] = []
        finished = True  # whether this call ran to its end
        try:
            if how == "feed":
                lazy_events += lazy.feed(chunk)
            else:
                iterator = lazy.iter_feed(chunk)
                finished = how != 0
                for handed, event in enumerate(iterator if finished else (), 1):
                    # The state keeps pace with the events handed out.
                    assert lazy.last_event_id == event.id
                    lazy_events.append(event)
                    if handed == how:
                        finished = False
                        break
        except LimitExceeded as exc:
            carried = exc.events
            raised = (type(exc), exc.limit)
        except Boom:
            raised = Boom
        # An iterator's limit error carries no events: all were handed out.
        assert how == "feed" or carried == []
        lazy_events += carried
        lazy_raised.append(raised)
        if left is not None:
            # This call took over what the earlier iterator left: it ends.
            assert list(left) == []
        left = None if finished else iterator
        caught_up = finished and (caught_up or how == "feed" or how is None)
        if caught_up:
            assert (lazy.last_event_id, lazy.retry) == eager_states[index]
    collect(lazy, lazy_events)

    assert lazy_events == eager_events
    assert (lazy.last_event_id, lazy.retry) == (eager.last_event_id, eager.retry)
    assert lazy_log == eager_log
    if all(how is None or how == "feed" for how in plan):
        assert lazy_raised == eager_raised
