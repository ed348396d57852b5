from __future__ import annotations

import pytest

from ssec_proto import Decoder, encode

from .helpers import message

# Every test here runs against both decoders, compiled and pure (conftest.py).
pytestmark = pytest.mark.usefixtures("implementation")


def test_data_only() -> None:
    assert encode("hello") == b"data: hello\n\n"


def test_all_fields_in_order() -> None:
    raw = encode("a\nb", event="update", id="7", retry=1500, comment="hi")
    assert raw == b": hi\nevent: update\nid: 7\nretry: 1500\ndata: a\ndata: b\n\n"


@pytest.mark.parametrize("data", ["a\r\nb", "a\rb", "a\nb"])
def test_every_line_break_in_data_becomes_a_data_line(data: str) -> None:
    raw = encode(data)
    assert raw == b"data: a\ndata: b\n\n"
    assert Decoder().feed(raw) == [message("a\nb")]


def test_empty_data_lines_and_empty_data() -> None:
    assert encode("") == b"data\n\n"
    assert encode("\n") == b"data\ndata\n\n"
    assert Decoder().feed(encode("\n\n")) == [message("\n\n")]


def test_leading_space_in_data_survives() -> None:
    raw = encode("  two spaces")
    assert Decoder().feed(raw) == [message("  two spaces")]


def test_no_data_means_no_event() -> None:
    raw = encode(id="5", retry=10)
    assert raw == b"id: 5\nretry: 10\n\n"
    decoder = Decoder()
    assert decoder.feed(raw) == []
    assert (decoder.last_event_id, decoder.retry) == ("5", 10)


def test_empty_id_resets_the_receiver() -> None:
    assert encode("x", id="") == b"id\ndata: x\n\n"
    decoder = Decoder(last_event_id="9")
    assert decoder.feed(encode("x", id="")) == [message("x")]


def test_comment_lines() -> None:
    assert encode(comment="") == b":\n\n"
    assert encode(comment="one\r\ntwo\rthree\n") == b": one\n: two\n: three\n:\n\n"
    seen: list[str] = []
    assert Decoder(on_comment=seen.append).feed(encode(comment="a\nb")) == []
    assert seen == ["a", "b"]


def test_unicode_is_utf8() -> None:
    assert encode("é", event="ü", id="☕") == "event: ü\nid: ☕\ndata: é\n\n".encode()


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "\n"])
def test_event_type_with_line_break_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="event type"):
        encode("x", event=bad)


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_id_that_cannot_be_sent_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="id"):
        encode("x", id=bad)


def test_retry_must_be_a_non_negative_int() -> None:
    with pytest.raises(ValueError, match="negative"):
        encode(retry=-1)
    with pytest.raises(TypeError, match="retry"):
        encode(retry=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry"):
        encode(retry=True)
    assert encode(retry=0) == b"retry: 0\n\n"


@pytest.mark.parametrize("field", ["data", "event", "id", "comment"])
def test_values_must_be_str(field: str) -> None:
    with pytest.raises(TypeError, match=field):
        encode(**{field: b"bytes"})  # type: ignore[arg-type]


def test_data_cannot_inject_fields_or_events() -> None:
    raw = encode("x\n\nevent: evil\ndata: injected\r\rid: 666")
    assert Decoder().feed(raw) == [message("x\n\nevent: evil\ndata: injected\n\nid: 666")]
