"""Client-side label selectors: matching labels against a LabelSelector and printing one in
the `labelSelector=` syntax, as apimachinery's `LabelSelectorAsSelector` / `Selector.String()`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ktui.cluster.errors import KtuiError
from ktui.cluster.objects import as_dict

__all__ = ["SelectorError", "parse_selector", "selector_matches", "selector_string"]


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
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise SelectorError(f"invalid label selector requirements: {expressions!r}")
    for requirement in expressions:
        if not isinstance(requirement, dict):
            raise SelectorError(f"invalid label selector requirement: {requirement!r}")
        key = str(requirement.get("key", ""))
        operator = requirement.get("operator")
        raw_values = requirement.get("values") or []
        if not isinstance(raw_values, list):
            raise SelectorError(f"invalid label selector values: {raw_values!r}")
        values = [str(v) for v in raw_values]
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


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def selector_string(selector: Any) -> str:
    """A LabelSelector in the `labelSelector=` query syntax (labels.Selector.String()).

    A null selector gives "" (no filter), as kubectl's labels.Nothing() does.
    """
    if not isinstance(selector, dict):
        return ""
    parts: list[tuple[str, str]] = []
    for key, value in as_dict(selector.get("matchLabels")).items():
        parts.append((str(key), f"{key}={value}"))
    # Printing never raises: a field of the wrong type (a number where a list belongs; a string
    # would be iterated into characters) prints as missing.
    for requirement in _as_list(selector.get("matchExpressions")):
        if not isinstance(requirement, dict):
            continue
        key = str(requirement.get("key", ""))
        values = ",".join(sorted(str(v) for v in _as_list(requirement.get("values"))))
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


# ---------------------------------------------------------------------- kubectl's -l syntax

_SPECIAL = "!,=<>()"
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}$")
_VALUE = re.compile(rf"^({_NAME})?$")


def _tokens(text: str) -> list[str]:
    """apimachinery's selector lexer: `!=`, `==`, `=`, `!`, `,`, `(`, `)`, `<`, `>` and
    identifiers (runs of anything else); whitespace only separates."""
    found: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith(("!=", "=="), i):
            found.append(text[i : i + 2])
            i += 2
        elif ch in _SPECIAL:
            found.append(ch)
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            found.append(text[start:i])
    return found


def _is_identifier(token: str | None) -> bool:
    return token is not None and token not in ("!=", "==") and token not in _SPECIAL


def parse_selector(text: str) -> dict[str, Any]:
    """A `kubectl -l` selector (`app=web,tier!=db,env in (a,b),!canary,track`) as a
    LabelSelector of matchExpressions, for `selector_matches`.

    The syntax is apimachinery's `labels.Parse`: `=`/`==` (the key has that value), `!=` (the
    key is absent or has another value), `in (...)`, `notin (...)`, `key` (exists), `!key`
    (does not exist), requirements joined by commas. Raises SelectorError on anything else
    (`>`/`<` compare numbers on nodes only: not supported here)."""
    tokens = _tokens(text)
    expressions: list[dict[str, Any]] = []
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str | None:
        nonlocal position
        token = peek()
        position += 1
        return token

    def key_token() -> str:
        token = take()
        if not _is_identifier(token) or token in ("in", "notin"):
            raise SelectorError(f"a label key was expected, found {token or 'the end'!r}")
        assert token is not None
        if not _KEY.match(token):
            raise SelectorError(f"{token!r} is not a valid label key")
        return token

    def value_token(token: str) -> str:
        if not _VALUE.match(token):
            raise SelectorError(f"{token!r} is not a valid label value")
        return token

    if not tokens:
        raise SelectorError("an empty label selector")
    while True:
        if peek() == "!":
            take()
            expressions.append({"key": key_token(), "operator": "DoesNotExist"})
        else:
            key = key_token()
            operator = peek()
            if operator is None or operator == ",":
                expressions.append({"key": key, "operator": "Exists"})
            elif operator in ("=", "==", "!="):
                take()
                value = ""
                if _is_identifier(peek()):
                    value = value_token(str(take()))
                expressions.append(
                    {
                        "key": key,
                        "operator": "NotIn" if operator == "!=" else "In",
                        "values": [value],
                    }
                )
            elif operator in ("in", "notin"):
                take()
                if take() != "(":
                    raise SelectorError(f"'(' was expected after {operator!r}")
                values: list[str] = []
                while True:
                    token = take()
                    if token is None:
                        raise SelectorError("')' was expected")
                    if token == ")" and not values:
                        raise SelectorError(f"{operator!r} needs at least one value")
                    if not _is_identifier(token):
                        raise SelectorError(f"a label value was expected, found {token!r}")
                    values.append(value_token(token))
                    closing = take()
                    if closing == ")":
                        break
                    if closing != ",":
                        raise SelectorError("',' or ')' was expected")
                expressions.append(
                    {
                        "key": key,
                        "operator": "In" if operator == "in" else "NotIn",
                        "values": values,
                    }
                )
            elif operator in ("<", ">"):
                raise SelectorError(f"{operator!r} (numeric comparison) is not supported here")
            else:
                raise SelectorError(f"an operator was expected after {key!r}, found {operator!r}")
        token = take()
        if token is None:
            return {"matchExpressions": expressions}
        if token != ",":
            raise SelectorError(f"',' was expected, found {token!r}")
