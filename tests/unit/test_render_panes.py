"""The main screen's panes per kind: columns and cells, derived from the kind registry."""

from __future__ import annotations

import pods_fixtures as fx
from render_support import has_style
from rich.text import Text
from test_view_workload import cronjob, deployment, job

from ktui.cluster.kinds import ALL_KINDS, CHILD_KINDS, REVISION_KINDS
from ktui.render.cells import TimeCell
from ktui.render.panes import (
    CHILD_PANES,
    POD_COLUMNS,
    pod_cells,
    workload_cells,
    workload_cells_for,
    workload_columns,
    workload_columns_for,
)
from ktui.view.pod import Phase

NOW = fx.NOW


def cell_text(cell: str | Text | TimeCell) -> str:
    if isinstance(cell, TimeCell):
        return cell.text(NOW).plain
    return cell if isinstance(cell, str) else cell.plain


def test_every_child_kind_of_the_registry_has_a_pane() -> None:
    assert set(CHILD_PANES) == set(CHILD_KINDS)
    for spec in ALL_KINDS:
        if spec.child_kind is not None:
            assert spec.child_kind in CHILD_PANES, spec.kind


def test_revision_kinds_are_the_child_kinds_of_the_rollout_kinds() -> None:
    # Derived from the registry (the model and the rollout screen read it), not a second table.
    assert REVISION_KINDS == ("ReplicaSet", "ControllerRevision")


def test_workload_cells_match_the_columns() -> None:
    counts = dict.fromkeys(Phase, 0) | {Phase.RUNNING: 2, Phase.PENDING: 1}
    for all_namespaces in (False, True):
        columns = workload_columns(all_namespaces)
        cells = workload_cells(deployment(), counts, NOW, all_namespaces=all_namespaces)
        assert len(cells) == len(columns)
        by_key = {c.key: cell_text(cell) for c, cell in zip(columns, cells, strict=True)}
        assert by_key["name"] == "web"
        assert by_key["kind"] == "Deployment"
        assert by_key["ready"] == "3/3"
        assert by_key["age"] == "3d"
        assert by_key["pods"].endswith("3")
        assert ("namespace" in by_key) is all_namespaces


def _cells_by_label(kind: str | None, obj: dict[str, object]) -> dict[str, str]:
    columns = workload_columns_for(kind, all_namespaces=True)
    cells = workload_cells_for(kind, obj, {}, NOW, all_namespaces=True)
    assert len(cells) == len(columns)
    return {c.label: cell_text(cell) for c, cell in zip(columns, cells, strict=True)}


def test_cronjobs_alone_show_kubectls_columns() -> None:
    scheduled = cronjob(active=1, lastScheduleTime=fx.ts(300))
    assert _cells_by_label("CronJob", scheduled) == {
        "NAME": "backup",
        "NAMESPACE": "shop",
        "SCHEDULE": "*/30 * * * *",
        "SUSPEND": "false",  # as kubectl get prints it
        "ACTIVE": "1",
        "LAST SCHEDULE": "5m",
        "AGE": "24h",
    }
    never = _cells_by_label("CronJob", cronjob(suspend=True))
    assert (never["SUSPEND"], never["ACTIVE"], never["LAST SCHEDULE"]) == ("true", "0", "<none>")


def test_jobs_alone_show_kubectls_columns() -> None:
    done = job(
        succeeded=1,
        startTime=fx.ts(600),
        completionTime=fx.ts(540),
        conditions=[{"type": "Complete", "status": "True"}],
    )
    assert _cells_by_label("Job", done) == {
        "NAME": "backup-28991520",
        "NAMESPACE": "shop",
        "STATUS": "Complete",
        "COMPLETIONS": "1/1",
        "DURATION": "60s",
        "AGE": "10m",
    }


def test_other_kinds_keep_the_shared_columns() -> None:
    for kind in (None, "Deployment", "StatefulSet", "DaemonSet"):
        assert workload_columns_for(kind, all_namespaces=False) == workload_columns(False)
    assert workload_cells_for(None, deployment(), {}, NOW, all_namespaces=False) == (
        workload_cells(deployment(), {}, NOW, all_namespaces=False)
    )


def test_the_shared_ready_cell_says_what_a_cronjob_or_job_counts() -> None:
    ready = {
        "cronjob": _cells_by_label(None, cronjob(active=1))["READY"],
        "job": _cells_by_label(None, job(succeeded=1))["READY"],
        "deployment": _cells_by_label(None, deployment())["READY"],
    }
    assert ready == {"cronjob": "1 active", "job": "1/1 done", "deployment": "3/3"}


def test_pod_cells_show_kubectls_status_in_its_colour() -> None:
    cells = pod_cells(fx.crash_loop_back_off(), NOW)
    assert len(cells) == len(POD_COLUMNS)
    status = cells[[c.key for c in POD_COLUMNS].index("status")]
    assert isinstance(status, Text)
    assert status.plain == "CrashLoopBackOff"
    assert has_style(status, "CrashLoopBackOff", "red")
