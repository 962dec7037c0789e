"""Pods as the panes show them: kubectl's READY / STATUS / RESTARTS, container badges, a timeline.

`pod_status_reason`, `pod_ready` and `pod_restarts` are a port of `printPod` from
kubernetes/pkg/printers/internalversion/printers.go as shipped in v1.32 (the code behind the
columns of `kubectl get pods`), including native sidecars (init containers with
`restartPolicy: Always`) and the v1.31 rule that a terminal pod being deleted keeps showing its
terminal status instead of "Terminating".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from ktui.view import _json as j
from ktui.view.age import age, format_time, parse_time, seconds_between, since

ContainerGroup = Literal["init", "sidecar", "main"]
TimelineGroup = Literal["pod", "init", "sidecar", "main"]

# The reason the node lifecycle controller once set on pods of an unreachable node
# (k8s.io/kubernetes/pkg/util/node.NodeUnreachablePodReason); kubectl still maps it to "Unknown".
NODE_UNREACHABLE_POD_REASON = "NodeLost"
SCHEDULING_GATED = "SchedulingGated"


class Phase(StrEnum):
    """status.phase of a Pod (core/v1 PodPhase)."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


class BadgeState(StrEnum):
    """What one container is doing, coarse enough to pick a colour and a glyph."""

    WAITING = "waiting"  # no status yet, ContainerCreating, PodInitializing, ...
    ERROR = "error"  # waiting on a failure: ErrImagePull, ImagePullBackOff, config errors
    CRASHLOOP = "crashloop"  # waiting in CrashLoopBackOff
    RUNNING = "running"  # running but not (yet) ready / started
    READY = "ready"  # running and ready
    TERMINATING = "terminating"  # running while its pod is being deleted
    SUCCEEDED = "succeeded"  # terminated with exit code 0
    FAILED = "failed"  # terminated with a non-zero exit code


class Severity(StrEnum):
    """How alarming a pod's STATUS is, for colouring a row."""

    OK = "ok"  # Running and every container ready
    DONE = "done"  # Completed / Succeeded
    PROGRESS = "progress"  # on its way: Pending, ContainerCreating, Init:1/2, Terminating...
    WARNING = "warning"  # Running with containers not ready, NotReady
    ERROR = "error"  # anything else: CrashLoopBackOff, Error, OOMKilled, Evicted, Unknown...


# Waiting reasons the kubelet reports when it cannot start a container (kubelet/images and
# kubelet/container errors); they do not resolve by themselves.
ERROR_WAITING_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "ImageInspectError",
        "RegistryUnavailable",
        "SignatureValidationFailed",
        "CreateContainerConfigError",
        "CreateContainerError",
        "PreCreateHookError",
        "PreStartHookError",
        "PostStartHookError",
        "RunContainerError",
        "ContainerCannotRun",
    }
)
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"

_PROGRESS_STATUSES = frozenset(
    {
        "Pending",
        "ContainerCreating",
        "PodInitializing",
        "Terminating",
        SCHEDULING_GATED,
    }
)
_INIT_PROGRESS = re.compile(r"^Init:\d+/\d+$")


# ---------------------------------------------------------------------------------------------
# kubectl's printPod
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PrintedPod:
    reason: str
    ready: int
    total: int
    restarts: int
    last_restart: datetime | None


def is_restartable_init_container(container: j.Obj | None) -> bool:
    """A native sidecar: an init container with `restartPolicy: Always` (podutil's rule)."""
    return container is not None and container.get("restartPolicy") == "Always"


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    # metav1.Time.Before on a zero time: a missing finishedAt never wins.
    if candidate is None:
        return current
    if current is None or current < candidate:
        return candidate
    return current


def _last_termination_finished(container_status: j.Obj) -> datetime | None:
    last_state = j.obj(container_status.get("lastState"))
    terminated = j.opt_obj(last_state.get("terminated"))
    if terminated is None:
        return None
    return parse_time(terminated.get("finishedAt"))


