"""The event model: what a decoder dispatches and what an encoder writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, final

__all__ = ["Event"]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    r"""One dispatched server-sent event.

    A frozen, slotted value object: events compare by value, hash, and cannot
    be changed after creation. Don't subclass it.

    Attributes:
        event: The event type. ``"message"`` when the block set none (or set
            it to the empty string), as in the spec's dispatch step 6.
        data: The data lines of the block joined with ``"\n"``; the final
            line feed is removed (dispatch step 3).
        id: The *last event ID* at dispatch time (dispatch step 1). It
            persists across events until the server sends another ``id``
            field, exactly like ``MessageEvent.lastEventId`` in browsers, so
            an event without an ``id`` line carries the previous ID.
        retry: The reconnection time in milliseconds if the block that
            produced this event had a valid ``retry`` field, else ``None``.
            The stream-wide value is :attr:`ssec_proto.Decoder.retry`.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def json(self, **kwargs: Any) -> Any:
        """Parse :attr:`data` as JSON.

        Args:
            **kwargs: Passed on to :func:`json.loads`.

        Returns:
            The decoded JSON value.

        Raises:
            json.JSONDecodeError: If the data is not valid JSON.
        """
        return json.loads(self.data, **kwargs)
