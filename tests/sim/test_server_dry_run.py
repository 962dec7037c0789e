"""Server-side dry run on the embedded cluster: `kubectl ... --dry-run=server` (`?dryRun=All`,
or `"dryRun": ["All"]` in a DELETE's DeleteOptions) is checked and answered like the real write,
and nothing happens: no object changes, no resourceVersion is used up, no watch event is sent,
so no controller reacts. An unknown dryRun value is kube-apiserver's 422 Invalid.

kubectl's output is compared with what it prints against a real API server (its own
"(server dry run)" suffix on the operation it would have done), and the objects the dry runs
answer with with what kube-apiserver answers: the object as it would be stored, keeping the
stored resourceVersion (a created one has none), with generation, uid and defaults filled in.

One cluster (controllers, scheduler, node agent) serves the module; each test has a namespace
of its own that is quiet (every workload rolled out, every pod ready) before it starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from rollout_support import Workbench, change_image, manifest, poll

from ktui.cluster.connection import Connection, connect
from ktui.cluster.pods import delete_pod
from ktui.cluster.rollout import execute_undo, fetch_workload, pause, plan_undo, restart, resume
from ktui.cluster.rollout import scale as ktui_scale
from ktui.settings import Settings
from ktui.sim import resources as res
from ktui.sim import server as sim_server
from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import Timings
from ktui.sim.store import Store, StoreError

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(nodes=2, timings=Timings(scale=0.05)) as embedded:
        yield embedded


@pytest.fixture(scope="module")
def cluster_kubeconfig(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    return cluster.write_kubeconfig(str(tmp_path_factory.mktemp("dry-run") / "kubeconfig"))


@pytest.fixture(scope="module")
def connection(cluster_kubeconfig: str) -> Iterator[Connection]:
    """ktui's own connection, built from the kubeconfig as the app builds it (HTTPS)."""
    conn = connect(Settings(kubeconfig=cluster_kubeconfig))
    yield conn
    conn.close()


_NAMESPACE_NUMBERS = itertools.count(1)


@pytest.fixture
def bench(
    request: pytest.FixtureRequest, cluster_kubeconfig: str, connection: Connection
) -> Workbench:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))
    name = f"d{next(_NAMESPACE_NUMBERS)}-{slug.strip('-')}"[:50].strip("-")
    workbench = Workbench(cluster_kubeconfig, connection.api_client, name)
    workbench.kubectl("create", "namespace", name)
    return workbench


# ---- helpers ---------------------------------------------------------------------------------


def namespace_objects(store: Store, namespace: str) -> dict[tuple[str, str, str], Obj]:
    """Every stored object in the namespace (and the namespace itself), by (group, resource,
    name), resourceVersions included."""
    found = {("", "namespaces", namespace): store.get("", "namespaces", None, namespace)}
    for info in res.RESOURCE_LIST:
        if not info.namespaced:
            continue
        items, _ = store.list(info.group, info.resource, namespace)
        for obj in items:
            found[(info.group, info.resource, obj["metadata"]["name"])] = obj
    return found


@contextlib.contextmanager
def nothing_happens(cluster: EmbeddedCluster, namespace: str) -> Iterator[None]:
    """Asserts that the block changes nothing in the namespace: the same objects with the same
    resourceVersions, and no watch event at all. A write is committed, and its event queued,
    before the server answers it, so whatever a dry run wrongly kept is seen here at once."""
    store = cluster.store
    since = store.resource_version
    before = namespace_objects(store, namespace)
    with store.watch(namespace=namespace, resource_version=since) as watch:
        yield
        events = []
        while (event := watch.get(timeout=0)) is not None:
            events.append((event.type, event.object["kind"], event.object["metadata"]["name"]))
    assert events == []
    assert namespace_objects(store, namespace) == before


def settle_pod(bench: Workbench, name: str) -> Obj:
    def ready() -> Obj | None:
        pod = bench.kubectl("get", "pod", name, "-o", "json").stdout
        obj: Obj = json.loads(pod)
        conditions = (obj.get("status") or {}).get("conditions") or ()
        is_ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        return obj if is_ready else None

    result: Obj = poll(ready, f"pod {bench.ns}/{name} ready")
    return result


