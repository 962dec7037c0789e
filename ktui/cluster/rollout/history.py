"""`kubectl rollout history` as pure functions of the workload and its candidate children.

Mirrors kubectl v1.32's HistoryViewers (pkg/polymorphichelpers/history.go) and the ReplicaSet
bookkeeping of pkg/util/deployment: which ReplicaSets / ControllerRevisions belong to a workload
(its selector AND its controller ownerReference), how revisions are numbered and de-duplicated,
and the exact text `rollout history` prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from ktui.cluster.gofmt import tabwriter
from ktui.cluster.objects import (
    JsonDict,
    annotations_of,
    as_dict,
    controller_uid,
    creation_time,
    int_field,
    labels_of,
    metadata,
    name_of,
    optional_int,
    pod_template,
)
from ktui.cluster.rollout.equality import equal_ignore_hash, semantic_form
from ktui.cluster.rollout.revisions import (
    annotation_revision,
    owned_children,
    revision_matches,
    template_from_revision,
)
from ktui.cluster.rollout.workload import (
    CHANGE_CAUSE_ANNOTATION,
    DEPLOYMENT,
    RolloutError,
    workload_kind,
)

__all__ = [
    "HistoryRevision",
    "controller_revisions",
    "deployment_replica_sets",
    "history_table",
    "rollout_history",
    "template_diff",
]

_NO_CHANGE_CAUSE = "<none>"
_REVISION_HASH_LABELS = ("controller-revision-hash", "controller.kubernetes.io/hash")


@dataclass(frozen=True)
class HistoryRevision:
    """One line of `kubectl rollout history`, with what the UI shows next to it."""

    revision: int
    change_cause: str
    """As kubectl shows it: the kubernetes.io/change-cause annotation, "<none>" when empty."""
    template: JsonDict
    """The pod template of this revision (a ReplicaSet's as stored, pod-template-hash label
    included; for a ControllerRevision, its data applied to the workload)."""
    images: tuple[str, ...]
    """The images of the template's containers, in order."""
    created: str | None
    """The ReplicaSet's / ControllerRevision's creationTimestamp."""
    replicas: int | None
    """ReplicaSet: status.replicas. ControllerRevision: the workload's pods labelled with this
    revision's hash when pods were given, else None."""
    desired_replicas: int | None
    """ReplicaSet: spec.replicas. ControllerRevision: None."""
    name: str
    """The ReplicaSet's / ControllerRevision's name."""
    is_current: bool
    """This revision's template is the workload's current template (the one an undo to this
    revision would skip on)."""


def deployment_replica_sets(
    deployment: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]]
) -> tuple[list[JsonDict], JsonDict | None]:
    """kubectl's GetAllReplicaSets: (all old ReplicaSets followed by the new one, the new one).

    Candidates are those matching the Deployment's selector and controlled by it, sorted by
    creation time then name; the new ReplicaSet is the oldest whose template equals the
    Deployment's ignoring the pod-template-hash label.
    """
    owned = owned_children(deployment, replica_sets, "ReplicaSet")
    owned.sort(key=lambda rs: (creation_time(rs), name_of(rs)))
    template = pod_template(deployment)
    new_rs = next((rs for rs in owned if equal_ignore_hash(pod_template(rs), template)), None)
    ordered = [rs for rs in owned if rs is not new_rs]
    if new_rs is not None:
        ordered.append(new_rs)
    return ordered, new_rs


def controller_revisions(
    workload: Mapping[str, Any], revisions: Iterable[Mapping[str, Any]]
) -> list[JsonDict]:
    """kubectl's controlledHistory: the ControllerRevisions matching the workload's selector and
    controlled by it, in the API server's list order (by name)."""
    return owned_children(workload, revisions, "ControllerRevision")


def rollout_history(
    kind: str,
    obj: Mapping[str, Any],
    children: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]] | None = None,
) -> list[HistoryRevision]:
    """The revisions `kubectl rollout history` lists for `obj`, in ascending revision order.

    `children` are candidate ReplicaSets (Deployment) or ControllerRevisions (StatefulSet,
    DaemonSet); those not belonging to `obj` are ignored as kubectl ignores them. Where several
    share a revision number the last one in kubectl's order wins, as in kubectl's map.
    `pods` (optional) lets ControllerRevision entries count the pods at that revision.
    """
    workload = workload_kind(kind)
    if workload.kind == DEPLOYMENT:
        return _deployment_history(obj, children)
    return _revision_history(obj, children, pods)


def _images(template: Mapping[str, Any]) -> tuple[str, ...]:
    containers = as_dict(template.get("spec")).get("containers") or ()
    return tuple(str(c.get("image", "")) for c in containers if isinstance(c, dict))


