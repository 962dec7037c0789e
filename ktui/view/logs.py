"""Which containers of a pod have logs, and what identifies a container's current run (for
the logs screen: the container choices, the default one, when a stream ends because the
container restarted)."""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "DEFAULT_CONTAINER_ANNOTATION",
    "container_names",
    "default_container",
    "has_log",
    "line_count",
    "log_instance",
    "no_log_yet",
]

Obj = dict[str, Any]


def container_names(pod: Obj) -> list[str]:
    """Init containers (sidecars included) then regular containers, in spec order."""
    spec = pod.get("spec") or {}
    return [
        str(c.get("name"))
        for c in (*(spec.get("initContainers") or ()), *(spec.get("containers") or ()))
        if c.get("name")
    ]


DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

_NOT_YET_STARTED = frozenset({"ContainerCreating", "PodInitializing"})
"""Waiting reasons of a container that simply has not started yet (nothing is wrong)."""


def default_container(pod: Obj) -> str | None:
    """The container whose log matters, for the logs screen to open on.

    - A pod stuck in Init: the init container it waits for (the first one not done: running,
      crashing or failed; a native sidecar until it has started).
    - Else the container in the most trouble: one that crashed or failed (it has a log: its
      current or last run ended non-zero, or it is in CrashLoopBackOff), then one waiting on an
      error (ImagePullBackOff, CreateContainerConfigError...), then one running but not ready;
      among equals, the one that terminated last, regular containers before sidecars.
    - Else what `kubectl logs` picks: the kubectl.kubernetes.io/default-container annotation,
      else the first regular container.
    """
    stuck = _init_container_waited_for(pod)
    if stuck is not None:
        return stuck
    troubled = _most_troubled(pod)
    if troubled is not None:
        return troubled
    names = container_names(pod)
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        DEFAULT_CONTAINER_ANNOTATION
    )
    if annotated in names:
        return str(annotated)
    regular = (pod.get("spec") or {}).get("containers") or ()
    if regular and regular[0].get("name"):
        return str(regular[0]["name"])
    return names[0] if names else None


def _statuses(pod: Obj, key: str) -> dict[str, Obj]:
    items = (pod.get("status") or {}).get(key) or ()
    return {str(s.get("name")): s for s in items if isinstance(s, dict) and s.get("name")}


def _initialized(pod: Obj) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if isinstance(condition, dict) and condition.get("type") == "Initialized":
            return condition.get("status") == "True"
    return False


def _is_sidecar(container: Obj) -> bool:
    return container.get("restartPolicy") == "Always"


def _init_container_waited_for(pod: Obj) -> str | None:
    """The first init container not done yet, when the pod has not finished initializing."""
    if _initialized(pod):
        return None
    statuses = _statuses(pod, "initContainerStatuses")
    if not statuses:
        return None
    for container in (pod.get("spec") or {}).get("initContainers") or ():
        name = str(container.get("name") or "")
        status = statuses.get(name) or {}
        state = status.get("state") or {}
        if _is_sidecar(container):
            done = bool(state.get("running")) and status.get("started") is True
        else:
            done = (state.get("terminated") or {}).get("exitCode") == 0
        if not done:
            return name or None
    return None


def _finished_at(status: Obj) -> str:
    """When the container's current or last run ended (RFC 3339 sorts as text), else ""."""
    times = [
        str(((status.get(key) or {}).get("terminated") or {}).get("finishedAt") or "")
        for key in ("state", "lastState")
    ]
    return max(times)


def _trouble(status: Obj) -> int:
    """0: crashed or failed; 1: waiting on an error; 2: running, not ready; 3: fine."""
    state = status.get("state") or {}
    terminated = state.get("terminated")
    if terminated is not None:
        return 0 if terminated.get("exitCode") not in (0, None) else 3
    last = (status.get("lastState") or {}).get("terminated") or {}
    crashed_before = last.get("exitCode") not in (0, None)
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason") or ""
        if reason == "CrashLoopBackOff" or crashed_before:
            return 0
        return 3 if reason in _NOT_YET_STARTED else 1
    if state.get("running") is not None and not status.get("ready"):
        return 0 if crashed_before else 2
    return 3


def _most_troubled(pod: Obj) -> str | None:
    spec = pod.get("spec") or {}
    regular = _statuses(pod, "containerStatuses")
    init = _statuses(pod, "initContainerStatuses")
    candidates: list[tuple[int, str, int, int, str]] = []
    order = 0
    for container in spec.get("containers") or ():
        name = str(container.get("name") or "")
        if name in regular:
            status = regular[name]
            candidates.append((_trouble(status), _finished_at(status), 0, order, name))
        order += 1
    for container in spec.get("initContainers") or ():
        name = str(container.get("name") or "")
        if _is_sidecar(container) and name in init:
            status = init[name]
            candidates.append((_trouble(status), _finished_at(status), 1, order, name))
        order += 1
    troubled = [c for c in candidates if c[0] < 3]
    if not troubled:
        return None
    # Stable sorts, least significant first: spec order with regular containers before
    # sidecars; then the latest termination first; then the worst trouble first.
    troubled.sort(key=lambda c: (c[2], c[3]))
    troubled.sort(key=lambda c: c[1], reverse=True)
    troubled.sort(key=lambda c: c[0])
    return troubled[0][4]


