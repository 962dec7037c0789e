"""One-line, secret-free error messages for everything that can go wrong talking to a cluster.

`describe_api_error` is shared by the start-up path, the watch caches and the UI: whatever the
exception (an HTTP status from the API server, a refused connection, a TLS failure, a garbled
response), it returns one line a user can act on. Every message passes through `redact`, which
removes the credentials registered by the kubeconfig loader and anything shaped like an
Authorization header, so a token or client key can never reach the screen or a log file.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urlsplit

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

__all__ = [
    "HTML_BODY",
    "KtuiError",
    "RedactingFilter",
    "describe_api_error",
    "error_body_text",
    "one_line",
    "redact",
    "register_secret",
]

MAX_MESSAGE_LENGTH: Final = 300
REDACTED: Final = "<redacted>"
# Shorter strings (an empty password, "x") would redact innocent words from messages.
_MIN_SECRET_LENGTH: Final = 4

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

# (pattern, replacement): values that are credentials whoever registered them.
_CREDENTIAL_PATTERNS: Final = (
    (
        re.compile(
            r"(?i)\b(authorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic)\s+)?[^\s'\",}]+"
        ),
        r"\1" + REDACTED,
    ),
    # The look-ahead keeps prose ("bearer tokens") intact: tokens contain digits or punctuation.
    (
        re.compile(r"(?i)\b(bearer\s+)(?=[A-Za-z._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}"),
        r"\1" + REDACTED,
    ),
    (
        re.compile(r"\b(Basic\s+)[A-Za-z0-9+/]{6,}={0,2}"),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        REDACTED,
    ),
)


class KtuiError(Exception):
    """An error with a one-line message meant for the user, already free of secrets."""

    def __init__(self, message: str) -> None:
        self.message = one_line(redact(message))
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def register_secret(value: str | bytes | None) -> None:
    """Remember a credential so that `redact` removes it from every message from now on."""
    if value is None:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    text = text.strip()
    if len(text) < _MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        _secrets.add(text)
        # A PEM key is multi-line; single lines of it could surface in a wrapped message.
        for line in text.splitlines():
            line = line.strip()
            if len(line) >= 16 and not line.startswith("-----"):
                _secrets.add(line)


def redact(text: str) -> str:
    """`text` with every registered secret and every Authorization-like value replaced."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _CREDENTIAL_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def one_line(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Collapse whitespace (newlines included) and cut to `limit` characters."""
    collapsed = " ".join(text.split())
    if len(collapsed) > limit:
        collapsed = collapsed[: limit - 1].rstrip() + "…"
    return collapsed


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record it lets through.

    Attach it to a handler (not a logger) so records from every library logger are covered.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed %-format must not kill the logging call
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks repeat exception text verbatim; keep the type and a redacted message.
            exc = record.exc_info[1]
            record.msg = f"{record.msg} [{type(exc).__name__}: {redact(one_line(str(exc)))}]"
            record.exc_info = None
            record.exc_text = None
        return True


def describe_api_error(
    exc: BaseException, *, server: str | None = None, context: str | None = None
) -> str:
    """One line describing `exc`, fit to show a user; never contains a credential.

    `server` is the cluster's URL (used when the exception does not name it); `context` is the
    kubeconfig context whose credentials were used, named in the 401 message.
    """
    return one_line(redact(_describe(exc, server=server, context=context)))


