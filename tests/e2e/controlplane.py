"""A real Kubernetes control plane for ktui's e2e test tier.

Runs Debian's etcd plus kube-apiserver, kube-controller-manager and
kube-scheduler v1.20.2 (built from Debian's ``kubernetes`` source package by
``scripts/build-control-plane.sh``) on free loopback ports, all state in one
work directory. There is no kubelet: Node objects are created by the harness
and kept Ready by a heartbeat (the built-in one below, or the project's node
agent passed as ``node_agent=``).

Usage::

    reason = ensure_built()          # None when the binaries are available
    with ControlPlane.start(workdir) as cp:
        subprocess.run(["kubectl", "--kubeconfig", cp.kubeconfig_path,
                        "--context", "admin", "get", "nodes"])

Only the standard library is used (plus ``openssl`` and ``setpriv`` from the
system); nothing here imports textual. Tokens are never logged or put into
exception messages.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime as _dt
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

K8S_VERSION = "1.20.2"
COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-control-plane.sh"

DEFAULT_NODES = ("node-1", "node-2", "node-3")
VIEWER_NAMESPACE = "team-a"
SERVICE_CIDR = "10.0.0.0/24"
SERVICE_IP = "10.0.0.1"
HEARTBEAT_INTERVAL = 10.0
ETCD_QUOTA_BYTES = 2 * 1024**3

# Components we started and have not stopped yet; stopped at interpreter exit.
_LIVE: set[ControlPlane] = set()


class ControlPlaneError(RuntimeError):
    """Start-up or operation failure; the message carries a log tail, never a token."""


# --------------------------------------------------------------------------
# Finding / building the binaries
# --------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get("KTUI_CACHE") or Path.home() / ".cache" / "ktui")


def cached_bin_dir() -> Path:
    """Where scripts/build-control-plane.sh puts the binaries."""
    return cache_dir() / f"k8s-v{K8S_VERSION}" / "bin"


def find_binaries() -> Path | None:
    """The cached bin dir holding the three control-plane binaries, or None.

    Also None when Debian's ``etcd`` is not on PATH (the build script installs it).
    """
    d = cached_bin_dir()
    if not all(os.access(d / c, os.X_OK) for c in COMPONENTS):
        return None
    if shutil.which("etcd") is None:
        return None
    return d


def ensure_built(timeout: float = 3600.0) -> str | None:
    """Make sure the binaries exist, building them if we can.

    Returns None when the control plane can be started (``find_binaries()`` is
    then not None), otherwise a one-line reason suitable for ``pytest.skip``.
    The build's output goes to ``<cache>/k8s-v1.20.2/build.log``.
    """
    if find_binaries() is not None:
        return None
    if not BUILD_SCRIPT.is_file():
        return f"control-plane binaries missing and {BUILD_SCRIPT} not found"
    if os.geteuid() != 0:
        return f"control-plane binaries missing in {cached_bin_dir()} and not root (cannot apt-get)"
    if shutil.which("apt-get") is None:
        return f"control-plane binaries missing in {cached_bin_dir()} and apt-get not available"
    log_path = cache_dir() / f"k8s-v{K8S_VERSION}" / "build.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_path, "wb") as log:
            rc = subprocess.run(
                ["bash", str(BUILD_SCRIPT)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            ).returncode
    except subprocess.TimeoutExpired:
        return f"control-plane build timed out after {timeout:.0f}s (log: {log_path})"
    if rc != 0 or find_binaries() is None:
        last = _tail(log_path, 1).strip() or "no output"
        return f"control-plane build failed (rc={rc}; log: {log_path}): {last}"
    return None


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(
        ["openssl", *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if r.returncode != 0:
        raise ControlPlaneError(
            f"openssl {args[0]} failed: {r.stderr.decode('utf-8', 'replace')[-2000:]}"
        )


def _generate_pki(pki: Path) -> None:
    """CA, apiserver serving cert and the service-account RSA key pair."""
    pki.mkdir(parents=True, exist_ok=True)
    _openssl("genrsa", "-out", "ca.key", "2048", cwd=pki)
    _openssl(
        "req", "-x509", "-new", "-nodes", "-key", "ca.key", "-sha256", "-days", "3650",
        "-subj", "/CN=ktui-e2e-ca", "-out", "ca.crt",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        cwd=pki,
    )  # fmt: skip
    sans = ",".join(
        [
            "IP:127.0.0.1",
            f"IP:{SERVICE_IP}",
            "DNS:localhost",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
        ]
    )
    (pki / "apiserver.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={sans}\n"
    )
    _openssl("genrsa", "-out", "apiserver.key", "2048", cwd=pki)
    _openssl(
        "req", "-new", "-key", "apiserver.key", "-subj", "/CN=kube-apiserver",
        "-out", "apiserver.csr",
        cwd=pki,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "apiserver.ext",
        "-out", "apiserver.crt",
        cwd=pki,
    )  # fmt: skip
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    for key in pki.glob("*.key"):
        key.chmod(0o600)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _kubeconfig(server: str, ca_pem: bytes, users: dict[str, str], current: str) -> str:
    """A kubeconfig (JSON is valid YAML) with one context per user, named like the user."""
    ca_data = base64.b64encode(ca_pem).decode()
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "ktui-e2e",
                "cluster": {"server": server, "certificate-authority-data": ca_data},
            }
        ],
        "users": [{"name": name, "user": {"token": tok}} for name, tok in users.items()],
        "contexts": [
            {"name": name, "context": {"cluster": "ktui-e2e", "user": name}} for name in users
        ],
        "current-context": current,
        "preferences": {},
    }
    return json.dumps(cfg, indent=2) + "\n"


class _Proc:
    """A component process in its own process group, output to a log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str]):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = list(self.argv)
        setpriv = shutil.which("setpriv")
        if setpriv:
            # Dies with us even if the test process is SIGKILLed.
            argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== {_now()} starting {self.name}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.env,
                close_fds=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
        p = self.popen
        if p is None:
            return
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=grace)
        # Whatever is left of the group (the process itself included).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=10)

    def failure(self, what: str) -> ControlPlaneError:
        rc = self.popen.poll() if self.popen else None
        state = f"exited rc={rc}" if rc is not None else "still running"
        return ControlPlaneError(
            f"{self.name} {what} ({state}); last lines of {self.log_path}:\n{_tail(self.log_path)}"
        )


