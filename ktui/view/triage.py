"""Triage: every pod, workload and node that is not fine, worst first, each with one reason.

`problem_of(obj)` looks at one object alone (so a model can keep uid -> Problem current from
the objects a batch changed, without rescanning the cluster) and returns at most one Problem:
the worst thing about it. A Deployment, StatefulSet or DaemonSet is judged with its pods:
`rollout_stuck_problem` turns `view.stuck.rollout_problem`'s verdict (HEALTH's and the rollout
screen's) into its line, so a rollout whose new pods cannot pull their image is listed as soon
as the pods say so, not ten minutes later when the controller's progress deadline passes.

Some problems only count after a while (a pod Pending for longer than
PENDING_AFTER_S, a running pod not ready for longer than NOT_READY_AFTER_S) and a past OOM kill
stops counting after OOM_RECENT_S: those carry `shown_from` / `shown_until`, checked against
`now` by `Problem.active(now)` and `problems(objects, now)`.

Severity, worst first: CrashLoopBackOff, image pulls, container config errors, OOMKilled in the
last run, Pending too long (with the scheduler's reason), failed init containers, failed Jobs,
stuck rollouts, NotReady nodes, then pods that failed or are not ready for long.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from ktui.view import _json as j
from ktui.view.age import parse_time
from ktui.view.crash import exit_code_meaning
from ktui.view.pod import (
    CRASH_LOOP_BACK_OFF,
    ERROR_WAITING_REASONS,
    SCHEDULING_GATED,
    Phase,
    pod_phase,
    pod_status_reason,
)
from ktui.view.stuck import StuckReason, rollout_problem

PENDING_AFTER_S = 120.0
"""A pod Pending (not scheduled, or its containers not started) this long is a problem."""
NOT_READY_AFTER_S = 300.0
"""A running pod not ready this long is a problem."""
OOM_RECENT_S = 3600.0
"""A container OOM-killed in its last run counts as a problem for this long after the kill."""

_IMAGE_PULL = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "ImageInspectError",
        "RegistryUnavailable",
        "SignatureValidationFailed",
    }
)
_CONFIG = frozenset({"CreateContainerConfigError"})
_NO_CLOCK = datetime.min
"""`rollout_problem` takes a `now` it does not use (its verdict carries its own times)."""


class Severity(IntEnum):
    """Lower is worse."""

    CRASH_LOOP = 1
    IMAGE_PULL = 2
    CONFIG_ERROR = 3
    OOM_KILLED = 4
    PENDING = 5
    INIT_FAILED = 6
    JOB_FAILED = 7
    ROLLOUT_STUCK = 8
    NODE_NOT_READY = 9
    POD_FAILED = 10
    NOT_READY = 11

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Severity.CRASH_LOOP: "crash loop",
    Severity.IMAGE_PULL: "image pull",
    Severity.CONFIG_ERROR: "config error",
    Severity.OOM_KILLED: "OOM killed",
    Severity.PENDING: "pending",
    Severity.INIT_FAILED: "init failed",
    Severity.JOB_FAILED: "job failed",
    Severity.ROLLOUT_STUCK: "rollout stuck",
    Severity.NODE_NOT_READY: "node not ready",
    Severity.POD_FAILED: "failed",
    Severity.NOT_READY: "not ready",
}


@dataclass(frozen=True)
class Problem:
    severity: Severity
    kind: str
    namespace: str
    name: str
    uid: str
    reason: str  # one line, plain words
    since: datetime | None  # when it started, as far as the object says
    shown_from: datetime | None = None
    shown_until: datetime | None = None

    def active(self, now: datetime) -> bool:
        if self.shown_from is not None and now < self.shown_from:
            return False
        return self.shown_until is None or now < self.shown_until

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (int(self.severity), self.namespace, self.kind, self.name)


def _problem(
    obj: j.Obj,
    severity: Severity,
    reason: str,
    since: datetime | None,
    *,
    shown_from: datetime | None = None,
    shown_until: datetime | None = None,
) -> Problem:
    meta = j.meta(obj)
    return Problem(
        severity=severity,
        kind=j.text(obj.get("kind")),
        namespace=j.text(meta.get("namespace")),
        name=j.text(meta.get("name")),
        uid=j.text(meta.get("uid")),
        reason=reason.replace("\n", " ").strip(),
        since=since,
        shown_from=shown_from,
        shown_until=shown_until,
    )


def _later(moment: datetime | None, seconds: float) -> datetime | None:
    return moment + timedelta(seconds=seconds) if moment is not None else None


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _restarts(count: int) -> str:
    return f"{count} restart{'' if count == 1 else 's'}"


def _not_ready_since(pod: j.Obj, created: datetime | None) -> datetime | None:
    """When the pod stopped being ready (its Ready condition's transition), else when it was
    created: a waiting reason carries no time of its own."""
    ready = j.condition(j.status(pod).get("conditions"), "Ready")
    if ready is not None and ready.get("status") == "False":
        moment = parse_time(ready.get("lastTransitionTime"))
        if moment is not None:
            return moment
    return created


def _statuses(pod: j.Obj) -> list[tuple[str, j.Obj, j.Obj]]:
    """(label, spec, status) of every container with a status: init containers first."""
    spec = j.spec(pod)
    status = j.status(pod)
    found = []
    for group, spec_key, status_key in (
        ("init container", "initContainers", "initContainerStatuses"),
        ("container", "containers", "containerStatuses"),
    ):
        specs = {j.text(c.get("name")): c for c in j.objs(spec.get(spec_key))}
        for cstatus in j.objs(status.get(status_key)):
            name = j.text(cstatus.get("name"))
            cspec = specs.get(name, {})
            label = "sidecar" if cspec.get("restartPolicy") == "Always" else group
            found.append((f"{label} {name}", cspec, cstatus))
    return found


def _pod_problem(pod: j.Obj) -> Problem | None:
    meta = j.meta(pod)
    status = j.status(pod)
    phase = pod_phase(pod)
    created = parse_time(meta.get("creationTimestamp"))
    if phase == Phase.SUCCEEDED:
        return None
    if meta.get("deletionTimestamp") is not None and phase != Phase.FAILED:
        return None  # on its way out: not something to fix
    found: list[Problem] = []
    for label, cspec, cstatus in _statuses(pod):
        state = j.obj(cstatus.get("state"))
        waiting = j.opt_obj(state.get("waiting"))
        terminated = j.opt_obj(state.get("terminated"))
        last = j.opt_obj(j.obj(cstatus.get("lastState")).get("terminated"))
        restarts = j.integer(cstatus.get("restartCount"))
        last_finished = parse_time(last.get("finishedAt")) if last else None
        reason = j.text(waiting.get("reason")) if waiting else ""
        message = _first_line(j.text(waiting.get("message"))) if waiting else ""
        init = label.startswith("init container")
        if reason == CRASH_LOOP_BACK_OFF:
            ended = ""
            if last is not None:
                code = j.opt_integer(last.get("exitCode"))
                why = j.text(last.get("reason")) or "exit"
                ended = f", last exit: {why} ({code}: {exit_code_meaning(code, why)})"
            found.append(
                _problem(
                    pod,
                    Severity.INIT_FAILED if init else Severity.CRASH_LOOP,
                    f"{label} keeps crashing ({_restarts(restarts)}{ended})",
                    last_finished or _not_ready_since(pod, created),
                )
            )
        elif reason in _IMAGE_PULL:
            image = j.text(cspec.get("image")) or j.text(cstatus.get("image"))
            found.append(
                _problem(
                    pod,
                    Severity.IMAGE_PULL,
                    f"{label} cannot pull image {image} ({reason})"
                    + (f": {message}" if message else ""),
                    _not_ready_since(pod, created),
                )
            )
        elif reason in _CONFIG or reason in ERROR_WAITING_REASONS:
            found.append(
                _problem(
                    pod,
                    Severity.CONFIG_ERROR,
                    f"{label} cannot be created ({reason})" + (f": {message}" if message else ""),
                    _not_ready_since(pod, created),
                )
            )
        if init and terminated is not None and j.integer(terminated.get("exitCode")) != 0:
            code = j.opt_integer(terminated.get("exitCode"))
            why = j.text(terminated.get("reason")) or "exit"
            found.append(
                _problem(
                    pod,
                    Severity.INIT_FAILED,
                    f"{label} failed: {why} ({code}: {exit_code_meaning(code, why)})",
                    parse_time(terminated.get("finishedAt")),
                )
            )
        oom = (
            terminated
            if terminated is not None and terminated.get("reason") == "OOMKilled"
            else last
            if last is not None and last.get("reason") == "OOMKilled"
            else None
        )
        if oom is not None:
            killed = parse_time(oom.get("finishedAt"))
            limits = j.obj(j.obj(cspec.get("resources")).get("limits"))
            limit = limits.get("memory")
            found.append(
                _problem(
                    pod,
                    Severity.OOM_KILLED,
                    f"{label} was killed for running out of memory"
                    + (f" (limit {limit})" if limit else " (no memory limit: the node ran out)")
                    + (f", {_restarts(restarts)}" if restarts else ""),
                    killed,
                    shown_until=_later(killed, OOM_RECENT_S),
                )
            )
    conditions = status.get("conditions")
    if phase == Phase.PENDING:
        scheduled = j.condition(conditions, "PodScheduled")
        if scheduled is not None and scheduled.get("status") == "False":
            since = parse_time(scheduled.get("lastTransitionTime")) or created
            why = j.text(scheduled.get("reason")) or "not scheduled"
            message = _first_line(j.text(scheduled.get("message")))
            if why == SCHEDULING_GATED:
                text = "held back by its scheduling gates"
            else:
                text = f"cannot be scheduled ({why})" + (f": {message}" if message else "")
            found.append(
                _problem(
                    pod,
                    Severity.PENDING,
                    text,
                    since,
                    shown_from=_later(since, PENDING_AFTER_S),
                )
            )
        elif not found:
            status_text = pod_status_reason(pod)
            found.append(
                _problem(
                    pod,
                    Severity.PENDING,
                    f"still {status_text} after a while",
                    created,
                    shown_from=_later(created, PENDING_AFTER_S),
                )
            )
    if phase == Phase.FAILED and not found and not _owned_by_job(pod):
        why = j.text(status.get("reason")) or pod_status_reason(pod)
        message = _first_line(j.text(status.get("message")))
        found.append(
            _problem(
                pod,
                Severity.POD_FAILED,
                f"failed ({why})" + (f": {message}" if message else ""),
                _not_ready_since(pod, created),
            )
        )
    if phase == Phase.RUNNING and not found:
        ready = j.condition(conditions, "Ready")
        if ready is not None and ready.get("status") == "False":
            since = parse_time(ready.get("lastTransitionTime")) or created
            found.append(
                _problem(
                    pod,
                    Severity.NOT_READY,
                    f"running but not ready ({pod_status_reason(pod)})",
                    since,
                    shown_from=_later(since, NOT_READY_AFTER_S),
                )
            )
    if phase == Phase.UNKNOWN and not found:
        found.append(_problem(pod, Severity.POD_FAILED, "its node stopped reporting", None))
    if not found:
        return None
    return min(found, key=lambda p: int(p.severity))


def _owned_by_job(obj: j.Obj) -> bool:
    return any(ref.get("kind") == "Job" for ref in j.objs(j.meta(obj).get("ownerReferences")))


def _job_problem(job: j.Obj) -> Problem | None:
    failed = j.condition(j.status(job).get("conditions"), "Failed")
    if failed is None or failed.get("status") != "True":
        return None
    reason = j.text(failed.get("reason")) or "Failed"
    message = _first_line(j.text(failed.get("message")))
    return _problem(
        job,
        Severity.JOB_FAILED,
        f"failed ({reason})" + (f": {message}" if message else ""),
        parse_time(failed.get("lastTransitionTime")),
    )


def _stuck_since(workload: j.Obj, stuck: StuckReason) -> datetime | None:
    """When the rollout stopped progressing, as far as the workload says: the ReplicaFailure
    condition's transition, else the Progressing condition's (False: when the controller gave
    up; True: its lastUpdateTime, the last progress it saw). StatefulSets and DaemonSets have
    neither condition: None."""
    conditions = j.status(workload).get("conditions")
    failure = j.condition(conditions, "ReplicaFailure")
    if failure is not None and failure.get("status") == "True" and stuck.reason != "paused":
        moment = parse_time(failure.get("lastTransitionTime"))
        if moment is not None:
            return moment
    progressing = j.condition(conditions, "Progressing")
    if progressing is None:
        return None
    if progressing.get("status") == "False":
        return parse_time(progressing.get("lastTransitionTime"))
    return parse_time(progressing.get("lastUpdateTime"))


def rollout_stuck_problem(workload: j.Obj, stuck: StuckReason | None) -> Problem | None:
    """The triage line of a rollout workload, from `view.stuck.rollout_problem`'s verdict (the
    one HEALTH and the rollout screen show, so the three never disagree): the short reason
    first, so it reads in a narrow column, then the rollout screen's whole sentence. A
    deliberate hold (paused, a partition) is not a problem."""
    if stuck is None or stuck.held:
        return None
    return _problem(
        workload,
        Severity.ROLLOUT_STUCK,
        f"{stuck.reason} · {stuck.sentence}",
        _stuck_since(workload, stuck),
    )


def _node_problem(node: j.Obj) -> Problem | None:
    ready = j.condition(j.status(node).get("conditions"), "Ready")
    if ready is None or ready.get("status") == "True":
        return None
    status = j.text(ready.get("status")) or "Unknown"
    message = _first_line(j.text(ready.get("message")))
    reason = j.text(ready.get("reason"))
    text = "NotReady" + (f" ({reason})" if reason else "")
    if status == "Unknown":
        text = "not reporting" + (f" ({reason})" if reason else "")
    return _problem(
        node,
        Severity.NODE_NOT_READY,
        text + (f": {message}" if message else ""),
        parse_time(ready.get("lastTransitionTime")),
    )


TRIAGED_KINDS = ("Pod", "Job", "Node")
"""The kinds judged from the object alone."""
ROLLOUT_TRIAGED_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
"""The kinds judged by `view.stuck.rollout_problem`, from the workload with its ReplicaSets /
ControllerRevisions and pods (`rollout_stuck_problem`); `problem_of` judges them from the
object alone (a ReplicaFailure, the progress deadline), which is all it is given.
Any other kind is never a problem."""


def pod_looks_fine(pod: j.Obj) -> bool:
    """A cheap test for the common case, true only for pods `_pod_problem` finds nothing in:
    Running and Ready, no container waiting or terminated, no OOM kill in a last state. Most of
    the pods of a busy cluster pass it, so a batch of changes costs little."""
    status = pod.get("status")
    if not isinstance(status, dict) or status.get("phase") != "Running":
        return False
    ready = False
    for condition in status.get("conditions") or ():
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            ready = condition.get("status") == "True"
    if not ready:
        return False
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for container in status.get(key) or ():
            if not isinstance(container, dict):
                return False
            state = container.get("state")
            if not isinstance(state, dict) or "waiting" in state:
                return False
            if "terminated" in state and key != "initContainerStatuses":
                return False
            last = container.get("lastState")
            killed = last.get("terminated") if isinstance(last, dict) else None
            if isinstance(killed, dict) and killed.get("reason") == "OOMKilled":
                return False
    return True


def problem_of(obj: j.Obj) -> Problem | None:
    """The worst thing about one object, or None when it is fine (or not a triaged kind)."""
    kind = obj.get("kind")
    if kind == "Pod":
        return None if pod_looks_fine(obj) else _pod_problem(obj)
    if kind == "Job":
        return _job_problem(obj)
    if kind in ROLLOUT_TRIAGED_KINDS:
        return rollout_stuck_problem(obj, rollout_problem(obj, (), (), _NO_CLOCK))
    if kind == "Node":
        return _node_problem(obj)
    return None


def ordered(found: Iterable[Problem], now: datetime) -> list[Problem]:
    """The problems active at `now`, worst first (then by namespace, kind and name)."""
    return sorted((p for p in found if p.active(now)), key=lambda p: p.sort_key)


def problems(objects: Iterable[j.Obj], now: datetime) -> list[Problem]:
    """Every object of `objects` that is not fine at `now`, worst first."""
    found = (problem_of(obj) for obj in objects)
    return ordered((p for p in found if p is not None), now)
