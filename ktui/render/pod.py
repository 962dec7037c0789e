"""The pod detail screen's words: the title (status, readiness, restarts, node, owner), the
notice shown once the pod is deleted, and the one shown while the pods' watch is not current."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.text import Text

from ktui.cluster.state import CachePhase, CacheState
from ktui.render.cells import SEVERITY_STYLE
from ktui.render.header import stale_text
from ktui.view.age import as_utc, since
from ktui.view.pod import pod_row


def controller_label(pod: Mapping[str, Any]) -> str:
    """ "ReplicaSet/web-5d4f": the kind and name of the pod's controller, or ""."""
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def pod_title(pod: dict[str, Any], now: datetime, *, readonly: bool = False) -> Text:
    """Two lines: name, namespace, STATUS, the phase where it differs from STATUS, ready,
    restarts, age (and READ-ONLY under --readonly, as the main screen's header says); then
    node, IP, QoS and the controller."""
    row = pod_row(pod, now)
    title = Text(no_wrap=False)
    title.append("Pod ", style="bold")
    title.append(row.name, style="bold cyan")
    title.append(f"  ns {row.namespace}", style="grey62")
    title.append("  ")
    title.append(row.status, style=SEVERITY_STYLE[row.severity])
    if row.status != row.phase.value:
        # The phase only when it says something STATUS does not ("CrashLoopBackOff (Running)").
        title.append(f"  ({row.phase.value})", style="grey62")
    title.append(f"  ready {row.ready}")
    title.append(f"  restarts {row.restarts}", style="yellow" if row.restarts else "")
    title.append(f"  age {since(row.created, now)}")
    if readonly:
        title.append("  READ-ONLY", style="bold yellow")
    title.append("\n")
    title.append(f"node {row.node}  IP {row.ip}", style="grey62")
    qos = (pod.get("status") or {}).get("qosClass")
    if qos:
        title.append(f"  QoS {qos}", style="grey62")
    owner = controller_label(pod)
    if owner:
        title.append(f"  controlled by {owner}", style="grey62")
    return title


def pod_not_found() -> Text:
    return Text("Pod not found", style="bold red")


def deleted_notice(deleted_at: datetime, now: datetime, *, last_known: bool) -> Text:
    """When the pod was deleted, and whether its last known state is still shown."""
    when = as_utc(deleted_at).strftime("%H:%M:%S")
    what = "showing its last known state" if last_known else "nothing to show"
    return Text(f"✖ This pod was deleted ({when}, {since(deleted_at, now)} ago): {what}.")


_WATCH_TROUBLE: Mapping[CachePhase, str] = {
    CachePhase.LIVE: "is silent",
    CachePhase.RECONNECTING: "is reconnecting",
    CachePhase.FORBIDDEN: "is forbidden",
    CachePhase.ERROR: "failed",
}


def stale_notice(since_moment: datetime, state: CacheState) -> Text:
    """ "● stale since 17:39:05  the pods' watch is silent: what this screen shows may be out
    of date" (the main screen's words for a pane in the same case)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"● {stale_text(since_moment)}", style="bold yellow")
    trouble = _WATCH_TROUBLE.get(state.phase, state.phase.value)
    text.append(f"  the pods' watch {trouble}: what this screen shows may be out of date")
    return text
