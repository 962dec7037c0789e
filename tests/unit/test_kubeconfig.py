"""Kubeconfig loading and merging, connections built from it, and one-line, secret-free errors.

Servers here are real: tiny http.server instances on 127.0.0.1 (TLS ones use certificates made
with the openssl CLI), so each request goes through the real kubernetes client and urllib3.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import Configuration, CoreV1Api
from kubernetes.client.exceptions import ApiException

from ktui.cluster.connection import (
    Connection,
    connect,
    probe_server,
    run_exec_plugin,
)
from ktui.cluster.errors import (
    KtuiError,
    RedactingFilter,
    describe_api_error,
    redact,
    register_secret,
)
from ktui.cluster.kubeconfig import (
    IN_CLUSTER_CONTEXT,
    SERVICE_ACCOUNT_DIR,
    KubeConfig,
    load_kubeconfig,
    load_kubeconfig_files,
)
from ktui.settings import Settings

SECRET_TOKEN = "kt-SECRET-7f3a9c1e5b2d4680-token"
VERSION_BODY = json.dumps({"major": "1", "minor": "32", "gitVersion": "v1.32.0-test"})


# --------------------------------------------------------------------------------------------
# helpers: kubeconfig files, certificates, local servers


def kubeconfig_document(
    *,
    clusters: dict[str, dict[str, Any]] | None = None,
    users: dict[str, dict[str, Any]] | None = None,
    contexts: dict[str, dict[str, Any]] | None = None,
    current_context: str | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    if clusters is not None:
        document["clusters"] = [{"name": n, "cluster": c} for n, c in clusters.items()]
    if users is not None:
        document["users"] = [{"name": n, "user": u} for n, u in users.items()]
    if contexts is not None:
        document["contexts"] = [{"name": n, "context": c} for n, c in contexts.items()]
    if current_context is not None:
        document["current-context"] = current_context
    return document


def write_yaml(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def single_context_config(
    path: Path,
    server: str,
    user: dict[str, Any] | None = None,
    *,
    cluster_extra: dict[str, Any] | None = None,
    namespace: str | None = None,
    context: str = "test",
) -> Path:
    context_body: dict[str, Any] = {"cluster": "test-cluster", "user": "test-user"}
    if namespace:
        context_body["namespace"] = namespace
    return write_yaml(
        path,
        kubeconfig_document(
            clusters={"test-cluster": {"server": server, **(cluster_extra or {})}},
            users={"test-user": user if user is not None else {"token": SECRET_TOKEN}},
            contexts={context: context_body},
            current_context=context,
        ),
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca_cert: Path
    other_ca_cert: Path
    server_cert: Path
    server_key: Path
    named_server_cert: Path
    """Valid only for the DNS name kubernetes.test, not for 127.0.0.1."""
    named_server_key: Path
    client_cert: Path
    client_key: Path


def _make_ca(directory: Path, name: str) -> None:
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip


def _make_leaf(directory: Path, name: str, ca: str, extensions: str) -> None:
    openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
        cwd=directory,
    )  # fmt: skip
    (directory / f"{name}.ext").write_text(extensions)
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext",
        cwd=directory,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    _make_ca(directory, "ca")
    _make_ca(directory, "other-ca")
    _make_leaf(
        directory, "server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    _make_leaf(
        directory,
        "named-server",
        "ca",
        "subjectAltName=DNS:kubernetes.test\nextendedKeyUsage=serverAuth\n",
    )
    _make_leaf(directory, "client", "ca", "extendedKeyUsage=clientAuth\n")
    return Pki(
        directory=directory,
        ca_cert=directory / "ca.crt",
        other_ca_cert=directory / "other-ca.crt",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        named_server_cert=directory / "named-server.crt",
        named_server_key=directory / "named-server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
    )


@dataclass
class FakeApiServer:
    url: str
    requests: list[dict[str, str]] = field(default_factory=list)
    """Headers of every request received, in order."""
    client_certificates: list[dict[str, Any] | None] = field(default_factory=list)


Responder = Callable[[str, dict[str, str]], tuple[int, str]]


def version_ok(path: str, headers: dict[str, str]) -> tuple[int, str]:
    if path == "/version":
        return 200, VERSION_BODY
    return 404, json.dumps({"kind": "Status", "message": "not found", "code": 404})


def unauthorized(path: str, headers: dict[str, str]) -> tuple[int, str]:
    return 401, json.dumps(
        {"kind": "Status", "status": "Failure", "message": "Unauthorized", "code": 401}
    )


@contextlib.contextmanager
def serve(
    responder: Responder = version_ok, tls: ssl.SSLContext | None = None
) -> Iterator[FakeApiServer]:
    """A real HTTP(S) server on 127.0.0.1 answering every GET with `responder(path, headers)`."""
    record = FakeApiServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            record.requests.append(headers)
            if isinstance(self.connection, ssl.SSLSocket):
                record.client_certificates.append(self.connection.getpeercert())
            status, body = responder(self.path, headers)
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # failed TLS handshakes are what some tests are about

    server = Server(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    record.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def server_tls(cert: Path, key: Path, *, client_ca: Path | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


def serve_tls(
    pki: Pki, responder: Responder = version_ok
) -> contextlib.AbstractContextManager[FakeApiServer]:
    """`serve` over https with the test CA's server certificate: credentials are only sent
    over TLS (as kubectl, ktui sends none to a plain-http server)."""
    return serve(responder, tls=server_tls(pki.server_cert, pki.server_key))


def trusting(pki: Pki) -> dict[str, Any]:
    """The cluster fields that make a kubeconfig trust `serve_tls` servers."""
    return {"certificate-authority": str(pki.ca_cert)}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connect_file(path: Path, **settings: Any) -> Connection:
    return connect(Settings(kubeconfig=str(path), **settings), environ={})


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no KUBECONFIG and an empty home."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "")}


# --------------------------------------------------------------------------------------------
# loading and merging


def test_kubeconfig_list_merges_first_file_wins_and_skips_missing(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    first = write_yaml(
        tmp_path / "first.yaml",
        kubeconfig_document(
            clusters={"shared": {"server": "https://first.example:6443"}},
            users={"alice": {"token": "first-token"}},
            contexts={"one": {"cluster": "shared", "user": "alice"}},
            # An empty current-context does not count as "set".
            current_context="",
        ),
    )
    second = write_yaml(
        tmp_path / "second.yaml",
        kubeconfig_document(
            clusters={
                "shared": {"server": "https://second.example:6443"},
                "only-second": {"server": "https://only-second.example"},
            },
            users={"alice": {"token": "second-token"}, "bob": {"token": "bob-token"}},
            contexts={
                "one": {"cluster": "only-second", "user": "bob"},
                "two": {"cluster": "only-second", "user": "bob", "namespace": "team"},
            },
            current_context="two",
        ),
    )
    third = write_yaml(
        tmp_path / "third.yaml", kubeconfig_document(current_context="one", contexts={})
    )
    missing = tmp_path / "missing.yaml"
    env = {
        **clean_env,
        "KUBECONFIG": os.pathsep.join(["", str(first), str(missing), str(second), "", str(third)]),
    }

    config = load_kubeconfig(environ=env)

    assert config.sources == (first, second, third)
    assert config.current_context == "two"
    assert config.contexts() == ["one", "two"]
    assert config.cluster("shared")["server"] == "https://first.example:6443"
    assert config.cluster("only-second")["server"] == "https://only-second.example"
    assert config.user("alice")["token"] == "first-token"
    assert config.user("bob")["token"] == "bob-token"
    one = config.context("one")
    assert (one.cluster, one.user, one.namespace) == ("shared", "alice", None)
    assert config.context().name == "two"
    assert config.context("two").effective_namespace == "team"


def test_kubeconfig_env_with_only_missing_files_is_an_error(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    env = {**clean_env, "KUBECONFIG": str(tmp_path / "nope.yaml")}
    with pytest.raises(KtuiError, match=r"none of the files in KUBECONFIG exist"):
        load_kubeconfig(environ=env)


def test_default_path_is_home_kube_config(clean_env: dict[str, str]) -> None:
    default = Path(clean_env["HOME"]) / ".kube" / "config"
    with pytest.raises(KtuiError, match="no kubeconfig found") as raised:
        load_kubeconfig(environ=clean_env)
    assert str(default) in str(raised.value)

    single_context_config(default, "https://home.example")
    config = load_kubeconfig(environ=clean_env)
    assert config.sources == (default,)
    assert config.cluster("test-cluster")["server"] == "https://home.example"


def test_explicit_path_must_exist_and_ignores_kubeconfig_env(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    listed = single_context_config(tmp_path / "listed.yaml", "https://listed.example")
    explicit = single_context_config(tmp_path / "explicit.yaml", "https://explicit.example")
    env = {**clean_env, "KUBECONFIG": str(listed)}
    config = load_kubeconfig(explicit, environ=env)
    assert config.cluster("test-cluster")["server"] == "https://explicit.example"
    with pytest.raises(KtuiError, match=r"'.*missing\.yaml' \(from --kubeconfig\) does not exist"):
        load_kubeconfig(tmp_path / "missing.yaml", environ=env)


def test_relative_paths_resolve_against_the_defining_file(tmp_path: Path) -> None:
    nested = tmp_path / "configs" / "team"
    write_yaml(
        nested / "config.yaml",
        kubeconfig_document(
            clusters={
                "c": {"server": "https://c.example", "certificate-authority": "pki/ca.crt"},
                "abs": {"server": "https://abs.example", "certificate-authority": "/etc/ca.crt"},
            },
            users={
                "u": {
                    "client-certificate": "pki/client.crt",
                    "client-key": "../secret/client.key",
                    "tokenFile": "token",
                    "exec": {"command": "bin/plugin", "apiVersion": "v1"},
                },
                "path-lookup": {"exec": {"command": "kubelogin"}},
            },
            contexts={"x": {"cluster": "c", "user": "u"}},
        ),
    )
    # Merged behind a file in another directory: paths still follow their own file.
    other = single_context_config(tmp_path / "other.yaml", "https://other.example")
    config = load_kubeconfig_files([other, nested / "config.yaml"])

    assert config.cluster("c")["certificate-authority"] == str(nested / "pki" / "ca.crt")
    assert config.cluster("abs")["certificate-authority"] == "/etc/ca.crt"
    user = config.user("u")
    assert user["client-certificate"] == str(nested / "pki" / "client.crt")
    assert user["client-key"] == str(nested / ".." / "secret" / "client.key")
    assert user["tokenFile"] == str(nested / "token")
    assert user["exec"]["command"] == str(nested / "bin" / "plugin")
    assert config.user("path-lookup")["exec"]["command"] == "kubelogin"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("clusters: [\n  - name: a\n", r"malformed YAML at line \d+, column \d+"),
        ("- just\n- a list\n", "expected a mapping at the top level"),
        ("clusters: {name: a}\n", "clusters must be a list"),
        ("contexts:\n- context: {cluster: a}\n", r"contexts\[0\] has no name"),
        (
            "clusters:\n- name: a\n  cluster: {}\n- name: a\n  cluster: {}\n",
            "duplicate cluster name 'a'",
        ),
    ],
)
def test_malformed_files_give_one_line_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(KtuiError, match=expected) as raised:
        load_kubeconfig(path, environ={})
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "config",
        kubeconfig_document(
            clusters={"c": {"server": "https://c.example"}},
            users={"u": {}},
            contexts={name: {"cluster": "c", "user": "u"} for name in ("prod", "dev", "staging")},
            current_context="dev",
        ),
    )
    with pytest.raises(KtuiError) as raised:
        connect_file(path, context="qa")
    assert str(raised.value) == (
        f"context 'qa' not found in {path} (known contexts: dev, prod, staging)"
    )


def test_long_context_lists_are_abbreviated(tmp_path: Path) -> None:
    names = [f"ctx-{index:02d}" for index in range(20)]
    path = write_yaml(
        tmp_path / "config",
        kubeconfig_document(contexts={name: {"cluster": "c"} for name in names}),
    )
    with pytest.raises(KtuiError, match=r"known contexts: ctx-00, .*ctx-07 and 12 more\)$"):
        load_kubeconfig(path, environ={}).context("nope")


def test_missing_current_context_asks_for_context_flag(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "config",
        kubeconfig_document(contexts={"a": {"cluster": "c"}}, clusters={"c": {"server": "x"}}),
    )
    with pytest.raises(KtuiError, match=r"no current context .* --context \(known contexts: a\)"):
        connect_file(path)


def test_context_referencing_missing_cluster_or_user(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "config",
        kubeconfig_document(
            clusters={"c": {"server": "https://c.example"}},
            users={"u": {"token": "t0k3n-value"}},
            contexts={
                "no-cluster": {"cluster": "gone", "user": "u"},
                "no-user": {"cluster": "c", "user": "ghost"},
                "anonymous": {"cluster": "c"},
            },
        ),
    )
    with pytest.raises(KtuiError, match=r"context 'no-cluster' refers to cluster 'gone', which"):
        connect_file(path, context="no-cluster")
    with pytest.raises(KtuiError, match=r"context 'no-user' refers to user 'ghost', which"):
        connect_file(path, context="no-user")
    anonymous = connect_file(path, context="anonymous")
    assert "BearerToken" not in anonymous.api_client.configuration.api_key
    anonymous.close()


# --------------------------------------------------------------------------------------------
# namespaces and contexts


def test_namespace_resolution(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "config",
        kubeconfig_document(
            clusters={"c": {"server": "https://c.example"}},
            users={"u": {}},
            contexts={
                "with-ns": {"cluster": "c", "user": "u", "namespace": "team-a"},
                "without-ns": {"cluster": "c", "user": "u"},
            },
            current_context="with-ns",
        ),
    )

    def scope(**settings: Any) -> tuple[str | None, str]:
        connection = connect_file(path, **settings)
        connection.close()
        return connection.namespace, connection.default_namespace

    assert scope() == ("team-a", "team-a")
    assert scope(namespace="override") == ("override", "override")
    assert scope(context="without-ns") == ("default", "default")
    assert scope(all_namespaces=True) == (None, "team-a")
    assert scope(context="without-ns", all_namespaces=True) == (None, "default")


def test_each_context_gets_its_own_client_and_the_default_is_untouched(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "config",
        kubeconfig_document(
            clusters={"a": {"server": "https://a.example"}, "b": {"server": "https://b.example"}},
            users={"ua": {"token": "token-of-a-123"}, "ub": {"token": "token-of-b-456"}},
            contexts={
                "ctx-a": {"cluster": "a", "user": "ua", "namespace": "ns-a"},
                "ctx-b": {"cluster": "b", "user": "ub", "namespace": "ns-b"},
            },
            current_context="ctx-a",
        ),
    )
    first = connect_file(path, namespace="explicit")
    second = first.for_context("ctx-b")
    everything = second.for_context("ctx-a", all_namespaces=True)

    assert (first.context_name, first.cluster_server, first.namespace) == (
        "ctx-a",
        "https://a.example",
        "explicit",
    )
    assert (second.context_name, second.cluster_server, second.namespace) == (
        "ctx-b",
        "https://b.example",
        "ns-b",
    )
    assert everything.namespace is None and everything.default_namespace == "ns-a"
    assert everything.for_context("ctx-b").namespace is None  # all-namespaces mode is kept
    assert first.api_client is not second.api_client
    assert first.api_client.configuration is not second.api_client.configuration
    assert first.api_client.configuration.api_key["BearerToken"] == "token-of-a-123"
    assert second.api_client.configuration.api_key["BearerToken"] == "token-of-b-456"
    default = Configuration.get_default_copy()
    assert default.host == Configuration().host
    assert not default.api_key

    narrowed = everything.with_namespace("kube-system")
    assert narrowed.api_client is everything.api_client
    assert (narrowed.namespace, narrowed.default_namespace) == ("kube-system", "kube-system")
    for connection in (first, second, everything):
        connection.close()


# --------------------------------------------------------------------------------------------
# in-cluster fallback


def _service_account(root: Path, ca: Path, namespace: str | None = "apps") -> None:
    account = root / SERVICE_ACCOUNT_DIR
    account.mkdir(parents=True)
    (account / "token").write_text(f"{SECRET_TOKEN}\n")
    (account / "ca.crt").write_bytes(ca.read_bytes())
    if namespace is not None:
        (account / "namespace").write_text(namespace)


def test_in_cluster_fallback_talks_to_the_service_host(
    tmp_path: Path, clean_env: dict[str, str], pki: Pki
) -> None:
    root = tmp_path / "root"
    _service_account(root, pki.ca_cert)
    with serve(tls=server_tls(pki.server_cert, pki.server_key)) as server:
        env = {
            **clean_env,
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": server.url.rsplit(":", 1)[1],
        }
        config = load_kubeconfig(environ=env, in_cluster_root=root)
        assert config.in_cluster
        assert config.contexts() == [IN_CLUSTER_CONTEXT]
        connection = connect(Settings(), environ=env, in_cluster_root=root)
        try:
            assert connection.namespace == "apps"
            assert connection.cluster_server == server.url
            assert probe_server(connection) == "v1.32.0-test"
        finally:
            connection.close()
    assert server.requests[-1]["authorization"] == f"Bearer {SECRET_TOKEN}"


def test_in_cluster_needs_the_service_env_and_files(
    tmp_path: Path, clean_env: dict[str, str], pki: Pki
) -> None:
    root = tmp_path / "root"
    env = {**clean_env, "KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    with pytest.raises(KtuiError, match="no kubeconfig found"):
        load_kubeconfig(environ=env, in_cluster_root=root)
    _service_account(root, pki.ca_cert, namespace=None)
    with pytest.raises(KtuiError, match="no kubeconfig found"):
        load_kubeconfig(environ=clean_env, in_cluster_root=root)
    config = load_kubeconfig(environ=env, in_cluster_root=root)
    assert config.cluster(IN_CLUSTER_CONTEXT)["server"] == "https://[fd00::1]:443"
    assert config.context().effective_namespace == "default"
    # A kubeconfig, when there is one, wins over the service account.
    single_context_config(Path(clean_env["HOME"]) / ".kube" / "config", "https://home.example")
    assert not load_kubeconfig(environ=env, in_cluster_root=root).in_cluster


# --------------------------------------------------------------------------------------------
# credentials and TLS against real servers


def test_token_and_server_version(tmp_path: Path, pki: Pki) -> None:
    with serve_tls(pki) as server:
        connection = connect_file(
            single_context_config(tmp_path / "config", server.url, cluster_extra=trusting(pki))
        )
        assert probe_server(connection) == "v1.32.0-test"
        assert connection.server_version == "v1.32.0-test"
        connection.close()
    assert server.requests[0]["authorization"] == f"Bearer {SECRET_TOKEN}"
    assert server.requests[0]["user-agent"].startswith("ktui/")


def test_token_file_relative_to_the_kubeconfig(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "conf" / "secrets").mkdir(parents=True)
    # The trailing newline is trimmed, as kubectl does.
    (tmp_path / "conf" / "secrets" / "token").write_text("file-token-31337\n")
    with serve_tls(pki) as server:
        path = single_context_config(
            tmp_path / "conf" / "config",
            server.url,
            {"tokenFile": "secrets/token"},
            cluster_extra=trusting(pki),
        )
        connection = connect_file(path)
        probe_server(connection)
        connection.close()
    assert server.requests[0]["authorization"] == "Bearer file-token-31337"


def test_missing_token_file_is_reported(tmp_path: Path) -> None:
    path = single_context_config(tmp_path / "config", "https://x.example", {"tokenFile": "nope"})
    with pytest.raises(KtuiError, match=r"user 'test-user': tokenFile .*nope does not exist"):
        connect_file(path)


def test_basic_auth(tmp_path: Path, pki: Pki) -> None:
    with serve_tls(pki) as server:
        path = single_context_config(
            tmp_path / "config",
            server.url,
            {"username": "admin", "password": "pa55-word!"},
            cluster_extra=trusting(pki),
        )
        connection = connect_file(path)
        probe_server(connection)
        connection.close()
    expected = base64.b64encode(b"admin:pa55-word!").decode()
    assert server.requests[0]["authorization"] == f"Basic {expected}"


def test_token_plus_basic_auth_is_rejected(tmp_path: Path) -> None:
    path = single_context_config(
        tmp_path / "config", "https://x.example", {"token": "tok-123456", "username": "u"}
    )
    with pytest.raises(KtuiError, match="more than one authentication method"):
        connect_file(path)


def test_certificate_authority_file_and_data(tmp_path: Path, pki: Pki) -> None:
    with serve(tls=server_tls(pki.server_cert, pki.server_key)) as server:
        by_file = single_context_config(
            tmp_path / "a" / "config",
            server.url,
            cluster_extra={"certificate-authority": str(pki.ca_cert)},
        )
        by_data = single_context_config(
            tmp_path / "b" / "config",
            server.url,
            cluster_extra={"certificate-authority-data": b64(pki.ca_cert.read_bytes())},
        )
        for path in (by_file, by_data):
            connection = connect_file(path)
            assert probe_server(connection) == "v1.32.0-test"
            connection.close()


def test_untrusted_certificate_is_one_line(tmp_path: Path, pki: Pki) -> None:
    with serve(tls=server_tls(pki.server_cert, pki.server_key)) as server:
        path = single_context_config(
            tmp_path / "config",
            server.url,
            cluster_extra={"certificate-authority": str(pki.other_ca_cert)},
        )
        connection = connect_file(path)
        with pytest.raises(KtuiError) as raised:
            probe_server(connection)
        connection.close()
    message = str(raised.value)
    assert message.startswith(f"TLS: certificate verify failed for {server.url}: ")
    assert "unable to get local issuer certificate" in message
    assert "\n" not in message


def test_tls_server_name_and_insecure_skip_verify(tmp_path: Path, pki: Pki) -> None:
    trusted = {"certificate-authority": str(pki.ca_cert)}
    with serve(tls=server_tls(pki.named_server_cert, pki.named_server_key)) as server:
        plain = connect_file(
            single_context_config(tmp_path / "1", server.url, cluster_extra=trusted)
        )
        with pytest.raises(KtuiError, match=r"TLS: certificate verify failed .*mismatch"):
            probe_server(plain)
        plain.close()

        named = connect_file(
            single_context_config(
                tmp_path / "2",
                server.url,
                cluster_extra={**trusted, "tls-server-name": "kubernetes.test"},
            )
        )
        assert probe_server(named) == "v1.32.0-test"
        named.close()

        insecure = connect_file(
            single_context_config(
                tmp_path / "3", server.url, cluster_extra={"insecure-skip-tls-verify": True}
            )
        )
        assert probe_server(insecure) == "v1.32.0-test"
        insecure.close()

    conflicting = single_context_config(
        tmp_path / "4",
        "https://x.example",
        cluster_extra={**trusted, "insecure-skip-tls-verify": True},
    )
    with pytest.raises(KtuiError, match="cannot be combined with insecure-skip-tls-verify"):
        connect_file(conflicting)


def test_client_certificate_data_lives_in_private_temp_files(tmp_path: Path, pki: Pki) -> None:
    key_pem = pki.client_key.read_bytes()
    tls = server_tls(pki.server_cert, pki.server_key, client_ca=pki.ca_cert)
    with serve(tls=tls) as server:
        path = single_context_config(
            tmp_path / "config",
            server.url,
            {
                "client-certificate-data": b64(pki.client_cert.read_bytes()),
                "client-key-data": b64(key_pem),
            },
            cluster_extra={"certificate-authority": str(pki.ca_cert)},
        )
        connection = connect_file(path)
        configuration = connection.api_client.configuration
        key_file = Path(configuration.key_file)
        assert key_file.read_bytes() == key_pem
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
        assert probe_server(connection) == "v1.32.0-test"
        connection.close()
        assert connection.closed
        assert not key_file.exists() and not key_file.parent.exists()
    assert server.client_certificates[0] is not None
    assert ("commonName", "client") in server.client_certificates[0]["subject"][0]


def test_client_certificate_files_and_a_rejected_handshake(tmp_path: Path, pki: Pki) -> None:
    tls = server_tls(pki.server_cert, pki.server_key, client_ca=pki.ca_cert)
    trusted = {"certificate-authority": str(pki.ca_cert)}
    with serve(tls=tls) as server:
        with_files = connect_file(
            single_context_config(
                tmp_path / "1",
                server.url,
                {"client-certificate": str(pki.client_cert), "client-key": str(pki.client_key)},
                cluster_extra=trusted,
            )
        )
        assert probe_server(with_files) == "v1.32.0-test"
        with_files.close()

        without = connect_file(
            single_context_config(tmp_path / "2", server.url, cluster_extra=trusted)
        )
        with pytest.raises(KtuiError) as raised:
            probe_server(without)
        without.close()
    # The server drops the handshake; the exact wording depends on the TLS version.
    assert str(raised.value).startswith(("TLS", "connection to", "cannot reach"))
    assert server.url in str(raised.value)


def test_missing_certificate_files_are_reported(tmp_path: Path) -> None:
    path = single_context_config(
        tmp_path / "config",
        "https://x.example",
        {"client-certificate": "nope.crt", "client-key": "nope.key"},
    )
    with pytest.raises(KtuiError, match=r"client-certificate file .*nope\.crt does not exist"):
        connect_file(path)
    bad_data = single_context_config(
        tmp_path / "other",
        "https://x.example",
        cluster_extra={"certificate-authority-data": "%%% not base64 %%%"},
    )
    with pytest.raises(KtuiError, match="certificate-authority-data is not valid base64"):
        connect_file(bad_data)


def test_unusable_certificates_fail_at_connect_naming_the_entry(
    tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    mismatched = single_context_config(
        tmp_path / "1",
        "https://x.example",
        {"client-certificate": str(pki.client_cert), "client-key": str(pki.server_key)},
    )
    with pytest.raises(KtuiError, match=r"^user 'test-user': the client key does not match"):
        connect_file(mismatched)
    (tmp_path / "garbage.pem").write_text("not a certificate")
    garbage_ca = single_context_config(
        tmp_path / "2",
        "https://x.example",
        cluster_extra={"certificate-authority": str(tmp_path / "garbage.pem")},
    )
    with pytest.raises(KtuiError, match=r"^cluster 'test-cluster': the certificate authority is"):
        connect_file(garbage_ca)
    garbage_key = single_context_config(
        tmp_path / "3",
        "https://x.example",
        {"client-certificate-data": b64(b"junk"), "client-key-data": b64(b"more junk")},
    )
    with pytest.raises(KtuiError, match=r"^user 'test-user': the client certificate or key is"):
        connect_file(garbage_key)
    assert list(private_tmp.iterdir()) == [], "temporary credential files were left behind"


def test_proxy_url_is_used(tmp_path: Path) -> None:
    path = single_context_config(
        tmp_path / "config", "https://x.example", cluster_extra={"proxy-url": "http://proxy:3128"}
    )
    connection = connect_file(path)
    assert connection.api_client.configuration.proxy == "http://proxy:3128"
    assert type(connection.api_client.rest_client.pool_manager).__name__ == "ProxyManager"
    connection.close()


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (None, "cluster 'test-cluster' has no server"),
        ("ftp://x.example", "bad server URL"),
        ("https://x.example:notaport", "bad server URL"),
    ],
)
def test_bad_server_urls(tmp_path: Path, server: str | None, expected: str) -> None:
    path = single_context_config(tmp_path / "config", server or "")
    with pytest.raises(KtuiError, match=expected):
        connect_file(path)


# --------------------------------------------------------------------------------------------
# exec credential plugins

PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    from pathlib import Path

    info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
    counter = Path(os.environ["PLUGIN_COUNTER"])
    runs = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(runs))
    if os.environ.get("PLUGIN_FAIL"):
        print("noise on stderr", file=sys.stderr)
        print("login required: run the login command", file=sys.stderr)
        sys.exit(3)
    status = {{"token": f"exec-{{sys.argv[1]}}-{{os.environ['PLUGIN_GREETING']}}-{{runs}}"}}
    if os.environ.get("PLUGIN_EXPIRES"):
        status["expirationTimestamp"] = os.environ["PLUGIN_EXPIRES"]
    print(json.dumps({{
        "apiVersion": info["apiVersion"],
        "kind": "ExecCredential",
        "status": status,
        "echo": {{"interactive": info["spec"]["interactive"],
                  "server": info["spec"].get("cluster", {{}}).get("server")}},
    }}))
    """
)


