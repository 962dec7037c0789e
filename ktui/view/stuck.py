"""Why a rollout is not progressing, as soon as the objects say so.

The deployment controller only declares a rollout failed once `progressDeadlineSeconds` have
passed without progress (ten minutes by default). The evidence is usually there long before:
the new revision's pods cannot pull their image, crash, miss a ConfigMap, or fit on no node; the
ReplicaSet cannot create pods at all (a quota, an admission webhook); or the rollout is held on
purpose (paused, a StatefulSet's partition). `rollout_problem` reads that evidence from the
workload, its ReplicaSets / ControllerRevisions and its pods; `progress_deadline` says when the
controller will give up, for a countdown.

Only the pods of the revision being rolled out count for a Deployment (the current ReplicaSet,
`view.children.current_replicaset_name`): an old ReplicaSet's crashing pods are what a rollback
would bring back, not why the rollout is stuck. A StatefulSet's pods of `status.updateRevision`
come first, then any other ordinal that blocks the ordered update; a DaemonSet's pods are all
looked at (each node runs one), the current revision's first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ktui.view import _json as j
from ktui.view.age import parse_time
from ktui.view.children import current_replicaset_name
from ktui.view.workload import PROGRESS_DEADLINE_EXCEEDED, Health, health

# Waiting reasons of a container that will not get better by waiting (kubelet's, in the order
# they are preferred when a revision's pods disagree).
STUCK_WAITING_REASONS = (
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
)
UNSCHEDULABLE = "Unschedulable"
_REASON_ORDER = {
    reason: index for index, reason in enumerate((*STUCK_WAITING_REASONS, UNSCHEDULABLE))
}

# The deployment controller's "no deadline" value (math.MaxInt32).
_NO_DEADLINE = 2**31 - 1
_DEFAULT_DEADLINE_SECONDS = 600
_ROLLOUT_FINISHED_REASON = "NewReplicaSetAvailable"
# Health values for which nothing is looked at: the rollout is done (or not a rollout at all).
_QUIET = frozenset({Health.HEALTHY, Health.COMPLETE, Health.SUSPENDED, Health.UNKNOWN})
_REVISION_HASH_LABEL = "controller-revision-hash"
_MAX_NAMED_PODS = 3


@dataclass(frozen=True)
class StuckReason:
    """Why a workload's rollout does not progress."""

    reason: str
    """Short, for a table cell: "ImagePullBackOff", "Unschedulable", "FailedCreate",
    "ProgressDeadlineExceeded", "paused", "partition"."""
    sentence: str
    """The whole story, for the rollout screen: which pods, what the kubelet or the
    controller said."""
    held: bool = False
    """A deliberate hold (paused, a partition), not a failure: nothing is broken."""
    pods: tuple[str, ...] = ()
    """Names of the pods showing the reason (all of them, sorted)."""


@dataclass(frozen=True)
class PodProblem:
    reason: str
    message: str
    pod: str
    node: str


def may_be_stuck(pod: j.Obj) -> bool:
    """A cheap test, true for every pod `pod_problem` could name (a container waiting, or
    PodScheduled=False): callers skip the full check for the many pods that are running."""
    status = pod.get("status")
    if not isinstance(status, dict):
        return False
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or ():
            state = container.get("state") if isinstance(container, dict) else None
            if isinstance(state, dict) and "waiting" in state:
                return True
    for condition in status.get("conditions") or ():
        if (
            isinstance(condition, dict)
            and condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
        ):
            return True
    return False


