"""ControllerRevision helpers (pkg/controller/history/controller_history.go, v1.20).

    patch = template_patch(obj)      # getPatch: {"spec":{"template":{...,"$patch":"replace"}}}
    raw = revision_raw(revision)     # the bytes upstream keeps in revision.data.Raw
    hash_revision(patch_bytes, probe)  # HashControllerRevision: FNV-32 of the raw data
    new_revision(parent, api_version, kind, template_labels, patch, revision, collision_count)
    sort_revisions(revisions)                # by .revision, then creation time, then name
    equal_revision(a, b) / find_equal_revisions(revisions, needle)

The revision data upstream is the JSON that Go's encoding/json prints for the patch map (sorted
keys, compact), computed from the typed object — so the template carries the fields Go always
prints (`metadata.creationTimestamp: null`, `resources: {}`). `template_patch` reproduces those
bytes, so a StatefulSet's revision names (`<sts>-<hash>`, checked against a real v1.20.2
cluster) match a real cluster's for the same defaulted template. The store keeps `data` verbatim,
as a real apiserver keeps RawExtension bytes; comparisons here still ignore nulls so revisions
written by other clients (without Go's `creationTimestamp: null`) compare by content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ktui.sim.controllers import util
from ktui.sim.controllers.base import deep_copy

Obj = dict[str, Any]

CONTROLLER_REVISION_HASH_LABEL = "controller.kubernetes.io/hash"
"""history.ControllerRevisionHashLabel: the hash label of a StatefulSet's revisions."""


def _go_template(template: Mapping[str, Any]) -> Obj:
    """The template as Go prints the typed PodTemplateSpec: fields that are structs (not
    pointers) are never omitted even when empty."""
    out: Obj = deep_copy(dict(template))
    template_meta = out.get("metadata")
    if not isinstance(template_meta, dict):
        template_meta = out["metadata"] = {}
    template_meta.setdefault("creationTimestamp", None)
    spec = out.get("spec")
    if isinstance(spec, dict):
        for key in ("initContainers", "containers", "ephemeralContainers"):
            for container in spec.get(key) or ():
                if isinstance(container, dict):
                    container.setdefault("resources", {})
        spec.setdefault("containers", None)
    return out


def template_patch(obj: Mapping[str, Any]) -> Obj:
    """getPatch: the patch that replaces spec.template with the object's current template."""
    template = _go_template((obj.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def revision_raw(revision: Mapping[str, Any]) -> bytes:
    """The revision's data as canonical bytes, nulls dropped (see the module note)."""
    return util.go_json(_strip_nulls(revision.get("data")))


def patch_raw(patch: Any) -> bytes:
    return util.go_json(_strip_nulls(patch))


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def hash_revision(data: bytes, probe: int | None) -> str:
    """HashControllerRevision: FNV-32 (not 32a) of the raw data, then the probe in decimal."""
    payload = data
    if probe is not None:
        payload += str(int(probe)).encode()
    return util.safe_encode(str(util.fnv32(payload)))


def revision_name(prefix: str, hash_: str) -> str:
    """ControllerRevisionName."""
    if len(prefix) > 223:
        prefix = prefix[:223]
    return f"{prefix}-{hash_}"


def new_revision(
    parent: Mapping[str, Any],
    api_version: str,
    kind: str,
    template_labels: Mapping[str, str] | None,
    patch: Obj,
    revision: int,
    collision_count: int | None,
) -> Obj:
    """NewControllerRevision: labels = template labels + controller.kubernetes.io/hash, name
    `<parent>-<hash>`, owned (as controller) by the parent."""
    labels = dict(template_labels or {})
    hash_ = hash_revision(util.go_json(patch), collision_count)
    labels[CONTROLLER_REVISION_HASH_LABEL] = hash_
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": revision_name(util.name_of(parent), hash_),
            "namespace": util.namespace_of(parent),
            "labels": labels,
            "ownerReferences": [util.new_controller_ref(parent, api_version, kind)],
        },
        # Upstream keeps json.Marshal's bytes of the patch map (keys sorted at every level), and
        # kubectl's undo compares them byte for byte with its own: stored in that key order.
        "data": json.loads(util.go_json(patch)),
        "revision": revision,
    }


def revision_number(revision: Mapping[str, Any]) -> int:
    return util.int_field(revision, "revision")


def sort_revisions(revisions: list[Obj]) -> list[Obj]:
    """history.SortControllerRevisions (byRevision)."""

    def key(rev: Obj) -> tuple[int, float, str]:
        created = util.creation_time(rev)
        return (revision_number(rev), created if created is not None else 0.0, util.name_of(rev))

    return sorted(revisions, key=key)


def _hash_label_int(revision: Mapping[str, Any]) -> int | None:
    value = util.labels_of(revision).get(CONTROLLER_REVISION_HASH_LABEL)
    if value is None:
        return None
    try:
        parsed = int(value, 10)
    except ValueError:
        return None
    if not -(2**31) <= parsed < 2**31:
        return None
    return parsed & 0xFFFFFFFF


def equal_revision(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """history.EqualRevision: same data (a hash label that parses as an int must agree too)."""
    if a is None or b is None:
        return a is b
    ha, hb = _hash_label_int(a), _hash_label_int(b)
    if ha is not None and hb is not None and ha != hb:
        return False
    return revision_raw(a) == revision_raw(b)


def find_equal_revisions(revisions: list[Obj], needle: Mapping[str, Any]) -> list[Obj]:
    return [rev for rev in revisions if equal_revision(rev, needle)]


def next_revision(revisions: list[Obj]) -> int:
    """nextRevision: one more than the highest (revisions must be sorted)."""
    if not revisions:
        return 1
    return revision_number(revisions[-1]) + 1


def max_revision(revisions: list[Obj]) -> int:
    return max((revision_number(r) for r in revisions), default=0)


def apply_revision(obj: Mapping[str, Any], revision: Mapping[str, Any]) -> Obj:
    """ApplyRevision: the object with spec.template replaced by the revision's."""
    clone: Obj = deep_copy(dict(obj))
    data = revision.get("data") or {}
    template = deep_copy((data.get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    template_meta = template.get("metadata")
    if isinstance(template_meta, dict):
        template_meta.pop("creationTimestamp", None)
    clone.setdefault("spec", {})["template"] = template
    return clone
