"""Workloads (Deployment, StatefulSet, DaemonSet, Job, CronJob) as rows of the first pane."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ktui.view import _json as j
from ktui.view.age import age, parse_time
from ktui.view.images import images_text
from ktui.view.pod import Phase, phase_counts

# Progressing-condition reasons the deployment controller sets while a rollout is under way
# (pkg/controller/deployment/util); NewReplicaSetAvailable means the rollout has finished.
_ROLLOUT_UNDER_WAY_REASONS = frozenset(
    {"NewReplicaSetCreated", "FoundNewReplicaSet", "ReplicaSetUpdated"}
)
PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"

# Segments of a phase bar, left to right: what is fine first, what needs attention last.
PHASE_BAR_ORDER = (Phase.RUNNING, Phase.SUCCEEDED, Phase.PENDING, Phase.FAILED, Phase.UNKNOWN)


class Health(StrEnum):
    HEALTHY = "healthy"
    PROGRESSING = "progressing"  # a rollout or a run is under way
    DEGRADED = "degraded"  # fewer pods ready/available than wanted, and no rollout explains it
    PAUSED = "paused"  # Deployment with spec.paused
    COMPLETE = "complete"  # Job finished successfully
    FAILED = "failed"  # Job failed, or Deployment past its progress deadline
    SUSPENDED = "suspended"  # Job or CronJob with spec.suspend
    UNKNOWN = "unknown"  # no status yet, or a kind this module does not know


def _desired_replicas(spec: j.Obj) -> int:
    # spec.replicas defaults to 1 for Deployments, StatefulSets and ReplicaSets.
    replicas = j.opt_integer(spec.get("replicas"))
    return 1 if replicas is None else replicas


def _generation_pending(resource: j.Obj, status: j.Obj) -> bool:
    generation = j.opt_integer(j.meta(resource).get("generation"))
    observed = j.opt_integer(status.get("observedGeneration"))
    if generation is None:
        return False
    return observed is None or observed < generation


def _deployment_health(resource: j.Obj, spec: j.Obj, status: j.Obj) -> Health:
    if spec.get("paused") is True:
        return Health.PAUSED
    conditions = status.get("conditions")
    progressing = j.condition(conditions, "Progressing")
    if (
        progressing is not None
        and progressing.get("status") == "False"
        and progressing.get("reason") == PROGRESS_DEADLINE_EXCEEDED
    ):
        return Health.FAILED
    desired = _desired_replicas(spec)
    replicas = j.integer(status.get("replicas"))
    updated = j.integer(status.get("updatedReplicas"))
    available = j.integer(status.get("availableReplicas"))
    if _generation_pending(resource, status) or updated < desired or replicas > updated:
        return Health.PROGRESSING
    available_condition = j.condition(conditions, "Available")
    short = available < desired or (
        available_condition is not None and available_condition.get("status") == "False"
    )
    if short:
        # New pods of a rollout that are not available yet are progress, not degradation.
        if (
            progressing is not None
            and progressing.get("status") == "True"
            and progressing.get("reason") in _ROLLOUT_UNDER_WAY_REASONS
        ):
            return Health.PROGRESSING
        return Health.DEGRADED
    return Health.HEALTHY


def _statefulset_health(resource: j.Obj, spec: j.Obj, status: j.Obj) -> Health:
    desired = _desired_replicas(spec)
    if _generation_pending(resource, status):
        return Health.PROGRESSING
    updated = j.integer(status.get("updatedReplicas"))
    strategy = j.obj(spec.get("updateStrategy"))
    partition = j.integer(j.obj(strategy.get("rollingUpdate")).get("partition"))
    if j.text(strategy.get("type")) in ("", "RollingUpdate") and partition > 0:
        # A partitioned rollout is done once every ordinal at or above the partition is updated
        # (kubectl rollout status); the revisions stay different on purpose.
        if updated < desired - partition:
            return Health.PROGRESSING
    else:
        update_revision = j.text(status.get("updateRevision"))
        current_revision = j.text(status.get("currentRevision"))
        if (update_revision and current_revision and update_revision != current_revision) or (
            updated < desired
        ):
            return Health.PROGRESSING
    if j.integer(status.get("readyReplicas")) < desired:
        return Health.DEGRADED
    return Health.HEALTHY


def _daemonset_health(resource: j.Obj, status: j.Obj) -> Health:
    desired = j.integer(status.get("desiredNumberScheduled"))
    if _generation_pending(resource, status):
        return Health.PROGRESSING
    if j.integer(status.get("updatedNumberScheduled")) < desired:
        return Health.PROGRESSING
    if (
        j.integer(status.get("numberAvailable")) < desired
        or j.integer(status.get("numberReady")) < desired
        or j.integer(status.get("numberMisscheduled")) > 0
    ):
        return Health.DEGRADED
    return Health.HEALTHY


def _job_health(spec: j.Obj, status: j.Obj) -> Health:
    conditions = status.get("conditions")
    if j.condition_is_true(conditions, "Complete"):
        return Health.COMPLETE
    if j.condition_is_true(conditions, "Failed") or j.condition_is_true(
        conditions, "FailureTarget"
    ):
        return Health.FAILED
    if spec.get("suspend") is True or j.condition_is_true(conditions, "Suspended"):
        return Health.SUSPENDED
    if j.integer(status.get("failed")) > 0:
        # Still retrying within its backoffLimit, but pods have failed.
        return Health.DEGRADED
    return Health.PROGRESSING


def _cronjob_health(spec: j.Obj, status: j.Obj) -> Health:
    if spec.get("suspend") is True:
        return Health.SUSPENDED
    if j.objs(status.get("active")):
        return Health.PROGRESSING
    return Health.HEALTHY


def _replicaset_health(resource: j.Obj, spec: j.Obj, status: j.Obj) -> Health:
    if _generation_pending(resource, status):
        return Health.PROGRESSING
    if j.integer(status.get("readyReplicas")) < _desired_replicas(spec):
        return Health.DEGRADED
    return Health.HEALTHY


def health(resource: j.Obj) -> Health:
    """Summarise a workload's state from its spec and status, checked in this order:

    Deployment: paused -> PAUSED; Progressing=False/ProgressDeadlineExceeded -> FAILED;
      observedGeneration < generation, updated < desired, or old replicas still present
      (status.replicas > updatedReplicas) -> PROGRESSING; available < desired or Available=False
      -> DEGRADED, unless the Progressing condition says a rollout is under way -> PROGRESSING.
    StatefulSet: observedGeneration < generation -> PROGRESSING; with a partitioned RollingUpdate,
      updated < replicas - partition -> PROGRESSING; otherwise updateRevision != currentRevision or
      updated < replicas -> PROGRESSING; ready < replicas -> DEGRADED.
    DaemonSet: observedGeneration < generation or updatedNumberScheduled < desiredNumberScheduled
      -> PROGRESSING; numberAvailable or numberReady < desired, or numberMisscheduled > 0
      -> DEGRADED.
    Job: Complete -> COMPLETE; Failed or FailureTarget -> FAILED; suspended -> SUSPENDED; some pods
      failed -> DEGRADED; else PROGRESSING.
    CronJob: suspended -> SUSPENDED; active jobs -> PROGRESSING; else HEALTHY.
    ReplicaSet: observedGeneration < generation -> PROGRESSING; ready < replicas -> DEGRADED.
    No status object, or another kind -> UNKNOWN.
    """
    raw_status = resource.get("status")
    if not isinstance(raw_status, Mapping):
        return Health.UNKNOWN
    status = raw_status
    spec = j.spec(resource)
    kind = resource.get("kind")
    if kind == "Deployment":
        return _deployment_health(resource, spec, status)
    if kind == "StatefulSet":
        return _statefulset_health(resource, spec, status)
    if kind == "DaemonSet":
        return _daemonset_health(resource, status)
    if kind == "Job":
        return _job_health(spec, status)
    if kind == "CronJob":
        return _cronjob_health(spec, status)
    if kind == "ReplicaSet":
        return _replicaset_health(resource, spec, status)
    return Health.UNKNOWN


def job_completions(job: j.Obj) -> str:
    """kubectl's COMPLETIONS cell: "1/3", or "0/1 of 4" for a work queue with parallelism 4."""
    spec = j.spec(job)
    succeeded = j.integer(j.status(job).get("succeeded"))
    completions = j.opt_integer(spec.get("completions"))
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = j.integer(spec.get("parallelism"))
    if parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


