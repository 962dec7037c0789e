"""Revisions as kubectl finds and compares them: the children a workload owns, the revision
annotation, and ControllerRevision data (deploymentutil.Revision, applyStatefulSetHistory,
statefulsetMatch / daemonSetMatch)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ktui.cluster.gofmt import canonical_json, parse_go_int64
from ktui.cluster.objects import (
    JsonDict,
    as_dict,
    is_controlled_by,
    labels_of,
    metadata,
    name_of,
    namespace_of,
    pod_template,
)
from ktui.cluster.rollout.equality import go_json_template
from ktui.cluster.rollout.workload import REVISION_ANNOTATION, RolloutError
from ktui.cluster.selectors import SelectorError, selector_matches

__all__ = [
    "annotation_revision",
    "owned_children",
    "revision_data",
    "revision_matches",
    "strategic_merge",
    "template_from_revision",
    "template_patch",
]


def owned_children(
    owner: Mapping[str, Any], children: Iterable[Mapping[str, Any]], child_kind: str
) -> list[JsonDict]:
    """The children kubectl would list for `owner`: same namespace, matched by the owner's
    selector on their labels, and controlled by the owner's uid; sorted by name, the order the
    API server lists them in. Items whose `kind` names another kind are ignored.
    """
    selector = as_dict(owner.get("spec")).get("selector")
    namespace = namespace_of(owner)
    result: list[JsonDict] = []
    for child in children:
        if not isinstance(child, dict):
            continue
        kind = child.get("kind")
        if kind is not None and kind != child_kind:
            continue
        child_namespace = namespace_of(child)
        if namespace and child_namespace and child_namespace != namespace:
            continue
        try:
            matches = selector_matches(selector, labels_of(child))
        except SelectorError as exc:
            raise RolloutError(exc.message) from None
        if not matches:
            continue
        if not is_controlled_by(child, owner):
            continue
        result.append(child)
    result.sort(key=name_of)
    return result


def annotation_revision(obj: Mapping[str, Any]) -> int:
    """deploymentutil.Revision: the revision annotation, 0 when absent; ValueError if garbled."""
    annotations = as_dict(metadata(obj).get("annotations"))
    if REVISION_ANNOTATION not in annotations:
        return 0
    return parse_go_int64(str(annotations[REVISION_ANNOTATION]))


def revision_data(revision: Mapping[str, Any]) -> JsonDict:
    """A ControllerRevision's `data` as a dict (it is raw JSON; some clients hand it as text)."""
    data = revision.get("data")
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError:
            raise RolloutError(f"unable to parse history {name_of(revision)}") from None
    if not isinstance(data, dict):
        raise RolloutError(f"unable to parse history {name_of(revision)}")
    return data


def strategic_merge(original: Any, patch: Any) -> Any:
    """Apply a strategic-merge patch of the shape controllers store in ControllerRevisions.

    Handles `$patch: replace` / `$patch: delete` and null-deletes; lists are replaced wholesale
    (the revisions written by the StatefulSet and DaemonSet controllers replace the whole
    template, so list merge keys never come into play for them).
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    body = {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "replace":
        # The map replaces the original as it is, nulls included (a null creationTimestamp is
        # what Go's encoding of the resulting template carries too).
        return copy.deepcopy(body)
    if directive == "delete":
        return None
    result = copy.deepcopy(original) if isinstance(original, dict) else {}
    for key, value in body.items():
        if value is None:
            result.pop(key, None)
            continue
        merged = strategic_merge(result.get(key), value)
        if merged is None:
            result.pop(key, None)
        else:
            result[key] = merged
    return result


def template_from_revision(owner: Mapping[str, Any], revision: Mapping[str, Any]) -> JsonDict:
    """The pod template a ControllerRevision restores: its data applied to the owner, as
    kubectl's applyStatefulSetHistory / applyDaemonSetHistory do."""
    applied = strategic_merge(copy.deepcopy(dict(owner)), revision_data(revision))
    return pod_template(applied if isinstance(applied, dict) else {})


def template_patch(owner: Mapping[str, Any]) -> JsonDict:
    """getStatefulSetPatch / getDaemonSetPatch: the owner's template as a replace patch, as Go
    encodes the decoded object."""
    template = go_json_template(pod_template(owner))
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def revision_matches(owner: Mapping[str, Any], revision: Mapping[str, Any]) -> bool:
    """statefulsetMatch / daemonSetMatch: the owner's template patch equals the revision's data
    byte for byte (here: as canonical JSON, which is what both sides' Go encoding produces)."""
    try:
        data = revision_data(revision)
    except RolloutError:
        return False
    return canonical_json(template_patch(owner)) == canonical_json(data)
