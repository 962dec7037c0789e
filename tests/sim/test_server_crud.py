"""Create / read / update / list through the real `kubernetes` client, with the apiserver's
status codes, messages, subresources, selectors, pagination and Table output."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from ktui.sim.server import SimServer


@pytest.fixture
def api(sim: SimServer) -> Iterator[client.ApiClient]:
    api_client = sim.api_client()
    yield api_client
    api_client.close()


def deployment(name: str = "web", replicas: int = 2, image: str = "nginx:1.25") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def pod(name: str, labels: dict[str, str] | None = None, node: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def status_of(error: ApiException) -> dict[str, Any]:
    return json.loads(error.body)


def raw_request(
    sim: SimServer,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """A request the typed client would refuse to send (it validates bodies itself)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sim.url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {sim.token}")
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_create_assigns_metadata_and_defaults(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment("default", deployment())
    meta = created.metadata
    assert meta.uid and meta.resource_version.isdigit() and meta.generation == 1
    assert meta.creation_timestamp is not None
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    assert created.spec.revision_history_limit == 10
    container = created.spec.template.spec.containers[0]
    assert container.image_pull_policy == "IfNotPresent"
    assert created.spec.template.spec.restart_policy == "Always"

    core = client.CoreV1Api(api)
    first = core.create_namespaced_pod("default", pod("a"))
    assert first.status.phase == "Pending" and first.status.qos_class == "BestEffort"
    assert int(first.metadata.resource_version) > int(meta.resource_version)
    generated = core.create_namespaced_pod(
        "default", {"metadata": {"generateName": "web-"}, "spec": pod("x")["spec"]}
    )
    assert generated.metadata.name.startswith("web-") and len(generated.metadata.name) == 9


def test_not_found_already_exists_and_invalid(api: client.ApiClient, sim: SimServer) -> None:
    apps = client.AppsV1Api(api)
    with pytest.raises(ApiException) as missing:
        apps.read_namespaced_deployment("nope", "default")
    assert missing.value.status == 404
    status = status_of(missing.value)
    assert status["message"] == 'deployments.apps "nope" not found'
    assert status["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}

    apps.create_namespaced_deployment("default", deployment())
    with pytest.raises(ApiException) as exists:
        apps.create_namespaced_deployment("default", deployment())
    assert exists.value.status == 409
    assert status_of(exists.value)["reason"] == "AlreadyExists"
    assert status_of(exists.value)["message"] == 'deployments.apps "web" already exists'

    nameless = deployment()
    del nameless["metadata"]["name"]
    with pytest.raises(ApiException) as invalid:
        apps.create_namespaced_deployment("default", nameless)
    assert invalid.value.status == 422
    assert status_of(invalid.value)["reason"] == "Invalid"
    assert "name or generateName is required" in status_of(invalid.value)["message"]

    unselected = deployment("other")
    del unselected["spec"]["selector"]
    code, no_selector = raw_request(
        sim, "POST", "/apis/apps/v1/namespaces/default/deployments", unselected
    )
    assert code == 422
    assert no_selector["message"] == (
        'Deployment.apps "other" is invalid: spec.selector: Required value'
    )

    with pytest.raises(ApiException) as no_namespace:
        client.CoreV1Api(api).create_namespaced_pod("ghost", pod("a"))
    assert no_namespace.value.status == 404
    assert status_of(no_namespace.value)["message"] == 'namespaces "ghost" not found'


def test_stale_update_conflicts(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment("default", deployment())
    fresh = apps.read_namespaced_deployment("web", "default")
    fresh.spec.replicas = 5
    updated = apps.replace_namespaced_deployment("web", "default", fresh)
    assert updated.spec.replicas == 5 and updated.metadata.generation == 2

    created.spec.replicas = 7  # still carries the first resourceVersion
    with pytest.raises(ApiException) as stale:
        apps.replace_namespaced_deployment("web", "default", created)
    assert stale.value.status == 409
    status = status_of(stale.value)
    assert status["reason"] == "Conflict"
    assert status["message"] == (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified;'
        " please apply your changes to the latest version and try again"
    )
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 5


def test_main_update_ignores_status_and_status_subresource_ignores_spec(
    api: client.ApiClient,
) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    current = apps.read_namespaced_deployment("web", "default")
    body = api.sanitize_for_serialization(current)
    body["status"] = {"replicas": 9, "readyReplicas": 9}
    body["metadata"]["labels"]["tier"] = "front"
    updated = apps.replace_namespaced_deployment("web", "default", body)
    assert updated.status.replicas is None
    assert updated.metadata.labels["tier"] == "front"
    assert updated.metadata.generation == 1  # labels are not spec

    body = api.sanitize_for_serialization(updated)
    body["status"] = {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1}
    body["spec"]["replicas"] = 40
    written = apps.replace_namespaced_deployment_status("web", "default", body)
    assert written.status.ready_replicas == 1 and written.status.observed_generation == 1
    assert written.spec.replicas == 2
    assert written.metadata.generation == 1


def test_scale_subresource(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment())
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.kind == "Scale" and scale.api_version == "autoscaling/v1"
    assert scale.spec.replicas == 2 and scale.status.selector == "app=web"

    scale.spec.replicas = 6
    written = apps.replace_namespaced_deployment_scale("web", "default", scale)
    assert written.spec.replicas == 6
    after = apps.read_namespaced_deployment("web", "default")
    assert after.spec.replicas == 6 and after.metadata.generation == 2

    scale.spec.replicas = 1  # stale resourceVersion now
    with pytest.raises(ApiException) as stale:
        apps.replace_namespaced_deployment_scale("web", "default", scale)
    assert stale.value.status == 409

    patched = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 3}})
    assert patched.spec.replicas == 3
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 3


