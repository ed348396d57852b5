"""The HTTP facts of an event source, as pure functions.

What a request for an event stream carries, whether a response is one, and how
long a `Retry-After` header asks a client to wait. Nothing here does I/O or
imports an HTTP library: adapters hand in header values and get back header
values, so the same rules serve httpx, aiohttp, requests or a raw socket.

Spec text quoted below is from the WHATWG HTML Living Standard, section 9.2
"Server-sent events", and from RFC 9110 "HTTP Semantics".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TypeAlias

__all__ = [
    "EVENT_STREAM",
    "HeadersLike",
    "build_headers",
    "check_last_event_id",
    "encode_headers",
    "header_dict",
    "header_pairs",
    "is_event_stream",
    "parse_retry_after",
    "resume_from",
]

#: The MIME type of an event stream.
EVENT_STREAM = "text/event-stream"

#: Headers as callers and HTTP libraries have them: any mapping (`httpx.Headers`,
#: aiohttp's `CIMultiDictProxy`, requests' `CaseInsensitiveDict`, a `dict`) or
#: an iterable of `(name, value)` pairs, which may repeat a name. Names and
#: values are `str`, or `bytes` in UTF-8.
HeadersLike: TypeAlias = (
    Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]]
)

# RFC 9110 section 5.6.3: "OWS = *( SP / HTAB )". CR and LF are stripped too,
# as the WHATWG MIME type parser's "HTTP whitespace" does.
_HTTP_WHITESPACE = " \t\r\n"

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# RFC 9110 section 5.6.7: "A recipient that parses a timestamp value in an
# HTTP header field MUST accept all three HTTP-date formats." Names are
# matched without regard to case (more lenient than the grammar, never
# ambiguous), and re.ASCII keeps \d from matching non-ASCII digits.
_TIME = r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
_HTTP_DATES = tuple(
    re.compile(pattern, re.ASCII | re.IGNORECASE)
    for pattern in (
        # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        rf"[a-z]{{3}}, (?P<day>\d{{2}}) (?P<month>[a-z]{{3}}) (?P<year>\d{{4}}) {_TIME} GMT",
        # obsolete RFC 850 format: Sunday, 06-Nov-94 08:49:37 GMT
        rf"[a-z]{{6,9}}, (?P<day>\d{{2}})-(?P<month>[a-z]{{3}})-(?P<yy>\d{{2}}) {_TIME} GMT",
        # obsolete asctime() format: Sun Nov  6 08:49:37 1994
        rf"[a-z]{{3}} (?P<month>[a-z]{{3}}) (?P<day>[ \d]\d) {_TIME} (?P<year>\d{{4}})",
    )
)


def header_pairs(headers: HeadersLike | None) -> list[tuple[str, str]]:
    """Copy headers into a new list of `(name, value)` pairs of `str`.

    Args:
        headers: A mapping, an iterable of pairs, or `None` (no headers).
            A `bytes` name or value is decoded as UTF-8, the encoding the
            request sends it in.

    Returns:
        A new list, in the headers' order.

    Raises:
        TypeError: If a name or value is neither `str` nor `bytes`.
        ValueError: If a `bytes` name or value is not UTF-8.
    """
    if headers is None:
        return []
    items: Iterable[tuple[object, object]] = (
        headers.items() if isinstance(headers, Mapping) else headers
    )
    return [(_text(name, value, name), _text(name, value, value)) for name, value in items]


def _text(name: object, value: object, item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, bytes):
        return item.decode("utf-8")
    raise TypeError(
        "header names and values must be str (or UTF-8 bytes), not "
        f"{type(name).__name__} and {type(value).__name__}: {name!r}: {value!r}"
    )


def resume_from(headers: list[tuple[str, str]], last_event_id: str | None) -> str:
    """The last event ID a stream starts from.

    Args:
        headers: The caller's request headers, as `header_pairs()` returns.
        last_event_id: The ID the caller asked to resume from, or `None`.

    Returns:
        `last_event_id` if given, else the value of the caller's last
        `Last-Event-ID` header, else `""`.
    """
    if last_event_id is not None:
        return last_event_id
    given = [value for name, value in headers if name.lower() == "last-event-id"]
    return given[-1] if given else ""


def header_dict(headers: HeadersLike | None) -> dict[str, str]:
    """Collect headers into a `dict` with lower-case names.

    Header names are case-insensitive (RFC 9110 section 5.1). A repeated name
    keeps all its values, joined with `", "` as RFC 9110 section 5.3 allows
    for list-based fields.

    Args:
        headers: A mapping or an iterable of `(name, value)` pairs.

    Returns:
        A new `dict` of lower-case name to value.

    Raises:
        TypeError: If a name or value is not a `str`.
    """
    result: dict[str, str] = {}
    for name, value in header_pairs(headers):
        key = name.lower()
        result[key] = f"{result[key]}, {value}" if key in result else value
    return result


def is_event_stream(content_type: str | None) -> bool:
    """Tell whether a `Content-Type` value names an event stream.

    Only the MIME type's essence counts: parameters such as `charset` are
    ignored (the stream is always UTF-8), letters compare case-insensitively
    and surrounding whitespace is tolerated, so `Text/Event-Stream ;
    charset=utf-8` qualifies and `text/event-streamx` does not.

    Args:
        content_type: The header value, or `None` when it is missing.

    Returns:
        `True` if the essence is `text/event-stream`.
    """
    if not content_type:
        return False
    essence = content_type.partition(";")[0].strip(_HTTP_WHITESPACE)
    # isascii() first: str.lower() maps a few non-ASCII letters to ASCII ones.
    return essence.isascii() and essence.lower() == EVENT_STREAM


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Turn a `Retry-After` value into a number of seconds to wait.

    RFC 9110 section 10.2.3: `Retry-After = HTTP-date / delay-seconds`.

    Args:
        value: The header value, or `None` when it is missing.
        now: The current wall-clock time in seconds since the Unix epoch.
            An HTTP-date needs it; without it a date is ignored.

    Returns:
        The delay in seconds (`0.0` for a date in the past; `inf` for an
        absurdly long number), or `None` if the header is missing,
        malformed, or a date given without `now`.
    """
    if value is None:
        return None
    value = value.strip(_HTTP_WHITESPACE)
    # "delay-seconds = 1*DIGIT": ASCII digits only, so no sign, no fraction,
    # no "1_000". float() of a huge digit string is inf, never an error.
    if value.isascii() and value.isdigit():
        return float(value)
    if now is None:
        return None
    date = _parse_http_date(value, now)
    return None if date is None else max(0.0, date - now)


