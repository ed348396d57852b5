"""Running one parser over one case: the chunkings, what the parser shows, the comparison."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ._corpus import Case, Dispatched

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "AdapterError",
    "CaseResult",
    "Chunking",
    "Failure",
    "Parser",
    "assert_case",
    "chunkings",
    "normalize",
    "run_case",
]

#: Chunkings at random offsets per case, unless the caller asks for another number.
DEFAULT_RANDOM_CHUNKINGS = 8

#: What a chunking shows of its chunks, at most, in a report.
_SHOWN_CHUNKS = 8

_MISSING: Any = object()


class Parser(Protocol):
    """What the kit drives: a parser for one stream. Only `feed()` is required.

    The kit calls a factory (a class, or any callable) for a new parser per
    stream, feeds it the stream's bytes chunk by chunk, and then looks for the
    optional members below. What a parser does not have is not checked.

    - `end() -> Iterable[object] | None`: the stream has ended; it returns
      any events the parser dispatches then (a conforming parser dispatches
      none: an event without its blank line is discarded).
    - `last_event_id`: the last event ID string after the stream (`None`
      counts as `""`).
    - `retry`: the reconnection time in milliseconds. It is read once
      before the first chunk and once after the end: a stream that sets
      none must leave it as it was.

    Events may be [`ssec_proto.Event`][ssec_proto.Event] values, mappings or
    any objects with the attributes the kit looks for; see
    [`normalize()`][ssec_proto.testing.normalize].
    """

    def feed(self, data: bytes, /) -> Iterable[Any]:
        """Consume the next chunk of the stream; return the events it completes."""
        ...


class AdapterError(Exception):
    """The adapter between the kit and a parser broke down, not the parser.

    Raise it from a parser adapter when the channel to the parser failed (a
    process that hung, died, or answered something unreadable): the kit then
    records the failure and skips the case's remaining chunkings, instead of
    repeating them against a broken channel.
    """


class _Reported(Exception):
    """An error that the parser reported itself, shown as it is."""


class Chunking(NamedTuple):
    """One way to deliver a case's bytes: the chunks, and a label for reports.

    Attributes:
        label: How the chunks were made: `"whole"`, `"byte by byte"`,
            `"split at 8"`, the case's own `"cut at 1, 2"`, or
            `"random 3 (seed 0)"`.
        chunks: The chunks, in order; they join to the case's input.
    """

    label: str
    chunks: tuple[bytes, ...]

    def __str__(self) -> str:
        shown = " | ".join(repr(chunk) for chunk in self.chunks[:_SHOWN_CHUNKS])
        if len(self.chunks) > _SHOWN_CHUNKS:
            shown += f" | ... ({len(self.chunks)} chunks)"
        return f"{self.label}: {shown}"


def chunkings(
    case: Case, *, seed: int = 0, random_chunkings: int = DEFAULT_RANDOM_CHUNKINGS
) -> tuple[Chunking, ...]:
    """Every chunking the kit runs a case under, each once.

    The whole input in one chunk; the case's own chunking, if it has one;
    every split into two chunks; one byte at a time; and `random_chunkings`
    chunkings cut at random offsets, the same ones for the same `seed` and
    case. Chunkings that give the same chunks are run once, under the first
    label.

    Args:
        case: The case.
        seed: Seeds the random chunkings.
        random_chunkings: How many random chunkings to add.

    Returns:
        The chunkings, in the order above.
    """
    data = case.input
    size = len(data)
    found: dict[tuple[bytes, ...], str] = {}

    def add(label: str, bounds: Iterable[int]) -> None:
        found.setdefault(tuple(data[a:b] for a, b in pairwise(bounds)), label)

    add("whole", (0, size))
    if case.cuts:
        add("cut at " + ", ".join(map(str, case.cuts)), (0, *case.cuts, size))
    for offset in range(1, size):
        add(f"split at {offset}", (0, offset, size))
    add("byte by byte", range(size + 1))
    # A string seed is hashed the same way on every run and platform.
    rng = random.Random(f"{seed}/{case.name}")
    for n in range(random_chunkings if size > 2 else 0):
        cuts = sorted(rng.sample(range(1, size), rng.randint(2, min(size - 1, 8))))
        add(f"random {n + 1} (seed {seed})", (0, *cuts, size))
    return tuple(Chunking(label, chunks) for chunks, label in found.items())


def _field(item: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        if isinstance(item, Mapping):
            if name in item:
                return item[name]
        elif hasattr(item, name):
            return getattr(item, name)
    return None


def normalize(items: Iterable[Any], last_event_id: str = "") -> tuple[Dispatched, ...]:
    """Turn a parser's events into [`Dispatched`][ssec_proto.testing.Dispatched] values.

    Each event may be an object or a mapping. The kit reads

    - the type from `type` or else `event`; `None` or `""` stand for
      `"message"`, as the spec dispatches a block without a type;
    - the data from `data`;
    - the last event ID from `last_event_id`, `lastEventId` or else `id`.
      `None` means the block set no ID: the event carries the one before
      it, as `MessageEvent.lastEventId` does.

    Args:
        items: The events, in the order the parser dispatched them.
        last_event_id: The last event ID before the first of them.

    Returns:
        The events, normalised.
    """
    events = []
    for item in items:
        event_type = _field(item, ("type", "event"))
        event_id = _field(item, ("last_event_id", "lastEventId", "id"))
        if event_id is not None:
            last_event_id = event_id
        events.append(Dispatched(event_type or "message", _field(item, ("data",)), last_event_id))
    return tuple(events)


class _Seen(NamedTuple):
    """What a parser showed for one stream; `_MISSING` where it has no such member."""

    events: tuple[Dispatched, ...]
    last_event_id: Any
    retry: Any
    initial_retry: Any


def _observe(factory: Callable[[], Parser], chunks: Iterable[bytes]) -> _Seen:
    parser = factory()
    initial_retry = getattr(parser, "retry", _MISSING)
    items: list[Any] = []
    for chunk in chunks:
        items.extend(parser.feed(chunk))
    end = getattr(parser, "end", None)
    if end is not None:
        items.extend(end() or ())
    return _Seen(
        normalize(items),
        getattr(parser, "last_event_id", _MISSING),
        getattr(parser, "retry", _MISSING),
        initial_retry,
    )


def _compare(case: Case, seen: _Seen) -> list[str]:
    problems = []
    if seen.events != case.events:
        problems.append("the events differ")
    if seen.last_event_id is not _MISSING:
        # "A last event ID string. This must initially be the empty string."
        got = "" if seen.last_event_id is None else seen.last_event_id
        if got != case.last_event_id:
            problems.append(f"last event ID: expected {case.last_event_id!r}, got {got!r}")
    if seen.retry is not _MISSING:
        if case.retry is not None:
            if seen.retry != case.retry:
                problems.append(f"reconnection time: expected {case.retry}, got {seen.retry!r}")
        else:
            # The stream sets none: the initial value is the parser's own
            # ("implementation-defined, probably in the region of a few
            # seconds") and must stay.
            initial = None if seen.initial_retry is _MISSING else seen.initial_retry
            if seen.retry != initial:
                problems.append(
                    f"reconnection time: expected it unchanged ({initial!r}), got {seen.retry!r}"
                )
    return problems


def _checked(seen: _Seen) -> frozenset[str]:
    checked = {"events"}
    if seen.last_event_id is not _MISSING:
        checked.add("last event ID")
    if seen.retry is not _MISSING:
        checked.add("reconnection time")
    return frozenset(checked)


def _events_text(events: tuple[Dispatched, ...]) -> list[str]:
    noun = "event" if len(events) == 1 else "events"
    lines = [f"{len(events)} {noun}"]
    lines += [f"    type={e.type!r} data={e.data!r} id={e.id!r}" for e in events]
    return lines


@dataclass(frozen=True)
class Failure:
    """A case that a parser got wrong under one chunking.

    Attributes:
        case: The case.
        chunking: The chunking it failed under.
        problems: What was wrong, one line each: `"the events differ"`,
            a wrong last event ID or reconnection time, or the error the
            parser raised.
        events: The events the parser dispatched; `None` if it raised.
    """

    case: Case
    chunking: Chunking
    problems: tuple[str, ...]
    events: tuple[Dispatched, ...] | None

    def describe(self) -> str:
        """A readable account: the case, the spec's words, the chunking, expected against got.

        Returns:
            Several lines of text, without a final line feed.
        """
        case = self.case
        lines = [f"{case.name} ({case.section})", f'  spec: "{case.spec}"']
        if case.note:
            lines.append(f"  note: {case.note}")
        lines.append(f"  input: {case.input!r}")
        lines.append(f"  chunking: {self.chunking}")
        lines += [f"  problem: {problem}" for problem in self.problems]
        expected = _events_text(case.events)
        retry = "none set" if case.retry is None else f"{case.retry} ms"
        lines.append(
            f"  expected: {expected[0]}; last event ID {case.last_event_id!r}; "
            f"reconnection time {retry}"
        )
        lines += expected[1:]
        if self.events is not None:
            got = _events_text(self.events)
            lines.append(f"  got: {got[0]}")
            lines += got[1:]
        return "\n".join(lines)


@dataclass(frozen=True)
class CaseResult:
    """How a parser did on one case, under every chunking.

    Attributes:
        case: The case.
        runs: How many chunkings ran.
        failures: One per chunking the parser got wrong, in the order run.
        skipped: Chunkings not run, because the adapter broke down (see
            [`AdapterError`][ssec_proto.testing.AdapterError]).
        checked: What could be checked: `"events"` always, `"last event
            ID"` and `"reconnection time"` if the parser has them.
    """

    case: Case
    runs: int
    failures: tuple[Failure, ...]
    skipped: int = 0
    checked: frozenset[str] = frozenset({"events"})

    @property
    def passed(self) -> bool:
        """Whether every chunking ran and passed."""
        return not self.failures and not self.skipped

    def describe(self) -> str:
        """The first failure in full, and under which chunkings the case failed.

        Returns:
            Several lines of text (empty if the case passed).
        """
        if self.passed:
            return ""
        if not self.failures:
            return f"{self.case.name}: not run ({self.skipped} chunkings skipped)"
        lines = [self.failures[0].describe()]
        labels = "; ".join(f.chunking.label for f in self.failures[:_SHOWN_CHUNKS])
        if len(self.failures) > _SHOWN_CHUNKS:
            labels += "; ..."
        total = self.runs + self.skipped
        lines.append(f"  fails under {len(self.failures)} of {total} chunkings: {labels}")
        if self.skipped:
            lines.append(f"  {self.skipped} chunkings not run after the adapter failed")
        return "\n".join(lines)


def _exception_text(error: Exception) -> str:
    return str(error) if isinstance(error, _Reported) else f"{type(error).__name__}: {error}"


def check_chunking(
    factory: Callable[[], Parser], case: Case, chunking: Chunking
) -> tuple[Failure | None, frozenset[str]]:
    """Run one case under one chunking; return the failure, if any, and what was checked.

    [`AdapterError`][ssec_proto.testing.AdapterError] propagates; any other
    exception the parser raises is a failure.
    """
    try:
        seen = _observe(factory, chunking.chunks)
    except AdapterError:
        raise
    except Exception as error:
        return Failure(case, chunking, (f"raised {_exception_text(error)}",), None), frozenset()
    problems = _compare(case, seen)
    failure = Failure(case, chunking, tuple(problems), seen.events) if problems else None
    return failure, _checked(seen)


def run_case(
    factory: Callable[[], Parser],
    case: Case,
    *,
    seed: int = 0,
    random_chunkings: int = DEFAULT_RANDOM_CHUNKINGS,
) -> CaseResult:
    """Run a parser over one case, under each of [`chunkings()`][ssec_proto.testing.chunkings].

    Args:
        factory: Called for a new parser per chunking (a class, or any
            callable returning a [`Parser`][ssec_proto.testing.Parser]).
        case: The case.
        seed: Seeds the random chunkings.
        random_chunkings: How many random chunkings to run.

    Returns:
        The [`CaseResult`][ssec_proto.testing.CaseResult].
    """
    every = chunkings(case, seed=seed, random_chunkings=random_chunkings)
    failures = []
    checked: frozenset[str] = frozenset({"events"})
    runs = 0
    for chunking in every:
        runs += 1
        try:
            failure, seen = check_chunking(factory, case, chunking)
        except AdapterError as error:
            failures.append(Failure(case, chunking, (f"the adapter failed: {error}",), None))
            break
        checked |= seen
        if failure is not None:
            failures.append(failure)
    return CaseResult(case, runs, tuple(failures), len(every) - runs, checked)


def assert_case(
    factory: Callable[[], Parser],
    case: Case,
    *,
    seed: int = 0,
    random_chunkings: int = DEFAULT_RANDOM_CHUNKINGS,
) -> None:
    """Check a parser against one case, under every chunking; made for `pytest.mark.parametrize`.

    Args:
        factory: Called for a new parser per chunking.
        case: The case.
        seed: Seeds the random chunkings.
        random_chunkings: How many random chunkings to run.

    Raises:
        AssertionError: If the parser fails the case under any chunking; the
            message names the case, quotes the spec, and shows the first
            failing chunking with the expected events against the parser's.
    """
    result = run_case(factory, case, seed=seed, random_chunkings=random_chunkings)
    if not result.passed:
        raise AssertionError(result.describe())


def parser_name(factory: object) -> str:
    """How reports name a parser: `module.QualifiedName` for a class or function."""
    qualname = getattr(factory, "__qualname__", None)
    if qualname is None:
        return str(factory)
    return f"{getattr(factory, '__module__', '?')}.{qualname}"
