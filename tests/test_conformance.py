"""The conformance kit, ``ssec_proto.testing``: its corpus, its runs and its reports.

The corpus is checked against its JSON schema, and every case against both
decoders we trust: ``ssec_proto.Decoder`` and the spec-literal reference of
``tests/reference.py``. The kit itself is checked with small parsers that
get one thing wrong each, and with adapter processes that misbehave.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from typing import TYPE_CHECKING, Any

import pytest

from ssec_proto import Decoder, Event
from ssec_proto.testing import (
    CORPUS_VERSION,
    AdapterError,
    AdapterProcess,
    Case,
    Chunking,
    Dispatched,
    Report,
    StreamsResult,
    assert_case,
    assert_conforms,
    assert_streams,
    cases,
    check_streams,
    chunkings,
    normalize,
    run,
    run_case,
)
from ssec_proto.testing import _report as report_module

from . import reference
from .test_import import _new_modules

if TYPE_CHECKING:
    from collections.abc import Iterator

CORPUS = resources.files("ssec_proto.testing")


# --- the corpus ------------------------------------------------------------------------------


def _validate(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str) -> list[str]:
    """The JSON Schema keywords that cases.schema.json uses, checked; the errors found."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return _validate(value, root["$defs"][name], root, where)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not _validate(value, s, root, where)]
        return [] if len(matches) == 1 else [f"{where}: matches {len(matches)} of oneOf"]
    kinds = schema.get("type")
    if kinds is not None:
        names: dict[str, type] = {"object": dict, "array": list, "string": str, "null": type(None)}
        allowed = [kinds] if isinstance(kinds, str) else kinds
        ok = any(
            (isinstance(value, int) and not isinstance(value, bool))
            if kind == "integer"
            else isinstance(value, names[kind])
            for kind in allowed
        )
        if not ok:
            return [f"{where}: {value!r} is not {kinds}"]
    errors = []
    if isinstance(value, dict):
        errors += [f"{where}: no {key!r}" for key in schema.get("required", ()) if key not in value]
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                errors += _validate(item, properties[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected {key!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: too few items")
        for n, item in enumerate(value):
            errors += _validate(item, schema.get("items", {}), root, f"{where}[{n}]")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where}: too short")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int) and value < schema.get("minimum", value):
        errors.append(f"{where}: {value} is below the minimum")
    return errors


def _load(name: str) -> Any:
    return json.loads(CORPUS.joinpath(name).read_text(encoding="utf-8"))


def test_the_corpus_matches_its_schema() -> None:
    schema = _load("cases.schema.json")
    assert _validate(_load("cases.json"), schema, schema, "corpus") == []


def test_the_schema_check_finds_errors() -> None:
    schema = _load("cases.schema.json")
    corpus = _load("cases.json")
    case = corpus["cases"][0]
    case |= {"name": "Bad Name", "input": [{"hex": "zz"}, 5], "retry": -1, "extra": True}
    del case["spec"]
    case["events"][0]["type"] = ""
    errors = _validate(corpus, schema, schema, "corpus")
    for expected in ("does not match", "oneOf", "no 'spec'", "unexpected 'extra'", "below the"):
        assert any(expected in error for error in errors), expected
    assert any("too short" in error for error in errors)
    assert _validate({"cases": []}, schema, schema, "c") == [
        "c: no 'version'",
        "c: no 'spec'",
        "c.cases: too few items",
    ]


def test_the_corpus_is_what_the_package_loads() -> None:
    corpus = _load("cases.json")
    assert corpus["version"] == CORPUS_VERSION == 1
    assert [case.name for case in cases()] == [record["name"] for record in corpus["cases"]]
    assert len({case.name for case in cases()}) == len(cases()) >= 100


def test_every_rule_has_its_cases() -> None:
    groups = {case.name.split("/")[0] for case in cases()}
    assert groups == {
        "line-endings",
        "bom",
        "field",
        "comment",
        "data",
        "event",
        "id",
        "retry",
        "dispatch",
        "utf-8",
        "example",
    }
    # The case's own chunkings stay inside the input.
    for case in cases():
        assert list(case.cuts) == sorted(case.cuts)
        assert all(0 <= cut <= len(case.input) for cut in case.cuts), case.name


def test_choices_the_spec_leaves_open_say_so() -> None:
    (case,) = cases("retry/empty-value-is-ignored")
    assert "ssec-proto" in case.note
    assert "spec-compliance" in case.note


def test_cases_by_pattern() -> None:
    assert {case.name for case in cases("bom/stripped", "bom/split*")} == {
        "bom/stripped",
        "bom/split-across-chunks",
    }
    assert all(case.name.startswith("retry/") for case in cases("retry/*"))
    with pytest.raises(ValueError, match="no case matches 'bom/nope'"):
        cases("bom/*", "bom/nope")


def test_case_parts_are_bytes() -> None:
    (case,) = cases("bom/inside-a-value-is-kept")
    assert case.input == b"data: \xef\xbb\xbfa\n\n"
    assert str(case) == case.name
    assert case.events == (Dispatched("message", "\ufeffa", ""),)


# --- our decoders pass every case -------------------------------------------------------------


class Reference:
    """tests/reference.py, the spec-literal oracle, behind the kit's parser interface."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[Event]:
        self.chunks.append(data)
        return []

    def end(self) -> list[Event]:
        result = reference.decode(b"".join(self.chunks))
        self.last_event_id, self.retry = result.last_event_id, result.retry
        return result.events


@pytest.mark.parametrize("case", cases(), ids=str)
def test_the_decoder_passes(case: Case) -> None:
    assert_case(Decoder, case)


@pytest.mark.parametrize("case", cases(), ids=str)
def test_the_reference_passes(case: Case) -> None:
    assert_case(Reference, case)


def test_the_decoder_and_the_reference_conform() -> None:
    for factory in (Decoder, Reference):
        report = assert_conforms(factory, examples=30)
        assert report.checked == ("events", "last event ID", "reconnection time")


# --- chunkings and normalising ----------------------------------------------------------------


def _case(raw: bytes, *events: Dispatched, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "name": "test/case",
        "section": "Interpreting an event stream",
        "spec": "A quote.",
        "input": raw,
        "events": events,
        "last_event_id": "",
        "retry": None,
    }
    return Case(**(values | fields))


def test_chunkings_are_every_split_once() -> None:
    case = _case(b"abcd", cuts=(1, 1))
    found = chunkings(case, random_chunkings=0)
    assert [c.label for c in found] == [
        "whole",
        "cut at 1, 1",
        "split at 1",
        "split at 2",
        "split at 3",
        "byte by byte",
    ]
    assert found[1].chunks == (b"a", b"", b"bcd")
    for chunking in chunkings(case, random_chunkings=20):
        assert b"".join(chunking.chunks) == b"abcd"


def test_random_chunkings_depend_on_the_seed_only() -> None:
    (case,) = cases("line-endings/mixed")
    first = chunkings(case, seed=1)
    assert first == chunkings(case, seed=1)
    assert first != chunkings(case, seed=2)
    assert sum(c.label.startswith("random") for c in first) <= 8
    assert chunkings(_case(b"ab"), random_chunkings=5) == (
        Chunking("whole", (b"ab",)),
        Chunking("split at 1", (b"a", b"b")),
    )


def test_a_chunking_shows_its_chunks() -> None:
    assert str(Chunking("split at 1", (b"a", b"\r"))) == "split at 1: b'a' | b'\\r'"
    many = str(Chunking("byte by byte", tuple(bytes([n]) for n in b"0123456789")))
    assert many == "byte by byte: " + " | ".join(repr(bytes([n])) for n in b"01234567") + (
        " | ... (10 chunks)"
    )


class Attributes:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def test_normalize_reads_any_event_shape() -> None:
    events = normalize(
        [
            Event(event="a", data="1", id="x"),
            {"type": None, "data": "2"},
            Attributes(event="", data="3", last_event_id=None),
            Attributes(type="b", data="4", lastEventId="y"),
            {"event": "c", "data": "5", "id": ""},
        ],
        last_event_id="before",
    )
    assert events == (
        Dispatched("a", "1", "x"),
        Dispatched("message", "2", "x"),
        Dispatched("message", "3", "x"),
        Dispatched("b", "4", "y"),
        Dispatched("c", "5", ""),
    )
    assert normalize([{"data": "d"}], "7") == (Dispatched("message", "d", "7"),)


# --- parsers that get one thing wrong ------------------------------------------------------


class Split:
    """Correct, but returns every event from end() only, and has no state."""

    def __init__(self) -> None:
        self.decoder = Decoder()
        self.events: list[Event] = []

    def feed(self, data: bytes) -> list[Event]:
        self.events += self.decoder.feed(data)
        return []

    def end(self) -> list[Event] | None:
        return self.events or None


class NoBom(Decoder):
    """Forgets to strip the BOM when it arrives in pieces."""

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        if bytes(data) == b"\xbb":
            raise ValueError("half a BOM")
        return super().feed(data)


class WrongRetry:
    """Right events, a reconnection time that moves when it should not."""

    def __init__(self) -> None:
        self.decoder = Decoder()
        self.retry = 3000

    def feed(self, data: bytes) -> list[Event]:
        events = self.decoder.feed(data)
        self.retry = (self.decoder.retry or 0) + 1
        return events


class NoneForNoId(Decoder):
    """Says None for an empty last event ID, which the kit reads as ""."""

    @property
    def last_event_id(self) -> str | None:  # type: ignore[override]
        return super().last_event_id or None


def test_a_parser_without_state_is_checked_on_events() -> None:
    result = run_case(Split, cases("id/sets-the-last-event-id")[0])
    assert result.passed
    assert result.checked == {"events"}
    assert result.describe() == ""


def test_a_failure_says_case_spec_chunking_expected_and_got() -> None:
    (case,) = cases("bom/split-across-chunks")
    result = run_case(NoBom, case)
    assert not result.passed
    assert [f.chunking.label for f in result.failures] == ["cut at 1, 2", "byte by byte"]
    text = result.describe()
    assert text.startswith("bom/split-across-chunks (Interpreting an event stream)\n")
    assert f'  spec: "{case.spec}"\n' in text
    assert "  chunking: cut at 1, 2: b'\\xef' | b'\\xbb' | b'\\xbfdata: a\\n\\n'\n" in text
    assert "  problem: raised ValueError: half a BOM\n" in text
    assert "  expected: 1 event; last event ID ''; reconnection time none set\n" in text
    assert "    type='message' data='a' id=''\n" in text
    assert "  got:" not in text  # it raised
    assert text.endswith(f"fails under 2 of {result.runs} chunkings: cut at 1, 2; byte by byte")
    with pytest.raises(AssertionError, match="half a BOM"):
        assert_case(NoBom, case)


def test_wrong_state_is_reported() -> None:
    (unchanged,) = cases("retry/negative-is-ignored")
    result = run_case(WrongRetry, unchanged, random_chunkings=0)
    assert result.failures[0].problems == (
        "reconnection time: expected it unchanged (3000), got 1",
    )
    (empty,) = cases("retry/empty-value-is-ignored")
    assert f"\n  note: {empty.note}\n" in run_case(WrongRetry, empty).describe()
    (set_it,) = cases("retry/sets-the-reconnection-time")
    problems = run_case(WrongRetry, set_it).failures[0].problems
    assert problems == ("reconnection time: expected 1000, got 1001",)
    (last_id,) = cases("id/sets-the-last-event-id")
    assert run_case(NoneForNoId, last_id).passed
    (reset,) = cases("id/empty-value-resets-it")
    assert run_case(NoneForNoId, reset).passed

    class WrongId(Decoder):
        last_event_id = "7"

    problems = run_case(WrongId, reset).failures[0].problems
    assert problems == ("last event ID: expected '', got '7'",)


def test_a_missing_initial_retry_counts_as_none() -> None:
    class LateRetry(Split):
        """Has a reconnection time only once fed."""

        fed = False

        def feed(self, data: bytes) -> list[Event]:
            self.fed = True
            return super().feed(data)

        def __getattr__(self, name: str) -> Any:
            if name == "retry" and self.fed:
                return self.decoder.retry
            raise AttributeError(name)

    (case,) = cases("retry/negative-is-ignored")
    result = run_case(LateRetry, case)
    assert result.passed
    assert "reconnection time" in result.checked


def test_events_that_differ_are_shown() -> None:
    (case,) = cases("dispatch/unterminated-last-event-is-discarded")

    class Eager(Split):
        def end(self) -> list[Event]:
            return [*self.events, Event(data="b")]

    result = run_case(Eager, case)
    text = result.failures[0].describe()
    assert "  problem: the events differ\n" in text
    assert text.endswith(
        "  got: 2 events\n    type='message' data='a' id=''\n    type='message' data='b' id=''"
    )
    assert result.describe().endswith("; ...")  # more failing chunkings than shown


# --- reports ---------------------------------------------------------------------------------


def test_report_of_a_passing_run() -> None:
    report = run(Decoder, cases=cases("bom/*"), examples=5)
    assert report.passed
    assert report.failed == ()
    assert report.summary() == "ssec_proto.Decoder: 8 of 8 cases pass; 5 generated streams pass."
    text = report.text()
    assert str(report) == text
    assert text.startswith(
        "ssec-proto conformance, corpus version 1: ssec_proto.Decoder\n"
        "checked: events, last event ID, reconnection time\n\n"
        "case                                     result   chunkings\n"
        "bom/stripped                             pass     21\n"
    )
    assert "generated streams                        pass     5 streams\n" in text
    markdown = report.markdown()
    assert "| `bom/stripped` | pass | 21 |\n" in markdown
    assert "| generated streams | pass | 5 streams |\n" in markdown
    assert "## Failures" not in markdown
    record = report.to_json()
    assert record["passed"] is True
    assert record["cases"][0] == {
        "name": "bom/stripped",
        "result": "pass",
        "chunkings": 21,
        "failed_chunkings": [],
        "skipped_chunkings": 0,
        "first_failure": None,
    }
    assert record["streams"] == {"examples": 5, "skipped": "", "failure": None}
    json.dumps(record)


def test_report_of_a_failing_run() -> None:
    selected = cases("bom/split-across-chunks", "data/*")
    report = run(NoBom, cases=selected, examples=0, name="no-bom")
    assert not report.passed
    assert report.streams is None
    assert [r.case.name for r in report.failed] == ["bom/split-across-chunks"]
    assert report.summary() == "no-bom: 7 of 8 cases pass."
    short = report.text(every_case=False)
    assert "bom/stripped " not in short
    assert "bom/split-across-chunks  FAIL     2 of 22 fail\n" in short
    assert "\n\nbom/split-across-chunks (Interpreting" in short
    markdown = report.markdown()
    assert "## Failures\n\n### `bom/split-across-chunks`\n\n```text\n" in markdown
    record = report.to_json()
    failure = record["cases"][0]["first_failure"]
    assert failure["chunking"] == "cut at 1, 2"
    assert failure["chunks"] == ["7w==", "uw==", "v2RhdGE6IGEKCg=="]
    assert failure["got"] is None
    assert failure["expected"]["events"] == [{"type": "message", "data": "a", "id": ""}]
    with pytest.raises(AssertionError, match=r"no-bom|NoBom"):
        assert_conforms(NoBom, cases=selected, examples=0)


def test_report_with_a_failing_stream() -> None:
    report = Report(
        "p",
        (),
        StreamsResult(3, run_case(NoBom, cases("bom/alone")[0]).failures[0]),
    )
    assert report.summary() == "p: 0 of 0 cases pass; a generated stream fails."
    assert "generated streams  FAIL     3 streams" in report.text()
    assert report.to_json()["streams"]["failure"]["chunking"] == "cut at 1, 2"
    assert "### `bom/alone`" in report.markdown()
    skipped = Report("p", (), StreamsResult(0, skipped="no Hypothesis"))
    assert skipped.summary() == "p: 0 of 0 cases pass; generated streams skipped (no Hypothesis)."
    assert "generated streams  skipped  0 streams" in skipped.text()
    assert skipped.passed  # the cases that ran passed; the report says what did not run


def test_a_parser_name_without_a_qualified_name() -> None:
    class Factory:
        def __call__(self) -> Decoder:
            return Decoder()

        def __str__(self) -> str:
            return "my factory"

    assert run(Factory(), cases=cases("bom/stripped"), examples=0).parser == "my factory"


# --- generated streams --------------------------------------------------------------------


def test_generated_streams_shrink_to_a_small_failure() -> None:
    class CrBlind(Split):
        """Turns CR into a space: wrong whenever a CR ends a line."""

        def feed(self, data: bytes) -> list[Event]:
            return super().feed(data.replace(b"\r", b" "))

    result = check_streams(CrBlind, examples=200, seed=1)
    assert not result.passed
    assert result.failure is not None
    assert result.failure.case.name == "generated/stream"
    assert b"\r" in result.failure.case.input
    assert len(result.failure.case.input) < 30  # shrunk
    with pytest.raises(AssertionError, match="generated/stream"):
        assert_streams(CrBlind, examples=200, seed=1)
    assert_streams(Decoder, examples=10)


def test_generated_streams_stop_when_the_adapter_breaks() -> None:
    calls = []

    def broken() -> Decoder:
        calls.append(1)
        raise AdapterError("it hung")

    result = check_streams(broken, examples=50)
    assert result.failure is not None
    assert result.failure.problems == ("the adapter failed: it hung",)
    assert len(calls) == 1  # no shrinking against a broken adapter


def test_generated_streams_without_hypothesis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    result = check_streams(Decoder)
    assert result == StreamsResult(0, skipped=result.skipped)
    assert result.skipped.startswith("Hypothesis is not installed")
    assert "pip install 'ssec-proto[hypothesis]'" in result.skipped
    with pytest.raises(ImportError, match="Hypothesis is not installed"):
        assert_streams(Decoder)
    report = run(Decoder, cases=cases("bom/stripped"))
    assert report.streams is not None
    assert report.streams.skipped


def test_importing_the_kit_does_not_import_hypothesis() -> None:
    new = _new_modules("import ssec_proto.testing")
    assert "ssec_proto.testing" in new
    assert "hypothesis" not in {name.partition(".")[0] for name in new}
    assert not any(
        name.startswith("ssec_proto.testing") for name in _new_modules("import ssec_proto")
    )


# --- adapter processes -------------------------------------------------------------------------

#: A protocol adapter around ssec_proto.Decoder, in a few lines.
GOOD = """
import base64, json, sys
from ssec_proto import Decoder
parser = Decoder()
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "new":
        parser = Decoder()
        answer = {"retry": None}
    elif request["op"] == "feed":
        events = parser.feed(base64.b64decode(request["data"]))
        answer = {"events": [{"type": e.event, "data": e.data, "id": e.id} for e in events]}
    else:
        answer = {"last_event_id": parser.last_event_id, "retry": parser.retry}
    print(json.dumps(answer), flush=True)
"""


def _adapter(code: str, timeout: float = 5.0) -> AdapterProcess:
    return AdapterProcess([sys.executable, "-c", code], timeout=timeout)


@pytest.fixture
def good() -> Iterator[AdapterProcess]:
    with _adapter(GOOD) as adapter:
        yield adapter


def test_an_adapter_process_conforms(good: AdapterProcess) -> None:
    report = run(good, cases=cases("id/*", "retry/*"), examples=10)
    assert report.passed, report.text()
    assert report.parser == str(good)
    assert report.checked == ("events", "last event ID", "reconnection time")
    assert str(good).startswith(sys.executable)


def test_an_adapter_command_cannot_be_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        AdapterProcess([])


def test_an_adapter_that_cannot_start(tmp_path: Any) -> None:
    adapter = AdapterProcess([str(tmp_path / "missing")])
    with pytest.raises(FileNotFoundError):
        adapter.start()
    result = run_case(adapter, cases("bom/stripped")[0])
    assert result.failures[0].problems[0].startswith("the adapter failed: cannot run ")
    assert result.skipped == result.runs + result.skipped - 1


MISBEHAVING = {
    "hangs": ("import sys, time\nsys.stdin.readline()\ntime.sleep(60)", "no answer to 'new'"),
    "exits": ("import sys\nsys.exit(3)", "the adapter closed its stdout (it exited with status 3)"),
    "garbage": ("import sys\nfor line in sys.stdin: print('hello', flush=True)", "is not JSON"),
    "a list": ("import sys\nfor line in sys.stdin: print('[1]', flush=True)", "not an object"),
    "bad events": (
        "import sys\nfor line in sys.stdin: print('{\"events\": [1]}', flush=True)",
        "has no list of events",
    ),
}


@pytest.mark.parametrize("name", list(MISBEHAVING))
def test_a_misbehaving_adapter_fails_the_case(name: str) -> None:
    code, message = MISBEHAVING[name]
    with _adapter(code, timeout=0.5) as adapter:
        result = run_case(adapter, cases("bom/stripped")[0])
        assert not result.passed
        assert len(result.failures) == 1
        assert result.failures[0].problems[0].startswith("the adapter failed: ")
        assert message in result.failures[0].problems[0]
        assert result.skipped > 0
        assert f"{result.skipped} chunkings not run after the adapter failed" in (result.describe())


def test_an_adapter_that_reports_errors() -> None:
    code = 'import sys\nfor line in sys.stdin: print(\'{"error": "boom"}\', flush=True)'
    with _adapter(code) as adapter:
        result = run_case(adapter, cases("bom/stripped")[0], random_chunkings=0)
        # The channel works: every chunking ran, and each failed with the message.
        assert result.skipped == 0
        assert {f.problems for f in result.failures} == {("raised the adapter reported: boom",)}


def test_a_broken_adapter_is_replaced(good: AdapterProcess) -> None:
    good.start()
    first = good._child
    assert first is not None
    first.process.kill()
    first.process.wait()
    with pytest.raises(AdapterError, match=r"cannot write to the adapter|closed its stdout"):
        good()
    assert good._child is None
    assert run_case(good, cases("bom/stripped")[0]).passed  # a new process


def test_an_adapter_that_closes_stdout_but_runs_on() -> None:
    code = "import os, sys, time\nsys.stdin.readline()\nos.close(1)\ntime.sleep(60)"
    with _adapter(code) as adapter, pytest.raises(AdapterError, match=r"closed its stdout$"):
        adapter()


def test_after_three_broken_cases_the_rest_do_not_run() -> None:
    with _adapter("import sys\nsys.exit(1)") as adapter:
        report = run(adapter, cases=cases("bom/*"), examples=0)
    statuses = [report_module._status(r) for r in report.results]
    assert statuses == ["FAIL"] * 3 + ["not run"] * 5
    assert (
        report.results[3]
        .describe()
        .startswith("bom/later-in-the-stream-is-not-stripped: not run (")
    )
    assert report.to_json()["cases"][3]["result"] == "not run"
