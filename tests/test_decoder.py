"""One named test per parsing rule of WHATWG HTML "Interpreting an event stream".

Every stream goes through ``helpers.decode``, which feeds it whole, byte by
byte and at random split points, and insists on the same result.
"""

from __future__ import annotations

import array
import sys
import tracemalloc

import pytest

from ssec_proto import Decoder, Event, EventTooLarge, LimitExceeded, LineTooLong, SSEError

from . import reference
from .helpers import decode, feed_chunks, held_data_size, held_line_size, message, state

# Every test here runs against both decoders, compiled and pure (conftest.py).
pytestmark = pytest.mark.usefixtures("implementation")

# --- The spec's own examples ------------------------------------------------


def test_whatwg_example_three_messages() -> None:
    raw = (
        b"data: This is the first message.\n\n"
        b"data: This is the second message, it\n"
        b"data: has two lines.\n\n"
        b"data: This is the third message.\n\n"
    )
    assert decode(raw) == [
        message("This is the first message."),
        message("This is the second message, it\nhas two lines."),
        message("This is the third message."),
    ]


def test_whatwg_example_event_types() -> None:
    raw = b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
    assert decode(raw) == [
        message("73857293", event="add"),
        message("2153", event="remove"),
        message("113411", event="add"),
    ]


def test_whatwg_example_stock_ticker_one_event() -> None:
    assert decode(b"data: YHOO\ndata: +2\ndata: 10\n\n") == [message("YHOO\n+2\n10")]


def test_whatwg_example_test_stream_with_ids() -> None:
    raw = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    assert decode(raw) == [
        message("first event", id="1"),
        message("second event", id=""),
        message(" third event", id=""),
    ]


def test_whatwg_example_empty_data_and_newline() -> None:
    # "The first block fires events with the data set to the empty string, as
    # would the last block if it was followed by a blank line. The middle
    # block fires an event with the data set to a single newline character.
    # The last block is discarded because it is not followed by a blank line."
    assert decode(b"data\n\ndata\ndata\n\ndata:") == [message(""), message("\n")]


def test_whatwg_example_space_after_colon_optional() -> None:
    assert decode(b"data:test\n\ndata: test\n\n") == [message("test"), message("test")]


# --- Line endings ----------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_each_line_ending_ends_lines(eol: bytes) -> None:
    raw = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol
    assert decode(raw) == [message("a\nb", event="e")]


def test_mixed_line_endings() -> None:
    raw = b"data: 1\rdata: 2\r\ndata: 3\n\r\n" + b"data: 4\r\r" + b"data: 5\n\r"
    assert decode(raw) == [message("1\n2\n3"), message("4"), message("5")]


def test_lf_cr_is_two_line_endings() -> None:
    # LF then CR: the CR is a second, empty line, so the event dispatches.
    assert decode(b"data: x\n\r") == [message("x")]


def test_cr_at_chunk_end_ends_line_now() -> None:
    decoder = Decoder()
    assert decoder.feed(b"data: x\r") == []
    # The blank line is a lone CR: dispatch at once, without waiting to see
    # whether an LF follows in the next chunk.
    assert decoder.feed(b"\r") == [message("x")]


def test_lf_after_cr_across_chunks_is_not_a_blank_line() -> None:
    events, _ = feed_chunks([b"data: a\r", b"\ndata: b\r", b"\n", b"\r\n"])
    assert events == [message("a\nb")]


def test_cr_lf_split_by_empty_chunks() -> None:
    events, _ = feed_chunks([b"data: a\r", b"", b"", b"\n", b"data: b\n\n"])
    assert events == [message("a\nb")]


def test_cr_then_chunk_without_lf_clears_pending_cr() -> None:
    events, _ = feed_chunks([b"data: a\r", b"data: b\r", b"\r", b"\n"])
    # The last LF is a line of its own: an empty line with no data buffer.
    assert events == [message("a\nb")]


@pytest.mark.parametrize(
    "char",
    ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"],
    ids=["LS", "PS", "NEL", "VT", "FF", "FS", "GS", "RS"],
)
def test_no_other_character_ends_a_line(char: str) -> None:
    # str.splitlines() would break here; the spec does not.
    raw = f"data: a{char}b\n\n".encode()
    assert decode(raw) == [message(f"a{char}b")]


def test_event_returned_by_the_feed_that_completes_it() -> None:
    decoder = Decoder()
    assert decoder.feed(b"data: x\n") == []
    assert decoder.feed(b"\n") == [message("x")]
    assert decoder.feed(b"data: y\n\ndata: z") == [message("y")]


# --- UTF-8 decoding ----------------------------------------------------------


def test_utf8_is_decoded() -> None:
    assert decode("data: café ☕ 𝄞\n\n".encode()) == [message("café ☕ 𝄞")]


def test_multibyte_character_split_across_chunks() -> None:
    raw = "data: 𝄞\n\n".encode()
    for cut in range(len(raw) + 1):
        events, _ = feed_chunks([raw[:cut], raw[cut:]])
        assert events == [message("𝄞")], cut


