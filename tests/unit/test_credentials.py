"""Credentials under attack: none over plain http (as kubectl), odd tokens and server URLs are
one clear start-up line that never contains any part of the secret.

Servers are real (http.server on 127.0.0.1, https with the test CA of test_kubeconfig), and
requests go through the real kubernetes client, urllib3 and ktui's one transport.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_kubeconfig import (
    VERSION_BODY,
    Pki,
    connect_file,
    pki,
    serve_tls,
    single_context_config,
    trusting,
)

from ktui.cluster.connection import probe_server
from ktui.cluster.errors import KtuiError
from ktui.cluster.logs import LogChunk, LogRequest, LogStream
from ktui.cluster.rollout import pause
from ktui.cluster.transport import get_json, request_json

__all__ = ["pki"]  # the module-scoped fixture, shared with test_kubeconfig

SECRET = "odd-SECRET-5f0e2a9b7c13-token"
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "lab", "resourceVersion": "7"},
    "spec": {"paused": False, "template": {"spec": {"containers": [{"name": "c"}]}}},
}


@dataclass
class Recorded:
    method: str
    path: str
    authorization: str | None


@dataclass
class RecordingServer:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)


@contextlib.contextmanager
def recording_http_server() -> Iterator[RecordingServer]:
    """A plain-http API server stand-in that records the Authorization header of every request
    and answers what probe, list, PATCH and log reads need."""
    record = RecordingServer()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            record.requests.append(
                Recorded(self.command, self.path, self.headers.get("Authorization"))
            )
            content_type = "application/json"
            if self.path.startswith("/version"):
                payload = VERSION_BODY.encode()
            elif "/log?" in self.path:
                payload = b"2025-01-01T00:00:00Z hello\n"
                content_type = "text/plain"
            elif "/deployments/" in self.path:
                payload = json.dumps(DEPLOYMENT).encode()
            else:
                payload = json.dumps({"kind": "PodList", "items": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    marker = os.environ.get("PLUGIN_MARKER")
    if marker:
        open(marker, "a").write("ran\\n")
    print(json.dumps({{
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {{"token": os.environ["PLUGIN_TOKEN"]}},
    }}))
    """
)


def exec_user(directory: Path, token: str, marker: Path | None = None) -> dict[str, Any]:
    script = directory / "plugin.py"
    script.write_text(PLUGIN.format(python=sys.executable))
    script.chmod(0o755)
    env = [{"name": "PLUGIN_TOKEN", "value": token}]
    if marker is not None:
        env.append({"name": "PLUGIN_MARKER", "value": str(marker)})
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(script),
            "env": env,
            "interactiveMode": "Never",
        }
    }


# --------------------------------------------------------------------------------------------
# plain http: no credentials, as kubectl


def _users(tmp_path: Path, pki: Pki, marker: Path) -> dict[str, dict[str, Any]]:
    (tmp_path / "token").write_text(f"{SECRET}\n")
    return {
        "token": {"token": SECRET},
        "tokenFile": {"tokenFile": str(tmp_path / "token")},
        "basic": {"username": "admin", "password": SECRET},
        "exec": exec_user(tmp_path, SECRET, marker),
        "client certificate": {
            "client-certificate": str(pki.client_cert),
            "client-key": str(pki.client_key),
        },
    }


