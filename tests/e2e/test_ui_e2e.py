"""The workload inspector on the real control plane (issue "The workload inspector"): the objects
kube-controller-manager v1.20 creates are linked in the three panes as the API server's
ownerReferences say, and a pod's init steps show in the pods pane as they happen.

The app runs headless (`run_test`) against the harness's kube-apiserver; ktui's node agent is the
kubelet. The ground truth is `kubectl get -o json` of the same objects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from controlplane import ControlPlane
from e2e_support import controlled_by, create, get_items, kubectl, uid_of, wait_for

from ktui.cluster.connection import connect
from ktui.settings import Settings
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable

pytestmark = pytest.mark.e2e

NS = "ui-e2e"
UI_DEADLINE = 60.0
# The node agent's Timings(scale=0.1) (conftest.py) turns these 20s into 2s: long enough for a
# step to be seen between event-loop turns, short enough for the test.
INIT_STEP = "after=20s"
# Images no other test uses: the nodes are shared by the whole session, and another test may
# count the pulls of its own images.
IMAGES = "registry.example/ktui-ui-e2e"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app never reads the developer's own ~/.config/ktui/config.yaml."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    kubectl(control_plane, "create", "namespace", NS)
    yield NS
    kubectl(control_plane, "delete", "namespace", NS, "--wait=false", check=False)


def app_for(cp: ControlPlane, namespace: str) -> KtuiApp:
    settings = Settings(kubeconfig=str(cp.kubeconfig_path), context="admin", namespace=namespace)
    return make_app(settings, connection=connect(settings))


def panes(app: KtuiApp) -> tuple[LiveTable, LiveTable, LiveTable]:
    query = app.screen.query_one
    return (
        query("#workloads", LiveTable),
        query("#children", LiveTable),
        query("#pods", LiveTable),
    )


def cell_text(table: LiveTable, key: str, column: str) -> str | None:
    row = table.row(key)
    if row is None:
        return None
    index = [c.key for c in table.columns].index(column)
    cell = row[index]
    return cell if isinstance(cell, str) else getattr(cell, "plain", str(cell))


async def ui_wait(
    pilot: Any, what: str, cond: Callable[[], Any], detail: Callable[[], object] | None = None
) -> Any:
    """Poll `cond()` between event-loop turns until it is truthy; fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UI_DEADLINE
    while True:
        value = cond()
        if value:
            return value
        if loop.time() > deadline:
            extra = f" ({detail()})" if detail is not None else ""
            pytest.fail(f"timed out after {UI_DEADLINE:.0f}s waiting for {what}{extra}")
        await pilot.pause(0.05)


def deployment(name: str, namespace: str, replicas: int, image: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def statefulset(name: str, namespace: str, replicas: int, image: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "db", "image": image}]},
            },
        },
    }


def rolled_out(cp: ControlPlane, namespace: str, kind: str, name: str) -> None:
    # Within e2e_support.kubectl's own 60 s limit on the command.
    kubectl(cp, "-n", namespace, "rollout", "status", f"{kind}/{name}", "--timeout=50s")


def owned(cp: ControlPlane, namespace: str, owners: set[str]) -> list[dict[str, Any]]:
    """The pods whose controller is one of `owners` (the server's view)."""
    pods = get_items(cp, "pods", namespace)
    uids = set().union(*(controlled_by(pods, owner) for owner in owners))
    return [p for p in pods if uid_of(p) in uids]


def owned_pods(cp: ControlPlane, namespace: str, owners: set[str]) -> set[str]:
    return {uid_of(p) for p in owned(cp, namespace, owners)}


def pods_settled(cp: ControlPlane, namespace: str, owners: set[str], count: int) -> bool:
    """Exactly `count` pods controlled by `owners`, none terminating (old ones fully gone)."""
    pods = owned(cp, namespace, owners)
    return len(pods) == count and not any(p["metadata"].get("deletionTimestamp") for p in pods)


# --------------------------------------------------------------------------------------------