# Status counts that a supported server (kube-apiserver 1.20 and later) may not know: 1.20 has
# no StatefulSet status.availableReplicas (added in 1.22), so it never sends it.
_NEWER_COUNTS: Mapping[str, frozenset[str]] = {"StatefulSet": frozenset({"availableReplicas"})}


def _opt_count(kind: str, status: j.Obj, field_name: str) -> int | None:
    """A status count, or None when the server does not say it.

    The API leaves zero counts out (omitempty), so an absent count is 0 only where the server
    said so: its controller has written the status (observedGeneration is set) and the field
    exists in every supported API version. Otherwise it is not reported, never 0: a StatefulSet
    on kube-apiserver 1.20 with 3/3 ready is not "0 available".
    """
    value = j.opt_integer(status.get(field_name))
    if value is not None:
        return value
    if field_name in status or field_name in _NEWER_COUNTS.get(kind, ()):
        return None  # present but not a count, or a field this server may not have
    return 0 if j.opt_integer(status.get("observedGeneration")) is not None else None


def _count_text(value: int | None) -> str:
    return "-" if value is None else str(value)


@dataclass(frozen=True)
class WorkloadRow:
    kind: str
    name: str
    namespace: str
    uid: str
    ready: str  # "2/3", "-/3" when not reported; Job: COMPLETIONS ("1/1"); CronJob: active Jobs
    ready_count: int  # ready pods; Job: succeeded; CronJob: active Jobs
    desired: int | None  # None where the kind has no fixed target (work-queue Job, CronJob)
    up_to_date: int | None  # None when the status does not report it, and for Job and CronJob
    available: int | None  # None when the status does not report it, and for Job and CronJob
    health: Health
    images: str
    age: str
    created: datetime | None
    phase_counts: dict[Phase, int] = field(default_factory=lambda: dict.fromkeys(Phase, 0))
    schedule: str | None = None  # CronJob only
    last_schedule: str | None = None  # CronJob only: age of status.lastScheduleTime

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


