"""What a person typed as a replica count, checked before anything is sent.

A Deployment's or StatefulSet's `spec.replicas` is an int32. Only ASCII digits are a number
here: `1e3`, `-1`, a full-width digit (which Python's `int` would take) and anything longer
than an int32 are refused with one line. A large change (more than 10x the current count, or
more than 100 replicas added) is flagged so the dialog can ask once more, and so is scaling a
running workload to 0, which stops every pod.
"""

from __future__ import annotations

from dataclasses import dataclass

INT32_MAX = 2**31 - 1
LARGE_FACTOR = 10
LARGE_STEP = 100


@dataclass(frozen=True)
class ReplicasInput:
    replicas: int | None
    """The count, or None when the text is not one."""
    problem: str = ""
    """Why the text is not a count (one line)."""
    large: bool = False
    """A change big enough to ask again: more than 10x, or more than +100."""
    stops_all: bool = False
    """0 replicas for a workload that has some: every pod stops (ask again)."""


def check_replicas(text: str, current: int) -> ReplicasInput:
    value = text.strip()
    if not value:
        return ReplicasInput(None, "type the number of replicas (0 or more)")
    if not (value.isascii() and value.isdigit()):
        return ReplicasInput(None, f"{value!r} is not a whole number: use the digits 0-9 only")
    replicas = int(value)
    if replicas > INT32_MAX:
        return ReplicasInput(None, f"{value} is more than the largest count ({INT32_MAX})")
    grow = replicas - current
    large = grow > LARGE_STEP or (grow > 0 and replicas > LARGE_FACTOR * max(current, 1))
    return ReplicasInput(replicas, large=large, stops_all=replicas == 0 and current > 0)
