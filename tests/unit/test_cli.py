"""The command line: start-up errors as a user sees them (real subprocesses), dispatch, paths."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

import ktui
from ktui import __version__, cli, paths
from ktui.cluster.connection import Connection
from ktui.settings import Settings

TOKEN = "cli-SECRET-d41d8cd98f00b204-token"


def clean_env(home: Path) -> dict[str, str]:
    """No KUBECONFIG, no in-cluster variables, an empty home: only what a test sets counts."""
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for name in ("LANG", "LC_ALL", "SYSTEMROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_ktui(*args: str, env: dict[str, str], cwd: Path) -> Result:
    # The ktui under test (a worktree's), not whichever one the venv has installed.
    source_root = str(Path(ktui.__file__).resolve().parents[1])
    completed = subprocess.run(
        [sys.executable, "-m", "ktui", *args],
        env={**env, "PYTHONPATH": source_root},
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return Result(
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def assert_startup_error(result: Result, expected: str) -> str:
    """Exit 1, exactly one `ktui: ` line on stderr containing `expected`, no traceback."""
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ktui: "), result.stderr
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout
    return lines[0]


def write_config(
    path: Path, server: str, *, user: dict[str, Any] | None = None, **cluster_extra: Any
) -> Path:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dev-cluster", "cluster": {"server": server, **cluster_extra}}],
        "users": [{"name": "dev-user", "user": user if user is not None else {"token": TOKEN}}],
        "contexts": [
            {
                "name": "dev",
                "context": {"cluster": "dev-cluster", "user": "dev-user", "namespace": "team"},
            },
            {"name": "broken", "context": {"cluster": "nowhere", "user": "dev-user"}},
        ],
        "current-context": "dev",
    }
    path.write_text(yaml.safe_dump(document))
    return path


@dataclass
class FakeServer:
    url: str
    authorizations: list[str | None] = field(default_factory=list)


@contextlib.contextmanager
def fake_api_server(
    status: int, body: dict[str, Any], tls: ssl.SSLContext | None = None
) -> Iterator[FakeServer]:
    record = FakeServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.authorizations.append(self.headers.get("Authorization"))
            payload = json.dumps(body).encode()
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
            pass  # the bad-certificate test makes handshakes fail on purpose

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    record.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-cli"}
UNAUTHORIZED = {"kind": "Status", "status": "Failure", "message": "Unauthorized", "code": 401}


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN={name}",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        cwd=directory,
        check=True,
        capture_output=True,
    )  # fmt: skip
    return directory / f"{name}.crt", directory / f"{name}.key"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    directory = tmp_path / "home"
    directory.mkdir()
    return directory


# --------------------------------------------------------------------------------------------
# start-up errors, as a subprocess


def test_version(home: Path) -> None:
    result = run_ktui("--version", env=clean_env(home), cwd=home)
    assert result.returncode == 0
    assert result.stdout.strip() == f"ktui {__version__}"


def test_missing_kubeconfig_flag_file(home: Path) -> None:
    result = run_ktui("--kubeconfig", "missing.yaml", env=clean_env(home), cwd=home)
    assert_startup_error(
        result, "kubeconfig file 'missing.yaml' (from --kubeconfig) does not exist"
    )


def test_no_kubeconfig_anywhere(home: Path) -> None:
    result = run_ktui(env=clean_env(home), cwd=home)
    line = assert_startup_error(result, "no kubeconfig found")
    assert str(home / ".kube" / "config") in line


def test_malformed_yaml(home: Path) -> None:
    (home / "bad.yaml").write_text("clusters:\n  - name: [unterminated\n")
    result = run_ktui("--kubeconfig", "bad.yaml", env=clean_env(home), cwd=home)
    assert_startup_error(result, "bad.yaml: malformed YAML at line")


def test_unknown_and_broken_contexts(home: Path) -> None:
    config = write_config(home / "config.yaml", "https://127.0.0.1:1")
    env = {**clean_env(home), "KUBECONFIG": str(config)}
    unknown = run_ktui("--context", "prod", env=env, cwd=home)
    assert_startup_error(unknown, "context 'prod' not found in KUBECONFIG=")
    assert "(known contexts: broken, dev)" in unknown.stderr
    broken = run_ktui("--context", "broken", env=env, cwd=home)
    assert_startup_error(broken, "context 'broken' refers to cluster 'nowhere', which is not")


def test_unreachable_server(home: Path) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    # Closed now: nothing listens there.
    config = write_config(home / "config.yaml", f"https://127.0.0.1:{port}")
    result = run_ktui("--kubeconfig", str(config), env=clean_env(home), cwd=home)
    assert_startup_error(result, f"cannot reach https://127.0.0.1:{port}: connection refused")


def test_unauthorized_server(home: Path) -> None:
    # Over https: ktui (as kubectl) sends no credentials to a plain-http server.
    server_cert, server_key = self_signed(home, "server")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(server_cert, server_key)
    with fake_api_server(401, UNAUTHORIZED, tls=tls) as server:
        config = write_config(
            home / "config.yaml", server.url, **{"certificate-authority": str(server_cert)}
        )
        result = run_ktui("--kubeconfig", str(config), env=clean_env(home), cwd=home)
    line = assert_startup_error(result, "Unauthorized (401)")
    assert line == (
        "ktui: Unauthorized (401): the credentials in context 'dev' were rejected"
        " — token expired or invalid?"
    )
    # The server did receive the token, so its absence from the output is redaction, not luck.
    assert server.authorizations == [f"Bearer {TOKEN}"]


def test_bad_certificate(home: Path) -> None:
    server_cert, server_key = self_signed(home, "server")
    other_ca, _ = self_signed(home, "other-ca")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(server_cert, server_key)
    with fake_api_server(200, VERSION, tls=tls) as server:
        config = write_config(
            home / "config.yaml", server.url, **{"certificate-authority": str(other_ca)}
        )
        result = run_ktui("--kubeconfig", str(config), env=clean_env(home), cwd=home)
    assert_startup_error(result, f"TLS: certificate verify failed for {server.url}: ")


def test_plain_http_server_warns_and_gets_no_token(home: Path) -> None:
    with fake_api_server(401, UNAUTHORIZED) as server:
        config = write_config(home / "config.yaml", server.url)
        result = run_ktui("--kubeconfig", str(config), env=clean_env(home), cwd=home)
    assert server.authorizations == [None]
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"ktui: warning: server {server.url} is plain http: credentials are not sent"
        " (as kubectl does)",
        f"ktui: Unauthorized (401): {server.url} wants credentials, and ktui sends none over"
        " plain http (as kubectl) — use its https address",
    ]
    assert TOKEN not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("user", "server", "expected"),
    [
        (
            {"token": f"{TOKEN}\nX-Evil: 1"},
            "https://127.0.0.1:1",
            "ktui: user 'dev-user': token contains a line break or another control character"
            " (kubectl refuses such a token too)",
        ),
        (
            {"token": f"{TOKEN}-ключ"},
            "https://127.0.0.1:1",
            "ktui: user 'dev-user': token contains a non-ASCII character (tokens are plain ASCII)",
        ),
        (
            None,
            "https://[::1",
            "ktui: cluster 'dev-cluster': bad server URL 'https://[::1': Invalid IPv6 URL",
        ),
    ],
)
def test_odd_credentials_and_urls_are_one_line(
    home: Path, user: dict[str, Any] | None, server: str, expected: str
) -> None:
    config = write_config(home / "config.yaml", server, user=user)
    result = run_ktui("--kubeconfig", str(config), env=clean_env(home), cwd=home)
    assert_startup_error(result, expected)
    assert result.stderr == f"{expected}\n"
    for fragment in (TOKEN[:8], TOKEN[-8:], "X-Evil", "ключ"):
        assert fragment not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-n", "team", "-A"], "not allowed with argument"),
        (["-n", "Not_A_Namespace"], "is not a valid namespace name"),
        (["--demo", "--context", "dev"], "--demo runs its own cluster"),
        (["sim", "--port", "70000"], "is not a port number"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2(home: Path, args: list[str], expected: str) -> None:
    result = run_ktui(*args, env=clean_env(home), cwd=home)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------------
# dispatch, in-process, with stand-in modules for the parts others write


class RecordingApp:
    def __init__(self, settings: Settings, connection: Connection) -> None:
        self.settings = settings
        self.connection = connection
        self.ran = False
        self.return_code = 7

    def run(self) -> None:
        self.ran = True
        # The connection is live while the app runs.
        assert not self.connection.closed


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> None:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)


def test_main_builds_settings_connects_and_runs_the_app(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    apps: list[RecordingApp] = []
    pacers: list[object] = []

    def make_app(settings: Settings, *, connection: Connection, gc_pacer: object) -> RecordingApp:
        apps.append(RecordingApp(settings, connection))
        pacers.append(gc_pacer)
        return apps[-1]

    install_module(monkeypatch, "ktui.ui.app", make_app=make_app)
    with fake_api_server(200, VERSION) as server:
        config = write_config(home / "config.yaml", server.url)
        code = cli.main(["--kubeconfig", str(config), "-A", "--readonly"])
    assert code == 7
    (app,) = apps
    assert app.ran
    assert app.settings == Settings(
        kubeconfig=str(config), all_namespaces=True, readonly=True, namespace=None
    )
    assert app.connection.context_name == "dev"
    assert app.connection.namespace is None
    assert app.connection.default_namespace == "team"
    assert app.connection.server_version == "v1.32.0-cli"
    assert app.connection.closed  # closed once the app returned
    # The real app paces the cyclic GC (`ktui.gc_pacer`); tests' apps do not.
    assert type(pacers[0]).__name__ == "GcPacer"


def test_missing_ui_module_is_one_line(
    monkeypatch: pytest.MonkeyPatch, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # None in sys.modules makes the import fail as if the module were not installed.
    monkeypatch.setitem(sys.modules, "ktui.ui.app", None)
    with fake_api_server(200, VERSION) as server:
        # No credentials: no plain-http warning before the error.
        config = write_config(home / "config.yaml", server.url, user={})
        code = cli.main(["--kubeconfig", str(config)])
    assert code == 1
    assert capsys.readouterr().err == "ktui: the terminal UI (ktui.ui.app) is not available\n"


def test_demo_and_sim_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    install_module(
        monkeypatch, "ktui.demo", run_demo_app=lambda settings: calls.append(settings) or 0
    )
    install_module(
        monkeypatch,
        "ktui.sim.cli",
        run_sim=lambda port, kubeconfig_path, **load: (
            calls.append((port, kubeconfig_path, load)) or 3
        ),
    )
    assert cli.main(["--demo", "-n", "shop"]) == 0
    assert cli.main(["sim", "--port", "8443", "--write-kubeconfig", "/tmp/k.yaml"]) == 3
    assert cli.main(["sim", "--pods", "10000", "--events-per-second", "1000", "--no-rollouts"]) == 3
    default_load = {"pods": 0, "events_per_second": 0, "scenario": True, "rollouts": True}
    assert calls == [
        Settings(demo=True, namespace="shop"),
        (8443, "/tmp/k.yaml", default_load),
        (0, None, {**default_load, "pods": 10000, "events_per_second": 1000, "rollouts": False}),
    ]


def test_errors_raised_by_the_sim_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ktui.cluster.errors import KtuiError

    def run_sim(port: int, kubeconfig_path: str | None, **load: object) -> int:
        raise KtuiError(f"port {port} is already in use")

    install_module(monkeypatch, "ktui.sim.cli", run_sim=run_sim)
    assert cli.main(["sim", "--port", "80"]) == 1
    assert capsys.readouterr().err == "ktui: port 80 is already in use\n"


def test_import_errors_inside_a_module_are_not_hidden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "ktui.sim.cli", None)
    with pytest.raises(cli._StartupError, match=r"ktui\.sim\.cli\) is not available"):
        cli._load("ktui.sim.cli", "run_sim", "the embedded cluster (ktui.sim.cli) is not available")
    # A module that exists but fails to import is a bug: it must keep its traceback.
    package = tmp_path / "ktui_test_plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "broken.py").write_text("import ktui_test_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="ktui_test_missing_dependency"):
        cli._load("ktui_test_plugins.broken", "run", "unavailable")
    with pytest.raises(cli._StartupError, match=r"ktui_test_plugins\.absent\.run is missing"):
        (package / "absent.py").write_text("value = 1\n")
        cli._load("ktui_test_plugins.absent", "run", "unavailable")


# --------------------------------------------------------------------------------------------
# paths


def test_xdg_paths(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert paths.config_dir(env) == tmp_path / ".config" / "ktui"
    assert paths.config_file(env) == tmp_path / ".config" / "ktui" / "config.yaml"
    assert paths.state_dir(env) == tmp_path / ".local" / "state" / "ktui"
    assert paths.cache_dir(env) == tmp_path / ".cache" / "ktui"
    assert paths.log_file(env).parent == paths.state_dir(env)

    custom = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": "/etc/xdg-test",
        "XDG_STATE_HOME": "relative/is/ignored",
        "XDG_CACHE_HOME": "/var/cache/test",
    }
    assert paths.config_file(custom) == Path("/etc/xdg-test/ktui/config.yaml")
    assert paths.state_dir(custom) == tmp_path / ".local" / "state" / "ktui"
    assert paths.cache_dir(custom) == Path("/var/cache/test/ktui")

    created = paths.ensure_dir(paths.state_dir(env))
    assert created.is_dir() and (created.stat().st_mode & 0o777) == 0o700
