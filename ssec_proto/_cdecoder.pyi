# The compiled decoder's API: that of the pure-Python decoder (_decoder.py).
from collections.abc import Callable, Iterator
from typing import ClassVar

from ._decoder import Tuning
from ._events import Event

class Decoder:
    _TUNING: ClassVar[Tuning]
    def __init__(
        self,
        *,
        max_line_size: int | None = ...,
        max_event_size: int | None = ...,
        last_event_id: str = ...,
        retry: int | None = ...,
        on_comment: Callable[[str], object] | None = ...,
    ) -> None: ...
    @property
    def last_event_id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    def reset(self) -> None: ...
    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]: ...
    def iter_feed(self, data: bytes | bytearray | memoryview) -> Iterator[Event]: ...
    def _debug_state(self) -> tuple[object, ...]: ...
    def _debug_held(self) -> tuple[int, int]: ...