async def test_deployment_row_lists_exactly_its_replicasets_and_pods(
    control_plane: ControlPlane, namespace: str
) -> None:
    cp = control_plane
    web = create(cp, deployment("web", namespace, replicas=2, image=f"{IMAGES}/web:1"))
    other = create(cp, deployment("api", namespace, replicas=1, image=f"{IMAGES}/web:1"))
    rolled_out(cp, namespace, "deployment", "web")
    # A second revision: the pane must list both ReplicaSets, the scaled-down one too.
    kubectl(cp, "-n", namespace, "set", "image", "deployment/web", f"app={IMAGES}/web:2")
    rolled_out(cp, namespace, "deployment", "web")
    rolled_out(cp, namespace, "deployment", "api")

    replicasets = get_items(cp, "replicasets", namespace)
    web_rs = controlled_by(replicasets, uid_of(web))
    other_rs = controlled_by(replicasets, uid_of(other))
    assert len(web_rs) == 2 and len(other_rs) == 1
    wait_for(
        "web's old pods to be gone",
        lambda: pods_settled(cp, namespace, web_rs, 2),
    )
    web_pods = owned_pods(cp, namespace, web_rs)
    other_pods = owned_pods(cp, namespace, other_rs)
    assert len(web_pods) == 2 and len(other_pods) == 1

    app = app_for(cp, namespace)
    async with app.run_test(size=(160, 50)) as pilot:
        workloads, children, pods = panes(app)
        await ui_wait(
            pilot,
            "both deployments listed",
            lambda: {uid_of(web), uid_of(other)} <= set(workloads.ordered_keys()),
            lambda: workloads.ordered_keys(),
        )
        assert workloads.move_cursor_to_key(uid_of(web))
        await ui_wait(
            pilot,
            "web's ReplicaSets and pods in the lower panes",
            lambda: set(children.ordered_keys()) == web_rs and set(pods.ordered_keys()) == web_pods,
            lambda: f"children={children.ordered_keys()} pods={pods.ordered_keys()}",
        )
        # The current ReplicaSet is revision 2 in the REVISION column, the old one revision 1.
        new_rs = next(
            uid_of(rs)
            for rs in replicasets
            if uid_of(rs) in web_rs
            and rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
        )
        assert cell_text(children, new_rs, "revision") == "2"
        for pod_uid in web_pods:
            assert cell_text(pods, pod_uid, "status") == "Running"

        # The other Deployment shows only its own objects.
        assert workloads.move_cursor_to_key(uid_of(other))
        await ui_wait(
            pilot,
            "api's ReplicaSet and pod in the lower panes",
            lambda: (
                set(children.ordered_keys()) == other_rs and set(pods.ordered_keys()) == other_pods
            ),
            lambda: f"children={children.ordered_keys()} pods={pods.ordered_keys()}",
        )


async def test_statefulset_row_lists_its_controller_revisions(
    control_plane: ControlPlane, namespace: str
) -> None:
    cp = control_plane
    db = create(cp, statefulset("db", namespace, replicas=2, image=f"{IMAGES}/db:1"))
    rolled_out(cp, namespace, "statefulset", "db")
    kubectl(cp, "-n", namespace, "set", "image", "statefulset/db", f"db={IMAGES}/db:2")
    rolled_out(cp, namespace, "statefulset", "db")

    revisions = controlled_by(get_items(cp, "controllerrevisions", namespace), uid_of(db))
    assert len(revisions) == 2
    wait_for("db's pods settled", lambda: pods_settled(cp, namespace, {uid_of(db)}, 2))
    db_pods = owned_pods(cp, namespace, {uid_of(db)})

    app = app_for(cp, namespace)
    async with app.run_test(size=(160, 50)) as pilot:
        workloads, children, pods = panes(app)
        await ui_wait(
            pilot,
            "the StatefulSet listed",
            lambda: uid_of(db) in workloads.ordered_keys(),
            lambda: workloads.ordered_keys(),
        )
        assert workloads.move_cursor_to_key(uid_of(db))
        await ui_wait(
            pilot,
            "db's ControllerRevisions and pods in the lower panes",
            lambda: (
                set(children.ordered_keys()) == revisions and set(pods.ordered_keys()) == db_pods
            ),
            lambda: f"children={children.ordered_keys()} pods={pods.ordered_keys()}",
        )
        assert children.columns[0].label == "CONTROLLERREVISION"
        assert sorted(cell_text(children, uid, "revision") or "" for uid in revisions) == [
            "1",
            "2",
        ]


