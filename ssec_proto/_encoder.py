"""Events to wire bytes, for servers and for round-trip tests.

The encoder is the decoder's inverse: for any values it accepts,
`Decoder().feed(encode(...))` gives back exactly one event with those values
(or none, when no data is given). It refuses values that the format cannot
carry instead of letting them inject extra fields or events.
"""

from __future__ import annotations

import re

__all__ = ["encode"]

# The protocol's line breaks: CR LF, lone CR, lone LF.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _field(name: str, value: str) -> str:
    # Always put the space after the colon when there is a value: the decoder
    # removes exactly one, so a value that itself starts with a space
    # survives.
    return f"{name}: {value}\n" if value else f"{name}\n"


def encode(
    data: str | None = None,
    *,
    event: str | None = None,
    id: str | None = None,  # noqa: A002 - the protocol's field name
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """Serialise one event block to `text/event-stream` bytes.

    Fields are written in the order comment, `event`, `id`, `retry`,
    `data`, followed by the blank line that dispatches the block. `None`
    leaves a field out.

    Args:
        data: The event data. Each line of it (split at CR LF, CR or LF)
            becomes one `data:` line, so it is received with LF line breaks.
            `""` sends an event with empty data; `None` sends no data, and
            the receiver dispatches no event (useful for an `id`- or
            `retry`-only block, or a keep-alive comment).
        event: The event type. `None` or `""` both mean `"message"`.
        id: The new last event ID. `""` sends an empty `id` field, which
            resets the receiver's last event ID.
        retry: The reconnection time in milliseconds (a non-negative int).
        comment: A comment; each of its lines becomes one `:` line.

    Returns:
        The encoded block, UTF-8, ending with a blank line.

    Raises:
        ValueError: If `event` or `id` contains CR or LF, `id` contains
            NUL, or `retry` is negative; these cannot be sent faithfully.
        TypeError: If a value has the wrong type.
    """
    parts: list[str] = []
    if comment is not None:
        _require_str(comment, "comment")
        parts.extend(f": {line}\n" if line else ":\n" for line in _LINE_BREAK.split(comment))
    if event is not None:
        _require_str(event, "event")
        if "\r" in event or "\n" in event:
            raise ValueError(f"event type must not contain CR or LF: {event!r}")
        parts.append(_field("event", event))
    if id is not None:
        _require_str(id, "id")
        if "\r" in id or "\n" in id or "\0" in id:
            # A NUL makes receivers ignore the whole id field, so the id
            # would silently not take effect.
            raise ValueError(f"id must not contain CR, LF or NUL: {id!r}")
        parts.append(_field("id", id))
    if retry is not None:
        if not isinstance(retry, int) or isinstance(retry, bool):
            raise TypeError(f"retry must be an int, not {type(retry).__name__}")
        if retry < 0:
            raise ValueError(f"retry must not be negative: {retry}")
        parts.append(f"retry: {retry}\n")
    if data is not None:
        _require_str(data, "data")
        parts.extend(_field("data", line) for line in _LINE_BREAK.split(data))
    parts.append("\n")
    return "".join(parts).encode("utf-8")


def _require_str(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
