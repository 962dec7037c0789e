"""Rows for the second pane: a workload's ReplicaSets, ControllerRevisions or Jobs.

Which ReplicaSet is current: the one whose pod template equals the Deployment's, ignoring the
`pod-template-hash` label. That is the deployment controller's own rule (FindNewReplicaSet with
EqualIgnoreHash; the oldest match wins), so the marker agrees with what the controller and
`kubectl rollout` act on. "Highest revision" is not used because it lags: after a template change
or a `rollout undo`, the highest revision still names the previous ReplicaSet until the controller
has synced and stamped the new (or re-used) one with the next revision. When no ReplicaSet matches
(the controller has not created the new one yet, or a paused Deployment's template changed), no row
is current.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ktui.view import _json as j
from ktui.view.age import age, human_duration, parse_time, seconds_between
from ktui.view.images import container_images, pod_template
from ktui.view.workload import Health, health, job_completions

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"


def revision_of(resource: j.Obj) -> int | None:
    """A ReplicaSet's revision from its deployment.kubernetes.io/revision annotation."""
    raw = j.obj(j.meta(resource).get("annotations")).get(REVISION_ANNOTATION)
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _semantic(value: Any) -> Any:
    """Normalise JSON for comparison the way apimachinery's semantic DeepEqual treats Go values:
    an omitted field, null, an empty list and an empty object are all the same zero value."""
    if isinstance(value, dict):
        cleaned = {key: _semantic(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, {}, [])}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _template_without_hash(template: j.Obj) -> Any:
    plain = _semantic(dict(template))
    labels = plain.get("metadata", {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(POD_TEMPLATE_HASH_LABEL, None)
    return _semantic(plain)


def templates_equal_ignoring_hash(left: j.Obj, right: j.Obj) -> bool:
    """The deployment controller's EqualIgnoreHash on two pod templates."""
    return bool(_template_without_hash(left) == _template_without_hash(right))


def _created_key(resource: j.Obj) -> float:
    created = parse_time(j.meta(resource).get("creationTimestamp"))
    return created.timestamp() if created is not None else float("inf")


def current_replicaset_name(deployment: j.Obj, replicasets: Iterable[j.Obj]) -> str | None:
    """Name of the Deployment's new ReplicaSet: the oldest one whose template matches."""
    wanted = pod_template(deployment)
    matching = [rs for rs in replicasets if templates_equal_ignoring_hash(pod_template(rs), wanted)]
    if not matching:
        return None
    # ReplicaSetsByCreationTimestamp: oldest first, name breaking ties.
    matching.sort(key=lambda rs: (_created_key(rs), j.name(rs)))
    return j.name(matching[0])


@dataclass(frozen=True)
class ReplicaSetRow:
    name: str
    namespace: str
    uid: str
    revision: int | None
    desired: int
    current: int
    ready: int
    available: int
    images: str
    age: str
    created: datetime | None
    is_current: bool
    health: Health


def replicaset_row(replicaset: j.Obj, now: datetime, is_current: bool = False) -> ReplicaSetRow:
    spec = j.spec(replicaset)
    status = j.status(replicaset)
    metadata = j.meta(replicaset)
    replicas = j.opt_integer(spec.get("replicas"))
    creation = metadata.get("creationTimestamp")
    return ReplicaSetRow(
        name=j.text(metadata.get("name")),
        namespace=j.text(metadata.get("namespace")),
        uid=j.text(metadata.get("uid")),
        revision=revision_of(replicaset),
        desired=1 if replicas is None else replicas,
        current=j.integer(status.get("replicas")),
        ready=j.integer(status.get("readyReplicas")),
        available=j.integer(status.get("availableReplicas")),
        images=",".join(container_images(pod_template(replicaset))),
        age=age(j.text(creation) or None, now),
        created=parse_time(creation),
        is_current=is_current,
        health=health({**replicaset, "kind": "ReplicaSet"}),
    )


def _newest_first(row_revision: int | None, created: datetime | None, name: str) -> tuple[Any, ...]:
    return (
        -(row_revision if row_revision is not None else -1),
        -(created.timestamp() if created is not None else 0.0),
        name,
    )


def replicaset_rows(
    deployment: j.Obj, replicasets: Iterable[j.Obj], now: datetime
) -> list[ReplicaSetRow]:
    """Rows for a Deployment's ReplicaSets, highest revision first, the current one flagged."""
    items = list(replicasets)
    current = current_replicaset_name(deployment, items)
    rows = [replicaset_row(rs, now, is_current=j.name(rs) == current) for rs in items]
    rows.sort(key=lambda row: _newest_first(row.revision, row.created, row.name))
    return rows


@dataclass(frozen=True)
class ControllerRevisionRow:
    name: str
    namespace: str
    uid: str
    revision: int | None
    images: str
    age: str
    created: datetime | None
    # The revision pods are rolled to: StatefulSet status.updateRevision, DaemonSet's highest.
    is_current: bool
    # StatefulSet only: status.currentRevision while it differs from updateRevision, i.e. the
    # revision the remaining old pods still run.
    is_outgoing: bool


def controller_revision_rows(
    owner: j.Obj, revisions: Iterable[j.Obj], now: datetime
) -> list[ControllerRevisionRow]:
    """Rows for a StatefulSet's or DaemonSet's ControllerRevisions, highest revision first.

    For a StatefulSet the current revision is the one named by status.updateRevision (the highest
    revision if the status does not name one yet); for a DaemonSet, whose status names none, it is
    the highest revision, which is the one the DaemonSet controller keeps for the live template.
    """
    items = list(revisions)
    numbers = [j.opt_integer(item.get("revision")) for item in items]
    highest = max((number for number in numbers if number is not None), default=None)
    status = j.status(owner)
    update_revision = j.text(status.get("updateRevision"))
    current_revision = j.text(status.get("currentRevision"))
    use_status = owner.get("kind") == "StatefulSet" and bool(update_revision)
    rows: list[ControllerRevisionRow] = []
    for item, number in zip(items, numbers, strict=True):
        metadata = j.meta(item)
        item_name = j.text(metadata.get("name"))
        if use_status:
            is_current = item_name == update_revision
            is_outgoing = item_name == current_revision and current_revision != update_revision
        else:
            is_current = number is not None and number == highest
            is_outgoing = False
        creation = metadata.get("creationTimestamp")
        rows.append(
            ControllerRevisionRow(
                name=item_name,
                namespace=j.text(metadata.get("namespace")),
                uid=j.text(metadata.get("uid")),
                revision=number,
                images=",".join(container_images(pod_template(item))),
                age=age(j.text(creation) or None, now),
                created=parse_time(creation),
                is_current=is_current,
                is_outgoing=is_outgoing,
            )
        )
    rows.sort(key=lambda row: _newest_first(row.revision, row.created, row.name))
    return rows


def current_child_uid(owner: j.Obj, children: Iterable[j.Obj]) -> str | None:
    """The uid of the child the second pane marks current: a Deployment's new ReplicaSet, a
    StatefulSet's or DaemonSet's current ControllerRevision; None for other owners or when no
    child is current."""
    items = list(children)
    kind = owner.get("kind")
    if kind == "Deployment":
        replicasets = [c for c in items if c.get("kind") == "ReplicaSet"]
        name = current_replicaset_name(owner, replicasets)
        found = next((rs for rs in replicasets if j.name(rs) == name), None)
        if found is None:
            return None
        return j.text(j.meta(found).get("uid")) or None
    if kind in ("StatefulSet", "DaemonSet"):
        revisions = [c for c in items if c.get("kind") == "ControllerRevision"]
        # Which row is current does not depend on the time; the rows' ages are not used.
        rows = controller_revision_rows(owner, revisions, _EPOCH)
        return next((row.uid for row in rows if row.is_current and row.uid), None)
    return None


def child_revision(child: j.Obj) -> int | None:
    """The revision a ReplicaSet or ControllerRevision holds (None for other kinds)."""
    if child.get("kind") == "ReplicaSet":
        return revision_of(child)
    if child.get("kind") == "ControllerRevision":
        return j.opt_integer(child.get("revision"))
    return None


def job_status(job: j.Obj) -> str:
    """The STATUS column of `kubectl get jobs` (v1.32 printJob)."""
    conditions = j.status(job).get("conditions")
    if _job_condition(conditions, "Complete"):
        return "Complete"
    if _job_condition(conditions, "Failed"):
        return "Failed"
    if j.meta(job).get("deletionTimestamp") is not None:
        return "Terminating"
    if _job_condition(conditions, "Suspended"):
        return "Suspended"
    if _job_condition(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_condition(conditions: Any, condition_type: str) -> bool:
    # printers.go hasJobCondition: the first condition of the type decides.
    found = j.condition(conditions, condition_type)
    return found is not None and found.get("status") == "True"


def job_duration(job: j.Obj, now: datetime) -> str:
    """kubectl's DURATION: start to completion, or start to now while running; "" if not started."""
    status = j.status(job)
    started = parse_time(status.get("startTime"))
    if started is None:
        return ""
    completed = parse_time(status.get("completionTime"))
    end = completed if completed is not None else now
    return human_duration(seconds_between(started, end))


def running_duration(started: datetime | None, now: datetime) -> str:
    """A Job's DURATION while it has no completionTime: its start to now ("" if not started);
    drawn anew each second, as AGE is."""
    return human_duration(seconds_between(started, now)) if started is not None else ""


@dataclass(frozen=True)
class JobRow:
    name: str
    namespace: str
    uid: str
    status: str  # kubectl's: Complete, Failed, Terminating, Suspended, FailureTarget, Running
    completions: str  # "1/1"
    duration: str
    age: str
    created: datetime | None
    start_time: datetime | None
    completion_time: datetime | None
    health: Health


def job_row(job: j.Obj, now: datetime) -> JobRow:
    metadata = j.meta(job)
    status = j.status(job)
    creation = metadata.get("creationTimestamp")
    return JobRow(
        name=j.text(metadata.get("name")),
        namespace=j.text(metadata.get("namespace")),
        uid=j.text(metadata.get("uid")),
        status=job_status(job),
        completions=job_completions(job),
        duration=job_duration(job, now),
        age=age(j.text(creation) or None, now),
        created=parse_time(creation),
        start_time=parse_time(status.get("startTime")),
        completion_time=parse_time(status.get("completionTime")),
        health=health({**job, "kind": "Job"}),
    )


def job_rows(jobs: Iterable[j.Obj], now: datetime) -> list[JobRow]:
    """Rows for a CronJob's Jobs, newest first."""
    rows = [job_row(job, now) for job in jobs]
    rows.sort(key=lambda row: _newest_first(None, row.created, row.name))
    return rows


def newest(resources: Iterable[j.Obj]) -> j.Obj | None:
    """The most recently created of `resources` (the later name on a tie: a CronJob's Jobs
    are named by their scheduled minute), or None. `l` on a CronJob opens its latest run."""

    def created_then_name(resource: j.Obj) -> tuple[float, str]:
        created = parse_time(j.meta(resource).get("creationTimestamp"))
        moment = created.timestamp() if created is not None else float("-inf")
        return (moment, j.text(j.meta(resource).get("name")))

    return max(resources, key=created_then_name, default=None)
