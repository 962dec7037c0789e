"""Shared helpers for the rollout operations: kinds, errors, and kubectl's object semantics.

Everything here mirrors a piece of kubectl v1.32 / apimachinery that the rollout commands rely
on: `metav1.IsControlledBy`, `LabelSelectorAsSelector`, `deploymentutil.Revision`,
`apiequality.Semantic.DeepEqual`, Go's `%q` and `time.RFC3339` formatting, `text/tabwriter`.
Objects are plain dicts as decoded from the API server's JSON.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final
from urllib.parse import quote

from ktui.cluster.errors import KtuiError

JsonDict = dict[str, Any]

DEPLOYMENT: Final = "Deployment"
STATEFUL_SET: Final = "StatefulSet"
DAEMON_SET: Final = "DaemonSet"

REVISION_ANNOTATION: Final = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION: Final = "kubernetes.io/change-cause"
POD_TEMPLATE_HASH_LABEL: Final = "pod-template-hash"
RESTARTED_AT_ANNOTATION: Final = "kubectl.kubernetes.io/restartedAt"


class RolloutError(KtuiError):
    """A rollout operation kubectl would refuse or that the API server rejected.

    `message` is kubectl's error text without the "error: " prefix kubectl prints before it;
    `status` is the HTTP status when the API server answered with an error, else None;
    `reason` is the Status object's `reason` (e.g. "Conflict", "Forbidden") when there was one.
    """

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WorkloadKind:
    """How kubectl names one workload kind in its output and error messages."""

    kind: str
    plural: str
    child_kind: str
    """The kind of the objects that hold its revisions (ReplicaSet or ControllerRevision)."""

    @property
    def printed(self) -> str:
        """The name kubectl's name printer uses: "deployment.apps"."""
        return f"{self.kind.lower()}.apps"

    @property
    def resource(self) -> str:
        """The resource string kubectl's errors use: "deployments.apps"."""
        return f"{self.plural}.apps"

    def object_path(self, namespace: str, name: str) -> str:
        return (
            f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/{self.plural}/"
            f"{quote(name, safe='')}"
        )


_KINDS: Final = {
    DEPLOYMENT: WorkloadKind(DEPLOYMENT, "deployments", "ReplicaSet"),
    STATEFUL_SET: WorkloadKind(STATEFUL_SET, "statefulsets", "ControllerRevision"),
    DAEMON_SET: WorkloadKind(DAEMON_SET, "daemonsets", "ControllerRevision"),
}

_KIND_ALIASES: Final = {
    "deployment": DEPLOYMENT,
    "deployments": DEPLOYMENT,
    "deploy": DEPLOYMENT,
    "statefulset": STATEFUL_SET,
    "statefulsets": STATEFUL_SET,
    "sts": STATEFUL_SET,
    "daemonset": DAEMON_SET,
    "daemonsets": DAEMON_SET,
    "ds": DAEMON_SET,
}


def workload_kind(kind: str) -> WorkloadKind:
    """The workload kind named `kind` ("Deployment", "deploy", "sts", ...); RolloutError else."""
    canonical = _KIND_ALIASES.get(kind.strip().lower().removesuffix(".apps"))
    if canonical is None:
        raise RolloutError(
            f"rollout is not supported for kind {kind!r} (only Deployment, StatefulSet, DaemonSet)"
        )
    return _KINDS[canonical]


def kind_of(obj: Mapping[str, Any], kind: str | None) -> WorkloadKind:
    """The kind of `obj`: `kind` if given, else the object's own `kind` field.

    Items of a list response carry no `kind`, hence the explicit argument.
    """
    name = kind if kind is not None else obj.get("kind")
    if not isinstance(name, str) or not name:
        raise RolloutError(
            "cannot tell the object's kind: it has no 'kind' field and none was given"
        )
    return workload_kind(name)


# ---- plain-dict accessors ------------------------------------------------------------------


def as_dict(value: Any) -> JsonDict:
    """`value` if it is a dict, else an empty dict (a missing or null JSON object)."""
    return value if isinstance(value, dict) else {}


def metadata(obj: Mapping[str, Any]) -> JsonDict:
    return as_dict(obj.get("metadata"))


def name_of(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("name") or "")


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


