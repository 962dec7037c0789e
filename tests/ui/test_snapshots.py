"""SVG snapshots of the main screen and an error state, with a frozen clock.

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`, and
look at the SVGs under tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui_support import FROZEN_NOW, deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection, connect
from ktui.cluster.state import CachePhase
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.sim.store import Store
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable

SIZE = (140, 40)


@pytest.fixture
def frozen_sim() -> Any:
    # Objects are stamped by the store's clock: freeze it a few minutes before the app's clock.
    store = Store(clock=lambda: FROZEN_NOW.timestamp() - 300)
    with SimServer(port=0, store=store) as server:
        yield server


def stable_connection(sim: SimServer, tmp_path: Path) -> Connection:
    path = str(tmp_path / "kubeconfig")
    sim.write_kubeconfig(path, namespace="default")
    connection = connect(Settings(kubeconfig=path))
    # The port is random; the header shows the server, so show a fixed one.
    connection.cluster_server = "https://127.0.0.1:6443"
    connection.server_version = "v1.30.0-ktui-sim"
    return connection


def seed(sim: SimServer) -> None:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=3))
    rs = store.create("apps", "replicasets", replicaset(web, "7d4b9c", 1))
    for suffix, ready in (("x2k4p", True), ("m9q7z", True), ("b5n2w", False)):
        created = store.create("", "pods", pod(rs, suffix, nodeName="node-1"))
        store.update("", "pods", {**created, "status": running_status(ready)}, "status")
    store.create("apps", "deployments", deployment("api", replicas=1, image="api:2.1"))


def until_live(app: KtuiApp, rows: int) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        workloads = app.screen.query_one("#workloads", LiveTable)

        def ready() -> bool:
            cluster = app.cluster
            states = cluster.states() if cluster else {}
            settled = all(
                s.phase in (CachePhase.LIVE, CachePhase.FORBIDDEN) for s in states.values()
            )
            return bool(states) and settled and workloads.total_count == rows

        await wait_for(pilot, ready, f"{rows} workloads and every watch settled")
        workloads.move_cursor_to_key(workloads.ordered_keys()[-1])
        await wait_for(
            pilot,
            lambda: app.screen.query_one("#pods", LiveTable).total_count == 3,
            "pods of web",
        )
        await pilot.pause()

    return run_before


def test_main_screen(frozen_sim: SimServer, tmp_path: Path, snap_compare: Any) -> None:
    seed(frozen_sim)
    app = make_app(
        Settings(), connection=stable_connection(frozen_sim, tmp_path), clock=lambda: FROZEN_NOW
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=until_live(app, 2))


def test_forbidden_workloads_are_explained_in_the_pane(
    frozen_sim: SimServer, tmp_path: Path, snap_compare: Any
) -> None:
    frozen_sim.faults.forbid("apps", "deployments", message=None)
    app = make_app(
        Settings(), connection=stable_connection(frozen_sim, tmp_path), clock=lambda: FROZEN_NOW
    )

    async def run_before(pilot: Any) -> None:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(
            pilot,
            lambda: "forbidden" in workloads.empty_message,
            "the forbidden deployments explained in the workloads pane",
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_pod_detail_with_init_containers_and_a_native_sidecar(
    frozen_sim: SimServer, tmp_path: Path, snap_compare: Any
) -> None:
    from test_pod_detail import initializing_pod, initializing_status

    store = frozen_sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(web, "7d4b9c", 1))
    created = store.create("", "pods", initializing_pod(rs))
    store.update("", "pods", {**created, "status": initializing_status(FROZEN_NOW)}, "status")
    app = make_app(
        Settings(), connection=stable_connection(frozen_sim, tmp_path), clock=lambda: FROZEN_NOW
    )

    async def run_before(pilot: Any) -> None:
        from ktui.ui.screens.pod_detail import PodDetailScreen

        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: pods.total_count == 1, "its pod")
        pods.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "pod detail")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def seed_troubles(sim: SimServer) -> None:
    """web (one pod not ready), a bare pod in CrashLoopBackOff and one stuck in ImagePullBackOff."""
    seed(sim)
    store = sim.store
    for name, reason, message in (
        ("debug-shell", "CrashLoopBackOff", "back-off 40s restarting failed container=app"),
        ("typo", "ImagePullBackOff", 'Back-off pulling image "ngnix:1.27"'),
    ):
        created = store.create(
            "",
            "pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        )
        status = running_status(ready=False)
        status["containerStatuses"][0]["state"] = {
            "waiting": {"reason": reason, "message": message}
        }
        status["containerStatuses"][0]["restartCount"] = 3 if reason == "CrashLoopBackOff" else 0
        store.update("", "pods", {**created, "status": status}, "status")


def test_pods_view(frozen_sim: SimServer, tmp_path: Path, snap_compare: Any) -> None:
    seed_troubles(frozen_sim)
    app = make_app(
        Settings(), connection=stable_connection(frozen_sim, tmp_path), clock=lambda: FROZEN_NOW
    )

    async def run_before(pilot: Any) -> None:
        await until_live(app, 2)(pilot)
        await pilot.press("colon", *"pods", "enter")
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 5, "every pod, bare ones too")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_problems_view(frozen_sim: SimServer, tmp_path: Path, snap_compare: Any) -> None:
    seed_troubles(frozen_sim)
    app = make_app(
        Settings(), connection=stable_connection(frozen_sim, tmp_path), clock=lambda: FROZEN_NOW
    )

    async def run_before(pilot: Any) -> None:
        from ktui.ui.screens.problems import ProblemsScreen

        await until_live(app, 2)(pilot)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "the triage")
        await wait_for(
            pilot,
            lambda: app.screen.query_one(LiveTable).total_count >= 2,
            "the crash loop and the pull back-off",
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