def _describe(exc: BaseException, *, server: str | None, context: str | None) -> str:
    if isinstance(exc, KtuiError):
        return exc.message
    if isinstance(exc, ApiException):
        return _describe_status(exc, server=server, context=context)

    where = server or _server_from_exception(exc) or "the API server"
    chain = list(_exception_chain(exc))

    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            reason = link.verify_message or link.reason or str(link)
            return _untrusted_certificate(where, reason)
    for link in chain:
        if isinstance(link, urllib3.exceptions.ProxyError):
            return f"cannot reach {where} through the proxy: {_short_reason(link)}"
    for link in chain:
        if isinstance(link, (urllib3.exceptions.SSLError, ssl.SSLError)):
            return _describe_tls_failure(link, where)
    for link in chain:
        if isinstance(link, (urllib3.exceptions.NameResolutionError, socket.gaierror)):
            host = urlsplit(where).hostname or where
            return f"cannot reach {where}: cannot resolve host name {host!r}"
    for link in chain:
        if isinstance(link, ConnectionRefusedError):
            return f"cannot reach {where}: connection refused"
    for link in chain:
        if isinstance(link, OSError) and link.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            what = "host" if link.errno == errno.EHOSTUNREACH else "network"
            return f"cannot reach {where}: {what} unreachable"
    for link in chain:
        if isinstance(link, urllib3.exceptions.ReadTimeoutError):
            return f"no response from {where}: read timed out"
        if isinstance(link, urllib3.exceptions.NewConnectionError):
            return f"cannot reach {where}: {_short_reason(link)}"
        if isinstance(link, urllib3.exceptions.ConnectTimeoutError):
            return f"cannot reach {where}: connection timed out"
    for link in chain:
        if isinstance(link, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            return f"connection to {where} was closed unexpectedly: {_short_reason(link).lower()}"
        if isinstance(link, http.client.RemoteDisconnected):
            return f"connection to {where} was closed unexpectedly: no response"
    for link in chain:
        if isinstance(link, urllib3.exceptions.ProtocolError):
            return f"connection to {where} was closed unexpectedly: {_short_reason(link)}"
        if isinstance(link, TimeoutError):
            return f"no response from {where}: timed out"
    for link in chain:
        if isinstance(link, (json.JSONDecodeError, UnicodeDecodeError)):
            return f"malformed response from {where}: not valid JSON ({_short_reason(link)})"
        if isinstance(link, urllib3.exceptions.DecodeError):
            return f"malformed response from {where}: {_short_reason(link)}"
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"file not found: {exc.filename}"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"permission denied: {exc.filename}"
    if isinstance(exc, urllib3.exceptions.MaxRetryError):
        return f"cannot reach {where}: {_short_reason(exc.reason or exc)}"
    return f"{type(exc).__name__}: {_short_reason(exc)}"


_STATUS_TITLES: Final = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    422: "Invalid",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def _describe_status(exc: ApiException, *, server: str | None, context: str | None) -> str:
    status = int(exc.status) if isinstance(exc.status, int) else 0
    status_message = _status_message(exc)
    if status == 401:
        who = f"context {context!r}" if context else "the current context"
        return (
            f"Unauthorized (401): the credentials in {who} were rejected"
            " — token expired or invalid?"
        )
    if status == 410:
        detail = status_message or "the requested resource version is too old"
        return f"Gone (410): {detail} — the list must be fetched again"
    if status == 0:
        # The client raises ApiException without an HTTP status for its own argument errors,
        # and for a TLS failure (reason "SSLError\n<urllib3's text>").
        reason = str(exc.reason or "")
        if reason.startswith("SSLError"):
            return _describe_client_tls_error(reason, server)
        return f"API client error: {_short_reason(exc)}"
    title = _STATUS_TITLES.get(status) or (
        "Server error" if 500 <= status <= 599 else str(exc.reason or "HTTP error")
    )
    text = f"{title} ({status})"
    if status_message:
        text += f": {status_message}"
    elif server:
        text += f" from {server}"
    return text


HTML_BODY: Final = "the server answered with an HTML page"
_HTML_START: Final = re.compile(r"\s*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def error_body_text(body: str, content_type: str | None = None) -> str:
    """A short text for an error body that is not a Kubernetes Status: "" when empty, "the
    server answered with an HTML page" for HTML (a proxy's or load balancer's error page: its
    markup says nothing the status line does not), else the start of the body on one line."""
    if not body.strip():
        return ""
    if (content_type and "html" in content_type.lower()) or _HTML_START.match(body):
        return HTML_BODY
    return one_line(body, 120)


def _status_message(exc: ApiException) -> str:
    """The `message` of the Status object the API server sent, or a short text for the body."""
    body: Any = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return ""
    try:
        parsed = json.loads(body)
    except ValueError:
        headers = getattr(exc, "headers", None)
        content_type = headers.get("Content-Type") if headers is not None else None
        return error_body_text(body, content_type if isinstance(content_type, str) else None)
    if isinstance(parsed, dict):
        message = parsed.get("message")
        if isinstance(message, str) and message:
            return message
        reason = parsed.get("reason")
        if isinstance(reason, str):
            return reason
    return ""


def _untrusted_certificate(where: str, reason: str) -> str:
    return (
        f"TLS: certificate verify failed for {where}: {reason} — the server's certificate is"
        " not trusted by the kubeconfig's certificate-authority (new certificates?)"
    )


_VERIFY_FAILED: Final = re.compile(r"certificate verify failed:?\s*([^(')\]]*)", re.I)
_POOL_ADDRESS: Final = re.compile(r"host='([^']+)', port=(\d+)")


def _describe_client_tls_error(reason: str, server: str | None) -> str:
    """The kubernetes client's ApiException(status=0, reason="SSLError\n...") in one line."""
    text = reason.partition("\n")[2] or reason
    where = server
    if where is None:
        address = _POOL_ADDRESS.search(text)
        where = f"https://{address[1]}:{address[2]}" if address else "the API server"
    verify = _VERIFY_FAILED.search(text)
    if verify is not None:
        return _untrusted_certificate(where, verify[1].strip() or "untrusted certificate")
    caused = re.search(r"Caused by SSLError\((.*)\)\)?\s*$", text, re.S)
    return _describe_tls_failure(ssl.SSLError(caused[1] if caused else text), where)


def _describe_tls_failure(link: BaseException, where: str) -> str:
    reason = _short_reason(link)
    lowered = reason.lower()
    if "wrong version number" in lowered or "record layer failure" in lowered:
        return f"TLS handshake with {where} failed: the server does not speak TLS (plain http?)"
    if "key values mismatch" in lowered:
        return f"TLS: the client key for {where} does not match the client certificate"
    if "pem lib" in lowered or "no start line" in lowered:
        return f"TLS: the client certificate or key for {where} is not valid PEM"
    if "eof occurred in violation of protocol" in lowered or "unexpected eof" in lowered:
        return (
            f"TLS handshake with {where} failed: the server closed the connection"
            " (does it require a client certificate?)"
        )
    if "certificate required" in lowered or "bad certificate" in lowered:
        return f"TLS: {where} rejected the client certificate: {reason}"
    return f"TLS handshake with {where} failed: {reason}"


def is_lost_connection(exc: BaseException) -> bool:
    """Whether `exc` is a request that got no answer for want of a working link (refused,
    reset, cut mid-answer, timed out): worth sending again. Not a TLS failure (a certificate
    stays untrusted), nor an answer, nor ktui's own refusal."""
    if isinstance(exc, (ApiException, KtuiError)):
        return False
    chain = list(_exception_chain(exc))
    if any(isinstance(link, (ssl.SSLError, urllib3.exceptions.SSLError)) for link in chain):
        return False
    lost = (
        OSError,
        http.client.HTTPException,
        urllib3.exceptions.ProtocolError,
        urllib3.exceptions.TimeoutError,
        urllib3.exceptions.MaxRetryError,
        urllib3.exceptions.NewConnectionError,
    )
    return any(isinstance(link, lost) for link in chain)


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then every exception it wraps (urllib3 `reason`, `__cause__`, `__context__`)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)
        for nested in (current.__cause__, current.__context__):
            if nested is not None:
                pending.append(nested)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))


def _server_from_exception(exc: BaseException) -> str | None:
    for link in _exception_chain(exc):
        # urllib3 2.x names the pool `conn` on connection errors (`pool` is deprecated there)
        # and `pool` on pool errors; read the instance dict so no deprecation warning fires.
        attributes = getattr(link, "__dict__", {})
        pool = attributes.get("conn") or attributes.get("pool")
        host = getattr(pool, "host", None)
        if isinstance(host, str) and host:
            scheme = getattr(pool, "scheme", None) or "https"
            port = getattr(pool, "port", None)
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"
    return None


_URLLIB3_NOISE: Final = re.compile(
    r"^(<[^>]+>|HTTPS?Connection(Pool)?\([^)]*\)):\s*|"
    r"Failed to establish a new connection:\s*|\[Errno -?\d+\]\s*|\[[A-Z0-9]+(: [A-Z0-9_]+)?\]\s*"
)


def _short_reason(exc: BaseException) -> str:
    """The human part of an exception's text, without urllib3's object reprs and errno tags."""
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, ssl.SSLError):
        text = exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    previous = None
    while previous != text:
        previous = text
        text = _URLLIB3_NOISE.sub("", text.strip())
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", text)
    return one_line(text, 160).rstrip(".") or type(exc).__name__
