"""The driver loop, async form: the blocking loop of `_sync.py`, awaited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import LimitExceeded
from .._lifecycle import Closed, Opened, Retrying
from ._stream import Ending, Source
from ._transport import R

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
    from types import TracebackType

    from typing_extensions import Unpack

    from .._events import Event
    from ._options import StreamOptions
    from ._stream import Answer
    from ._transport import AsyncTransport, Response

__all__ = ["AsyncEventSource"]


class AsyncEventSource(Source[R]):
    """A reconnecting event stream over any [`AsyncTransport`][ssec_proto.driver.AsyncTransport].

    The async twin of [`EventSource`][ssec_proto.driver.EventSource], with
    the same arguments and errors: iterate over it with `async for`, and use
    it as an async context manager or call `aclose()`. It runs on whatever
    event loop its transport runs on.
    """

    def __init__(
        self, transport: AsyncTransport[R], url: Any, **options: Unpack[StreamOptions]
    ) -> None:
        super().__init__(url, options)
        self._transport = transport
        self._events = self._loop()

    async def __aenter__(self) -> AsyncEventSource[R]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        # An async for loop gets the generator itself: an event then costs
        # one resumption of it, not a coroutine made by a Python method.
        return self._events

    def __anext__(self) -> Awaitable[Event]:
        return self._events.__anext__()

    async def aclose(self) -> None:
        """Close the connection and the transport; iterating then ends at once."""
        await self._events.aclose()
        self._stream.close("closed by the caller")
        await self._transport.close()

    async def _loop(self) -> AsyncGenerator[Event, None]:
        stream, transport = self._stream, self._transport
        while True:
            answer: Answer
            try:
                response = await transport.send(stream.request())
            except Exception as exc:
                answer = stream.failed(exc, transport.classify(exc))
            else:
                self._response = response
                try:
                    answer = stream.response_received(response, await self._excerpt(response))
                    if isinstance(answer, Opened):
                        ending = None
                        feed: Callable[[bytes], list[Event]] = stream.feed
                        # After the first events, the decoder's own feed()
                        # (see Stream.direct_feed): the least work per chunk.
                        direct = stream.direct_feed()
                        chunks = transport.body(response, stream.read_timeout)
                        try:
                            async for chunk in chunks:
                                events = feed(chunk)
                                if events:
                                    for event in events:
                                        yield event
                                    if direct is not None:
                                        feed = direct
                        except Ending as end:
                            ending = end
                        except LimitExceeded as error:  # from direct
                            ending = stream.limit_exceeded(error)
                        finally:
                            await _aclose(chunks)
                        if ending is None:
                            answer = stream.stream_ended()
                        else:
                            for event in ending.events:
                                yield event
                            answer = ending.answer
                except Exception as exc:
                    answer = stream.failed(exc, transport.classify(exc))
                finally:
                    await transport.release(response)
            if isinstance(answer, Retrying):
                await transport.sleep(answer.delay)
                stream.reconnecting()
            elif isinstance(answer, Closed):
                return
            else:
                raise answer.error

    async def _excerpt(self, response: Response[R]) -> bytes:
        excerpt = self._stream.excerpt(response)
        if excerpt is None:
            return b""
        chunks = self._transport.body(response, excerpt.read_timeout)
        try:
            async for chunk in chunks:
                if excerpt.add(chunk):
                    break
        except Exception as exc:
            if self._transport.classify(exc) is None:
                raise
        finally:
            await _aclose(chunks)
        return excerpt.data


async def _aclose(chunks: AsyncIterator[bytes]) -> None:
    # An async generator left unfinished must be closed by its owner (trio
    # insists), not by the garbage collector.
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
