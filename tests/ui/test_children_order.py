"""The middle pane lists a workload's ReplicaSets newest revision first (their names are
hashes: name order told nothing), and a CronJob's Jobs the latest first; a ControllerRevision
lists the pods made from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from ui_support import deployment, owner_ref, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.render.cells import TimeCell
from ktui.render.panes import newest_created_first, newest_revision_first
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.screens.main import MainScreen


async def test_replicasets_are_listed_newest_revision_first(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    # Name order (aaa, mmm, zzz) is none of the revision orders.
    for template_hash, revision in (("mmm11", 1), ("zzz22", 3), ("aaa33", 2), ("ccc44", 10)):
        rs = store.create("apps", "replicasets", replicaset(web, template_hash, revision))
    store.create("", "pods", pod(rs, "p1"))
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.children_table.total_count == 4, "the ReplicaSets")
        names = [
            str(main.children_table.row(k)[0]).strip("● ")
            for k in main.children_table.ordered_keys()
        ]
        assert names == ["web-ccc44", "web-zzz22", "web-aaa33", "web-mmm11"]


def test_the_orders_of_the_middle_panes() -> None:
    assert newest_revision_first("a", ("x", "10")) < newest_revision_first("b", ("y", "9"))
    assert newest_revision_first("a", ("x", "1")) < newest_revision_first("b", ("y", "-"))
    early = TimeCell(datetime(2026, 1, 1, tzinfo=UTC))
    late = TimeCell(datetime(2026, 1, 2, tzinfo=UTC))
    assert newest_created_first("a", ("j1", late)) < newest_created_first("b", ("j2", early))
    assert newest_created_first("a", ("j1", early)) < newest_created_first("b", ("j2", None))


def statefulset(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 2,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
            },
        },
    }


def revision(owner: dict[str, Any], name: str, number: int, label: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": owner["metadata"]["name"], "controller-revision-hash": label},
            "ownerReferences": [owner_ref(owner)],
        },
        "revision": number,
        "data": {"spec": {"template": owner["spec"]["template"]}},
    }


def revision_pod(owner: dict[str, Any], name: str, revision_hash: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": owner["metadata"]["name"], "controller-revision-hash": revision_hash},
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
    }


@pytest.mark.parametrize("daemonset_style", [False, True])
async def test_a_controller_revisions_pods_are_those_made_from_it(
    sim: SimServer, connect_to: Callable[..., Connection], daemonset_style: bool
) -> None:
    """A StatefulSet's pods carry their revision's name in controller-revision-hash, a
    DaemonSet's the revision's hash label; either way `tab` onto the revision lists its
    pods (the StatefulSet owns them: ownership alone found none)."""
    store = sim.store
    db = store.create("apps", "statefulsets", statefulset("db"))
    hashes = {"db-7d9f8c6b5a": "7d9f8c6b5a", "db-5c4b3a2910": "5c4b3a2910"}
    store.create("apps", "controllerrevisions", revision(db, "db-5c4b3a2910", 1, "5c4b3a2910"))
    store.create("apps", "controllerrevisions", revision(db, "db-7d9f8c6b5a", 2, "7d9f8c6b5a"))

    def value(name: str) -> str:
        return hashes[name] if daemonset_style else name

    store.create("", "pods", revision_pod(db, "db-0", value("db-5c4b3a2910")))
    store.create("", "pods", revision_pod(db, "db-1", value("db-7d9f8c6b5a")))
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        children = main.children_table
        await wait_for(pilot, lambda: children.total_count == 2, "the revisions")
        await wait_for(pilot, lambda: main.pods.total_count == 2, "both pods of the set")
        await pilot.press("tab")
        assert app.screen.focused is children
        children.move_cursor_to_key(children.ordered_keys()[0])  # revision 2, the newest
        await wait_for(pilot, lambda: main.pods.total_count == 1, "revision 2's pod")
        assert [str(main.pods.row(k)[0]) for k in main.pods.ordered_keys()] == ["db-1"]
        await pilot.press("j")  # revision 1
        await wait_for(
            pilot,
            lambda: [str(main.pods.row(k)[0]) for k in main.pods.ordered_keys()] == ["db-0"],
            "revision 1's pod",
        )
