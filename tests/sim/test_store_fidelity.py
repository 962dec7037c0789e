"""The embedded cluster's store against the v1.20.2 kube-apiserver sources, where they differed:

- status-subresource writes (PUT and PATCH) follow the status strategies' PrepareForUpdate: all
  but the spec comes from the request, metadata included (a Deployment keeps its labels and its
  rollback-to annotation, a Pod its owner references), and never bump `metadata.generation`;
  so the Deployment controller's revision annotation costs no generation (create / set image /
  annotate / undo -> generations 1, 2, 3, 4 as on a real cluster);
- a DaemonSet's `deprecated.daemonset.template.generation` annotation (spec.templateGeneration
  inside the apiserver) starts at 1 and goes up with every template change; the DaemonSet
  controller labels its pods `pod-template-generation` with it;
- a ControllerRevision's `data` is kept as sent (nulls and key order) and served as Go encodes
  it, so `kubectl rollout undo --to-revision=<current>` of a StatefulSet / DaemonSet says
  "skipped rollback" as on a real cluster, and so does ktui's plan_undo;
- pod defaults (SetDefaults_PodSpec, _Container, _Probe, _Volume, ...) on pods and on the pod
  templates of every workload; pod-only ones (SetDefaults_Pod) on pods only.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import poll

from ktui.cluster.rollout import fetch_workload, plan_undo
from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import Timings
from ktui.sim.store import Store, StoreError

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")
NS = "default"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
REVISION = "deployment.kubernetes.io/revision"

Obj = dict[str, Any]


# --- manifests ------------------------------------------------------------------------------


def pod_spec(image: str = "nginx:1.19", **extra: Any) -> Obj:
    return {"containers": [{"name": "c", "image": image, **extra}]}


def template(app: str, image: str = "nginx:1.19", **container: Any) -> Obj:
    return {"metadata": {"labels": {"app": app}}, "spec": pod_spec(image, **container)}


def workload(kind: str, name: str, image: str = "nginx:1.19", **container: Any) -> Obj:
    """A minimal manifest of `kind` (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
    CronJob) whose pod template has one container."""
    api_version = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    obj: Obj = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
    }
    pod_template = template(name, image, **container)
    if kind == "CronJob":
        pod_template["spec"]["restartPolicy"] = "Never"
        obj["spec"] = {
            "schedule": "*/5 * * * *",
            "jobTemplate": {"spec": {"template": pod_template}},
        }
    elif kind == "Job":
        pod_template["spec"]["restartPolicy"] = "Never"
        obj["spec"] = {"template": pod_template}
    else:
        obj["spec"] = {"selector": {"matchLabels": {"app": name}}, "template": pod_template}
        if kind == "StatefulSet":
            obj["spec"]["serviceName"] = name
    return obj


def pod(name: str, spec: Obj, **meta: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, **meta},
        "spec": spec,
    }


def template_spec_of(obj: Obj) -> Obj:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod_template_spec: Obj = spec["template"]["spec"]
    return pod_template_spec


PLURAL = {
    "Deployment": ("apps", "deployments"),
    "ReplicaSet": ("apps", "replicasets"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}
WORKLOADS = tuple(PLURAL)


@pytest.fixture
def store() -> Store:
    return Store()


def create(store: Store, obj: Obj) -> Obj:
    group, resource = PLURAL.get(obj["kind"], ("", obj["kind"].lower() + "s"))
    return store.create(group, resource, obj)


# --- 1. status updates ----------------------------------------------------------------------


def test_deployment_status_update_keeps_the_requests_annotations_but_not_its_labels_or_spec(
    store: Store,
) -> None:
    created = create(store, workload("Deployment", "web"))
    request = json.loads(json.dumps(created))
    request["metadata"]["annotations"] = {REVISION: "1"}
    request["metadata"]["labels"] = {"app": "web", "extra": "label"}
    request["spec"]["replicas"] = 7
    request["status"] = {"observedGeneration": 1, "replicas": 0}

    written = store.update_status("apps", "deployments", request)

    assert written["metadata"]["annotations"] == {REVISION: "1"}
    assert written["metadata"]["labels"] == {"app": "web"}
    assert written["spec"] == created["spec"]
    assert written["status"] == {"observedGeneration": 1, "replicas": 0}
    assert written["metadata"]["generation"] == 1
    assert store.get("apps", "deployments", NS, "web") == written


def test_deployment_status_update_cannot_change_the_rollback_to_annotation(store: Store) -> None:
    manifest = workload("Deployment", "web")
    manifest["metadata"]["annotations"] = {ROLLBACK_TO: "2"}
    created = create(store, manifest)
    request = json.loads(json.dumps(created))
    request["metadata"]["annotations"] = {REVISION: "3"}  # the rollback-to annotation dropped
    written = store.update_status("apps", "deployments", request)
    assert written["metadata"]["annotations"] == {REVISION: "3", ROLLBACK_TO: "2"}

    request = json.loads(json.dumps(written))
    request["metadata"]["annotations"][ROLLBACK_TO] = "1"
    written = store.update_status("apps", "deployments", request)
    assert written["metadata"]["annotations"][ROLLBACK_TO] == "2"
    assert written["metadata"]["generation"] == 1


STATUS: dict[str, Obj] = {
    "ReplicaSet": {"replicas": 0, "observedGeneration": 1},
    "StatefulSet": {"replicas": 0, "observedGeneration": 1},
    "DaemonSet": {"desiredNumberScheduled": 0, "observedGeneration": 1},
    "Job": {"active": 1},
    "CronJob": {"lastScheduleTime": "2021-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("kind", list(STATUS))
def test_status_update_takes_labels_and_annotations_from_the_request(
    store: Store, kind: str
) -> None:
    group, resource = PLURAL[kind]
    created = create(store, workload(kind, "w"))
    request = json.loads(json.dumps(created))
    request["metadata"]["labels"]["tier"] = "backend"
    request["metadata"].setdefault("annotations", {})["note"] = "from status"
    template_spec_of(request)["containers"][0]["image"] = "nginx:9"
    request["status"] = STATUS[kind]

    written = store.update_status(group, resource, request)

    assert written["metadata"]["labels"] == {"app": "w", "tier": "backend"}
    assert written["metadata"]["annotations"]["note"] == "from status"
    assert written["spec"] == created["spec"]
    assert written["metadata"].get("generation") == created["metadata"].get("generation")


def test_pod_status_update_keeps_the_stored_owner_references(store: Store) -> None:
    owner_ref = {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u-1", "controller": True}
    created = create(store, pod("p", pod_spec(), ownerReferences=[owner_ref]))
    request = json.loads(json.dumps(created))
    del request["metadata"]["ownerReferences"]
    request["metadata"]["labels"] = {"seen": "yes"}
    request["status"] = {"phase": "Running"}

    written = store.update_status("", "pods", request)

    assert written["metadata"]["ownerReferences"] == [owner_ref]
    assert written["metadata"]["labels"] == {"seen": "yes"}
    assert written["status"] == {"phase": "Running"}


def test_status_patch_writes_metadata_without_bumping_the_generation(store: Store) -> None:
    create(store, workload("Deployment", "web"))
    patched = store.patch(
        "apps",
        "deployments",
        NS,
        "web",
        "application/merge-patch+json",
        {"metadata": {"annotations": {REVISION: "1"}}, "spec": {"replicas": 4}},
        subresource="status",
    )
    assert patched["metadata"]["annotations"] == {REVISION: "1"}
    assert patched["spec"]["replicas"] == 1
    assert patched["metadata"]["generation"] == 1


def test_a_plain_update_still_keeps_the_status_and_counts_deployment_annotations(
    store: Store,
) -> None:
    created = create(store, workload("Deployment", "web"))
    store.update_status("apps", "deployments", {**created, "status": {"replicas": 0}})
    request = store.get("apps", "deployments", NS, "web")
    request["metadata"]["annotations"] = {"kubernetes.io/change-cause": "why"}
    request["status"] = {"replicas": 99}

    written = store.update("apps", "deployments", request)

    assert written["status"] == {"replicas": 0}
    assert written["metadata"]["generation"] == 2


# --- 2. DaemonSet template generation -------------------------------------------------------


def ds_annotation(obj: Obj) -> str | None:
    return (obj["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)


@pytest.mark.parametrize(
    ("requested", "stored"), [(None, "1"), ("5", "5"), ("0", "1"), ("-3", "1")]
)
def test_daemonset_create_sets_the_template_generation(
    store: Store, requested: str | None, stored: str
) -> None:
    manifest = workload("DaemonSet", "agent")
    if requested is not None:
        manifest["metadata"]["annotations"] = {TEMPLATE_GENERATION: requested}
    assert ds_annotation(create(store, manifest)) == stored


def test_daemonset_template_generation_follows_template_changes_only(store: Store) -> None:
    created = create(store, workload("DaemonSet", "agent"))
    assert (ds_annotation(created), created["metadata"]["generation"]) == ("1", 1)

    # A spec change outside the template: generation only.
    request = json.loads(json.dumps(created))
    request["spec"]["minReadySeconds"] = 5
    updated = store.update("apps", "daemonsets", request)
    assert (ds_annotation(updated), updated["metadata"]["generation"]) == ("1", 2)

    # A template change: both.
    request = json.loads(json.dumps(updated))
    request["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.20"
    updated = store.update("apps", "daemonsets", request)
    assert (ds_annotation(updated), updated["metadata"]["generation"]) == ("2", 3)

    # Writing the annotation itself, or other annotations, changes neither.
    request = json.loads(json.dumps(updated))
    request["metadata"]["annotations"] = {TEMPLATE_GENERATION: "9", "note": "x"}
    updated = store.update("apps", "daemonsets", request)
    assert updated["metadata"]["annotations"] == {TEMPLATE_GENERATION: "2", "note": "x"}
    assert updated["metadata"]["generation"] == 3

    # An empty list is what Go decodes as nothing: not a template change.
    request = json.loads(json.dumps(updated))
    request["spec"]["template"]["spec"]["containers"][0]["env"] = []
    updated = store.update("apps", "daemonsets", request)
    assert (ds_annotation(updated), updated["metadata"]["generation"]) == ("2", 3)

    # A patch goes the same way; a status write keeps the stored value.
    patched = store.patch(
        "apps",
        "daemonsets",
        NS,
        "agent",
        "application/strategic-merge-patch+json",
        {"spec": {"template": {"metadata": {"annotations": {"restarted": "now"}}}}},
    )
    assert (ds_annotation(patched), patched["metadata"]["generation"]) == ("3", 4)
    request = json.loads(json.dumps(patched))
    del request["metadata"]["annotations"][TEMPLATE_GENERATION]
    status_written = store.update_status("apps", "daemonsets", {**request, "status": {}})
    assert ds_annotation(status_written) == "3"


def test_daemonset_template_generation_that_is_no_integer_is_refused(store: Store) -> None:
    manifest = workload("DaemonSet", "agent")
    manifest["metadata"]["annotations"] = {TEMPLATE_GENERATION: "one"}
    with pytest.raises(StoreError) as info:
        create(store, manifest)
    assert (info.value.code, info.value.message) == (
        400,
        'DaemonSet in version "v1" cannot be handled as a DaemonSet: strconv.ParseInt: parsing'
        ' "one": invalid syntax',
    )


# --- 3. ControllerRevision data -------------------------------------------------------------


def test_controller_revision_data_is_kept_verbatim_and_served_as_go_encodes_it(
    store: Store,
) -> None:
    data = {
        "spec": {
            "template": {
                "$patch": "replace",
                "spec": {"containers": [{"name": "c", "command": ["sh", "-c", "a && b <x>"]}]},
                "metadata": {"creationTimestamp": None, "labels": {"app": "caf\u00e9"}},
            }
        }
    }
    owner = create(store, workload("StatefulSet", "db"))
    revision = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": "db-1", "namespace": NS, "labels": {"gone": None}},
        "data": data,
        "revision": 1,
    }
    created = store.create("apps", "controllerrevisions", revision)

    assert created["data"] == data
    assert json.dumps(created["data"]) == json.dumps(data)  # same key order
    assert "labels" not in created["metadata"]  # nulls elsewhere still go
    raw = store.get_raw("apps", "controllerrevisions", NS, "db-1")
    assert (
        b'"data":{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"name":"c",'
        b'"command":["sh","-c","a \\u0026\\u0026 b \\u003cx\\u003e"]}]},"metadata":'
        b'{"creationTimestamp":null,"labels":{"app":"caf\xc3\xa9"}}}}}' in raw
    )

    patched = store.patch(
        "apps", "controllerrevisions", NS, "db-1", "application/merge-patch+json", {"revision": 2}
    )
    assert patched["data"] == data
    # Other kinds still lose their nulls, as decoding into Go types does.
    assert (
        "creationTimestamp"
        not in (store.get("apps", "statefulsets", NS, "db")["spec"]["template"]["metadata"])
    )
    assert owner["spec"]["template"]["metadata"] == {"labels": {"app": "db"}}


# --- 4. defaults ----------------------------------------------------------------------------

PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}


def probes() -> Obj:
    return {
        "livenessProbe": {"httpGet": {"port": 8080}},
        "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 0, "timeoutSeconds": 5},
        "startupProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 30},
    }


def assert_probe_defaults(container: Obj) -> None:
    assert container["livenessProbe"] == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        **PROBE_DEFAULTS,
    }
    # 0 is Go's "unset": defaulted; a value given is kept.
    assert container["readinessProbe"] == {
        "exec": {"command": ["true"]},
        **PROBE_DEFAULTS,
        "timeoutSeconds": 5,
    }
    assert container["startupProbe"] == {
        "tcpSocket": {"port": 8080},
        **PROBE_DEFAULTS,
        "failureThreshold": 30,
    }


def test_pod_probes_get_their_defaults(store: Store) -> None:
    spec = pod_spec(**probes())
    spec["initContainers"] = [{"name": "init", "image": "busybox:1.36", **probes()}]
    created = create(store, pod("p", spec))
    assert_probe_defaults(created["spec"]["containers"][0])
    assert_probe_defaults(created["spec"]["initContainers"][0])


@pytest.mark.parametrize("kind", WORKLOADS)
def test_workload_pod_templates_get_pod_spec_defaults(store: Store, kind: str) -> None:
    manifest = workload(kind, "w", **probes(), ports=[{"containerPort": 80}])
    manifest_spec = template_spec_of(manifest)
    manifest_spec["volumes"] = [{"name": "scratch"}, {"name": "s", "secret": {"secretName": "x"}}]
    created = create(store, manifest)
    spec = template_spec_of(created)
    container = spec["containers"][0]
    assert_probe_defaults(container)
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert (container["imagePullPolicy"], container["terminationMessagePath"]) == (
        "IfNotPresent",
        "/dev/termination-log",
    )
    assert (container["terminationMessagePolicy"], container["resources"]) == ("File", {})
    assert spec["volumes"] == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}},
    ]
    assert (spec["dnsPolicy"], spec["schedulerName"], spec["securityContext"]) == (
        "ClusterFirst",
        "default-scheduler",
        {},
    )
    assert spec["terminationGracePeriodSeconds"] == 30
    # SetDefaults_Pod is for pods only.
    assert "enableServiceLinks" not in spec


def test_pod_only_defaults(store: Store) -> None:
    limits = {"cpu": "500m", "memory": "64Mi"}
    spec = pod_spec(resources={"limits": limits, "requests": {"cpu": "100m"}})
    spec["containers"].append({"name": "d", "image": "busybox:1.36", "resources": {"limits": {}}})
    created = create(store, pod("p", spec))
    assert created["spec"]["enableServiceLinks"] is True
    first, second = created["spec"]["containers"]
    assert first["resources"] == {"limits": limits, "requests": {"cpu": "100m", "memory": "64Mi"}}
    # An empty limits map is no limits at all (Go's JSON leaves empty maps out).
    assert second["resources"] == {}

    manifest = workload("Deployment", "web", resources={"limits": limits})
    template_resources = template_spec_of(create(store, manifest))["containers"][0]["resources"]
    assert template_resources == {"limits": limits}


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.19", "IfNotPresent"),
        ("registry.k8s.io/pause:3.9", "IfNotPresent"),
        ("localhost:5000/app", "Always"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("nginx:latest@sha256:" + "a" * 64, "Always"),
        # docker's reference grammar refuses these, and then the default is IfNotPresent
        ("Nginx", "IfNotPresent"),
        ("nginx@sha256:abc", "IfNotPresent"),
    ],
)
def test_image_pull_policy_default(store: Store, image: str, policy: str) -> None:
    created = create(store, pod("p", pod_spec(image)))
    assert created["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_volume_env_and_host_network_defaults(store: Store) -> None:
    spec = pod_spec(
        env=[{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        ports=[{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP", "hostPort": 5353}],
        lifecycle={"preStop": {"httpGet": {"port": 80}}},
    )
    spec["hostNetwork"] = True
    spec["volumes"] = [
        {"name": "cm", "configMap": {"name": "c", "defaultMode": 256}},
        {"name": "host", "hostPath": {"path": "/var/log"}},
        {
            "name": "proj",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"path": "token"}},
                    {
                        "downwardAPI": {
                            "items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]
                        }
                    },
                ]
            },
        },
    ]
    created = create(store, pod("p", spec))
    container = created["spec"]["containers"][0]
    assert container["env"][0]["valueFrom"]["fieldRef"] == {
        "fieldPath": "spec.nodeName",
        "apiVersion": "v1",
    }
    assert container["ports"] == [
        {"containerPort": 8080, "protocol": "TCP", "hostPort": 8080},
        {"containerPort": 53, "protocol": "UDP", "hostPort": 5353},
    ]
    assert container["lifecycle"]["preStop"]["httpGet"] == {
        "port": 80,
        "path": "/",
        "scheme": "HTTP",
    }
    volumes = {v["name"]: v for v in created["spec"]["volumes"]}
    assert volumes["cm"]["configMap"] == {"name": "c", "defaultMode": 256}
    assert volumes["host"]["hostPath"] == {"path": "/var/log", "type": ""}
    projected = volumes["proj"]["projected"]
    assert projected["defaultMode"] == 420
    assert projected["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 3600
    item = projected["sources"][1]["downwardAPI"]["items"][0]
    assert item["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}


def test_statefulset_volume_claim_templates_get_their_defaults(store: Store) -> None:
    manifest = workload("StatefulSet", "db")
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    manifest["spec"]["volumeClaimTemplates"] = [claim]
    (stored,) = create(store, manifest)["spec"]["volumeClaimTemplates"]
    assert stored["spec"] == {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"}
    assert stored["status"] == {"phase": "Pending"}


# --- on a running embedded cluster, with kubectl --------------------------------------------


class Kubectl:
    def __init__(self, kubeconfig: str, home: Path) -> None:
        self.env = {**os.environ, "HOME": str(home), "KUBECONFIG": kubeconfig}
        self.kubeconfig = kubeconfig

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [KUBECTL, "--kubeconfig", self.kubeconfig, "-n", NS, *args],
            capture_output=True,
            text=True,
            env=self.env,
            input=stdin,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(nodes=2, timings=Timings(scale=0.05)) as running:
        yield running


@pytest.fixture(scope="module")
def kubectl(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    home = tmp_path_factory.mktemp("kubectl-home")
    return Kubectl(cluster.write_kubeconfig(str(home / "kubeconfig")), home)


@pytest.fixture
def api(cluster: EmbeddedCluster) -> Iterator[Any]:
    client = cluster.server.api_client()
    yield client
    client.close()


def apply(kubectl: Kubectl, obj: Obj) -> None:
    kubectl("create", "-f", "-", stdin=json.dumps(obj))


def get(cluster: EmbeddedCluster, kind: str, name: str) -> Obj:
    group, resource = PLURAL[kind]
    return cluster.client.get(group, resource, NS, name)


def wait_for_deployment(
    cluster: EmbeddedCluster, name: str, revision: str, change_cause: str | None = None
) -> Obj:
    """The Deployment once its controller has caught up: observedGeneration current, the
    revision annotation at `revision` (and the change-cause annotation at `change_cause`)."""

    def caught_up() -> Obj | None:
        d = get(cluster, "Deployment", name)
        meta = d["metadata"]
        annotations = meta.get("annotations") or {}
        done = (
            (d.get("status") or {}).get("observedGeneration") == meta["generation"]
            and annotations.get(REVISION) == revision
            and annotations.get("kubernetes.io/change-cause") == change_cause
        )
        return d if done else None

    found: Obj = poll(caught_up, f"deployment {name} synced at revision {revision}", timeout=20)
    return found


def test_deployment_generations_match_a_real_cluster(
    cluster: EmbeddedCluster, kubectl: Kubectl
) -> None:
    apply(kubectl, workload("Deployment", "gen"))
    generations = [wait_for_deployment(cluster, "gen", "1")["metadata"]["generation"]]
    kubectl("set", "image", "deployment/gen", "c=nginx:1.20")
    generations.append(wait_for_deployment(cluster, "gen", "2")["metadata"]["generation"])
    kubectl("annotate", "deployment/gen", "kubernetes.io/change-cause=pin 1.20")
    d = wait_for_deployment(cluster, "gen", "2", change_cause="pin 1.20")
    generations.append(d["metadata"]["generation"])
    # The undo takes the annotations of revision 1's ReplicaSet, which has no change-cause.
    kubectl("rollout", "undo", "deployment/gen")
    d = wait_for_deployment(cluster, "gen", "3")
    generations.append(d["metadata"]["generation"])
    assert generations == [1, 2, 3, 4]
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.19"


def daemon_pods(cluster: EmbeddedCluster, name: str) -> list[Obj]:
    pods, _ = cluster.client.list("", "pods", NS, label_selector=f"app={name}")
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def test_daemon_pods_carry_the_template_generation(
    cluster: EmbeddedCluster, kubectl: Kubectl
) -> None:
    apply(kubectl, workload("DaemonSet", "agent"))

    def labelled(generation: str) -> list[Obj] | None:
        pods = daemon_pods(cluster, "agent")
        values = {p["metadata"]["labels"].get("pod-template-generation") for p in pods}
        return pods if len(pods) == len(cluster.node_names) and values == {generation} else None

    poll(lambda: labelled("1"), "a daemon pod labelled generation 1 on every node", timeout=20)
    kubectl("set", "image", "daemonset/agent", "c=nginx:1.20")
    assert ds_annotation(get(cluster, "DaemonSet", "agent")) == "2"
    pods = poll(lambda: labelled("2"), "every daemon pod replaced at generation 2", timeout=30)
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.20"}


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet"])
def test_undo_to_the_current_revision_is_skipped_as_on_a_real_cluster(
    cluster: EmbeddedCluster, kubectl: Kubectl, api: Any, kind: str
) -> None:
    name = f"undo-{kind.lower()}"
    # A template with fields the apiserver defaults, and characters Go's JSON escapes.
    manifest = workload(
        kind,
        name,
        command=["sh", "-c", "sleep 1 && exec sleep 3600 <&-"],
        readinessProbe={"exec": {"command": ["true"]}},
        ports=[{"containerPort": 80}],
    )
    apply(kubectl, manifest)
    kubectl("set", "image", f"{kind.lower()}/{name}", "c=nginx:1.20")

    def revisions() -> list[Obj] | None:
        items, _ = cluster.client.list("apps", "controllerrevisions", NS, f"app={name}")
        return items if len(items) == 2 else None

    poll(revisions, f"two ControllerRevisions of {name}", timeout=20)
    printed = f"{kind.lower()}.apps/{name}"
    assert kubectl("rollout", "undo", f"{kind.lower()}/{name}", "--to-revision=2") == (
        f"{printed} skipped rollback (current template already matches revision 2)\n"
    )
    plan = plan_undo(kind, *fetch_workload(api, kind, NS, name), to_revision=2)
    assert (plan.skipped, plan.message) == (
        True,
        f"{printed} skipped rollback (current template already matches revision 2)",
    )
    assert not plan_undo(kind, *fetch_workload(api, kind, NS, name), to_revision=1).skipped


def test_statefulset_revision_hash_covers_the_defaulted_template(cluster: EmbeddedCluster) -> None:
    """A bare template and the same template with every default written out are one
    revision: the hash is of the template as the apiserver stores it."""
    bare = workload("StatefulSet", "bare", readinessProbe={"httpGet": {"port": 80}})
    explicit = workload(
        "StatefulSet",
        "explicit",
        imagePullPolicy="IfNotPresent",
        terminationMessagePath="/dev/termination-log",
        terminationMessagePolicy="File",
        resources={},
        readinessProbe={"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, **PROBE_DEFAULTS},
    )
    explicit["spec"]["template"]["spec"].update(
        dnsPolicy="ClusterFirst",
        restartPolicy="Always",
        schedulerName="default-scheduler",
        securityContext={},
        terminationGracePeriodSeconds=30,
    )
    # The same pod labels for both (they are part of the template), so separate namespaces.
    cluster.client.create("", "namespaces", {"metadata": {"name": "explicit"}})
    explicit["metadata"]["namespace"] = "explicit"
    for manifest in (bare, explicit):
        manifest["spec"]["template"]["metadata"]["labels"] = {"app": "same"}
        manifest["spec"]["selector"] = {"matchLabels": {"app": "same"}}
        cluster.client.create("apps", "statefulsets", manifest)

    def hash_of(name: str) -> str | None:
        namespace = manifest["metadata"]["namespace"] if name == "explicit" else NS
        found = cluster.client.get("apps", "statefulsets", namespace, name)
        revision: str | None = (found.get("status") or {}).get("updateRevision")
        return revision

    bare_revision = poll(lambda: hash_of("bare"), "the bare StatefulSet's revision")
    explicit_revision = poll(lambda: hash_of("explicit"), "the explicit StatefulSet's revision")
    assert bare_revision.removeprefix("bare-") == explicit_revision.removeprefix("explicit-")