def _plugin(directory: Path) -> Path:
    script = directory / "bin" / "plugin.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(PLUGIN.format(python=sys.executable))
    script.chmod(0o755)
    return script


def _exec_user(counter: Path, **env: str) -> dict[str, Any]:
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "./bin/plugin.py",  # relative to the kubeconfig's directory
            "args": ["arg1"],
            "env": [
                {"name": "PLUGIN_GREETING", "value": "hello"},
                {"name": "PLUGIN_COUNTER", "value": str(counter)},
                *({"name": k, "value": v} for k, v in env.items()),
            ],
            "interactiveMode": "Never",
            "provideClusterInfo": True,
        }
    }


def test_exec_plugin_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pki: Pki) -> None:
    _plugin(tmp_path)
    counter = tmp_path / "runs"
    monkeypatch.chdir("/")
    with serve_tls(pki) as server:
        path = single_context_config(
            tmp_path / "config", server.url, _exec_user(counter), cluster_extra=trusting(pki)
        )
        connection = connect_file(path)
        probe_server(connection)
        probe_server(connection)
        connection.close()
    # No expiry: the plugin runs once and its token is reused.
    assert [r["authorization"] for r in server.requests] == ["Bearer exec-arg1-hello-1"] * 2
    assert counter.read_text() == "1"