@pytest.mark.parametrize("user_kind", ["token", "tokenFile", "basic", "exec", "client certificate"])
def test_plain_http_server_gets_no_credentials(tmp_path: Path, pki: Pki, user_kind: str) -> None:
    marker = tmp_path / "plugin-ran"
    user = _users(tmp_path, pki, marker)[user_kind]
    with recording_http_server() as server:
        config = single_context_config(tmp_path / "config", server.url, user, namespace="lab")
        connection = connect_file(config)
        try:
            assert connection.transport_warning == (
                f"server {server.url} is plain http: credentials are not sent (as kubectl does)"
            )
            api = connection.api_client
            # The probe, a list as the caches do, a rollout PATCH and a log read.
            assert probe_server(connection) == "v1.32.0-test"
            get_json(api, "/api/v1/namespaces/lab/pods", timeout=5)
            request_json(api, "GET", "/apis/apps/v1/namespaces/lab/deployments/web")
            pause(api, "Deployment", "lab", "web")
            chunks: list[LogChunk] = []
            request = LogRequest("lab", "web-1", "c", follow=False)
            LogStream(api, request, chunks.append).run()
            assert chunks[-1].ended and chunks[-1].error is None
        finally:
            connection.close()
    methods = [(r.method, r.path.split("?")[0]) for r in server.requests]
    assert ("PATCH", "/apis/apps/v1/namespaces/lab/deployments/web") in methods
    assert any(path.endswith("/pods/web-1/log") for _, path in methods)
    assert [r.authorization for r in server.requests] == [None] * len(server.requests)
    # kubectl does not run the exec plugin for a plain-http server either.
    assert not marker.exists()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_sends_no_credentials_over_plain_http_either(tmp_path: Path, pki: Pki) -> None:
    marker = tmp_path / "plugin-ran"
    with recording_http_server() as server:
        for name, user in _users(tmp_path, pki, marker).items():
            config = single_context_config(tmp_path / f"config-{name}", server.url, user)
            completed = subprocess.run(
                ["kubectl", "--kubeconfig", str(config), "get", "--raw", "/version"],
                capture_output=True,
                timeout=30,
                check=False,
                # kubectl writes its discovery cache under $HOME/.kube.
                env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
            assert completed.returncode == 0, completed.stderr
    assert len(server.requests) >= 5
    assert [r.authorization for r in server.requests] == [None] * len(server.requests)
    assert not marker.exists()


def test_no_warning_without_credentials_or_over_https(tmp_path: Path, pki: Pki) -> None:
    with recording_http_server() as server:
        connection = connect_file(single_context_config(tmp_path / "a", server.url, {}))
        assert connection.transport_warning is None
        connection.close()
    with serve_tls(pki) as tls_server:
        config = single_context_config(
            tmp_path / "b", tls_server.url, {"token": SECRET}, cluster_extra=trusting(pki)
        )
        connection = connect_file(config)
        assert connection.transport_warning is None
        probe_server(connection)
        connection.close()
    assert tls_server.requests[0]["authorization"] == f"Bearer {SECRET}"


def test_plain_http_server_asking_for_credentials_says_why(tmp_path: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = b'{"kind":"Status","code":401,"message":"Unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        connection = connect_file(single_context_config(tmp_path / "config", url))
        with pytest.raises(KtuiError) as raised:
            probe_server(connection)
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert str(raised.value) == (
        f"Unauthorized (401): {url} wants credentials, and ktui sends none over plain http"
        " (as kubectl) — use its https address"
    )


# --------------------------------------------------------------------------------------------
# odd credentials: one line at connect time, naming the kubeconfig entry, never the secret


def _assert_clean(message: str, *fragments: str) -> None:
    assert "\n" not in message
    for fragment in fragments:
        assert fragment not in message


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (f"{SECRET}\nX-Evil: 1", "contains a line break or another control character"),
        (f"{SECRET}\n", "contains a line break or another control character"),
        (f"{SECRET}\r", "contains a line break or another control character"),
        (f"{SECRET}\x00", "contains a line break or another control character"),
        (f"{SECRET}-ключ", "contains a non-ASCII character"),
        (f"{SECRET}-é", "contains a non-ASCII character"),
    ],
)
def test_odd_inline_token_is_one_line_without_the_secret(
    tmp_path: Path, token: str, problem: str
) -> None:
    config = single_context_config(tmp_path / "config", "https://127.0.0.1:1", {"token": token})
    with pytest.raises(KtuiError) as raised:
        connect_file(config)
    assert str(raised.value) == f"user 'test-user': token {problem}" + (
        " (kubectl refuses such a token too)"
        if "control" in problem
        else " (tokens are plain ASCII)"
    )
    _assert_clean(str(raised.value), SECRET[:8], "X-Evil", "ключ")


