"""The main screen's panes per kind: columns and cells, derived from the kind registry."""

from __future__ import annotations

import pods_fixtures as fx
from render_support import has_style
from rich.text import Text
from test_view_workload import deployment

from ktui.cluster.kinds import ALL_KINDS, CHILD_KINDS
from ktui.render.cells import TimeCell
from ktui.render.panes import (
    CHILD_PANES,
    POD_COLUMNS,
    pod_cells,
    workload_cells,
    workload_columns,
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


def test_pod_cells_show_kubectls_status_in_its_colour() -> None:
    cells = pod_cells(fx.crash_loop_back_off(), NOW)
    assert len(cells) == len(POD_COLUMNS)
    status = cells[[c.key for c in POD_COLUMNS].index("status")]
    assert isinstance(status, Text)
    assert status.plain == "CrashLoopBackOff"
    assert has_style(status, "CrashLoopBackOff", "red")
