"""The TLS options of `ssec-proto URL`, named as curl names them, and the client they make."""

from __future__ import annotations

import dataclasses
import ssl
from typing import TYPE_CHECKING, TypeVar

from ._exits import Exit, ExitCode, ssl_text

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

__all__ = ["TLSOptions"]

_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True)
class TLSOptions:
    """How to check the server's certificate, and which certificate to show it.

    Attributes:
        insecure: Check nothing (`-k`): neither the certificate nor its name.
        cacert: A PEM file of the CAs to trust instead of the default ones.
        cert: A PEM file with the client certificate (and its key, unless `key`).
        key: A PEM file with the private key of `cert`.
    """

    insecure: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None

    def client(self) -> httpx.Client:
        """An httpx client whose TLS connections follow the options."""
        import httpx  # noqa: PLC0415 - only once the adapter is in use

        from ..adapters.httpx import _OWN_CLIENT_TIMEOUT  # noqa: PLC0415

        if self.insecure:
            context = httpx.create_ssl_context(verify=False)
        elif self.cacert is not None:
            # As curl's --cacert: these CAs instead of the default ones.
            cafile = self.cacert
            context = _load(f"--cacert {cafile}", lambda: ssl.create_default_context(cafile=cafile))
        else:
            # certifi's CAs, or those of SSL_CERT_FILE or SSL_CERT_DIR if set.
            context = httpx.create_ssl_context()
        if self.cert is not None:
            cert, key = self.cert, self.key
            what = f"--cert {cert}" + (f" with --key {key}" if key is not None else "")
            _load(what, lambda: context.load_cert_chain(cert, key))
        return httpx.Client(verify=context, timeout=_OWN_CLIENT_TIMEOUT)


def _load(what: str, load: Callable[[], _T]) -> _T:
    """`load()`, which reads certificate files: a file it cannot use ends the command."""
    try:
        return load()
    except ssl.SSLError as exc:  # before OSError, its base class
        raise Exit(ExitCode.INPUT, f"cannot use {what}: {ssl_text(exc)}") from None
    except OSError as exc:
        raise Exit(ExitCode.INPUT, f"cannot read {what}: {exc.strerror or exc}") from None
