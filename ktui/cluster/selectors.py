"""Client-side label selectors: matching labels against a LabelSelector and printing one in
the `labelSelector=` syntax, as apimachinery's `LabelSelectorAsSelector` / `Selector.String()`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ktui.cluster.errors import KtuiError
from ktui.cluster.objects import as_dict

__all__ = ["SelectorError", "selector_matches", "selector_string"]


class SelectorError(KtuiError):
    """A LabelSelector that is not one (not a map, a bad requirement, an unknown operator)."""


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether `labels` match a LabelSelector, as a server-side `labelSelector=` list does.

    A null selector converts to labels.Nothing(), whose String() is "": kubectl then lists with
    no label filter at all, so it matches everything here too.
    """
    if selector is None:
        return True
    if not isinstance(selector, dict):
        raise SelectorError(f"invalid label selector: {selector!r}")
    for key, value in as_dict(selector.get("matchLabels")).items():
        if labels.get(str(key)) != str(value):
            return False
    for requirement in selector.get("matchExpressions") or ():
        if not isinstance(requirement, dict):
            raise SelectorError(f"invalid label selector requirement: {requirement!r}")
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
            raise SelectorError(f"{operator!r} is not a valid label selector operator")
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
