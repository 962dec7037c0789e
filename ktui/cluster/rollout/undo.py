"""`kubectl rollout undo`: plan the exact request kubectl v1.32 would send, then send it.

Mirrors pkg/polymorphichelpers/rollback.go. `plan_undo` is pure: it resolves the target
revision with kubectl's rules, applies kubectl's refusals in kubectl's order, and builds the
patch kubectl would send (a JSON patch replacing the template and annotations for a Deployment,
the ControllerRevision's stored strategic-merge patch for a StatefulSet or DaemonSet).
`execute_undo` sends that patch in one request.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ktui.cluster.gofmt import go_quote
from ktui.cluster.objects import (
    JsonDict,
    annotations_of,
    as_dict,
    int_field,
    name_of,
    namespace_of,
    pod_template,
)
from ktui.cluster.rollout.api import request_object
from ktui.cluster.rollout.equality import equal_ignore_hash, go_json_template, without_hash_label
from ktui.cluster.rollout.history import (
    controller_revisions,
    deployment_replica_sets,
    template_diff,
)
from ktui.cluster.rollout.revisions import (
    annotation_revision,
    revision_data,
    revision_matches,
    template_from_revision,
)
from ktui.cluster.rollout.workload import (
    DEPLOYMENT,
    REVISION_ANNOTATION,
    RolloutError,
    workload_kind,
)
from ktui.cluster.selectors import selector_string

__all__ = [
    "ANNOTATIONS_TO_SKIP",
    "JSON_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "UndoPlan",
    "execute_undo",
    "fetch_workload",
    "plan_undo",
    "undo_target_template",
]

JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"

# Annotations a Deployment keeps through a rollback instead of taking the ReplicaSet's.
ANNOTATIONS_TO_SKIP = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION_ANNOTATION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)


@dataclass(frozen=True)
class UndoPlan:
    """What `kubectl rollout undo [--to-revision=N]` would do to one workload."""

    kind: str
    namespace: str
    name: str
    to_revision: int
    """The revision asked for; 0 means the previous one (kubectl's default)."""
    target_revision: int
    """The revision number actually rolled back to."""
    source_name: str
    """The ReplicaSet or ControllerRevision holding the target template."""
    skipped: bool
    """The current template already matches the target: kubectl sends nothing."""
    message: str
    """kubectl's output line, e.g. "deployment.apps/web rolled back" or
    "deployment.apps/web skipped rollback (current template already matches revision 2)"."""
    patch_type: str | None
    """The Content-Type of the patch (None when skipped)."""
    patch: list[JsonDict] | JsonDict | None
    """The patch body kubectl would send (None when skipped)."""
    current_template: JsonDict
    """The workload's pod template now (as Go encodes it: null creationTimestamp included)."""
    target_template: JsonDict
    """The pod template the undo restores (pod-template-hash label removed for Deployments)."""
    diff: list[str]
    """template_diff(current_template, target_template)."""

    @property
    def path(self) -> str:
        """The URL path the patch is sent to."""
        return workload_kind(self.kind).object_path(self.namespace, self.name)


def _revision_not_found(revision: int) -> RolloutError:
    return RolloutError(f"unable to find specified revision {revision} in history")


def plan_undo(
    kind: str,
    obj: Mapping[str, Any],
    children: Iterable[Mapping[str, Any]],
    to_revision: int = 0,
) -> UndoPlan:
    """Plan `kubectl rollout undo` of `obj` given its candidate ReplicaSets (Deployment) or
    ControllerRevisions (StatefulSet, DaemonSet). Raises RolloutError with kubectl's message
    when kubectl would refuse; a rollback to the current template is a plan with `skipped`."""
    workload = workload_kind(kind)
    if to_revision < 0:
        raise _revision_not_found(to_revision)
    if workload.kind == DEPLOYMENT:
        return _plan_deployment(obj, children, to_revision)
    return _plan_revision_workload(workload.kind, obj, children, to_revision)


def _find_replica_set(
    deployment: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]], to_revision: int
) -> tuple[JsonDict, int]:
    """kubectl's deploymentRevision: the ReplicaSet of `to_revision`, or for 0 the one with the
    second-highest revision among all the Deployment's ReplicaSets."""
    all_rs, _ = deployment_replica_sets(deployment, replica_sets)
    latest: JsonDict | None = None
    latest_revision = -1
    previous: JsonDict | None = None
    previous_revision = -1
    for rs in all_rs:
        try:
            revision = annotation_revision(rs)
        except ValueError:
            continue
        if to_revision == 0:
            if latest_revision < revision:
                previous, previous_revision = latest, latest_revision
                latest, latest_revision = rs, revision
            elif previous_revision < revision:
                previous, previous_revision = rs, revision
        elif revision == to_revision:
            return rs, revision
    if to_revision > 0:
        raise _revision_not_found(to_revision)
    if previous is None:
        raise RolloutError(
            f"no rollout history found for deployment {go_quote(name_of(deployment))}"
        )
    return previous, previous_revision


def _make_plan(
    kind: str,
    obj: Mapping[str, Any],
    to_revision: int,
    target_revision: int,
    source: Mapping[str, Any],
    target_template: JsonDict,
    patch_type: str | None,
    patch: list[JsonDict] | JsonDict | None,
) -> UndoPlan:
    """A plan; `patch` None means kubectl skips the rollback."""
    workload = workload_kind(kind)
    name = name_of(obj)
    current = go_json_template(pod_template(obj))
    target = go_json_template(target_template)
    if patch is None:
        # kubectl names the revision asked for: a skipped default undo says "revision 0".
        message = (
            f"{workload.printed}/{name} skipped rollback (current template already matches "
            f"revision {to_revision})"
        )
    else:
        message = f"{workload.printed}/{name} rolled back"
    return UndoPlan(
        kind=workload.kind,
        namespace=namespace_of(obj),
        name=name,
        to_revision=to_revision,
        target_revision=target_revision,
        source_name=name_of(source),
        skipped=patch is None,
        message=message,
        patch_type=patch_type if patch is not None else None,
        patch=patch,
        current_template=current,
        target_template=target,
        diff=template_diff(current, target),
    )