def _parse_http_date(value: str, now: float) -> float | None:
    # The timestamp of an HTTP-date in any of its three formats, or None.
    for pattern in _HTTP_DATES:
        match = pattern.fullmatch(value)
        if match:
            break
    else:
        return None
    fields = match.groupdict()
    month = _MONTHS.get(fields["month"].lower())
    if month is None:
        return None
    if fields.get("yy") is not None:
        # RFC 9110: "Recipients of a timestamp value in rfc850-date format,
        # which uses a two-digit year, MUST interpret a timestamp that appears
        # to be more than 50 years in the future as representing the most
        # recent year in the past that had the same last two digits."
        this_year = datetime.fromtimestamp(now, timezone.utc).year
        year = this_year - this_year % 100 + int(fields["yy"])
        if year > this_year + 50:
            year -= 100
    else:
        year = int(fields["year"])
    try:
        return datetime(
            year,
            month,
            int(fields["day"]),
            int(fields["hour"]),
            int(fields["minute"]),
            # RFC 9110 allows a leap second (60), which datetime does not.
            min(int(fields["second"]), 59),
            tzinfo=timezone.utc,
        ).timestamp()
    except ValueError:  # 31 Feb, hour 24, year 0000, ...
        return None


def check_last_event_id(value: str) -> str:
    """Check that a last event ID can be sent as a `Last-Event-ID` value.

    The spec (whatwg/html#7363): "It is essentially any UTF-8 encoded string,
    that does not contain U+0000 NULL, U+000A LF, or U+000D CR." A decoder
    never produces anything else; CR or LF from elsewhere would inject header
    lines.

    Args:
        value: The last event ID.

    Returns:
        `value`, unchanged.

    Raises:
        TypeError: If it is not a `str`.
        ValueError: If it contains NUL, CR or LF.
    """
    if not isinstance(value, str):
        raise TypeError(f"last_event_id must be a str, not {type(value).__name__}")
    if "\0" in value or "\r" in value or "\n" in value:
        raise ValueError(f"last_event_id must not contain NUL, CR or LF: {value!r}")
    return value


def build_headers(headers: HeadersLike | None, last_event_id: str) -> list[tuple[str, str]]:
    """Build the header list of a request for an event stream.

    The caller's headers come first, in their order. Then, as the spec's
    EventSource constructor and "reestablish the connection" steps do:

    * `Accept: text/event-stream`, unless the caller set an `Accept`
      (compared case-insensitively): "User agents may set (`Accept`,
      `text/event-stream`) in request's header list";
    * `Cache-Control: no-store`, unless the caller set one: the spec sets
      the request's cache mode to "no-store", and an intermediary cache must
      not answer with a stale stream;
    * `Last-Event-ID: <last_event_id>` if it is not empty: "If the
      EventSource object's last event ID string is not the empty string ...
      set (`Last-Event-ID`, lastEventIDValue) in request's header list".

    A `Last-Event-ID` among the caller's headers is always dropped: the
    `last_event_id` argument is the single source of truth, so an ID that
    the stream reset to `""` is never sent again.

    Args:
        headers: The caller's headers, or `None`. Never modified.
        last_event_id: The last event ID string.

    Returns:
        A new list of `(name, value)` pairs, values as `str`. Use
        `encode_headers()` to send a non-ASCII ID.

    Raises:
        TypeError: If a header name or value is not a `str`.
        ValueError: If `last_event_id` contains NUL, CR or LF.
    """
    check_last_event_id(last_event_id)
    result = []
    present = set()
    for name, value in header_pairs(headers):
        key = name.lower()
        if key != "last-event-id":
            present.add(key)
            result.append((name, value))
    if "accept" not in present:
        result.append(("Accept", EVENT_STREAM))
    if "cache-control" not in present:
        result.append(("Cache-Control", "no-store"))
    if last_event_id:
        result.append(("Last-Event-ID", last_event_id))
    return result


def encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Encode `(name, value)` pairs as bytes for the wire.

    Names are ASCII (an HTTP token is); values are UTF-8, as the spec requires
    for the last event ID ("Let lastEventIDValue be the EventSource object's
    last event ID string, encoded as UTF-8"). Clients that only take `str`
    values encode them as ASCII (httpx) or Latin-1 (`http.client`) and fail
    or garble a non-ASCII ID; both accept these bytes.

    Args:
        headers: Pairs as returned by `build_headers()`.

    Returns:
        A new list of `(name, value)` byte pairs.

    Raises:
        UnicodeEncodeError: If a header name is not ASCII.
    """
    return [(name.encode("ascii"), value.encode("utf-8")) for name, value in headers]
