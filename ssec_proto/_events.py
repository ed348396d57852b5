"""The event model: what a decoder dispatches and what an encoder writes."""

from __future__ import annotations

import json
from operator import itemgetter
from typing import TYPE_CHECKING, Any, final

__all__ = ["Event"]

try:
    # The C descriptor behind collections.namedtuple fields: reading a field
    # costs what reading a slot does.
    from _collections import _tuplegetter  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - interpreters without it (e.g. PyPy)

    def _tuplegetter(index: int, doc: str) -> Any:
        return property(itemgetter(index), doc=doc)


_tuple_new = tuple.__new__
_tuple_eq = tuple.__eq__


def _rebuild(fields: tuple[str, str, str, int | None]) -> Event:
    return _tuple_new(Event, fields)


@final
class Event(tuple[str, str, str, "int | None"]):
    r"""One dispatched server-sent event.

    An immutable value object: events compare by value, hash, and cannot be
    changed after creation. Don't subclass it.

    It is a tuple of its four fields in the order below, like a named tuple,
    because that is the cheapest object CPython can build, and a decoder
    builds one per event. So an event unpacks (`kind, data, id, retry =
    event`), but it compares equal only to another `Event`, never to a
    plain tuple. Build one with keyword arguments, each defaulting as below:
    `Event(data="hello", id="7")`.

    Attributes:
        event: The event type. `"message"` when the block set none (or set
            it to the empty string), as in the spec's dispatch step 6.
        data: The data lines of the block joined with `"\n"`; the final
            line feed is removed (dispatch step 3).
        id: The *last event ID* at dispatch time (dispatch step 1). It
            persists across events until the server sends another `id`
            field, exactly like `MessageEvent.lastEventId` in browsers, so
            an event without an `id` line carries the previous ID.
        retry: The reconnection time in milliseconds if the block that
            produced this event had a valid `retry` field, else `None`.
            The stream-wide value is [`ssec_proto.Decoder.retry`][ssec_proto.Decoder.retry].
    """

    __slots__ = ()
    __match_args__ = ("event", "data", "id", "retry")

    def __new__(
        cls,
        *,
        event: str = "message",
        data: str = "",
        id: str = "",  # noqa: A002 - the field's name in the spec
        retry: int | None = None,
    ) -> Event:
        return _tuple_new(cls, (event, data, id, retry))

    if TYPE_CHECKING:

        @property
        def event(self) -> str: ...
        @property
        def data(self) -> str: ...
        @property
        def id(self) -> str: ...
        @property
        def retry(self) -> int | None: ...

    else:
        event = _tuplegetter(0, "The event type.")
        data = _tuplegetter(1, "The event data.")
        id = _tuplegetter(2, "The last event ID at dispatch time.")
        retry = _tuplegetter(3, "The block's reconnection time in ms, or None.")

    def __eq__(self, other: object) -> bool:
        if type(other) is Event:
            return _tuple_eq(self, other)
        # A plain tuple with the same items is not an event; anything else
        # may know how to compare itself.
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return f"Event(event={self[0]!r}, data={self[1]!r}, id={self[2]!r}, retry={self[3]!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The keyword-only constructor cannot take pickle's positional args.
        return (_rebuild, (tuple(self),))

    def __copy__(self) -> Event:
        return self

    def __deepcopy__(self, memo: object) -> Event:
        return self

    def json(self, **kwargs: Any) -> Any:
        """Parse `data` as JSON.

        Args:
            **kwargs: Passed on to `json.loads()`.

        Returns:
            The decoded JSON value.

        Raises:
            json.JSONDecodeError: If the data is not valid JSON.
        """
        return json.loads(self[1], **kwargs)