def pod_problem(pod: j.Obj) -> PodProblem | None:
    """What keeps this pod from running, if it is something waiting will not fix: a container
    waiting in one of STUCK_WAITING_REASONS, or PodScheduled=False/Unschedulable. None for a
    pod being deleted."""
    metadata = j.meta(pod)
    if metadata.get("deletionTimestamp") is not None:
        return None
    status = j.status(pod)
    name = j.text(metadata.get("name"))
    node = j.text(j.spec(pod).get("nodeName"))
    found: list[PodProblem] = []
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in j.objs(status.get(key)):
            waiting = j.obj(j.obj(container.get("state")).get("waiting"))
            reason = j.text(waiting.get("reason"))
            if reason in _REASON_ORDER:
                found.append(PodProblem(reason, j.text(waiting.get("message")), name, node))
    scheduled = j.condition(status.get("conditions"), "PodScheduled")
    if (
        scheduled is not None
        and scheduled.get("status") == "False"
        and scheduled.get("reason") == UNSCHEDULABLE
    ):
        found.append(PodProblem(UNSCHEDULABLE, j.text(scheduled.get("message")), name, node))
    if not found:
        return None
    return min(found, key=lambda problem: _REASON_ORDER[problem.reason])


def _problems_of(pods: Iterable[j.Obj]) -> list[PodProblem]:
    """The problems of the pods that have one. `may_be_stuck` first: a workload's pods are
    read on every change to any of them while one cannot start, and most are running."""
    found = (pod_problem(pod) for pod in pods if may_be_stuck(pod))
    return [problem for problem in found if problem is not None]


def _worst(problems: list[PodProblem]) -> tuple[str, list[PodProblem]]:
    """The reason most of the pods show (the earlier in STUCK_WAITING_REASONS on a tie), and
    the pods showing it."""
    counts = Counter(problem.reason for problem in problems)
    reason = min(counts, key=lambda r: (-counts[r], _REASON_ORDER[r]))
    return reason, sorted((p for p in problems if p.reason == reason), key=lambda p: p.pod)


def _pod_list(problems: list[PodProblem]) -> str:
    names = [p.pod for p in problems[:_MAX_NAMED_PODS]]
    more = len(problems) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def _detail(problems: list[PodProblem]) -> str:
    message = next((p.message for p in problems if p.message), "")
    return f": {message}" if message else ""


def _what(reason: str, count: int) -> str:
    if reason == UNSCHEDULABLE:
        return "cannot be scheduled"
    return f"{'is' if count == 1 else 'are'} in {reason}"


def _pod_reason(
    problems: list[PodProblem], subject: str, total: int, suffix: str = ""
) -> StuckReason:
    reason, showing = _worst(problems)
    count = len(showing)
    pods_word = "pod" if total == 1 else "pods"
    who = f"{count} of {total} {subject} {pods_word}" if total > 1 else f"the {subject} pod"
    sentence = (
        f"Rollout stuck: {who} ({_pod_list(showing)}) {_what(reason, count)}"
        f"{_detail(showing)}{suffix}"
    )
    return StuckReason(reason, sentence, pods=tuple(p.pod for p in showing))


def _replica_failure(obj: j.Obj) -> j.Obj | None:
    found = j.condition(j.status(obj).get("conditions"), "ReplicaFailure")
    return found if found is not None and found.get("status") == "True" else None


def _controller_uid(obj: j.Obj) -> str:
    for ref in j.objs(j.meta(obj).get("ownerReferences")):
        if ref.get("controller") is True:
            return j.text(ref.get("uid"))
    return ""


def progress_deadline(deployment: j.Obj) -> datetime | None:
    """When the deployment controller will mark this rollout ProgressDeadlineExceeded if
    nothing progresses: the Progressing condition's lastUpdateTime + progressDeadlineSeconds.
    None when no rollout is under way, the deadline is off, or the condition does not say."""
    if deployment.get("kind") != "Deployment":
        return None
    spec = j.spec(deployment)
    seconds = j.opt_integer(spec.get("progressDeadlineSeconds"))
    seconds = _DEFAULT_DEADLINE_SECONDS if seconds is None else seconds
    if seconds >= _NO_DEADLINE or spec.get("paused") is True:
        return None
    progressing = j.condition(j.status(deployment).get("conditions"), "Progressing")
    if progressing is None or progressing.get("status") != "True":
        return None
    if progressing.get("reason") == _ROLLOUT_FINISHED_REASON:
        return None
    last = parse_time(progressing.get("lastUpdateTime"))
    if last is None:
        return None
    return last + timedelta(seconds=seconds)


