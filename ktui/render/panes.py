"""What the main screen's panes show, per kind: the columns and the cells of each row.

`CHILD_PANES` is keyed by the child kinds of the kind registry (`KindSpec.child_kind`): adding
a kind below a workload is one registry entry plus one entry here (its columns and its row
function). Cells are plain strings, Rich `Text` or `TimeCell` (ages that tick).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text

from ktui.cluster.ownership import owner_refs_of
from ktui.render.cells import (
    HEALTH_STYLE,
    TimeCell,
    badge_keys_text,
    badges_text,
    dim,
    fit_health_text,
    fit_phase_bar,
    health_text,
    phase_bar_text,
    restart_count_text,
    restarts_since,
    short_kind_text,
    status_text,
)
from ktui.view import _json as j
from ktui.view.age import parse_time, since
from ktui.view.children import (
    JobRow,
    controller_revision_rows,
    job_row,
    job_rows,
    replicaset_rows,
    running_duration,
)
from ktui.view.pod import Phase, pod_list_row, pod_row
from ktui.view.stuck import StuckReason
from ktui.view.workload import WorkloadRow, workload_row

Obj = dict[str, Any]
Cell = str | Text | TimeCell
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    min_width: int = 3
    max_width: int = 60
    flexible: bool = False
    """A flexible column takes the width the others leave (at most one per table); it gives up
    width like a column of `shrink` 1 (last, to keep the row's name)."""
    justify: str = "left"
    shrink: int = 0
    """When a row is too wide, columns give up width from the highest `shrink` down, each to its
    `min_width` (0: the column is left out); 0 never shrinks (counts, AGE)."""
    ellipsis: str = "end"
    """Where a cut cell loses text: "end" ("nginx:1…"), or "middle" for generated names whose
    ends tell rows apart ("api-6cf…-fm6sf")."""
    give_first_to: int = 0
    """A long column that gives up width before every other, down to this many cells (0: it
    does not): a free-text column (the problems' REASON) then takes what a wide row leaves, yet
    keeps this much before the other columns shrink on a narrow one."""
    fit: Callable[[Text, int], Text] | None = None
    """The shorter form of a row's cell (given the cell and the column's width), drawn in every
    row while the column is narrower than its widest cell, so the rows read alike: "deploy" for
    "Deployment", a narrower pods bar. What still does not fit is cut as any cell is. Never
    applied to the header's label."""
    fit_searched: bool = False
    """`/` matches the short form too, whatever the width (`/sts` finds the StatefulSets a
    narrow KIND column shows as "sts"); for a `fit` that does not depend on the width."""

    @property
    def shrink_order(self) -> int:
        return self.shrink or (1 if self.flexible else 0)


def name_column(key: str, label: str, max_width: int, shrink: int = 0) -> Column:
    """A column that names the row: it keeps its width longest (unless `shrink` says when it
    gives way) and is shortened in the middle, so two generated names stay apart."""
    return Column(
        key,
        label,
        min_width=14,
        max_width=max_width,
        flexible=True,
        ellipsis="middle",
        shrink=shrink,
    )


def count_text(value: int | None) -> str:
    """A count, or `-` when the object does not say."""
    return "-" if value is None else str(value)


# ---------------------------------------------------------------------- workloads


def workload_columns(all_namespaces: bool) -> list[Column]:
    columns = [name_column("name", "NAME", 48)]
    if all_namespaces:
        columns.append(Column("namespace", "NAMESPACE", min_width=6, max_width=24, shrink=2))
    columns += [
        Column(
            "kind",
            "KIND",
            max_width=11,
            min_width=6,
            shrink=3,
            fit=short_kind_text,
            fit_searched=True,
        ),
        Column("ready", "READY", justify="right"),
        Column("uptodate", "UP-TO-DATE", justify="right", min_width=0, shrink=3),
        Column("available", "AVAILABLE", justify="right", min_width=0, shrink=3),
        Column("health", "HEALTH", min_width=10, shrink=2, fit=fit_health_text),
        # KIND turns to its short name and the bar narrows before HEALTH's reason is cut.
        Column("pods", "PODS", min_width=8, shrink=3, fit=fit_phase_bar),
        Column("images", "IMAGES", max_width=40, min_width=0, shrink=4),
        Column("age", "AGE", justify="right"),
    ]
    return columns


def _ready_text(row: WorkloadRow) -> str:
    """The shared READY cell, saying what it counts where that is not ready pods: a CronJob's
    active Jobs ("1 active") and a Job's completions ("1/1 done")."""
    if row.kind == "CronJob":
        return f"{row.ready} active"
    if row.kind == "Job":
        return f"{row.ready} done"
    return row.ready


def workload_cells(
    obj: Obj,
    phase_counts: Mapping[Phase, int],
    now: datetime,
    *,
    all_namespaces: bool,
    problem: StuckReason | None = None,
) -> Row:
    """A workload's row (any workload kind), with its pods' phases as a bar; `problem` (why its
    rollout is stuck) replaces the HEALTH word."""
    row = workload_row(obj, now)
    cells: list[Cell] = [row.name]
    if all_namespaces:
        cells.append(row.namespace)
    cells += [
        row.kind,
        _ready_text(row),
        count_text(row.up_to_date),
        count_text(row.available),
        health_text(row.health, problem),
        phase_bar_text(phase_counts),
        dim(row.images),
        TimeCell(row.created),
    ]
    return tuple(cells)


def _last_schedule_text(moment: datetime | None, now: datetime) -> str:
    return "<none>" if moment is None else since(moment, now)


def _namespaced(all_namespaces: bool, columns: Sequence[Column]) -> list[Column]:
    """NAME, NAMESPACE (in all namespaces), then `columns`."""
    head = [name_column("name", "NAME", 48)]
    if all_namespaces:
        head.append(Column("namespace", "NAMESPACE", min_width=6, max_width=24, shrink=2))
    return head + list(columns)


CRONJOB_COLUMNS = (
    Column("schedule", "SCHEDULE", min_width=9, max_width=30, shrink=2),
    Column("suspend", "SUSPEND"),
    Column("active", "ACTIVE", justify="right"),
    Column("lastschedule", "LAST SCHEDULE", justify="right"),
    Column("age", "AGE", justify="right"),
)
"""`kubectl get cronjobs`' columns after NAME."""

JOB_COLUMNS = (
    Column("status", "STATUS", min_width=8, max_width=16, shrink=2),
    Column("completions", "COMPLETIONS", justify="right"),
    Column("duration", "DURATION", justify="right"),
    Column("age", "AGE", justify="right"),
)
"""`kubectl get jobs`' columns after NAME (STATUS as kubectl 1.31+ shows it)."""


def workload_columns_for(kind: str | None, all_namespaces: bool) -> list[Column]:
    """The workloads pane's columns when it shows `kind` only (None: every workload kind):
    kubectl's for CronJobs and Jobs, whose counts are not ready pods; the shared ones else."""
    if kind == "CronJob":
        return _namespaced(all_namespaces, CRONJOB_COLUMNS)
    if kind == "Job":
        return _namespaced(all_namespaces, JOB_COLUMNS)
    return workload_columns(all_namespaces)


def workload_cells_for(
    kind: str | None,
    obj: Obj,
    phase_counts: Mapping[Phase, int],
    now: datetime,
    *,
    all_namespaces: bool,
    problem: StuckReason | None = None,
) -> Row:
    """A workload's cells for `workload_columns_for(kind, all_namespaces)`."""
    if kind not in ("CronJob", "Job") or obj.get("kind") != kind:
        return workload_cells(
            obj, phase_counts, now, all_namespaces=all_namespaces, problem=problem
        )
    row = workload_row(obj, now)
    cells: list[Cell] = [row.name]
    if all_namespaces:
        cells.append(row.namespace)
    if kind == "CronJob":
        suspended = j.spec(obj).get("suspend") is True
        last = parse_time(j.status(obj).get("lastScheduleTime"))
        cells += [
            row.schedule or "",
            # As `kubectl get cronjobs` prints it (lower case; describe says True/False).
            Text("true", style=HEALTH_STYLE[row.health]) if suspended else "false",
            str(row.ready_count),
            TimeCell(last, _last_schedule_text),
            TimeCell(row.created),
        ]
    else:
        job = job_row(obj, now)
        cells += [
            Text(job.status, style=HEALTH_STYLE[job.health]),
            job.completions,
            job_duration_cell(job),
            TimeCell(row.created),
        ]
    return tuple(cells)


# ---------------------------------------------------------------------- children


def _current_mark(current: bool) -> Text:
    return Text("● ", style="green") if current else Text("  ")


def replicaset_cells(owner: Obj, children: Sequence[Obj], now: datetime) -> dict[str, Row]:
    return {
        rs.uid: (
            _current_mark(rs.is_current) + Text(rs.name),
            count_text(rs.revision),
            str(rs.desired),
            str(rs.current),
            str(rs.ready),
            dim(rs.images),
            TimeCell(rs.created),
        )
        for rs in replicaset_rows(owner, list(children), now)
    }


def controller_revision_cells(owner: Obj, children: Sequence[Obj], now: datetime) -> dict[str, Row]:
    return {
        cr.uid: (
            _current_mark(cr.is_current) + Text(cr.name),
            count_text(cr.revision),
            dim(cr.images),
            TimeCell(cr.created),
        )
        for cr in controller_revision_rows(owner, list(children), now)
    }


def job_cells(owner: Obj, children: Sequence[Obj], now: datetime) -> dict[str, Row]:
    return {
        job.uid: (
            job.name,
            Text(job.status, style=HEALTH_STYLE[job.health]),
            job.completions,
            job_duration_cell(job),
            TimeCell(job.created),
        )
        for job in job_rows(list(children), now)
    }


def job_duration_cell(job: JobRow) -> Cell:
    """DURATION: fixed once the Job has completed (completionTime - startTime, as kubectl's);
    while it has not, a clock cell from its start, so it grows each second as AGE does (the
    rows are rebuilt only when the Job changes)."""
    if job.start_time is not None and job.completion_time is None:
        return TimeCell(job.start_time, running_duration)
    return job.duration


@dataclass(frozen=True)
class Descending:
    """One part of a tuple sort key that orders the other way round (the later name first)."""

    value: Any

    def __lt__(self, other: Descending) -> bool:
        return bool(other.value < self.value)


@dataclass(frozen=True)
class ChildPane:
    """The middle pane for one child kind."""

    columns: tuple[Column, ...]
    rows: Callable[[Obj, Sequence[Obj], datetime], dict[str, Row]]
    """(the workload, its children of this kind, now) -> uid -> cells."""
    order: Callable[[str, Sequence[object]], Any]
    """The pane's sort (key, row) -> value: the newest first (the highest revision, the
    latest Job), where a user looks during a rollout; names are generated hashes."""


def newest_revision_first(key: str, row: Sequence[object]) -> tuple[int, str]:
    """ReplicaSets and ControllerRevisions by REVISION (the second cell), highest first; a row
    without one ("-") last."""
    revision = _plain_cell(row[1]) if len(row) > 1 else ""
    return (-int(revision) if revision.isdigit() else 1, key)


def newest_created_first(key: str, row: Sequence[object]) -> tuple[float, Descending, str]:
    """Jobs by their AGE cell (the last), the latest first; created in the same second, the
    later name first (a CronJob names its Jobs by the scheduled minute)."""
    cell = row[-1] if row else None
    moment = cell.moment if isinstance(cell, TimeCell) else None
    name = Descending(_plain_cell(row[0]) if row else "")
    return (-moment.timestamp() if moment is not None else float("inf"), name, key)


def _plain_cell(cell: object) -> str:
    return cell if isinstance(cell, str) else cell.plain if isinstance(cell, Text) else ""


CHILD_PANES: dict[str, ChildPane] = {
    "ReplicaSet": ChildPane(
        (
            name_column("name", "REPLICASET", 60),
            Column("revision", "REVISION", justify="right"),
            Column("desired", "DESIRED", justify="right"),
            Column("current", "CURRENT", justify="right"),
            Column("ready", "READY", justify="right"),
            Column("images", "IMAGES", max_width=50, min_width=0, shrink=4),
            Column("age", "AGE", justify="right"),
        ),
        replicaset_cells,
        newest_revision_first,
    ),
    "ControllerRevision": ChildPane(
        (
            name_column("name", "CONTROLLERREVISION", 60),
            Column("revision", "REVISION", justify="right"),
            Column("images", "IMAGES", max_width=60, min_width=0, shrink=4),
            Column("age", "AGE", justify="right"),
        ),
        controller_revision_cells,
        newest_revision_first,
    ),
    "Job": ChildPane(
        (
            name_column("name", "JOB", 60),
            Column("status", "STATUS"),
            Column("completions", "COMPLETIONS", justify="right"),
            Column("duration", "DURATION", justify="right"),
            Column("age", "AGE", justify="right"),
        ),
        job_cells,
        newest_created_first,
    ),
}
"""child kind -> its pane; the keys are the registry's child kinds (a test checks it)."""


# ---------------------------------------------------------------------- pods

STATUS_COLUMN = Column("status", "STATUS", min_width=8, max_width=26, shrink=1)
"""A pod's STATUS gives up width last, after the pod's name (shortened in the middle, it keeps
its ends): `Init:CrashLoopBackOff` and `Init:Error` must read apart."""
RESTARTS_COLUMN = Column("restarts", "RESTARTS", max_width=18, shrink=2, fit=restart_count_text)
"""Cut, the restarts keep their count and drop "(28s ago)"."""

POD_COLUMNS = (
    name_column("name", "POD", 60, shrink=2),
    Column("ready", "READY", justify="right"),
    STATUS_COLUMN,
    Column("containers", "CONTAINERS", min_width=5, max_width=24, shrink=2),
    RESTARTS_COLUMN,
    Column("age", "AGE", justify="right"),
    Column("node", "NODE", max_width=24, min_width=0, shrink=3),
    Column("ip", "IP", max_width=16, min_width=0, shrink=3),
)


def pod_cells(pod: Obj, now: datetime) -> Row:
    """The pods pane's cells of one pod."""
    row = pod_row(pod, now)
    return (
        row.name,
        row.ready,
        status_text(row.status, row.severity),
        badges_text(row.badges),
        TimeCell(row.last_restart, restarts_since(row.restarts)),
        TimeCell(row.created),
        dim(row.node) if row.node == "<none>" else row.node,
        row.ip,
    )


# ---------------------------------------------------------------------- the Pods view


def pod_view_columns(all_namespaces: bool) -> list[Column]:
    """The Pods view (`:pods`): kubectl's `get pods -o wide` columns, the owner, the badges."""
    columns = [name_column("name", "NAME", 60, shrink=2)]
    if all_namespaces:
        columns.append(Column("namespace", "NAMESPACE", min_width=6, max_width=24, shrink=2))
    columns += [
        Column("ready", "READY", justify="right"),
        STATUS_COLUMN,
        RESTARTS_COLUMN,
        Column("age", "AGE", justify="right"),
        Column("ip", "IP", max_width=16, min_width=0, shrink=3),
        Column("node", "NODE", max_width=24, min_width=0, shrink=3),
        Column("owner", "OWNER", max_width=40, min_width=0, shrink=3),
        Column("containers", "CONTAINERS", min_width=5, max_width=24, shrink=2),
    ]
    return columns


def owner_text(obj: Obj) -> str:
    """ "Kind/name" of the owner an object names as its controller (else its first owner), as
    written in its ownerReferences, whatever that kind is; "-" for none."""
    refs = owner_refs_of(obj)
    ref = next((r for r in refs if r.controller), refs[0] if refs else None)
    return "-" if ref is None else f"{ref.kind}/{ref.name}"


def pod_view_cells(pod: Obj, now: datetime, *, all_namespaces: bool) -> Row:
    """A pod's row in the Pods view (built for every pod of every batch: from `pod_list_row`,
    the fields of `pod_row` that it draws; `now` is not read, the time cells tick)."""
    row = pod_list_row(pod)
    owner = owner_text(pod)
    rest = (
        row.ready,
        status_text(row.status, row.severity),
        TimeCell(row.last_restart, restarts_since(row.restarts)),
        TimeCell(row.created),
        row.ip,
        dim(row.node) if row.node == "<none>" else row.node,
        dim(owner) if owner == "-" else owner,
        badge_keys_text(row.badges),
    )
    return (row.name, row.namespace, *rest) if all_namespaces else (row.name, *rest)
