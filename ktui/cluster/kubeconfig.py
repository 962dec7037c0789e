"""Kubeconfig loading the way kubectl does it, into plain dicts.

Sources, in kubectl's order: an explicit path (`--kubeconfig`; it must exist), else every file of
the `KUBECONFIG` list (merged: for each cluster/user/context name the first file defining it
wins, `current-context` comes from the first file that sets one, missing files are skipped), else
`~/.kube/config`, else the in-cluster service account. Relative file references inside a file are
resolved against that file's directory at load time, so the merged result needs no provenance.

The library's own loader is deliberately not used: it writes into the process-wide default
`Configuration`, which would make switching contexts at run time unsafe.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from ktui.cluster.errors import KtuiError, register_secret

__all__ = [
    "IN_CLUSTER_CONTEXT",
    "KUBECONFIG_ENV",
    "SERVICE_ACCOUNT_DIR",
    "ContextInfo",
    "KubeConfig",
    "default_kubeconfig_path",
    "in_cluster_kubeconfig",
    "kubeconfig_search_paths",
    "load_kubeconfig",
    "load_kubeconfig_files",
]

KUBECONFIG_ENV: Final = "KUBECONFIG"
SERVICE_ACCOUNT_DIR: Final = "var/run/secrets/kubernetes.io/serviceaccount"
IN_CLUSTER_CONTEXT: Final = "in-cluster"
DEFAULT_NAMESPACE: Final = "default"

_CLUSTER_PATH_FIELDS: Final = ("certificate-authority",)
_USER_PATH_FIELDS: Final = ("client-certificate", "client-key", "tokenFile")
_USER_SECRET_FIELDS: Final = ("token", "password", "client-key-data")
_AUTH_PROVIDER_SECRET_KEYS: Final = frozenset(
    {"id-token", "refresh-token", "access-token", "client-secret"}
)
_MAX_LISTED_CONTEXTS: Final = 8


@dataclass(frozen=True)
class ContextInfo:
    """One kubeconfig context: which cluster, which user, which default namespace."""

    name: str
    cluster: str
    user: str
    """Empty for an anonymous context."""
    namespace: str | None
    """The context's own namespace, None when it sets none (then "default" applies)."""

    @property
    def effective_namespace(self) -> str:
        return self.namespace or DEFAULT_NAMESPACE


@dataclass(frozen=True)
class KubeConfig:
    """A loaded, merged kubeconfig. Cluster and user entries are plain dicts with absolute paths."""

    origin: str
    """Where this came from, for messages: a path, "KUBECONFIG=a:b" or the service account."""
    sources: tuple[Path, ...]
    current_context: str | None
    clusters: Mapping[str, Mapping[str, Any]] = field(repr=False)
    users: Mapping[str, Mapping[str, Any]] = field(repr=False)
    context_entries: Mapping[str, ContextInfo] = field(repr=False)
    in_cluster: bool = False

    def reloaded(self) -> KubeConfig:
        """The same files read again (a context added, a certificate renewed since start-up);
        the in-cluster service account is read once, as it is."""
        if self.in_cluster or not self.sources:
            return self
        return load_kubeconfig_files(self.sources, origin=self.origin)

    def contexts(self) -> list[str]:
        """Context names, sorted as `kubectl config get-contexts` lists them."""
        return sorted(self.context_entries)

    def context(self, name: str | None = None) -> ContextInfo:
        """The named context (the current one when `name` is None); KtuiError if unknown."""
        if name is None:
            name = self.current_context
            if not name:
                raise KtuiError(
                    f"no current context is set in {self.origin}; choose one with --context"
                    f" ({self.describe_known_contexts()})"
                )
        try:
            return self.context_entries[name]
        except KeyError:
            raise KtuiError(
                f"context {name!r} not found in {self.origin} ({self.describe_known_contexts()})"
            ) from None

    def cluster(self, name: str, *, context: str | None = None) -> Mapping[str, Any]:
        try:
            return self.clusters[name]
        except KeyError:
            raise KtuiError(self._missing_reference("cluster", name, context)) from None

    def user(self, name: str, *, context: str | None = None) -> Mapping[str, Any]:
        try:
            return self.users[name]
        except KeyError:
            raise KtuiError(self._missing_reference("user", name, context)) from None

    def describe_known_contexts(self) -> str:
        names = self.contexts()
        if not names:
            return "it defines no contexts"
        shown = ", ".join(names[:_MAX_LISTED_CONTEXTS])
        if len(names) > _MAX_LISTED_CONTEXTS:
            shown += f" and {len(names) - _MAX_LISTED_CONTEXTS} more"
        return f"known contexts: {shown}"

    def _missing_reference(self, kind: str, name: str, context: str | None) -> str:
        if context is not None:
            return (
                f"context {context!r} refers to {kind} {name!r}, which is not defined in"
                f" {self.origin}"
            )
        return f"{kind} {name!r} is not defined in {self.origin}"