def _has_pod_ready_condition(conditions: object) -> bool:
    return any(
        item.get("type") == "Ready" and item.get("status") == "True" for item in j.objs(conditions)
    )


def _is_pod_initialized_condition_true(conditions: object) -> bool:
    # Go returns on the first Initialized condition, whatever its status.
    found = j.condition(conditions, "Initialized")
    return found is not None and found.get("status") == "True"


_PRINTED: dict[str, tuple[j.Obj, _PrintedPod]] = {}
"""pod uid -> (the pod object last printed, kubectl's printed status of it): the same pod
object is printed once, however many views ask (pods pane, triage, rollout tree, timeline).
Objects from the API are never changed in place (a change is a new object, which replaces the
entry), so the entry holds the object the cache holds anyway; entries of deleted pods go when
the map is cleared at its bound."""
_PRINTED_LIMIT = 250_000


def _print_pod(pod: j.Obj) -> _PrintedPod:
    uid = (pod.get("metadata") or {}).get("uid") if isinstance(pod, dict) else None
    if not isinstance(uid, str) or not uid:
        return _print_pod_now(pod)
    cached = _PRINTED.get(uid)
    if cached is not None and cached[0] is pod:
        return cached[1]
    printed = _print_pod_now(pod)
    if len(_PRINTED) >= _PRINTED_LIMIT:
        _PRINTED.clear()
    _PRINTED[uid] = (pod, printed)
    return printed


def _print_pod_now(pod: j.Obj) -> _PrintedPod:
    spec = j.spec(pod)
    status = j.status(pod)
    metadata = j.meta(pod)
    conditions = status.get("conditions")

    restarts = 0
    restartable_init_restarts = 0
    total = len(j.objs(spec.get("containers")))
    ready = 0
    last_restart: datetime | None = None
    last_restartable_init_restart: datetime | None = None

    phase = j.text(status.get("phase"))
    reason = phase
    if j.text(status.get("reason")):
        reason = j.text(status.get("reason"))

    for cond in j.objs(conditions):
        if cond.get("type") == "PodScheduled" and cond.get("reason") == SCHEDULING_GATED:
            reason = SCHEDULING_GATED

    init_specs = j.objs(spec.get("initContainers"))
    init_by_name: dict[str, j.Obj] = {}
    for init_spec in init_specs:
        init_by_name[j.text(init_spec.get("name"))] = init_spec
        if is_restartable_init_container(init_spec):
            total += 1

    initializing = False
    for index, container in enumerate(j.objs(status.get("initContainerStatuses"))):
        restart_count = j.integer(container.get("restartCount"))
        restarts += restart_count
        finished = _last_termination_finished(container)
        last_restart = _later(last_restart, finished)
        restartable = is_restartable_init_container(init_by_name.get(j.text(container.get("name"))))
        if restartable:
            restartable_init_restarts += restart_count
            last_restartable_init_restart = _later(last_restartable_init_restart, finished)

        state = j.obj(container.get("state"))
        terminated = j.opt_obj(state.get("terminated"))
        waiting = j.opt_obj(state.get("waiting"))
        if terminated is not None and j.integer(terminated.get("exitCode")) == 0:
            continue
        if restartable and container.get("started") is True:
            if container.get("ready") is True:
                ready += 1
            continue
        if terminated is not None:
            # initialization failed
            terminated_reason = j.text(terminated.get("reason"))
            if not terminated_reason:
                signal = j.integer(terminated.get("signal"))
                if signal != 0:
                    reason = f"Init:Signal:{signal}"
                else:
                    reason = f"Init:ExitCode:{j.integer(terminated.get('exitCode'))}"
            else:
                reason = "Init:" + terminated_reason
        elif (
            waiting is not None
            and j.text(waiting.get("reason"))
            and waiting.get("reason") != "PodInitializing"
        ):
            reason = "Init:" + j.text(waiting.get("reason"))
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _is_pod_initialized_condition_true(conditions):
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        for container in reversed(j.objs(status.get("containerStatuses"))):
            restarts += j.integer(container.get("restartCount"))
            last_restart = _later(last_restart, _last_termination_finished(container))
            state = j.obj(container.get("state"))
            terminated = j.opt_obj(state.get("terminated"))
            waiting = j.opt_obj(state.get("waiting"))
            if waiting is not None and j.text(waiting.get("reason")):
                reason = j.text(waiting.get("reason"))
            elif terminated is not None and j.text(terminated.get("reason")):
                reason = j.text(terminated.get("reason"))
            elif terminated is not None:
                signal = j.integer(terminated.get("signal"))
                if signal != 0:
                    reason = f"Signal:{signal}"
                else:
                    reason = f"ExitCode:{j.integer(terminated.get('exitCode'))}"
            elif container.get("ready") is True and j.opt_obj(state.get("running")) is not None:
                has_running = True
                ready += 1

        # A pod whose last container completed but another still runs is shown by its readiness.
        if reason == "Completed" and has_running:
            reason = "Running" if _has_pod_ready_condition(conditions) else "NotReady"

    deleting = metadata.get("deletionTimestamp") is not None
    if deleting and j.text(status.get("reason")) == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleting and phase not in (Phase.SUCCEEDED, Phase.FAILED):
        reason = "Terminating"

    return _PrintedPod(
        reason=reason, ready=ready, total=total, restarts=restarts, last_restart=last_restart
    )


