"""Kubernetes name rules that the CLI, the config file and the `:` commands check alike."""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def is_namespace_name(value: str) -> bool:
    """Whether `value` can name a namespace (a DNS-1123 label: at most 63 lowercase letters,
    digits and '-', starting and ending with a letter or digit)."""
    return len(value) <= 63 and _DNS1123_LABEL.match(value) is not None


def namespace_name_problem(value: str) -> str | None:
    """One line saying why `value` cannot name a namespace, or None when it can."""
    if is_namespace_name(value):
        return None
    return f"{value!r} is not a valid namespace name (lowercase letters, digits and '-')"
