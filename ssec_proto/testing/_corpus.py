"""The corpus: named cases written from WHATWG HTML "Server-sent events", kept as data.

`cases.json` (next to this module, described by `cases.schema.json`) holds
each case as a stream of bytes and what a conforming parser makes of it. The
file is the source of truth, for this package and for kits in other
languages alike.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, NamedTuple

__all__ = ["CORPUS_VERSION", "Case", "Dispatched", "cases"]


class Dispatched(NamedTuple):
    """One dispatched event, as the kit compares events: what a browser's `MessageEvent` shows.

    Attributes:
        type: The event type: `"message"` unless the block set another.
        data: The data lines of the block, joined with LF.
        id: The event's `lastEventId`: the last event ID string when the
            event was dispatched. It persists across events until an `id`
            field changes it.
    """

    type: str
    data: str
    id: str


@dataclass(frozen=True)
class Case:
    """One named case of the corpus: a stream and what a conforming parser makes of it.

    `str(case)` is its name, so `pytest.mark.parametrize("case", cases(), ids=str)`
    names each test after its case.

    Attributes:
        name: A unique, stable name such as `"bom/split-across-chunks"`: a
            group, a slash, a description.
        section: The section of the spec that has the step quoted in `spec`.
        spec: The step of the spec that the case exercises, quoted.
        input: The stream's bytes, from the start of the response body.
        events: The events a conforming parser dispatches, in order.
        last_event_id: The last event ID string after the whole stream: what
            a reconnection sends as `Last-Event-ID` (`""` when none).
        retry: The reconnection time in milliseconds after the whole stream,
            or `None` if the stream sets none (the parser's initial value must
            then stay as it was).
        cuts: The case's own chunking, run besides the ones every case runs
            under: the offsets at which `input` is cut (a repeated offset
            makes an empty chunk). Empty if the case has none.
        note: Why the expectation is what it is, where the quote alone does
            not say; in particular where the spec leaves a choice and the case
            follows ssec-proto's documented reading.
        wpt: Tests of the web-platform-tests that check the same behaviour in
            browsers (`"eventsource/format-bom"`).
    """

    name: str
    section: str
    spec: str
    input: bytes
    events: tuple[Dispatched, ...]
    last_event_id: str
    retry: int | None
    cuts: tuple[int, ...] = ()
    note: str = ""
    wpt: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


def _part(part: str | dict[str, str]) -> bytes:
    # A string stands for its UTF-8 bytes; {"hex": "ef bb bf"} for bytes
    # that are not UTF-8.
    return part.encode("utf-8") if isinstance(part, str) else bytes.fromhex(part["hex"])


def _case(record: dict[str, Any]) -> Case:
    return Case(
        name=record["name"],
        section=record["section"],
        spec=record["spec"],
        input=b"".join(_part(part) for part in record["input"]),
        events=tuple(Dispatched(e["type"], e["data"], e["id"]) for e in record["events"]),
        last_event_id=record["last_event_id"],
        retry=record["retry"],
        cuts=tuple(record.get("cuts", ())),
        note=record.get("note", ""),
        wpt=tuple(record.get("wpt", ())),
    )


@functools.cache
def _corpus() -> tuple[int, tuple[Case, ...]]:
    text = resources.files(__package__).joinpath("cases.json").read_text(encoding="utf-8")
    corpus = json.loads(text)
    return corpus["version"], tuple(_case(record) for record in corpus["cases"])


#: The version of the corpus this package ships. It goes up whenever a case is
#: added, removed or changed, so a report can say which cases it ran.
CORPUS_VERSION: int = _corpus()[0]


def cases(*patterns: str) -> tuple[Case, ...]:
    """The cases of the corpus, in its order.

    Args:
        *patterns: Keep only the cases whose name matches one of these
            shell-style patterns (`"retry/*"`, `"bom/stripped"`); all
            cases if none is given.

    Returns:
        The matching [`Case`][ssec_proto.testing.Case] values.

    Raises:
        ValueError: If a pattern matches no case (most likely a typo).
    """
    every = _corpus()[1]
    if not patterns:
        return every
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(case.name, pattern) for case in every):
            raise ValueError(f"no case matches {pattern!r}")
    return tuple(c for c in every if any(fnmatch.fnmatchcase(c.name, p) for p in patterns))