# ---- ownership and selection ---------------------------------------------------------------


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


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether `labels` match a LabelSelector, as a server-side `labelSelector=` list does.

    A null selector converts to labels.Nothing(), whose String() is "": kubectl then lists with
    no label filter at all, so it matches everything here too.
    """
    if selector is None:
        return True
    if not isinstance(selector, dict):
        raise RolloutError(f"invalid label selector: {selector!r}")
    for key, value in as_dict(selector.get("matchLabels")).items():
        if labels.get(str(key)) != str(value):
            return False
    for requirement in selector.get("matchExpressions") or ():
        if not isinstance(requirement, dict):
            raise RolloutError(f"invalid label selector requirement: {requirement!r}")
        key = str(requirement.get("key", ""))
        operator = requirement.get("operator")
        values = [str(v) for v in requirement.get("values") or ()]
        if operator == "In":
            if key not in labels or labels[key] not in values:
                return False
        elif operator == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif operator == "Exists":
            if key not in labels:
                return False
        elif operator == "DoesNotExist":
            if key in labels:
                return False
        else:
            raise RolloutError(f"{operator!r} is not a valid label selector operator")
    return True


def selector_string(selector: Any) -> str:
    """A LabelSelector in the `labelSelector=` query syntax (labels.Selector.String()).

    A null selector gives "" (no filter), as kubectl's labels.Nothing() does.
    """
    if not isinstance(selector, dict):
        return ""
    parts: list[tuple[str, str]] = []
    for key, value in as_dict(selector.get("matchLabels")).items():
        parts.append((str(key), f"{key}={value}"))
    for requirement in selector.get("matchExpressions") or ():
        if not isinstance(requirement, dict):
            continue
        key = str(requirement.get("key", ""))
        values = ",".join(sorted(str(v) for v in requirement.get("values") or ()))
        operator = requirement.get("operator")
        if operator == "In":
            parts.append((key, f"{key} in ({values})"))
        elif operator == "NotIn":
            parts.append((key, f"{key} notin ({values})"))
        elif operator == "Exists":
            parts.append((key, key))
        elif operator == "DoesNotExist":
            parts.append((key, f"!{key}"))
    return ",".join(text for _, text in sorted(parts, key=lambda part: part[0]))


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
        if not selector_matches(selector, labels_of(child)):
            continue
        if not is_controlled_by(child, owner):
            continue
        result.append(child)
    result.sort(key=name_of)
    return result


# ---- revisions -------------------------------------------------------------------------------

_GO_INT: Final = re.compile(r"[+-]?[0-9]+")
_INT64_MAX: Final = 2**63 - 1


def parse_go_int64(text: str) -> int:
    """strconv.ParseInt(text, 10, 64); ValueError carrying Go's error text on failure."""
    if not _GO_INT.fullmatch(text):
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


def annotation_revision(obj: Mapping[str, Any]) -> int:
    """deploymentutil.Revision: the revision annotation, 0 when absent; ValueError if garbled."""
    annotations = as_dict(metadata(obj).get("annotations"))
    if REVISION_ANNOTATION not in annotations:
        return 0
    return parse_go_int64(str(annotations[REVISION_ANNOTATION]))


# ---- ControllerRevision data ---------------------------------------------------------------


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


def canonical_json(value: Any) -> str:
    """Go's json.Marshal of a decoded map: sorted keys, no spaces (for byte comparisons)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def revision_matches(owner: Mapping[str, Any], revision: Mapping[str, Any]) -> bool:
    """statefulsetMatch / daemonSetMatch: the owner's template patch equals the revision's data
    byte for byte (here: as canonical JSON, which is what both sides' Go encoding produces)."""
    try:
        data = revision_data(revision)
    except RolloutError:
        return False
    return canonical_json(template_patch(owner)) == canonical_json(data)


# ---- apiequality.Semantic.DeepEqual on pod templates ---------------------------------------

# Go map-typed fields of a PodTemplateSpec: for them an empty map equals a missing one. Every
# other `{}` is a non-nil pointer to an empty struct, which is not equal to a nil pointer.
_MAP_FIELDS: Final = frozenset(
    {
        "labels",
        "annotations",
        "nodeSelector",
        "limits",
        "requests",
        "overhead",
        "volumeAttributes",
        "options",
    }
)
_QUANTITY_MAPS: Final = frozenset({"limits", "requests", "overhead"})
_QUANTITY_FIELDS: Final = frozenset({"sizeLimit"})


def _is_empty(value: Any, key: str | None) -> bool:
    if value is None:
        return True
    if isinstance(value, list) and not value:
        return True
    return isinstance(value, dict) and not value and key in _MAP_FIELDS


_QUANTITY: Final = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))([a-zA-Z]*)([+-]?[0-9]*)")
_BINARY_SUFFIXES: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIXES: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}


