"""The three patch formats the apiserver accepts, applied to plain JSON-like values.

    apply_patch(MERGE_PATCH, obj, body)      # RFC 7386 JSON merge patch
    apply_patch(JSON_PATCH, obj, body)       # RFC 6902 JSON patch (a list of operations)
    apply_patch(STRATEGIC_MERGE_PATCH, obj, body)

Strategic merge patch knows the Kubernetes merge keys of the kinds the embedded cluster serves
(containers/env/volumes by `name`, container ports by `containerPort`, conditions by `type`, ...)
and honours the `$patch` (replace/delete/merge), `$setElementOrder/<list>`, `$retainKeys` and
`$deleteFromPrimitiveList/<list>` directives. Nothing here mutates its inputs.

Errors raise `PatchError`; `PatchError.invalid` tells a malformed patch (400) from one that does
not apply to the object (422).
"""

from __future__ import annotations

import copy
from typing import Any

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

PATCH_TYPES = (MERGE_PATCH, JSON_PATCH, STRATEGIC_MERGE_PATCH)

_ALIASES = {"merge": MERGE_PATCH, "json": JSON_PATCH, "strategic": STRATEGIC_MERGE_PATCH}

MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "conditions": "type",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
    "taints": "key",
}
"""List fields merged element-by-element, with the field that identifies an element."""

PRIMITIVE_MERGE_LISTS = frozenset({"finalizers"})
"""Lists of scalars with patchStrategy=merge: a patch adds to them instead of replacing."""


class PatchError(ValueError):
    def __init__(self, message: str, invalid: bool = True) -> None:
        super().__init__(message)
        self.invalid = invalid
        """True when the patch is well-formed but does not apply (422), False for a bad patch."""


def normalize_patch_type(patch_type: str) -> str:
    """Content-Type (parameters dropped) or "merge"/"json"/"strategic" -> canonical type."""
    base = patch_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def apply_patch(patch_type: str, target: Any, patch: Any) -> Any:
    kind = normalize_patch_type(patch_type)
    if kind == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise PatchError("a merge patch must be a JSON object", invalid=False)
        return merge_patch(target, patch)
    if kind == JSON_PATCH:
        if not isinstance(patch, list):
            raise PatchError("a JSON patch must be a JSON array of operations", invalid=False)
        return json_patch(target, patch)
    if kind == STRATEGIC_MERGE_PATCH:
        if not isinstance(patch, dict):
            raise PatchError("a strategic merge patch must be a JSON object", invalid=False)
        return strategic_merge_patch(target, patch)
    raise PatchError(f"unsupported patch type {patch_type!r}", invalid=False)


# --- RFC 7386 -----------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- RFC 6902 -----------------------------------------------------------------------------------


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise PatchError(f"invalid JSON pointer {path!r}", invalid=False)
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {path!r}", invalid=False)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list[Any], token: str, path: str, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError(f"invalid array index {token!r} in {path!r}")
    index = int(token)
    limit = len(container) if allow_end else len(container) - 1
    if index > limit:
        raise PatchError(f"array index {index} out of bounds in {path!r}")
    return index


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    current = doc
    for token in tokens[:-1]:
        if isinstance(current, dict):
            if token not in current:
                raise PatchError(f"doc is missing path: {path!r}")
            current = current[token]
        elif isinstance(current, list):
            current = current[_index(current, token, path, allow_end=False)]
        else:
            raise PatchError(f"doc is missing path: {path!r}")
    return current


def _get(doc: Any, path: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"doc is missing path: {path!r}")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, path, allow_end=False)]
    raise PatchError(f"doc is missing path: {path!r}")


def _remove(doc: Any, path: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"unable to remove nonexistent key: {last}: missing value")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, path, allow_end=False))
    raise PatchError(f"doc is missing path: {path!r}")


def _add(doc: Any, path: Any, value: Any, replace: bool) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"doc is missing key: {path!r}: missing value")
        parent[last] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(parent, last, path, allow_end=False)] = value
        else:
            parent.insert(_index(parent, last, path, allow_end=True), value)
    else:
        raise PatchError(f"doc is missing path: {path!r}")
    return doc


