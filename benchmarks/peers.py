"""The decoders under test: ssec_proto, its peers on PyPI, and hand-specialised floors.

Each target is driven the way its own users drive it, fed from in-memory
chunks instead of a socket (no network, no threads). Every target provides

* ``drive(chunks) -> int``: decode the whole stream, iterating over every
  event as a consumer would, and return how many there were. This is what
  the benchmark times.
* ``collect(chunks) -> list[(type, data, last_event_id)]``: the same run,
  with the events normalised for the correctness gate. Types default to
  ``"message"``; the ID is the *last event ID* (it persists across events,
  as ``MessageEvent.lastEventId`` does in browsers).

The ``adapt_*`` functions below are ``collect`` for each peer.

A peer whose package is missing is reported as "not installed" rather than
failing the run, so the harness also works with only ``.[dev]`` installed.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssec_proto import DECODER_IMPLEMENTATION, Decoder, Event
from ssec_proto._decoder import Decoder as PureDecoder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "Expected",
    "Target",
    "adapt_aiohttp_sse_client2",
    "adapt_anthropic",
    "adapt_httpx_sse",
    "adapt_launchdarkly_eventsource",
    "adapt_openai",
    "adapt_requests_sse",
    "adapt_ssec_proto",
    "adapt_sseclient_py",
    "baseline_target",
    "load_targets",
    "physical_floor",
]

Expected = tuple[str, str, str]
Chunks = list[bytes]

_URL = "http://127.0.0.1:8000/stream"
_SSE_HEADERS = {"content-type": "text/event-stream"}


@dataclass(frozen=True)
class Target:
    """One decoder under test.

    Attributes:
        name: Name in the report (the PyPI distribution name for peers).
        kind: ``"ours"``, ``"baseline"`` (ours at an earlier commit), ``"pure"``
            (the pure-Python decoder, when ours is the compiled one), ``"peer"``,
            ``"floor"`` (specialised code for one stream shape) or ``"physical"``
            (the physical floor: lines located and decoded, no events; see
            :func:`physical_floor`).
        version: Installed version (``"-"`` for code in this directory).
        how: One line on how the harness drives it.
        drive: Decode all chunks, iterate over every event, return the count.
        collect: Decode all chunks, return the normalised events.
        workloads: Workloads it applies to (``None``: all). Floors are
            specialised for one stream shape.
        known_issues: Per workload, the cause of wrong output found by
            reading the code, shown next to the measured difference when the
            correctness gate fails.
        memory_drive: As ``drive``, for the peak-memory measurement, where
            the target has a way to hand out events one at a time that
            ``drive`` does not use (ssec_proto's ``Decoder.iter_feed``);
            ``None``: ``drive``.
    """

    name: str
    kind: str
    version: str
    how: str
    drive: Callable[[Chunks], int]
    collect: Callable[[Chunks], list[Expected]]
    workloads: frozenset[str] | None = None
    known_issues: dict[str, str] = field(default_factory=dict)
    memory_drive: Callable[[Chunks], int] | None = None

    def applies_to(self, workload: str) -> bool:
        """Whether this target runs on ``workload`` at all."""
        return self.workloads is None or workload in self.workloads

    @property
    def yields_events(self) -> bool:
        """Whether ``drive`` counts events (the physical floor counts lines).

        A target that yields none is neither gated for correctness nor checked
        for its count when timed.
        """
        return self.kind != "physical"


def _count(events: Iterable[object]) -> int:
    n = 0
    for _ in events:
        n += 1
    return n


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _persisting_ids(triples: Iterable[tuple[str | None, str, str | None]]) -> list[Expected]:
    """Normalise ``(type, data, id-of-this-block-or-None)`` to last-event-ID form."""
    out: list[Expected] = []
    last = ""
    for event_type, data, event_id in triples:
        if event_id is not None:
            last = event_id
        out.append((event_type or "message", data, last))
    return out


# --- ssec_proto --------------------------------------------------------------------


def _ssec_drive(chunks: Chunks, decoder_class: Callable[[], Any] = Decoder) -> int:
    feed = decoder_class().feed
    n = 0
    for chunk in chunks:
        for _ in feed(chunk):
            n += 1
    return n


def _ssec_drive_lazily(chunks: Chunks, decoder_class: Callable[[], Any] = Decoder) -> int:
    """As `_ssec_drive`, through ``Decoder.iter_feed``: a chunk's events one at a time."""
    iter_feed = decoder_class().iter_feed
    n = 0
    for chunk in chunks:
        for _ in iter_feed(chunk):
            n += 1
    return n


def adapt_ssec_proto(chunks: Chunks, decoder_class: Callable[[], Any] = Decoder) -> list[Expected]:
    """``Decoder().feed(chunk)`` for every chunk."""
    decoder = decoder_class()
    return [(e.event, e.data, e.id) for chunk in chunks for e in decoder.feed(chunk)]


def baseline_target(module: Any, name: str) -> Target:
    """The decoder of an earlier commit (see benchmarks.baseline), as a target."""
    decoder_class = module.Decoder
    return Target(
        name=name,
        kind="baseline",
        version=module.__version__,
        how="the same, at that commit",
        drive=lambda chunks: _ssec_drive(chunks, decoder_class),
        collect=lambda chunks: adapt_ssec_proto(chunks, decoder_class),
    )


# --- httpx-sse ---------------------------------------------------------------------


def _httpx_sse_events(chunks: Chunks) -> Iterator[Any]:
    import httpx
    from httpx_sse import EventSource

    # What connect_sse() hands its caller: an httpx.Response whose body is
    # streamed; iter_sse() reads it through Response.iter_text().
    response = httpx.Response(200, headers=_SSE_HEADERS, content=iter(chunks))
    events: Iterator[Any] = EventSource(response).iter_sse()
    return events


def adapt_httpx_sse(chunks: Chunks) -> list[Expected]:
    """``EventSource(httpx.Response(...)).iter_sse()``."""
    return [(e.event, e.data, e.id) for e in _httpx_sse_events(chunks)]


# --- sseclient-py ------------------------------------------------------------------


def _sseclient_events(chunks: Chunks) -> Iterator[Any]:
    from sseclient import SSEClient

    # SSEClient iterates its "event source" for byte chunks: usually a
    # requests or urllib3 response, here an iterator over the list.
    events: Iterator[Any] = SSEClient(iter(chunks)).events()
    return events


def adapt_sseclient_py(chunks: Chunks) -> list[Expected]:
    """``SSEClient(chunks).events()``; ``Event.id`` is per block, so IDs are carried."""
    return _persisting_ids((e.event, e.data, e.id) for e in _sseclient_events(chunks))


# --- launchdarkly-eventsource ------------------------------------------------------


def _ld_events(chunks: Chunks) -> Iterator[Any]:
    from ld_eventsource import SSEClient
    from ld_eventsource.config import (
        ConnectionClient,
        ConnectionResult,
        ConnectStrategy,
    )

    class _Client(ConnectionClient):  # type: ignore[misc]
        def connect(self, last_event_id: str | None) -> Any:
            return ConnectionResult(iter(chunks), None)

    class _Connect(ConnectStrategy):  # type: ignore[misc]
        def create_client(self, logger: Any) -> Any:
            return _Client()

    # The public extension point: a ConnectStrategy whose connection yields our
    # chunks. SSEClient reads it with the same _BufferedLineReader and
    # _SSEReader as an HTTP body; the default ErrorStrategy (always_fail) ends
    # the iteration when the stream ends instead of reconnecting.
    return SSEClient(connect=_Connect()).events  # type: ignore[no-any-return]


def adapt_launchdarkly_eventsource(chunks: Chunks) -> list[Expected]:
    """``SSEClient(connect=<ConnectStrategy over the chunks>).events``."""
    return [(e.event, e.data, e.last_event_id or "") for e in _ld_events(chunks)]


# --- requests-sse ------------------------------------------------------------------


class _StreamEnd(Exception):
    """Raised from an ``on_error`` hook to stop a client's reconnect loop."""


def _raise_stream_end() -> None:
    raise _StreamEnd


class _ChunkRaw:
    """Stand-in for urllib3's HTTPResponse as requests reads it (``raw.stream``)."""

    def __init__(self, chunks: Chunks) -> None:
        self._chunks = chunks

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        # requests asks for 512-byte reads (iter_lines' default); a socket
        # would honour that, but here each of our chunks is handed over as is.
        return iter(self._chunks)

    def close(self) -> None:
        pass


class _RequestsSession:
    """Stand-in for ``requests.Session`` whose ``request()`` returns a streamed body."""

    def __init__(self, chunks: Chunks) -> None:
        self._chunks = chunks

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        import requests
        from requests.structures import CaseInsensitiveDict

        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict(_SSE_HEADERS)
        response.url = url
        response.raw = _ChunkRaw(self._chunks)
        return response

    def close(self) -> None:
        pass


def _requests_sse_events(chunks: Chunks) -> Iterator[Any]:
    from requests_sse import EventSource

    # EventSource(url, session=...) as documented; on the stream's end it calls
    # on_error and would sleep and reconnect, so on_error stops it instead.
    try:
        session: Any = _RequestsSession(chunks)
        with EventSource(_URL, session=session, on_error=_raise_stream_end) as source:
            yield from source
    except _StreamEnd:
        return


def adapt_requests_sse(chunks: Chunks) -> list[Expected]:
    """``EventSource(url, session=<session serving the chunks>)``."""
    return [(e.type or "message", e.data, e.last_event_id) for e in _requests_sse_events(chunks)]


# --- aiohttp-sse-client2 -----------------------------------------------------------


class _StreamProtocol:
    """The part of aiohttp's BaseProtocol that a StreamReader calls."""

    connected = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


class _AiohttpResponse:
    def __init__(self, url: str, content: Any) -> None:
        from yarl import URL

        self.status = 200
        self.content_type = "text/event-stream"
        self.headers = _SSE_HEADERS
        self.real_url = URL(url)
        self.content = content

    def close(self) -> None:
        pass


class _AiohttpSession:
    """Stand-in for ``aiohttp.ClientSession``: the body is a StreamReader we fill."""

    def __init__(self, chunks: Chunks) -> None:
        self._chunks = chunks
        self.feeder: asyncio.Task[None] | None = None

    async def request(self, method: str, url: Any, **kwargs: Any) -> _AiohttpResponse:
        from aiohttp import StreamReader, helpers

        loop = asyncio.get_running_loop()
        limit = getattr(helpers, "DEFAULT_CHUNK_SIZE", 2**16)  # ClientSession's read_bufsize
        reader = StreamReader(_StreamProtocol(), limit, loop=loop)  # type: ignore[arg-type]
        self.feeder = loop.create_task(self._feed(reader))
        return _AiohttpResponse(str(url), reader)

    async def _feed(self, reader: Any) -> None:
        # As the connection's data_received() does: one feed_data() per chunk
        # read off the socket, with the loop running in between.
        for chunk in self._chunks:
            reader.feed_data(chunk)
            await asyncio.sleep(0)
        reader.feed_eof()


async def _aiohttp_sse_run(chunks: Chunks, sink: Callable[[Any], object]) -> None:
    from aiohttp_sse_client2.client import EventSource

    session = _AiohttpSession(chunks)
    try:
        async with EventSource(_URL, session=session, on_error=_raise_stream_end) as source:
            async for event in source:
                sink(event)
    except _StreamEnd:
        pass
    if session.feeder is not None:
        await session.feeder


def _aiohttp_sse_drive(chunks: Chunks) -> int:
    count = [0]

    def sink(_: object) -> None:
        count[0] += 1

    asyncio.run(_aiohttp_sse_run(chunks, sink))
    return count[0]


def adapt_aiohttp_sse_client2(chunks: Chunks) -> list[Expected]:
    """``async for event in EventSource(url, session=<session whose body we feed>)``."""
    events: list[Any] = []
    asyncio.run(_aiohttp_sse_run(chunks, events.append))
    return [(e.type or "message", e.data, e.last_event_id) for e in events]


# --- openai and anthropic ----------------------------------------------------------


def _openai_events(chunks: Chunks) -> Iterator[Any]:
    from openai._streaming import SSEDecoder

    # Stream._iter_events(): self._decoder.iter_bytes(self.response.iter_bytes())
    events: Iterator[Any] = SSEDecoder().iter_bytes(iter(chunks))
    return events


def adapt_openai(chunks: Chunks) -> list[Expected]:
    """``openai._streaming.SSEDecoder().iter_bytes(iter(chunks))``."""
    return [(e.event or "message", e.data, e.id or "") for e in _openai_events(chunks)]


def _anthropic_events(chunks: Chunks) -> Iterator[Any]:
    from anthropic._streaming import SSEDecoder

    events: Iterator[Any] = SSEDecoder().iter_bytes(iter(chunks))
    return events


def adapt_anthropic(chunks: Chunks) -> list[Expected]:
    """``anthropic._streaming.SSEDecoder().iter_bytes(iter(chunks))``."""
    return [(e.event or "message", e.data, e.id or "") for e in _anthropic_events(chunks)]


# --- floors ------------------------------------------------------------------------
# The fastest pure-Python code we could write for one stream shape, assuming
# LF line endings, no BOM, no comments and a fixed field order. They show how
# far a general, spec-exact decoder is from the limit, once with plain tuples
# and once building the same ssec_proto.Event objects that Decoder returns.


def _blocks(chunks: Chunks) -> Iterator[list[str]]:
    """Yield, per chunk, the complete ``\\n\\n``-terminated blocks it ends, decoded."""
    tail = b""
    for chunk in chunks:
        data = tail + chunk if tail else chunk
        end = data.rfind(b"\n\n")
        if end < 0:
            tail = data
            continue
        tail = data[end + 2 :]
        yield data[:end].decode("utf-8", "replace").split("\n\n")


def _floor_tiny_tuples(chunks: Chunks) -> Iterator[list[Expected]]:
    for blocks in _blocks(chunks):
        yield [("message", block[6:], "") for block in blocks]


def _floor_llm_tuples(chunks: Chunks) -> Iterator[list[Expected]]:
    for blocks in _blocks(chunks):
        out: list[Expected] = []
        append = out.append
        for block in blocks:
            event_line, id_line, data_line = block.split("\n")
            append((event_line[7:], data_line[6:], id_line[4:]))
        yield out


def _floor_tiny_events(chunks: Chunks) -> Iterator[list[Event]]:
    for blocks in _blocks(chunks):
        yield [Event(event="message", data=block[6:], id="") for block in blocks]


def _floor_llm_events(chunks: Chunks) -> Iterator[list[Event]]:
    for blocks in _blocks(chunks):
        out: list[Event] = []
        append = out.append
        for block in blocks:
            event_line, id_line, data_line = block.split("\n")
            append(Event(event=event_line[7:], data=data_line[6:], id=id_line[4:]))
        yield out


def _floor(by_workload: dict[str, Callable[[Chunks], Iterator[list[Any]]]], name: str) -> Target:
    def pick(chunks: Chunks) -> Callable[[Chunks], Iterator[list[Any]]]:
        # Sniff the shape: an llm stream starts with its event line.
        head = b"".join(chunks[:6])[:6]
        return by_workload["llm" if head == b"event:" else "tiny"]

    def drive(chunks: Chunks) -> int:
        n = 0
        for batch in pick(chunks)(chunks):
            for _ in batch:
                n += 1
        return n

    def collect(chunks: Chunks) -> list[Expected]:
        return [
            item if type(item) is tuple else (item.event, item.data, item.id)
            for batch in pick(chunks)(chunks)
            for item in batch
        ]

    kind = "tuples" if "tuples" in name else "ssec_proto.Event objects"
    return Target(
        name=name,
        kind="floor",
        version="-",
        how=f"specialised splitter for tiny/llm only, LF, fixed field order; builds {kind}",
        drive=drive,
        collect=collect,
        workloads=frozenset({"tiny", "llm"}),
    )


# --- the physical floor -------------------------------------------------------------
# What no decoder can skip, whatever the stream's shape: find where each line
# ends and turn the line into text. Issue 14 takes this as the floor where the
# goal against the peers cannot be met.


def physical_floor(chunks: Chunks) -> int:
    """Locate every complete line with ``bytearray.find`` and decode it; keep nothing else.

    Lines end with LF, CR LF or CR, as in a ``text/event-stream``. A CR that
    ends the buffer waits for the next chunk, which may start with its LF; one
    that ends the stream ends its line. Each search starts where the last one
    stopped, and consumed bytes are dropped once they are at least half the
    buffer, so the whole run is linear in the stream's length whatever the
    chunk size.

    Args:
        chunks: The stream, in the pieces it arrives in.

    Returns:
        How many lines were decoded.
    """
    buf = bytearray()
    find = buf.find
    start = 0  # the first byte of the line under way
    # The next LF and CR at or after ``start``; -1 when there is none before ``seen``.
    lf = cr = -1
    seen = 0
    lines = 0
    for chunk in chunks:
        buf += chunk
        end = len(buf)
        if lf < 0:
            lf = find(b"\n", seen)
        if cr < 0:
            cr = find(b"\r", seen)
        seen = end
        if lf < 0 and (cr < 0 or cr + 1 == end):
            continue  # most small chunks end no line: no view to set up
        # Decoding through a view saves copying each line out of the buffer
        # first (on 64 KiB lines, some 15% of the floor's time); the
        # view is released before the buffer next grows or shrinks.
        with memoryview(buf) as view:
            while True:
                if cr >= 0 and (lf < 0 or cr < lf):
                    if cr + 1 == end:
                        break
                    stop = cr
                    after = cr + 2 if lf == cr + 1 else cr + 1
                elif lf >= 0:
                    stop = lf
                    after = lf + 1
                else:
                    break
                str(view[start:stop], "utf-8", "replace")
                lines += 1
                start = after
                if 0 <= lf < after:
                    lf = find(b"\n", after)
                if 0 <= cr < after:
                    cr = find(b"\r", after)
        if start == end:
            del buf[:]
            start = seen = 0
        elif start and start >= end - start:
            del buf[:start]
            lf = lf - start if lf >= 0 else -1
            cr = cr - start if cr >= 0 else -1
            seen -= start
            start = 0
    if cr >= 0:  # a CR that ended the stream ended its line
        str(buf[start:cr], "utf-8", "replace")
        lines += 1
    return lines


def _physical_floor_target() -> Target:
    return Target(
        name="physical floor",
        kind="physical",
        version="-",
        how="bytearray += chunk; bytearray.find LF and CR (each from where it last stopped); "
        "str(memoryview slice, 'utf-8', 'replace') per complete line; keeps nothing",
        drive=physical_floor,
        collect=lambda _chunks: [],
    )


# --- the registry ------------------------------------------------------------------


def _sync_peer(
    *,
    name: str,
    module: str,
    how: str,
    events: Callable[[Chunks], Iterable[Any]],
    collect: Callable[[Chunks], list[Expected]],
    known_issues: dict[str, str] | None = None,
) -> tuple[str, Callable[[], Target]]:
    def load() -> Target:
        __import__(module)
        return Target(
            name=name,
            kind="peer",
            version=_version(name),
            how=how,
            drive=lambda chunks: _count(events(chunks)),
            collect=collect,
            known_issues=known_issues or {},
        )

    return name, load


_PEERS: list[tuple[str, Callable[[], Target]]] = [
    _sync_peer(
        name="httpx-sse",
        module="httpx_sse",
        how="EventSource(httpx.Response(200, headers=..., content=iter(chunks))).iter_sse()",
        events=_httpx_sse_events,
        collect=adapt_httpx_sse,
    ),
    _sync_peer(
        name="sseclient-py",
        module="sseclient",
        how="SSEClient(iter(chunks)).events()",
        events=_sseclient_events,
        collect=adapt_sseclient_py,
    ),
    _sync_peer(
        name="launchdarkly-eventsource",
        module="ld_eventsource",
        how="SSEClient(connect=<ConnectStrategy yielding the chunks>).events",
        events=_ld_events,
        collect=adapt_launchdarkly_eventsource,
    ),
    _sync_peer(
        name="requests-sse",
        module="requests_sse",
        how="EventSource(url, session=<Session returning a Response whose raw yields the chunks>)",
        events=_requests_sse_events,
        collect=adapt_requests_sse,
        known_issues={
            "crlf": "requests' iter_lines() splits each chunk on its own, so a CR LF cut "
            "between two chunks reads as two line endings, and the extra blank line resets "
            "the event type",
        },
    ),
    _sync_peer(
        name="openai",
        module="openai",
        how="openai._streaming.SSEDecoder().iter_bytes(iter(chunks))",
        events=_openai_events,
        collect=adapt_openai,
    ),
    _sync_peer(
        name="anthropic",
        module="anthropic",
        how="anthropic._streaming.SSEDecoder().iter_bytes(iter(chunks))",
        events=_anthropic_events,
        collect=adapt_anthropic,
    ),
]


def _load_aiohttp_sse_client2() -> Target:
    import aiohttp_sse_client2.client  # noqa: F401

    return Target(
        name="aiohttp-sse-client2",
        kind="peer",
        version=_version("aiohttp-sse-client2"),
        how="async for over EventSource(url, session=<session whose response.content is an "
        "aiohttp.StreamReader fed chunk by chunk>), one asyncio.run() per stream",
        drive=_aiohttp_sse_drive,
        collect=adapt_aiohttp_sse_client2,
        known_issues={
            "cr": "reads lines with StreamReader.readline(), which splits on LF only, "
            "so a CR-only stream is one endless line",
        },
    )


_PEERS.insert(4, ("aiohttp-sse-client2", _load_aiohttp_sse_client2))


def _try_load(load: Callable[[], Target]) -> Target | str:
    try:
        return load()
    except ImportError as exc:
        return f"not installed ({exc})"


def load_targets(baseline: Target | None = None) -> tuple[list[Target], dict[str, str]]:
    """Return the runnable targets (ours first) and, per missing peer, why it is missing.

    A ``baseline`` target (see :func:`baseline_target`) comes second.
    """
    targets = [
        Target(
            name="ssec_proto",
            kind="ours",
            version=f"{_version('ssec-proto')} ({DECODER_IMPLEMENTATION})",
            how=f"Decoder().feed(chunk) for every chunk ({DECODER_IMPLEMENTATION} decoder)",
            drive=_ssec_drive,
            collect=adapt_ssec_proto,
            memory_drive=_ssec_drive_lazily,
        )
    ]
    if baseline is not None:
        targets.append(baseline)
    if DECODER_IMPLEMENTATION == "compiled":
        # The pure-Python decoder, the reference and fallback, side by side.
        targets.append(
            Target(
                name="ssec_proto (pure)",
                kind="pure",
                version=_version("ssec-proto"),
                how="ssec_proto._decoder.Decoder().feed(chunk) (the pure-Python decoder)",
                drive=lambda chunks: _ssec_drive(chunks, PureDecoder),
                collect=lambda chunks: adapt_ssec_proto(chunks, PureDecoder),
                memory_drive=lambda chunks: _ssec_drive_lazily(chunks, PureDecoder),
            )
        )
    missing: dict[str, str] = {}
    for name, load in _PEERS:
        target = _try_load(load)
        if isinstance(target, Target):
            targets.append(target)
        else:
            missing[name] = target
    targets.append(_floor({"tiny": _floor_tiny_tuples, "llm": _floor_llm_tuples}, "floor (tuples)"))
    targets.append(_floor({"tiny": _floor_tiny_events, "llm": _floor_llm_events}, "floor (Event)"))
    targets.append(_physical_floor_target())
    return targets, missing