def deployment_with_history(bench: Workbench, name: str, revisions: int = 3) -> Obj:
    """A Deployment whose controller rolled out images img:v1 .. img:vN (revisions 1 .. N)."""
    bench.create(manifest("Deployment", name, replicas=2))
    for revision in range(2, revisions + 1):
        bench.settled("Deployment", name)
        change_image(bench, "Deployment", name, f"img:v{revision}", None)
    return bench.settled("Deployment", name)


def raw_request(
    cluster: EmbeddedCluster,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
) -> tuple[int, Obj]:
    """One request on the plain-HTTP listener: (status code, decoded answer)."""
    connection = http.client.HTTPConnection("127.0.0.1", cluster.server.port, timeout=30)
    headers = {"Authorization": f"Bearer {cluster.server.token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def dry_run_invalid(kind: str, shown: str) -> Obj:
    """kube-apiserver's answer to an unknown dryRun value (ValidateDryRun's NotSupported)."""
    cause = f'Unsupported value: {shown}: supported values: "All"'
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'{kind}.meta.k8s.io "" is invalid: dryRun: {cause}',
        "reason": "Invalid",
        "details": {
            "group": "meta.k8s.io",
            "kind": kind,
            "causes": [{"reason": "FieldValueNotSupported", "message": cause, "field": "dryRun"}],
        },
        "code": 422,
    }


# ---- what the QA pass found --------------------------------------------------------------------