def test_token_with_spaces_is_sent_as_it_is(tmp_path: Path, pki: Pki) -> None:
    # kubectl sends it too (the server decides); only control characters are refused.
    with serve_tls(pki) as server:
        config = single_context_config(
            tmp_path / "config", server.url, {"token": "abc def-123"}, cluster_extra=trusting(pki)
        )
        connection = connect_file(config)
        probe_server(connection)
        connection.close()
    assert server.requests[0]["authorization"] == "Bearer abc def-123"


def test_token_file_is_trimmed_but_inner_line_breaks_are_refused(tmp_path: Path, pki: Pki) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"  {SECRET}\n\n")
    with serve_tls(pki) as server:
        config = single_context_config(
            tmp_path / "config",
            server.url,
            {"tokenFile": str(token_file)},
            cluster_extra=trusting(pki),
        )
        connection = connect_file(config)
        probe_server(connection)
        connection.close()
    assert server.requests[0]["authorization"] == f"Bearer {SECRET}"

    token_file.write_text(f"{SECRET}\nX-Evil: 1\n")
    with pytest.raises(KtuiError) as raised:
        connect_file(config)
    assert str(raised.value) == (
        f"user 'test-user': tokenFile {token_file} contains a line break or another control"
        " character (kubectl refuses such a token too)"
    )
    _assert_clean(str(raised.value), SECRET[:8], "X-Evil")


def test_exec_plugin_token_with_a_line_break(tmp_path: Path) -> None:
    user = exec_user(tmp_path, f"{SECRET}\nX-Evil: 1")
    config = single_context_config(tmp_path / "config", "https://127.0.0.1:1", user)
    with pytest.raises(KtuiError) as raised:
        connect_file(config)
    script = tmp_path / "plugin.py"
    assert str(raised.value) == (
        f"exec plugin '{script}' of user 'test-user': the token it returned contains a line"
        " break or another control character (kubectl refuses such a token too)"
    )
    _assert_clean(str(raised.value), SECRET[:8], "X-Evil")


def test_basic_auth_password_outside_latin_1_is_sent_as_utf8(tmp_path: Path, pki: Pki) -> None:
    password = "pässwörd-€-ключ"
    with serve_tls(pki) as server:
        config = single_context_config(
            tmp_path / "config",
            server.url,
            {"username": "admin", "password": password},
            cluster_extra=trusting(pki),
        )
        connection = connect_file(config)
        probe_server(connection)
        connection.close()
    # What Go's SetBasicAuth (kubectl) sends: base64 of the UTF-8 bytes.
    expected = base64.b64encode(f"admin:{password}".encode()).decode()
    assert server.requests[0]["authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        ("https://[::1", "Invalid IPv6 URL"),
        ("https://[::1:6443", "Invalid IPv6 URL"),
        ("ftp://api.example", "the scheme must be https or http"),
        ("https://", "no host"),
        ("https://:6443", "no host"),
        ("https://api.example:99999", "Port out of range 0-65535"),
        ("https://api.example:port", "Port could not be cast to integer value as 'port'"),
        ("https://api.example:0", "port 0"),
        ("https://api.example\n/x", "it contains whitespace"),
    ],
)
def test_malformed_server_url_is_one_line(tmp_path: Path, server: str, problem: str) -> None:
    config = single_context_config(tmp_path / "config", server)
    with pytest.raises(KtuiError) as raised:
        connect_file(config)
    message = str(raised.value)
    assert message.startswith("cluster 'test-cluster': bad server URL ")
    assert message.endswith(f": {problem}")
    assert "\n" not in message


def test_password_in_the_server_url_is_redacted(tmp_path: Path) -> None:
    config = single_context_config(tmp_path / "config", f"https://admin:{SECRET}@api.example:1x")
    with pytest.raises(KtuiError) as raised:
        connect_file(config)
    assert "bad server URL" in str(raised.value)
    assert SECRET not in str(raised.value)