# --------------------------------------------------------------------------
# Built-in heartbeat (stand-in for ktui.sim.nodeagent; delete when that lands)
# --------------------------------------------------------------------------


class _Heartbeat:
    """PATCHes each node's Ready condition every ``interval`` seconds."""

    def __init__(self, cp: ControlPlane, nodes: Sequence[str], interval: float):
        self._cp = cp
        self._nodes = list(nodes)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ktui-e2e-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for name in self._nodes:
                if self._stop.is_set():
                    return
                # The apiserver may be down on purpose (kill_apiserver).
                with contextlib.suppress(Exception):
                    self._cp.heartbeat_node(name)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


# --------------------------------------------------------------------------
# The control plane
# --------------------------------------------------------------------------


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler on loopback.

    Create with :meth:`start`; use as a context manager or call :meth:`stop`.

    Attributes: ``workdir``, ``bin_dir``, ``kubeconfig_path`` (contexts ``admin``
    and ``viewer``), ``server`` (https URL), ``admin_token``, ``viewer_token``,
    ``etcd_endpoint`` (http URL), ``ca_cert_path``, ``node_names``, ``logs``
    (component name -> log file).
    """

    def __init__(
        self,
        workdir: Path,
        bin_dir: Path,
        *,
        watch_cache: bool = False,
        etcd_quota_bytes: int = ETCD_QUOTA_BYTES,
        etcd_snapshot: Path | None = None,
    ):
        self.workdir = workdir
        self.bin_dir = bin_dir
        self.watch_cache = watch_cache
        self.etcd_quota_bytes = etcd_quota_bytes
        self.etcd_snapshot = etcd_snapshot
        self.pki = workdir / "pki"
        self.ca_cert_path = self.pki / "ca.crt"
        self.kubeconfig_path = workdir / "kubeconfig"
        self.admin_token = secrets.token_hex(24)
        self.viewer_token = secrets.token_hex(24)
        self._cm_token = secrets.token_hex(24)
        self._sched_token = secrets.token_hex(24)
        self.etcd_client_port = free_port()
        self.etcd_peer_port = free_port()
        self.apiserver_port = free_port()
        self.cm_port = free_port()
        self.scheduler_port = free_port()
        self.etcd_endpoint = f"http://127.0.0.1:{self.etcd_client_port}"
        self.server = f"https://127.0.0.1:{self.apiserver_port}"
        self.node_names: list[str] = []
        self.logs: dict[str, Path] = {}
        self._procs: dict[str, _Proc] = {}
        self._agent: Any = None
        self._ssl: ssl.SSLContext | None = None
        self._stopped = False
        self._lock = threading.Lock()

    # ---- construction --------------------------------------------------

    @classmethod
    def start(
        cls,
        workdir: str | os.PathLike[str],
        *,
        node_agent: Callable[[ControlPlane], Any] | bool | None = None,
        nodes: Iterable[str] = DEFAULT_NODES,
        bin_dir: str | os.PathLike[str] | None = None,
        watch_cache: bool = False,
        etcd_quota_bytes: int = ETCD_QUOTA_BYTES,
        etcd_snapshot: str | os.PathLike[str] | None = None,
        timeout: float = 180.0,
    ) -> ControlPlane:
        """Start everything and return a ready control plane.

        ``node_agent``: None -> the built-in heartbeat thread keeps the nodes
        Ready; False -> nothing does (they go NotReady after ~40s); a callable
        -> called as ``node_agent(cp)`` once the nodes exist, and whatever it
        returns is stopped on :meth:`stop` (its ``.stop()`` if it has one, or it
        is called if it is callable).

        ``watch_cache`` defaults to False so that watches are served by etcd and
        :meth:`compact_etcd` makes older resourceVersions answer 410 Expired
        (with the cache on, the apiserver answers from its own window instead).

        ``etcd_quota_bytes`` is etcd's backend quota (the bench raises it for 100,000
        realistic pods). ``etcd_snapshot``: an ``etcdctl snapshot save`` file (see
        :meth:`save_etcd_snapshot`) that etcd starts from instead of an empty store, restored
        with this control plane's own member and ports; the cluster content it holds (nodes
        and RBAC included) is there at once, and what the boot creates is applied over it.

        ``timeout`` bounds each readiness wait. On failure everything started is
        stopped and :class:`ControlPlaneError` (with the log tail) is raised.
        """
        bdir = Path(bin_dir) if bin_dir is not None else find_binaries()
        if bdir is None:
            raise ControlPlaneError(
                f"control-plane binaries not found in {cached_bin_dir()} "
                "(run scripts/build-control-plane.sh)"
            )
        etcd = shutil.which("etcd")
        if etcd is None:
            raise ControlPlaneError("etcd not on PATH (apt-get install etcd-server)")
        wd = Path(workdir).resolve()
        wd.mkdir(parents=True, exist_ok=True)
        cp = cls(
            wd,
            bdir,
            watch_cache=watch_cache,
            etcd_quota_bytes=etcd_quota_bytes,
            etcd_snapshot=None if etcd_snapshot is None else Path(etcd_snapshot),
        )
        _LIVE.add(cp)
        try:
            cp._boot(etcd, list(nodes), node_agent, timeout)
        except BaseException:
            cp.stop()
            raise
        return cp

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _env(self) -> dict[str, str]:
        # ETCD_* would clash with etcd's flags; KUBECONFIG must not leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "ETCD"))}
        if platform.machine() in ("aarch64", "arm64"):
            env["ETCD_UNSUPPORTED_ARCH"] = "arm64"
        return env

    def _add(self, name: str, argv: list[str]) -> _Proc:
        log = self.workdir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.logs[name] = log
        proc = _Proc(name, argv, log, self._env())
        self._procs[name] = proc
        proc.start()
        return proc

    def _boot(
        self,
        etcd: str,
        nodes: list[str],
        node_agent: Callable[[ControlPlane], Any] | bool | None,
        timeout: float,
    ) -> None:
        wd = self.workdir
        _generate_pki(self.pki)
        ca_pem = self.ca_cert_path.read_bytes()
        ctx = ssl.create_default_context(cafile=str(self.ca_cert_path))
        self._ssl = ctx

        # Credentials. token,user,uid,"groups"
        _write_private(
            wd / "tokens.csv",
            "\n".join(
                [
                    f'{self.admin_token},admin,admin,"system:masters"',
                    f"{self.viewer_token},viewer,viewer",
                    f'{self._cm_token},system:kube-controller-manager,kcm,"system:masters"',
                    f'{self._sched_token},system:kube-scheduler,ksched,"system:masters"',
                ]
            )
            + "\n",
        )
        _write_private(
            self.kubeconfig_path,
            _kubeconfig(
                self.server, ca_pem, {"admin": self.admin_token, "viewer": self.viewer_token},
                "admin",
            ),
        )  # fmt: skip
        cm_kc = wd / "controller-manager.kubeconfig"
        sched_kc = wd / "scheduler.kubeconfig"
        _write_private(
            cm_kc, _kubeconfig(self.server, ca_pem, {"controller-manager": self._cm_token},
                               "controller-manager"),
        )  # fmt: skip
        _write_private(
            sched_kc,
            _kubeconfig(self.server, ca_pem, {"scheduler": self._sched_token}, "scheduler"),
        )

        # etcd
        peer_url = f"http://127.0.0.1:{self.etcd_peer_port}"
        if self.etcd_snapshot is not None:
            self._restore_etcd(etcd, wd / "etcd-data", peer_url)
        etcd_proc = self._add(
            "etcd",
            [
                etcd,
                "--name=ktui-e2e",
                f"--data-dir={wd / 'etcd-data'}",
                f"--listen-client-urls={self.etcd_endpoint}",
                f"--advertise-client-urls={self.etcd_endpoint}",
                f"--listen-peer-urls=http://127.0.0.1:{self.etcd_peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{self.etcd_peer_port}",
                f"--initial-cluster=ktui-e2e=http://127.0.0.1:{self.etcd_peer_port}",
                "--initial-cluster-state=new",
                "--initial-cluster-token=ktui-e2e",
                f"--quota-backend-bytes={self.etcd_quota_bytes}",
                "--log-level=warn",
                "--logger=zap",
            ],
        )
        self._wait(
            etcd_proc,
            lambda: self._http_ok(f"{self.etcd_endpoint}/health", None),
            timeout,
            "did not become healthy",
        )

        # kube-apiserver
        api = self._add("kube-apiserver", self._apiserver_argv())
        self._wait_apiserver(api, timeout)

        # kube-controller-manager and kube-scheduler
        cm = self._add(
            "kube-controller-manager",
            [
                str(self.bin_dir / "kube-controller-manager"),
                f"--kubeconfig={cm_kc}",
                f"--authentication-kubeconfig={cm_kc}",
                f"--authorization-kubeconfig={cm_kc}",
                "--leader-elect=false",
                "--use-service-account-credentials=false",
                "--controllers=*",
                f"--service-account-private-key-file={self.pki / 'sa.key'}",
                f"--root-ca-file={self.ca_cert_path}",
                f"--cluster-signing-cert-file={self.ca_cert_path}",
                f"--cluster-signing-key-file={self.pki / 'ca.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--bind-address=127.0.0.1",
                f"--secure-port={self.cm_port}",
                "--port=0",
                f"--cert-dir={wd / 'controller-manager-certs'}",
                "--node-monitor-period=5s",
                "--node-monitor-grace-period=40s",
                "--v=1",
            ],
        )
        sched = self._add(
            "kube-scheduler",
            [
                str(self.bin_dir / "kube-scheduler"),
                f"--kubeconfig={sched_kc}",
                f"--authentication-kubeconfig={sched_kc}",
                f"--authorization-kubeconfig={sched_kc}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={self.scheduler_port}",
                "--port=0",
                f"--cert-dir={wd / 'scheduler-certs'}",
                "--v=1",
            ],
        )
        self._wait(
            cm,
            lambda: self._http_ok(f"https://127.0.0.1:{self.cm_port}/healthz", "insecure"),
            timeout,
            "did not answer /healthz",
        )
        self._wait(
            sched,
            lambda: self._http_ok(f"https://127.0.0.1:{self.scheduler_port}/healthz", "insecure"),
            timeout,
            "did not answer /healthz",
        )

        # Cluster content.
        self._setup_viewer_rbac()
        self.create_nodes(nodes)

        if node_agent is None:
            self._agent = _Heartbeat(self, self.node_names, HEARTBEAT_INTERVAL)
        elif node_agent is not False and callable(node_agent):
            self._agent = node_agent(self)

    def _apiserver_argv(self) -> list[str]:
        wd = self.workdir
        return [
            str(self.bin_dir / "kube-apiserver"),
            f"--etcd-servers={self.etcd_endpoint}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.apiserver_port}",
            "--insecure-port=0",
            f"--tls-cert-file={self.pki / 'apiserver.crt'}",
            f"--tls-private-key-file={self.pki / 'apiserver.key'}",
            f"--client-ca-file={self.ca_cert_path}",
            f"--cert-dir={wd / 'apiserver-certs'}",
            f"--token-auth-file={wd / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            "--disable-admission-plugins=ServiceAccount",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--service-account-key-file={self.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={self.pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--allow-privileged=true",
            # The loopback advertise address is not a valid Endpoints address.
            "--endpoint-reconciler-type=none",
            f"--watch-cache={'true' if self.watch_cache else 'false'}",
            "--profiling=false",
            "--v=1",
        ]

    # ---- waiting -------------------------------------------------------

    def _wait(self, proc: _Proc, ok: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not proc.alive():
                raise proc.failure("exited during start-up")
            if ok():
                return
            if time.monotonic() > deadline:
                raise proc.failure(f"{what} within {timeout:.0f}s")
            time.sleep(0.5)

    def _wait_apiserver(self, proc: _Proc, timeout: float) -> None:
        def ready() -> bool:
            if not self._http_ok(f"{self.server}/readyz", "ca"):
                return False
            try:
                self.request("GET", "/api/v1/namespaces/default")
                self.request("GET", "/apis/apps/v1")
                self.request("GET", "/api/v1/namespaces/kube-system")
            except Exception:
                return False
            return True

        self._wait(proc, ready, timeout, "was not ready (readyz, default namespace)")

    def _http_ok(self, url: str, tls: str | None) -> bool:
        if tls == "ca":
            ctx: ssl.SSLContext | None = self._ssl
        elif tls == "insecure":
            # Loopback-only self-signed component endpoints (/healthz).
            ctx = ssl._create_unverified_context()
        else:
            ctx = None
        try:
            with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
                body = r.read(200)
                return r.status == 200 and (b"ok" in body or b"true" in body)
        except (OSError, urllib.error.URLError):
            return False

    # ---- REST ----------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Any:
        """One call to the apiserver as admin (or ``token``); returns decoded JSON.

        Raises ``urllib.error.HTTPError`` on a non-2xx answer.
        """
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=timeout, context=self._ssl) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def open_stream(self, path: str, *, token: str | None = None, timeout: float = 30.0) -> Any:
        """GET ``path`` and return the open response (for ``?watch=1`` streams)."""
        req = urllib.request.Request(self.server + path, method="GET")
        req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        req.add_header("Accept", "application/json")
        return urllib.request.urlopen(req, timeout=timeout, context=self._ssl)

    def _apply(self, path: str, obj: dict[str, Any]) -> None:
        """Create, ignoring AlreadyExists."""
        try:
            self.request("POST", path, obj)
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise ControlPlaneError(f"POST {path} failed: HTTP {e.code}") from None

    def _setup_viewer_rbac(self) -> None:
        ns = VIEWER_NAMESPACE
        self._apply(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )
        rbac = "/apis/rbac.authorization.k8s.io/v1"
        self._apply(
            f"{rbac}/namespaces/{ns}/roles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "ktui-viewer", "namespace": ns},
                "rules": [
                    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
                    {
                        "apiGroups": ["apps"],
                        "resources": ["deployments", "replicasets"],
                        "verbs": ["get", "list", "watch"],
                    },
                ],
            },
        )
        self._apply(
            f"{rbac}/namespaces/{ns}/rolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "ktui-viewer", "namespace": ns},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "ktui-viewer",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}
                ],
            },
        )

    # ---- nodes ---------------------------------------------------------

    @staticmethod
    def _ready_condition() -> dict[str, str]:
        now = _now()
        return {
            "type": "Ready",
            "status": "True",
            "reason": "KubeletReady",
            "message": "ktui e2e harness heartbeat",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }

    def create_nodes(
        self, names: Iterable[str], *, cpu: str = "4", memory: str = "8Gi", pods: str = "110"
    ) -> None:
        """Create Ready Node objects (no kubelet behind them)."""
        for name in names:
            resources = {"cpu": cpu, "memory": memory, "pods": pods}
            status = {
                "capacity": resources,
                "allocatable": resources,
                "conditions": [self._ready_condition()],
                "addresses": [{"type": "Hostname", "address": name}],
                "nodeInfo": {
                    "architecture": "amd64",
                    "operatingSystem": "linux",
                    "kubeletVersion": f"v{K8S_VERSION}",
                    "kubeProxyVersion": f"v{K8S_VERSION}",
                    "containerRuntimeVersion": "ktui-sim://0",
                    "osImage": "ktui e2e",
                    "kernelVersion": "",
                    "machineID": "",
                    "systemUUID": "",
                    "bootID": "",
                },
            }
            node = {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                    },
                },
                "status": status,
            }
            self._apply("/api/v1/nodes", node)
            # Status may be dropped on create; set it through the subresource too.
            self.request(
                "PATCH",
                f"/api/v1/nodes/{name}/status",
                {"status": status},
                content_type="application/strategic-merge-patch+json",
            )
            if name not in self.node_names:
                self.node_names.append(name)

    def heartbeat_node(self, name: str) -> None:
        """Refresh the node's Ready condition (lastHeartbeatTime = now)."""
        cond = self._ready_condition()
        del cond["lastTransitionTime"]
        self.request(
            "PATCH",
            f"/api/v1/nodes/{name}/status",
            {"status": {"conditions": [cond]}},
            content_type="application/strategic-merge-patch+json",
            timeout=10,
        )

    # ---- fault injection -----------------------------------------------

    def kill_apiserver(self, sig: int = signal.SIGKILL) -> None:
        """Kill kube-apiserver (SIGKILL by default) and wait until it is gone."""
        proc = self._procs["kube-apiserver"]
        proc.stop(sig=sig, grace=10.0)

    def freeze_apiserver(self) -> None:
        """SIGSTOP kube-apiserver: a frozen server (sockets stay open, nothing answers)."""
        popen = self._procs["kube-apiserver"].popen
        assert popen is not None
        os.kill(popen.pid, signal.SIGSTOP)

    def thaw_apiserver(self) -> None:
        popen = self._procs["kube-apiserver"].popen
        assert popen is not None
        os.kill(popen.pid, signal.SIGCONT)

    def restart_apiserver(self, timeout: float = 120.0, *, wipe_etcd: bool = False) -> None:
        """Start kube-apiserver again (same port, same flags) and wait until ready.

        ``wipe_etcd``: the cluster rebuilt on the same address. etcd is stopped, its data dir
        deleted and etcd started empty before kube-apiserver comes back (same certificates and
        tokens; every object, uid and resourceVersion is new); the viewer's RBAC and the nodes
        are created again. kube-controller-manager and kube-scheduler keep running.
        """
        proc = self._procs["kube-apiserver"]
        if proc.alive():
            proc.stop()
        if wipe_etcd:
            etcd = self._procs["etcd"]
            etcd.stop()
            shutil.rmtree(self.workdir / "etcd-data", ignore_errors=True)
            etcd.start()
            self._wait(
                etcd,
                lambda: self._http_ok(f"{self.etcd_endpoint}/health", None),
                timeout,
                "did not become healthy after the wipe",
            )
        deadline = time.monotonic() + 30
        while not self._port_free(self.apiserver_port):
            if time.monotonic() > deadline:
                raise ControlPlaneError(f"port {self.apiserver_port} still busy after kill")
            time.sleep(0.2)
        proc.start()
        self._wait_apiserver(proc, timeout)
        if wipe_etcd:
            self._setup_viewer_rbac()
            self.create_nodes(list(self.node_names))

    @staticmethod
    def _port_free(port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    def etcd_revision(self) -> int:
        """etcd's current revision (via the v3 JSON gateway)."""
        out = self._etcd_post("/v3/kv/range", {"key": base64.b64encode(b"\0").decode()})
        return int(out["header"]["revision"])

    def compact_etcd(self) -> int:
        """Compact etcd to its current revision and return that revision.

        With the default ``watch_cache=False`` a watch or an exact-version list
        from any older resourceVersion then gets 410 Expired.
        """
        rev = self.etcd_revision()
        self._etcd_post("/v3/kv/compaction", {"revision": str(rev), "physical": True})
        return rev

    def save_etcd_snapshot(self, path: str | os.PathLike[str]) -> None:
        """Write etcd's whole store to ``path`` (``etcdctl snapshot save``, consistent while
        the servers run), for a later ``ControlPlane.start(etcd_snapshot=path)``."""
        etcdctl = shutil.which("etcdctl")
        if etcdctl is None:
            raise ControlPlaneError("etcdctl not on PATH (apt-get install etcd-client)")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        self._etcdctl(
            [etcdctl, f"--endpoints={self.etcd_endpoint}", "snapshot", "save", str(partial)],
            "snapshot save",
        )
        partial.replace(target)

    def _restore_etcd(self, etcd: str, data_dir: Path, peer_url: str) -> None:
        """Restore ``etcd_snapshot`` into ``data_dir`` as this control plane's single member."""
        assert self.etcd_snapshot is not None
        etcdctl = shutil.which("etcdctl") or str(Path(etcd).with_name("etcdctl"))
        self._etcdctl(
            [
                etcdctl,
                "snapshot",
                "restore",
                str(self.etcd_snapshot),
                f"--data-dir={data_dir}",
                "--name=ktui-e2e",
                f"--initial-cluster=ktui-e2e={peer_url}",
                "--initial-cluster-token=ktui-e2e",
                f"--initial-advertise-peer-urls={peer_url}",
            ],
            "snapshot restore",
        )

    def _etcdctl(self, argv: list[str], what: str) -> None:
        done = subprocess.run(
            argv, env=self._env(), capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0:
            raise ControlPlaneError(f"etcdctl {what} failed: {done.stderr.strip()[-500:]}")

    def _etcd_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            self.etcd_endpoint + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return dict(json.loads(r.read() or b"{}"))
        except urllib.error.HTTPError as e:
            detail = e.read(500).decode("utf-8", "replace")
            raise ControlPlaneError(f"etcd {path} failed: HTTP {e.code}: {detail}") from None

    # ---- teardown ------------------------------------------------------

    def stop_components(self, *names: str) -> None:
        """Stop some components and leave the rest running (the bench stops the
        controllers so that nothing but itself changes the pods it loads)."""
        for name in names:
            proc = self._procs.get(name)
            if proc is not None:
                proc.stop()

    def stop(self) -> None:
        """Stop the node agent and every process (by process group). Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        agent, self._agent = self._agent, None
        if agent is not None:
            try:
                if hasattr(agent, "stop"):
                    agent.stop()
                elif callable(agent):
                    agent()
            except Exception:
                pass
        for name in ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"):
            proc = self._procs.get(name)
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.stop()
        _LIVE.discard(self)


@atexit.register
def _stop_all() -> None:
    for cp in list(_LIVE):
        cp.stop()
