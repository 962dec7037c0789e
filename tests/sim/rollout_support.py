"""Helpers for comparing ktui's rollout operations with kubectl on a cluster with controllers.

Used by tests/sim/test_rollout_embedded.py (the embedded cluster) and
tests/e2e/test_rollout_e2e.py (kube-controller-manager v1.20.2), so nothing here depends on
either tier's fixtures:

- `StatusWatch`: ktui's side of `kubectl rollout status --watch`: a list + watch of one workload
  (by field selector, as kubectl does) that computes `rollout_status(...)` on every ADDED /
  MODIFIED event and stops at the first `done` or error, exactly where kubectl stops.
- `KubectlProcess`: a kubectl subprocess running concurrently (stdout / stderr captured).
- `Workbench`: one test's namespace, kubectl and ktui's API client on the same server, with
  `settled(kind, name)` (observed and rolled out), `history` (kubectl's) / `ktui_history`.
- `manifest`, `change_image`, `make_twins`, `assert_twins_agree`, `ktui_undo`: workloads with
  histories made by the controllers, and undo on twins;
  `assert_restart_pause_resume_scale_twins` the other write operations on twins.
- `assert_kubectl_tail`: kubectl's printed lines are the tail of ktui's event-by-event messages.
- `twin_view` / `same_twins`: a workload's template and revision with the twin's name removed.
- `ScaleRaceProxy`: a plain-HTTP reverse proxy that runs a hook before forwarding a PUT of a
  scale subresource, to make a 409 Conflict happen deterministically between ktui's GET and PUT.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import http.server
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from ktui.cluster.rollout import (
    RolloutError,
    RolloutStatus,
    execute_undo,
    fetch_workload,
    history_table,
    is_rollout_complete,
    pause,
    plan_undo,
    restart,
    resume,
    rollout_history,
    rollout_status,
    scale,
)
from ktui.cluster.transport import abort_response, open_request, request_json
from ktui.cluster.watch import LineSplitter, parse_watch_line

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")
PLURALS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}
KUBECTL_TYPES = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset"}


def workload_path(kind: str, namespace: str, name: str = "") -> str:
    path = f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/{PLURALS[kind]}"
    return f"{path}/{quote(name, safe='')}" if name else path


def poll(predicate: Callable[[], Any], message: str, timeout: float = 30.0) -> Any:
    """Poll until predicate() is truthy (returned) or fail with `message` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting until {message}")
        time.sleep(0.05)


