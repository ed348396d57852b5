"""Tests of ssec_proto.strategies and of the reference decoder they are judged by.

The strategies must be right on their own terms, without our Decoder: a
Stream's expectation must agree with the spec-literal reference decoder, and
chunkings and events must be what they claim to be.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from ssec_proto import Event, encode
from ssec_proto.strategies import Stream, chunked_streams, chunkings, events, streams

from . import reference

if TYPE_CHECKING:
    from collections.abc import Callable

BOM = b"\xef\xbb\xbf"
# For find(): no shrinking, the first example found will do. Derandomized:
# whether a strategy reaches a value must not depend on the run's seed (CI
# once missed "LF in data" within 2,000 random examples).
FIND = settings(
    max_examples=2000, database=None, deadline=None, phases=[Phase.generate], derandomize=True
)


def binary(*, min_size: int = 0, max_size: int) -> st.SearchStrategy[bytes]:
    # Not st.binary(): Hypothesis keys its cache by raw choices, and a bytes
    # choice compared with an int one (hash(b"") == hash(0)) raises
    # BytesWarning under "python -bb", which CI uses. Ints are safe.
    return st.lists(st.integers(0, 255), min_size=min_size, max_size=max_size).map(bytes)


def cut_offsets(chunks: list[bytes]) -> set[int]:
    """Offsets into the joined bytes where one non-empty chunk ends and another starts."""
    sizes = [len(chunk) for chunk in chunks if chunk]
    return set(itertools.accumulate(sizes[:-1]))


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- the reference decoder, against the spec's own examples -----------------


def test_reference_spec_example_stock_ticker() -> None:
    raw = b"data: YHOO\ndata: +2\ndata: 10\n\n"
    assert reference.decode(raw) == ([Event(data="YHOO\n+2\n10")], "", None)


def test_reference_spec_example_ids() -> None:
    raw = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n"
    )
    assert reference.decode(raw) == (
        [Event(data="first event", id="1"), Event(data="second event", id="")],
        "",
        None,
    )
    assert reference.decode(raw + b"\n").events[-1] == Event(data=" third event", id="")


def test_reference_spec_example_empty_data() -> None:
    raw = b"data\n\ndata\ndata\n\ndata:"
    assert reference.decode(raw).events == [Event(data=""), Event(data="\n")]


def test_reference_spec_example_space_after_colon() -> None:
    raw = b"data:test\n\ndata: test\n\n"
    assert reference.decode(raw).events == [Event(data="test"), Event(data="test")]


def test_reference_line_endings_bom_and_fields() -> None:
    raw = (
        BOM + BOM + b"data: ghost\r\n\r\n"  # the second BOM makes an unknown field
        b"event: a\rretry: 7\rid: x\0y\rdata\rid: 1\r\r"  # NUL: that id is ignored
        b"Data: no\nretry:  8\nretry: \xef\xbc\x95\nretry\ndata\n\n"  # invalid retries
        b"id: 2\n\n"  # id-only block
        b"data: cut off\nretry: 9\nid: 3\n"  # retry takes effect, the id does not
    )
    assert reference.decode(raw) == (
        [Event(event="a", data="", id="1", retry=7), Event(data="", id="1")],
        "2",
        9,
    )


def test_reference_replaces_invalid_utf8() -> None:
    raw = b"data: a\xffb\xe2\x82\rdata: \xf0\x9f\x98\x80\n\n"
    assert reference.decode(raw).events == [Event(data="a\ufffdb\ufffd\n\U0001f600")]


def test_reference_limits() -> None:
    raw = b"retry: 1\ndata: 123456789\nretry: 2\n\nid: a\ndata: 12\ndata: 34\n\ndata: 1\n\n"
    assert reference.decode_limited(raw, max_line_size=8, max_event_size=4) == (
        [Event(data="1", id="")],
        "",
        1,
    )
    # The event limit trips at the data line that crosses it, so the retry
    # field after it is skipped with the rest of the block.
    assert reference.decode_limited(raw, max_line_size=16, max_event_size=5) == (
        [Event(data="12\n34", id="a"), Event(data="1", id="a")],
        "a",
        1,
    )


@settings(max_examples=300, deadline=None)
@given(binary(max_size=200))
def test_reference_per_line_decoding_equals_whole_decoding(raw: bytes) -> None:
    # decode_limited splits bytes first and decodes line by line; without
    # limits that must not make a difference.
    assert reference.decode_limited(raw) == reference.decode(raw)


# -- chunkings ----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.data(), st.one_of(binary(max_size=64), streams().map(lambda stream: stream.raw)))
def test_chunkings_join_back(data: st.DataObject, raw: bytes) -> None:
    chunks = data.draw(chunkings(raw))
    assert all(type(chunk) is bytes for chunk in chunks)
    assert b"".join(chunks) == raw


@pytest.mark.parametrize(
    ("raw", "wanted"),
    [
        pytest.param(b"data: x\r\n\r\n", lambda c: 8 in cut_offsets(c), id="inside CR LF"),
        pytest.param(BOM + b"data: x\n\n", lambda c: 1 in cut_offsets(c), id="inside BOM 1"),
        pytest.param(BOM + b"data: x\n\n", lambda c: 2 in cut_offsets(c), id="inside BOM 2"),
        pytest.param(
            "data: \U0001f600\n\n".encode(), lambda c: {7, 8, 9} <= cut_offsets(c), id="in 4 bytes"
        ),
        pytest.param(b"data: x\n\n", lambda c: b"" in c, id="empty chunk"),
        pytest.param(b"data: x\n\n", lambda c: all(len(x) == 1 for x in c), id="single bytes"),
        pytest.param(b"data: x\n\n", lambda c: c == [b"data: x\n\n"], id="whole"),
    ],
)
def test_chunkings_reach_interesting_splits(
    raw: bytes, wanted: Callable[[list[bytes]], bool]
) -> None:
    chunks = find(chunkings(raw), wanted, settings=FIND)
    assert b"".join(chunks) == raw


@settings(max_examples=100, deadline=None)
@given(chunked_streams())
def test_chunked_streams_are_streams_with_chunkings(case: tuple[Stream, list[bytes]]) -> None:
    stream, chunks = case
    assert isinstance(stream, Stream)
    assert b"".join(chunks) == stream.raw


# -- streams ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(streams())
def test_stream_expectation_agrees_with_reference(stream: Stream) -> None:
    assert reference.decode(stream.raw) == (stream.events, stream.last_event_id, stream.retry)


@settings(max_examples=100, deadline=None)
@given(streams(adversarial=False))
def test_non_adversarial_streams_are_valid_utf8(stream: Stream) -> None:
    assert is_utf8(stream.raw)
    assert not stream.raw.startswith(BOM + BOM)
    assert reference.decode(stream.raw) == (stream.events, stream.last_event_id, stream.retry)


def test_stream_is_immutable() -> None:
    stream = Stream(b"data: x\n\n", [Event(data="x")], "", None)
    with pytest.raises(AttributeError):
        stream.raw = b""  # type: ignore[misc]
    raw, expected, last_event_id, retry = stream
    assert (raw, expected, last_event_id, retry) == (b"data: x\n\n", [Event(data="x")], "", None)


def has_cr_only_line_endings(stream: Stream) -> bool:
    return b"\r" in stream.raw.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "wanted",
    [
        pytest.param(lambda s: not is_utf8(s.raw), id="invalid UTF-8"),
        pytest.param(lambda s: any("\ufffd" in e.data for e in s.events), id="U+FFFD in data"),
        pytest.param(lambda s: s.raw.startswith(BOM + BOM), id="two BOMs"),
        pytest.param(lambda s: s.raw.startswith(BOM) and len(s.events) > 0, id="BOM and event"),
        pytest.param(has_cr_only_line_endings, id="lone CR"),
        pytest.param(lambda s: b"\r\r\n" in s.raw, id="CR then CR LF"),
        pytest.param(lambda s: b"id: \0" in s.raw or b"id:\0" in s.raw, id="id with NUL"),
        pytest.param(lambda s: b"retry:  " in s.raw, id="retry with two spaces"),
        pytest.param(lambda s: b"\nDATA" in s.raw, id="DATA field"),
        pytest.param(lambda s: len(s.events) >= 2, id="two events"),
        pytest.param(lambda s: any("\n" in e.data for e in s.events), id="multi-line data"),
        pytest.param(lambda s: any(e.data == "" for e in s.events), id="empty data"),
        pytest.param(lambda s: any(e.event != "message" for e in s.events), id="event type"),
        pytest.param(lambda s: any(e.retry is not None for e in s.events), id="event retry"),
        pytest.param(lambda s: len(s.events) >= 2 and s.events[-1].id != "", id="id carried on"),
        pytest.param(lambda s: not s.events and s.last_event_id != "", id="id-only block"),
        pytest.param(lambda s: not s.events and s.retry is not None, id="retry-only block"),
        pytest.param(
            lambda s: s.raw != b"" and not s.raw.endswith((b"\n", b"\r")), id="cut mid-line"
        ),
    ],
)
def test_streams_reach_interesting_cases(wanted: Callable[[Stream], bool]) -> None:
    stream = find(streams(), wanted, settings=FIND)
    assert reference.decode(stream.raw) == (stream.events, stream.last_event_id, stream.retry)


# -- events -------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(events())
def test_events_round_trip_through_encode(event: Event) -> None:
    assert isinstance(event, Event)
    assert event.event != ""
    assert not any(char in event.event + event.id for char in "\r\n\0")
    assert "\r" not in event.data
    assert event.retry is None or event.retry >= 0
    raw = encode(event.data, event=event.event, id=event.id, retry=event.retry)
    assert reference.decode(raw).events == [event]


@pytest.mark.parametrize(
    "wanted",
    [
        pytest.param(lambda e: e.data == "", id="empty data"),
        pytest.param(lambda e: e.id == "", id="empty id"),
        pytest.param(lambda e: e.data.startswith(" "), id="leading space"),
        pytest.param(lambda e: ":" in e.data, id="colon"),
        pytest.param(lambda e: "\n" in e.data, id="LF in data"),
        pytest.param(lambda e: "\0" in e.data, id="NUL in data"),
        pytest.param(lambda e: "\u2028" in e.data, id="U+2028"),
        pytest.param(lambda e: "\x85" in e.data, id="U+0085"),
        pytest.param(lambda e: "\x0b" in e.data or "\x0c" in e.data, id="VT or FF"),
        pytest.param(lambda e: not e.data.isascii(), id="non-ASCII"),
        pytest.param(lambda e: e.event != "message" and not e.event.isascii(), id="event type"),
        pytest.param(lambda e: e.retry is not None and e.retry > 2**40, id="large retry"),
        pytest.param(lambda e: e.retry == 0, id="zero retry"),
    ],
)
def test_events_reach_interesting_values(wanted: Callable[[Event], bool]) -> None:
    event = find(events(), wanted, settings=FIND)
    assert isinstance(event, Event)