def test_label_and_field_selectors(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "other"}})
    core.create_namespaced_pod("default", pod("a", {"app": "web", "tier": "fe"}, node="n1"))
    core.create_namespaced_pod("default", pod("b", {"app": "web", "tier": "be"}, node="n2"))
    core.create_namespaced_pod("default", pod("c", {"app": "db"}))
    core.create_namespaced_pod("other", pod("d", {"app": "web", "canary": "yes"}, node="n1"))

    def names(**kwargs: Any) -> list[str]:
        items = core.list_pod_for_all_namespaces(**kwargs).items
        return sorted(p.metadata.name for p in items)

    assert names(label_selector="app=web") == ["a", "b", "d"]
    assert names(label_selector="app==web,tier!=fe") == ["b", "d"]
    assert names(label_selector="tier in (fe, be)") == ["a", "b"]
    assert names(label_selector="app notin (db),!canary") == ["a", "b"]
    assert names(label_selector="canary") == ["d"]
    assert names(field_selector="spec.nodeName=n1") == ["a", "d"]
    assert names(field_selector="spec.nodeName==n1,metadata.namespace!=other") == ["a"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="spec.nodeName=") == ["c"]
    assert names(field_selector="status.phase=Pending", label_selector="app=db") == ["c"]
    namespaced = core.list_namespaced_pod("other").items
    assert [p.metadata.name for p in namespaced] == ["d"]

    with pytest.raises(ApiException) as bad_field:
        core.list_namespaced_pod("default", field_selector="spec.bogus=1")
    assert bad_field.value.status == 400
    assert status_of(bad_field.value)["message"] == "field label not supported: spec.bogus"
    with pytest.raises(ApiException) as bad_label:
        core.list_namespaced_pod("default", label_selector="app in (")
    assert bad_label.value.status == 400