async def test_init_container_steps_show_in_the_pods_pane(
    control_plane: ControlPlane, namespace: str
) -> None:
    cp = control_plane
    manifest = deployment("setup", namespace, replicas=0, image=f"{IMAGES}/web:1")
    template = manifest["spec"]["template"]
    template["metadata"]["annotations"] = {
        "sim.ktui.dev/behavior-migrate": INIT_STEP,
        "sim.ktui.dev/behavior-seed": INIT_STEP,
    }
    template["spec"]["initContainers"] = [
        {"name": "migrate", "image": f"{IMAGES}/tools:1"},
        {"name": "seed", "image": f"{IMAGES}/tools:1"},
    ]
    setup = create(cp, manifest)

    app = app_for(cp, namespace)
    async with app.run_test(size=(160, 50)) as pilot:
        workloads, _, pods = panes(app)
        await ui_wait(
            pilot,
            "the setup Deployment listed",
            lambda: uid_of(setup) in workloads.ordered_keys(),
            lambda: workloads.ordered_keys(),
        )
        assert workloads.move_cursor_to_key(uid_of(setup))
        # Selected while it has no pods, so its pod is watched from its first state on.
        await asyncio.to_thread(
            kubectl, cp, "-n", namespace, "scale", "deployment/setup", "--replicas=1"
        )
        pod_uid = await ui_wait(
            pilot,
            "the setup pod in the pods pane",
            lambda: pods.ordered_keys()[0] if pods.total_count == 1 else None,
        )
        seen: list[str] = []

        def record() -> bool:
            status = cell_text(pods, pod_uid, "status")
            if status is not None and (not seen or seen[-1] != status):
                seen.append(status)
            return status == "Running"

        await ui_wait(pilot, "the setup pod Running", record, lambda: f"seen {seen}")

    truth = owned_pods(
        cp, namespace, controlled_by(get_items(cp, "replicasets", namespace), uid_of(setup))
    )
    assert truth == {pod_uid}
    assert "Init:0/2" in seen, seen
    steps = seen[seen.index("Init:0/2") :]
    assert steps in (
        ["Init:0/2", "Init:1/2", "PodInitializing", "Running"],
        ["Init:0/2", "Init:1/2", "Running"],
    ), seen
    # Before the first init step only the pre-start states may show.
    assert set(seen[: seen.index("Init:0/2")]) <= {"Pending"}, seen


# --------------------------------------------------------------------------------------------
# The Pods view (issue "Live debugging starts from the failing pod")

PODS_NS = "ui-e2e-pods"


def plain_pod(name: str, namespace: str, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {"app": name}}
    if owner is not None:
        metadata["ownerReferences"] = [owner]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "app", "image": f"{IMAGES}/web:1"}]},
    }


async def test_pods_view_lists_bare_and_foreign_owned_pods_as_kubectl_counts(
    control_plane: ControlPlane,
) -> None:
    cp = control_plane
    kubectl(cp, "create", "namespace", PODS_NS)
    try:
        web = create(cp, deployment("web", PODS_NS, replicas=2, image=f"{IMAGES}/web:1"))
        bare = create(cp, plain_pod("debug-shell", PODS_NS))
        # Owned by a kind ktui does not cache (a ConfigMap: it exists, so the garbage
        # collector keeps the pod).
        config_map = create(
            cp,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "etl", "namespace": PODS_NS},
            },
        )
        foreign_owner = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "etl",
            "uid": uid_of(config_map),
            "controller": True,
        }
        foreign = create(cp, plain_pod("etl-driver", PODS_NS, foreign_owner))
        rolled_out(cp, PODS_NS, "deployment", "web")
        replicasets = controlled_by(get_items(cp, "replicasets", PODS_NS), uid_of(web))
        wait_for("web's pods settled", lambda: pods_settled(cp, PODS_NS, replicasets, 2))

        def kubectl_count() -> int:
            out = kubectl(cp, "get", "pods", "-n", PODS_NS, "--no-headers").stdout
            return len([line for line in out.splitlines() if line.strip()])

        truth = {uid_of(p) for p in get_items(cp, "pods", PODS_NS)}
        assert kubectl_count() == len(truth) == 4

        app = app_for(cp, PODS_NS)
        async with app.run_test(size=(200, 50)) as pilot:
            workloads, _, _ = panes(app)
            await pilot.press("colon", *"pods", "enter")
            await ui_wait(
                pilot,
                "every pod of the namespace in the Pods view",
                lambda: set(workloads.ordered_keys()) == truth,
                lambda: workloads.ordered_keys(),
            )
            title = str(workloads.border_title)
            assert title.startswith(f"Pods [{kubectl_count()}] · {PODS_NS}"), title
            assert cell_text(workloads, uid_of(bare), "owner") == "-"
            assert cell_text(workloads, uid_of(foreign), "owner") == "ConfigMap/etl"
            web_pods = owned_pods(cp, PODS_NS, replicasets)
            rs_names = {
                f"ReplicaSet/{rs['metadata']['name']}"
                for rs in get_items(cp, "replicasets", PODS_NS)
                if uid_of(rs) in replicasets
            }
            assert {cell_text(workloads, uid, "owner") for uid in web_pods} <= rs_names
            # The bare pod is deleted: the view and kubectl agree again.
            await asyncio.to_thread(
                kubectl, cp, "-n", PODS_NS, "delete", "pod", "debug-shell", "--wait=true"
            )
            await ui_wait(
                pilot,
                "the deleted bare pod gone from the Pods view",
                lambda: uid_of(bare) not in workloads.ordered_keys(),
            )
            assert str(workloads.border_title).startswith(f"Pods [{kubectl_count()}]")
    finally:
        kubectl(cp, "delete", "namespace", PODS_NS, "--wait=false", check=False)
