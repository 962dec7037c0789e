"""YAML and describe as kubectl prints them, on the real control plane (kube-apiserver v1.20.2):

- ktui's YAML of each object its cache holds (the YAML screen reads the whole object with one GET,
  `fetch_object`: the cache is slim) is the text of `kubectl get -o yaml` for the same object at
  the same resourceVersion (kubectl 1.32 leaves managedFields out, as ktui does);
- ktui's describe of a Deployment has every section and field `kubectl describe deployment`
  prints, in kubectl's order (OldReplicaSets, NewReplicaSet, the Conditions table's columns).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from controlplane import ControlPlane
from e2e_support import create, kubectl, running_cache, uid_of, wait_for

from ktui.cluster.cache import ClusterCache
from ktui.cluster.connection import connect
from ktui.cluster.fetch import fetch_object
from ktui.cluster.kinds import DEPLOYMENT, POD, REPLICA_SET, STATEFUL_SET
from ktui.render.describe import describe, object_yaml
from ktui.settings import Settings

pytestmark = pytest.mark.e2e

NS = "yaml-e2e"
RESOURCE = {
    "Deployment": "deployments",
    "ReplicaSet": "replicasets",
    "StatefulSet": "statefulsets",
    "Pod": "pods",
}

# Strings YAML has to quote, escape, fold or write as blocks, in annotations and a command.
TRICKY = {
    "example.com/empty": "",
    "example.com/bool": "true",
    "example.com/yes": "yes",
    "example.com/number": "0755",
    "example.com/date": "2024-01-15",
    "example.com/colon": "a: b",
    "example.com/star": "*x",
    "example.com/trailing": "x ",
    "example.com/tab": "a\tb",
    "example.com/multi": "line1\nline2\n",
    "example.com/long": "word " * 30 + "end",
    "example.com/quote": 'it\'s "quoted"',
    "example.com/unicode": "héllo · wörld",
}


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    kubectl(control_plane, "create", "namespace", NS)
    yield NS
    kubectl(control_plane, "delete", "namespace", NS, "--wait=false", check=False)


def _template(app: str) -> dict[str, Any]:
    return {
        "metadata": {
            "labels": {"app": app},
            "annotations": {"example.com/long": TRICKY["example.com/long"]},
        },
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "c",
                    "image": "registry.example/yaml-e2e:1",
                    "command": ["sh", "-c", "echo 'hello: world' && sleep 3600", "- x"],
                    "env": [{"name": "FLAG", "value": "true"}, {"name": "N", "value": "1.0"}],
                    "ports": [{"containerPort": 8080}],
                }
            ],
        },
    }


def _workloads(ns: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": ns, "annotations": TRICKY},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": _template("web"),
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "db", "namespace": ns},
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 80}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": ns, "labels": {"tier": "db"}},
            "spec": {
                "serviceName": "db",
                "replicas": 1,
                "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": {"app": "db"}},
                "template": _template("db"),
            },
        },
    ]


def _kubectl_yaml(cp: ControlPlane, obj: dict[str, Any]) -> tuple[str, str]:
    """(resourceVersion, text) of `kubectl get -o yaml` of the object."""
    meta = obj["metadata"]
    text = kubectl(
        cp, "get", RESOURCE[obj["kind"]], meta["name"], "-n", meta["namespace"], "-o", "yaml"
    ).stdout
    found = re.search(r'^  resourceVersion: "(\d+)"$', text, re.MULTILINE)
    return (found.group(1) if found else ""), text


def test_yaml_is_kubectl_get_o_yaml(control_plane: ControlPlane, namespace: str) -> None:
    cp = control_plane
    for manifest in _workloads(namespace):
        create(cp, manifest)
    kinds = [DEPLOYMENT, REPLICA_SET, STATEFUL_SET, POD]
    with running_cache(cp.kubeconfig_path, "admin", namespace, kinds) as cluster:

        def cached() -> list[dict[str, Any]] | None:
            objects = [o for kind in RESOURCE for o in cluster.objects(kind).values()]
            pods = [o for o in objects if o["kind"] == "Pod"]
            return objects if len(pods) >= 3 and len(objects) >= 6 else None

        wait_for("the deployment, its replicaset, the statefulset and 3 pods cached", cached)
        compared: list[str] = []
        for kind in RESOURCE:
            for uid in list(cluster.objects(kind)):
                compared.append(_compare_at_same_version(cp, cluster, kind, uid))
        assert {c.split("/")[0] for c in compared} == set(RESOURCE), compared


def _compare_at_same_version(cp: ControlPlane, cluster: ClusterCache, kind: str, uid: str) -> str:
    """Compares once the object the YAML screen reads (one GET of the cached object) and kubectl
    saw the same resourceVersion (objects change while their pods start)."""
    last: tuple[str, str, str] = ("", "", "")
    connection = connect(Settings(kubeconfig=str(cp.kubeconfig_path), context="admin"))

    def same_version() -> bool:
        nonlocal last
        cached = cluster.objects(kind).get(uid)
        if cached is None:
            return False
        meta = cached["metadata"]
        obj = fetch_object(
            connection.api_client, kind, cached["apiVersion"], meta["namespace"], meta["name"]
        )
        version, text = _kubectl_yaml(cp, obj)
        last = (obj["metadata"]["resourceVersion"], version, object_yaml(obj))
        if version != obj["metadata"]["resourceVersion"]:
            return False
        assert last[2] == text, f"{kind} {obj['metadata']['name']}:\n{_diff(text, last[2])}"
        return True

    try:
        wait_for(f"{kind} at the same resourceVersion from a GET and kubectl", same_version)
    finally:
        connection.close()
    obj = cluster.objects(kind)[uid]
    return f"{kind}/{obj['metadata']['name']}"


def _diff(want: str, mine: str) -> str:
    import difflib

    return "".join(
        difflib.unified_diff(want.splitlines(True), mine.splitlines(True), "kubectl", "ktui")
    )


def _field_names(text: str) -> list[str]:
    """Names of the top-level fields and sections ("Name", "Pod Template", "NewReplicaSet")."""
    return [m.group(1) for m in re.finditer(r"^([A-Za-z][A-Za-z -]*):", text, re.MULTILINE)]


def test_deployment_describe_has_kubectls_sections(
    control_plane: ControlPlane, namespace: str
) -> None:
    cp = control_plane
    name = "rolled"
    manifest = _workloads(namespace)[0]
    manifest["metadata"]["name"] = name
    manifest["spec"]["selector"] = {"matchLabels": {"app": name}}
    manifest["spec"]["template"]["metadata"]["labels"] = {"app": name}
    created = create(cp, manifest)
    # A second revision, so that there is an old ReplicaSet still scaling down (or scaled).
    kubectl(
        cp, "-n", namespace, "set", "image", f"deployment/{name}", "c=registry.example/yaml-e2e:2"
    )

    def both_replicasets() -> list[dict[str, Any]] | None:
        items = json.loads(kubectl(cp, "get", "replicasets", "-n", namespace, "-o", "json").stdout)[
            "items"
        ]
        owned = [
            rs
            for rs in items
            if any(ref.get("uid") == uid_of(created) for ref in rs["metadata"]["ownerReferences"])
        ]
        return owned if len(owned) == 2 else None

    def deployment_now() -> dict[str, Any]:
        return dict(
            json.loads(kubectl(cp, "get", "deployment", name, "-n", namespace, "-o", "json").stdout)
        )

    def versions(deployment: dict[str, Any], replicasets: list[dict[str, Any]]) -> list[str]:
        return [o["metadata"]["resourceVersion"] for o in (deployment, *replicasets)]

    def one_moment() -> tuple[dict[str, Any], list[dict[str, Any]], str] | None:
        """kubectl's describe between two identical reads of the Deployment and its
        ReplicaSets, so that both sides describe the same versions (the rollout moves on
        while kubectl runs)."""
        replicasets = wait_for("the deployment's two replicasets", both_replicasets)
        deployment = deployment_now()
        text = kubectl(cp, "describe", "deployment", name, "-n", namespace).stdout
        again = both_replicasets()
        if again is None or versions(deployment_now(), again) != versions(deployment, replicasets):
            return None
        return deployment, replicasets, text

    deployment, replicasets, theirs = wait_for("a still moment of the rollout", one_moment)
    mine = describe(deployment, "Deployment", [], datetime.now(UTC), replicasets).plain

    kubectl_names = _field_names(theirs)
    ktui_names = _field_names(mine)
    for wanted in ("OldReplicaSets", "NewReplicaSet", "Conditions", "Pod Template"):
        assert wanted in kubectl_names, theirs
    missing = [n for n in kubectl_names if n not in ktui_names]
    assert not missing, f"missing {missing}\n--- kubectl:\n{theirs}\n--- ktui:\n{mine}"
    # in kubectl's order
    positions = [ktui_names.index(n) for n in kubectl_names if n != "Events"]
    assert positions == sorted(positions), (kubectl_names, ktui_names)
    # the same values where kubectl's are not times
    for field in ("NewReplicaSet", "OldReplicaSets", "Replicas", "StrategyType", "Selector"):
        assert _value(mine, field) == _value(theirs, field), field
    # the Conditions table has kubectl's columns, and the Message column too
    header = next(line for line in theirs.splitlines() if line.split()[:1] == ["Type"])
    mine_header = next(line for line in mine.splitlines() if line.split()[:2] == ["Type", "Status"])
    assert mine_header.split()[: len(header.split())] == header.split()
    assert "Message" in mine_header.split()


def _value(text: str, field: str) -> str:
    found = re.search(rf"^{re.escape(field)}:\s*(.*)$", text, re.MULTILINE)
    assert found is not None, f"{field} in\n{text}"
    return found.group(1).strip()