def workload_row(resource: j.Obj, now: datetime, pods: Iterable[j.Obj] = ()) -> WorkloadRow:
    """The row for a Deployment, StatefulSet, DaemonSet, Job or CronJob.

    `pods` are the pods the caller attributes to this workload; only their phases are counted.
    Raises ValueError for any other kind.
    """
    kind = j.text(resource.get("kind"))
    spec = j.spec(resource)
    status = j.status(resource)
    metadata = j.meta(resource)
    schedule: str | None = None
    last_schedule: str | None = None
    if kind in ("Deployment", "StatefulSet"):
        desired: int | None = _desired_replicas(spec)
        ready_count = j.integer(status.get("readyReplicas"))
        ready = f"{_count_text(_opt_count(kind, status, 'readyReplicas'))}/{desired}"
        up_to_date: int | None = _opt_count(kind, status, "updatedReplicas")
        available: int | None = _opt_count(kind, status, "availableReplicas")
    elif kind == "DaemonSet":
        desired = _opt_count(kind, status, "desiredNumberScheduled")
        ready_count = j.integer(status.get("numberReady"))
        ready = f"{_count_text(_opt_count(kind, status, 'numberReady'))}/{_count_text(desired)}"
        up_to_date = _opt_count(kind, status, "updatedNumberScheduled")
        available = _opt_count(kind, status, "numberAvailable")
    elif kind == "Job":
        desired = j.opt_integer(spec.get("completions"))
        ready_count = j.integer(status.get("succeeded"))
        ready = job_completions(resource)
        up_to_date = available = None
    elif kind == "CronJob":
        desired = None
        ready_count = len(j.objs(status.get("active")))
        ready = str(ready_count)
        up_to_date = available = None
        schedule = j.text(spec.get("schedule"))
        last_scheduled = status.get("lastScheduleTime")
        last_schedule = age(j.text(last_scheduled), now) if last_scheduled else "<none>"
    else:
        raise ValueError(f"unsupported workload kind: {kind or '<missing>'}")
    creation = metadata.get("creationTimestamp")
    return WorkloadRow(
        kind=kind,
        name=j.text(metadata.get("name")),
        namespace=j.text(metadata.get("namespace")),
        uid=j.text(metadata.get("uid")),
        ready=ready,
        ready_count=ready_count,
        desired=desired,
        up_to_date=up_to_date,
        available=available,
        health=health(resource),
        images=images_text(resource),
        age=age(j.text(creation) or None, now),
        created=parse_time(creation),
        phase_counts=phase_counts(pods),
        schedule=schedule,
        last_schedule=last_schedule,
    )


def phase_bar(counts: Mapping[Phase, int], width: int) -> list[tuple[Phase, int]]:
    """Split `width` cells into segments proportional to the pod counts per phase.

    Segments come in PHASE_BAR_ORDER, only for phases with pods, and their widths sum to `width`
    exactly. Every phase with pods gets at least one cell when the width allows it; when it does
    not, the phases with the most pods get the cells. No pods (or no width) gives an empty list.
    """
    present = [(phase, counts.get(phase, 0)) for phase in PHASE_BAR_ORDER]
    present = [(phase, count) for phase, count in present if count > 0]
    total = sum(count for _, count in present)
    if total == 0 or width <= 0:
        return []
    if width < len(present):
        order = sorted(range(len(present)), key=lambda index: (-present[index][1], index))
        chosen = set(order[:width])
        return [(phase, 1) for index, (phase, _) in enumerate(present) if index in chosen]

    ideal = [count * width / total for _, count in present]
    cells = [max(1, int(share)) for share in ideal]
    # Largest remainder: hand out missing cells to the segments furthest below their share, and
    # take surplus cells (created by the one-cell minimum) from those furthest above it.
    while sum(cells) < width:
        index = max(range(len(cells)), key=lambda i: (ideal[i] - cells[i], -i))
        cells[index] += 1
    while sum(cells) > width:
        candidates = [i for i in range(len(cells)) if cells[i] > 1]
        index = min(candidates, key=lambda i: (ideal[i] - cells[i], i))
        cells[index] -= 1
    return [(phase, width_) for (phase, _), width_ in zip(present, cells, strict=True)]
