"""Deterministic, in-memory ``text/event-stream`` workloads for the decoder benchmark.

Every workload is a valid stream built from a fixed seed, together with the
events a spec-exact decoder must produce for it, as ``(type, data, last event
ID)`` tuples. Nothing is read from disk or the network.

=============  ==============================================================
``tiny``       ``data: {"n":123}`` events, one short data line each (LF)
``llm``        ``event:``, ``id:`` and ~200 bytes of chat-completion-chunk
               JSON with non-ASCII text per event (LF)
``multiline``  ten ``data:`` lines of ~40 bytes per event (LF)
``large``      one 64 KiB ``data:`` line per event (LF)
``crlf``       the ``llm`` events with CR LF line endings
``cr``         the ``llm`` events with CR-only line endings
``blank``      the ``tiny`` events, each followed by 0 to 32 extra blank lines
``comments``   the ``tiny`` events among keep-alive comments: 0 to 3 blocks
               of one comment line before each
=============  ==============================================================

``blank`` and ``comments`` are about half blank lines or comments, which a
decoder should skip for no more per byte than it spends on events.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "WORKLOAD_NAMES",
    "KiB",
    "MiB",
    "Workload",
    "chunked",
    "make_workload",
    "make_workloads",
]

KiB = 1024
MiB = 1024 * KiB

#: The workloads in report order.
WORKLOAD_NAMES = ("tiny", "llm", "multiline", "large", "crlf", "cr", "blank", "comments")

Expected = tuple[str, str, str]

# Short pieces of chat text, several of them with non-ASCII characters (Latin
# accents, CJK, emoji, an em dash), as LLM token streams carry them.
_TOKENS = (
    "Hello",
    " there",
    "! Voilà",
    " — a",
    " naïve",
    " café",
    " 東京",
    "の天気は",
    "晴れです",
    " 🙂",
    " Größe",
    " señor",
    " Zürich",
    " données",
    " résumé",
    " ok",
)


@dataclass(frozen=True)
class Workload:
    """One benchmark stream and the events it must decode to.

    Attributes:
        name: Short name used in the report.
        description: One line for the report.
        data: The whole stream.
        expected: ``(type, data, last_event_id)`` per event, in order.
        boundaries: The offset just past each event's blank line, in order,
            so that a prefix can end on an event boundary.
    """

    name: str
    description: str
    data: bytes
    expected: list[Expected] = field(repr=False)
    boundaries: list[int] = field(repr=False)

    def prefix(self, min_bytes: int) -> Workload:
        """Return the shortest leading run of whole events of at least ``min_bytes``.

        At least one event is always kept.
        """
        count = 1
        while count < len(self.boundaries) and self.boundaries[count - 1] < min_bytes:
            count += 1
        end = self.boundaries[count - 1]
        return Workload(
            name=self.name,
            description=self.description,
            data=self.data[:end],
            expected=self.expected[:count],
            boundaries=self.boundaries[:count],
        )


def chunked(data: bytes, size: int) -> list[bytes]:
    """Cut ``data`` into chunks of ``size`` bytes (the last one may be shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def _completion_chunk(rng: random.Random, index: int) -> str:
    # Roughly what OpenAI-compatible servers send for each streamed token,
    # compact as they send it; with the text below, about 200 bytes.
    text = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 3)))
    payload = {
        "id": "chatcmpl-8f3a2b9c1d4e5f60718293a4",
        "object": "chat.completion.chunk",
        "created": 1718000000 + index // 50,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}
        ],
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class _Builder:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.expected: list[Expected] = []
        self.boundaries: list[int] = []

    def add(self, block: str, expected: Expected) -> None:
        raw = block.encode()
        self.parts.append(raw)
        self.size += len(raw)
        self.expected.append(expected)
        self.boundaries.append(self.size)

    def build(self, name: str, description: str) -> Workload:
        return Workload(name, description, b"".join(self.parts), self.expected, self.boundaries)


def _tiny(
    size: int, name: str = "tiny", around: Callable[[str], str] = lambda block: block
) -> Workload:
    b = _Builder()
    n = 0
    while b.size < size:
        data = f'{{"n":{n % 1000}}}'
        b.add(around(f"data: {data}\n\n"), ("message", data, ""))
        n += 1
    return b.build(name, _DESCRIPTIONS[name])


_DESCRIPTIONS = {
    "tiny": 'one short data line per event: data: {"n":123}',
    "blank": "the tiny events, each followed by 0 to 32 extra blank lines",
    "comments": "the tiny events, 0 to 3 keep-alive comments before each",
}


def _blank(size: int) -> Workload:
    rng = random.Random(2)
    return _tiny(size, "blank", lambda block: block + "\n" * rng.randint(0, 32))


def _comments(size: int) -> Workload:
    rng = random.Random(3)
    comments = (":\n\n", ": ping\n\n", ": keep-alive\n\n")
    return _tiny(
        size,
        "comments",
        lambda block: "".join(rng.choice(comments) for _ in range(rng.randint(0, 3))) + block,
    )


def _llm(size: int, newline: str = "\n") -> Workload:
    rng = random.Random(20240601)
    b = _Builder()
    n = 0
    while b.size < size:
        data = _completion_chunk(rng, n)
        event_id = str(100000 + n)
        block = f"event: completion{newline}id: {event_id}{newline}data: {data}{newline}{newline}"
        b.add(block, ("completion", data, event_id))
        n += 1
    name = {"\n": "llm", "\r\n": "crlf", "\r": "cr"}[newline]
    ending = {"\n": "LF", "\r\n": "CR LF", "\r": "CR-only"}[newline]
    return b.build(name, f"event + id + ~200 B of chat-completion JSON, non-ASCII text, {ending}")


def _multiline(size: int) -> Workload:
    rng = random.Random(7)
    b = _Builder()
    words = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "élit")
    while b.size < size:
        lines = [" ".join(rng.choice(words) for _ in range(6)) for _ in range(10)]
        block = "".join(f"data: {line}\n" for line in lines) + "\n"
        b.add(block, ("message", "\n".join(lines), ""))
    return b.build("multiline", "ten data lines of ~40 B per event")


def _large(size: int) -> Workload:
    rng = random.Random(64)
    b = _Builder()
    # A 64 KiB line of base64, as LLM APIs send images or audio.
    raw_len = 64 * KiB * 3 // 4
    while b.size < size:
        data = base64.b64encode(rng.randbytes(raw_len)).decode()
        b.add(f"data: {data}\n\n", ("message", data, ""))
    return b.build("large", "one 64 KiB base64 data line per event")


_BUILDERS: dict[str, Callable[[int], Workload]] = {
    "tiny": _tiny,
    "llm": _llm,
    "multiline": _multiline,
    "large": _large,
    "crlf": lambda size: _llm(size, "\r\n"),
    "cr": lambda size: _llm(size, "\r"),
    "blank": _blank,
    "comments": _comments,
}


def make_workload(name: str, size: int) -> Workload:
    """Build the workload ``name`` of at least ``size`` bytes."""
    build = _BUILDERS.get(name)
    if build is None:
        raise ValueError(f"unknown workload {name!r}; choose from {', '.join(WORKLOAD_NAMES)}")
    return build(size)


def make_workloads(size: int, names: tuple[str, ...] = WORKLOAD_NAMES) -> list[Workload]:
    """Build each named workload at ``size`` bytes (at least)."""
    return [make_workload(name, size) for name in names]
