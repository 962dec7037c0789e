"""What a rollout action will really do to a workload, in words for its confirmation dialog.

`kubectl rollout restart` only stamps the pod template; whether pods are then replaced, and
which, is the workload's update strategy's decision: a DaemonSet or StatefulSet with
`OnDelete` replaces none until they are deleted, a StatefulSet's `rollingUpdate.partition`
keeps the ordinals below it. Resuming a paused Deployment rolls out whatever template change
waited for it. Pure functions on decoded JSON; headless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ktui.cluster.gofmt import go_quote
from ktui.cluster.objects import as_dict, name_of, optional_int, pod_template
from ktui.cluster.rollout.history import deployment_replica_sets
from ktui.cluster.rollout.revisions import annotation_revision
from ktui.cluster.rollout.workload import (
    DAEMON_SET,
    DEPLOYMENT,
    RESTARTED_AT_ANNOTATION,
    STATEFUL_SET,
    workload_kind,
)

__all__ = ["pause_effect", "restart_effect", "restart_refusal", "resume_effect"]

_STAMP = f"Sets {RESTARTED_AT_ANNOTATION} on the pod template, like `kubectl rollout restart`"


def restart_refusal(kind: str, obj: Mapping[str, Any]) -> str | None:
    """kubectl's refusal to restart `obj` (a paused Deployment), without its "error: "; None
    when kubectl would send the patch."""
    workload = workload_kind(kind)
    if workload.kind == DEPLOYMENT and as_dict(obj.get("spec")).get("paused") is True:
        return (
            f"{workload.resource} {go_quote(name_of(obj))} can't restart paused deployment "
            "(run rollout resume first)"
        )
    return None


def restart_effect(kind: str, obj: Mapping[str, Any]) -> str:
    """What `kubectl rollout restart` of `obj` leads to under its update strategy."""
    workload = workload_kind(kind)
    spec = as_dict(obj.get("spec"))
    if workload.kind == DEPLOYMENT:
        if as_dict(spec.get("strategy")).get("type") == "Recreate":
            return (
                f"{_STAMP}. With the Recreate strategy every pod is stopped first, then the "
                "new ones start: nothing runs in between."
            )
        return f"{_STAMP}: every pod is replaced by a rolling update."
    strategy = as_dict(spec.get("updateStrategy"))
    if strategy.get("type") == "OnDelete":
        return (
            f"{_STAMP}. With updateStrategy OnDelete no pod is replaced now: a pod gets the "
            "new template only when it is deleted."
        )
    if workload.kind == STATEFUL_SET:
        partition = optional_int(as_dict(strategy.get("rollingUpdate")).get("partition")) or 0
        replicas = optional_int(spec.get("replicas"))
        replicas = 1 if replicas is None else replicas
        name = name_of(obj)
        if partition > 0 and partition >= replicas:
            return (
                f"{_STAMP}. With rollingUpdate.partition {partition} and {replicas} "
                "replica(s) no pod is replaced: only ordinals >= the partition are updated."
            )
        if partition > 0:
            last = replicas - 1
            updated = f"{name}-{partition}" + (f" … {name}-{last}" if last > partition else "")
            kept = f"{name}-0" + (f" … {name}-{partition - 1}" if partition > 1 else "")
            return (
                f"{_STAMP}. With rollingUpdate.partition {partition} only the pods with "
                f"ordinal >= {partition} ({updated}) are replaced by a rolling update; "
                f"{kept} {'keeps' if partition == 1 else 'keep'} the old template."
            )
    if workload.kind == DAEMON_SET or workload.kind == STATEFUL_SET:
        return f"{_STAMP}: every pod is replaced by a rolling update."
    return f"{_STAMP}."  # pragma: no cover - every rollout kind is handled above


def pause_effect() -> str:
    """What `kubectl rollout pause` of a Deployment does."""
    return (
        "Pausing stops the Deployment's rollouts: template changes made while it is paused "
        "wait until it is resumed (scaling still applies)."
    )


def _images(template: Mapping[str, Any]) -> dict[str, str]:
    containers = as_dict(template.get("spec")).get("containers") or ()
    return {
        str(c.get("name", "")): str(c.get("image", "")) for c in containers if isinstance(c, dict)
    }


def _image_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    old, new = _images(before), _images(after)
    return [
        f"{name}: {old[name]} → {image}"
        for name, image in new.items()
        if name in old and old[name] != image
    ]


def _revision(rs: Mapping[str, Any]) -> int:
    try:
        return annotation_revision(rs)
    except ValueError:
        return 0


def resume_effect(deployment: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]]) -> str:
    """What `kubectl rollout resume` of a paused `deployment` leads to: the template change
    made while it was paused rolls out when its template differs from every ReplicaSet's
    (kubectl's "new ReplicaSet" is the one whose template equals the Deployment's)."""
    all_rs, new_rs = deployment_replica_sets(deployment, replica_sets)
    if new_rs is not None:
        return (
            "Resuming lets the controller act on the Deployment again. Its pod template is "
            f"ReplicaSet {name_of(new_rs)}'s already: nothing new rolls out now."
        )
    latest = max(all_rs, key=_revision) if all_rs else None
    if latest is None:
        return "Resuming rolls out the pod template: a new ReplicaSet is created for it."
    changes = _image_changes(pod_template(latest), pod_template(deployment))
    what = (
        f" (image {'; '.join(changes)})"
        if changes
        else " (no image changes: the history shows the template's diff)"
    )
    return (
        "Resuming rolls out the pending template change: a new ReplicaSet replaces the pods "
        f"of {name_of(latest)}{what}."
    )
