"""The middle pane lists a workload's ReplicaSets newest revision first (their names are
hashes: name order told nothing), and a CronJob's Jobs the latest first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ui_support import deployment, pod, replicaset, wait_for

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
