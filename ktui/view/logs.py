"""Which containers of a pod have logs, and what identifies a container's current run (for
the logs screen: the container choices, the default one, when a stream ends because the
container restarted)."""

from __future__ import annotations

from typing import Any

__all__ = ["container_names", "default_container", "has_log", "run_signature"]

Obj = dict[str, Any]


def container_names(pod: Obj) -> list[str]:
    """Init containers (sidecars included) then regular containers, in spec order."""
    spec = pod.get("spec") or {}
    return [
        str(c.get("name"))
        for c in (*(spec.get("initContainers") or ()), *(spec.get("containers") or ()))
        if c.get("name")
    ]


def default_container(pod: Obj) -> str | None:
    """The first regular container (what `kubectl logs` picks, minus the annotation)."""
    regular = (pod.get("spec") or {}).get("containers") or ()
    if regular and regular[0].get("name"):
        return str(regular[0]["name"])
    names = container_names(pod)
    return names[0] if names else None


def _status_of(pod: Obj, container: str) -> Obj | None:
    status = pod.get("status") or {}
    for item in (
        *(status.get("initContainerStatuses") or ()),
        *(status.get("containerStatuses") or ()),
    ):
        if item.get("name") == container:
            return dict(item)
    return None


def run_signature(pod: Obj, container: str) -> tuple[str, str, int]:
    """What identifies the container's current run: (state, containerID, restartCount)."""
    status = _status_of(pod, container) or {}
    state = status.get("state") or {}
    kind = next(iter(state), "")
    return (str(kind), str(status.get("containerID", "")), int(status.get("restartCount") or 0))


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
