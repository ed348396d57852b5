"""`Decoder.iter_feed()`: the events of a chunk one at a time (issue 14).

Every test here runs against both decoders, compiled and pure (conftest.py).
The properties are elsewhere: test_properties.py (iter_feed() against
feed(), section 11) and test_compiled.py (the two decoders' iter_feed(),
step by step). Here: the cases one by one, and memory: a 1 MiB chunk of
sixteen 64 KiB events never holds them all at once.
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import TYPE_CHECKING, Any

import pytest

from ssec_proto import Decoder, Event, EventTooLarge, LineTooLong

from .helpers import message

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.usefixtures("implementation")


class Boom(Exception):
    pass


# --- One at a time -------------------------------------------------------------

STREAM = b"id: 1\ndata: a\n\n: one\nid: 2\ndata: b\n\n: two\nretry: 5\ndata: c\n\n"


def test_each_event_is_decoded_when_the_iterator_reaches_it() -> None:
    comments: list[str] = []
    decoder = Decoder(on_comment=comments.append)
    iterator = decoder.iter_feed(STREAM)
    assert comments == []
    assert next(iterator) == message("a", id="1")
    # Nothing past that event's blank line is decoded yet.
    assert (decoder.last_event_id, decoder.retry, comments) == ("1", None, [])
    assert next(iterator) == message("b", id="2")
    assert (decoder.last_event_id, decoder.retry, comments) == ("2", None, ["one"])
    assert next(iterator) == message("c", id="2", retry=5)
    assert (decoder.retry, comments) == (5, ["one", "two"])
    assert list(iterator) == []
    assert list(iterator) == []


def test_the_same_events_as_feed_across_chunks() -> None:
    decoder = Decoder()
    assert list(decoder.iter_feed(b"data: a\n\ndata: b")) == [message("a")]
    assert list(decoder.iter_feed(b"\r")) == []
    # The LF of a CR LF cut in two, then a blank line.
    assert list(decoder.iter_feed(b"\n\ndata: c\r\n\r\n")) == [message("b"), message("c")]
    assert list(decoder.iter_feed(bytearray(b"data: d\n\n"))) == [message("d")]
    assert list(decoder.iter_feed(memoryview(b"data: e\n\n"))) == [message("e")]


def test_a_bom_is_stripped_as_by_feed() -> None:
    decoder = Decoder()
    assert list(decoder.iter_feed(b"\xef\xbb")) == []
    assert list(decoder.iter_feed(b"\xbfdata: a\n\n")) == [message("a")]
    decoder.reset()
    assert list(decoder.iter_feed(b"\xef")) == []
    # Not a BOM: the line's field name is "\ufffddata", which is ignored.
    assert list(decoder.iter_feed(b"data: b\n\n")) == []


def test_the_chunk_is_checked_at_the_call() -> None:
    with pytest.raises(TypeError, match="bytes"):
        Decoder().iter_feed("data: x\n\n")  # type: ignore[arg-type]


# --- Stopping early ------------------------------------------------------------


def test_what_an_unfinished_iterator_leaves_comes_first_in_the_next_feed() -> None:
    decoder = Decoder()
    iterator = decoder.iter_feed(STREAM)
    assert next(iterator) == message("a", id="1")
    assert decoder.feed(b"data: d\n\n") == [
        message("b", id="2"),
        message("c", id="2", retry=5),
        message("d", id="2"),
    ]
    # That call ended the iterator.
    assert list(iterator) == []


def test_what_an_unfinished_iterator_leaves_comes_first_in_the_next_iterator() -> None:
    decoder = Decoder()
    first = decoder.iter_feed(STREAM)
    assert next(first) == message("a", id="1")
    second = decoder.iter_feed(b"data: d\n\n")
    assert list(first) == []
    assert list(second) == [
        message("b", id="2"),
        message("c", id="2", retry=5),
        message("d", id="2"),
    ]


def test_an_iterator_never_advanced_loses_nothing() -> None:
    decoder = Decoder()
    decoder.iter_feed(b"data: a\n\ndata: ")
    decoder.iter_feed(b"b\n\n")
    assert decoder.feed(b"data: c\n\n") == [message("a"), message("b"), message("c")]


def test_reset_discards_the_pending_input() -> None:
    decoder = Decoder()
    iterator = decoder.iter_feed(STREAM)
    assert next(iterator) == message("a", id="1")
    decoder.reset()
    assert list(iterator) == []
    # The state is that of the stream up to the event handed out.
    assert (decoder.last_event_id, decoder.retry) == ("1", None)
    assert decoder.feed(b"data: d\n\n") == [message("d", id="1")]


# --- Errors --------------------------------------------------------------------


def drain(iterator: Iterator[Event]) -> tuple[list[Event], Exception | None]:
    """The events an iterator hands out, and what it raised at the end."""
    handed: list[Event] = []
    try:
        for event in iterator:
            handed.append(event)  # noqa: PERF402 - keep those before an exception
    except Exception as exc:
        return handed, exc
    return handed, None


def test_a_limit_error_comes_at_the_end_of_the_chunk() -> None:
    decoder = Decoder(max_line_size=10)
    handed, error = drain(decoder.iter_feed(b"data: 1\n\ndata: far too long\n\ndata: 2\n\ndata: 3"))
    # As from feed(): the events before and after the offending one; they
    # were all handed out, so the error carries none.
    assert handed == [message("1"), message("2")]
    assert isinstance(error, LineTooLong)
    assert error.events == []
    assert list(decoder.iter_feed(b"\n\n")) == [message("3")]


def test_an_event_too_large_likewise() -> None:
    decoder = Decoder(max_event_size=3)
    iterator = decoder.iter_feed(b"data: 1234\n\ndata: 1\n\n")
    assert next(iterator) == message("1")
    with pytest.raises(EventTooLarge):
        next(iterator)
    assert list(iterator) == []


def test_a_limit_error_found_before_an_early_stop_waits_for_the_next_call() -> None:
    decoder = Decoder(max_line_size=10)
    iterator = decoder.iter_feed(b"data: far too long\n\ndata: 1\n\ndata: 2\n\n")
    assert next(iterator) == message("1")
    with pytest.raises(LineTooLong) as info:
        decoder.feed(b"data: 3\n\n")
    assert info.value.events == [message("2"), message("3")]
    assert decoder.feed(b"") == []


def test_a_raising_comment_callback_ends_the_chunk_with_its_exception() -> None:
    seen: list[str] = []

    def on_comment(text: str) -> None:
        seen.append(text)
        if text == "boom":
            raise Boom(text)

    decoder = Decoder(max_line_size=10, on_comment=on_comment)
    handed, error = drain(
        decoder.iter_feed(
            b"data: 1\n\n: boom\ndata: 2\n\ndata: far too long\n\n: after\ndata: 3\n\n"
        )
    )
    assert isinstance(error, Boom)
    assert handed == [message("1"), message("2"), message("3")]
    assert seen == ["boom", "after"]
    # As after feed(): the limit error comes with the next call.
    with pytest.raises(LineTooLong) as info:
        list(decoder.iter_feed(b"data: 4\n\n"))
    assert info.value.events == []
    assert decoder.feed(b"") == []


def test_events_a_comment_exception_left_in_feed_come_first() -> None:
    def on_comment(text: str) -> None:
        raise Boom(text)

    decoder = Decoder(on_comment=on_comment)
    with pytest.raises(Boom):
        decoder.feed(b"data: 1\n\n: c\ndata: 2\n\n")
    iterator = decoder.iter_feed(b"data: 3\n\n")
    assert next(iterator) == message("1")
    # reset() keeps them, as it does for feed().
    decoder.reset()
    assert list(decoder.iter_feed(b"data: 4\n\n")) == [message("2"), message("4")]


# --- Memory --------------------------------------------------------------------


def _peak(run: Any) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_chunk_of_large_events_is_not_held_all_at_once() -> None:
    # One 1 MiB chunk of 16 events of 64 KiB data (benchmarks.run's `large`
    # at 1 MiB): feed() holds all 16 in its list, iter_feed() about one.
    value = b"x" * (64 * 1024 - 8)
    chunk = b"".join(b"data: " + value + b"\n\n" for _ in range(16))
    assert len(chunk) == 1024 * 1024

    def drop(events: Any) -> None:
        count = 0
        for _ in events:
            count += 1
        assert count == 16

    eager = _peak(lambda: drop(Decoder().feed(chunk)))
    lazy = _peak(lambda: drop(Decoder().iter_feed(chunk)))
    assert eager > 1024 * 1024
    assert lazy < 512 * 1024
    assert lazy * 3 < eager