def default_kubeconfig_path(environ: Mapping[str, str] | None = None) -> Path:
    """`~/.kube/config`, with `~` taken from HOME in `environ` when given."""
    env = os.environ if environ is None else environ
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".kube" / "config"


def kubeconfig_search_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The files kubectl would read without `--kubeconfig`: KUBECONFIG's list or the default."""
    env = os.environ if environ is None else environ
    listed = env.get(KUBECONFIG_ENV, "")
    if not listed:
        return [default_kubeconfig_path(env)]
    paths: list[Path] = []
    for entry in listed.split(os.pathsep):
        if entry and Path(entry) not in paths:
            paths.append(Path(entry))
    return paths


def load_kubeconfig(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    in_cluster_root: str | os.PathLike[str] = "/",
) -> KubeConfig:
    """Load the kubeconfig kubectl would use; KtuiError (one line) when there is none or it is bad.

    `environ` stands in for os.environ (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT) and
    `in_cluster_root` for "/" when looking for the service-account files, both for tests.
    """
    env = os.environ if environ is None else environ
    if path is not None:
        explicit = Path(path)
        if not explicit.exists():
            raise KtuiError(f"kubeconfig file {str(explicit)!r} (from --kubeconfig) does not exist")
        return load_kubeconfig_files([explicit], origin=str(explicit))

    listed = env.get(KUBECONFIG_ENV, "")
    candidates = kubeconfig_search_paths(env)
    existing = [candidate for candidate in candidates if candidate.exists()]
    origin = f"{KUBECONFIG_ENV}={listed}" if listed else str(candidates[0])
    if existing:
        config = load_kubeconfig_files(existing, origin=origin if listed else str(existing[0]))
        if config.clusters or config.users or config.context_entries:
            return config
    # kubectl falls back to the service account only when no kubeconfig says anything.
    in_cluster = in_cluster_kubeconfig(root=in_cluster_root, environ=env)
    if in_cluster is not None:
        return in_cluster
    if existing:
        raise KtuiError(f"kubeconfig {origin} defines no contexts")
    if listed:
        raise KtuiError(
            f"no kubeconfig found: none of the files in {KUBECONFIG_ENV} exist ({listed})"
        )
    raise KtuiError(
        f"no kubeconfig found: pass --kubeconfig, set {KUBECONFIG_ENV}, or create {candidates[0]}"
    )


def load_kubeconfig_files(paths: Iterable[Path], *, origin: str | None = None) -> KubeConfig:
    """Read and merge existing kubeconfig files, first file winning for every name."""
    clusters: dict[str, Mapping[str, Any]] = {}
    users: dict[str, Mapping[str, Any]] = {}
    contexts: dict[str, ContextInfo] = {}
    current_context: str | None = None
    sources: list[Path] = []
    for path in paths:
        parsed = _parse_file(path)
        sources.append(path)
        for name, cluster in parsed.clusters.items():
            clusters.setdefault(name, cluster)
        for name, user in parsed.users.items():
            users.setdefault(name, user)
        for name, context in parsed.contexts.items():
            contexts.setdefault(name, context)
        if current_context is None and parsed.current_context:
            current_context = parsed.current_context
    return KubeConfig(
        origin=origin or ", ".join(str(source) for source in sources),
        sources=tuple(sources),
        current_context=current_context,
        clusters=clusters,
        users=users,
        context_entries=contexts,
    )


def in_cluster_kubeconfig(
    *, root: str | os.PathLike[str] = "/", environ: Mapping[str, str] | None = None
) -> KubeConfig | None:
    """A one-context config from the pod's service account, or None when not running in a pod."""
    env = os.environ if environ is None else environ
    host = env.get("KUBERNETES_SERVICE_HOST", "").strip()
    port = env.get("KUBERNETES_SERVICE_PORT", "").strip()
    account_dir = Path(root) / SERVICE_ACCOUNT_DIR
    token_file = account_dir / "token"
    ca_file = account_dir / "ca.crt"
    if not (host and port and token_file.is_file() and ca_file.is_file()):
        return None
    namespace_file = account_dir / "namespace"
    namespace = DEFAULT_NAMESPACE
    if namespace_file.is_file():
        namespace = namespace_file.read_text(encoding="utf-8").strip() or DEFAULT_NAMESPACE
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    cluster = {"server": f"https://{host}:{port}", "certificate-authority": str(ca_file)}
    # tokenFile, not the token itself: the kubelet rotates it and the client re-reads it.
    user = {"tokenFile": str(token_file)}
    context = ContextInfo(
        name=IN_CLUSTER_CONTEXT,
        cluster=IN_CLUSTER_CONTEXT,
        user=IN_CLUSTER_CONTEXT,
        namespace=namespace,
    )
    return KubeConfig(
        origin=f"the in-cluster service account ({account_dir})",
        sources=(),
        current_context=IN_CLUSTER_CONTEXT,
        clusters={IN_CLUSTER_CONTEXT: cluster},
        users={IN_CLUSTER_CONTEXT: user},
        context_entries={IN_CLUSTER_CONTEXT: context},
        in_cluster=True,
    )