def _status_of(pod: Obj, container: str) -> Obj | None:
    status = pod.get("status") or {}
    for item in (
        *(status.get("initContainerStatuses") or ()),
        *(status.get("containerStatuses") or ()),
    ):
        if item.get("name") == container:
            return dict(item)
    return None


def log_instance(pod: Obj, container: str) -> str:
    """Which container instance's log a read of the current log (not `previous`) returns, as the
    kubelet picks it (validateContainerLogStatus): the running container; else the terminated
    one; else, while it waits to start again (CrashLoopBackOff), the last one that terminated.
    "" when there is none yet (never started).

    An instance is its containerID (else, for a status written without one, when it started).
    A follow stream ends when its container exits; the status then turns terminated and waiting,
    but the log is the same instance's until a new one starts, so that is when the log is read
    again (a change of state alone would read the ended run a second time)."""
    status = _status_of(pod, container) or {}
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    if isinstance(state.get("running"), dict):
        return _instance(status.get("containerID"), state["running"])
    terminated = state.get("terminated")
    if isinstance(terminated, dict) and (terminated.get("containerID") or not last):
        return _instance(terminated.get("containerID") or status.get("containerID"), terminated)
    if isinstance(last, dict) and last:
        return _instance(last.get("containerID"), last)
    return ""


def _instance(container_id: Any, run: Obj) -> str:
    if container_id:
        return str(container_id)
    started = run.get("startedAt")
    return f"started {started}" if started else "unknown"


def has_log(pod: Obj, container: str, previous: bool) -> bool:
    """Whether the container ever ran (for `previous`: ran before its current run)."""
    status = _status_of(pod, container)
    if status is None:
        return False
    if previous:
        return bool((status.get("lastState") or {}).get("terminated"))
    state = status.get("state") or {}
    return bool(state.get("running") or state.get("terminated")) or bool(
        (status.get("lastState") or {}).get("terminated")
    )


def container_choices(pod: Obj) -> list[tuple[str, str]]:
    """(container name, what it is and how it is) for the logs' container picker, in spec
    order: "init container · terminated: Completed (exit 0)", "sidecar · running",
    "container · waiting: CrashLoopBackOff · 5 restarts"."""
    spec = pod.get("spec") or {}
    statuses = {
        **_statuses(pod, "initContainerStatuses"),
        **_statuses(pod, "containerStatuses"),
    }
    found: list[tuple[str, str]] = []
    groups = (("initContainers", "init container"), ("containers", "container"))
    for key, label in groups:
        for container in spec.get(key) or ():
            if not isinstance(container, dict) or not container.get("name"):
                continue
            name = str(container["name"])
            what = "sidecar" if key == "initContainers" and _is_sidecar(container) else label
            parts = [what, _state_words(statuses.get(name))]
            restarts = (statuses.get(name) or {}).get("restartCount") or 0
            if isinstance(restarts, int) and restarts:
                parts.append(f"{restarts} restart{'s' if restarts != 1 else ''}")
            found.append((name, " · ".join(parts)))
    return found


def _state_words(status: Obj | None) -> str:
    state = (status or {}).get("state") or {}
    if not isinstance(state, dict) or not state:
        return "not started"
    if "running" in state:
        return "running" if (status or {}).get("ready") else "running, not ready"
    if isinstance(state.get("waiting"), dict):
        return f"waiting: {state['waiting'].get('reason') or 'waiting'}"
    terminated = state.get("terminated")
    if isinstance(terminated, dict):
        reason = terminated.get("reason") or "Terminated"
        return f"terminated: {reason} (exit {terminated.get('exitCode')})"
    return "not started"


_NO_LOG_YET = re.compile(
    r'(?:previous terminated )?container "[^"]*" in pod "[^"]*"'
    r" (?:is waiting to start\b.*|not found|is not available|is terminated)$"
)
"""The kubelet's refusals (validateContainerLogStatus) of a log that does not exist yet,
which the API server passes on as a 400: the container has not started (its waiting reason,
"trying and failing to pull image"), or has no previous instance."""


def no_log_yet(error: str) -> str | None:
    """The kubelet's own words when `error` (a failed log read, as shown) says the container
    has no log to read yet, as `kubectl logs` prints them (`container "app" in pod "web-1" is
    waiting to start: trying and failing to pull image`): not an error of the read, the
    container's state. None for any other error."""
    found = _NO_LOG_YET.search(error)
    return found.group(0) if found else None


def line_count(count: int) -> str:
    """ "1 line", "0 lines", "12 lines"."""
    return f"{count} line" if count == 1 else f"{count} lines"
