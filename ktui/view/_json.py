"""Tolerant accessors for Kubernetes objects held as plain dicts parsed from the API's JSON.

The API omits empty fields (omitempty), so every field may be missing; a hand-written or partially
synced object may also hold the wrong type. These helpers turn both cases into the zero value, which
is what the Go printers we port see for an omitted field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Obj = Mapping[str, Any]

_EMPTY: Obj = {}


# Parsed JSON holds plain `dict` and `list`: those are tested first by exact type, because the
# `isinstance` check against the `Mapping` / `Sequence` ABCs costs several times more and these
# helpers run for every field of every changed pod (a third of the model's time per batch went
# into `abc.__instancecheck__`). A missing field (None, the commonest case after a dict: most
# of a container's `state` keys are absent) is answered before the ABC check as well. Other
# mappings and sequences still take the general path.


def obj(value: Any) -> Obj:
    """The mapping itself, or an empty mapping when the field is missing or not an object."""
    if type(value) is dict:
        return value
    if value is None:
        return _EMPTY
    return value if isinstance(value, Mapping) else _EMPTY


def opt_obj(value: Any) -> Obj | None:
    """The mapping, or None when missing; an empty `{}` stays present, as a Go pointer would."""
    if type(value) is dict or value is None:
        return value
    return value if isinstance(value, Mapping) else None


def objs(value: Any) -> list[Obj]:
    """The objects of a list field, skipping anything that is not an object."""
    if type(value) is list:
        return [item for item in value if type(item) is dict or isinstance(item, Mapping)]
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def strs(value: Any) -> list[str]:
    """A list-of-strings field (a command, its args), or [] when it is missing or anything else:
    a bare string is not iterated into characters, nor a number iterated at all (the Go client
    would refuse to decode such an object, so there is nothing truer to print)."""
    is_list = type(value) is list or (
        isinstance(value, Sequence) and not isinstance(value, str | bytes)
    )
    return list(value) if is_list and all(isinstance(item, str) for item in value) else []


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def integer(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


def opt_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def meta(resource: Obj) -> Obj:
    return obj(resource.get("metadata"))


def spec(resource: Obj) -> Obj:
    return obj(resource.get("spec"))


def status(resource: Obj) -> Obj:
    return obj(resource.get("status"))


def name(resource: Obj) -> str:
    return text(meta(resource).get("name"))


def namespace(resource: Obj) -> str:
    return text(meta(resource).get("namespace"))


def condition(conditions: Any, condition_type: str) -> Obj | None:
    """The first condition of this type, as the Go helpers (GetPodCondition etc.) return."""
    for item in objs(conditions):
        if item.get("type") == condition_type:
            return item
    return None


def condition_is_true(conditions: Any, condition_type: str) -> bool:
    found = condition(conditions, condition_type)
    return found is not None and found.get("status") == "True"
