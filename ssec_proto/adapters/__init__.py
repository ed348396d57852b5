"""Thin HTTP drivers for the sans-IO core: each one moves bytes and sleeps.

Import the one you use; each needs its extra installed:

* :mod:`ssec_proto.adapters.httpx` (``pip install 'ssec-proto[httpx]'``):
  ``connect()`` and ``aconnect()`` (asyncio and trio).
* :mod:`ssec_proto.adapters.aiohttp` (``pip install 'ssec-proto[aiohttp]'``):
  ``aconnect()`` (asyncio only).
* :mod:`ssec_proto.adapters.requests` (``pip install 'ssec-proto[requests]'``):
  ``connect()``.

All protocol decisions (headers, response checks, reconnection delays,
giving up) are made by :class:`ssec_proto.ReconnectPolicy` and
:class:`ssec_proto.Decoder`, so every driver behaves the same way.
"""
