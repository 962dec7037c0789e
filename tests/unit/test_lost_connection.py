"""is_lost_connection: a request that got no answer for want of a working link is worth
sending again; a TLS failure, an answer or ktui's own refusal is not."""

from __future__ import annotations

import ssl

import pytest
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from ktui.cluster.errors import KtuiError, is_lost_connection

POOL = urllib3.HTTPConnectionPool("127.0.0.1", 6443)


def _wrapped(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    "exc",
    [
        urllib3.exceptions.MaxRetryError(POOL, "/api", ConnectionRefusedError(111, "refused")),
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "x")),
        urllib3.exceptions.ReadTimeoutError(POOL, "/api", "read timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
        _wrapped(RuntimeError("while reading"), TimeoutError("timed out")),
    ],
)
def test_a_broken_or_timed_out_link_is_a_lost_connection(exc: BaseException) -> None:
    assert is_lost_connection(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ApiException(status=503, reason="Service Unavailable"),
        ApiException(status=0, reason="client-side"),
        KtuiError("not a kind ktui knows"),
        ValueError("not JSON"),
        urllib3.exceptions.MaxRetryError(
            POOL, "/api", urllib3.exceptions.SSLError(ssl.SSLCertVerificationError("untrusted"))
        ),
        _wrapped(urllib3.exceptions.ProtocolError("x"), ssl.SSLError("wrong version number")),
    ],
)
def test_an_answer_a_tls_failure_or_a_refusal_of_ktui_is_not(exc: BaseException) -> None:
    assert not is_lost_connection(exc)
