"""The pure HTTP helpers: request headers, Content-Type essence, Retry-After."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ssec_proto._http import (
    build_headers,
    encode_headers,
    header_dict,
    header_pairs,
    is_event_stream,
    parse_retry_after,
)

# 2025-06-15 12:00:00 UTC, a fixed "now" for HTTP-date tests.
NOW = datetime(2025, 6, 15, 12, tzinfo=timezone.utc).timestamp()

DEFAULTS = [("Accept", "text/event-stream"), ("Cache-Control", "no-store")]


# --- Content-Type -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "text/event-stream",
        "Text/Event-Stream; charset=utf-8",
        "TEXT/EVENT-STREAM",
        "  text/event-stream \t",
        "text/event-stream ; charset=utf-8",
        "text/event-stream;",
    ],
)
def test_event_stream_essence(value: str) -> None:
    assert is_event_stream(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "text/html",
        "text/event-streamx",
        "text/event-stream-x",
        "text /event-stream",
        "text/plain; x=text/event-stream",
        "application/json",
        "text/évent-stream",
    ],
)
def test_not_an_event_stream(value: str | None) -> None:
    assert not is_event_stream(value)


# --- header_dict / header_pairs -------------------------------------------------


def test_header_dict_lowercases_and_joins_repeats() -> None:
    pairs = [("Content-Type", "text/html"), ("X-A", "1"), ("x-a", "2")]
    assert header_dict(pairs) == {"content-type": "text/html", "x-a": "1, 2"}
    assert header_dict({"Retry-After": "5"}) == {"retry-after": "5"}
    assert header_dict(None) == {}


def test_header_pairs_copies_and_checks_types() -> None:
    source = {"A": "1"}
    pairs = header_pairs(source)
    assert pairs == [("A", "1")]
    pairs.append(("B", "2"))
    assert source == {"A": "1"}
    # bytes are taken as UTF-8, the encoding they are sent in
    assert header_pairs([(b"X-Id", "é".encode())]) == [("X-Id", "é")]
    with pytest.raises(UnicodeDecodeError):
        header_pairs([(b"X-Id", b"\xff")])
    with pytest.raises(TypeError, match="must be str"):
        header_pairs([(1, "1")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be str"):
        header_pairs({"A": None})  # type: ignore[arg-type]


# --- Retry-After -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 5 ", 5.0),
        ("007", 7.0),
        ("9" * 400, float("inf")),
    ],
)
def test_retry_after_delay_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value) == seconds
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [None, "", "-1", "+5", "1.5", "1_000", "1e3", "soon", "\u0661\u0662", "5 s"],
)
def test_retry_after_garbage_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 15 Jun 2025 12:01:30 GMT",  # IMF-fixdate
        "sun, 15 jun 2025 12:01:30 gmt",  # case-insensitive
        "Sunday, 15-Jun-25 12:01:30 GMT",  # RFC 850
        "Sun Jun 15 12:01:30 2025",  # asctime
    ],
)
def test_retry_after_http_date(value: str) -> None:
    assert parse_retry_after(value, NOW) == 90.0


def test_retry_after_asctime_pads_the_day_with_a_space() -> None:
    assert parse_retry_after("Mon Jun  16 12:00:00 2025", NOW) is None  # two spaces + 2 digits
    assert parse_retry_after("Mon Jun 16 12:00:00 2025", NOW) == 86400.0
    assert parse_retry_after("Sat Jul  5 12:00:00 2025", NOW) == 20 * 86400.0


def test_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW) == 0.0


def test_retry_after_date_needs_a_clock() -> None:
    assert parse_retry_after("Sun, 15 Jun 2025 12:01:30 GMT") is None


def test_retry_after_leap_second_counts_as_59() -> None:
    assert parse_retry_after("Sun, 15 Jun 2025 12:00:60 GMT", NOW) == 59.0


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 15 Foo 2025 12:00:00 GMT",  # no such month
        "Sun, 31 Feb 2025 12:00:00 GMT",  # no such day
        "Sun, 15 Jun 2025 24:00:00 GMT",  # no such hour
        "Sun, 15 Jun 0000 12:00:00 GMT",  # no year 0
        "Sun, 15 Jun 2025 12:00:00 UTC",  # only GMT
        "Sun, 15 Jun 2025 12:00:00",
        "Sun, 15 Jun 25 12:00:00 GMT",
    ],
)
def test_retry_after_bad_dates_are_ignored(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


@pytest.mark.parametrize(
    ("yy", "year"),
    [("25", 2025), ("75", 2075), ("76", 1976), ("94", 1994), ("00", 2000)],
)
def test_retry_after_rfc850_two_digit_year(yy: str, year: int) -> None:
    # "more than 50 years in the future" means the most recent past year.
    date = datetime(year, 6, 16, 12, tzinfo=timezone.utc).timestamp()
    expected = max(0.0, date - NOW)
    assert parse_retry_after(f"Monday, 16-Jun-{yy} 12:00:00 GMT", NOW) == expected


# --- Request headers ---------------------------------------------------------------


def test_default_request_headers() -> None:
    assert build_headers(None, "") == DEFAULTS
    assert build_headers({}, "42") == [*DEFAULTS, ("Last-Event-ID", "42")]


def test_caller_accept_and_cache_control_are_kept() -> None:
    headers = {"ACCEPT": "application/json", "cache-control": "no-cache", "X-Key": "k"}
    assert build_headers(headers, "") == list(headers.items())


def test_caller_headers_come_first_in_order_and_may_repeat() -> None:
    pairs = [("X-B", "1"), ("X-A", "2"), ("X-B", "3")]
    assert build_headers(pairs, "") == [*pairs, *DEFAULTS]


def test_caller_last_event_id_is_replaced() -> None:
    headers = {"last-event-id": "old"}
    assert build_headers(headers, "new") == [*DEFAULTS, ("Last-Event-ID", "new")]
    assert build_headers(headers, "") == DEFAULTS
    assert headers == {"last-event-id": "old"}


def test_caller_mapping_is_not_modified() -> None:
    headers = {"Authorization": "Bearer x"}
    result = build_headers(headers, "7")
    result.append(("X", "y"))
    assert headers == {"Authorization": "Bearer x"}


@pytest.mark.parametrize("bad", ["a\r\nX-Evil: 1", "a\nb", "a\0b"])
def test_last_event_id_cannot_inject_header_lines(bad: str) -> None:
    with pytest.raises(ValueError, match="NUL, CR or LF"):
        build_headers(None, bad)
    with pytest.raises(TypeError, match="must be a str"):
        build_headers(None, b"7")  # type: ignore[arg-type]


def test_encode_headers_utf8_values() -> None:
    pairs = build_headers({"X-Name": "café"}, "☕7")
    assert encode_headers(pairs) == [
        (b"X-Name", "café".encode()),
        (b"Accept", b"text/event-stream"),
        (b"Cache-Control", b"no-store"),
        (b"Last-Event-ID", b"\xe2\x98\x957"),
    ]


def test_encode_headers_rejects_non_ascii_names() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_headers([("Ñame", "x")])
