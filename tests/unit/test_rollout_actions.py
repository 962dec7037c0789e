"""restart / pause / resume / scale / execute_undo: the requests kubectl v1.32 sends.

A small HTTP server on 127.0.0.1 records every request and answers with canned API objects or
Status errors, so each test sees the exact method, path, Content-Type and body the real
`kubernetes` ApiClient put on the wire, and how many requests were made.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kubernetes.client import ApiClient, Configuration
from test_rollout_history import daemon_set, deployment, lab_replica_sets, lab_revisions

from ktui.cluster.rollout import (
    RolloutError,
    execute_undo,
    pause,
    plan_undo,
    restart,
    restart_patch,
    resume,
    scale,
)

TOKEN = "unit-test-token-0123456789"
DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/lab/deployments/web"


@dataclass
class Recorded:
    method: str
    path: str
    content_type: str | None
    authorization: str | None
    body: Any


class StubApi:
    """Answers (method, path) from `routes`; unknown routes get a 404 Status."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[int, Any]] = {}
        self.content_types: dict[tuple[str, str], str] = {}
        """A route's Content-Type when it is not application/json (a proxy's error page)."""
        self.requests: list[Recorded] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                stub.requests.append(
                    Recorded(
                        self.command,
                        self.path,
                        self.headers.get("Content-Type"),
                        self.headers.get("Authorization"),
                        json.loads(raw) if raw else None,
                    )
                )
                code, answer = stub.routes.get(
                    (self.command, self.path),
                    (
                        404,
                        status(404, "NotFound", "the server could not find the requested resource"),
                    ),
                )
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(code)
                self.send_header(
                    "Content-Type",
                    stub.content_types.get((self.command, self.path), "application/json"),
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PATCH = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def api_client(self) -> ApiClient:
        configuration = Configuration()
        configuration.host = self.url
        configuration.api_key["authorization"] = f"Bearer {TOKEN}"
        return ApiClient(configuration)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


@pytest.fixture
def stub() -> Iterator[StubApi]:
    server = StubApi()
    yield server
    server.close()


@pytest.fixture
def api(stub: StubApi) -> Iterator[ApiClient]:
    client = stub.api_client()
    yield client
    client.close()


def paused_deployment() -> dict[str, Any]:
    obj = deployment()
    obj["spec"]["paused"] = True
    return obj


# ---- restart ---------------------------------------------------------------------------------

NOW_UTC = dt.datetime(2026, 11, 24, 12, 45, 26, 987654, tzinfo=dt.UTC)


def test_restart_sends_kubectls_strategic_merge_patch(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, deployment())
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (200, deployment())
    assert restart(api, "Deployment", "lab", "web", NOW_UTC) == "deployment.apps/web restarted"
    (write,) = stub.writes()
    assert write.method == "PATCH" and write.path == DEPLOYMENT_PATH
    assert write.content_type == "application/strategic-merge-patch+json"
    assert write.body == {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-24T12:45:26Z"}
                }
            }
        }
    }
    assert write.authorization == f"Bearer {TOKEN}"


def test_restart_time_is_rfc3339_with_the_local_offset() -> None:
    tz = dt.timezone(dt.timedelta(hours=5, minutes=30))
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=tz)
    stamp = restart_patch(moment)["spec"]["template"]["metadata"]["annotations"]
    assert stamp == {"kubectl.kubernetes.io/restartedAt": "2026-01-02T03:04:05+05:30"}
    west = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    assert (
        restart_patch(west)["spec"]["template"]["metadata"]["annotations"][
            "kubectl.kubernetes.io/restartedAt"
        ]
        == "2026-01-02T03:04:05-07:00"
    )


def test_restart_refuses_a_paused_deployment(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, paused_deployment())
    with pytest.raises(RolloutError) as info:
        restart(api, "Deployment", "lab", "web", NOW_UTC)
    assert info.value.message == (
        'deployments.apps "web" can\'t restart paused deployment (run rollout resume first)'
    )
    assert stub.writes() == []