def parse_quantity(text: str) -> Fraction | None:
    """The exact value of a resource.Quantity string, None if it is not one."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        return None
    number, suffix, exponent = match.groups()
    try:
        value = Fraction(number)
    except ValueError:
        return None
    if suffix in ("e", "E") and exponent:
        return value * _pow10(int(exponent))
    if exponent:
        return None
    if suffix in _BINARY_SUFFIXES:
        return value * (1 << _BINARY_SUFFIXES[suffix])
    if suffix in _DECIMAL_SUFFIXES:
        return value * _pow10(_DECIMAL_SUFFIXES[suffix])
    return None


def _pow10(exponent: int) -> Fraction:
    return Fraction(10**exponent) if exponent >= 0 else Fraction(1, 10**-exponent)


def _quantities_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        qa, qb = parse_quantity(a), parse_quantity(b)
        if qa is not None and qb is not None:
            return qa == qb
    return _scalar_equal(a, b)


def _scalar_equal(a: Any, b: Any) -> bool:
    # bool is an int subclass in Python; in Go true and 1 are never equal.
    return (type(a) is type(b) and a == b) or (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def semantic_equal(a: Any, b: Any, key: str | None = None, *, quantities: bool = False) -> bool:
    """apiequality.Semantic.DeepEqual on decoded JSON: nil and empty slices/maps are equal,
    resource quantities compare by value."""
    a_empty, b_empty = _is_empty(a, key), _is_empty(b, key)
    if a_empty or b_empty:
        return a_empty and b_empty
    if isinstance(a, dict) and isinstance(b, dict):
        child_quantities = key in _QUANTITY_MAPS
        for child_key in a.keys() | b.keys():
            if not semantic_equal(
                a.get(child_key), b.get(child_key), child_key, quantities=child_quantities
            ):
                return False
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            semantic_equal(x, y, None) for x, y in zip(a, b, strict=True)
        )
    if quantities or key in _QUANTITY_FIELDS:
        return _quantities_equal(a, b)
    return _scalar_equal(a, b)


def without_hash_label(template: Mapping[str, Any]) -> JsonDict:
    """A copy of a pod template without the pod-template-hash label.

    The label map is dropped when that leaves it empty: Go's json encoding omits an empty
    `labels`, so the patch kubectl sends has no `labels` key then.
    """
    result = copy.deepcopy(dict(template))
    meta = result.get("metadata")
    if isinstance(meta, dict):
        labels = meta.get("labels")
        if isinstance(labels, dict):
            labels.pop(POD_TEMPLATE_HASH_LABEL, None)
            if not labels:
                del meta["labels"]
    return result


def equal_ignore_hash(template1: Mapping[str, Any], template2: Mapping[str, Any]) -> bool:
    """kubectl's equalIgnoreHash: templates equal apart from the pod-template-hash label."""
    return semantic_equal(without_hash_label(template1), without_hash_label(template2))


# Slices of a PodTemplateSpec that are not `omitempty`: Go encodes an empty one as null.
_REQUIRED_LISTS: Final = frozenset({"containers"})


def _drop_go_empties(value: Any, key: str | None) -> Any:
    if isinstance(value, dict):
        cleaned = {}
        for child_key, child in value.items():
            child = _drop_go_empties(child, child_key)
            if isinstance(child, list) and not child and child_key not in _REQUIRED_LISTS:
                continue
            if isinstance(child, dict) and not child and child_key in _MAP_FIELDS:
                continue
            cleaned[child_key] = child
        return cleaned
    if isinstance(value, list):
        return [_drop_go_empties(item, None) for item in value]
    return value


def go_json_template(template: Mapping[str, Any]) -> JsonDict:
    """A pod template as Go's json.Marshal of a decoded PodTemplateSpec renders it: `metadata`
    is a struct, always present, with a null creationTimestamp when unset; empty omitempty
    slices and maps are left out. (The API server's JSON already has this shape; a server that
    drops nulls or keeps empty lists does not.)"""
    result: JsonDict = _drop_go_empties(copy.deepcopy(dict(template)), None)
    meta = result.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    result["metadata"] = {"creationTimestamp": meta.get("creationTimestamp"), **meta}
    return result


# ---- Go formatting -----------------------------------------------------------------------

_GO_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """Go's %q / strconv.Quote of a string."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_rfc3339(moment: dt.datetime) -> str:
    """time.Time.Format(time.RFC3339): whole seconds, "Z" for UTC, else "+hh:mm".

    A naive datetime is taken as local time, as Go's time.Now() is.
    """
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    offset = aware.utcoffset() or dt.timedelta(0)
    stamp = aware.strftime("%Y-%m-%dT%H:%M:%S")
    if offset == dt.timedelta(0):
        return stamp + "Z"
    total_minutes = int(offset.total_seconds()) // 60
    sign = "+" if total_minutes >= 0 else "-"
    hours, minutes = divmod(abs(total_minutes), 60)
    return f"{stamp}{sign}{hours:02d}:{minutes:02d}"


def tabwriter(text: str, *, minwidth: int = 0, padding: int = 2) -> str:
    """Go's text/tabwriter with padchar ' ' and no flags, as kubectl's tabbedString uses it.

    Cells are tab-terminated; the text after a line's last tab is not part of any column. A
    column's width is the widest cell of the run of adjacent lines that have that column.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for index in range(line0, line1):
            cells = lines[index]
            parts: list[str] = []
            for column, cell in enumerate(cells):
                parts.append(cell)
                if column < len(widths) and column < len(cells) - 1:
                    parts.append(" " * (widths[column] - len(cell)))
            out.append("".join(parts))

    def format_block(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            format_block(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    format_block(0, len(lines))
    return "\n".join(out)