def test_exec_plugin_reruns_when_its_token_expires(tmp_path: Path, pki: Pki) -> None:
    _plugin(tmp_path)
    counter = tmp_path / "runs"
    # Already expired: every request needs a fresh credential.
    user = _exec_user(counter, PLUGIN_EXPIRES="2000-01-01T00:00:00Z")
    with serve_tls(pki) as server:
        connection = connect_file(
            single_context_config(
                tmp_path / "config", server.url, user, cluster_extra=trusting(pki)
            )
        )
        probe_server(connection)
        probe_server(connection)
        connection.close()
    assert [r["authorization"] for r in server.requests] == [
        "Bearer exec-arg1-hello-2",
        "Bearer exec-arg1-hello-3",
    ]


def test_exec_plugin_receives_exec_info(tmp_path: Path) -> None:
    script = _plugin(tmp_path)
    config = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": str(script),
        "args": ["x"],
        "env": [
            {"name": "PLUGIN_GREETING", "value": "hi"},
            {"name": "PLUGIN_COUNTER", "value": str(tmp_path / "n")},
        ],
        "provideClusterInfo": True,
    }
    credential = run_exec_plugin(
        config, user_name="me", cluster={"server": "https://api.example"}, environ={}
    )
    assert credential.token == "exec-x-hi-1"
    assert credential.expires_at is None
    assert SECRET_TOKEN not in repr(credential)


