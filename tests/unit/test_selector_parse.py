"""`parse_selector`: kubectl's `-l` syntax (apimachinery labels.Parse) into a LabelSelector."""

from __future__ import annotations

import pytest

from ktui.cluster.selectors import (
    SelectorError,
    parse_selector,
    selector_matches,
    selector_string,
)


def expressions(text: str) -> list[tuple[str, str, list[str]]]:
    return [
        (e["key"], e["operator"], e.get("values", []))
        for e in parse_selector(text)["matchExpressions"]
    ]


def test_each_operator() -> None:
    assert expressions("app=web") == [("app", "In", ["web"])]
    assert expressions("app==web") == [("app", "In", ["web"])]
    assert expressions("app!=web") == [("app", "NotIn", ["web"])]
    assert expressions("env in (a,b)") == [("env", "In", ["a", "b"])]
    assert expressions("env notin (a)") == [("env", "NotIn", ["a"])]
    assert expressions("canary") == [("canary", "Exists", [])]
    assert expressions("!canary") == [("canary", "DoesNotExist", [])]
    assert expressions("app=") == [("app", "In", [""])]


def test_requirements_joined_by_commas_and_spaces_ignored() -> None:
    assert expressions(" app = web , env in ( a , b ),!x,app.kubernetes.io/name=db") == [
        ("app", "In", ["web"]),
        ("env", "In", ["a", "b"]),
        ("x", "DoesNotExist", []),
        ("app.kubernetes.io/name", "In", ["db"]),
    ]


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app=web", {}, False),
        ("app!=web", {}, True),  # absent counts as different, as kubectl
        ("app!=web", {"app": "web"}, False),
        ("env in (a,b)", {"env": "b"}, True),
        ("env in (a,b)", {"env": "c"}, False),
        ("env notin (a,b)", {}, True),
        ("canary", {"canary": ""}, True),
        ("!canary", {"canary": ""}, False),
        ("app=web,tier=db", {"app": "web", "tier": "front"}, False),
        ("app=web,tier=db", {"app": "web", "tier": "db"}, True),
    ],
)
def test_matches_as_kubectl_lists(text: str, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(parse_selector(text), labels) is expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "app=web,",
        ",app",
        "env in ()",
        "env in (a",
        "env in a",
        "env in (a b)",
        "a=b=c",
        "a b",
        "x>1",
        "x<1",
        "in=1",
        "-bad=1",
        "app=-bad",
        "app=(",
        "!",
        "!x=1",
    ],
)
def test_not_a_selector(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(text)


@pytest.mark.parametrize("wrong", [5, 1.5, True, "x"])
def test_a_selector_with_fields_of_the_wrong_type(wrong: object) -> None:
    # Printing (describe's topology spread constraints) leaves them out instead of raising a
    # TypeError or spelling a string out one character a value; matching says it is invalid.
    assert selector_string({"matchExpressions": wrong, "matchLabels": {"app": "web"}}) == "app=web"
    in_wrong = {"matchExpressions": [{"key": "env", "operator": "In", "values": wrong}]}
    assert selector_string(in_wrong) == "env in ()"
    with pytest.raises(SelectorError):
        selector_matches({"matchExpressions": wrong}, {})
    with pytest.raises(SelectorError):
        selector_matches(in_wrong, {"env": "x"})
