"""Generated streams: the corpus's rules all at once, through `ssec_proto.strategies`.

Hypothesis is imported only when this runs, so the rest of the kit works
without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._corpus import Case, Dispatched
from ._run import AdapterError, Chunking, Failure, check_chunking

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..strategies import Stream
    from ._run import Parser

__all__ = ["StreamsResult", "assert_streams", "check_streams"]

#: Generated streams per run, unless the caller asks for another number.
DEFAULT_EXAMPLES = 100

_INSTALL = "pip install 'ssec-proto[hypothesis]'"


@dataclass(frozen=True)
class StreamsResult:
    """How a parser did on generated streams.

    Attributes:
        examples: How many streams it was fed.
        failure: The smallest failing stream Hypothesis found, as a
            [`Failure`][ssec_proto.testing.Failure] of the pseudo-case
            `"generated/stream"`; `None` if every stream passed.
        skipped: Why no stream was generated (Hypothesis is missing), or
            `""`.
    """

    examples: int
    failure: Failure | None = None
    skipped: str = ""

    @property
    def passed(self) -> bool:
        """Whether streams were generated and all passed."""
        return self.failure is None and not self.skipped


class _Falsified(Exception):
    """This stream failed: Hypothesis looks for a smaller one."""


class _Abort(BaseException):
    """The adapter broke down: stop at once, without shrinking against it."""


def _case(stream: Stream) -> Case:
    return Case(
        name="generated/stream",
        section="Interpreting an event stream",
        spec="Every rule at once: a stream from ssec_proto.strategies.streams(), with the "
        "events a conforming parser makes of it.",
        input=stream.raw,
        events=tuple(Dispatched(e.event, e.data, e.id) for e in stream.events),
        last_event_id=stream.last_event_id,
        retry=stream.retry,
    )


def check_streams(
    factory: Callable[[], Parser], *, examples: int = DEFAULT_EXAMPLES, seed: int = 0
) -> StreamsResult:
    """Feed a parser generated streams, each cut into chunks the way a network might.

    The streams come from
    [`ssec_proto.strategies.chunked_streams()`][ssec_proto.strategies.chunked_streams]:
    every line ending, BOMs, comments, unknown and case-variant fields, IDs
    with NUL, invalid `retry` values, cut-off final events and invalid UTF-8,
    mixed. On a failure Hypothesis shrinks the stream to a small one that
    still fails. The same `seed` generates the same streams.

    Args:
        factory: Called for a new parser per stream.
        examples: How many streams to generate.
        seed: Seeds the generation.

    Returns:
        The [`StreamsResult`][ssec_proto.testing.StreamsResult]; `skipped`
        says so if Hypothesis is not installed.
    """
    try:
        import hypothesis  # noqa: PLC0415 - optional, and slow to import

        from ..strategies import chunked_streams  # noqa: PLC0415
    except ImportError as error:
        return StreamsResult(0, skipped=f"Hypothesis is not installed ({error}): {_INSTALL}")

    found: list[Failure] = []
    count = 0

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=(hypothesis.Phase.generate, hypothesis.Phase.shrink),
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(chunked_streams())
    def generated(sample: tuple[Stream, list[bytes]]) -> None:
        nonlocal count
        count += 1
        stream, chunks = sample
        chunking = Chunking("generated", tuple(chunks))
        case = _case(stream)
        try:
            failure, _ = check_chunking(factory, case, chunking)
        except AdapterError as error:
            found.append(Failure(case, chunking, (f"the adapter failed: {error}",), None))
            raise _Abort from None
        if failure is not None:
            found.append(failure)
            raise _Falsified

    try:
        generated()
    except (_Falsified, _Abort):
        # The last failure recorded is the one Hypothesis replayed last: the
        # smallest it found.
        return StreamsResult(count, found[-1])
    return StreamsResult(count)


def assert_streams(
    factory: Callable[[], Parser], *, examples: int = DEFAULT_EXAMPLES, seed: int = 0
) -> None:
    """Check a parser on generated streams.

    The streams are those of [`check_streams()`][ssec_proto.testing.check_streams].

    Args:
        factory: Called for a new parser per stream.
        examples: How many streams to generate.
        seed: Seeds the generation.

    Raises:
        AssertionError: If a stream fails; the message shows the smallest
            failing stream found, its chunks, and expected against got.
        ImportError: If Hypothesis is not installed.
    """
    result = check_streams(factory, examples=examples, seed=seed)
    if result.skipped:
        raise ImportError(result.skipped)
    if result.failure is not None:
        raise AssertionError(result.failure.describe())
