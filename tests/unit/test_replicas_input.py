"""The scale dialog's input: ASCII digits within int32, large changes flagged."""

from __future__ import annotations

import pytest

from ktui.cluster.rollout.replicas import INT32_MAX, check_replicas


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "type the number of replicas"),
        ("1e3", "'1e3' is not a whole number"),
        ("-1", "'-1' is not a whole number"),
        ("\uff13", "'\uff13' is not a whole number"),
        ("2.5", "'2.5' is not a whole number"),
        ("99999999999", "more than the largest count (2147483647)"),
    ],
)
def test_refused_with_one_line(text: str, problem: str) -> None:
    checked = check_replicas(text, 3)
    assert checked.replicas is None
    assert problem in checked.problem
    assert "\n" not in checked.problem


@pytest.mark.parametrize(
    ("text", "current", "replicas", "large"),
    [
        ("5", 3, 5, False),
        (" 0 ", 3, 0, False),
        ("30", 3, 30, False),
        ("31", 3, 31, True),
        ("150", 50, 150, False),
        ("151", 50, 151, True),
        ("10", 0, 10, False),
        ("11", 0, 11, True),
        (str(INT32_MAX), 1, INT32_MAX, True),
        ("1", 500, 1, False),
    ],
)
def test_accepted_and_large_changes_flagged(
    text: str, current: int, replicas: int, large: bool
) -> None:
    checked = check_replicas(text, current)
    assert (checked.replicas, checked.large, checked.problem) == (replicas, large, "")


@pytest.mark.parametrize(
    ("text", "current", "stops_all"),
    [("0", 3, True), (" 0 ", 1, True), ("0", 0, False), ("1", 3, False)],
)
def test_scaling_a_running_workload_to_zero_is_flagged(
    text: str, current: int, stops_all: bool
) -> None:
    assert check_replicas(text, current).stops_all is stops_all