@pytest.mark.parametrize(
    ("raw", "data"),
    [
        (b"\xff\xfe", "\ufffd\ufffd"),
        (b"\xe2\x82", "\ufffd"),  # truncated sequence ended by the newline
        (b"\xc0\xaf", "\ufffd\ufffd"),  # overlong encoding
        (b"\xed\xa0\x80", "\ufffd\ufffd\ufffd"),  # encoded surrogate
        (b"a\x80b", "a\ufffdb"),  # stray continuation byte
    ],
)
def test_invalid_utf8_becomes_replacement_character(raw: bytes, data: str) -> None:
    assert decode(b"data: " + raw + b"\n\n") == [message(data)]


def test_invalid_utf8_in_field_name_makes_unknown_field() -> None:
    assert decode(b"dat\xff: x\n\ndata: y\n\n") == [message("y")]


def test_nul_in_data_is_kept() -> None:
    assert decode(b"data: a\x00b\n\n") == [message("a\x00b")]


# --- Byte order mark ---------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    assert decode(b"\xef\xbb\xbfdata: x\n\n") == [message("x")]


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_leading_bom_split_across_chunks(cut: int) -> None:
    raw = b"\xef\xbb\xbfdata: x\n\n"
    events, _ = feed_chunks([raw[:1], raw[1:cut], raw[cut:]])
    assert events == [message("x")]


def test_second_bom_is_not_stripped() -> None:
    # The second BOM starts the first line, so the field name is
    # "\ufeffdata", an unknown field: nothing is dispatched.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n") == []
    assert decode(b"\xef\xbb\xbfdata: \xef\xbb\xbfx\n\n") == [message("\ufeffx")]