class StatusWatch:
    """ktui's rollout status of one workload, recomputed on every watch event of it.

    Like kubectl's UntilWithSync: one list (field selector metadata.name=<name>) whose item is
    the first event, then a watch from the list's resourceVersion; stops after the first status
    that is `done` or carries an error. `statuses` holds one RolloutStatus per event.

    `min_generation`: a done status of an older generation does not stop the watch, so it can
    be started before the change whose rollout it is to follow (kubectl, started after the
    change, stops at the same event).
    """

    def __init__(
        self, api_client: Any, kind: str, namespace: str, name: str, *, min_generation: int = 0
    ) -> None:
        self.api_client = api_client
        self.min_generation = min_generation
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.statuses: list[RolloutStatus] = []
        self.failure: BaseException | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, name=f"status-{name}", daemon=True)

    def start(self) -> StatusWatch:
        self._thread.start()
        return self

    @property
    def messages(self) -> list[str]:
        """kubectl's output per event: the message, or "error: ..." for an error status."""
        with self._lock:
            return [s.message if s.error is None else f"error: {s.error}\n" for s in self.statuses]

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def _record(self, obj: dict[str, Any]) -> bool:
        status = rollout_status(obj, kind=self.kind)
        with self._lock:
            self.statuses.append(status)
        if int(obj["metadata"].get("generation") or 0) < self.min_generation:
            return False
        return status.done or status.error is not None

    def _run(self) -> None:
        try:
            self._list_and_watch()
        except BaseException as exc:  # reported by wait()
            if not self._stopped.is_set():
                self.failure = exc

    def _list_and_watch(self) -> None:
        selector = ("fieldSelector", f"metadata.name={self.name}")
        path = workload_path(self.kind, self.namespace)
        response = open_request(self.api_client, "GET", path, [selector], timeout=(10.0, 30.0))
        listed = json.loads(response.read())
        response.release_conn()
        items = listed.get("items") or []
        if not items:
            raise AssertionError(f"{self.kind} {self.name} does not exist")
        if self._record(items[0]):
            return
        version = listed["metadata"]["resourceVersion"]
        while not self._stopped.is_set():
            query = [selector, ("watch", "true"), ("resourceVersion", version)]
            response = open_request(self.api_client, "GET", path, query, timeout=(10.0, 60.0))
            self._response = response
            splitter = LineSplitter()
            try:
                for chunk in response.stream(4096, decode_content=True):
                    for line in splitter.feed(chunk):
                        event = parse_watch_line(line)
                        if event is None or event.type == "BOOKMARK":
                            continue
                        if event.type == "ERROR":
                            raise AssertionError(f"watch ended with an error: {event.object}")
                        if event.type == "DELETED":
                            raise AssertionError(f"{self.kind} {self.name} was deleted")
                        version = event.object["metadata"]["resourceVersion"]
                        if self._record(event.object):
                            return
            finally:
                response.close()
            # The server ended the watch (its timeout): resume from the last version seen.

    def wait(self, timeout: float) -> list[str]:
        """Wait for the watch to end; its messages. Fails if it did not end in time."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.stop()
            raise AssertionError(
                f"ktui's status watch of {self.name} did not finish within {timeout:.0f}s; "
                f"messages so far: {self.messages}"
            )
        if self.failure is not None:
            raise AssertionError(f"ktui's status watch failed: {self.failure!r}")
        return self.messages

    def stop(self) -> None:
        self._stopped.set()
        if self._response is not None:
            abort_response(self._response)
        self._thread.join(5)


class KubectlProcess:
    """A kubectl command running in the background, its output captured."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self.argv = list(argv)
        self._process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(env) if env is not None else None,
        )
        self._stdout: list[str] = []
        self._stderr = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._lock:
                self._stdout.append(line)

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._stdout)

    def wait(self, timeout: float) -> tuple[int, list[str], str]:
        """(exit code, stdout lines, stderr) once kubectl exited; fails after `timeout`."""
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{' '.join(self.argv[-4:])} did not exit within {timeout:.0f}s; "
                f"stdout so far: {self.lines}"
            ) from None
        self._reader.join(5)
        assert self._process.stderr is not None
        self._stderr = self._process.stderr.read()
        self._process.stderr.close()
        return self._process.returncode, self.lines, self._stderr

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        self._process.wait(5)


