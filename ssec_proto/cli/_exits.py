"""How `ssec-proto` ends: its exit codes, and the message for each failure."""

from __future__ import annotations

import enum
import http
import re
import socket
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .._errors import ConnectionFailed, EventTimeout, LimitExceeded, ResponseError
from ._output import printable, safe_url

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "EXIT_CODES",
    "Exit",
    "ExitCode",
    "connect_failure",
    "limit_failure",
    "limit_flag",
    "limit_text",
    "ssl_text",
    "stream_failure",
    "tls_failure",
]


class ExitCode(enum.IntEnum):
    """The exit status of `ssec-proto`: one per kind of outcome."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NO_HTTPX = 3
    CONNECT = 4
    DNS = 5
    HTTP_STATUS = 6
    CONTENT_TYPE = 7
    LIMIT = 8
    RETRIES_EXHAUSTED = 9
    IDLE_TIMEOUT = 10
    INPUT = 11
    TLS = 12
    NONCONFORMANT = 13
    INTERRUPTED = 130
    BROKEN_PIPE = 141


#: What each exit code means; `--help` and docs/cli.md show this table.
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "the stream ended normally (HTTP 204, --max-events, end of input)",
    ExitCode.ERROR: "unexpected internal error (a bug: please report it)",
    ExitCode.USAGE: "invalid arguments",
    ExitCode.NO_HTTPX: "httpx is not installed: pip install 'ssec-proto[httpx]'",
    ExitCode.CONNECT: "could not connect (connection refused, unreachable, timed out)",
    ExitCode.DNS: "the host name did not resolve",
    ExitCode.HTTP_STATUS: "the server answered with an HTTP error status (4xx, 5xx)",
    ExitCode.CONTENT_TYPE: "the server answered 200 but not with text/event-stream",
    ExitCode.LIMIT: "a line or an event exceeded --max-line-size or --max-event-size",
    ExitCode.RETRIES_EXHAUSTED: "the connection was lost and no reconnection was left",
    ExitCode.IDLE_TIMEOUT: "no data arrived within --idle-timeout, and no reconnection was left",
    ExitCode.INPUT: "a file could not be read or used (decode FILE, -d @FILE, --cacert FILE)",
    ExitCode.TLS: "the TLS handshake failed (a certificate not trusted, a port without TLS)",
    ExitCode.NONCONFORMANT: "the parser under test failed conformance cases (conformance)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.BROKEN_PIPE: "the reader of the output went away (e.g. | head)",
}


class Exit(Exception):
    """End the command with `code`, after printing `message` (if any) on stderr."""

    def __init__(self, code: ExitCode, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def _excerpt(body: bytes, limit: int = 400) -> str:
    """The start of an error body, safe to print on a terminal, indented."""
    text = body.decode("utf-8", "replace").strip()
    cut = len(text) > limit
    lines = printable(text[:limit]).split("\n")[:8]
    return "\n".join("    " + line for line in lines) + ("\n    ..." if cut else "")


def _response_failure(error: ResponseError, prefix: str = "") -> Exit:
    try:
        phrase = f" {http.HTTPStatus(error.status).phrase}"
    except ValueError:
        phrase = ""
    content_type = error.headers.get("content-type")
    if error.status == 200:
        code = ExitCode.CONTENT_TYPE
        what = (
            f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        ) + ", not text/event-stream"
    else:
        code = ExitCode.HTTP_STATUS
        what = f"Content-Type {content_type}" if content_type else "no Content-Type"
    message = f"{prefix}the server answered HTTP {error.status}{phrase} ({what})"
    if error.body:
        message += ", starting:\n" + _excerpt(error.body)
    return Exit(code, message)


def connect_failure(error: BaseException | None, url: str, prefix: str = "") -> Exit | None:
    """An exit for a failed connection attempt; `None` if it is another failure."""
    import httpx  # noqa: PLC0415 - only once the adapter is in use

    if not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        return None
    parts = urlsplit(url)
    if any(isinstance(e, socket.gaierror) for e in _chain(error)):
        return Exit(ExitCode.DNS, f"{prefix}cannot resolve host {parts.hostname!r}: {error}")
    return Exit(ExitCode.CONNECT, f"{prefix}cannot connect to {safe_url(url)}: {error}")


#: What OpenSSL says when the answer to its hello is not TLS: a plain HTTP
#: response, say (OpenSSL 3.2 and later may call it a record layer failure).
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"})

#: `verify_code`s of a certificate for other names: X509_V_ERR_HOSTNAME_MISMATCH,
#: X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH = frozenset({62, 64})


def ssl_text(error: ssl.SSLError) -> str:
    """What an `ssl.SSLError` says, without OpenSSL's codes and source line."""
    return re.sub(r"^\[[^\]]*\] |\.? \(_ssl\.c:\d+\)$", "", str(error))