def test_pagination_with_limit_and_continue(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    for i in range(7):
        core.create_namespaced_pod("default", pod(f"p{i}"))
    seen: list[str] = []
    first = core.list_namespaced_pod("default", limit=3)
    assert len(first.items) == 3 and first.metadata.remaining_item_count == 4
    list_rv = first.metadata.resource_version
    token = first.metadata._continue
    seen += [p.metadata.name for p in first.items]
    # The continuation serves the snapshot of the first page's version, like etcd does.
    core.create_namespaced_pod("default", pod("p99"))
    core.delete_namespaced_pod("p6", "default")
    while token:
        page = core.list_namespaced_pod("default", limit=3, _continue=token)
        assert page.metadata.resource_version == list_rv
        seen += [p.metadata.name for p in page.items]
        token = page.metadata._continue
    assert seen == [f"p{i}" for i in range(7)]
    fresh = core.list_namespaced_pod("default", limit=100)
    assert [p.metadata.name for p in fresh.items] == [f"p{i}" for i in range(6)] + ["p99"]
    assert fresh.metadata._continue is None

    with pytest.raises(ApiException) as bad:
        core.list_namespaced_pod("default", limit=3, _continue="not-a-token")
    assert bad.value.status == 400


def test_continue_token_expires_after_compaction(api: client.ApiClient, sim: SimServer) -> None:
    core = client.CoreV1Api(api)
    for i in range(4):
        core.create_namespaced_pod("default", pod(f"p{i}"))
    token = core.list_namespaced_pod("default", limit=2).metadata._continue
    core.create_namespaced_pod("default", pod("later"))
    sim.store.compact()
    with pytest.raises(ApiException) as gone:
        core.list_namespaced_pod("default", limit=2, _continue=token)
    assert gone.value.status == 410
    assert status_of(gone.value)["reason"] == "Expired"


def test_list_resource_version_tracks_writes(api: client.ApiClient, sim: SimServer) -> None:
    core = client.CoreV1Api(api)
    before = int(core.list_namespaced_pod("default").metadata.resource_version)
    created = core.create_namespaced_pod("default", pod("a"))
    after = core.list_namespaced_pod("default").metadata.resource_version
    assert int(after) > before
    assert after == created.metadata.resource_version == sim.store.resource_version


def test_table_output_for_kubectl(api: client.ApiClient, sim: SimServer) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod("default", pod("a", node="n1"))
    request = urllib.request.Request(sim.url + "/api/v1/namespaces/default/pods")
    request.add_header("Authorization", f"Bearer {sim.token}")
    request.add_header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/json;as=Table")
        table = json.loads(response.read())
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0]
    assert columns == ["Name", "Ready", "Status", "Restarts", "Age"]
    (row,) = table["rows"]
    assert row["cells"][:4] == ["a", "0/1", "Pending", "0"]
    assert row["cells"][6] == "n1"
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["name"] == "a"


def test_update_of_a_missing_object_is_not_found(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as missing:
        client.CoreV1Api(api).replace_namespaced_pod("ghost", "default", pod("ghost"))
    assert missing.value.status == 404
    assert status_of(missing.value)["message"] == 'pods "ghost" not found'


def test_namespace_mismatch_is_a_bad_request(api: client.ApiClient) -> None:
    body = pod("a")
    body["metadata"]["namespace"] = "kube-system"
    with pytest.raises(ApiException) as mismatch:
        client.CoreV1Api(api).create_namespaced_pod("default", body)
    assert mismatch.value.status == 400


def test_pod_binding_sets_the_node_once(api: client.ApiClient, sim: SimServer) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod("default", pod("a"))
    binding = {"metadata": {"name": "a"}, "target": {"kind": "Node", "name": "n1"}}
    # Like the real apiserver, the answer is a Status, which the typed client cannot parse.
    response = core.create_namespaced_pod_binding("a", "default", binding, _preload_content=False)
    assert json.loads(response.data)["status"] == "Success"
    bound = core.read_namespaced_pod("a", "default")
    assert bound.spec.node_name == "n1"
    assert [c.type for c in bound.status.conditions] == ["PodScheduled"]
    with pytest.raises(ApiException) as again:
        core.create_namespaced_pod_binding("a", "default", binding, _preload_content=False)
    assert again.value.status == 409


def test_method_not_allowed(sim: SimServer) -> None:
    code, status = raw_request(sim, "POST", "/api/v1/namespaces/default/pods/a", pod("a"))
    assert (code, status["reason"]) == (405, "MethodNotAllowed")


def test_ten_thousand_pods_list_completely(api: client.ApiClient, sim: SimServer) -> None:
    for i in range(10_000):
        sim.store.create(
            "",
            "pods",
            {
                "metadata": {"name": f"p-{i:05d}", "namespace": "default"},
                "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            },
        )
    response = client.CoreV1Api(api).list_namespaced_pod("default", _preload_content=False)
    items = json.loads(response.data)["items"]
    assert len(items) == 10_000
    assert items[0]["metadata"]["name"] == "p-00000" and items[-1]["metadata"]["name"] == "p-09999"


def test_an_error_before_the_body_is_read_keeps_the_connection_usable(sim: SimServer) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    headers = {"Authorization": f"Bearer {sim.token}", "Content-Type": "application/json"}
    try:
        connection.request(
            "POST", "/api/v1/namespaces/default/pods/a", json.dumps(pod("a")), headers
        )
        first = connection.getresponse()
        assert first.status == 405
        first.read()
        connection.request("GET", "/api/v1/namespaces/default", headers=headers)
        second = connection.getresponse()
        assert second.status == 200
        assert json.loads(second.read())["metadata"]["name"] == "default"
    finally:
        connection.close()