class Workbench:
    """One test's namespace, with kubectl and ktui's API client pointed at the same server."""

    def __init__(
        self,
        kubeconfig: str,
        api: Any,
        namespace: str,
        *,
        context: str | None = None,
        settle_timeout: float = 30.0,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.settle_timeout = settle_timeout
        self.api = api
        self.ns = namespace
        self.context = context
        self.env = {**os.environ, "KUBECONFIG": kubeconfig}

    def argv(self, *args: str, context: str | None = None) -> list[str]:
        chosen = context or self.context
        scope = ["--context", chosen] if chosen else []
        return [KUBECTL, "--kubeconfig", self.kubeconfig, *scope, "-n", self.ns, *args]

    def kubectl(
        self, *args: str, check: bool = True, input: str | None = None, context: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.argv(*args, context=context),
            capture_output=True,
            text=True,
            env=self.env,
            input=input,
            timeout=60,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
            )
        return result

    def kubectl_in_background(self, *args: str) -> KubectlProcess:
        return KubectlProcess(self.argv(*args), self.env)

    def create(self, manifest: dict[str, Any]) -> None:
        self.kubectl("create", "-f", "-", input=json.dumps(manifest))

    def get(self, kind: str, name: str) -> dict[str, Any]:
        return request_json(self.api, "GET", workload_path(kind, self.ns, name))

    def settled(self, kind: str, name: str, timeout: float | None = None) -> dict[str, Any]:
        """The workload once its controller observed its spec and the rollout completed."""

        def complete() -> dict[str, Any] | None:
            obj = self.get(kind, name)
            status = rollout_status(obj, kind=kind)
            return obj if status.observed and is_rollout_complete(obj, kind=kind) else None

        result: dict[str, Any] = poll(
            complete, f"{kind} {self.ns}/{name} rolled out", timeout or self.settle_timeout
        )
        return result

    def history(self, kind: str, name: str) -> str:
        """`kubectl rollout history` of the workload (stdout)."""
        return self.kubectl("rollout", "history", f"{KUBECTL_TYPES[kind]}/{name}").stdout

    def ktui_history(self, kind: str, name: str) -> str:
        obj, children = fetch_workload(self.api, kind, self.ns, name)
        return history_table(rollout_history(kind, obj, children), kind, name)


def manifest(
    kind: str,
    name: str,
    image: str = "img:v1",
    *,
    replicas: int = 3,
    template_annotations: dict[str, str] | None = None,
    progress_deadline: int | None = None,
    min_ready_seconds: int | None = None,
) -> dict[str, Any]:
    template: dict[str, Any] = {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }
    if template_annotations:
        template["metadata"]["annotations"] = dict(template_annotations)
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if kind == "Deployment":
        spec["replicas"] = replicas
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        }
        if progress_deadline is not None:
            spec["progressDeadlineSeconds"] = progress_deadline
        if min_ready_seconds is not None:
            spec["minReadySeconds"] = min_ready_seconds
    elif kind == "StatefulSet":
        spec.update(replicas=replicas, serviceName=name)
        spec["updateStrategy"] = {"type": "RollingUpdate"}
    else:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def ktui_undo(bench: Workbench, kind: str, name: str, to_revision: int = 0) -> tuple[str, str]:
    """ktui's undo of `name` as kubectl would print it: (stdout, stderr)."""
    try:
        obj, children = fetch_workload(bench.api, kind, bench.ns, name)
        return execute_undo(bench.api, plan_undo(kind, obj, children, to_revision)) + "\n", ""
    except RolloutError as exc:
        return "", f"error: {exc.message}\n"


def change_image(bench: Workbench, kind: str, name: str, image: str, cause: str | None) -> None:
    """One image change; with a cause, the change-cause annotation comes in the same request
    (as `kubectl set image --record` did), so every controller copies it to the revision."""
    if cause is None:
        bench.kubectl("set", "image", f"{KUBECTL_TYPES[kind]}/{name}", f"c={image}")
        return
    patch = {
        "metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}},
    }
    bench.kubectl("patch", f"{KUBECTL_TYPES[kind]}/{name}", "-p", json.dumps(patch))


def make_twins(bench: Workbench, kind: str) -> None:
    """web-a and web-b with the same three revisions (images v1, v2, v3), made by the
    controllers."""
    for name in ("web-a", "web-b"):
        bench.create(manifest(kind, name, replicas=2))
    for image, cause in (("img:v2", "to v2"), ("img:v3", None)):
        for name in ("web-a", "web-b"):
            bench.settled(kind, name)
            change_image(bench, kind, name, image, cause)
    for name in ("web-a", "web-b"):
        bench.settled(kind, name)


def assert_twins_agree(bench: Workbench, kind: str) -> None:
    a, b = bench.settled(kind, "web-a"), bench.settled(kind, "web-b")
    assert twin_view(a, kind) == twin_view(b, kind)
    history_a = untwin(bench.history(kind, "web-a"), "web-a")
    history_b = bench.history(kind, "web-b")
    assert history_a == untwin(history_b, "web-b")
    assert bench.ktui_history(kind, "web-b") == history_b


RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


def outputs_agree(theirs: subprocess.CompletedProcess[str], ours: tuple[str, str]) -> None:
    assert (untwin(ours[0], "web-b"), untwin(ours[1], "web-b")) == (
        untwin(theirs.stdout, "web-a"),
        untwin(theirs.stderr, "web-a"),
    )


def run_ktui(action: Any, *args: Any) -> tuple[str, str]:
    try:
        return action(*args) + "\n", ""
    except RolloutError as exc:
        return "", f"error: {exc.message}\n"


def assert_restart_pause_resume_scale_twins(bench: Workbench, kind: str) -> None:
    """On new twins: `rollout restart`, `rollout pause` / `resume` (twice each, the second
    refused), a restart of a paused Deployment (refused) and `scale`, by kubectl on web-a and
    ktui on web-b: the same output and errors, and the twins end up alike (restartedAt stamps
    in the same format, paused flags, replicas, revisions, history)."""
    kind_arg = KUBECTL_TYPES[kind]
    for name in ("web-a", "web-b"):
        bench.create(manifest(kind, name, replicas=2))
    for name in ("web-a", "web-b"):
        bench.settled(kind, name)

    theirs = bench.kubectl("rollout", "restart", f"{kind_arg}/web-a")
    # ktui's restart stamped 2 s later than now: the stamps always differ (they did now and
    # then, across a second boundary), so every comparison below must leave them out.
    later = dt.datetime.now().astimezone() + dt.timedelta(seconds=2)
    ours = run_ktui(restart, bench.api, kind, bench.ns, "web-b", later)
    outputs_agree(theirs, ours)
    a, b = bench.settled(kind, "web-a"), bench.settled(kind, "web-b")
    stamps = [obj["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] for obj in (a, b)]
    for stamp in stamps:
        assert _RFC3339.fullmatch(stamp), stamp
    assert stamps[0][19:] == stamps[1][19:]  # the same zone designator
    assert twin_view(unstamped(a), kind) == twin_view(unstamped(b), kind)
    assert untwin(bench.history(kind, "web-a"), "web-a") == untwin(
        bench.history(kind, "web-b"), "web-b"
    )

    for verb, action in (
        ("pause", pause),
        ("pause", pause),
        ("resume", resume),
        ("resume", resume),
    ):
        theirs = bench.kubectl("rollout", verb, f"{kind_arg}/web-a", check=False)
        outputs_agree(theirs, run_ktui(action, bench.api, kind, bench.ns, "web-b"))
        assert bench.get(kind, "web-a")["spec"].get("paused") == bench.get(kind, "web-b")[
            "spec"
        ].get("paused"), verb
    if kind == "Deployment":
        bench.kubectl("rollout", "pause", f"{kind_arg}/web-a")
        pause(bench.api, kind, bench.ns, "web-b")
        assert bench.get(kind, "web-b")["spec"]["paused"] is True
        theirs = bench.kubectl("rollout", "restart", f"{kind_arg}/web-a", check=False)
        ours = run_ktui(restart, bench.api, kind, bench.ns, "web-b", dt.datetime.now())
        outputs_agree(theirs, ours)
        assert "can't restart paused deployment" in ours[1]
        bench.kubectl("rollout", "resume", f"{kind_arg}/web-a")
        resume(bench.api, kind, bench.ns, "web-b")

    if kind == "DaemonSet":
        # kubectl only finds out from the server's 404 on the scale subresource; ktui refuses
        # up front with its own words. Neither writes anything.
        theirs = bench.kubectl("scale", f"{kind_arg}/web-a", "--replicas=3", check=False)
        ours = run_ktui(scale, bench.api, kind, bench.ns, "web-b", 3)
        assert theirs.stderr == (
            "Error from server (NotFound): the server could not find the requested resource\n"
        )
        assert ours == (
            "",
            'error: daemonsets.apps "web-b" cannot be scaled: DaemonSets have no scale '
            "subresource\n",
        )
        return
    theirs = bench.kubectl("scale", f"{kind_arg}/web-a", "--replicas=3")
    outputs_agree(theirs, run_ktui(scale, bench.api, kind, bench.ns, "web-b", 3))
    a, b = bench.settled(kind, "web-a"), bench.settled(kind, "web-b")
    assert a["spec"]["replicas"] == b["spec"]["replicas"] == 3
    assert a["status"].get("readyReplicas") == b["status"].get("readyReplicas") == 3
    # The restart stamps are still in the templates: kubectl's and ktui's restarts ran a
    # moment apart, in the same second or (now and then) across a second boundary.
    assert twin_view(unstamped(a), kind) == twin_view(unstamped(b), kind)


def assert_kubectl_tail(kubectl_lines: Sequence[str], ktui_messages: Sequence[str]) -> None:
    """kubectl's lines are exactly the last len(kubectl_lines) of ktui's per-event messages.

    Both print a status per watch event of the object and stop at the same event (the first
    done / failed one); kubectl started watching no earlier than ktui, so its events are a
    suffix of ktui's. (kubectl v1.32 prints on every event, repeated messages included.)
    """
    assert kubectl_lines, "kubectl printed nothing"
    start = len(ktui_messages) - len(kubectl_lines)
    assert start >= 0 and list(ktui_messages[start:]) == list(kubectl_lines), (
        f"kubectl's lines are not the tail of ktui's messages:\n"
        f"kubectl: {list(kubectl_lines)}\nktui:    {list(ktui_messages)}"
    )


def dedup(messages: Sequence[str]) -> list[str]:
    """Consecutive repeats collapsed: the sequence of distinct statuses a user sees."""
    result: list[str] = []
    for message in messages:
        if not result or result[-1] != message:
            result.append(message)
    return result


def unstamped(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with the restartedAt stamp of its pod template (if any) replaced by "<stamp>"."""
    copy: dict[str, Any] = json.loads(json.dumps(obj))
    annotations = copy["spec"]["template"].get("metadata", {}).get("annotations") or {}
    if RESTARTED_AT in annotations:
        annotations[RESTARTED_AT] = "<stamp>"
    return copy


def twin_view(obj: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What must agree between twins after the same operation, the object's name removed: its
    pod template, its revision annotation (Deployments) and its paused flag / replicas."""
    name = obj["metadata"]["name"]
    view = {
        "template": obj["spec"]["template"],
        "revision": (obj["metadata"].get("annotations") or {}).get(
            "deployment.kubernetes.io/revision"
        ),
        "paused": obj["spec"].get("paused"),
        "replicas": obj["spec"].get("replicas"),
        "kind": kind,
    }
    text = json.dumps(view, sort_keys=True)
    return dict(json.loads(text.replace(f'"{name}"', '"<twin>"')))


def untwin(text: str, name: str) -> str:
    """`text` (kubectl or ktui output) with the twin's name replaced by "<twin>"."""
    return text.replace(name, "<twin>")


class ScaleRaceProxy:
    """A plain-HTTP reverse proxy to `upstream` (an http:// URL) that calls `before_scale_put`
    right before it forwards a PUT of a `/scale` subresource, and counts those PUTs.

    With a hook that changes the object, the PUT carries a resourceVersion that has just gone
    stale: the server answers 409 Conflict, deterministically.
    """

    def __init__(self, upstream: str, before_scale_put: Callable[[], None]) -> None:
        parts = urlsplit(upstream)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self.before_scale_put = before_scale_put
        self.scale_puts = 0
        self.requests: list[tuple[str, str]] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append((self.command, self.path))
                if self.command == "PUT" and self.path.split("?")[0].endswith("/scale"):
                    proxy.scale_puts += 1
                    proxy.before_scale_put()
                upstream = http.client.HTTPConnection(proxy._host, proxy._port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status, answer.reason)
                    for key, value in answer.getheaders():
                        if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> ScaleRaceProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
