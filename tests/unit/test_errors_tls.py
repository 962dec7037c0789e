"""describe_api_error on the TLS failures of a cluster rebuilt with new certificates."""

from __future__ import annotations

from kubernetes.client.exceptions import ApiException

from ktui.cluster.errors import describe_api_error

# What kubernetes.client.rest raises when urllib3 raises SSLError: status 0, the text in reason.
_VERIFY = (
    "SSLError\nHTTPSConnectionPool(host='127.0.0.1', port=6443): Max retries exceeded with url:"
    " /api/v1/pods?limit=500 (Caused by SSLError(SSLCertVerificationError(1, '[SSL:"
    " CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    " (_ssl.c:1006)')))"
)


def test_client_ssl_error_with_status_0_is_one_clear_line() -> None:
    message = describe_api_error(ApiException(status=0, reason=_VERIFY))
    assert message == (
        "TLS: certificate verify failed for https://127.0.0.1:6443: self-signed certificate"
        " — the server's certificate is not trusted by the kubeconfig's certificate-authority"
        " (new certificates?)"
    )


def test_the_server_argument_names_the_cluster() -> None:
    message = describe_api_error(
        ApiException(status=0, reason=_VERIFY), server="https://k8s.example:443"
    )
    assert message.startswith("TLS: certificate verify failed for https://k8s.example:443: ")


def test_other_client_tls_errors_are_described_too() -> None:
    reason = (
        "SSLError\nHTTPSConnectionPool(host='10.0.0.1', port=443): Max retries exceeded with"
        " url: /version (Caused by SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong"
        " version number (_ssl.c:1006)')))"
    )
    message = describe_api_error(ApiException(status=0, reason=reason))
    assert message.startswith("TLS handshake with https://10.0.0.1:443 failed: ")
    assert "API client error" not in message and "\n" not in message


def test_other_status_0_errors_keep_their_text() -> None:
    message = describe_api_error(ApiException(status=0, reason="Invalid value for `name`"))
    assert message.startswith("API client error: ")
