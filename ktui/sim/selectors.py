"""Label and field selectors with the apiserver's syntax and matching rules.

    sel = LabelSelector.parse("app=web,tier in (fe,be),!canary")
    sel.matches({"app": "web", "tier": "fe"})            # True
    LabelSelector.from_dict(deployment["spec"]["selector"])  # a metav1.LabelSelector dict
    selector_string(deployment["spec"]["selector"])      # "app=web" (Scale's status.selector)

    FieldSelector.parse("spec.nodeName=n1,status.phase!=Running").matches(pod)

Parse errors raise `SelectorError` (the server turns it into a 400 BadRequest).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    pass


_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    """One of "=", "!=", "in", "notin", "exists", "!", "gt", "lt"."""
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        if op in ("!=", "notin"):
            return self.key not in labels or labels[self.key] not in self.values
        if op in ("gt", "lt"):
            if self.key not in labels:
                return False
            try:
                have = int(labels[self.key])
            except ValueError:
                return False
            want = int(self.values[0])
            return have > want if op == "gt" else have < want
        return False

    def __str__(self) -> str:
        op = self.operator
        if op == "exists":
            return self.key
        if op == "!":
            return "!" + self.key
        if op in ("=", "!="):
            return f"{self.key}{op}{self.values[0]}"
        if op in ("gt", "lt"):
            return f"{self.key}{'>' if op == 'gt' else '<'}{self.values[0]}"
        return f"{self.key} {op} ({','.join(self.values)})"


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unable to parse requirement: unbalanced ')' in {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise SelectorError(f"unable to parse requirement: unbalanced '(' in {text!r}")
    parts.append("".join(current))
    return parts


def _check_key(key: str) -> str:
    if not key or len(key) > 316 or not _KEY_RE.match(key):
        raise SelectorError(
            f"unable to parse requirement: invalid label key {key!r}: name part must consist of"
            " alphanumeric characters, '-', '_' or '.'"
        )
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise SelectorError(
            f"unable to parse requirement: invalid label value: {value!r}: a valid label must be"
            " an empty string or consist of alphanumeric characters, '-', '_' or '.'"
        )
    return value


_SET_RE = re.compile(r"^\s*(\S+)\s+(in|notin)\s*\((.*)\)\s*$")
_CMP_RE = re.compile(r"^\s*([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*?)\s*$")


def _parse_requirement(part: str) -> Requirement:
    text = part.strip()
    if not text:
        raise SelectorError("unable to parse requirement: found '', expected: identifier")
    match = _SET_RE.match(text)
    if match:
        key, op, inner = match.groups()
        values = tuple(_check_value(v.strip()) for v in inner.split(",")) if inner.strip() else ()
        if not values:
            raise SelectorError(
                f"unable to parse requirement: for 'in', 'notin' operators, values set can't be"
                f" empty in {text!r}"
            )
        return Requirement(_check_key(key), op, tuple(sorted(set(values))))
    if text.startswith("!"):
        return Requirement(_check_key(text[1:].strip()), "!")
    match = _CMP_RE.match(text)
    if match:
        key, op, value = match.groups()
        if op in (">", "<"):
            try:
                int(value)
            except ValueError:
                raise SelectorError(
                    f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be"
                    f" an integer: {value!r}"
                ) from None
            return Requirement(_check_key(key), "gt" if op == ">" else "lt", (value,))
        return Requirement(_check_key(key), "!=" if op == "!=" else "=", (_check_value(value),))
    if any(c in text for c in " ()=!<>"):
        raise SelectorError(f"unable to parse requirement: {text!r}")
    return Requirement(_check_key(text), "exists")


class LabelSelector:
    """A conjunction of requirements; the empty selector matches everything."""

    __slots__ = ("requirements",)

    def __init__(self, requirements: tuple[Requirement, ...] = ()) -> None:
        self.requirements = requirements

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        if text is None or not text.strip():
            return cls()
        return cls(tuple(_parse_requirement(p) for p in _split_top_level(text)))

    @classmethod
    def from_dict(cls, selector: Mapping[str, Any] | None) -> LabelSelector:
        """From a metav1.LabelSelector (matchLabels + matchExpressions)."""
        if not selector:
            return cls()
        reqs: list[Requirement] = []
        for key, value in sorted((selector.get("matchLabels") or {}).items()):
            reqs.append(Requirement(key, "=", (str(value),)))
        for expr in selector.get("matchExpressions") or ():
            op = str(expr.get("operator", ""))
            key = str(expr.get("key", ""))
            values = tuple(sorted(str(v) for v in expr.get("values") or ()))
            mapped = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
            if op not in mapped:
                raise SelectorError(f"{op!r} is not a valid label selector operator")
            reqs.append(Requirement(key, mapped[op], values))
        return cls(tuple(reqs))

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if not self.requirements:
            return True
        have = labels or {}
        return all(req.matches(have) for req in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"LabelSelector({str(self)!r})"


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """A metav1.LabelSelector rendered as a selector string ("app=web,tier in (a,b)")."""
    return str(LabelSelector.from_dict(selector))


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string value of a dotted field path; "" when absent (the apiserver's convention)."""
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


class FieldSelector:
    """Exact-match field requirements (`=`, `==`, `!=`) joined by commas."""

    __slots__ = ("requirements",)

    def __init__(self, requirements: tuple[tuple[str, bool, str], ...] = ()) -> None:
        self.requirements = requirements
        """(field path, wants equal, value) triples."""

    @classmethod
    def parse(cls, text: str | None, allowed: tuple[str, ...] | None = None) -> FieldSelector:
        if text is None or not text.strip():
            return cls()
        reqs: list[tuple[str, bool, str]] = []
        for part in text.split(","):
            part = part.strip()
            if "!=" in part:
                path, value = part.split("!=", 1)
                equal = False
            elif "==" in part:
                path, value = part.split("==", 1)
                equal = True
            elif "=" in part:
                path, value = part.split("=", 1)
                equal = True
            else:
                raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
            path = path.strip()
            if allowed is not None and path not in allowed:
                raise SelectorError(f"field label not supported: {path}")
            reqs.append((path, equal, value.strip()))
        return cls(tuple(reqs))

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for path, equal, value in self.requirements:
            if (field_value(obj, path) == value) != equal:
                return False
        return True

    def __str__(self) -> str:
        return ",".join(f"{p}{'=' if eq else '!='}{v}" for p, eq, v in self.requirements)
