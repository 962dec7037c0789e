"""apiequality.Semantic.DeepEqual on pod templates, kubectl's equalIgnoreHash, and Go's
json.Marshal shape of a decoded PodTemplateSpec."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Final

from ktui.cluster.objects import JsonDict
from ktui.cluster.rollout.workload import POD_TEMPLATE_HASH_LABEL

__all__ = [
    "equal_ignore_hash",
    "go_json_template",
    "parse_quantity",
    "semantic_equal",
    "semantic_form",
    "without_hash_label",
]

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


_MAX_EXPONENT_DIGITS: Final = 4


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
        # A bound, or "1e999999999" would spend minutes building 10**999999999 (and a
        # 5000-digit exponent exceeds int()'s digit limit): no real quantity comes near it.
        if len(exponent.lstrip("+-")) > _MAX_EXPONENT_DIGITS:
            return None
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


def semantic_form(value: Any, key: str | None = None) -> Any:
    """A copy of decoded JSON without what `semantic_equal` treats as absent: nulls (a
    server-set `creationTimestamp: null`), empty slices, empty maps. Two templates that are
    semantically equal (quantities aside) have the same semantic form, so a diff of the forms
    shows only real differences."""
    if isinstance(value, dict):
        return {
            child_key: semantic_form(child, child_key)
            for child_key, child in value.items()
            if not _is_empty(child, child_key)
        }
    if isinstance(value, list):
        return [semantic_form(item) for item in value]
    return value


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
