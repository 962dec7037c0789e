"""Discovery picks the served version of each kind (CronJob batch/v1 vs batch/v1beta1).

The embedded cluster serves only batch/v1, so a tiny real HTTP server here serves the discovery
documents of a Kubernetes 1.20 server (batch/v1 with jobs only, cronjobs at batch/v1beta1) and of
a current one, plus empty lists and silent watches, for the real kubernetes client to talk to.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from ktui.cluster.cache import CachePhase, ClusterCache, WatchOptions
from ktui.cluster.discovery import NOT_SERVED_MESSAGE, Discovery
from ktui.cluster.kinds import ALL_KINDS, CRON_JOB, DEPLOYMENT, JOB, NODE, POD

CORE_RESOURCES = ["pods", "pods/log", "pods/status", "events", "nodes", "namespaces"]
APPS_RESOURCES = ["deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions"]


def resource_list(group_version: str, names: list[str]) -> dict[str, Any]:
    return {
        "kind": "APIResourceList",
        "groupVersion": group_version,
        "resources": [{"name": name, "namespaced": True, "kind": "X"} for name in names],
    }


def group(name: str, *versions: str) -> dict[str, Any]:
    return {
        "name": name,
        "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{name}/{versions[0]}", "version": versions[0]},
    }


def documents_1_20() -> dict[str, dict[str, Any]]:
    return {
        "/api/v1": resource_list("v1", CORE_RESOURCES),
        "/apis": {
            "kind": "APIGroupList",
            "groups": [group("apps", "v1"), group("batch", "v1", "v1beta1")],
        },
        "/apis/apps/v1": resource_list("apps/v1", APPS_RESOURCES),
        "/apis/batch/v1": resource_list("batch/v1", ["jobs", "jobs/status"]),
        "/apis/batch/v1beta1": resource_list("batch/v1beta1", ["cronjobs", "cronjobs/status"]),
    }


def documents_current() -> dict[str, dict[str, Any]]:
    documents = documents_1_20()
    documents["/apis"]["groups"] = [group("apps", "v1"), group("batch", "v1")]
    documents["/apis/batch/v1"] = resource_list("batch/v1", ["jobs", "cronjobs"])
    del documents["/apis/batch/v1beta1"]
    return documents


def documents_without_cronjobs() -> dict[str, dict[str, Any]]:
    documents = documents_1_20()
    documents["/apis"]["groups"] = [group("apps", "v1"), group("batch", "v1")]
    del documents["/apis/batch/v1beta1"]
    return documents


class DiscoveryServer:
    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        self.requests: list[str] = []
        self.closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> DiscoveryServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def api_client(self) -> kubernetes.client.ApiClient:
        host, port = self._server.server_address[:2]
        configuration = kubernetes.client.Configuration()
        configuration.host = f"http://{host!s}:{port}"
        return kubernetes.client.ApiClient(configuration)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                server.requests.append(self.path)
                if parts.path in server.documents:
                    self.send_json(200, server.documents[parts.path])
                elif "watch" in query:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.flush()
                    server.closing.wait()
                elif self.served_collection(parts.path):
                    self.send_json(200, {"metadata": {"resourceVersion": "7"}, "items": []})
                else:
                    self.send_json(404, {"kind": "Status", "code": 404, "reason": "NotFound"})

            def served_collection(self, path: str) -> bool:
                segments = path.strip("/").split("/")
                base = "/".join(segments[:2] if segments[0] == "api" else segments[:3])
                document = server.documents.get("/" + base)
                plural = segments[-1]
                return document is not None and any(
                    r["name"] == plural for r in document.get("resources", [])
                )

            def send_json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def server_1_20() -> Iterator[DiscoveryServer]:
    with DiscoveryServer(documents_1_20()) as server:
        yield server


def test_cronjob_is_batch_v1beta1_on_1_20(server_1_20: DiscoveryServer) -> None:
    discovery = Discovery(server_1_20.api_client())
    assert discovery.resolve(CRON_JOB).version == "v1beta1"
    assert discovery.resolve(JOB).version == "v1"
    assert discovery.resolve(DEPLOYMENT).version == "v1"
    assert discovery.resolve(POD).version == "v1"
    assert discovery.resolve(NODE).version == "v1"
    # Each document was fetched once, however many kinds asked.
    assert sorted(server_1_20.requests) == [
        "/api/v1",
        "/apis",
        "/apis/apps/v1",
        "/apis/batch/v1",
        "/apis/batch/v1beta1",
    ]


def test_cronjob_is_batch_v1_on_current_servers() -> None:
    with DiscoveryServer(documents_current()) as server:
        discovery = Discovery(server.api_client())
        assert discovery.resolve(CRON_JOB).version == "v1"
        assert "/apis/batch/v1beta1" not in server.requests


def test_a_kind_served_nowhere_is_reported_as_such() -> None:
    with DiscoveryServer(documents_without_cronjobs()) as server:
        served = Discovery(server.api_client()).resolve(CRON_JOB)
        assert served.version is None and not served.served


def test_discovery_errors_propagate_and_are_not_cached() -> None:
    documents = documents_1_20()
    apis = documents.pop("/apis")
    with DiscoveryServer(documents) as server:
        discovery = Discovery(server.api_client())
        with pytest.raises(ApiException) as raised:
            discovery.resolve(JOB)
        assert raised.value.status == 404
        server.documents["/apis"] = apis
        assert discovery.resolve(JOB).version == "v1"


def test_cluster_cache_lists_and_watches_cronjobs_at_v1beta1(server_1_20: DiscoveryServer) -> None:
    options = WatchOptions(forbidden_retry=None)
    cache = ClusterCache(
        server_1_20.api_client(), "default", kinds=[CRON_JOB, POD], options=options
    )
    with cache:
        wait_for(
            lambda: all(s.phase == CachePhase.LIVE for s in cache.states().values()),
            "both caches live",
        )
        assert cache.api_version("CronJob") == "batch/v1beta1"
        assert cache.api_version("Pod") == "v1"
    cronjob_requests = [r for r in server_1_20.requests if "cronjobs" in r]
    assert cronjob_requests
    assert all(
        r.startswith("/apis/batch/v1beta1/namespaces/default/cronjobs") for r in cronjob_requests
    )


def test_unserved_kind_is_an_error_state_and_the_others_go_on() -> None:
    with DiscoveryServer(documents_without_cronjobs()) as server:
        cache = ClusterCache(server.api_client(), None, kinds=ALL_KINDS)
        with cache:
            wait_for(
                lambda: cache.states()["CronJob"].phase == CachePhase.ERROR,
                "CronJob's error state",
            )
            wait_for(
                lambda: all(
                    state.phase == CachePhase.LIVE
                    for kind, state in cache.states().items()
                    if kind != "CronJob"
                ),
                "every other kind live",
            )
            assert cache.states()["CronJob"].message == NOT_SERVED_MESSAGE
            assert cache.api_version("CronJob") is None
        assert not any("cronjobs" in r for r in server.requests)