def _created(obj: Mapping[str, Any]) -> str | None:
    value = metadata(obj).get("creationTimestamp")
    return str(value) if value else None


def _deployment_history(
    deployment: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]]
) -> list[HistoryRevision]:
    all_rs, new_rs = deployment_replica_sets(deployment, replica_sets)
    by_revision: dict[int, JsonDict] = {}
    for rs in all_rs:
        try:
            revision = annotation_revision(rs)
        except ValueError:
            continue  # kubectl logs a warning and skips it
        by_revision[revision] = rs
    result = []
    for revision in sorted(by_revision):
        rs = by_revision[revision]
        template = pod_template(rs)
        template_annotations = as_dict(as_dict(template.get("metadata")).get("annotations"))
        # kubectl copies the ReplicaSet's change-cause into its template's annotations and
        # prints the template's: a template-level change-cause shows when the RS has none.
        cause = annotations_of(rs).get(CHANGE_CAUSE_ANNOTATION) or str(
            template_annotations.get(CHANGE_CAUSE_ANNOTATION) or ""
        )
        status = as_dict(rs.get("status"))
        result.append(
            HistoryRevision(
                revision=revision,
                change_cause=cause or _NO_CHANGE_CAUSE,
                template=template,
                images=_images(template),
                created=_created(rs),
                replicas=int_field(status.get("replicas")),
                desired_replicas=optional_int(as_dict(rs.get("spec")).get("replicas")),
                name=name_of(rs),
                is_current=rs is new_rs,
            )
        )
    return result


def _revision_history(
    workload: Mapping[str, Any],
    revisions: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]] | None,
) -> list[HistoryRevision]:
    by_revision: dict[int, JsonDict] = {}
    for revision in controller_revisions(workload, revisions):
        by_revision[int_field(revision.get("revision"))] = revision
    pod_hashes: list[str] | None = None
    if pods is not None:
        uid = str(metadata(workload).get("uid") or "")
        pod_hashes = [
            labels_of(pod).get("controller-revision-hash", "")
            for pod in pods
            if isinstance(pod, dict) and controller_uid(pod) == uid
        ]
    result = []
    for number in sorted(by_revision):
        revision = by_revision[number]
        try:
            template = template_from_revision(workload, revision)
        except RolloutError:
            template = {}  # kubectl only fails on such a revision when asked for its details
        replicas = None
        if pod_hashes is not None:
            labels = labels_of(revision)
            keys = {name_of(revision)} | {
                labels[label] for label in _REVISION_HASH_LABELS if labels.get(label)
            }
            replicas = sum(1 for value in pod_hashes if value in keys)
        result.append(
            HistoryRevision(
                revision=number,
                change_cause=annotations_of(revision).get(CHANGE_CAUSE_ANNOTATION)
                or _NO_CHANGE_CAUSE,
                template=template,
                images=_images(template),
                created=_created(revision),
                replicas=replicas,
                desired_replicas=None,
                name=name_of(revision),
                is_current=revision_matches(workload, revision),
            )
        )
    return result


def history_table(revisions: Sequence[HistoryRevision], kind: str, name: str) -> str:
    """Exactly what `kubectl rollout history <kind>/<name>` prints on stdout.

    E.g. "deployment.apps/web \\nREVISION  CHANGE-CAUSE\\n1         <none>\\n\\n".
    """
    workload = workload_kind(kind)
    if revisions:
        rows = "".join(f"{r.revision}\t{r.change_cause}\n" for r in revisions)
        body = tabwriter("REVISION\tCHANGE-CAUSE\n" + rows)
    else:
        body = "No rollout history found."
    return f"{workload.printed}/{name} \n{body}\n"


def _yaml_lines(template: Mapping[str, Any]) -> list[str]:
    text = yaml.safe_dump(
        dict(template), sort_keys=True, default_flow_style=False, allow_unicode=True
    )
    return text.splitlines()


def template_diff(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    from_label: str = "current",
    to_label: str = "target",
) -> list[str]:
    """A unified diff (lines without newlines) between the YAML dumps of two pod templates,
    keys sorted; empty when they are equal. Both sides are compared in their semantic form
    (equality.semantic_form): fields the server sets empty (`creationTimestamp: null`, `[]`,
    an empty map) are not differences, as they are not to the undo's comparison."""
    return list(
        difflib.unified_diff(
            _yaml_lines(semantic_form(dict(a))),
            _yaml_lines(semantic_form(dict(b))),
            fromfile=from_label,
            tofile=to_label,
            lineterm="",
        )
    )
