"""A parser in another process, in any language, behind a JSON-lines adapter.

The protocol (documented in docs/testing.md): the kit writes one JSON object
per line to the adapter's stdin and reads exactly one JSON object per line
from its stdout in answer, in order.

- `{"op": "new"}`: start a parser for a new stream. The answer may carry the
  parser's initial `last_event_id` and `retry`.
- `{"op": "feed", "data": "<base64>"}`: the next chunk. The answer carries
  `events`, the events the chunk completed.
- `{"op": "end"}`: the stream has ended. The answer carries `events` (any
  dispatched now) and, if the parser has them, `last_event_id` and `retry`.
- Any answer may be `{"error": "..."}` instead: the parser failed.

Each answer must arrive within the timeout. A child that hangs, dies or
answers something unreadable is an [`AdapterError`][ssec_proto.testing.AdapterError]:
the kit kills it and starts a new one for the next case.
"""

from __future__ import annotations

import base64
import contextlib
import json
import queue
import shlex
import subprocess
import threading
from typing import IO, TYPE_CHECKING, Any

from ._run import AdapterError, _Reported

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

__all__ = ["AdapterProcess"]

#: Seconds the kit waits for each answer, unless told otherwise.
DEFAULT_TIMEOUT = 5.0

#: The longest answer line read, in bytes: a runaway child cannot fill memory.
_MAX_ANSWER = 16 * 1024 * 1024

#: Seconds an adapter has to exit by itself once its stdin is closed.
_GRACE = 1.0


def _read_lines(stdout: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    # A thread per child: a blocking read with a timeout works on pipes on
    # every platform this way, where select() would not (Windows).
    while line := stdout.readline(_MAX_ANSWER):
        lines.put(line)
    lines.put(None)


class _Child:
    """One running adapter process and the thread that reads its answers."""

    def __init__(self, command: Sequence[str], stderr: int | IO[Any] | None) -> None:
        self.process = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None  # stdin=PIPE
        assert stdout is not None  # stdout=PIPE
        self.stdin, self.stdout = stdin, stdout
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=_read_lines, args=(stdout, self.lines), daemon=True).start()

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            self.stdin.write(json.dumps(request).encode("ascii") + b"\n")
            self.stdin.flush()
        except OSError as error:
            raise AdapterError(f"cannot write to the adapter ({error}){self._status()}") from None
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AdapterError(f"no answer to {request['op']!r} within {timeout:g} s") from None
        if line is None:
            raise AdapterError(f"the adapter closed its stdout{self._status()}")
        try:
            answer = json.loads(line)
        except ValueError:
            raise AdapterError(
                f"the answer to {request['op']!r} is not JSON: {line[:200]!r}"
            ) from None
        if not isinstance(answer, dict):
            raise AdapterError(f"the answer to {request['op']!r} is not an object: {line[:200]!r}")
        if "error" in answer:
            raise _Reported(f"the adapter reported: {answer['error']}")
        return answer

    def _status(self) -> str:
        try:
            code = self.process.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            return ""
        return f" (it exited with status {code})"

    def close(self) -> None:
        process = self.process
        with contextlib.suppress(OSError):  # it is gone already
            self.stdin.close()
        try:
            process.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.stdout.close()


class _RemoteParser:
    """The kit's side of one stream in the adapter process."""

    def __init__(self, owner: AdapterProcess, state: dict[str, Any]) -> None:
        self._owner = owner
        self._state = state

    def feed(self, data: bytes) -> list[Any]:
        answer = self._owner.ask({"op": "feed", "data": base64.b64encode(data).decode("ascii")})
        return _events(answer, "feed")

    def end(self) -> list[Any]:
        self._state = self._owner.ask({"op": "end"})
        return _events(self._state, "end")

    def __getattr__(self, name: str) -> Any:
        # last_event_id and retry exist only if the adapter reports them.
        if name in ("last_event_id", "retry") and name in self._state:
            return self._state[name]
        raise AttributeError(name)


def _events(answer: dict[str, Any], op: str) -> list[Any]:
    events = answer.get("events", [])
    if not isinstance(events, list) or not all(
        isinstance(e, dict) and isinstance(e.get("data"), str) for e in events
    ):
        raise AdapterError(f"the answer to {op!r} has no list of events with data: {answer!r}")
    return events


class AdapterProcess:
    """A parser in another process (any language), driven through its JSON-lines adapter.

    Calling it returns a parser for a new stream, so it serves as the
    factory of [`run()`][ssec_proto.testing.run] and the other checks. The
    process starts on first use and serves every stream in turn; when it
    hangs or dies it is killed, and the next stream starts a new one. Use
    it as a context manager, or call `close()`, to stop it at the end.

    ```python
    with AdapterProcess(["node", "adapter.js"]) as parser:
        report = run(parser)
    ```

    Args:
        command: The adapter's command line, such as
            `["node", "adapter.js"]`.
        timeout: Seconds to wait for each answer.
        stderr: Where the adapter's stderr goes, as for `subprocess.Popen`
            (default: this process's stderr).
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        stderr: int | IO[Any] | None = None,
    ) -> None:
        if not command:
            raise ValueError("the adapter's command line is empty")
        self.command = tuple(command)
        self.timeout = timeout
        self._stderr = stderr
        self._child: _Child | None = None

    def start(self) -> None:
        """Start the adapter now, if it is not running.

        Raises:
            OSError: If the command cannot be run (not found, not executable).
        """
        if self._child is None:
            self._child = _Child(self.command, self._stderr)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return its answer (`AdapterError` if none comes)."""
        try:
            self.start()
        except OSError as error:
            raise AdapterError(f"cannot run {self}: {error}") from None
        assert self._child is not None
        try:
            return self._child.ask(request, self.timeout)
        except AdapterError:
            self.close()
            raise

    def __call__(self) -> _RemoteParser:
        return _RemoteParser(self, self.ask({"op": "new"}))

    def close(self) -> None:
        """Close the adapter's stdin, and kill it if it does not exit within a second."""
        child, self._child = self._child, None
        if child is not None:
            child.close()

    def __enter__(self) -> AdapterProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __str__(self) -> str:
        return shlex.join(self.command)