def test_exec_plugin_failures_are_one_line(tmp_path: Path) -> None:
    _plugin(tmp_path)
    user = _exec_user(tmp_path / "runs", PLUGIN_FAIL="1")
    path = single_context_config(tmp_path / "config", "https://x.example", user)
    with pytest.raises(KtuiError) as raised:
        connect_file(path)
    assert str(raised.value) == (
        "exec plugin "
        f"{str(tmp_path / 'bin' / 'plugin.py')!r} of user 'test-user' failed (exit 3):"
        " login required: run the login command"
    )

    missing = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": "ktui-no-such-plugin",
        "installHint": "Install it with:\n  brew install ktui-plugin",
    }
    with pytest.raises(KtuiError) as raised:
        run_exec_plugin(missing, user_name="me", environ={"PATH": str(tmp_path)})
    assert str(raised.value) == (
        "exec plugin 'ktui-no-such-plugin' of user 'me': command not found"
        " — Install it with: brew install ktui-plugin"
    )

    for config, expected in [
        ({"apiVersion": "client.authentication.k8s.io/v1alpha1", "command": "x"}, "unsupported"),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": sys.executable,
                "args": ["-c", "print('not json')"],
            },
            "not an ExecCredential JSON",
        ),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": sys.executable,
                "args": [
                    "-c",
                    "import json; print(json.dumps({'kind': 'ExecCredential', 'apiVersion':"
                    " 'client.authentication.k8s.io/v1beta1', 'status': {'token': 'abcdef'}}))",
                ],
            },
            "returned apiVersion 'client.authentication.k8s.io/v1beta1', expected",
        ),
    ]:
        with pytest.raises(KtuiError, match=expected):
            run_exec_plugin(config, user_name="me", environ={})


