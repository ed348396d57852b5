"""The transports we ship for the driver kit: httpx, aiohttp and requests.

Import the one you use; each needs its extra installed:

* `ssec_proto.adapters.httpx` (`pip install 'ssec-proto[httpx]'`):
  `connect()` and `aconnect()` (asyncio and trio).
* `ssec_proto.adapters.aiohttp` (`pip install 'ssec-proto[aiohttp]'`):
  `aconnect()` (asyncio only).
* `ssec_proto.adapters.requests` (`pip install 'ssec-proto[requests]'`):
  `connect()`.

Each module is only a transport: the loop that runs it, with every protocol
decision (headers, response checks, reconnection delays, giving up), is
[`ssec_proto.driver`][ssec_proto.driver], so every driver behaves the same way.
"""
