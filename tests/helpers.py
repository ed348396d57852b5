"""Plain helper functions for the tests (no fixtures, as in h11's tests)."""

from __future__ import annotations

import random
from typing import Any

from ssec_proto import Decoder, Event
from ssec_proto._decoder import Decoder as PureDecoder

try:
    from ssec_proto._cdecoder import Decoder as CompiledDecoder
except ImportError:  # pragma: no cover - where the extension is not built
    CompiledDecoder = None  # type: ignore[assignment,misc]

#: The decoder implementations (issue 14): the compiled one (None where it is
#: not built) and the pure-Python reference.
DECODERS: dict[str, Any] = {"compiled": CompiledDecoder, "pure": PureDecoder}


def feed_chunks(chunks: list[bytes], **options: Any) -> tuple[list[Event], Decoder]:
    """Feed chunks to a fresh decoder; return every event and the decoder."""
    decoder = Decoder(**options)
    events: list[Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events, decoder


def decode(raw: bytes, **options: Any) -> list[Event]:
    """Decode ``raw`` three ways and insist they agree, as h11's ``tr()`` does.

    Whole; one byte at a time; and at seeded random split points. Also checks
    that the final last event ID and retry agree. Returns the events.
    """
    whole, d_whole = feed_chunks([raw], **options)
    bytewise, d_bytes = feed_chunks([raw[i : i + 1] for i in range(len(raw))], **options)
    rng = random.Random(raw)
    cuts = sorted(rng.sample(range(len(raw) + 1), min(len(raw) + 1, 5)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    split, d_split = feed_chunks(pieces, **options)
    assert whole == bytewise == split
    assert d_whole.last_event_id == d_bytes.last_event_id == d_split.last_event_id
    assert d_whole.retry == d_bytes.retry == d_split.retry
    return whole


def message(data: str, *, event: str = "message", id: str = "", retry: int | None = None) -> Event:  # noqa: A002
    """Shorthand for an expected event."""
    return Event(event=event, data=data, id=id, retry=retry)


def state(obj: object) -> tuple[Any, ...]:
    """Everything an object holds, through its slots and theirs, as comparable values.

    For a Decoder: its framing, its interpreter's buffers and state, its line
    endings' state (callables such as on_comment compare by identity).
    """
    if hasattr(obj, "_debug_state"):
        # The compiled decoder lists what it holds itself.
        return obj._debug_state()  # type: ignore[no-any-return]
    values: list[Any] = []
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            value = getattr(obj, name)
            if hasattr(type(value), "__slots__") and not isinstance(value, (tuple, str, bytes)):
                values.append(state(value))
            elif isinstance(value, (bytearray, list)):
                values.append(type(value)(value))
            else:
                values.append(value)
    return tuple(values)


def held_line_size(decoder: Any) -> int:
    """Bytes the decoder holds for the line (or, pure, the open block) under way."""
    if hasattr(decoder, "_debug_held"):
        return decoder._debug_held()[0]  # type: ignore[no-any-return]
    return len(decoder._buf) - 1


def held_data_size(decoder: Any) -> int:
    """Characters of data the decoder holds for an event without its blank line."""
    if hasattr(decoder, "_debug_held"):
        return decoder._debug_held()[1]  # type: ignore[no-any-return]
    return len("\n".join(decoder._interpreter._data))