@dataclass
class _ParsedFile:
    clusters: dict[str, Mapping[str, Any]]
    users: dict[str, Mapping[str, Any]]
    contexts: dict[str, ContextInfo]
    current_context: str | None


def _parse_file(path: Path) -> _ParsedFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KtuiError(f"kubeconfig file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise KtuiError(f"kubeconfig {str(path)!r} is a directory, not a file") from None
    except PermissionError:
        raise KtuiError(f"cannot read kubeconfig {str(path)!r}: permission denied") from None
    except UnicodeDecodeError:
        raise KtuiError(f"{path}: malformed kubeconfig: not UTF-8 text") from None
    except OSError as exc:
        raise KtuiError(f"cannot read kubeconfig {str(path)!r}: {exc.strerror or exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KtuiError(f"{path}: malformed YAML{_yaml_location(exc)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise KtuiError(f"{path}: not a kubeconfig (expected a mapping at the top level)")

    base_dir = Path(os.path.abspath(path)).parent
    clusters = {
        name: _resolve_paths(body, _CLUSTER_PATH_FIELDS, base_dir)
        for name, body in _named_entries(document, "clusters", "cluster", path)
    }
    users: dict[str, Mapping[str, Any]] = {}
    for name, body in _named_entries(document, "users", "user", path):
        resolved = dict(_resolve_paths(body, _USER_PATH_FIELDS, base_dir))
        exec_config = resolved.get("exec")
        if isinstance(exec_config, dict):
            command = exec_config.get("command")
            # kubectl resolves the command only when it is a path; a bare name is looked up in PATH.
            if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
                resolved["exec"] = {**exec_config, "command": str(base_dir / command)}
        for secret_field in _USER_SECRET_FIELDS:
            value = resolved.get(secret_field)
            if isinstance(value, str):
                register_secret(value)
        provider = resolved.get("auth-provider")
        provider_config = provider.get("config") if isinstance(provider, dict) else None
        if isinstance(provider_config, dict):
            for key, value in provider_config.items():
                if isinstance(value, str) and key in _AUTH_PROVIDER_SECRET_KEYS:
                    register_secret(value)
        users[name] = resolved
    contexts: dict[str, ContextInfo] = {}
    for name, body in _named_entries(document, "contexts", "context", path):
        contexts[name] = ContextInfo(
            name=name,
            cluster=_optional_string(body, "cluster", path, f"context {name!r}") or "",
            user=_optional_string(body, "user", path, f"context {name!r}") or "",
            namespace=_optional_string(body, "namespace", path, f"context {name!r}") or None,
        )
    current = document.get("current-context")
    if current is not None and not isinstance(current, str):
        raise KtuiError(f"{path}: current-context must be a string")
    return _ParsedFile(
        clusters=clusters, users=users, contexts=contexts, current_context=current or None
    )


def _named_entries(
    document: Mapping[str, Any], section: str, body_key: str, path: Path
) -> list[tuple[str, Mapping[str, Any]]]:
    """The `[{name: ..., <body_key>: {...}}]` list of one section, validated."""
    raw = document.get(section)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise KtuiError(f"{path}: {section} must be a list")
    entries: list[tuple[str, Mapping[str, Any]]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise KtuiError(f"{path}: {section}[{index}] must be a mapping")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise KtuiError(f"{path}: {section}[{index}] has no name")
        if name in seen:
            raise KtuiError(f"{path}: duplicate {body_key} name {name!r} in {section}")
        seen.add(name)
        body = item.get(body_key)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise KtuiError(f"{path}: {body_key} {name!r} must be a mapping")
        entries.append((name, body))
    return entries


def _resolve_paths(
    body: Mapping[str, Any], fields: tuple[str, ...], base_dir: Path
) -> Mapping[str, Any]:
    resolved = dict(body)
    for key in fields:
        value = resolved.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            resolved[key] = str(base_dir / value)
    return resolved


def _optional_string(body: Mapping[str, Any], key: str, path: Path, owner: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise KtuiError(f"{path}: {key} of {owner} must be a string")


def _yaml_location(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    where = ""
    if mark is not None:
        where = f" at line {mark.line + 1}, column {mark.column + 1}"
    return f"{where}: {problem}" if problem else where