def test_rollout_undo_dry_run_makes_no_new_revision(
    cluster: EmbeddedCluster, bench: Workbench
) -> None:
    deployment_with_history(bench, "web")
    history = bench.history("Deployment", "web")
    assert [line.split()[0] for line in history.splitlines()[2:] if line] == ["1", "2", "3"]
    with nothing_happens(cluster, bench.ns):
        result = bench.kubectl(
            "rollout", "undo", "deployment/web", "--to-revision=1", "--dry-run=server"
        )
    assert (result.stdout, result.stderr) == (
        "deployment.apps/web rolled back (server dry run)\n",
        "",
    )
    assert bench.history("Deployment", "web") == history
    containers = bench.get("Deployment", "web")["spec"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == "img:v3"


def test_scale_and_set_image_dry_runs_change_nothing(
    cluster: EmbeddedCluster, bench: Workbench
) -> None:
    stored = deployment_with_history(bench, "api", revisions=1)
    with nothing_happens(cluster, bench.ns):
        # The merge patch of the scale subresource, then (with a precondition) its GET + PUT.
        scaled = bench.kubectl("scale", "deployment/api", "--replicas=5", "--dry-run=server")
        preconditioned = bench.kubectl(
            "scale", "deployment/api", "--current-replicas=2", "--replicas=5", "--dry-run=server"
        )
        set_image = bench.kubectl("set", "image", "deployment/api", "c=img:v9", "--dry-run=server")
        printed = bench.kubectl(
            "set", "image", "deployment/api", "c=img:v9", "--dry-run=server", "-o", "json"
        )
    assert scaled.stdout == "deployment.apps/api scaled (server dry run)\n"
    assert preconditioned.stdout == "deployment.apps/api scaled (server dry run)\n"
    assert set_image.stdout == "deployment.apps/api image updated (server dry run)\n"
    # The object as the update would have stored it: the new image and the next generation,
    # under the resourceVersion it has now (kube-apiserver assigns none in a dry run).
    would_be = json.loads(printed.stdout)
    meta, stored_meta = would_be["metadata"], stored["metadata"]
    assert would_be["spec"]["template"]["spec"]["containers"][0]["image"] == "img:v9"
    assert meta["generation"] == stored_meta["generation"] + 1
    assert meta["resourceVersion"] == stored_meta["resourceVersion"]
    assert meta["uid"] == stored_meta["uid"]
    assert would_be["status"] == stored["status"]
    assert bench.get("Deployment", "api") == stored


def test_delete_dry_runs_keep_every_object(cluster: EmbeddedCluster, bench: Workbench) -> None:
    bench.kubectl("run", "debug-shell", "--image=busybox")
    pod = settle_pod(bench, "debug-shell")
    deployment_with_history(bench, "api", revisions=1)
    pod_names = sorted(p["metadata"]["name"] for p in cluster.store.list("", "pods", bench.ns)[0])
    with nothing_happens(cluster, bench.ns):
        deleted_pod = bench.kubectl("delete", "pod", "debug-shell", "--dry-run=server")
        deleted_deployment = bench.kubectl("delete", "deployment", "api", "--dry-run=server")
        deleted_all = bench.kubectl("delete", "pods", "--all", "--dry-run=server")
        deleted_namespace = bench.kubectl(
            "delete", "namespace", bench.ns, "--dry-run=server", "--wait=false"
        )
        # The request kubectl sends for the pod, to read the answer: the pod as the graceful
        # deletion would leave it, with its grace period, under its stored resourceVersion.
        code, answer = raw_request(
            cluster,
            "DELETE",
            f"/api/v1/namespaces/{bench.ns}/pods/debug-shell",
            {"propagationPolicy": "Background", "dryRun": ["All"]},
        )
        # deletecollection, the dryRun in the query
        collection_code, collection = raw_request(
            cluster, "DELETE", f"/api/v1/namespaces/{bench.ns}/pods?dryRun=All"
        )
    assert deleted_pod.stdout == 'pod "debug-shell" deleted (server dry run)\n'
    assert deleted_deployment.stdout == 'deployment.apps "api" deleted (server dry run)\n'
    assert len(pod_names) == 3
    assert deleted_all.stdout.splitlines() == [
        f'pod "{name}" deleted (server dry run)' for name in pod_names
    ]
    assert deleted_namespace.stdout == f'namespace "{bench.ns}" deleted (server dry run)\n'
    assert code == 200
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 30
    assert answer["metadata"]["deletionTimestamp"]
    assert answer["metadata"]["resourceVersion"] == pod["metadata"]["resourceVersion"]
    assert collection_code == 200
    assert sorted(item["metadata"]["name"] for item in collection["items"]) == pod_names
    assert json.loads(bench.kubectl("get", "namespace", bench.ns, "-o", "json").stdout)[
        "status"
    ] == {"phase": "Active"}


def test_create_replace_and_status_dry_runs_store_nothing(
    cluster: EmbeddedCluster, bench: Workbench
) -> None:
    stored = deployment_with_history(bench, "api", revisions=1)
    bench.create(unscheduled_pod("waiting"))
    generated = manifest("Deployment", "ignored", replicas=1)
    del generated["metadata"]["name"]
    generated["metadata"]["generateName"] = "batch-"
    replaced = json.loads(bench.kubectl("get", "deployment", "api", "-o", "json").stdout)
    replaced["spec"]["replicas"] = 7
    with nothing_happens(cluster, bench.ns):
        created = bench.kubectl(
            "create", "-f", "-", "--dry-run=server", "-o", "json", input=json.dumps(generated)
        )
        replace = bench.kubectl(
            "replace", "-f", "-", "--dry-run=server", "-o", "json", input=json.dumps(replaced)
        )
        status = bench.kubectl(
            "patch",
            "deployment/api",
            "--subresource=status",
            "--type=merge",
            "-p",
            '{"status":{"replicas":9}}',
            "--dry-run=server",
            "-o",
            "json",
        )
        bind_code, bound = raw_request(
            cluster,
            "POST",
            f"/api/v1/namespaces/{bench.ns}/pods/waiting/binding?dryRun=All",
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": "waiting"},
                "target": {"kind": "Node", "name": cluster.node_names[0]},
            },
        )
    # A created object: a name made from generateName, a uid, generation 1, the defaults, and
    # no resourceVersion (nothing was stored).
    new = json.loads(created.stdout)
    assert new["metadata"]["name"].startswith("batch-") and len(new["metadata"]["name"]) == 11
    assert new["metadata"]["uid"] and new["metadata"]["creationTimestamp"]
    assert new["metadata"]["generation"] == 1
    assert "resourceVersion" not in new["metadata"]
    assert new["spec"]["revisionHistoryLimit"] == 10
    assert bench.kubectl("get", "deployments", "-o", "name").stdout == "deployment.apps/api\n"
    # An update: the new spec and generation, the stored resourceVersion.
    update = json.loads(replace.stdout)
    assert update["spec"]["replicas"] == 7
    assert update["metadata"]["generation"] == stored["metadata"]["generation"] + 1
    assert update["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    # A status write: the new status, the same generation.
    status_write = json.loads(status.stdout)
    assert status_write["status"]["replicas"] == 9
    assert status_write["metadata"]["generation"] == stored["metadata"]["generation"]
    assert status_write["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert (bind_code, bound["status"]) == (201, "Success")
    assert (
        "nodeName"
        not in json.loads(bench.kubectl("get", "pod/waiting", "-o", "json").stdout)["spec"]
    )


def test_dry_run_still_refuses_what_the_write_would_refuse(
    cluster: EmbeddedCluster, bench: Workbench
) -> None:
    deployment_with_history(bench, "api", revisions=1)
    with nothing_happens(cluster, bench.ns):
        taken = bench.kubectl(
            "create", "deployment", "api", "--image=img:v1", "--dry-run=server", check=False
        )
        negative = bench.kubectl(
            "patch",
            "deployment/api",
            "--subresource=scale",
            "--type=merge",
            "-p",
            '{"spec":{"replicas":-1}}',
            "--dry-run=server",
            check=False,
        )
        missing = bench.kubectl("delete", "pod", "nothing", "--dry-run=server", check=False)
    assert (taken.returncode, taken.stderr) == (
        1,
        'error: failed to create deployment: deployments.apps "api" already exists\n',
    )
    assert (negative.returncode, negative.stderr) == (
        1,
        'The Scale "api" is invalid: spec.replicas: Invalid value: -1: must be greater than or'
        " equal to 0\n",
    )
    assert (missing.returncode, missing.stderr) == (
        1,
        'Error from server (NotFound): pods "nothing" not found\n',
    )


# ---- the dryRun parameter itself ---------------------------------------------------------------


def test_unknown_dry_run_values_are_invalid_for_every_write(
    cluster: EmbeddedCluster, bench: Workbench
) -> None:
    stored = deployment_with_history(bench, "api", revisions=1)
    path = f"/apis/apps/v1/namespaces/{bench.ns}/deployments"
    changed = dict(stored, spec=dict(stored["spec"], replicas=4))
    with nothing_happens(cluster, bench.ns):
        answers = [
            raw_request(cluster, "POST", f"{path}?dryRun=client", manifest("Deployment", "new")),
            raw_request(cluster, "PUT", f"{path}/api?dryRun=true", changed),
            raw_request(
                cluster,
                "PATCH",
                f"{path}/api/scale?dryRun=All&dryRun=server",
                {"spec": {"replicas": 4}},
                "application/merge-patch+json",
            ),
            raw_request(cluster, "DELETE", f"{path}/api?dryRun="),
            raw_request(cluster, "DELETE", f"{path}/api", {"dryRun": ['say "when"']}),
            # Checked before the object is looked up.
            raw_request(cluster, "DELETE", f"{path}/nothing?dryRun=all"),
        ]
    assert answers == [
        (422, dry_run_invalid("CreateOptions", '[]string{"client"}')),
        (422, dry_run_invalid("UpdateOptions", '[]string{"true"}')),
        (422, dry_run_invalid("PatchOptions", '[]string{"All", "server"}')),
        (422, dry_run_invalid("DeleteOptions", '[]string{""}')),
        (422, dry_run_invalid("DeleteOptions", '[]string{"say \\"when\\""}')),
        (422, dry_run_invalid("DeleteOptions", '[]string{"all"}')),
    ]


def unscheduled_pod(name: str) -> Obj:
    """A pod no scheduler binds (a pending pod is deleted at once, without a grace period)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "schedulerName": "other-scheduler",
            "containers": [{"name": "c", "image": "busybox"}],
        },
    }


def test_a_delete_with_options_in_its_body_ignores_the_query(
    cluster: EmbeddedCluster, bench: Workbench
) -> None:
    """kube-apiserver reads a DELETE's DeleteOptions from its body when it has one, and only
    otherwise from the query: a dryRun in the query next to a body does not make a dry run."""
    bench.create(unscheduled_pod("a"))
    bench.create(unscheduled_pod("b"))
    path = f"/api/v1/namespaces/{bench.ns}/pods"
    with nothing_happens(cluster, bench.ns):
        assert raw_request(cluster, "DELETE", f"{path}/a?dryRun=All")[0] == 200
    options = {"kind": "DeleteOptions", "apiVersion": "v1"}
    assert raw_request(cluster, "DELETE", f"{path}/a?dryRun=All", options)[0] == 200
    assert bench.kubectl("get", "pods", "-o", "name").stdout == "pod/b\n"


def test_ktui_writes_never_ask_for_a_dry_run(
    cluster: EmbeddedCluster,
    bench: Workbench,
    connection: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every write ktui makes (rollout restart / pause / resume / scale / undo, pod delete)
    reaches the server without dryRun, in the query or the body, and takes effect."""
    deployment_with_history(bench, "web", revisions=2)
    bench.kubectl("run", "debug-shell", "--image=busybox")
    settle_pod(bench, "debug-shell")
    writes: list[tuple[str, dict[str, list[str]], bytes]] = []
    serve_write = sim_server._Handler._serve_write

    def recording(handler: Any, method: str, route: Any, query: dict[str, list[str]]) -> None:
        writes.append((method, parse_qs(urlsplit(handler.path).query), handler._read_body()))
        serve_write(handler, method, route, query)

    monkeypatch.setattr(sim_server._Handler, "_serve_write", recording)
    api = connection.api_client
    ns = bench.ns

    def stored() -> Obj:
        return cluster.store.get("apps", "deployments", ns, "web")

    def template_annotations() -> dict[str, str]:
        annotations: dict[str, str] = stored()["spec"]["template"]["metadata"].get(
            "annotations", {}
        )
        return annotations

    restart(api, "Deployment", ns, "web", dt.datetime.now(dt.UTC))
    assert "kubectl.kubernetes.io/restartedAt" in template_annotations()
    pause(api, "Deployment", ns, "web")
    assert stored()["spec"]["paused"] is True
    resume(api, "Deployment", ns, "web")
    assert not stored()["spec"].get("paused")
    ktui_scale(api, "Deployment", ns, "web", 3)
    assert stored()["spec"]["replicas"] == 3
    settled = bench.settled("Deployment", "web")
    ktui_scale(api, "Deployment", ns, "web", 2, settled["metadata"]["resourceVersion"])
    assert stored()["spec"]["replicas"] == 2
    bench.settled("Deployment", "web")
    plan = plan_undo("Deployment", *fetch_workload(api, "Deployment", ns, "web"))
    assert execute_undo(api, plan) == "deployment.apps/web rolled back"
    assert "kubectl.kubernetes.io/restartedAt" not in template_annotations()
    assert delete_pod(api, ns, "debug-shell") == 'pod "debug-shell" deleted'
    # A bound pod is deleted gracefully: marked at once, gone when the kubelet is done.
    with contextlib.suppress(StoreError):
        pod = cluster.store.get("", "pods", ns, "debug-shell")
        assert pod["metadata"]["deletionTimestamp"]
    assert [method for method, *_ in writes] == [
        "PATCH", "PATCH", "PATCH", "PATCH", "PUT", "PATCH", "DELETE",
    ]  # fmt: skip
    for _method, query, body in writes:
        assert "dryRun" not in query
        assert b"dryRun" not in body


# ---- the store's dry run -----------------------------------------------------------------------


def test_store_dry_run_restores_every_index() -> None:
    """A dry-run foreground deletion (which marks the owner, collects its dependents and
    removes it) and a dry-run create leave the store exactly as it was: the same objects and
    resourceVersion, no event, and the owner / dependent indexes intact, so that the real
    deletion afterwards still collects the dependent."""
    store = Store()
    deployment = manifest("Deployment", "web")
    deployment["metadata"]["namespace"] = "default"
    owner = store.create("apps", "deployments", deployment)
    reference = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    dependent = {
        "metadata": {"name": "p", "namespace": "default", "ownerReferences": [reference]},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    store.create("", "pods", dependent)
    version = store.resource_version
    before = namespace_objects(store, "default")
    with store.watch(resource_version=version) as watch:
        with store.dry_run():
            gone = store.delete(
                "apps", "deployments", "default", "web", propagation_policy="Foreground"
            )
            made = store.create(
                "", "pods", dict(dependent, metadata={"generateName": "p-", "namespace": "default"})
            )
            # Inside, the dry run sees its own writes.
            with pytest.raises(StoreError):
                store.get("", "pods", "default", "p")
        assert watch.get(timeout=0) is None
    assert gone["metadata"]["resourceVersion"] == owner["metadata"]["resourceVersion"]
    assert made["metadata"]["name"].startswith("p-") and "resourceVersion" not in made["metadata"]
    assert store.resource_version == version
    assert namespace_objects(store, "default") == before
    store.delete("apps", "deployments", "default", "web")
    with pytest.raises(StoreError):
        store.get("", "pods", "default", "p")
