"""The whole run and its report: a table for a terminal, Markdown, or JSON."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._corpus import CORPUS_VERSION, Case
from ._corpus import cases as corpus_cases
from ._properties import DEFAULT_EXAMPLES, StreamsResult, check_streams
from ._run import (
    DEFAULT_RANDOM_CHUNKINGS,
    CaseResult,
    Failure,
    chunkings,
    parser_name,
    run_case,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._run import Parser

__all__ = ["Report", "assert_conforms", "run"]

#: After this many cases in a row whose adapter broke down, the rest are not run.
_GIVE_UP_AFTER = 3

_CHECKS = ("events", "last event ID", "reconnection time")


def _status(result: CaseResult) -> str:
    if result.passed:
        return "pass"
    return "FAIL" if result.failures else "not run"


def _chunkings(result: CaseResult) -> str:
    total = result.runs + result.skipped
    return str(total) if result.passed else f"{len(result.failures)} of {total} fail"


def _failure_json(failure: Failure) -> dict[str, Any]:
    case = failure.case
    return {
        "chunking": failure.chunking.label,
        "chunks": [base64.b64encode(chunk).decode("ascii") for chunk in failure.chunking.chunks],
        "problems": list(failure.problems),
        "expected": {
            "events": [e._asdict() for e in case.events],
            "last_event_id": case.last_event_id,
            "retry": case.retry,
        },
        "got": None if failure.events is None else [e._asdict() for e in failure.events],
    }


@dataclass(frozen=True)
class Report:
    """What a run found: a result per case, and the generated streams' result.

    `str(report)` is [`text()`][ssec_proto.testing.Report.text].

    Attributes:
        parser: The parser's name, as the report shows it.
        results: One [`CaseResult`][ssec_proto.testing.CaseResult] per
            case, in the corpus's order.
        streams: The generated streams' result, or `None` if none were
            asked for.
        corpus_version: The version of the corpus the cases came from.
    """

    parser: str
    results: tuple[CaseResult, ...]
    streams: StreamsResult | None = None
    corpus_version: int = CORPUS_VERSION

    @property
    def passed(self) -> bool:
        """Whether every case passed, and the generated streams if any were asked for."""
        streams_ok = self.streams is None or self.streams.failure is None
        return streams_ok and all(result.passed for result in self.results)

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        """The cases that failed or could not run."""
        return tuple(result for result in self.results if not result.passed)

    @property
    def checked(self) -> tuple[str, ...]:
        """What was checked: events, and the last event ID and reconnection time if shown."""
        seen = set().union(*(result.checked for result in self.results))
        return tuple(check for check in _CHECKS if check in seen or check == "events")

    def summary(self) -> str:
        """One line: how many cases passed, and how the generated streams did.

        Returns:
            The line, without a line feed.
        """
        total = len(self.results)
        line = f"{self.parser}: {total - len(self.failed)} of {total} cases pass"
        streams = self.streams
        if streams is None:
            return line + "."
        if streams.skipped:
            return f"{line}; generated streams skipped ({streams.skipped})."
        if streams.failure is not None:
            return f"{line}; a generated stream fails."
        return f"{line}; {streams.examples} generated streams pass."

    def _streams_row(self) -> tuple[str, str, str] | None:
        streams = self.streams
        if streams is None:
            return None
        status = "skipped" if streams.skipped else "FAIL" if streams.failure else "pass"
        return "generated streams", status, f"{streams.examples} streams"

    def _details(self) -> list[str]:
        details = [result.describe() for result in self.failed]
        if self.streams is not None and self.streams.failure is not None:
            details.append(self.streams.failure.describe())
        return details

    def text(self, *, every_case: bool = True) -> str:
        """The report for a terminal: a table, then each failure in full.

        Args:
            every_case: One row per case; with `False`, rows only for the
                cases that failed.

        Returns:
            Lines of text, ending with a line feed.
        """
        rows = [(r.case.name, _status(r), _chunkings(r)) for r in self.results]
        if not every_case:
            rows = [row for row in rows if row[1] != "pass"]
        streams = self._streams_row()
        if streams is not None:
            rows.append(streams)
        width = max([len("case"), *(len(name) for name, _, _ in rows)])
        lines = [
            f"ssec-proto conformance, corpus version {self.corpus_version}: {self.parser}",
            f"checked: {', '.join(self.checked)}",
            "",
            f"{'case':<{width}}  result   chunkings",
            *(f"{name:<{width}}  {status:<7}  {runs}" for name, status, runs in rows),
            "",
            self.summary(),
        ]
        for detail in self._details():
            lines += ["", detail]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.text()

    def markdown(self) -> str:
        """The report as Markdown: a table with a row per case, then each failure in full.

        Returns:
            The document, ending with a line feed.
        """
        lines = [
            f"# Conformance report: {self.parser}",
            "",
            f"ssec-proto conformance kit, corpus version {self.corpus_version}; "
            f"checked: {', '.join(self.checked)}.",
            "",
            "| Case | Result | Chunkings |",
            "|---|---|---|",
        ]
        lines += [f"| `{r.case.name}` | {_status(r)} | {_chunkings(r)} |" for r in self.results]
        streams = self._streams_row()
        if streams is not None:
            lines.append("| {} | {} | {} |".format(*streams))
        lines += ["", f"**{self.summary()}**"]
        details = self._details()
        if details:
            lines += ["", "## Failures"]
        for detail in details:
            lines += ["", f"### `{detail.split(' ', 1)[0]}`", "", "```text", detail, "```"]
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict; the chunks of a failure are in base64.

        Returns:
            A dict of JSON types only.
        """
        record: dict[str, Any] = {
            "parser": self.parser,
            "corpus_version": self.corpus_version,
            "passed": self.passed,
            "checked": list(self.checked),
            "summary": self.summary(),
            "cases": [
                {
                    "name": r.case.name,
                    "result": _status(r),
                    "chunkings": r.runs + r.skipped,
                    "failed_chunkings": [f.chunking.label for f in r.failures],
                    "skipped_chunkings": r.skipped,
                    "first_failure": _failure_json(r.failures[0]) if r.failures else None,
                }
                for r in self.results
            ],
            "streams": None,
        }
        if self.streams is not None:
            failure = self.streams.failure
            record["streams"] = {
                "examples": self.streams.examples,
                "skipped": self.streams.skipped,
                "failure": None if failure is None else _failure_json(failure),
            }
        return record


