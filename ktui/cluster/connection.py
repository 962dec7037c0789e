"""A live connection to one kubeconfig context: an `ApiClient` of its own plus the namespace scope.

Each context gets a `kubernetes.client.ApiClient` built from a fresh `Configuration()`; nothing is
written to the library's process-wide default, so several contexts can be open at once and
switching at run time cannot leak credentials from one cluster to another.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import urllib3
from kubernetes.client import ApiClient, Configuration

import ktui
from ktui.cluster.errors import KtuiError, describe_api_error, one_line, register_secret
from ktui.cluster.kubeconfig import ContextInfo, KubeConfig, load_kubeconfig
from ktui.cluster.transport import open_request, read_body
from ktui.settings import Settings

__all__ = [
    "EXEC_API_VERSIONS",
    "PROBE_TIMEOUT_SECONDS",
    "Connection",
    "ExecCredential",
    "build_api_client",
    "connect",
    "connect_context",
    "probe_server",
    "run_exec_plugin",
]

PROBE_TIMEOUT_SECONDS: Final = 5.0
EXEC_API_VERSIONS: Final = frozenset(
    {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}
)
# Long enough for a plugin that opens a browser login, short enough not to hang forever.
EXEC_TIMEOUT_SECONDS: Final = 120.0
# Refresh an exec token this long before it expires, so an in-flight request is not rejected.
EXEC_EXPIRY_MARGIN: Final = timedelta(seconds=10)
TOKEN_FILE_REREAD_SECONDS: Final = 60.0
USER_AGENT: Final = f"ktui/{ktui.__version__}"
_AUTH_KEY: Final = "BearerToken"


@dataclass(eq=False)
class Connection:
    """A context's API client and the namespace scope ktui is showing.

    `namespace` is None for all namespaces; `default_namespace` is the namespace to fall back to
    when leaving all-namespaces mode (the `-n` value, else the context's, else "default").
    """

    context_name: str
    cluster_server: str
    namespace: str | None
    default_namespace: str
    api_client: ApiClient = field(repr=False)
    kubeconfig: KubeConfig = field(repr=False)
    user_name: str = ""
    server_version: str | None = None
    """The server's gitVersion once `probe_server` has succeeded."""
    transport_warning: str | None = None
    """One line to show the user about how this connection talks to the server, e.g. that the
    server is plain http so the user's credentials are not sent."""
    _resources: _ClientResources = field(repr=False, default_factory=lambda: _ClientResources())
    _environ: Mapping[str, str] | None = field(repr=False, default=None)

    @property
    def all_namespaces(self) -> bool:
        return self.namespace is None

    @property
    def closed(self) -> bool:
        return self._resources.closed

    def for_context(self, name: str, *, all_namespaces: bool | None = None) -> Connection:
        """A new connection to another context of the same kubeconfig files, read again (as
        kubectl reads them on every command: a new context or a renewed certificate is seen).

        The namespace becomes that context's own; `all_namespaces` None keeps the current
        all-namespaces mode. The old connection stays open until `close()`.
        """
        keep_all = self.all_namespaces if all_namespaces is None else all_namespaces
        return connect_context(
            self.kubeconfig.reloaded(), name, all_namespaces=keep_all, environ=self._environ
        )

    def with_namespace(self, namespace: str | None) -> Connection:
        """The same API client scoped to `namespace` (None: all namespaces)."""
        return replace(
            self,
            namespace=namespace,
            default_namespace=namespace if namespace is not None else self.default_namespace,
        )

    def close(self) -> None:
        """Close the API client and delete its temporary credential files (idempotent).

        Connections made by `with_namespace` share the client; closing one closes them all.
        """
        self._resources.close(self.api_client)


def connect(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    in_cluster_root: str | os.PathLike[str] = "/",
) -> Connection:
    """Load the kubeconfig `settings` point at and connect to the chosen context.

    Does no network I/O (exec credential plugins run, though); use `probe_server` to check the
    server answers. Raises KtuiError with a one-line message.
    """
    kubeconfig = load_kubeconfig(
        settings.kubeconfig, environ=environ, in_cluster_root=in_cluster_root
    )
    context = kubeconfig.context(settings.context)
    return connect_context(
        kubeconfig,
        context.name,
        namespace=settings.namespace,
        all_namespaces=settings.all_namespaces,
        environ=environ,
    )


def connect_context(
    kubeconfig: KubeConfig,
    context_name: str,
    *,
    namespace: str | None = None,
    all_namespaces: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """Connect to `context_name`; `namespace` (like `-n`) overrides the context's namespace."""
    context = kubeconfig.context(context_name)
    default_namespace = namespace or context.effective_namespace
    resources = _ClientResources()
    try:
        api_client, server = build_api_client(
            kubeconfig, context, resources=resources, environ=environ
        )
    except BaseException:
        resources.close(None)
        raise
    user = kubeconfig.user(context.user, context=context.name) if context.user else {}
    return Connection(
        context_name=context.name,
        cluster_server=server,
        namespace=None if all_namespaces else default_namespace,
        default_namespace=default_namespace,
        api_client=api_client,
        kubeconfig=kubeconfig,
        user_name=context.user,
        transport_warning=_plain_http_warning(server, user),
        _resources=resources,
        _environ=environ,
    )


def probe_server(connection: Connection, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> str:
    """GET /version and return the server's gitVersion; KtuiError (one line) otherwise."""
    server = connection.cluster_server
    try:
        # No retries: start-up should report an unreachable server after one timeout, not four.
        response = open_request(
            connection.api_client,
            "GET",
            "/version",
            timeout=(timeout, timeout),
            retries=False,
        )
        data = read_body(response)
    except KtuiError:
        raise
    except Exception as exc:
        if getattr(exc, "status", None) == 401 and connection.transport_warning:
            raise KtuiError(
                f"Unauthorized (401): {server} wants credentials, and ktui sends none over"
                " plain http (as kubectl) — use its https address"
            ) from None
        message = describe_api_error(exc, server=server, context=connection.context_name)
        raise KtuiError(message) from None
    try:
        document = json.loads(data)
    except ValueError:
        raise KtuiError(
            f"malformed response from {server}/version: not JSON — is this a Kubernetes API server?"
        ) from None
    version = document.get("gitVersion") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version:
        raise KtuiError(f"malformed response from {server}/version: no gitVersion")
    connection.server_version = version
    return version


def build_api_client(
    kubeconfig: KubeConfig,
    context: ContextInfo,
    *,
    resources: _ClientResources | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[ApiClient, str]:
    """An ApiClient for `context` from a fresh Configuration, and the server URL it talks to."""
    resources = resources if resources is not None else _ClientResources()
    if not context.cluster:
        raise KtuiError(f"context {context.name!r} names no cluster in {kubeconfig.origin}")
    cluster = kubeconfig.cluster(context.cluster, context=context.name)
    user: Mapping[str, Any] = (
        kubeconfig.user(context.user, context=context.name) if context.user else {}
    )
    cluster_label = f"cluster {context.cluster!r}"
    user_label = f"user {context.user!r}"

    configuration = Configuration()
    # Ten watches plus the UI's own requests: urllib3's default pool (5 x cores) would keep
    # discarding connections ("Connection pool is full") on a 2-core machine.
    configuration.connection_pool_maxsize = 32
    # No silent urllib3 retries: the watch caches have their own back-off and states, and a
    # failed action is reported at once rather than after four tries.
    configuration.retries = False
    server = _server_url(cluster, cluster_label)
    configuration.host = server

    proxy_url = _string_field(cluster, "proxy-url", cluster_label)
    if proxy_url:
        configuration.proxy = proxy_url

    insecure = _bool_field(cluster, "insecure-skip-tls-verify", cluster_label)
    ca_data = _decoded_data(cluster, "certificate-authority-data", cluster_label)
    ca_file = _string_field(cluster, "certificate-authority", cluster_label)
    if insecure and (ca_data or ca_file):
        raise KtuiError(
            f"{cluster_label}: certificate-authority cannot be combined with"
            " insecure-skip-tls-verify"
        )
    if ca_data:
        configuration.ca_cert_data = ca_data.decode("utf-8", "replace")
    elif ca_file:
        _require_file(ca_file, f"{cluster_label}: certificate-authority")
        configuration.ssl_ca_cert = ca_file
    configuration.verify_ssl = not insecure
    if insecure:
        # urllib3 warns on every request otherwise, which would scribble over the TUI.
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    tls_server_name = _string_field(cluster, "tls-server-name", cluster_label)
    if tls_server_name:
        configuration.tls_server_name = tls_server_name

    if not _is_plain_http(server):
        # As kubectl (clientcmd reads the user's credentials only when IsConfigTransportTLS):
        # over plain http no token, basic auth, exec plugin or client certificate is used, so
        # none can be sent in clear text. `Connection.transport_warning` says so.
        _configure_client_certificate(configuration, user, user_label, resources)
        _configure_authentication(
            configuration,
            user=user,
            user_label=user_label,
            user_name=context.user,
            cluster=cluster,
            resources=resources,
            environ=environ,
        )

    _check_tls_material(configuration, cluster_label, user_label)
    api_client = ApiClient(configuration=configuration)
    api_client.user_agent = USER_AGENT
    resources.attach(api_client)
    return api_client, server


@dataclass(frozen=True)
class ExecCredential:
    """What an exec credential plugin returned."""

    token: str | None = field(default=None, repr=False)
    client_certificate_pem: str | None = field(default=None, repr=False)
    client_key_pem: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (now or datetime.now(UTC)) >= self.expires_at - EXEC_EXPIRY_MARGIN


def run_exec_plugin(
    exec_config: Mapping[str, Any],
    *,
    user_name: str,
    cluster: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = EXEC_TIMEOUT_SECONDS,
) -> ExecCredential:
    """Run a kubeconfig `exec` credential plugin as kubectl does and parse its ExecCredential."""
    label = f"exec plugin of user {user_name!r}"
    api_version = exec_config.get("apiVersion")
    if api_version not in EXEC_API_VERSIONS:
        raise KtuiError(
            f"{label}: unsupported apiVersion {api_version!r}"
            f" (use {' or '.join(sorted(EXEC_API_VERSIONS))})"
        )
    command = exec_config.get("command")
    if not isinstance(command, str) or not command:
        raise KtuiError(f"{label}: no command")
    label = f"exec plugin {command!r} of user {user_name!r}"
    args = exec_config.get("args") or []
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        raise KtuiError(f"{label}: args must be a list of strings")
    if exec_config.get("interactiveMode") == "Always":
        raise KtuiError(f"{label}: interactiveMode Always is not supported by ktui")

    env = dict(os.environ if environ is None else environ)
    for entry in exec_config.get("env") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise KtuiError(f"{label}: env entries need a name and a value")
        value = entry.get("value")
        env[entry["name"]] = "" if value is None else str(value)
    spec: dict[str, Any] = {"interactive": False}
    if exec_config.get("provideClusterInfo") and cluster is not None:
        spec["cluster"] = _exec_cluster_info(cluster)
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}
    )

    try:
        completed = subprocess.run(
            [command, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        hint = exec_config.get("installHint")
        suffix = f" — {one_line(hint, 160)}" if isinstance(hint, str) and hint.strip() else ""
        raise KtuiError(f"{label}: command not found{suffix}") from None
    except PermissionError:
        raise KtuiError(f"{label}: command is not executable") from None
    except subprocess.TimeoutExpired:
        raise KtuiError(f"{label}: did not finish within {timeout:g}s") from None
    except OSError as exc:
        raise KtuiError(f"{label}: cannot run: {exc.strerror or exc}") from None
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {stderr[-1]}" if stderr else ""
        raise KtuiError(f"{label} failed (exit {completed.returncode}){detail}")
    return _parse_exec_credential(completed.stdout, api_version, label)


def _parse_exec_credential(stdout: bytes, api_version: str, label: str) -> ExecCredential:
    try:
        document = json.loads(stdout)
    except ValueError:
        raise KtuiError(f"{label} printed something that is not an ExecCredential JSON") from None
    if not isinstance(document, dict) or document.get("kind") != "ExecCredential":
        raise KtuiError(f"{label} did not print an ExecCredential")
    if document.get("apiVersion") != api_version:
        raise KtuiError(
            f"{label} returned apiVersion {document.get('apiVersion')!r}, expected {api_version!r}"
        )
    status = document.get("status")
    if not isinstance(status, dict):
        raise KtuiError(f"{label}: the ExecCredential has no status")
    token = status.get("token")
    certificate = status.get("clientCertificateData")
    key = status.get("clientKeyData")
    for value in (token, key):
        if isinstance(value, str):
            register_secret(value)
    if token is not None and not isinstance(token, str):
        raise KtuiError(f"{label}: status.token must be a string")
    if token:
        _checked_token(token, f"{label}: the token it returned")
    if bool(certificate) != bool(key):
        raise KtuiError(
            f"{label}: clientCertificateData and clientKeyData must be returned together"
        )
    if not token and not certificate:
        raise KtuiError(f"{label}: the ExecCredential has neither a token nor a client certificate")
    if certificate is not None and not (isinstance(certificate, str) and isinstance(key, str)):
        raise KtuiError(f"{label}: clientCertificateData and clientKeyData must be strings")
    expires_at: datetime | None = None
    raw_expiry = status.get("expirationTimestamp")
    if raw_expiry:
        try:
            expires_at = datetime.fromisoformat(str(raw_expiry))
        except ValueError:
            raise KtuiError(f"{label}: bad expirationTimestamp {raw_expiry!r}") from None
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
    return ExecCredential(
        token=token or None,
        client_certificate_pem=certificate or None,
        client_key_pem=key or None,
        expires_at=expires_at,
    )


class _ClientResources:
    """Temporary credential files owned by one ApiClient.

    urllib3 reads the client certificate and key from files on every new TLS connection, so
    inline `-data` credentials live in a private 0700 directory as long as the client does:
    until `close()`, the client is garbage-collected, or the interpreter exits.
    """

    def __init__(self) -> None:
        self._directory: Path | None = None
        self._client: weakref.ReferenceType[ApiClient] | None = None
        self._finalizer: weakref.finalize[[str], ApiClient] | None = None
        self._closed = False
        self._lock = threading.Lock()

    def attach(self, api_client: ApiClient) -> None:
        with self._lock:
            self._client = weakref.ref(api_client)
            self._register_finalizer()

    def write_private_file(self, name: str, content: bytes) -> str:
        with self._lock:
            if self._directory is None:
                self._directory = Path(tempfile.mkdtemp(prefix="ktui-credentials-"))
                os.chmod(self._directory, 0o700)
                self._register_finalizer()
            path = self._directory / name
        temporary = path.with_name(f".{name}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        # Atomic, so a TLS handshake on another thread never reads a half-written key.
        os.replace(temporary, path)
        return str(path)

    def _register_finalizer(self) -> None:
        client = self._client() if self._client is not None else None
        if client is not None and self._directory is not None and self._finalizer is None:
            self._finalizer = weakref.finalize(client, _remove_directory, str(self._directory))

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, api_client: ApiClient | None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            finalizer, directory = self._finalizer, self._directory
        if api_client is not None:
            api_client.close()  # type: ignore[no-untyped-call]
        if finalizer is not None:
            finalizer()
        elif directory is not None:
            _remove_directory(str(directory))


def _remove_directory(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _configure_client_certificate(
    configuration: Configuration,
    user: Mapping[str, Any],
    user_label: str,
    resources: _ClientResources,
) -> None:
    certificate_data = _decoded_data(user, "client-certificate-data", user_label)
    key_data = _decoded_data(user, "client-key-data", user_label)
    certificate_file = _string_field(user, "client-certificate", user_label)
    key_file = _string_field(user, "client-key", user_label)
    if certificate_data:
        configuration.cert_file = resources.write_private_file("client.crt", certificate_data)
    elif certificate_file:
        _require_file(certificate_file, f"{user_label}: client-certificate")
        configuration.cert_file = certificate_file
    if key_data:
        register_secret(key_data)
        configuration.key_file = resources.write_private_file("client.key", key_data)
    elif key_file:
        _require_file(key_file, f"{user_label}: client-key")
        configuration.key_file = key_file
    if bool(configuration.cert_file) != bool(configuration.key_file):
        raise KtuiError(f"{user_label}: a client certificate needs both a certificate and a key")


def _configure_authentication(
    configuration: Configuration,
    *,
    user: Mapping[str, Any],
    user_label: str,
    user_name: str,
    cluster: Mapping[str, Any],
    resources: _ClientResources,
    environ: Mapping[str, str] | None,
) -> None:
    token = _string_field(user, "token", user_label)
    token_file = _string_field(user, "tokenFile", user_label)
    username = _string_field(user, "username", user_label)
    password = _string_field(user, "password", user_label)
    exec_config = user.get("exec")
    auth_provider = user.get("auth-provider")

    if (token or token_file) and (username or password):
        raise KtuiError(f"{user_label}: more than one authentication method (token and basic auth)")
    if exec_config is not None and auth_provider is not None:
        raise KtuiError(f"{user_label}: exec and auth-provider cannot be used together")

    if token_file:
        source = _TokenFileSource(token_file, fallback=token, user_label=user_label)
        _set_bearer_token(configuration, source.current())
        # The library annotates the hook's default (None), not its type.
        configuration.refresh_api_key_hook = source.refresh  # type: ignore[assignment]
    elif token:
        register_secret(token)
        _set_bearer_token(configuration, _checked_token(token, f"{user_label}: token"))
    elif username or password:
        register_secret(password)
        # UTF-8, as Go's SetBasicAuth (urllib3's make_headers would use latin-1, and fail with
        # a UnicodeEncodeError on anything else); base64 keeps any character out of the header.
        credentials = f"{username or ''}:{password or ''}".encode()
        encoded = base64.b64encode(credentials).decode("ascii")
        register_secret(encoded)
        configuration.api_key[_AUTH_KEY] = f"Basic {encoded}"
    elif exec_config is not None:
        if not isinstance(exec_config, dict):
            raise KtuiError(f"{user_label}: exec must be a mapping")
        exec_source = _ExecSource(
            exec_config,
            user_name=user_name,
            cluster=cluster,
            environ=environ,
            configuration=configuration,
            resources=resources,
        )
        exec_source.apply(exec_source.fetch())
        configuration.refresh_api_key_hook = exec_source.refresh  # type: ignore[assignment]
    elif auth_provider is not None:
        _configure_auth_provider(configuration, auth_provider, user_label)


def _configure_auth_provider(
    configuration: Configuration, auth_provider: Any, user_label: str
) -> None:
    name = auth_provider.get("name") if isinstance(auth_provider, dict) else None
    provider_config = auth_provider.get("config") if isinstance(auth_provider, dict) else None
    id_token = provider_config.get("id-token") if isinstance(provider_config, dict) else None
    if name == "oidc" and isinstance(id_token, str) and id_token:
        # Without a refresh flow the id-token is used until it expires, as a static token.
        register_secret(id_token)
        _set_bearer_token(
            configuration, _checked_token(id_token, f"{user_label}: auth-provider id-token")
        )
        return
    raise KtuiError(
        f"{user_label} uses the auth-provider {name!r}, which ktui does not support;"
        " use an exec credential plugin instead"
    )


def _checked_token(token: str, what: str) -> str:
    """`token`, if it can be sent in an Authorization header; else KtuiError naming `what`.

    kubectl (Go's net/http) refuses a header value with a control character other than a tab:
    a line break in a token would otherwise end the header early. A non-ASCII token cannot be a
    Kubernetes token (http.client could not even encode most of them). The message never
    contains any part of the token.
    """
    if any((ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F for char in token):
        raise KtuiError(
            f"{what} contains a line break or another control character"
            " (kubectl refuses such a token too)"
        )
    if not token.isascii():
        raise KtuiError(f"{what} contains a non-ASCII character (tokens are plain ASCII)")
    return token


def _set_bearer_token(configuration: Configuration, token: str) -> None:
    configuration.api_key[_AUTH_KEY] = token
    configuration.api_key_prefix[_AUTH_KEY] = "Bearer"


class _TokenFileSource:
    """A bearer token read from a file and re-read periodically, as kubectl does for rotation."""

    def __init__(self, path: str, *, fallback: str | None, user_label: str) -> None:
        self._path = path
        self._fallback = fallback
        self._user_label = user_label
        self._lock = threading.Lock()
        self._token = self._read(initial=True)
        self._read_at = time.monotonic()

    def current(self) -> str:
        return self._token

    def _read(self, *, initial: bool) -> str:
        try:
            token = Path(self._path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            if not initial:
                return self._token
            if self._fallback:
                register_secret(self._fallback)
                return _checked_token(self._fallback, f"{self._user_label}: token")
            reason = "does not exist" if isinstance(exc, FileNotFoundError) else exc.strerror
            raise KtuiError(f"{self._user_label}: tokenFile {self._path} {reason}") from None
        if not token:
            if not initial:
                return self._token
            raise KtuiError(f"{self._user_label}: tokenFile {self._path} is empty")
        register_secret(token)
        try:
            # Surrounding whitespace (the usual trailing newline) is trimmed, as kubectl does.
            return _checked_token(token, f"{self._user_label}: tokenFile {self._path}")
        except KtuiError:
            if not initial:
                return self._token  # a half-written rotation: keep the token that worked
            raise

    def refresh(self, configuration: Configuration) -> None:
        with self._lock:
            if time.monotonic() - self._read_at < TOKEN_FILE_REREAD_SECONDS:
                return
            self._token = self._read(initial=False)
            self._read_at = time.monotonic()
            _set_bearer_token(configuration, self._token)


class _ExecSource:
    """Runs an exec plugin and re-runs it when the credential it returned expires."""

    def __init__(
        self,
        exec_config: Mapping[str, Any],
        *,
        user_name: str,
        cluster: Mapping[str, Any],
        environ: Mapping[str, str] | None,
        configuration: Configuration,
        resources: _ClientResources,
    ) -> None:
        self._exec_config = exec_config
        self._user_name = user_name
        self._cluster = cluster
        self._environ = environ
        self._resources = resources
        self._lock = threading.Lock()
        self._credential: ExecCredential | None = None
        self._configuration = configuration

    def fetch(self) -> ExecCredential:
        return run_exec_plugin(
            self._exec_config,
            user_name=self._user_name,
            cluster=self._cluster,
            environ=self._environ,
        )

    def apply(self, credential: ExecCredential) -> None:
        self._credential = credential
        configuration = self._configuration
        if credential.token:
            _set_bearer_token(configuration, credential.token)
        if credential.client_certificate_pem and credential.client_key_pem:
            configuration.cert_file = self._resources.write_private_file(
                "exec-client.crt", credential.client_certificate_pem.encode()
            )
            configuration.key_file = self._resources.write_private_file(
                "exec-client.key", credential.client_key_pem.encode()
            )

    def refresh(self, configuration: Configuration) -> None:
        with self._lock:
            if self._credential is not None and not self._credential.expired():
                return
            self.apply(self.fetch())


def _exec_cluster_info(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """The `spec.cluster` kubectl hands to plugins that set provideClusterInfo."""
    info: dict[str, Any] = {"server": cluster.get("server", "")}
    for key, target in (
        ("tls-server-name", "tls-server-name"),
        ("insecure-skip-tls-verify", "insecure-skip-tls-verify"),
        ("proxy-url", "proxy-url"),
    ):
        if cluster.get(key) is not None:
            info[target] = cluster[key]
    ca_data = cluster.get("certificate-authority-data")
    ca_file = cluster.get("certificate-authority")
    if isinstance(ca_data, str) and ca_data:
        info["certificate-authority-data"] = ca_data
    elif isinstance(ca_file, str) and ca_file:
        # Unreadable here means unreadable for the TLS handshake too, which reports it better.
        with contextlib.suppress(OSError):
            info["certificate-authority-data"] = base64.b64encode(
                Path(ca_file).read_bytes()
            ).decode()
    extension = next(
        (
            entry.get("extension")
            for entry in cluster.get("extensions") or []
            if isinstance(entry, dict) and entry.get("name") == "client.authentication.k8s.io/exec"
        ),
        None,
    )
    if extension is not None:
        info["config"] = extension
    return info


def _check_tls_material(configuration: Configuration, cluster_label: str, user_label: str) -> None:
    """Load the CA and client key pair once now, so a bad file is a start-up error naming it.

    Otherwise the failure would only surface inside the first TLS handshake, as an opaque
    OpenSSL message about "PEM lib".
    """
    context = ssl.create_default_context()
    try:
        if configuration.ca_cert_data:
            context.load_verify_locations(cadata=configuration.ca_cert_data)
        elif configuration.ssl_ca_cert:
            context.load_verify_locations(cafile=configuration.ssl_ca_cert)
    except (ssl.SSLError, ValueError, OSError):
        raise KtuiError(
            f"{cluster_label}: the certificate authority is not a valid PEM certificate"
        ) from None
    if configuration.cert_file and configuration.key_file:
        try:
            context.load_cert_chain(configuration.cert_file, configuration.key_file)
        except (ssl.SSLError, OSError) as exc:
            problem = (
                "the client key does not match the client certificate"
                if "KEY_VALUES_MISMATCH" in str(exc)
                else "the client certificate or key is not valid PEM"
            )
            raise KtuiError(f"{user_label}: {problem}") from None


def _server_url(cluster: Mapping[str, Any], cluster_label: str) -> str:
    server = _string_field(cluster, "server", cluster_label)
    if not server:
        raise KtuiError(f"{cluster_label} has no server")
    if "://" not in server:
        server = f"https://{server}"
    bad = f"{cluster_label}: bad server URL {server!r}"
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in server):
        # urlsplit would silently drop a newline or tab; the request line must not get one.
        raise KtuiError(f"{bad}: it contains whitespace")
    try:
        parts = urlsplit(server)
        # A password in the URL is a credential like any other (the URL is in messages).
        register_secret(parts.password)
        port = parts.port  # raises on a malformed or out-of-range port
    except ValueError as exc:
        raise KtuiError(f"{bad}: {one_line(str(exc), 80)}") from None
    if parts.scheme not in ("http", "https"):
        raise KtuiError(f"{bad}: the scheme must be https or http")
    if not parts.hostname:
        raise KtuiError(f"{bad}: no host")
    if port == 0:
        raise KtuiError(f"{bad}: port 0")
    return server.rstrip("/")


def _is_plain_http(server: str) -> bool:
    return urlsplit(server).scheme == "http"


_CREDENTIAL_FIELDS: Final = (
    "token",
    "tokenFile",
    "username",
    "password",
    "exec",
    "auth-provider",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
)


def _plain_http_warning(server: str, user: Mapping[str, Any]) -> str | None:
    """The one-line warning for a plain-http server whose kubeconfig user has credentials."""
    if not _is_plain_http(server) or not any(user.get(key) for key in _CREDENTIAL_FIELDS):
        return None
    return f"server {server} is plain http: credentials are not sent (as kubectl does)"


def _string_field(body: Mapping[str, Any], key: str, label: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise KtuiError(f"{label}: {key} must be a string")
    return value


def _bool_field(body: Mapping[str, Any], key: str, label: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise KtuiError(f"{label}: {key} must be true or false")
    return value


def _decoded_data(body: Mapping[str, Any], key: str, label: str) -> bytes | None:
    value = _string_field(body, key, label)
    if value is None:
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KtuiError(f"{label}: {key} is not valid base64") from None


def _require_file(path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise KtuiError(f"{what} file {path} does not exist")