def pod_status_reason(pod: j.Obj) -> str:
    """The STATUS column of `kubectl get pods` (v1.32): "Running", "Init:1/2", "OOMKilled"..."""
    return _print_pod(pod).reason


def pod_ready(pod: j.Obj) -> tuple[int, int]:
    """READY as (ready, total): regular containers plus native sidecars, counted as kubectl does.

    Regular containers only count as ready once initialization is over (or the pod's Initialized
    condition is True); a sidecar counts once it has started and is ready.
    """
    printed = _print_pod(pod)
    return printed.ready, printed.total


def pod_restarts(pod: j.Obj) -> tuple[int, datetime | None]:
    """RESTARTS as (count, time of the most recent restart), counted as kubectl does.

    While the pod is still initializing the count is the init containers' restarts; afterwards it
    is the regular containers' plus the native sidecars'. The time is the latest
    lastState.terminated.finishedAt among the counted containers, None if there is none.
    """
    printed = _print_pod(pod)
    return printed.restarts, printed.last_restart


def restarts_text(count: int, last: datetime | None, now: datetime) -> str:
    """The RESTARTS cell: "0", "3", or "3 (45s ago)" when the last restart time is known."""
    if count != 0 and last is not None:
        return f"{count} ({since(last, now)} ago)"
    return str(count)


def pod_phase(pod: j.Obj) -> Phase:
    """status.phase; a pod without one is Pending (the API server defaults it so on create)."""
    raw = j.status(pod).get("phase")
    if raw is None or raw == "":
        return Phase.PENDING
    try:
        # A dict lookup, not `Phase(raw)`: the Enum call costs several times more, for every
        # pod of every batch (the read-ahead's pod_facts).
        return _PHASES.get(raw, Phase.UNKNOWN)
    except TypeError:  # unhashable (a list, a dict): not a phase
        return Phase.UNKNOWN


_PHASES: dict[object, Phase] = {phase.value: phase for phase in Phase}