# --------------------------------------------------------------------------------------------
# describing errors


def _status_exception(status: int, message: str | None, body: str | None = None) -> ApiException:
    exc = ApiException(status=status, reason="Reason")
    exc.body = (
        body
        if body is not None
        else json.dumps({"kind": "Status", "status": "Failure", "message": message, "code": status})
    )
    return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            _status_exception(401, "Unauthorized"),
            "Unauthorized (401): the credentials in context 'prod' were rejected"
            " — token expired or invalid?",
        ),
        (
            _status_exception(
                403, 'pods is forbidden: User "dev" cannot list resource "pods" in "kube-system"'
            ),
            'Forbidden (403): pods is forbidden: User "dev" cannot list resource "pods" in'
            ' "kube-system"',
        ),
        (
            _status_exception(404, 'deployments.apps "web" not found'),
            'Not found (404): deployments.apps "web" not found',
        ),
        (
            _status_exception(410, "too old resource version: 100 (200)"),
            "Gone (410): too old resource version: 100 (200) — the list must be fetched again",
        ),
        (
            _status_exception(503, None, "<html><b>upstream\nbusy</b></html>"),
            "Service unavailable (503): the server answered with an HTML page",
        ),
        (
            _status_exception(502, None, "upstream connect error\nreset"),
            "Bad gateway (502): upstream connect error reset",
        ),
        (_status_exception(418, None, ""), "Reason (418) from https://api.example"),
    ],
)
def test_describe_status_errors(exc: ApiException, expected: str) -> None:
    message = describe_api_error(exc, server="https://api.example", context="prod")
    assert message.startswith(expected)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "cannot reach https://api.example:6443: cannot resolve host name 'api.example'",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (
            OSError(113, "No route to host"),
            "cannot reach https://api.example:6443: host unreachable",
        ),
        (
            ConnectionResetError(104, "Connection reset by peer"),
            "connection to https://api.example:6443 was closed unexpectedly: connection reset",
        ),
        (KtuiError("already\nexplained"), "already explained"),
        (FileNotFoundError(2, "No such file", "/x/ca.crt"), "file not found: /x/ca.crt"),
        (RuntimeError("first line\nsecond line"), "RuntimeError: first line second line"),
    ],
)
def test_describe_low_level_errors(exc: BaseException, expected: str) -> None:
    message = describe_api_error(exc, server="https://api.example:6443")
    assert expected in message
    assert "\n" not in message


