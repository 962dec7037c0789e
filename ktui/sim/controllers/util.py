"""Helpers shared by the embedded controllers, ported from kube-controller-manager v1.20.

Everything here is pure: objects are plain API dicts, times are epoch seconds, and nothing does I/O.

    rfc3339(t) / parse_time(s)            metav1.Time (second precision, UTC "Z")
    controller_ref(obj) / new_controller_ref(owner)
    is_pod_ready / is_pod_available / is_pod_active / pod_ready_time
    active_pod_sort_key(pod, rank)        controller.ActivePods(WithRanks) ordering as a sort key
    scaled_value(int_or_percent, total, round_up)   intstr.GetScaledValueFromIntOrPercent
    compute_hash(template, collision_count)         controller.ComputeHash (see its divergence note)
    go_json(value)                        encoding/json.Marshal of a generic map: sorted keys,
                                          compact, HTML-escaped
    fnv32 / fnv32a / safe_encode          hash/fnv and k8s.io/apimachinery/pkg/util/rand
"""

from __future__ import annotations

import calendar
import json
import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ktui.sim.selectors import LabelSelector

Obj = dict[str, Any]

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apimachinery/pkg/util/rand's alphanums: no vowels, no look-alike characters."""

_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


# --- time ---------------------------------------------------------------------------------------


def rfc3339(t: float) -> str:
    """A metav1.Time as the API serializes it: RFC3339, UTC, whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an RFC3339 timestamp, or None if missing or unparseable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if value.endswith("Z") and len(value) == 20:
            return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def truncate_second(t: float) -> float:
    """What a metav1.Time round trip keeps of a timestamp."""
    return float(math.floor(t))


# --- metadata -----------------------------------------------------------------------------------


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, Mapping) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid") or "")


def key_of(obj: Mapping[str, Any]) -> str:
    """The work queue key: "namespace/name" (just "name" for cluster-scoped objects)."""
    namespace = namespace_of(obj)
    return f"{namespace}/{name_of(obj)}" if namespace else name_of(obj)


def split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.rpartition("/")
    return namespace, name


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return dict(labels) if isinstance(labels, Mapping) else {}


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    annotations = meta(obj).get("annotations")
    return dict(annotations) if isinstance(annotations, Mapping) else {}


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def creation_time(obj: Mapping[str, Any]) -> float | None:
    return parse_time(meta(obj).get("creationTimestamp"))


def creation_sort_key(obj: Mapping[str, Any]) -> tuple[float, str]:
    """controller.ReplicaSetsByCreationTimestamp & co: oldest first, name breaks ties."""
    created = creation_time(obj)
    return (created if created is not None else 0.0, name_of(obj))


def controller_ref(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """metav1.GetControllerOf: the owner reference with controller=true."""
    for ref in meta(obj).get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller"):
            return ref
    return None


def new_controller_ref(owner: Mapping[str, Any], api_version: str, kind: str) -> Obj:
    """metav1.NewControllerRef."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def selector_of(obj: Mapping[str, Any]) -> LabelSelector:
    """The object's spec.selector (raises SelectorError if it is malformed)."""
    spec = obj.get("spec") or {}
    return LabelSelector.from_dict(spec.get("selector"))


def int_field(obj: Mapping[str, Any] | None, key: str, default: int = 0) -> int:
    if not isinstance(obj, Mapping):
        return default
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def resource_version_int(obj: Mapping[str, Any]) -> int | None:
    try:
        return int(meta(obj).get("resourceVersion") or "")
    except (TypeError, ValueError):
        return None


# --- pods ---------------------------------------------------------------------------------------


def pod_phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def pod_node(pod: Mapping[str, Any]) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def pod_ready_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if isinstance(cond, Mapping) and cond.get("type") == "Ready":
            return cond
    return None


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    cond = pod_ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def pod_ready_time(pod: Mapping[str, Any]) -> float | None:
    """When the pod last became ready (None when not ready or unknown)."""
    cond = pod_ready_condition(pod)
    if cond is None or cond.get("status") != "True":
        return None
    return parse_time(cond.get("lastTransitionTime"))


