"""The three patch formats: the algorithms themselves, through the `kubernetes` client, and the
patches kubectl sends for annotate / label / scale / patch / rollout restart|pause|resume|undo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from ktui.sim.patch import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    PatchError,
    apply_patch,
)
from ktui.sim.server import SimServer

# --- the algorithms ------------------------------------------------------------------------------


def test_merge_patch_replaces_lists_and_deletes_nulls() -> None:
    target = {"a": {"b": 1, "c": 2}, "list": [1, 2], "keep": True}
    patched = apply_patch(MERGE_PATCH, target, {"a": {"b": None, "d": 3}, "list": [3]})
    assert patched == {"a": {"c": 2, "d": 3}, "list": [3], "keep": True}
    assert target == {"a": {"b": 1, "c": 2}, "list": [1, 2], "keep": True}


def test_json_patch_operations() -> None:
    target = {"spec": {"items": ["a", "b"], "x~y/z": 1}, "meta": {}}
    ops = [
        {"op": "add", "path": "/spec/items/-", "value": "c"},
        {"op": "add", "path": "/spec/items/0", "value": "first"},
        {"op": "remove", "path": "/spec/items/1"},
        {"op": "replace", "path": "/spec/x~0y~1z", "value": 2},
        {"op": "copy", "from": "/spec/items", "path": "/meta/copied"},
        {"op": "move", "from": "/meta/copied", "path": "/meta/moved"},
        {"op": "test", "path": "/meta/moved/0", "value": "first"},
    ]
    assert apply_patch(JSON_PATCH, target, ops) == {
        "spec": {"items": ["first", "b", "c"], "x~y/z": 2},
        "meta": {"moved": ["first", "b", "c"]},
    }
    with pytest.raises(PatchError) as failed_test:
        apply_patch(JSON_PATCH, target, [{"op": "test", "path": "/meta", "value": 1}])
    assert failed_test.value.invalid
    with pytest.raises(PatchError) as missing:
        apply_patch(JSON_PATCH, target, [{"op": "replace", "path": "/nope", "value": 1}])
    assert missing.value.invalid
    with pytest.raises(PatchError) as malformed:
        apply_patch(JSON_PATCH, target, [{"op": "frobnicate", "path": "/spec"}])
    assert not malformed.value.invalid


POD_SPEC = {
    "containers": [
        {
            "name": "app",
            "image": "app:1",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ports": [{"containerPort": 80, "name": "http"}],
            "args": ["--x"],
        },
        {"name": "sidecar", "image": "side:1"},
    ],
    "volumes": [{"name": "data", "emptyDir": {}}],
    "tolerations": [{"key": "a"}],
}


def test_strategic_merge_by_merge_keys() -> None:
    patch = {
        "containers": [
            {
                "name": "app",
                "image": "app:2",
                "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}],
                "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 90}],
                "args": ["--y"],
            },
            {"name": "new", "image": "new:1"},
        ],
        "volumes": [{"name": "cache", "emptyDir": {}}],
        "tolerations": [{"key": "b"}],
    }
    merged = apply_patch(STRATEGIC_MERGE_PATCH, POD_SPEC, patch)
    app, sidecar, new = merged["containers"]
    assert (app["image"], sidecar["image"], new["image"]) == ("app:2", "side:1", "new:1")
    assert app["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "two"},
        {"name": "C", "value": "3"},
    ]
    assert app["ports"] == [
        {"containerPort": 80, "name": "http", "protocol": "TCP"},
        {"containerPort": 90},
    ]
    assert app["args"] == ["--y"]  # no merge key: replaced
    assert [v["name"] for v in merged["volumes"]] == ["data", "cache"]
    assert merged["tolerations"] == [{"key": "b"}]
    assert POD_SPEC["containers"][0]["image"] == "app:1"  # input untouched


def test_strategic_merge_directives() -> None:
    deleted = apply_patch(
        STRATEGIC_MERGE_PATCH,
        POD_SPEC,
        {"containers": [{"name": "sidecar", "$patch": "delete"}]},
    )
    assert [c["name"] for c in deleted["containers"]] == ["app"]

    replaced_list = apply_patch(
        STRATEGIC_MERGE_PATCH,
        POD_SPEC,
        {"volumes": [{"name": "only", "emptyDir": {}}, {"$patch": "replace"}]},
    )
    assert replaced_list["volumes"] == [{"name": "only", "emptyDir": {}}]

    target = {"spec": {"template": {"metadata": {"labels": {"a": "1"}}, "spec": POD_SPEC}}}
    new_template = {"metadata": {"labels": {"b": "2"}}, "spec": {"containers": []}}
    replaced_map = apply_patch(
        STRATEGIC_MERGE_PATCH,
        target,
        {"spec": {"template": {**new_template, "$patch": "replace"}}},
    )
    assert replaced_map == {"spec": {"template": new_template}}

    ordered = apply_patch(
        STRATEGIC_MERGE_PATCH,
        POD_SPEC,
        {
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
            "containers": [{"name": "sidecar", "image": "side:2"}],
        },
    )
    assert [(c["name"], c["image"]) for c in ordered["containers"]] == [
        ("sidecar", "side:2"),
        ("app", "app:1"),
    ]

    retained = apply_patch(
        STRATEGIC_MERGE_PATCH,
        {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}},
        {"strategy": {"type": "Recreate", "$retainKeys": ["type"]}},
    )
    assert retained == {"strategy": {"type": "Recreate"}}

    finalizers = apply_patch(
        STRATEGIC_MERGE_PATCH,
        {"metadata": {"finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["c"], "$deleteFromPrimitiveList/finalizers": ["a"]}},
    )
    assert finalizers == {"metadata": {"finalizers": ["b", "c"]}}


# --- through the server -------------------------------------------------------------------------


@pytest.fixture
def apps(sim: SimServer) -> Iterator[client.AppsV1Api]:
    api_client = sim.api_client()
    yield client.AppsV1Api(api_client)
    api_client.close()


def deployment(name: str = "web") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"app": name}, "annotations": {"note": "x"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
                        {"name": "sidecar", "image": "side:1"},
                    ]
                },
            },
        },
    }


def test_each_patch_type_through_the_client(apps: client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment())

    strategic = apps.patch_namespaced_deployment(
        "web",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}},
    )
    containers = strategic.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("app", "app:2"), ("sidecar", "side:1")]
    assert containers[0].env[0].name == "A"
    assert strategic.metadata.generation == 2

    merged = apps.patch_namespaced_deployment(
        "web",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "o:1"}]}}}},
        _content_type="application/merge-patch+json",
    )
    assert [c.name for c in merged.spec.template.spec.containers] == ["only"]

    json_patched = apps.patch_namespaced_deployment(
        "web",
        "default",
        [
            {"op": "replace", "path": "/spec/replicas", "value": 5},
            {"op": "remove", "path": "/metadata/annotations/note"},
        ],
    )
    assert json_patched.spec.replicas == 5
    assert not json_patched.metadata.annotations

    with pytest.raises(ApiException) as unprocessable:
        apps.patch_namespaced_deployment(
            "web", "default", [{"op": "test", "path": "/spec/replicas", "value": 1}]
        )
    assert unprocessable.value.status == 422

    with pytest.raises(ApiException) as unsupported:
        apps.patch_namespaced_deployment(
            "web", "default", {"spec": {}}, _content_type="application/apply-patch+yaml"
        )
    assert unsupported.value.status == 415


def test_patch_with_a_stale_resource_version_conflicts(apps: client.AppsV1Api) -> None:
    created = apps.create_namespaced_deployment("default", deployment())
    apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}})
    with pytest.raises(ApiException) as stale:
        apps.patch_namespaced_deployment(
            "web",
            "default",
            {"metadata": {"resourceVersion": created.metadata.resource_version}},
            _content_type="application/merge-patch+json",
        )
    assert stale.value.status == 409
    assert json.loads(stale.value.body)["reason"] == "Conflict"


def test_status_patch_only_touches_status(apps: client.AppsV1Api) -> None:
    apps.create_namespaced_deployment("default", deployment())
    patched = apps.patch_namespaced_deployment_status(
        "web",
        "default",
        {"status": {"readyReplicas": 2}, "spec": {"replicas": 9}},
        _content_type="application/merge-patch+json",
    )
    assert patched.status.ready_replicas == 2 and patched.spec.replicas == 2


# --- kubectl ------------------------------------------------------------------------------------


def read(sim: SimServer, resource: str, name: str, group: str = "apps") -> dict[str, Any]:
    return sim.store.get(group, resource, "default", name)


def test_kubectl_annotate_label_scale(sim: SimServer, kubectl: Any) -> None:
    sim.store.create(
        "apps",
        "deployments",
        {**deployment(), "metadata": {**deployment()["metadata"], "namespace": "default"}},
    )
    kubectl("annotate", "deployment", "web", "team=blue")
    kubectl("label", "deployment", "web", "tier=front")
    kubectl("scale", "deployment", "web", "--replicas=4")
    current = read(sim, "deployments", "web")
    assert current["metadata"]["annotations"] == {"note": "x", "team": "blue"}
    assert current["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert current["spec"]["replicas"] == 4
    # annotations bump a deployment's generation, labels do not, scale does.
    assert current["metadata"]["generation"] == 3

    kubectl("annotate", "deployment", "web", "team-")
    kubectl("label", "deployment", "web", "tier-")
    current = read(sim, "deployments", "web")
    assert current["metadata"]["annotations"] == {"note": "x"}
    assert current["metadata"]["labels"] == {"app": "web"}


def test_kubectl_patch_types(sim: SimServer, kubectl: Any) -> None:
    sim.store.create(
        "apps",
        "deployments",
        {**deployment(), "metadata": {**deployment()["metadata"], "namespace": "default"}},
    )
    kubectl(
        "patch",
        "deployment",
        "web",
        "--type",
        "strategic",
        "-p",
        json.dumps(
            {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{"name": "app", "env": [{"name": "B", "value": "2"}]}]
                        }
                    }
                }
            }
        ),
    )
    app = read(sim, "deployments", "web")["spec"]["template"]["spec"]["containers"][0]
    assert [e["name"] for e in app["env"]] == ["A", "B"]

    kubectl("patch", "deployment", "web", "--type", "merge", "-p", '{"spec":{"paused":true}}')
    assert read(sim, "deployments", "web")["spec"]["paused"] is True

    kubectl(
        "patch",
        "deployment",
        "web",
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/spec/template/spec/containers/1/image","value":"side:9"}]',
    )
    sidecar = read(sim, "deployments", "web")["spec"]["template"]["spec"]["containers"][1]
    assert sidecar["image"] == "side:9"

    failed = kubectl(
        "patch",
        "deployment",
        "web",
        "--type",
        "json",
        "-p",
        '[{"op":"remove","path":"/spec/nothing"}]',
        check=False,
    )
    assert failed.returncode != 0


def test_kubectl_rollout_restart_pause_resume(sim: SimServer, kubectl: Any) -> None:
    sim.store.create(
        "apps",
        "deployments",
        {**deployment(), "metadata": {**deployment()["metadata"], "namespace": "default"}},
    )
    kubectl("rollout", "pause", "deployment/web")
    assert read(sim, "deployments", "web")["spec"]["paused"] is True
    kubectl("rollout", "resume", "deployment/web")
    assert not read(sim, "deployments", "web")["spec"].get("paused")
    kubectl("rollout", "restart", "deployment/web")
    template = read(sim, "deployments", "web")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert [c["name"] for c in template["spec"]["containers"]] == ["app", "sidecar"]


def owner_ref(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def test_kubectl_rollout_undo_deployment(sim: SimServer, kubectl: Any) -> None:
    body = deployment()
    body["metadata"]["namespace"] = "default"
    body["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    owner = sim.store.create("apps", "deployments", body)
    for revision, image in ((1, "app:0"), (2, "app:1")):
        template = json.loads(json.dumps(body["spec"]["template"]))
        template["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
        template["spec"]["containers"][0]["image"] = image
        sim.store.create(
            "apps",
            "replicasets",
            {
                "metadata": {
                    "name": f"web-h{revision}",
                    "namespace": "default",
                    "labels": template["metadata"]["labels"],
                    "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                    "ownerReferences": [owner_ref(owner)],
                },
                "spec": {
                    "replicas": 0,
                    "selector": {"matchLabels": template["metadata"]["labels"]},
                    "template": template,
                },
            },
        )
    history = kubectl("rollout", "history", "deployment/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    kubectl("rollout", "undo", "deployment/web")
    current = read(sim, "deployments", "web")
    template = current["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "app:0"
    assert "pod-template-hash" not in template["metadata"]["labels"]
    assert current["metadata"]["generation"] == 2


def test_kubectl_rollout_undo_statefulset_applies_the_revision_patch(
    sim: SimServer, kubectl: Any
) -> None:
    labels = {"app": "db"}
    template = {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "db", "image": "db:2"}]},
    }
    owner = sim.store.create(
        "apps",
        "statefulsets",
        {
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {
                "replicas": 1,
                "serviceName": "db",
                "selector": {"matchLabels": labels},
                "template": template,
            },
        },
    )
    for revision, image in ((1, "db:1"), (2, "db:2")):
        old = json.loads(json.dumps(sim.store.get("apps", "statefulsets", "default", "db")))
        old_template = old["spec"]["template"]
        old_template["spec"]["containers"][0]["image"] = image
        sim.store.create(
            "apps",
            "controllerrevisions",
            {
                "metadata": {
                    "name": f"db-r{revision}",
                    "namespace": "default",
                    "labels": {**labels, "controller-revision-hash": f"r{revision}"},
                    "ownerReferences": [owner_ref(owner)],
                },
                "revision": revision,
                "data": {"spec": {"template": {**old_template, "$patch": "replace"}}},
            },
        )
    kubectl("rollout", "undo", "statefulset/db", "--to-revision=1")
    restored = read(sim, "statefulsets", "db")["spec"]["template"]
    assert restored["spec"]["containers"] == [
        {**restored["spec"]["containers"][0], "name": "db", "image": "db:1"}
    ]
    assert restored["metadata"]["labels"] == labels