def test_describe_connection_failures_from_real_requests(tmp_path: Path) -> None:
    port = closed_port()
    connection = connect_file(single_context_config(tmp_path / "1", f"https://127.0.0.1:{port}"))
    api = CoreV1Api(connection.api_client)
    with pytest.raises(Exception) as raised:
        api.list_namespaced_pod("default", _request_timeout=2)
    connection.close()
    # Without `server`, the address is recovered from urllib3's exception.
    assert describe_api_error(raised.value) == (
        f"cannot reach https://127.0.0.1:{port}: connection refused"
    )

    # A server that accepts but never answers: a read timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        connection = connect_file(single_context_config(tmp_path / "2", url))
        with pytest.raises(KtuiError) as timed_out:
            probe_server(connection, timeout=0.3)
        connection.close()
    assert str(timed_out.value) == f"no response from {url}: read timed out"


def test_malformed_responses(tmp_path: Path) -> None:
    def not_json(path: str, headers: dict[str, str]) -> tuple[int, str]:
        return 200, "<html>hello</html>"

    def no_version(path: str, headers: dict[str, str]) -> tuple[int, str]:
        return 200, json.dumps({"major": "1"})

    for responder, expected in [(not_json, "not JSON"), (no_version, "no gitVersion")]:
        with serve(responder) as server:
            connection = connect_file(single_context_config(tmp_path / "config", server.url))
            with pytest.raises(KtuiError) as raised:
                probe_server(connection)
            connection.close()
        assert str(raised.value).startswith(f"malformed response from {server.url}/version: ")
        assert expected in str(raised.value)

    assert describe_api_error(json.JSONDecodeError("Expecting value", "<", 0)).startswith(
        "malformed response from the API server: not valid JSON"
    )