def run(
    factory: Callable[[], Parser],
    *,
    cases: Iterable[Case] | None = None,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    random_chunkings: int = DEFAULT_RANDOM_CHUNKINGS,
    name: str | None = None,
) -> Report:
    """Run a parser over the corpus, under every chunking, and over generated streams.

    Args:
        factory: Called for a new parser per stream: a class whose instances
            have `feed()`, or any callable returning a
            [`Parser`][ssec_proto.testing.Parser].
        cases: The cases to run (default: the whole corpus).
        examples: How many generated streams to feed it (`0`: none). They
            need Hypothesis; without it the report says they were skipped.
        seed: Seeds the random chunkings and the generated streams: the same
            seed runs the same checks.
        random_chunkings: Random chunkings per case, besides the systematic
            ones.
        name: The parser's name in the report (default: the factory's
            qualified name).

    Returns:
        The [`Report`][ssec_proto.testing.Report].
    """
    selected = tuple(corpus_cases() if cases is None else cases)
    results: list[CaseResult] = []
    broken = 0
    for case in selected:
        if broken >= _GIVE_UP_AFTER:
            # The adapter broke down case after case: the rest would only
            # wait for it again.
            skipped = len(chunkings(case, seed=seed, random_chunkings=random_chunkings))
            results.append(CaseResult(case, 0, (), skipped))
            continue
        result = run_case(factory, case, seed=seed, random_chunkings=random_chunkings)
        broken = broken + 1 if result.skipped else 0
        results.append(result)
    streams = None
    if examples:
        streams = check_streams(factory, examples=examples, seed=seed)
    return Report(name or parser_name(factory), tuple(results), streams)


def assert_conforms(
    factory: Callable[[], Parser],
    *,
    cases: Iterable[Case] | None = None,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    random_chunkings: int = DEFAULT_RANDOM_CHUNKINGS,
) -> Report:
    """Check a parser against the corpus and generated streams.

    The checks are those of [`run()`][ssec_proto.testing.run].

    Args:
        factory: Called for a new parser per stream.
        cases: The cases to run (default: the whole corpus).
        examples: How many generated streams to feed it (`0`: none).
        seed: Seeds the random chunkings and the generated streams.
        random_chunkings: Random chunkings per case.

    Returns:
        The [`Report`][ssec_proto.testing.Report], if everything passed.

    Raises:
        AssertionError: If anything failed; the message is the report's
            summary and failing rows, then each failure in full.
    """
    report = run(
        factory, cases=cases, examples=examples, seed=seed, random_chunkings=random_chunkings
    )
    if not report.passed:
        raise AssertionError(report.text(every_case=False))
    return report