def test_restart_twice_in_one_second_is_kubectls_empty_patch_error(
    stub: StubApi, api: ApiClient
) -> None:
    obj = deployment()
    obj["spec"]["template"]["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/restartedAt": "2026-11-24T12:45:26Z"
    }
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, obj)
    with pytest.raises(RolloutError, match=r"^failed to create patch for web: empty patch$"):
        restart(api, "Deployment", "lab", "web", NOW_UTC)
    assert stub.writes() == []


def test_restart_daemon_set(stub: StubApi, api: ApiClient) -> None:
    path = "/apis/apps/v1/namespaces/lab/daemonsets/agent"
    obj = daemon_set()
    obj["spec"]["paused"] = True  # meaningless for a DaemonSet: no refusal
    stub.routes[("GET", path)] = (200, obj)
    stub.routes[("PATCH", path)] = (200, obj)
    assert restart(api, "ds", "lab", "agent", NOW_UTC) == "daemonset.apps/agent restarted"
    assert [w.path for w in stub.writes()] == [path]


def test_restart_of_a_missing_object(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (
        404,
        status(404, "NotFound", 'deployments.apps "web" not found'),
    )
    with pytest.raises(RolloutError) as info:
        restart(api, "Deployment", "lab", "web", NOW_UTC)
    assert info.value.message == 'deployments.apps "web" not found'
    assert (info.value.status, info.value.reason) == (404, "NotFound")


def test_restart_patch_rejected(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, deployment())
    message = (
        'deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments" '
        'in API group "apps" in the namespace "lab"'
    )
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (403, status(403, "Forbidden", message))
    with pytest.raises(RolloutError) as info:
        restart(api, "Deployment", "lab", "web", NOW_UTC)
    assert info.value.message == f"failed to patch: {message}"
    assert info.value.status == 403


# ---- pause / resume --------------------------------------------------------------------------


def test_pause(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, deployment())
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (200, paused_deployment())
    assert pause(api, "Deployment", "lab", "web") == "deployment.apps/web paused"
    (write,) = stub.writes()
    assert write.content_type == "application/strategic-merge-patch+json"
    assert write.body == {"spec": {"paused": True}}


def test_pause_an_already_paused_deployment(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, paused_deployment())
    with pytest.raises(RolloutError) as info:
        pause(api, "Deployment", "lab", "web")
    assert info.value.message == 'deployments.apps "web" is already paused'
    assert stub.writes() == []


def test_resume_nulls_the_paused_field(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, paused_deployment())
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (200, deployment())
    assert resume(api, "deploy", "lab", "web") == "deployment.apps/web resumed"
    (write,) = stub.writes()
    assert write.body == {"spec": {"paused": None}}


def test_resume_a_deployment_that_is_not_paused(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, deployment())
    with pytest.raises(RolloutError, match=r'^deployments.apps "web" is not paused$'):
        resume(api, "Deployment", "lab", "web")
    assert stub.writes() == []


def test_pause_and_resume_are_deployment_only(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", "/apis/apps/v1/namespaces/lab/statefulsets/db")] = (200, {"kind": "x"})
    stub.routes[("GET", "/apis/apps/v1/namespaces/lab/daemonsets/agent")] = (200, daemon_set())
    with pytest.raises(RolloutError, match=r'^statefulsets.apps "db" pausing is not supported$'):
        pause(api, "StatefulSet", "lab", "db")
    with pytest.raises(RolloutError, match=r'^daemonsets.apps "agent" resuming is not supported$'):
        resume(api, "DaemonSet", "lab", "agent")
    assert stub.writes() == []


# ---- scale -----------------------------------------------------------------------------------

SCALE_PATH = DEPLOYMENT_PATH + "/scale"


def scale_object(replicas: int, resource_version: str) -> dict[str, Any]:
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": "web",
            "namespace": "lab",
            "uid": "6a4a6145-3eb1-48c3-8bd6-da084928e366",
            "resourceVersion": resource_version,
            "creationTimestamp": "2026-11-24T12:44:58Z",
        },
        "spec": {"replicas": replicas},
        "status": {"replicas": 5, "selector": "app=web"},
    }


