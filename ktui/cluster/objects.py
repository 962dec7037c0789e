"""Accessors for Kubernetes objects as plain dicts decoded from the API server's JSON.

They read fields the way Go decodes them (a missing or null object is empty, a missing integer
is 0) and never raise on a malformed object.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import Any

__all__ = [
    "JsonDict",
    "annotations_of",
    "as_dict",
    "controller_uid",
    "creation_time",
    "int_field",
    "involved_object",
    "is_controlled_by",
    "labels_of",
    "metadata",
    "name_of",
    "namespace_of",
    "optional_int",
    "pod_template",
]

JsonDict = dict[str, Any]


def as_dict(value: Any) -> JsonDict:
    """`value` if it is a dict, else an empty dict (a missing or null JSON object)."""
    return value if isinstance(value, dict) else {}


def metadata(obj: Mapping[str, Any]) -> JsonDict:
    return as_dict(obj.get("metadata"))


def involved_object(event: Mapping[str, Any]) -> JsonDict:
    """What an Event is about: core/v1's `involvedObject`, or events.k8s.io's `regarding`."""
    return as_dict(event.get("involvedObject") or event.get("regarding"))


def name_of(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("name") or "")


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("uid") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("namespace") or "")


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(metadata(obj).get("annotations")).items()}


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(metadata(obj).get("labels")).items()}


def int_field(value: Any, default: int = 0) -> int:
    """An integer field as Go decodes it: a missing or null int32/int64 is 0 (or `default`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value


def optional_int(value: Any) -> int | None:
    """A pointer-to-integer field: None when missing or null."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def pod_template(obj: Mapping[str, Any]) -> JsonDict:
    """A deep copy of `spec.template` of a workload or ReplicaSet ({} when absent)."""
    return copy.deepcopy(as_dict(as_dict(obj.get("spec")).get("template")))


def creation_time(obj: Mapping[str, Any]) -> dt.datetime:
    """`metadata.creationTimestamp` as an aware datetime; Go's zero time when absent."""
    raw = metadata(obj).get("creationTimestamp")
    if isinstance(raw, str) and raw:
        try:
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return dt.datetime.min.replace(tzinfo=dt.UTC)


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    """The uid of the ownerReference marked `controller: true` (metav1.GetControllerOf)."""
    for ref in metadata(obj).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller") is True:
            uid = ref.get("uid")
            return str(uid) if uid is not None else ""
    return None


def is_controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    """metav1.IsControlledBy: the controller ownerReference's uid is the owner's uid."""
    ref_uid = controller_uid(obj)
    return ref_uid is not None and ref_uid == str(metadata(owner).get("uid") or "")