def test_html_error_page_is_named_not_shown(tmp_path: Path) -> None:
    def proxy_error(path: str, headers: dict[str, str]) -> tuple[int, str]:
        return 502, "<!DOCTYPE html>\n<html><head><title>502</title></head><body>oops</body></html>"

    with serve(proxy_error) as server:
        connection = connect_file(single_context_config(tmp_path / "config", server.url, {}))
        with pytest.raises(KtuiError) as raised:
            probe_server(connection)
        connection.close()
    assert str(raised.value) == "Bad gateway (502): the server answered with an HTML page"


def test_secrets_never_reach_messages_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pki: Pki
) -> None:
    caplog.set_level(logging.DEBUG)
    # ktui's log handlers carry this filter; library records (urllib3, kubernetes) pass it too.
    caplog.handler.addFilter(RedactingFilter())
    messages: list[str] = []

    def echo_authorization(path: str, headers: dict[str, str]) -> tuple[int, str]:
        # A hostile or buggy server that reflects the credentials in its error.
        return 403, json.dumps(
            {"kind": "Status", "message": f"forbidden for {headers.get('authorization')}"}
        )

    def attempt(connection: Connection) -> None:
        with pytest.raises(KtuiError) as raised:
            probe_server(connection)
        messages.append(str(raised.value))
        try:
            CoreV1Api(connection.api_client).list_namespaced_pod(
                connection.namespace or "default", _request_timeout=2
            )
        except Exception as exc:
            messages.append(describe_api_error(exc, server=connection.cluster_server))
            logging.getLogger("ktui.test").exception("request failed")
        messages.append(repr(connection))
        connection.close()

    key_pem = pki.client_key.read_text()
    secret_user = {
        "token": SECRET_TOKEN,
        "client-certificate-data": b64(pki.client_cert.read_bytes()),
        "client-key-data": b64(key_pem.encode()),
    }
    for responder in (unauthorized, echo_authorization):
        with serve_tls(pki, responder) as server:
            attempt(
                connect_file(
                    single_context_config(
                        tmp_path / "c", server.url, secret_user, cluster_extra=trusting(pki)
                    )
                )
            )
        assert server.requests and all(
            r["authorization"] == f"Bearer {SECRET_TOKEN}" for r in server.requests
        )
    with serve(tls=server_tls(pki.server_cert, pki.server_key)) as server:
        untrusted = {"certificate-authority": str(pki.other_ca_cert)}
        attempt(
            connect_file(
                single_context_config(
                    tmp_path / "d", server.url, secret_user, cluster_extra=untrusted
                )
            )
        )
    attempt(
        connect_file(
            single_context_config(tmp_path / "e", f"http://127.0.0.1:{closed_port()}", secret_user)
        )
    )
    config = load_kubeconfig(tmp_path / "e", environ={})
    messages.append(repr(config))
    messages.append(
        describe_api_error(RuntimeError(f"header: Authorization: Bearer {SECRET_TOKEN}"))
    )

    assert any(message.startswith("Unauthorized (401)") for message in messages)
    assert any("forbidden for" in message for message in messages)
    assert any(message.startswith("TLS: certificate verify failed") for message in messages)
    assert any("connection refused" in message for message in messages)
    key_body = "".join(key_pem.strip().splitlines()[1:-1])
    for text in [*messages, caplog.text]:
        assert SECRET_TOKEN not in text
        assert key_body[:40] not in text
        assert "PRIVATE KEY" not in text


def test_redact_registered_secrets_and_headers() -> None:
    register_secret("registered-secret-value-42")
    text = redact(
        "a registered-secret-value-42 b {'Authorization': 'Bearer abc.def-123'} c"
        " Authorization: Basic dXNlcjpwYXNz"
    )
    assert "registered-secret-value-42" not in text
    assert "abc.def-123" not in text
    assert "dXNlcjpwYXNz" not in text
    assert redact("basic authentication with bearer tokens") == (
        "basic authentication with bearer tokens"
    )


def test_kubeconfig_repr_hides_credentials(tmp_path: Path) -> None:
    config: KubeConfig = load_kubeconfig(
        single_context_config(tmp_path / "config", "https://x.example"), environ={}
    )
    assert SECRET_TOKEN not in repr(config)
    assert SECRET_TOKEN not in repr(config.context())