def test_scale_is_one_merge_patch_of_the_scale_subresource(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("PATCH", SCALE_PATH)] = (200, scale_object(4, "417"))
    assert scale(api, "Deployment", "lab", "web", 4) == "deployment.apps/web scaled"
    assert [(r.method, r.path, r.content_type, r.body) for r in stub.requests] == [
        ("PATCH", SCALE_PATH, "application/merge-patch+json", {"spec": {"replicas": 4}})
    ]


def test_scale_to_zero_statefulset(stub: StubApi, api: ApiClient) -> None:
    path = "/apis/apps/v1/namespaces/lab/statefulsets/db/scale"
    stub.routes[("PATCH", path)] = (200, scale_object(0, "9"))
    assert scale(api, "sts", "lab", "db", 0) == "statefulset.apps/db scaled"
    assert stub.requests[0].body == {"spec": {"replicas": 0}}


def test_scale_with_resource_version_reads_then_puts(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", SCALE_PATH)] = (200, scale_object(4, "416"))
    stub.routes[("PUT", SCALE_PATH)] = (200, scale_object(2, "419"))
    assert scale(api, "Deployment", "lab", "web", 2, "416") == "deployment.apps/web scaled"
    assert [(r.method, r.path) for r in stub.requests] == [("GET", SCALE_PATH), ("PUT", SCALE_PATH)]
    put = stub.requests[1]
    assert put.body == {**scale_object(2, "416")}
    assert put.content_type == "application/json"


def test_scale_resource_version_mismatch(stub: StubApi, api: ApiClient) -> None:
    stub.routes[("GET", SCALE_PATH)] = (200, scale_object(4, "416"))
    with pytest.raises(RolloutError) as info:
        scale(api, "Deployment", "lab", "web", 2, "1")
    assert info.value.message == "Expected resource version to be 1, was 416"
    assert stub.writes() == []


def test_scale_conflict_is_reported_not_retried(stub: StubApi, api: ApiClient) -> None:
    message = (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    stub.routes[("GET", SCALE_PATH)] = (200, scale_object(4, "416"))
    stub.routes[("PUT", SCALE_PATH)] = (409, status(409, "Conflict", message))
    with pytest.raises(RolloutError) as info:
        scale(api, "Deployment", "lab", "web", 2, "416")
    assert info.value.message == message
    assert (info.value.status, info.value.reason) == (409, "Conflict")
    assert len(stub.writes()) == 1


def test_scale_refusals(stub: StubApi, api: ApiClient) -> None:
    with pytest.raises(RolloutError, match="COUNT must be greater than or equal to 0"):
        scale(api, "Deployment", "lab", "web", -1)
    with pytest.raises(RolloutError, match="no scale subresource"):
        scale(api, "DaemonSet", "lab", "agent", 2)
    assert stub.requests == []


# ---- execute_undo ----------------------------------------------------------------------------


def test_execute_undo_sends_the_plan_in_one_request(stub: StubApi, api: ApiClient) -> None:
    plan = plan_undo("Deployment", deployment(), lab_replica_sets())
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (200, deployment("nginx:1.26"))
    assert execute_undo(api, plan) == "deployment.apps/web rolled back"
    (only,) = stub.requests
    assert (only.method, only.path) == ("PATCH", DEPLOYMENT_PATH)
    assert only.content_type == "application/json-patch+json"
    assert only.body == plan.patch


def test_execute_undo_of_a_daemon_set_is_a_strategic_merge(stub: StubApi, api: ApiClient) -> None:
    path = "/apis/apps/v1/namespaces/lab/daemonsets/agent"
    plan = plan_undo("DaemonSet", daemon_set(), lab_revisions())
    stub.routes[("PATCH", path)] = (200, daemon_set("agent:2"))
    assert execute_undo(api, plan) == "daemonset.apps/agent rolled back"
    (only,) = stub.requests
    assert only.content_type == "application/strategic-merge-patch+json"
    assert only.body == lab_revisions()[2]["data"]


def test_execute_skipped_undo_sends_nothing(stub: StubApi, api: ApiClient) -> None:
    plan = plan_undo("Deployment", deployment(), lab_replica_sets(), to_revision=3)
    assert execute_undo(api, plan) == (
        "deployment.apps/web skipped rollback (current template already matches revision 3)"
    )
    assert stub.requests == []


@pytest.mark.parametrize(
    ("code", "reason", "message"),
    [
        (
            403,
            "Forbidden",
            'deployments.apps "web" is forbidden: User "viewer" cannot patch resource '
            '"deployments" in API group "apps" in the namespace "lab"',
        ),
        (
            409,
            "Conflict",
            'Operation cannot be fulfilled on deployments.apps "web": the object has been '
            "modified; please apply your changes to the latest version and try again",
        ),
    ],
)
def test_execute_undo_surfaces_the_servers_message(
    stub: StubApi, api: ApiClient, code: int, reason: str, message: str
) -> None:
    plan = plan_undo("Deployment", deployment(), lab_replica_sets())
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (code, status(code, reason, message))
    with pytest.raises(RolloutError) as info:
        execute_undo(api, plan)
    # kubectl's words: the revision asked for (0, "the previous one"); the rollout screen
    # names the revision its confirmation showed instead (tests/ui/test_rollout_ui.py).
    assert (plan.to_revision, plan.target_revision) == (0, 2)
    assert info.value.message == f"failed restoring revision 0: {message}"
    assert (info.value.status, info.value.reason) == (code, reason)
    assert len(stub.requests) == 1


NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@pytest.mark.parametrize("content_type", ["text/html", "application/json"])
def test_error_body_that_is_not_a_status(stub: StubApi, api: ApiClient, content_type: str) -> None:
    # A proxy in front of the API server answering the PATCH with its own error page: the
    # status line and what the body is, not its markup (with or without a truthful type).
    plan = plan_undo("Deployment", deployment(), lab_replica_sets(), to_revision=1)
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (502, NGINX_502)
    stub.content_types[("PATCH", DEPLOYMENT_PATH)] = content_type
    with pytest.raises(RolloutError) as info:
        execute_undo(api, plan)
    assert info.value.message == (
        "failed restoring revision 1: 502 Bad Gateway (the server answered with an HTML page)"
    )
    assert info.value.status == 502


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        (
            503,
            b"upstream connect error or disconnect/reset before headers\n",
            ("503 Service Unavailable: upstream connect error or disconnect/reset before headers"),
        ),
        (500, b"", "500 Internal Server Error"),
        (409, b'{"kind": "Status", "status": "Failure"}', "409 Conflict"),
    ],
)
def test_other_error_bodies_show_the_status_line(
    stub: StubApi, api: ApiClient, code: int, body: bytes, expected: str
) -> None:
    stub.routes[("GET", DEPLOYMENT_PATH)] = (200, deployment())
    stub.routes[("PATCH", DEPLOYMENT_PATH)] = (code, body)
    stub.content_types[("PATCH", DEPLOYMENT_PATH)] = "text/plain"
    with pytest.raises(RolloutError) as info:
        pause(api, "Deployment", "lab", "web")
    assert info.value.message == f"failed to patch: {expected}"  # kubectl's prefix for pause
    assert info.value.status == code


def test_unreachable_server_is_one_clear_line() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configuration = Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    configuration.api_key["authorization"] = f"Bearer {TOKEN}"
    configuration.retries = 0
    with ApiClient(configuration) as client, pytest.raises(RolloutError) as info:
        pause(client, "Deployment", "lab", "web")
    assert "connection refused" in info.value.message
    assert TOKEN not in info.value.message
    assert "\n" not in info.value.message
