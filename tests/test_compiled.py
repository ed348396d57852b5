"""The compiled decoder and the pure one as equals (issue 14).

test_decoder.py and test_encoder.py run every test against both (the
`implementation` fixture of conftest.py), and test_properties.py every
input it draws (its `on_both`). Here: which one is selected, and a
differential property that feeds the same bytes, cut the same random ways,
to the compiled decoder, the pure one (at small random route thresholds)
and the spec-literal reference, with and without limits and a comment
callback, and insists on the same events, errors, comments and state.

The same for `iter_feed()`: both decoders, fed the same way with random
early stops, hand out the same events with the same state after each, show
the same comments between them and raise the same errors.

`SSEC_PROTO_EXAMPLES` raises the example count (`.ci/run` and
`benchmarks/fuzz.py` use it to run the differential property long).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ssec_proto
from ssec_proto import LimitExceeded
from ssec_proto._decoder import Decoder as PureDecoder
from ssec_proto._decoder import Tuning
from ssec_proto._implementation import load
from ssec_proto.strategies import chunkings

from . import reference

try:
    from ssec_proto._cdecoder import Decoder as CompiledDecoder
except ImportError:  # pragma: no cover - where the extension is not built
    CompiledDecoder = None  # type: ignore[assignment,misc]
from .test_properties import any_bytes, limited_input, tunings
from .test_properties import calls as lazy_calls

EXAMPLES = int(os.environ.get("SSEC_PROTO_EXAMPLES", "300"))

needs_compiled = pytest.mark.skipif(
    CompiledDecoder is None, reason="the compiled decoder is not built here"
)


# --- Which decoder ssec_proto.Decoder is ---------------------------------------


def test_the_public_attribute_names_the_decoder_in_use() -> None:
    expected = PureDecoder if ssec_proto.DECODER_IMPLEMENTATION == "pure" else CompiledDecoder
    assert ssec_proto.Decoder is expected
    assert load() == (cast("Any", expected), ssec_proto.DECODER_IMPLEMENTATION)


@needs_compiled
def test_compiled_by_default_where_built(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "0"):
        monkeypatch.setenv("SSEC_PROTO_NO_EXTENSIONS", value)
        assert load() == (cast("Any", CompiledDecoder), "compiled")


def test_the_environment_variable_selects_the_pure_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSEC_PROTO_NO_EXTENSIONS", "1")
    assert load() == (PureDecoder, "pure")


def test_pure_where_the_extension_does_not_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSEC_PROTO_NO_EXTENSIONS", raising=False)
    monkeypatch.setitem(sys.modules, "ssec_proto._cdecoder", None)  # as if not built
    assert load() == (PureDecoder, "pure")


def test_a_fresh_interpreter_with_the_variable_uses_the_pure_decoder() -> None:
    code = (
        "import ssec_proto, ssec_proto._decoder as d; "
        "assert ssec_proto.Decoder is d.Decoder; print(ssec_proto.DECODER_IMPLEMENTATION)"
    )
    env = {**os.environ, "SSEC_PROTO_NO_EXTENSIONS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == "pure\n"


# --- The compiled decoder's own guards -------------------------------------------


@needs_compiled
def test_a_callback_that_feeds_its_own_decoder_is_refused() -> None:
    decoder: CompiledDecoder

    def on_comment(text: str) -> None:
        decoder.feed(b"data: again\n\n") if text == "feed" else decoder.reset()

    decoder = CompiledDecoder(on_comment=on_comment)
    with pytest.raises(RuntimeError, match="feed"):
        decoder.feed(b": feed\ndata: a\n\n")
    assert decoder.feed(b"") == [ssec_proto.Event(data="a")]
    with pytest.raises(RuntimeError, match="reset"):
        decoder.feed(b": reset\n")


@needs_compiled
def test_a_callback_that_iterates_its_own_decoder_is_refused() -> None:
    decoder: CompiledDecoder
    iterator: Any = None

    def on_comment(text: str) -> None:
        if text == "call":
            decoder.iter_feed(b"data: again\n\n")
        else:
            next(iterator)

    decoder = CompiledDecoder(on_comment=on_comment)
    # Refused like feed(): the RuntimeError is what on_comment raised, at the
    # end of the chunk, after its events.
    iterator = decoder.iter_feed(b": call\ndata: a\n\n: next\ndata: b\n\n")
    assert next(iterator) == ssec_proto.Event(data="a")
    assert next(iterator) == ssec_proto.Event(data="b")
    with pytest.raises(RuntimeError, match="iter_feed"):
        next(iterator)
    assert decoder.feed(b"data: c\n\n") == [ssec_proto.Event(data="c")]


@needs_compiled
def test_the_compiled_decoder_subclasses_like_the_pure_one() -> None:
    sub = type("Sub", (CompiledDecoder,), {"__slots__": ()})
    assert sub().feed(b"data: x\n\n") == [ssec_proto.Event(data="x")]


# --- Differential: compiled, pure and the reference agree ----------------------------


Outcome = tuple[list[tuple[Any, ...]], str, "int | None"]


def run(decoder: Any, chunks: list[bytes]) -> Outcome:
    """Feed every chunk, then b""; what came out of each call, and the end state."""
    calls: list[tuple[Any, ...]] = []
    for chunk in [*chunks, b""]:
        try:
            calls.append(("events", decoder.feed(chunk)))
        except LimitExceeded as exc:
            calls.append((type(exc).__name__, exc.limit, exc.events))
        except ValueError as exc:  # what on_comment raised
            calls.append(("comment error", exc.args))
    return calls, decoder.last_event_id, decoder.retry


limits: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [{}, {"max_line_size": 8, "max_event_size": 5}, {"max_event_size": 5}, {"max_line_size": 3}]
)


@needs_compiled
@settings(max_examples=EXAMPLES, deadline=None)
@given(st.data(), st.one_of(any_bytes, limited_input), tunings, limits, st.booleans())
def test_compiled_pure_and_reference_agree(
    data: st.DataObject, raw: bytes, tuning: Tuning, options: dict[str, Any], listening: bool
) -> None:
    chunks = data.draw(chunkings(raw), label="chunks")
    results: list[tuple[Outcome, list[str]]] = []
    for factory in (CompiledDecoder, _pure(tuning)):
        seen: list[str] = []

        def on_comment(text: str, seen: list[str] = seen) -> None:
            seen.append(text)
            if text == "x":
                raise ValueError(text)

        extra: dict[str, Any] = {"on_comment": on_comment} if listening else {}
        results.append((run(factory(**options, **extra), chunks), seen))
    assert results[0] == results[1]
    (calls, last_event_id, retry), seen = results[0]
    events = [
        event
        for call in calls
        if call[0] != "comment error"
        for event in (call[1] if call[0] == "events" else call[2])
    ]
    comments: list[str] = []
    expected = reference.decode_limited(raw, comments=comments, **options)
    assert (events, last_event_id, retry) == expected
    assert seen == (comments if listening else [])


def _pure(tuning: Tuning) -> type[PureDecoder]:
    """The pure decoder at the route thresholds of `tuning`."""
    return type("TunedPure", (PureDecoder,), {"_TUNING": tuning, "__slots__": ()})


@needs_compiled
@pytest.mark.parametrize("seed", range(4))
def test_long_lines_agree_with_the_pure_decoder(seed: int) -> None:
    # Lines of up to 300 KB, cut at random: the compiled decoder's buffers
    # grow, change roles (a long first data line becomes the data buffer)
    # and are given back, with the pure decoder's results throughout.
    rng = random.Random(seed)
    for _ in range(10):
        parts = []
        for _ in range(rng.randrange(1, 6)):
            size = rng.choice([10, 5000, 70000, 300000])
            # A random run of 997 bytes repeated: random cuts land anywhere in
            # a character, and building 300 KB a byte at a time took seconds.
            run_ = bytes(rng.choices(b"ab\xc3\xa9", k=997))
            body = (run_ * (size // 997 + 1))[:size]
            head = rng.choice([b"data: ", b"data:", b": ", b"id: "])
            parts.append(head + body + rng.choice([b"\n", b"\r\n", b"\n\n", b"\r"]))
        raw = b"".join(parts) + b"\n"
        cuts = sorted(rng.sample(range(len(raw)), min(len(raw), rng.randrange(1, 30))))
        chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        options: dict[str, Any] = rng.choice(
            [{}, {"max_line_size": 100000}, {"max_event_size": 200000}]
        )
        assert run(CompiledDecoder(**options), chunks) == run(PureDecoder(**options), chunks)


# --- Differential: iter_feed() of both decoders, step by step ----------------------


def run_lazily(decoder: Any, chunks: list[bytes], plan: list[Any], log: list[Any]) -> None:
    """Feed every chunk as `plan` says (see test_lazy.py's `calls`); log each step."""
    for chunk, how in zip([*chunks, b""], [*plan, None], strict=True):
        try:
            if how == "feed":
                log.append(("events", decoder.feed(chunk)))
            else:
                iterator = decoder.iter_feed(chunk)
                for handed, event in enumerate(iterator if how != 0 else (), 1):
                    # After each event: the state, and (in the log) the
                    # comments shown before it.
                    log.append(("event", event, decoder.last_event_id, decoder.retry))
                    if handed == how:
                        break
        except LimitExceeded as exc:
            log.append((type(exc).__name__, exc.limit, exc.events))
        except ValueError as exc:  # what on_comment raised
            log.append(("comment error", exc.args))
        log.append(("call", decoder.last_event_id, decoder.retry))


@needs_compiled
@settings(max_examples=EXAMPLES, deadline=None)
@given(st.data(), st.one_of(any_bytes, limited_input), tunings, limits, st.booleans())
def test_compiled_and_pure_iter_feed_agree_step_by_step(
    data: st.DataObject, raw: bytes, tuning: Tuning, options: dict[str, Any], listening: bool
) -> None:
    chunks = data.draw(chunkings(raw), label="chunks")
    plan = data.draw(st.lists(lazy_calls, min_size=len(chunks), max_size=len(chunks)), label="plan")
    logs: list[list[Any]] = []
    for factory in (CompiledDecoder, _pure(tuning)):
        log: list[Any] = []

        def on_comment(text: str, log: list[Any] = log) -> None:
            log.append(("comment", text))
            if text == "x":
                raise ValueError(text)

        extra: dict[str, Any] = {"on_comment": on_comment} if listening else {}
        run_lazily(factory(**options, **extra), chunks, plan, log)
        logs.append(log)
    assert logs[0] == logs[1]