def undo_target_template(kind: str | None, revision_template: Mapping[str, Any]) -> JsonDict:
    """The pod template an undo to a revision restores, given the revision's template (as
    `HistoryRevision.template` holds it): for a Deployment, the ReplicaSet's template without
    the pod-template-hash label, which kubectl drops; for the other kinds the template as it is.
    Always a copy."""
    if kind == DEPLOYMENT:
        return without_hash_label(revision_template)
    return copy.deepcopy(dict(revision_template))


def _plan_deployment(
    deployment: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]], to_revision: int
) -> UndoPlan:
    rs, target_revision = _find_replica_set(deployment, replica_sets, to_revision)
    if as_dict(deployment.get("spec")).get("paused") is True:
        raise RolloutError(
            "you cannot rollback a paused deployment; resume it first with "
            "'kubectl rollout resume' and try again"
        )
    target = go_json_template(undo_target_template(DEPLOYMENT, pod_template(rs)))
    patch: list[JsonDict] | None = None
    if not equal_ignore_hash(pod_template(rs), pod_template(deployment)):
        # The Deployment keeps its own bookkeeping annotations and takes all the others from
        # the ReplicaSet (a change-cause on the Deployment alone is dropped, as kubectl does).
        annotations = {
            k: v for k, v in annotations_of(deployment).items() if k in ANNOTATIONS_TO_SKIP
        }
        annotations.update(
            (k, v) for k, v in annotations_of(rs).items() if k not in ANNOTATIONS_TO_SKIP
        )
        patch = [
            {"op": "replace", "path": "/spec/template", "value": target},
            {
                "op": "replace",
                "path": "/metadata/annotations",
                "value": dict(sorted(annotations.items())),
            },
        ]
    return _make_plan(
        DEPLOYMENT, deployment, to_revision, target_revision, rs, target, JSON_PATCH, patch
    )


def _plan_revision_workload(
    kind: str, obj: Mapping[str, Any], revisions: Iterable[Mapping[str, Any]], to_revision: int
) -> UndoPlan:
    history = controller_revisions(obj, revisions)
    if to_revision == 0 and len(history) <= 1:
        raise RolloutError("no last revision to roll back to")
    target_history: JsonDict | None
    if to_revision == 0:
        # kubectl sorts by revision and takes the second-highest.
        target_history = sorted(history, key=lambda h: int_field(h.get("revision")))[-2]
    else:
        target_history = next(
            (h for h in history if int_field(h.get("revision")) == to_revision), None
        )
    if target_history is None:
        raise _revision_not_found(to_revision)
    target = undo_target_template(kind, template_from_revision(obj, target_history))
    patch: JsonDict | None = None
    if not revision_matches(obj, target_history):
        # kubectl sends the revision's stored data verbatim.
        patch = copy.deepcopy(revision_data(target_history))
    return _make_plan(
        kind,
        obj,
        to_revision,
        int_field(target_history.get("revision")),
        target_history,
        target,
        STRATEGIC_MERGE_PATCH,
        patch,
    )


def execute_undo(api_client: Any, plan: UndoPlan, *, timeout: float | None = 30.0) -> str:
    """Send the plan's patch in one request, as kubectl does (no resourceVersion precondition:
    kubectl 1.32 sends none), and return kubectl's output line. A skipped plan sends nothing.

    API errors become RolloutError("failed restoring revision N: <server message>"), kubectl's
    wording, with `status`/`reason` from the server's Status; nothing is retried. N is the
    revision asked for, as kubectl prints it (0 for "the previous one"); a screen that named
    `target_revision` in its confirmation says that one instead (`ktui.ui.screens.rollout`).
    """
    if plan.skipped or plan.patch is None or plan.patch_type is None:
        return plan.message
    try:
        request_object(
            api_client,
            "PATCH",
            plan.path,
            body=plan.patch,
            content_type=plan.patch_type,
            timeout=timeout,
        )
    except RolloutError as exc:
        raise RolloutError(
            f"failed restoring revision {plan.to_revision}: {exc.message}",
            status=exc.status,
            reason=exc.reason,
        ) from exc
    return plan.message


def fetch_workload(
    api_client: Any, kind: str, namespace: str, name: str, *, timeout: float | None = 30.0
) -> tuple[JsonDict, list[JsonDict]]:
    """Read what kubectl reads before an undo or a history: the workload, then its candidate
    children (ReplicaSets or ControllerRevisions) listed with the workload's label selector.

    `plan_undo(kind, *fetch_workload(...))` is then exactly kubectl's decision on the server's
    current state, for callers that do not want to trust a cache.
    """
    workload = workload_kind(kind)
    obj = request_object(api_client, "GET", workload.object_path(namespace, name), timeout=timeout)
    plural = "replicasets" if workload.child_kind == "ReplicaSet" else "controllerrevisions"
    path = f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/{plural}"
    selector = selector_string(as_dict(obj.get("spec")).get("selector"))
    if selector:
        path += f"?labelSelector={quote(selector, safe='')}"
    listed = request_object(api_client, "GET", path, timeout=timeout)
    items = [item for item in listed.get("items") or () if isinstance(item, dict)]
    return obj, items
