"""ktui.render.goyaml: YAML text as `kubectl get -o yaml` prints it (Go's yaml.v2 + libyaml).

The golden cases are kubectl v1.32's `-o json` and `-o yaml` of the same pods, whose annotations
hold the strings that YAML quotes, escapes, folds or writes as literal blocks.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from ktui.render.goyaml import _go_float, dump, sorted_keys

CASES = json.loads((Path(__file__).parent / "data" / "kubectl_yaml_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda case: case["json"]["metadata"]["name"])
def test_same_text_as_kubectl(case: dict[str, object]) -> None:
    mine = dump(case["json"])
    want = str(case["yaml"])
    assert mine == want, "".join(
        difflib.unified_diff(want.splitlines(True), mine.splitlines(True), "kubectl", "ktui")
    )


def test_keys_sorted_as_yaml_v2() -> None:
    keys = ["aB", "a10", "status", "a9", "A", "a-b", "apiVersion", "kind", "metadata", "spec"]
    assert sorted_keys(dict.fromkeys(keys)) == [
        "A", "a-b", "a9", "a10", "aB", "apiVersion", "kind", "metadata", "spec", "status",
    ]  # fmt: skip


def test_scalars() -> None:
    assert dump({"a": None, "b": True, "c": 3, "d": [], "e": {}, "f": ""}) == (
        'a: null\nb: true\nc: 3\nd: []\ne: {}\nf: ""\n'
    )
    assert dump({"x": [[1, 2], {"k": "v", "j": "w"}]}) == ("x:\n- - 1\n  - 2\n- j: w\n  k: v\n")
    assert dump({"ts": "2024-01-15T10:00:00Z", "v": "1.0", "p": "/a/b", "o": "off"}) == (
        'o: "off"\np: /a/b\nts: "2024-01-15T10:00:00Z"\nv: "1.0"\n'
    )


def test_go_float_formatting() -> None:
    shown = [_go_float(v) for v in (0.5, 1.0, 1e6, 123456.0, 1e-5, 0.0001, -2.25, 1e21)]
    assert shown == ["0.5", "1", "1e+06", "123456", "1e-05", "0.0001", "-2.25", "1e+21"]