def status_severity(status: str, ready: int, total: int) -> Severity:
    """Classify a STATUS string (as `pod_status_reason` returns) for colouring."""
    if status in ("Completed", "Succeeded"):
        return Severity.DONE
    if status == "Running":
        return Severity.OK if ready >= total else Severity.WARNING
    if status == "NotReady":
        return Severity.WARNING
    if status in _PROGRESS_STATUSES or _INIT_PROGRESS.match(status):
        return Severity.PROGRESS
    if status.startswith("Init:"):
        inner = status.removeprefix("Init:")
        if inner in _PROGRESS_STATUSES:
            return Severity.PROGRESS
    return Severity.ERROR


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerBadge:
    """One container as a small coloured badge in a pod row."""

    name: str
    group: ContainerGroup
    state: BadgeState
    reason: str | None  # waiting/terminated reason; without a status, the pod's (see below)
    exit_code: int | None  # of the current termination
    restarts: int
    ready: bool
    started_at: datetime | None
    finished_at: datetime | None
    image: str
    last_termination_reason: str | None  # e.g. "OOMKilled", "Error": why it last restarted
    last_exit_code: int | None


@dataclass(frozen=True)
class ContainerDetail:
    """One container as the pod-detail screen lists it."""

    name: str
    group: ContainerGroup
    image: str
    state: BadgeState
    state_text: str  # "Waiting: ImagePullBackOff", "Running since ...", "Terminated: ..."
    message: str | None  # the kubelet's message for the current state, if any
    ready: bool
    started: bool | None  # status.started (startup probe passed); None when not reported
    restart_count: int
    last_termination_reason: str | None
    last_exit_code: int | None
    last_termination_text: str | None  # "OOMKilled (exit 137)"
    last_finished_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None  # run length of a terminated container
    # 1-based position in spec.initContainers, sidecars included, as kubectl's "Init:N/M"
    # counts them (N of M done); None for a regular container.
    init_index: int | None = None


@dataclass(frozen=True)
class ContainerGroups:
    init: tuple[ContainerDetail, ...]
    sidecars: tuple[ContainerDetail, ...]
    regular: tuple[ContainerDetail, ...]


@dataclass(frozen=True)
class _Container:
    spec: j.Obj
    status: j.Obj | None
    group: ContainerGroup
    init_index: int | None = None  # 1-based position in spec.initContainers


_ContainerParts = tuple[j.Obj, j.Obj | None, ContainerGroup, int | None]
"""A container's spec, its status (None: not reported), its group and its 1-based position in
spec.initContainers (None for a regular container)."""


def _container_parts(pod: j.Obj) -> list[_ContainerParts]:
    """Every container in display order: init containers, native sidecars, regular containers."""
    spec = j.spec(pod)
    status = j.status(pod)
    init_statuses = {
        j.text(item.get("name")): item for item in j.objs(status.get("initContainerStatuses"))
    }
    statuses = {j.text(item.get("name")): item for item in j.objs(status.get("containerStatuses"))}
    init: list[_ContainerParts] = []
    sidecars: list[_ContainerParts] = []
    for index, container in enumerate(j.objs(spec.get("initContainers")), start=1):
        found = init_statuses.get(j.text(container.get("name")))
        if is_restartable_init_container(container):
            sidecars.append((container, found, "sidecar", index))
        else:
            init.append((container, found, "init", index))
    regular: list[_ContainerParts] = [
        (container, statuses.get(j.text(container.get("name"))), "main", None)
        for container in j.objs(spec.get("containers"))
    ]
    return init + sidecars + regular


def _containers(pod: j.Obj) -> list[_Container]:
    """Every container in display order: init containers, native sidecars, regular containers."""
    return [_Container(*parts) for parts in _container_parts(pod)]


@dataclass(frozen=True)
class _PodContext:
    """What a container's badge needs to know about its pod."""

    deleting: bool
    phase: Phase
    # Why a container has no status yet: the scheduling reason of an unscheduled pod, or the
    # status.reason of a finished one ("Evicted").
    no_status_reason: str | None


