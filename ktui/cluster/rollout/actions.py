"""`kubectl rollout restart|pause|resume` and `kubectl scale`, with kubectl v1.32's requests,
refusals and output lines.

Like kubectl, restart/pause/resume read the object fresh, decide, then send the strategic-merge
patch kubectl computes (a two-way merge of the object before and after the change). Errors are
kubectl's text without its "error: " prefix, e.g. `deployments.apps "web" is already paused`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ktui.cluster.gofmt import go_quote, go_rfc3339
from ktui.cluster.objects import JsonDict, as_dict
from ktui.cluster.rollout.api import request_object
from ktui.cluster.rollout.effects import restart_refusal
from ktui.cluster.rollout.workload import (
    DAEMON_SET,
    DEPLOYMENT,
    RESTARTED_AT_ANNOTATION,
    RolloutError,
    WorkloadKind,
    workload_kind,
)

__all__ = ["pause", "restart", "restart_patch", "resume", "scale"]

_STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
_MERGE_PATCH = "application/merge-patch+json"


def _fetch(
    api_client: Any, workload: WorkloadKind, namespace: str, name: str, timeout: float | None
) -> JsonDict:
    return request_object(api_client, "GET", workload.object_path(namespace, name), timeout=timeout)


def _refusal(workload: WorkloadKind, name: str, reason: str) -> RolloutError:
    # kubectl prints fmt.Errorf("error: %s %q %v", resource, name, err); minus its "error: ".
    return RolloutError(f"{workload.resource} {go_quote(name)} {reason}")


def _patch(
    api_client: Any,
    workload: WorkloadKind,
    namespace: str,
    name: str,
    body: JsonDict,
    content_type: str,
    timeout: float | None,
) -> JsonDict:
    try:
        return request_object(
            api_client,
            "PATCH",
            workload.object_path(namespace, name),
            body=body,
            content_type=content_type,
            timeout=timeout,
        )
    except RolloutError as exc:
        raise RolloutError(
            f"failed to patch: {exc.message}", status=exc.status, reason=exc.reason
        ) from exc


def restart_patch(now: dt.datetime) -> JsonDict:
    """The strategic-merge patch `kubectl rollout restart` sends at time `now`."""
    return {
        "spec": {
            "template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: go_rfc3339(now)}}}
        }
    }


def restart(
    api_client: Any,
    kind: str,
    namespace: str,
    name: str,
    now: dt.datetime,
    *,
    timeout: float | None = 30.0,
) -> str:
    """`kubectl rollout restart`: stamp the pod template with kubectl.kubernetes.io/restartedAt
    (`now` in RFC 3339, whole seconds, as kubectl formats time.Now()). Refuses a paused
    Deployment as kubectl does. Returns "deployment.apps/web restarted"."""
    workload = workload_kind(kind)
    obj = _fetch(api_client, workload, namespace, name, timeout)
    spec = as_dict(obj.get("spec"))
    refusal = restart_refusal(workload.kind, obj)
    if refusal is not None:
        raise RolloutError(refusal)
    stamp = go_rfc3339(now)
    template_meta = as_dict(as_dict(spec.get("template")).get("metadata"))
    if as_dict(template_meta.get("annotations")).get(RESTARTED_AT_ANNOTATION) == stamp:
        # Restarted within the same second: kubectl's patch is empty and it reports this error
        # (after sending the no-op "{}", which is skipped here).
        raise RolloutError(f"failed to create patch for {name}: empty patch")
    _patch(
        api_client, workload, namespace, name, restart_patch(now), _STRATEGIC_MERGE_PATCH, timeout
    )
    return f"{workload.printed}/{name} restarted"


def _set_paused(
    api_client: Any,
    kind: str,
    namespace: str,
    name: str,
    paused: bool,
    timeout: float | None,
) -> str:
    workload = workload_kind(kind)
    if workload.kind != DEPLOYMENT:
        # kubectl reads the object first, then its pauser/resumer refuses the kind.
        _fetch(api_client, workload, namespace, name, timeout)
        verb = "pausing" if paused else "resuming"
        raise _refusal(workload, name, f"{verb} is not supported")
    obj = _fetch(api_client, workload, namespace, name, timeout)
    is_paused = as_dict(obj.get("spec")).get("paused") is True
    if paused and is_paused:
        raise _refusal(workload, name, "is already paused")
    if not paused and not is_paused:
        raise _refusal(workload, name, "is not paused")
    # `paused` is omitempty: resuming removes the field, so the two-way merge patch nulls it.
    body: JsonDict = {"spec": {"paused": True if paused else None}}
    _patch(api_client, workload, namespace, name, body, _STRATEGIC_MERGE_PATCH, timeout)
    return f"{workload.printed}/{name} {'paused' if paused else 'resumed'}"


def pause(
    api_client: Any, kind: str, namespace: str, name: str, *, timeout: float | None = 30.0
) -> str:
    """`kubectl rollout pause`: Deployments only. Returns "deployment.apps/web paused"."""
    return _set_paused(api_client, kind, namespace, name, True, timeout)


def resume(
    api_client: Any, kind: str, namespace: str, name: str, *, timeout: float | None = 30.0
) -> str:
    """`kubectl rollout resume`: Deployments only. Returns "deployment.apps/web resumed"."""
    return _set_paused(api_client, kind, namespace, name, False, timeout)


def scale(
    api_client: Any,
    kind: str,
    namespace: str,
    name: str,
    replicas: int,
    resource_version: str | None = None,
    *,
    timeout: float | None = 30.0,
) -> str:
    """`kubectl scale --replicas=N [--resource-version=RV]` through the scale subresource.

    Without `resource_version`: one merge patch {"spec":{"replicas":N}}. With it: read the
    Scale, refuse with kubectl's "Expected resource version to be X, was Y" if it moved on,
    else PUT it back with the new replica count (the server rejects that with 409 if the object
    changed in between; the conflict is reported, not retried). Returns
    "deployment.apps/web scaled".
    """
    workload = workload_kind(kind)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise RolloutError(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
        )
    if workload.kind == DAEMON_SET:
        raise RolloutError(
            f"{workload.resource} {go_quote(name)} cannot be scaled: "
            "DaemonSets have no scale subresource"
        )
    path = workload.object_path(namespace, name) + "/scale"
    if resource_version:
        current = request_object(api_client, "GET", path, timeout=timeout)
        actual = str(as_dict(current.get("metadata")).get("resourceVersion") or "")
        if actual != resource_version:
            raise RolloutError(f"Expected resource version to be {resource_version}, was {actual}")
        current.setdefault("spec", {})
        current["spec"]["replicas"] = replicas
        request_object(api_client, "PUT", path, body=current, timeout=timeout)
    else:
        request_object(
            api_client,
            "PATCH",
            path,
            body={"spec": {"replicas": replicas}},
            content_type=_MERGE_PATCH,
            timeout=timeout,
        )
    return f"{workload.printed}/{name} scaled"