def is_pod_available(pod: Mapping[str, Any], min_ready_seconds: int, now: float) -> bool:
    """podutil.IsPodAvailable: ready, and for longer than minReadySeconds."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = parse_time((pod_ready_condition(pod) or {}).get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds < now


def available_at(pod: Mapping[str, Any], min_ready_seconds: int) -> float | None:
    """When a ready pod will count as available (None if not ready)."""
    since = pod_ready_time(pod)
    if since is None:
        return None
    return since + min_ready_seconds


def is_pod_active(pod: Mapping[str, Any]) -> bool:
    """controller.IsPodActive: not finished and not being deleted."""
    return pod_phase(pod) not in ("Succeeded", "Failed") and not is_deleting(pod)


def max_container_restarts(pod: Mapping[str, Any]) -> int:
    status = pod.get("status") or {}
    restarts = 0
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or ():
            if isinstance(cs, Mapping):
                restarts = max(restarts, int_field(cs, "restartCount"))
    return restarts


def active_pod_sort_key(pod: Mapping[str, Any], rank: int = 0) -> tuple[Any, ...]:
    """controller.ActivePodsWithRanks.Less as a key: pods that sort first are deleted first.

    unassigned < assigned; Pending < Unknown < Running; not ready < ready; more colocated
    pods (higher rank) first; ready for less time first; more restarts first; newer first.
    """
    assigned = 1 if pod_node(pod) else 0
    phase = _PHASE_ORDINAL.get(pod_phase(pod), 0)
    ready = is_pod_ready(pod)
    if ready:
        since = pod_ready_time(pod)
        ready_key: tuple[int, float] = (0, 0.0) if since is None else (1, -since)
    else:
        ready_key = (0, 0.0)
    created = creation_time(pod)
    created_key = (0, 0.0) if created is None else (1, -created)
    return (
        assigned,
        phase,
        1 if ready else 0,
        -rank,
        ready_key,
        -max_container_restarts(pod),
        created_key,
    )


# --- numbers ------------------------------------------------------------------------------------


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of total rounded up or down.
    Anything else is an error upstream that every caller turns into 0 (validation refuses such
    values anyway)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return int(value)
    text = str(value)
    if not text.endswith("%"):
        return 0
    try:
        percent = int(text[:-1])
    except ValueError:
        return 0
    scaled = float(percent) * float(total) / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def round_half_away(value: float) -> int:
    """Go's math.Round (halves away from zero), unlike Python's banker's round()."""
    return math.floor(value + 0.5) if value >= 0 else -math.floor(-value + 0.5)


# --- hashing ------------------------------------------------------------------------------------

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
        h ^= byte
    return h


def fnv32a(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h ^= byte
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: every character mapped into SAFE_ALPHABET."""
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in text)


_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> bytes:
    """json.Marshal of a map[string]interface{}: keys sorted, no spaces, HTML characters escaped,
    non-ASCII kept as UTF-8."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.translate(_GO_ESCAPES).encode()


def compute_hash(template: Any, collision_count: int | None) -> str:
    """controller.ComputeHash for a pod template.

    Divergence: upstream feeds FNV-32a with the template printed by spew's DeepHashObject (Go
    `%#v` of the typed struct), which Python cannot reproduce. Here FNV-32a reads the template's
    canonical JSON (sorted keys, nulls and empty maps/lists dropped) followed, like upstream, by
    the collision count as 8 little-endian bytes; the sum is printed in decimal and
    SafeEncodeString'd, so the result has the same alphabet and length range as a real
    pod-template-hash, is stable, and changes whenever the template does.
    """
    data = go_json(prune(template))
    h_input = data
    if collision_count is not None:
        h_input += int(collision_count & 0xFFFFFFFF).to_bytes(4, "little") + b"\x00" * 4
    return safe_encode(str(fnv32a(h_input)))


def prune(value: Any) -> Any:
    """A copy without null values and empty maps/lists (Go's semantic equality treats nil and
    empty alike, and the API drops nulls)."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            pruned = prune(v)
            if pruned is None or (isinstance(pruned, dict | list) and not pruned):
                continue
            out[k] = pruned
        return out
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def templates_equal_ignoring_hash(a: Any, b: Any, hash_label: str) -> bool:
    """deploymentutil.EqualIgnoreHash: equal pod templates, ignoring the hash label."""

    def without_hash(template: Any) -> Any:
        template = prune(template or {})
        labels = (template.get("metadata") or {}).get("labels")
        if isinstance(labels, dict) and hash_label in labels:
            labels = {k: v for k, v in labels.items() if k != hash_label}
            template["metadata"] = {**template["metadata"], "labels": labels}
        return prune(template)

    return bool(without_hash(a) == without_hash(b))