def json_patch(target: Any, operations: list[Any]) -> Any:
    doc = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise PatchError("each JSON patch operation must be an object with 'op'", invalid=False)
        op = operation["op"]
        path = operation.get("path")
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"JSON patch operation {op!r} needs a 'value'", invalid=False)
        if op == "add":
            doc = _add(doc, path, copy.deepcopy(operation["value"]), replace=False)
        elif op == "replace":
            doc = _add(doc, path, copy.deepcopy(operation["value"]), replace=True)
        elif op == "remove":
            _remove(doc, path)
        elif op == "move":
            from_path = operation.get("from")
            value = _remove(doc, from_path)
            doc = _add(doc, path, value, replace=False)
        elif op == "copy":
            value = copy.deepcopy(_get(doc, operation.get("from")))
            doc = _add(doc, path, value, replace=False)
        elif op == "test":
            if _get(doc, path) != operation["value"]:
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"unexpected kind of JSON patch operation: {op!r}", invalid=False)
    return doc


# --- strategic merge patch ----------------------------------------------------------------------

_ORDER_PREFIX = "$setElementOrder/"
_DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/"


def strategic_merge_patch(target: Any, patch: dict[str, Any]) -> Any:
    result = _merge_map(target if isinstance(target, dict) else {}, patch)
    return {} if result is None else result


def _merge_map(original: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any] | None:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError(f"unknown patch directive {directive!r}", invalid=False)

    result = dict(original)
    retain = patch.get("$retainKeys")
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError("$retainKeys must be a list", invalid=False)
        result = {k: v for k, v in result.items() if k in retain}

    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith(_ORDER_PREFIX):
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list", invalid=False)
            orders[key[len(_ORDER_PREFIX) :]] = value
            continue
        if key.startswith(_DELETE_PRIMITIVE_PREFIX):
            field_name = key[len(_DELETE_PRIMITIVE_PREFIX) :]
            current = result.get(field_name)
            if isinstance(current, list) and isinstance(value, list):
                result[field_name] = [v for v in current if v not in value]
            continue
        if value is None:
            result.pop(key, None)
            continue
        current = result.get(key)
        if isinstance(value, dict):
            merged = _merge_map(current if isinstance(current, dict) else {}, value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(key, current if isinstance(current, list) else [], value)
        else:
            result[key] = value

    for field_name, order in orders.items():
        current = result.get(field_name)
        if isinstance(current, list):
            result[field_name] = _apply_order(field_name, current, order)
    return result


def _merge_list(field_name: str, original: list[Any], patch: list[Any]) -> list[Any]:
    merge_key = MERGE_KEYS.get(field_name)
    replace = any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch)
    if replace:
        return [copy.deepcopy(e) for e in patch if not (isinstance(e, dict) and "$patch" in e)]
    if field_name in PRIMITIVE_MERGE_LISTS and all(not isinstance(e, dict) for e in patch):
        merged = list(original)
        for element in patch:
            if element not in merged:
                merged.append(element)
        return merged
    if merge_key is None or not all(isinstance(e, dict) for e in patch):
        return [copy.deepcopy(e) for e in patch]

    result = [e for e in original]
    for element in patch:
        if merge_key not in element:
            raise PatchError(f"map: {element} does not contain declared merge key: {merge_key}")
        key_value = element[merge_key]
        position = next(
            (
                i
                for i, existing in enumerate(result)
                if isinstance(existing, dict) and existing.get(merge_key) == key_value
            ),
            None,
        )
        if element.get("$patch") == "delete":
            result = [
                e for e in result if not (isinstance(e, dict) and e.get(merge_key) == key_value)
            ]
            continue
        if position is None:
            added = _merge_map({}, element)
            if added is not None:
                result.append(added)
        else:
            updated = _merge_map(result[position], element)
            if updated is None:
                result.pop(position)
            else:
                result[position] = updated
    return result


def _apply_order(field_name: str, items: list[Any], order: list[Any]) -> list[Any]:
    merge_key = MERGE_KEYS.get(field_name)

    def identity(item: Any) -> Any:
        if merge_key is not None and isinstance(item, dict):
            return item.get(merge_key)
        return item

    wanted = [identity(o) for o in order]
    rank = {repr(w): i for i, w in enumerate(wanted)}
    ordered = sorted(
        (item for item in items if repr(identity(item)) in rank),
        key=lambda item: rank[repr(identity(item))],
    )
    rest = [item for item in items if repr(identity(item)) not in rank]
    return ordered + rest