def _deadline_exceeded(deployment: j.Obj) -> j.Obj | None:
    progressing = j.condition(j.status(deployment).get("conditions"), "Progressing")
    if (
        progressing is not None
        and progressing.get("status") == "False"
        and progressing.get("reason") == PROGRESS_DEADLINE_EXCEEDED
    ):
        return progressing
    return None


def _deployment_problem(
    deployment: j.Obj, children: list[j.Obj], pods: list[j.Obj]
) -> StuckReason | None:
    replicasets = [c for c in children if c.get("kind") in (None, "ReplicaSet")]
    # Finding the current ReplicaSet compares pod templates: only when something needs it (a
    # pod that cannot start, or a ReplicaSet that reports a failure), not on every change.
    current_name: str | None = None
    current: j.Obj | None = None
    if pods or any(_replica_failure(rs) is not None for rs in replicasets):
        current_name = current_replicaset_name(deployment, replicasets)
        current = next((rs for rs in replicasets if j.name(rs) == current_name), None)
    for source in (deployment, current):
        failure = _replica_failure(source) if source is not None else None
        if failure is not None:
            reason = j.text(failure.get("reason")) or "ReplicaFailure"
            owner = "the Deployment" if source is deployment else f"ReplicaSet {current_name}"
            message = j.text(failure.get("message"))
            return StuckReason(
                reason,
                f"Rollout stuck: {owner} cannot create pods ({reason})"
                + (f": {message}" if message else ""),
            )
    exceeded = _deadline_exceeded(deployment)
    suffix = " (the progress deadline has passed)" if exceeded is not None else ""
    if current is not None:
        current_uid = j.text(j.meta(current).get("uid"))
        new_pods = [p for p in pods if _controller_uid(p) == current_uid]
        problems = _problems_of(new_pods)
        if problems:
            return _pod_reason(problems, "new", len(new_pods), suffix)
    if exceeded is not None:
        message = j.text(exceeded.get("message"))
        return StuckReason(
            PROGRESS_DEADLINE_EXCEEDED,
            "Rollout failed: no progress within progressDeadlineSeconds"
            + (f" ({message})" if message else "")
            + ".",
        )
    if j.spec(deployment).get("paused") is True:
        return StuckReason(
            "paused",
            "Rollout paused: template changes are not rolled out until the Deployment is resumed.",
            held=True,
        )
    return None


def _hash_of(pod: j.Obj) -> str:
    return j.text(j.obj(j.meta(pod).get("labels")).get(_REVISION_HASH_LABEL))


def _ordinal(name: str) -> int | None:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _statefulset_problem(sts: j.Obj, pods: list[j.Obj], quiet: bool) -> StuckReason | None:
    status = j.status(sts)
    update_revision = j.text(status.get("updateRevision"))
    if quiet:
        return _partition_hold(sts)
    new_pods = [p for p in pods if update_revision and _hash_of(p) == update_revision]
    problems = _problems_of(new_pods)
    subject = "updated"
    total = len(new_pods)
    if not problems:
        # An old-revision ordinal that cannot start blocks an OrderedReady update as well.
        problems = _problems_of(pods)
        subject, total = "", len(pods)
    if problems:
        reason, showing = _worst(problems)
        first = min(showing, key=lambda p: (_ordinal(p.pod) is None, _ordinal(p.pod) or 0, p.pod))
        ordinal = _ordinal(first.pod)
        at = f" at ordinal {ordinal}" if ordinal is not None else ""
        who = f"{len(showing)} of {total} {subject + ' ' if subject else ''}pods"
        sentence = f"Rollout stuck{at}: pod {first.pod} {_what(reason, 1)}{_detail([first])}" + (
            f" ({who}: {_pod_list(showing)})" if len(showing) > 1 else ""
        )
        return StuckReason(reason, sentence, pods=tuple(p.pod for p in showing))
    return _partition_hold(sts)