def tls_failure(error: BaseException | None, url: str, prefix: str = "") -> Exit | None:
    """An exit for a failed TLS handshake; `None` if `error` was something else.

    A connection cut off, even in the handshake, is not a TLS failure: it may
    be mended by reconnecting. A certificate that is not trusted, or a port
    that does not speak TLS, will not be.
    """
    failure = next(
        (
            e
            for e in _chain(error)
            if isinstance(e, ssl.SSLCertVerificationError) or type(e) is ssl.SSLError
        ),
        None,
    )
    if failure is None:
        return None
    host = urlsplit(url).hostname
    text = ssl_text(failure)
    if isinstance(failure, ssl.SSLCertVerificationError):
        problem = (failure.verify_message or text).rstrip(".")
        if failure.verify_code in _NAME_MISMATCH:
            message = (
                f"the TLS certificate of {host} is for other names ({problem}); -k skips the check"
            )
        else:
            message = (
                f"the TLS certificate of {host} is not trusted ({problem}); "
                "--cacert FILE trusts the CA that signed it, -k skips the check"
            )
    elif failure.reason in _NOT_TLS:
        message = "the server does not speak TLS on this port (try http://)"
    else:
        message = f"TLS with {host} failed ({text})"
        if "CERTIFICATE_REQUIRED" in (failure.reason or ""):
            message += ": the server wants a client certificate (--cert FILE --key FILE)"
    return Exit(ExitCode.TLS, prefix + message)


def limit_flag(error: LimitExceeded) -> str:
    """The command's option for the limit `error` is about: `--max-line-size`."""
    return "--" + error.option.replace("_", "-")


def limit_text(error: LimitExceeded) -> str:
    """What went over which limit: `a line exceeds --max-line-size 100 (bytes)`."""
    return f"{error.what} exceeds {limit_flag(error)} {error.limit} ({error.unit})"


def limit_failure(error: LimitExceeded) -> Exit:
    """The exit for a line or an event over the decoder's limits."""
    return Exit(
        ExitCode.LIMIT,
        f"{limit_text(error)}; the event was discarded and the stream closed "
        f"(raise {limit_flag(error)} if the stream is legitimate)",
    )


def stream_failure(error: BaseException, url: str) -> Exit:
    """The exit for an error raised by the event source."""
    import httpx  # noqa: PLC0415 - only once the adapter is in use

    if isinstance(error, LimitExceeded):
        return limit_failure(error)
    if isinstance(error, ResponseError):
        return _response_failure(error)
    assert isinstance(error, ConnectionFailed)  # the adapter raises nothing else
    cause = error.__cause__
    prefix = f"{error}\n  "
    if isinstance(cause, ResponseError):
        return _response_failure(cause, prefix)
    if isinstance(cause, (httpx.ReadTimeout, EventTimeout)):
        return Exit(ExitCode.IDLE_TIMEOUT, str(error))
    return (
        tls_failure(cause, url, prefix)
        or connect_failure(cause, url, prefix)
        or Exit(ExitCode.RETRIES_EXHAUSTED, str(error))
    )
