"""The driver loop, blocking form: request, verdict, body, feed, answer, sleep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import LimitExceeded
from .._lifecycle import Closed, Opened, Retrying
from ._stream import Ending, Source
from ._transport import R

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator
    from types import TracebackType

    from typing_extensions import Unpack

    from .._events import Event
    from ._options import StreamOptions
    from ._stream import Answer
    from ._transport import Response, Transport

__all__ = ["EventSource"]


class EventSource(Source[R]):
    """A reconnecting event stream over any blocking [`Transport`][ssec_proto.driver.Transport].

    Iterate over it for [`Event`][ssec_proto.Event] objects; nothing is sent
    until the first one is asked for. Use it as a context manager, or call
    `close()`, to release the connection and the transport. Iterating raises
    [`ResponseError`][ssec_proto.ResponseError] when the server answers with
    something other than an event stream,
    [`ConnectionFailed`][ssec_proto.ConnectionFailed] (or its subclass
    [`RetriesExhausted`][ssec_proto.RetriesExhausted]) when the connection
    fails for good, and [`LimitExceeded`][ssec_proto.LimitExceeded] for an
    oversized line or event, always after delivering the events received
    before; it ends normally on HTTP 204 No Content.

    Args:
        transport: What sends requests and reads bodies.
        url: The stream's URL, handed to the transport as it is.
        **options: The stream's options: see
            [`StreamOptions`][ssec_proto.driver.StreamOptions].

    Raises:
        TypeError: For an unknown option, or one of the wrong type.
        ValueError: For an option out of range.
    """

    def __init__(self, transport: Transport[R], url: Any, **options: Unpack[StreamOptions]) -> None:
        super().__init__(url, options)
        self._transport = transport
        self._events = self._loop()

    def __enter__(self) -> EventSource[R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Event]:
        # A for loop gets the generator itself: an event then costs one
        # resumption of it, not a call of a method written in Python.
        return self._events

    def __next__(self) -> Event:
        return next(self._events)

    def close(self) -> None:
        """Close the connection and the transport; iterating then ends at once."""
        self._events.close()
        self._stream.close("closed by the caller")
        self._transport.close()

    def _loop(self) -> Generator[Event, None, None]:
        stream, transport = self._stream, self._transport
        while True:
            answer: Answer
            try:
                response = transport.send(stream.request())
            except Exception as exc:
                answer = stream.failed(exc, transport.classify(exc))
            else:
                self._response = response
                try:
                    answer = stream.response_received(response, self._excerpt(response))
                    if isinstance(answer, Opened):
                        ending = None
                        feed: Callable[[bytes], list[Event]] = stream.feed
                        # After the first events, the decoder's own feed()
                        # (see Stream.direct_feed): the least work per chunk.
                        direct = stream.direct_feed()
                        try:
                            for chunk in transport.body(response, stream.read_timeout):
                                events = feed(chunk)
                                if events:
                                    yield from events
                                    if direct is not None:
                                        feed = direct
                        except Ending as end:
                            ending = end
                        except LimitExceeded as error:  # from direct
                            ending = stream.limit_exceeded(error)
                        if ending is None:
                            answer = stream.stream_ended()
                        else:
                            yield from ending.events
                            answer = ending.answer
                except Exception as exc:
                    answer = stream.failed(exc, transport.classify(exc))
                finally:
                    transport.release(response)
            if isinstance(answer, Retrying):
                transport.sleep(answer.delay)
                stream.reconnecting()
            elif isinstance(answer, Closed):
                return
            else:
                raise answer.error

    def _excerpt(self, response: Response[R]) -> bytes:
        excerpt = self._stream.excerpt(response)
        if excerpt is None:
            return b""
        try:
            for chunk in self._transport.body(response, excerpt.read_timeout):
                if excerpt.add(chunk):
                    break
        except Exception as exc:
            # A broken or slow error body leaves what arrived: the response
            # is judged by its status and headers all the same.
            if self._transport.classify(exc) is None:
                raise
        return excerpt.data