def test_bom_after_stream_start_is_data() -> None:
    assert decode(b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [message("a")]


def test_bom_prefix_that_is_not_a_bom() -> None:
    assert decode(b"\xef\xbbdata: x\n\n") == []  # field "\ufffddata"
    assert decode(b"\xefdata: x\n\ndata: y\n\n") == [message("y")]


def test_stream_shorter_than_a_bom() -> None:
    assert decode(b"") == []
    assert decode(b"\xef") == []
    assert decode(b"\n") == []


# --- Comments ----------------------------------------------------------------


def test_comment_lines_are_ignored() -> None:
    assert decode(b": hi\ndata: x\n:\n: bye\n\n") == [message("x")]


def test_comment_only_block_dispatches_nothing() -> None:
    assert decode(b": keep-alive\n\n") == []


def test_comments_are_observable_without_changing_feed() -> None:
    seen: list[str] = []
    decoder = Decoder(on_comment=seen.append)
    events = decoder.feed(b": one\n:two\n:  three\n:\ndata: x\n\n")
    assert events == [message("x")]
    assert seen == ["one", "two", " three", ""]


# --- Field parsing -----------------------------------------------------------


def test_exactly_one_leading_space_is_removed() -> None:
    assert decode(b"data: a\n\n") == [message("a")]
    assert decode(b"data:  a\n\n") == [message(" a")]
    assert decode(b"data:a \n\n") == [message("a ")]
    assert decode(b"data:\ta\n\n") == [message("\ta")]


def test_value_keeps_later_colons() -> None:
    assert decode(b"data: a: b:c\n\n") == [message("a: b:c")]


def test_line_without_colon_is_field_with_empty_value() -> None:
    assert decode(b"data\n\n") == [message("")]
    assert decode(b"data\ndata\n\n") == [message("\n")]
    assert decode(b"event\ndata: x\n\n") == [message("x")]


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\ndata: x\nbaz\n\n") == [message("x")]


@pytest.mark.parametrize("name", [b"Data", b"DATA", b"data ", b" data", b"dat", b"datas"])
def test_field_names_compared_literally(name: bytes) -> None:
    assert decode(name + b": x\n\n") == []


def test_event_sets_the_type() -> None:
    assert decode(b"event: ping\ndata: x\n\n") == [message("x", event="ping")]


def test_last_event_field_in_a_block_wins() -> None:
    assert decode(b"event: a\nevent: b\ndata: x\n\n") == [message("x", event="b")]


def test_empty_event_type_means_message() -> None:
    assert decode(b"event:\ndata: x\n\n") == [message("x")]
    assert decode(b"event: a\nevent\ndata: x\n\n") == [message("x")]


def test_event_type_resets_after_dispatch() -> None:
    assert decode(b"event: a\ndata: 1\n\ndata: 2\n\n") == [
        message("1", event="a"),
        message("2"),
    ]


def test_event_type_resets_after_a_block_without_data() -> None:
    assert decode(b"event: a\n\ndata: 2\n\n") == [message("2")]


def test_data_lines_are_joined_with_lf() -> None:
    assert decode(b"data: a\ndata: b\ndata: c\n\n") == [message("a\nb\nc")]


def test_only_one_trailing_lf_is_removed() -> None:
    assert decode(b"data: a\ndata\n\n") == [message("a\n")]
    assert decode(b"data\ndata\ndata\n\n") == [message("\n\n")]


def test_fields_may_come_in_any_order() -> None:
    raw = b"data: x\nid: 1\nevent: e\nretry: 5\n\n"
    assert decode(raw) == [message("x", event="e", id="1", retry=5)]


# --- id and the last event ID ----------------------------------------------


def test_id_sets_the_last_event_id() -> None:
    events, decoder = feed_chunks([b"id: 42\ndata: x\n\n"])
    assert events == [message("x", id="42")]
    assert decoder.last_event_id == "42"


def test_id_persists_across_events() -> None:
    assert decode(b"id: 1\ndata: a\n\ndata: b\n\n") == [message("a", id="1"), message("b", id="1")]


def test_empty_id_resets_the_last_event_id() -> None:
    events, decoder = feed_chunks([b"id: 1\ndata: a\n\nid:\ndata: b\n\nid: 2\nid\ndata: c\n\n"])
    assert events == [message("a", id="1"), message("b"), message("c")]
    assert decoder.last_event_id == ""


def test_id_with_nul_is_ignored() -> None:
    assert decode(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n") == [
        message("a", id="1"),
        message("b", id="1"),
    ]


def test_id_keeps_spaces_and_non_ascii() -> None:
    assert decode("id:  é 1 \ndata: x\n\n".encode()) == [message("x", id=" é 1 ")]


def test_id_takes_effect_at_the_blank_line() -> None:
    decoder = Decoder()
    decoder.feed(b"data: x\nid: 5\n")
    assert decoder.last_event_id == ""
    decoder.feed(b"\n")
    assert decoder.last_event_id == "5"


def test_id_only_block_updates_state_but_dispatches_nothing() -> None:
    events, decoder = feed_chunks([b"id: 7\n\n"])
    assert events == []
    assert decoder.last_event_id == "7"
    assert decoder.feed(b"data: x\n\n") == [message("x", id="7")]


def test_id_in_a_block_cut_off_by_the_connection_does_not_count() -> None:
    decoder = Decoder()
    decoder.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b")
    decoder.reset()  # the connection dropped mid-event
    assert decoder.last_event_id == "1"
    assert decoder.feed(b"data: c\n\n") == [message("c", id="1")]


# --- retry -------------------------------------------------------------------


def test_retry_sets_the_reconnection_time() -> None:
    events, decoder = feed_chunks([b"retry: 1500\ndata: x\n\n"])
    assert events == [message("x", retry=1500)]
    assert decoder.retry == 1500


def test_retry_zero_and_leading_zeros() -> None:
    _, decoder = feed_chunks([b"retry: 0\n\n"])
    assert decoder.retry == 0
    _, decoder = feed_chunks([b"retry: 007\n\n"])
    assert decoder.retry == 7


@pytest.mark.parametrize(
    "value",
    ["-5", " 5", "5 ", "1_0", "１", "٣", "", "1.5", "5ms", "+5", "0x10", "1e3", "²"],
)
def test_retry_must_be_ascii_digits_only(value: str) -> None:
    raw = f"retry: 10\n\nretry: {value}\ndata: x\n\n".encode()
    events, decoder = feed_chunks([raw])
    assert events == [message("x")]
    assert decoder.retry == 10


def test_retry_longer_than_int_conversion_limit_is_ignored() -> None:
    events, decoder = feed_chunks([b"retry: 5\n\nretry: " + b"9" * 100_000 + b"\ndata: x\n\n"])
    assert events == [message("x")]
    assert decoder.retry == 5


def test_retry_only_block_dispatches_nothing() -> None:
    events, decoder = feed_chunks([b"retry: 250\n\n"])
    assert events == []
    assert decoder.retry == 250


def test_event_retry_is_only_from_its_own_block() -> None:
    assert decode(b"retry: 1\n\ndata: a\n\nretry: 2\ndata: b\n\ndata: c\n\n") == [
        message("a"),
        message("b", retry=2),
        message("c"),
    ]


def test_retry_takes_effect_at_once() -> None:
    # The spec sets the reconnection time when the field is processed, not
    # at dispatch, so it counts even in a block that is then cut off.
    decoder = Decoder()
    decoder.feed(b"retry: 900\ndata: partial")
    assert decoder.retry == 900
    decoder.reset()
    assert decoder.retry == 900


# --- Dispatch ----------------------------------------------------------------


def test_blank_line_without_data_dispatches_nothing() -> None:
    assert decode(b"\n\n\r\n\r\nevent: x\n\n") == []


def test_incomplete_event_at_end_is_not_dispatched() -> None:
    events, decoder = feed_chunks([b"data: a\n\nid: 3\ndata: b\n"])
    assert events == [message("a")]
    assert decoder.last_event_id == ""


def test_many_events_in_one_chunk() -> None:
    raw = b"".join(b"id: %d\ndata: %d\n\n" % (i, i) for i in range(100))
    assert decode(raw) == [message(str(i), id=str(i)) for i in range(100)]


# --- Decoder API ---------------------------------------------------------------


@pytest.mark.parametrize("bad", ["data: x\n\n", 42, None, [b"x"]])
def test_feed_rejects_non_bytes(bad: object) -> None:
    with pytest.raises(TypeError, match=r"^Decoder\.feed\(\) takes bytes"):
        Decoder().feed(bad)  # type: ignore[arg-type]
    # iter_feed() refuses at once, under its own name.
    with pytest.raises(TypeError, match=r"^Decoder\.iter_feed\(\) takes bytes"):
        Decoder().iter_feed(bad)  # type: ignore[arg-type]


def test_feed_str_error_says_how_to_fix() -> None:
    with pytest.raises(TypeError, match=r"encode\('utf-8'\)"):
        Decoder().feed("data: x\n\n")  # type: ignore[arg-type]


def test_feed_accepts_bytearray_and_memoryview() -> None:
    decoder = Decoder()
    assert decoder.feed(bytearray(b"data: a\n\n")) == [message("a")]
    assert decoder.feed(memoryview(b"xxdata: b\n\n")[2:]) == [message("b")]
    # A memoryview of a non-byte format is read as its raw bytes.
    wide = array.array("B", b"data: c\n\n")
    assert decoder.feed(memoryview(wide)) == [message("c")]


def test_feed_does_not_keep_a_reference_to_a_mutable_chunk() -> None:
    decoder = Decoder()
    chunk = bytearray(b"data: abc")
    decoder.feed(chunk)
    chunk[:] = b"XXXXXXXXX"
    assert decoder.feed(b"\n\n") == [message("abc")]


def test_feed_empty_chunk() -> None:
    assert Decoder().feed(b"") == []


def test_starting_state() -> None:
    decoder = Decoder()
    assert decoder.last_event_id == ""
    assert decoder.retry is None
    decoder = Decoder(last_event_id="41", retry=100)
    assert decoder.last_event_id == "41"
    assert decoder.retry == 100
    assert decoder.feed(b"data: x\n\n") == [message("x", id="41")]


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_starting_last_event_id_must_be_sendable(bad: str) -> None:
    with pytest.raises(ValueError, match="last_event_id"):
        Decoder(last_event_id=bad)


def test_starting_last_event_id_must_be_str() -> None:
    with pytest.raises(TypeError, match="last_event_id"):
        Decoder(last_event_id=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_starting_retry_must_be_non_negative_int(bad: object) -> None:
    with pytest.raises(ValueError, match="retry"):
        Decoder(retry=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("option", ["max_line_size", "max_event_size"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_limits_must_be_positive_ints(option: str, bad: object) -> None:
    with pytest.raises(ValueError, match=option):
        Decoder(**{option: bad})  # type: ignore[arg-type]


def test_reset_keeps_last_event_id_and_retry() -> None:
    decoder = Decoder()
    decoder.feed(b"id: 9\nretry: 20\ndata: x\n\n")
    decoder.reset()
    assert (decoder.last_event_id, decoder.retry) == ("9", 20)


def test_reset_drops_partial_line_and_event() -> None:
    decoder = Decoder()
    decoder.feed(b"event: e\ndata: a\ndata: part")
    decoder.reset()
    assert decoder.feed(b"ial\n\ndata: b\n\n") == [message("b")]


def test_reset_drops_pending_cr() -> None:
    decoder = Decoder()
    decoder.feed(b"data: a\r")
    decoder.reset()
    # In the new stream a leading LF is a line ending of its own.
    assert decoder.feed(b"\ndata: b\n\n") == [message("b")]


def test_reset_drops_partial_utf8_and_allows_a_new_bom() -> None:
    decoder = Decoder()
    decoder.feed(b"data: \xe2\x82")
    decoder.reset()
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [message("b")]


def test_reset_before_the_bom_is_complete() -> None:
    decoder = Decoder()
    decoder.feed(b"\xef\xbb")
    decoder.reset()
    assert decoder.feed(b"data: b\n\n") == [message("b")]


# --- Limits: bounded memory -------------------------------------------------


def test_line_at_the_limit_is_accepted() -> None:
    assert decode(b"data: " + b"x" * 4 + b"\n\n", max_line_size=10) == [message("xxxx")]


def test_line_too_long_in_one_chunk() -> None:
    decoder = Decoder(max_line_size=10)
    raw = b"data: ok\n\nid: 3\ndata: " + b"x" * 20 + b"\ndata: more\n\ndata: 2\n\n"
    with pytest.raises(LineTooLong) as info:
        decoder.feed(raw)
    # Events before and after the offending one are delivered; the offending
    # event is discarded whole, its id included.
    assert info.value.events == [message("ok"), message("2")]
    assert decoder.last_event_id == ""
    assert info.value.limit == 10
    assert "max_line_size=10" in str(info.value)


def test_line_too_long_across_chunks_raises_once() -> None:
    decoder = Decoder(max_line_size=10)
    assert decoder.feed(b"data: ok\n\ndata: 1234") == [message("ok")]
    with pytest.raises(LineTooLong) as info:
        decoder.feed(b"56789")
    assert info.value.events == []
    for _ in range(100):  # the line goes on: dropped silently, memory bounded
        assert decoder.feed(b"x" * 100) == []
        assert held_line_size(decoder) <= 10
    assert decoder.feed(b"\ndata: still the same event\n\ndata: next\n\n") == [message("next")]


def test_line_too_long_at_the_end_of_a_chunk_with_complete_lines() -> None:
    decoder = Decoder(max_line_size=10)
    with pytest.raises(LineTooLong) as info:
        decoder.feed(b"data: a\n\ndata: " + b"y" * 30)
    assert info.value.events == [message("a")]
    assert decoder.feed(b"yyy\n\ndata: b\n\n") == [message("b")]


def test_over_long_line_ends_at_a_cr_split_from_its_lf() -> None:
    decoder = Decoder(max_line_size=8)
    with pytest.raises(LineTooLong):
        decoder.feed(b"data: long line\r")
    assert decoder.feed(b"\n\r\ndata: ok\n\n") == [message("ok")]


def test_over_long_comment_line_counts() -> None:
    with pytest.raises(LineTooLong):
        Decoder(max_line_size=5).feed(b": a long comment\n")


def test_over_long_line_inside_a_discarded_event_raises_only_once() -> None:
    decoder = Decoder(max_line_size=8)
    with pytest.raises(LineTooLong) as info:
        decoder.feed(b"data: long\ndata: longer\n\ndata: ok\n\n")
    assert info.value.events == [message("ok")]


def test_event_at_the_limit_is_accepted() -> None:
    assert decode(b"data: abc\ndata: de\n\n", max_event_size=6) == [message("abc\nde")]


def test_event_too_large_in_one_chunk() -> None:
    decoder = Decoder(max_event_size=6)
    with pytest.raises(EventTooLarge) as info:
        decoder.feed(b"data: 1\n\nid: 5\ndata: abc\ndata: def\n\ndata: 2\n\n")
    assert info.value.events == [message("1"), message("2")]
    assert decoder.last_event_id == ""
    assert "max_event_size=6" in str(info.value)


def test_event_too_large_across_chunks_is_bounded() -> None:
    decoder = Decoder(max_event_size=50)
    for _ in range(4):
        assert decoder.feed(b"data: 0123456789\n") == []
    with pytest.raises(EventTooLarge):
        decoder.feed(b"data: 0123456789\n")
    assert held_data_size(decoder) <= 50
    # The rest of the oversized event is skipped up to its blank line.
    assert decoder.feed(b"data: 0123456789\n") == []
    assert decoder.feed(b"data: 0123456789\n\ndata: next\n\n") == [message("next")]


def test_event_size_is_counted_in_linear_time_across_chunks() -> None:
    # Many small data lines, each in its own chunk, under the limit.
    decoder = Decoder(max_event_size=100_000)
    for _ in range(20_000):
        decoder.feed(b"data: x\n")
    assert decoder.feed(b"\n") == [message("\n".join(["x"] * 20_000))]


def test_limits_can_be_disabled() -> None:
    decoder = Decoder(max_line_size=None, max_event_size=None)
    big = b"x" * 100_000
    assert decoder.feed(b"data: " + big + b"\n\n") == [message(big.decode())]


def test_limit_errors_belong_to_the_error_tree() -> None:
    assert issubclass(LineTooLong, LimitExceeded)
    assert issubclass(EventTooLarge, LimitExceeded)
    assert issubclass(LimitExceeded, SSEError)
    assert LimitExceeded(3).events == []


def test_decoder_keeps_going_after_a_limit_error() -> None:
    decoder = Decoder(max_line_size=8)
    got: list[Event] = []
    for chunk in [b"data: 1\n\n", b"data: 123456789\n\n", b"data: 2\n\n"]:
        try:
            got += decoder.feed(chunk)
        except LimitExceeded as exc:
            got += exc.events
    assert got == [message("1"), message("2")]


def test_event_limit_counts_data_lines_without_a_colon() -> None:
    assert decode(b"data\ndata\ndata\n\n", max_event_size=2) == [message("\n\n")]
    with pytest.raises(EventTooLarge):
        Decoder(max_event_size=2).feed(b"data\ndata\ndata\ndata\n\n")


# -- open blocks held back, and chunks of many blocks -------------------------------
# The decoder holds the lines of an open block back until its blank line and
# parses the block whole (and a chunk of many blocks of one shape, twelve or
# more, a column of lines at a time); none of that may show.


def test_retry_in_an_open_block_takes_effect_at_once() -> None:
    decoder = Decoder()
    assert decoder.feed(b"data: x\nretry: 500\nretr") == []
    assert decoder.retry == 500
    assert decoder.feed(b"y: 600\nretry:700\n") == []
    assert decoder.retry == 700
    assert decoder.feed(b"retry: x\nretry\n\n") == [Event(data="x", retry=700)]
    assert decoder.retry == 700


def test_retry_in_an_open_block_counts_when_the_stream_ends() -> None:
    decoder = Decoder()
    decoder.feed(b"data: x\nretry: 1500\n")
    decoder.reset()
    assert decoder.retry == 1500
    assert decoder.feed(b"data: y\n\n") == [message("y")]


def test_comment_in_an_open_block_is_reported_at_once() -> None:
    comments: list[str] = []
    decoder = Decoder(on_comment=comments.append)
    assert decoder.feed(b"data: x\n: ping\ndata: y\n") == []
    assert comments == ["ping"]
    assert decoder.feed(b"\n") == [message("x\ny")]


def test_many_blocks_of_one_shape_in_one_chunk() -> None:
    stream = b"".join(
        b"event: %s\nid: %d\ndata: %d\ndata: \xc3\xa9\n\n" % (kind, n, n)
        for n, kind in enumerate([b"a", b"", b"b", b"a", b""] * 3)
    )
    expected = [
        Event(event=kind, data=f"{n}\né", id=str(n))
        for n, kind in enumerate(["a", "message", "b", "a", "message"] * 3)
    ]
    decoder = Decoder(last_event_id="start")
    assert decoder.feed(stream) == expected
    assert decoder.last_event_id == "14"
    assert feed_chunks([stream[i : i + 1] for i in range(len(stream))])[0] == expected


def test_many_blocks_of_one_shape_keep_the_last_event_id() -> None:
    decoder = Decoder(last_event_id="7")
    assert decoder.feed(b"data: x\n\n" * 15) == [Event(data="x", id="7")] * 15


def test_event_too_large_among_blocks_of_one_shape() -> None:
    decoder = Decoder(max_event_size=3)
    with pytest.raises(EventTooLarge) as info:
        decoder.feed(b"data: abc\n\ndata: abcd\n\n" + b"data: ab\n\ndata: a\n\n" * 7)
    assert info.value.events == [message("abc")] + [message("ab"), message("a")] * 7


def test_a_long_line_in_an_open_block_is_parsed_as_it_arrives() -> None:
    decoder = Decoder(max_event_size=10_000)
    assert decoder.feed(b"event: e\ndata: " + b"x" * 5_000) == []
    with pytest.raises(EventTooLarge):
        decoder.feed(b"x" * 5_001 + b"\n")
    assert decoder.feed(b"\ndata: ok\n\n") == [message("ok")]


def test_one_block_per_chunk() -> None:
    # The usual read from a server that writes an event at a time.
    comments: list[str] = []
    decoder = Decoder(on_comment=comments.append)
    assert decoder.feed(b"data: a\n\n") == [message("a")]
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"id: 1\nevent: e\ndata: b\ndata: c\n\n") == [
        Event(event="e", data="b\nc", id="1")
    ]
    assert decoder.feed(b": ping\nretry: 50\n\n") == []
    assert (comments, decoder.retry, decoder.last_event_id) == (["ping"], 50, "1")
    assert decoder.feed(b"data: d") == []
    assert decoder.feed(b"\n\n") == [Event(data="d", id="1")]
    limited = Decoder(max_line_size=10)
    with pytest.raises(LineTooLong) as info:
        limited.feed(b"data: 12345\n\n")
    assert info.value.events == []
    assert limited.feed(b"data: 1234\n\n") == [message("1234")]


def test_cr_and_crlf_in_chunks_after_the_first() -> None:
    decoder = Decoder()
    assert decoder.feed(b"data: a\n\n") == [message("a")]
    assert decoder.feed(b"data: b\r\rdata: c\r\n\r\ndata: d\r") == [message("b"), message("c")]
    assert decoder.feed(b"\n\r\ndata: e\r\n") == [message("d")]
    assert decoder.feed(b"\r") == [message("e")]


def test_blocks_after_a_long_line_in_the_same_chunk() -> None:
    # The long line is parsed in line mode; the blocks after its block, in
    # the same chunk, in block mode again.
    first = b"data: " + b"x" * 5_000
    rest = b"x\n\n" + b"id: 1\ndata: 1\n\n" * 20 + b": c\nretry: 9\n\ndata: par"
    expected = [message("x" * 5_001)] + [Event(data="1", id="1")] * 20
    decoder = Decoder()
    assert decoder.feed(first) == []
    assert decoder.feed(rest) == expected
    assert (decoder.last_event_id, decoder.retry) == ("1", 9)
    assert decoder.feed(b"tial\n\n") == [Event(data="partial", id="1")]
    stream = first + rest + b"tial\n\n"
    assert feed_chunks([stream[i : i + 3000] for i in range(0, len(stream), 3000)])[0] == [
        *expected,
        Event(data="partial", id="1"),
    ]


def test_a_limit_in_the_blocks_after_a_long_line() -> None:
    decoder = Decoder(max_event_size=6_000)
    decoder.feed(b"data: " + b"x" * 5_000)
    with pytest.raises(EventTooLarge) as info:
        decoder.feed(b"\n\ndata: " + b"y" * 7_000 + b"\n\ndata: ok\n\n")
    assert info.value.events == [message("x" * 5_000), message("ok")]
    # When both parts break a limit, the first error is raised, with the
    # events of both.
    decoder.feed(b"data: " + b"x" * 5_000)
    with pytest.raises(EventTooLarge) as info:
        decoder.feed(b"x" * 1_001 + b"\n\ndata: 1\n\ndata: " + b"y" * 7_000 + b"\n\ndata: 2\n\n")
    assert info.value.events == [message("1"), message("2")]
    assert decoder.feed(b"data: 3\n\n") == [message("3")]


# A chunk longer than 64 KiB is parsed a piece of about that size at a time,
# and a block longer than a piece on its own.
PIECE = 64 * 1024


@pytest.mark.parametrize("first", [PIECE - 8, PIECE - 7, PIECE - 6, PIECE - 5, PIECE + 1])
def test_a_long_chunk_is_parsed_in_pieces(first: int) -> None:
    blocks = [b"data: " + b"a" * first + b"\n\n"]
    blocks += [b"id: %d\ndata: %d\n\n" % (n, n) for n in range(20_000)]
    blocks.append(b"event: e\ndata: " + b"b" * (2 * PIECE) + b"\ndata: c\n\n")
    blocks.append(b"data: " + b"\xc3\xa9" * PIECE + b"\n\n")
    stream = b"".join(blocks)
    expected = [message("a" * first)]
    expected += [Event(data=str(n), id=str(n)) for n in range(20_000)]
    expected.append(Event(event="e", data="b" * (2 * PIECE) + "\nc", id="19999"))
    expected.append(Event(data="é" * PIECE, id="19999"))
    assert Decoder().feed(stream) == expected
    assert feed_chunks([stream[i : i + 4096] for i in range(0, len(stream), 4096)])[0] == expected


def test_a_long_data_line_over_the_event_limit_in_one_chunk() -> None:
    decoder = Decoder(max_event_size=PIECE + 10)
    stream = b"data: 1\n\n" + b"data: " + b"x" * (PIECE + 11) + b"\n\ndata: 2\n\n"
    with pytest.raises(EventTooLarge) as info:
        decoder.feed(stream)
    assert info.value.events == [message("1"), message("2")]
    assert decoder.feed(b"data: " + b"x" * (PIECE + 10) + b"\n\n") == [message("x" * (PIECE + 10))]


# --- Hostile input: bounded memory, linear time ---------------------------------
# One feed() of a huge chunk of short lines works a piece at a time, so what
# it allocates is bounded by the piece and the limits, not by the number of
# lines (an earlier decoder made an object per line: 1.3 GB for 17 MiB of
# LF, 0.6 GB for the 8 MiB below). The bounds below are far under the
# input's own size.

MiB = 1024 * 1024


def peak_memory(decoder: Decoder, chunk: bytes) -> tuple[int, list[Event]]:
    """The peak traced allocation of one feed() (the chunk exists before)."""
    tracemalloc.start()
    try:
        events = decoder.feed(chunk)
        return tracemalloc.get_traced_memory()[1], events
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("unit", "mib"),
    [(b"\n", 8), (b"\r", 16), (b"\r\n", 16), (b":\n", 8), (b": keep-alive\n\n", 8)],
    ids=["LF", "CR", "CRLF", "comment lines", "keep-alive blocks"],
)
def test_a_huge_chunk_of_short_lines_takes_bounded_memory(unit: bytes, mib: int) -> None:
    chunk = unit * (mib * MiB // len(unit))
    peak, events = peak_memory(Decoder(), chunk)
    assert events == []
    assert peak < 4 * MiB, peak


def test_a_huge_open_block_of_short_data_lines_takes_bounded_memory() -> None:
    # The data buffer is joined as it grows, rather than kept a line apiece
    # (a str per line would take several times the chunk).
    decoder = Decoder()
    chunk = b"data: ab\n" * (2 * MiB // 9)
    peak, events = peak_memory(decoder, chunk)
    assert events == []
    assert peak < len(chunk), peak
    (event,) = decoder.feed(b"\n")
    assert event.data == "\n".join(["ab"] * (2 * MiB // 9))


def test_a_huge_chunk_of_short_lines_with_limits() -> None:
    decoder = Decoder(max_line_size=100, max_event_size=1000)
    chunk = b"\n" * (8 * MiB) + b"data: x\n\n" + b"\r" * (8 * MiB) + b"data: y\n\n"
    peak, events = peak_memory(decoder, chunk)
    assert events == [message("x"), message("y")]
    assert peak < 4 * MiB, peak


# --- Blank lines and comments change nothing between blocks ------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"data: x\n\n\n",
        b"data: x\n\n\n\ndata: y\n\n\n\n\n",
        b"\n\n\n\ndata: x\n\n" * 13,
        b"data: x\n\n" + b"\n" * 1000 + b"data: y\n\n",
        b"data: a\n\n\n" * 40 + b"\n" + b"data: b\n\n" * 20,
        b"event: e\nid: 1\ndata: x\n\n\n" * 15,
        b": keep-alive\n\n" * 3 + b"data: x\n\n" + b":\n\n" * 20 + b"data: y\n\n" * 15,
        b"id: 1\n\n\n\nid: 2\n\n\ndata: x\n\n",
        b"\r\n\r\n\r\ndata: x\r\n\r\n\r\n\r\n",
        b":\n" * 5000 + b"data: x\n:\n\n",
        # Comment lines inside the blocks (before, between, after fields),
        # blocks of comment lines only, and a block opened by a comment.
        (b": a\nevent: e\n:\ndata: x\n: b\n\n") * 15,
        b"data: x\n" + b":\n" * 100 + b"\n" + b"data: y\n:\n\n" * 15,
        (b"data: x\n\n:a\n:b\n\n:c\n\n: d\ndata: y\n\n") * 10 + b":\n:\n\n",
    ],
)
def test_runs_of_blank_lines_and_comments_change_nothing(raw: bytes) -> None:
    expected = reference.decode(raw)
    assert expected.events  # each of these streams has events
    assert decode(raw) == expected.events
    events, decoder = feed_chunks([raw])
    assert (events, decoder.last_event_id, decoder.retry) == expected


# --- retry: ASCII digits, at most 640 of them that count --------------------------


def test_retry_ignores_leading_zeros() -> None:
    raw = b"retry: " + b"0" * 10_000 + b"1500\n\n"
    assert feed_chunks([raw])[1].retry == 1500
    assert feed_chunks([b"retry: " + b"0" * 10_000 + b"\n\n"])[1].retry == 0


@pytest.mark.parametrize("int_max_str_digits", [0, 640, 4300, 100_000])
def test_retry_does_not_depend_on_the_int_str_conversion_limit(int_max_str_digits: int) -> None:
    # sys.set_int_max_str_digits() is what PYTHONINTMAXSTRDIGITS sets. The
    # values with more than 640 significant digits are ignored, whatever the
    # limit: without one (0), an earlier decoder took quadratic time on a
    # long value, and with the default it took 4,300 digits and ignored 4,301.
    largest = "9" * 640
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(int_max_str_digits)
    try:
        for digits, expected in [
            ("0" * 5_000 + largest, int(largest)),
            (largest + "9", 5),
            ("1" * 4_300, 5),
            ("1" * 4_301, 5),
            ("1" * 5_000, 5),
            ("9" * 1_000_000, 5),
        ]:
            raw = b"retry: 5\n\nretry: " + digits.encode() + b"\ndata: x\n\n"
            events, decoder = feed_chunks([raw])
            assert decoder.retry == expected
            assert events == [message("x", retry=None if expected == 5 else expected)]
    finally:
        sys.set_int_max_str_digits(old)


def test_the_reference_follows_the_same_retry_rule() -> None:
    for value in ("0" * 700 + "7", "9" * 640, "9" * 641, "1" * 5_000):
        raw = f"retry: {value}\n\n".encode()
        assert reference.decode(raw).retry == feed_chunks([raw])[1].retry


# --- Reading the state changes nothing --------------------------------------------


def test_reading_retry_changes_nothing() -> None:
    # The retry field of an open block held back whole counts at once (see
    # test_retry_in_an_open_block_takes_effect_at_once); reading it, twice
    # or not at all, leaves the decoder as it was.
    chunks = [b"data: x\nretry: 500\n", b"retr", b"y: 600\n", b"data: y\n\nretry: 7\n", b"\n"]
    read, quiet = Decoder(), Decoder()
    for chunk in chunks:
        assert read.feed(chunk) == quiet.feed(chunk)
        before = state(read)
        first, second = read.retry, read.retry
        assert first == second
        assert state(read) == before == state(quiet)
    assert read.retry == quiet.retry == 7
    read.reset()
    quiet.reset()
    assert state(read) == state(quiet)


# --- A comment callback that raises ----------------------------------------------


class Boom(Exception):
    pass


def test_a_raising_comment_callback_keeps_the_events_for_the_next_call() -> None:
    seen: list[str] = []

    def on_comment(text: str) -> None:
        seen.append(text)
        if text == "boom":
            raise Boom(text)

    decoder = Decoder(on_comment=on_comment)
    with pytest.raises(Boom):
        decoder.feed(b"event: a\ndata: 1\n\n: boom\nevent: b\ndata: 2\n\n: after\nid: 3\ndata: 3")
    # The whole chunk was decoded, and its later comments shown; the state is
    # that of a complete call.
    assert seen == ["boom", "after"]
    assert decoder.last_event_id == ""
    # The next call returns the events the failed one completed, then its own.
    assert decoder.feed(b"\n\n") == [
        message("1", event="a"),
        message("2", event="b"),
        message("3", id="3"),
    ]
    assert decoder.feed(b"data: 4\n\n") == [message("4", id="3")]


def test_a_raising_comment_callback_raises_the_first_exception_once() -> None:
    calls: list[str] = []

    def on_comment(text: str) -> None:
        calls.append(text)
        raise Boom(text)

    decoder = Decoder(on_comment=on_comment)
    with pytest.raises(Boom, match="one"):
        decoder.feed(b": one\ndata: x\n\n: two\n\n")
    assert calls == ["one", "two"]
    # feed(b"") collects what was kept; reset() keeps it too.
    decoder.reset()
    assert decoder.feed(b"") == [message("x")]
    assert decoder.feed(b"") == []


def test_a_raising_comment_callback_and_a_limit_in_one_chunk() -> None:
    def on_comment(text: str) -> None:
        raise Boom(text)

    decoder = Decoder(max_line_size=10, on_comment=on_comment)
    with pytest.raises(Boom):
        decoder.feed(b"data: 1\n\ndata: far too long\n\n: c\ndata: 2\n\n")
    # The limit error comes next, with every event of both calls.
    with pytest.raises(LineTooLong) as info:
        decoder.feed(b"data: 3\n\n")
    assert info.value.events == [message("1"), message("2"), message("3")]
    assert decoder.feed(b"data: 4\n\n") == [message("4")]
