"""Hypothesis properties of the real Decoder.

The oracles are the structural expectations of ssec_proto.strategies.streams()
and the spec-literal reference decoder in tests/reference.py, neither of which
shares code with the Decoder.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ssec_proto import Decoder, Event, LimitExceeded, encode
from ssec_proto.strategies import chunked_streams, chunkings, events

from . import reference


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
    b":",
    b": ",
    b" ",
    b"\xef\xbb\xbf",
    b"\xef\xbb",
    b"\xbf",
    b"data",
    b"data:",
    b"id",
    b"id: ",
    b"event",
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
any_bytes = st.one_of(binary(max_size=300), sse_bytes)


def feed_all(decoder: Decoder, chunks: list[bytes]) -> list[Event]:
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def decode_chunks(chunks: list[bytes], **options) -> reference.Result:
    decoder = Decoder(**options)
    events = feed_all(decoder, chunks)
    return reference.Result(events, decoder.last_event_id, decoder.retry)


# -- 1. generated streams, any chunking ----------------------------------------


@settings(max_examples=500, deadline=None)
@given(chunked_streams())
def test_any_chunking_of_a_stream_yields_its_events(case):
    stream, chunks = case
    decoder = Decoder()
    assert feed_all(decoder, chunks) == stream.events
    assert decoder.last_event_id == stream.last_event_id
    assert decoder.retry == stream.retry


@settings(max_examples=200, deadline=None)
@given(chunked_streams(adversarial=False))
def test_any_chunking_of_a_well_formed_stream_yields_its_events(case):
    stream, chunks = case
    assert decode_chunks(chunks) == (stream.events, stream.last_event_id, stream.retry)


# -- 2. chunking never matters, on arbitrary bytes too ---------------------------


@settings(max_examples=600, deadline=None)
@given(st.data(), any_bytes)
def test_whole_bytewise_and_chunked_agree_with_reference(data, raw):
    expected = reference.decode(raw)
    assert decode_chunks([raw]) == expected
    assert decode_chunks([raw[i : i + 1] for i in range(len(raw))]) == expected
    assert decode_chunks(data.draw(chunkings(raw), label="chunks")) == expected


@settings(max_examples=200, deadline=None)
@given(st.data(), st.one_of(any_bytes, chunked_streams().map(lambda case: case[0].raw)))
def test_each_event_arrives_with_its_blank_line(data, raw):
    # After every chunk, the decoder has returned exactly the events that the
    # bytes so far complete, and its last event ID and retry are up to date.
    decoder = Decoder()
    events: list[Event] = []
    received = b""
    for chunk in data.draw(chunkings(raw), label="chunks"):
        events += decoder.feed(chunk)
        received += chunk
        assert (events, decoder.last_event_id, decoder.retry) == reference.decode(received)


# -- 3. size limits ----------------------------------------------------------------

LINE_LIMIT = 8
EVENT_LIMIT = 5


def limited_decoder() -> Decoder:
    return Decoder(max_line_size=LINE_LIMIT, max_event_size=EVENT_LIMIT)


def decode_limited(raw: bytes) -> reference.Result:
    return reference.decode_limited(raw, max_line_size=LINE_LIMIT, max_event_size=EVENT_LIMIT)


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


def held_data_size(decoder: Decoder) -> int:
    """Characters of data the decoder holds for an event without its blank line."""
    return len("\n".join(decoder._data))


# A retry field before the offending data line takes effect, one after it
# does not; the event after the dropped one still comes out.
@example(raw=b"retry: 1\ndata:abc\ndata:abc\nretry: 2\n\ndata:ok\n\n")
# The dropped block's id does not take effect.
@example(raw=b"id: 1\n\nid: 2\ndata: abcdefgh\n\ndata\n\n")
@settings(max_examples=300, deadline=None)
@given(limited_input)
def test_limits_on_a_whole_stream_follow_the_documented_model(raw):
    # Over-limit blocks (a line over max_line_size bytes, or data over
    # max_event_size characters) are dropped with their id; every other event
    # comes out as the spec says, including those in LimitExceeded.events.
    decoder = limited_decoder()
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
    )
)
# Held: the first event's six (empty) lines made the next event's first six
# data lines count for nothing, so 11 characters were held with a limit of 5.
@example(
    case=(b"data\n" * 6 + b"\n" + b"data:abc\n" * 3, [b"data\n" * 6, b"\n", b"data:abc\n" * 3])
)
# Retry: the event limit was checked at the blank line, or at the end of a
# feed() if that came first, so the retry field after the data that crosses
# the limit took effect or not depending on chunking.
@example(case=(b"data:abc\ndata:abc\nretry: 5\n\n", [b"data:abc\ndata:abc\n", b"retry: 5\n\n"]))
@settings(max_examples=400, deadline=None)
@given(limited_cases)
def test_limits_with_any_chunking_follow_the_documented_model(case):
    # Chunking does not matter under limits either: the same events (also
    # those in LimitExceeded.events), last event ID and retry as the model,
    # which the whole stream matches (above). Only LimitExceeded escapes, and
    # what the decoder holds for the incomplete line and event stays bounded.
    raw, chunks = case
    decoder = limited_decoder()
    events: list[Event] = []
    errors: list[LimitExceeded] = []
    for chunk in chunks:
        try:
            events += decoder.feed(chunk)
        except LimitExceeded as exc:
            errors.append(exc)
            events += exc.events
        assert len(decoder._buf) <= LINE_LIMIT + 1
        assert held_data_size(decoder) <= EVENT_LIMIT
    assert all(error.limit in (LINE_LIMIT, EVENT_LIMIT) for error in errors)
    expected = decode_limited(raw)
    assert (events, decoder.last_event_id, decoder.retry) == expected


# -- 4. encode round trip ------------------------------------------------------------


def encode_event(event: Event, comment: str | None = None) -> bytes:
    return encode(event.data, event=event.event, id=event.id, retry=event.retry, comment=comment)


@settings(max_examples=500, deadline=None)
@given(events())
def test_encode_round_trip_one_event(event):
    decoder = Decoder()
    assert decoder.feed(encode_event(event)) == [event]
    assert decoder.last_event_id == event.id
    assert decoder.retry == event.retry


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(st.tuples(events(), st.none() | st.text(max_size=5)), max_size=5))
def test_encode_round_trip_event_list(data, items):
    raw = b"".join(encode_event(event, comment) for event, comment in items)
    expected = [event for event, _ in items]
    decoder = Decoder()
    assert feed_all(decoder, data.draw(chunkings(raw), label="chunks")) == expected
    assert decoder.last_event_id == (expected[-1].id if expected else "")
    retries = [event.retry for event in expected if event.retry is not None]
    assert decoder.retry == (retries[-1] if retries else None)


# -- 5. reset() ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.data(), any_bytes, chunked_streams())
def test_reset_starts_a_new_stream(data, prefix, case):
    # Whatever state a cut-off stream left (partial line, BOM, CR, UTF-8
    # sequence, event), after reset() the decoder reads a new stream like a
    # fresh one that starts from the old last event ID and retry.
    stream, chunks = case
    decoder = Decoder()
    feed_all(decoder, data.draw(chunkings(prefix), label="prefix chunks"))
    last_event_id, retry = decoder.last_event_id, decoder.retry
    decoder.reset()
    assert (decoder.last_event_id, decoder.retry) == (last_event_id, retry)
    events = feed_all(decoder, chunks)
    fresh = Decoder(last_event_id=last_event_id, retry=retry)
    assert events == fresh.feed(stream.raw)
    assert (decoder.last_event_id, decoder.retry) == (fresh.last_event_id, fresh.retry)
    expected = reference.decode(stream.raw, last_event_id=last_event_id, retry=retry)
    assert (events, decoder.last_event_id, decoder.retry) == expected


# -- 5. many blocks of one shape in one chunk ---------------------------------------
# The decoder builds the events of such a chunk a column of lines at a time;
# these streams make sure that path agrees with the spec, for every shape,
# with values that are empty, wide, NUL or invalid UTF-8, and with limits.

shape_fields = st.sampled_from(("data", "data", "event", "id", "retry", "", "data:", "id:"))
shape_values = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=4),
    st.sampled_from(("", "\0", "\U0001f600", "é")),
).map(lambda text: text.encode())
shape_values = st.one_of(shape_values, st.sampled_from((b"\xff", b"\xe2\x82")))


@st.composite
def blocks_of_one_shape(draw) -> bytes:
    shape = draw(st.lists(shape_fields, min_size=1, max_size=4))
    blocks = []
    # More blocks than the decoder needs to try columns (12).
    for _ in range(draw(st.integers(12, 18))):
        lines = [name.encode() + b": " + draw(shape_values) for name in shape]
        blocks.append(b"\n".join(lines) + b"\n\n")
    # Sometimes one block differs; sometimes an open block follows.
    if draw(st.booleans()):
        blocks.insert(draw(st.integers(0, len(blocks))), draw(sse_bytes) + b"\n\n")
    return b"".join(blocks) + draw(st.sampled_from((b"", b"\n", b"data: open", b"id: 9\n")))


@example(raw=b"data: a\n\n" * 12 + b"data: \xff\n\n")
@example(raw=b"event: \ndata: x\n\n" * 13)
@example(raw=b"id: 1\n\n" * 13)
@example(raw=b"data: a\ndata: b\nevent: e\nevent: f\n\n" * 12)
@settings(max_examples=300, deadline=None)
@given(blocks_of_one_shape())
def test_many_blocks_of_one_shape_in_one_chunk(raw):
    assert decode_chunks([raw]) == reference.decode(raw)
    decoder = limited_decoder()
    try:
        events = decoder.feed(raw)
    except LimitExceeded as exc:
        events = exc.events
    assert (events, decoder.last_event_id, decoder.retry) == decode_limited(raw)