def _pod_context(pod: j.Obj) -> _PodContext:
    phase = pod_phase(pod)
    reason: str | None = None
    scheduled = j.condition(j.status(pod).get("conditions"), "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False":
        reason = j.text(scheduled.get("reason")) or None
    if phase in (Phase.FAILED, Phase.SUCCEEDED):
        reason = j.text(j.status(pod).get("reason")) or None
    return _PodContext(
        deleting=j.meta(pod).get("deletionTimestamp") is not None,
        phase=phase,
        no_status_reason=reason,
    )


def _state_of(container: _Container, deleting: bool, phase: Phase) -> BadgeState:
    return _state_of_status(container.status, deleting, phase)


def _state_of_status(status: j.Obj | None, deleting: bool, phase: Phase) -> BadgeState:
    if status is None:
        # A finished pod whose kubelet never reported this container (e.g. evicted early) ended
        # with the pod; it will not start any more.
        if phase == Phase.FAILED:
            return BadgeState.FAILED
        if phase == Phase.SUCCEEDED:
            return BadgeState.SUCCEEDED
        return BadgeState.WAITING
    state = j.obj(status.get("state"))
    running = j.opt_obj(state.get("running"))
    terminated = j.opt_obj(state.get("terminated"))
    waiting = j.opt_obj(state.get("waiting"))
    if running is not None:
        if deleting:
            return BadgeState.TERMINATING
        return BadgeState.READY if status.get("ready") is True else BadgeState.RUNNING
    if terminated is not None:
        if j.integer(terminated.get("exitCode")) == 0:
            return BadgeState.SUCCEEDED
        return BadgeState.FAILED
    if waiting is not None:
        waiting_reason = j.text(waiting.get("reason"))
        if waiting_reason == CRASH_LOOP_BACK_OFF:
            return BadgeState.CRASHLOOP
        if waiting_reason in ERROR_WAITING_REASONS:
            return BadgeState.ERROR
    return BadgeState.WAITING


def _current_state_parts(
    status: j.Obj | None,
) -> tuple[j.Obj | None, j.Obj | None, j.Obj | None]:
    state = j.obj(status.get("state")) if status is not None else j.obj(None)
    return (
        j.opt_obj(state.get("waiting")),
        j.opt_obj(state.get("running")),
        j.opt_obj(state.get("terminated")),
    )


def _last_terminated(status: j.Obj | None) -> j.Obj | None:
    if status is None:
        return None
    return j.opt_obj(j.obj(status.get("lastState")).get("terminated"))


def _termination_text(terminated: j.Obj) -> str:
    """How a run ended: "Completed (exit 0)", "OOMKilled (exit 137)", "exit 1", "signal 9"."""
    reason = j.text(terminated.get("reason"))
    signal = j.integer(terminated.get("signal"))
    exit_code = j.integer(terminated.get("exitCode"))
    code = f"signal {signal}" if signal != 0 and not reason else f"exit {exit_code}"
    return f"{reason} ({code})" if reason else code


def _badge(container: _Container, context: _PodContext) -> ContainerBadge:
    waiting, running, terminated = _current_state_parts(container.status)
    reason: str | None
    if container.status is None:
        reason = context.no_status_reason
    elif waiting is not None:
        reason = j.text(waiting.get("reason")) or None
    elif terminated is not None:
        reason = j.text(terminated.get("reason")) or None
    else:
        reason = None
    started_at = None
    if running is not None:
        started_at = parse_time(running.get("startedAt"))
    elif terminated is not None:
        started_at = parse_time(terminated.get("startedAt"))
    last = _last_terminated(container.status)
    status = container.status if container.status is not None else j.obj(None)
    return ContainerBadge(
        name=j.text(container.spec.get("name")),
        group=container.group,
        state=_state_of(container, context.deleting, context.phase),
        reason=reason,
        exit_code=j.opt_integer(terminated.get("exitCode")) if terminated is not None else None,
        restarts=j.integer(status.get("restartCount")),
        ready=status.get("ready") is True,
        started_at=started_at,
        finished_at=parse_time(terminated.get("finishedAt")) if terminated is not None else None,
        image=j.text(container.spec.get("image")),
        last_termination_reason=(j.text(last.get("reason")) or None) if last is not None else None,
        last_exit_code=j.opt_integer(last.get("exitCode")) if last is not None else None,
    )


def container_badges(pod: j.Obj) -> list[ContainerBadge]:
    """One badge per container: init containers, then native sidecars, then regular containers.

    A container without a status is WAITING, with the pod's scheduling reason ("Unschedulable",
    "SchedulingGated") when the pod has not been scheduled; in a pod that has already failed or
    succeeded it is FAILED or SUCCEEDED with the pod's status.reason (e.g. "Evicted").
    """
    context = _pod_context(pod)
    return [_badge(item, context) for item in _containers(pod)]


BadgeKey = tuple[ContainerGroup, BadgeState]
"""What a container's badge draws: its group and its state (`ktui.render.cells.badges_text`)."""


def badge_keys(pod: j.Obj) -> tuple[BadgeKey, ...]:
    """(group, state) of each of `container_badges(pod)`, in the same order, without reading
    the rest of each badge (reasons, times, images): all that a row of badges draws."""
    deleting = j.meta(pod).get("deletionTimestamp") is not None
    phase = pod_phase(pod)
    return tuple(
        (group, _state_of_status(status, deleting, phase))
        for _, status, group, _ in _container_parts(pod)
    )


_UNSCHEDULED_WORDS = {
    "Unschedulable": "pod unschedulable",
    SCHEDULING_GATED: "pod scheduling gated",
}


def no_status_text(scheduling_reason: str | None) -> str:
    """The state of a container the kubelet has not reported (no containerStatuses entry): it
    has no state at all (kubectl describe prints none), so not "Waiting: <reason>". When the
    pod is not scheduled (PodScheduled=False `scheduling_reason`) it has not been created."""
    if not scheduling_reason:
        return "No status yet"
    words = _UNSCHEDULED_WORDS.get(scheduling_reason, f"pod not scheduled: {scheduling_reason}")
    return f"Not created ({words})"


def _detail(container: _Container, context: _PodContext) -> ContainerDetail:
    badge = _badge(container, context)
    waiting, running, terminated = _current_state_parts(container.status)
    message: str | None = None
    duration: float | None = None
    if container.status is None:
        if badge.state == BadgeState.WAITING:
            state_text = no_status_text(badge.reason)
        else:
            state_text = f"Not started: pod {badge.reason or context.phase.value}"
    elif waiting is not None:
        state_text = f"Waiting: {badge.reason}" if badge.reason else "Waiting"
        message = j.text(waiting.get("message")) or None
    elif running is not None:
        state_text = (
            f"Running since {format_time(badge.started_at)}" if badge.started_at else "Running"
        )
    elif terminated is not None:
        state_text = f"Terminated: {_termination_text(terminated)}"
        message = j.text(terminated.get("message")) or None
        if badge.started_at is not None and badge.finished_at is not None:
            duration = seconds_between(badge.started_at, badge.finished_at)
    else:
        state_text = "Waiting"
    last = _last_terminated(container.status)
    started = container.status.get("started") if container.status is not None else None
    return ContainerDetail(
        name=badge.name,
        group=badge.group,
        image=badge.image,
        state=badge.state,
        state_text=state_text,
        message=message,
        ready=badge.ready,
        started=started if isinstance(started, bool) else None,
        restart_count=badge.restarts,
        last_termination_reason=badge.last_termination_reason,
        last_exit_code=badge.last_exit_code,
        last_termination_text=_termination_text(last) if last is not None else None,
        last_finished_at=parse_time(last.get("finishedAt")) if last is not None else None,
        started_at=badge.started_at,
        finished_at=badge.finished_at,
        duration_seconds=duration,
        init_index=container.init_index,
    )


def container_groups(pod: j.Obj) -> ContainerGroups:
    """The pod's containers with their state, split into init containers, sidecars and regular."""
    context = _pod_context(pod)
    details = [_detail(item, context) for item in _containers(pod)]
    return ContainerGroups(
        init=tuple(item for item in details if item.group == "init"),
        sidecars=tuple(item for item in details if item.group == "sidecar"),
        regular=tuple(item for item in details if item.group == "main"),
    )


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodRow:
    name: str
    namespace: str
    uid: str
    ready: str  # "1/2"
    ready_count: int
    total_count: int
    status: str  # kubectl's STATUS
    severity: Severity
    restarts: int
    restarts_text: str  # "3 (45s ago)"
    last_restart: datetime | None
    age: str
    created: datetime | None
    node: str  # "<none>" when unscheduled, as kubectl -o wide
    ip: str  # "<none>" when not assigned
    phase: Phase
    deleting: bool
    badges: tuple[ContainerBadge, ...]

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


def pod_ip(pod: j.Obj) -> str:
    status = j.status(pod)
    for entry in j.objs(status.get("podIPs")):
        if j.text(entry.get("ip")):
            return j.text(entry.get("ip"))
    return j.text(status.get("podIP"))


def pod_row(pod: j.Obj, now: datetime) -> PodRow:
    printed = _print_pod(pod)
    metadata = j.meta(pod)
    creation = metadata.get("creationTimestamp")
    return PodRow(
        name=j.text(metadata.get("name")),
        namespace=j.text(metadata.get("namespace")),
        uid=j.text(metadata.get("uid")),
        ready=f"{printed.ready}/{printed.total}",
        ready_count=printed.ready,
        total_count=printed.total,
        status=printed.reason,
        severity=status_severity(printed.reason, printed.ready, printed.total),
        restarts=printed.restarts,
        restarts_text=restarts_text(printed.restarts, printed.last_restart, now),
        last_restart=printed.last_restart,
        age=age(j.text(creation) or None, now),
        created=parse_time(creation),
        node=j.text(j.spec(pod).get("nodeName")) or "<none>",
        ip=pod_ip(pod) or "<none>",
        phase=pod_phase(pod),
        deleting=metadata.get("deletionTimestamp") is not None,
        badges=tuple(container_badges(pod)),
    )


class PodListRow(NamedTuple):
    """What the Pods view shows of a pod (`pod_list_row`): the fields of `pod_row` it draws,
    without those only the pods pane reads (the RESTARTS and AGE texts, which the view draws
    from the times as they tick, the phase, the uid, the badges' reasons, times and images)."""

    name: str
    namespace: str
    ready: str  # "1/2"
    status: str  # kubectl's STATUS
    severity: Severity
    restarts: int
    last_restart: datetime | None
    created: datetime | None
    node: str  # "<none>" when unscheduled, as kubectl -o wide
    ip: str  # "<none>" when not assigned
    badges: tuple[BadgeKey, ...]


def pod_list_row(pod: j.Obj) -> PodListRow:
    """The Pods view's fields of a pod: each equal to the same field of `pod_row` (the badges:
    the group and state of each), at a fraction of its cost (read for every pod of a batch)."""
    printed = _print_pod(pod)
    metadata = j.meta(pod)
    return PodListRow(
        name=j.text(metadata.get("name")),
        namespace=j.text(metadata.get("namespace")),
        ready=f"{printed.ready}/{printed.total}",
        status=printed.reason,
        severity=status_severity(printed.reason, printed.ready, printed.total),
        restarts=printed.restarts,
        last_restart=printed.last_restart,
        created=parse_time(metadata.get("creationTimestamp")),
        node=j.text(j.spec(pod).get("nodeName")) or "<none>",
        ip=pod_ip(pod) or "<none>",
        badges=badge_keys(pod),
    )


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------


class TimelineKind(StrEnum):
    CREATED = "created"  # the pod object was created
    CONDITION = "condition"  # a pod condition last changed status
    STARTED = "started"  # a container started running
    TERMINATED = "terminated"  # a container stopped


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: TimelineKind
    subject: str  # "pod", a condition type ("Ready"), or a container name
    group: TimelineGroup
    detail: str  # "True", "False: Unschedulable", "Completed (exit 0)", "started"
    ok: bool  # False for a condition that is not True and for a non-zero exit
    duration_seconds: float | None = None  # how long the container ran, for TERMINATED
    previous_run: bool = False  # from lastState: an earlier run of a restarted container


# Order of simultaneous events (timestamps have one-second precision): the order in which the
# kubelet actually produces them.
_CONDITION_RANK = {
    "PodScheduled": 1,
    "PodReadyToStartContainers": 2,
    "Initialized": 4,
    "ContainersReady": 6,
    "Ready": 7,
}
_INIT_CONTAINER_RANK = 3
_MAIN_CONTAINER_RANK = 5
_OTHER_CONDITION_RANK = 8


def _container_runs(container: _Container) -> list[tuple[j.Obj, bool, bool]]:
    """(state body, is terminated, is previous run) for the last and current runs."""
    runs: list[tuple[j.Obj, bool, bool]] = []
    last = _last_terminated(container.status)
    if last is not None:
        runs.append((last, True, True))
    _, running, terminated = _current_state_parts(container.status)
    if running is not None:
        runs.append((running, False, False))
    elif terminated is not None:
        runs.append((terminated, True, False))
    return runs


def pod_timeline(pod: j.Obj) -> list[TimelineEntry]:
    """What happened to the pod, oldest first: creation, conditions, container starts and stops.

    Conditions appear at their lastTransitionTime with their current status (the API keeps only the
    latest transition). Containers contribute their current run and, for restarted containers, the
    previous one (lastState). Entries without a timestamp are left out.
    """
    ranked: list[tuple[datetime, int, int, TimelineEntry]] = []

    def add(rank: int, entry: TimelineEntry) -> None:
        ranked.append((entry.at, rank, len(ranked), entry))

    created = parse_time(j.meta(pod).get("creationTimestamp"))
    if created is not None:
        add(0, TimelineEntry(created, TimelineKind.CREATED, "pod", "pod", "created", True))

    for cond in j.objs(j.status(pod).get("conditions")):
        at = parse_time(cond.get("lastTransitionTime"))
        if at is None:
            continue
        cond_type = j.text(cond.get("type"))
        cond_status = j.text(cond.get("status")) or "Unknown"
        cond_reason = j.text(cond.get("reason"))
        detail = f"{cond_status}: {cond_reason}" if cond_reason else cond_status
        add(
            _CONDITION_RANK.get(cond_type, _OTHER_CONDITION_RANK),
            TimelineEntry(
                at, TimelineKind.CONDITION, cond_type, "pod", detail, cond_status == "True"
            ),
        )

    for container in _containers(pod):
        rank = _MAIN_CONTAINER_RANK if container.group == "main" else _INIT_CONTAINER_RANK
        container_name = j.text(container.spec.get("name"))
        for body, is_terminated, previous in _container_runs(container):
            started = parse_time(body.get("startedAt"))
            if started is not None:
                add(
                    rank,
                    TimelineEntry(
                        started,
                        TimelineKind.STARTED,
                        container_name,
                        container.group,
                        "started",
                        True,
                        previous_run=previous,
                    ),
                )
            finished = parse_time(body.get("finishedAt")) if is_terminated else None
            if finished is not None:
                add(
                    rank,
                    TimelineEntry(
                        finished,
                        TimelineKind.TERMINATED,
                        container_name,
                        container.group,
                        _termination_text(body),
                        j.integer(body.get("exitCode")) == 0,
                        duration_seconds=(
                            seconds_between(started, finished) if started is not None else None
                        ),
                        previous_run=previous,
                    ),
                )

    ranked.sort(key=lambda item: (item[0], item[1], item[2]))
    return [entry for *_, entry in ranked]


def phase_counts(pods: Iterable[j.Obj]) -> dict[Phase, int]:
    """How many pods are in each phase; every phase is present, zeros included."""
    counts = dict.fromkeys(Phase, 0)
    for pod in pods:
        counts[pod_phase(pod)] += 1
    return counts
