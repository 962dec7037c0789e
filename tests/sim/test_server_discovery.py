"""Discovery, auth and the TLS listener of the embedded apiserver, as clients see them."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from kubernetes import client

from ktui.sim.server import SimServer


def http_get(
    sim: SimServer, path: str, token: str | None = "default", accept: str | None = None
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(sim.url + path)
    if token is not None:
        request.add_header("Authorization", f"Bearer {sim.token if token == 'default' else token}")
    if accept:
        request.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_version_and_core_group(sim: SimServer) -> None:
    code, _, version = http_get(sim, "/version")
    assert code == 200
    assert version["gitVersion"] == "v1.30.0-ktui-sim"
    assert (version["major"], version["minor"]) == ("1", "30")

    code, _, api = http_get(sim, "/api")
    assert (code, api["kind"], api["versions"]) == (200, "APIVersions", ["v1"])

    code, _, core = http_get(sim, "/api/v1")
    by_name = {r["name"]: r for r in core["resources"]}
    assert core["kind"] == "APIResourceList" and core["groupVersion"] == "v1"
    assert by_name["pods"]["kind"] == "Pod" and by_name["pods"]["namespaced"] is True
    assert by_name["pods"]["shortNames"] == ["po"]
    assert "watch" in by_name["pods"]["verbs"] and "patch" in by_name["pods"]["verbs"]
    assert by_name["namespaces"]["namespaced"] is False
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]


def test_apps_and_batch_groups(sim: SimServer) -> None:
    _, _, groups = http_get(sim, "/apis")
    assert groups["kind"] == "APIGroupList"
    names = {g["name"]: g for g in groups["groups"]}
    assert set(names) == {"apps", "batch"}
    assert names["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}

    _, _, apps = http_get(sim, "/apis/apps/v1")
    by_name = {r["name"]: r for r in apps["resources"]}
    assert by_name["deployments"]["shortNames"] == ["deploy"]
    scale = by_name["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert "controllerrevisions" in by_name
    assert "daemonsets/scale" not in by_name

    _, _, batch = http_get(sim, "/apis/batch/v1")
    assert {"jobs", "jobs/status", "cronjobs", "cronjobs/status"} <= {
        r["name"] for r in batch["resources"]
    }


def test_aggregated_discovery_request_gets_the_legacy_document(sim: SimServer) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    code, headers, body = http_get(sim, "/apis", accept=accept)
    assert code == 200
    assert headers["Content-Type"] == "application/json"
    assert body["kind"] == "APIGroupList"


def test_requests_without_the_token_are_unauthorized(sim: SimServer) -> None:
    for token in (None, "wrong"):
        code, _, status = http_get(sim, "/api/v1/namespaces", token=token)
        assert code == 401
        assert status["kind"] == "Status" and status["reason"] == "Unauthorized"
    code, _, _ = http_get(sim, "/api/v1/namespaces")
    assert code == 200


def test_unknown_paths_are_not_found(sim: SimServer) -> None:
    code, _, status = http_get(sim, "/apis/networking.k8s.io/v1/ingresses")
    assert code == 404 and status["reason"] == "NotFound"
    code, _, _ = http_get(sim, "/api/v1/namespaces/default/widgets")
    assert code == 404


def test_python_client_over_the_api_client(sim: SimServer) -> None:
    api = sim.api_client()
    try:
        names = {ns.metadata.name for ns in client.CoreV1Api(api).list_namespace().items}
        assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
        assert client.VersionApi(api).get_code().git_version == "v1.30.0-ktui-sim"
    finally:
        api.close()


def test_tls_listener_presents_the_kubeconfig_certificate(sim: SimServer, tmp_path: Any) -> None:
    assert sim.https_url is not None and sim.ca_data is not None
    context = ssl.create_default_context(cadata=sim.ca_data.decode())
    request = urllib.request.Request(sim.https_url + "/api/v1/namespaces/default")
    request.add_header("Authorization", f"Bearer {sim.token}")
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert json.loads(response.read())["metadata"]["name"] == "default"


def test_kubectl_api_resources(kubectl: Any) -> None:
    out = kubectl("api-resources", "--no-headers").stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert {
        "pods",
        "namespaces",
        "nodes",
        "events",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "controllerrevisions",
        "jobs",
        "cronjobs",
    } <= set(rows)
    assert rows["deployments"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert rows["nodes"][1:] == ["no", "v1", "false", "Node"]
    version = kubectl("version", "-o", "json").stdout
    assert json.loads(version)["serverVersion"]["gitVersion"] == "v1.30.0-ktui-sim"