def _partition_hold(sts: j.Obj) -> StuckReason | None:
    status = j.status(sts)
    update_revision = j.text(status.get("updateRevision"))
    strategy = j.obj(j.spec(sts).get("updateStrategy"))
    partition = j.integer(j.obj(strategy.get("rollingUpdate")).get("partition"))
    current_revision = j.text(status.get("currentRevision"))
    if (
        j.text(strategy.get("type")) in ("", "RollingUpdate")
        and partition > 0
        and update_revision
        and current_revision
        and update_revision != current_revision
    ):
        held = "ordinal 0" if partition == 1 else f"ordinals 0-{partition - 1}"
        return StuckReason(
            "partition",
            f"Rollout held by partition={partition}: {held} stay on revision "
            f"{current_revision} until the partition is lowered.",
            held=True,
        )
    return None


def _daemonset_problem(ds: j.Obj, children: list[j.Obj], pods: list[j.Obj]) -> StuckReason | None:
    revisions = [c for c in children if c.get("kind") in (None, "ControllerRevision")]
    newest = max(revisions, key=lambda r: j.integer(r.get("revision")), default=None)
    current_hash = ""
    if newest is not None:
        labels = j.obj(j.meta(newest).get("labels"))
        current_hash = j.text(labels.get(_REVISION_HASH_LABEL))
    problems = _problems_of(pods)
    if current_hash:
        new_problems = _problems_of(p for p in pods if _hash_of(p) == current_hash)
        problems = new_problems or problems
    if not problems:
        return None
    reason, showing = _worst(problems)
    first = showing[0]
    where = f" on node {first.node}" if first.node else ""
    others = f" (also {_pod_list(showing[1:])})" if len(showing) > 1 else ""
    sentence = f"Rollout stuck{where}: pod {first.pod} {_what(reason, 1)}{_detail([first])}{others}"
    return StuckReason(reason, sentence, pods=tuple(p.pod for p in showing))


def rollout_problem(
    workload: j.Obj, children: Iterable[j.Obj], pods: Iterable[j.Obj], now: datetime
) -> StuckReason | None:
    """Why the rollout of a Deployment, StatefulSet or DaemonSet is not progressing, or None.

    `children` are its ReplicaSets (Deployment) or ControllerRevisions; `pods` its pods (the
    function picks the new revision's). Checked in this order:

    Deployment: a ReplicaFailure condition on it or on its current ReplicaSet (a quota, an
      admission webhook: pods cannot even be created) -> that condition's reason; the current
      ReplicaSet's pods in a STUCK_WAITING_REASONS state or unschedulable -> the reason most of
      them show; Progressing=False/ProgressDeadlineExceeded -> ProgressDeadlineExceeded; paused
      -> "paused" (held).
    StatefulSet: pods of status.updateRevision that cannot start, else any ordinal that cannot
      (it blocks an ordered update) -> the reason, naming the lowest ordinal; a RollingUpdate
      partition keeping ordinals on the old revision -> "partition" (held).
    DaemonSet: pods (the newest revision's first) that cannot start -> the reason, naming the
      node.
    Nothing else is looked at while the workload is healthy (the rollout is complete). `now` is for
    callers' symmetry with the other view functions; the evidence carries its own times.
    """
    del now  # the reasons do not depend on the clock; the deadline is a separate function
    kind = workload.get("kind")
    if kind not in ("Deployment", "StatefulSet", "DaemonSet"):
        return None
    quiet = health(workload) in _QUIET
    if kind == "StatefulSet":
        # A partition holds old ordinals back even once the rollout is "complete".
        return _statefulset_problem(workload, list(pods), quiet)
    if quiet:
        return None
    child_list = list(children)
    pod_list = list(pods)
    if kind == "Deployment":
        return _deployment_problem(workload, child_list, pod_list)
    return _daemonset_problem(workload, child_list, pod_list)


def looks_at_pods(workload: j.Obj) -> bool:
    """Whether `rollout_problem` reads the pods of this workload now (callers gather them only
    then: a healthy workload's problem, if any, is read from its own spec and status)."""
    kind = workload.get("kind")
    return kind in ("Deployment", "StatefulSet", "DaemonSet") and health(workload) not in _QUIET


__all__ = [
    "STUCK_WAITING_REASONS",
    "PodProblem",
    "StuckReason",
    "looks_at_pods",
    "may_be_stuck",
    "pod_problem",
    "progress_deadline",
    "rollout_problem",
]
