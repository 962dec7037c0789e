"""The Pods view's row (`pod_view_cells`, from `pod_list_row`) against the row built from
`pod_row`, as it was before the lighter function: the same cells, texts and styles, for pods of
every shape (the fixtures, realistic pods, hostile strings, malformed objects)."""

from __future__ import annotations

import copy
import json
import random
from datetime import timedelta
from typing import Any

import pods_fixtures as fx
import pytest
from rich.text import Text
from test_render_safe import hostile_pods

from ktui.render.cells import (
    BADGE_STYLE,
    TimeCell,
    badge_glyph,
    badge_keys_text,
    badges_text,
    dim,
    restarts_since,
    status_text,
)
from ktui.render.panes import Cell, Row, owner_text, pod_view_cells
from ktui.sim.realistic import realistic_pod_json
from ktui.view import pod as view_pod
from ktui.view.pod import ContainerBadge, badge_keys, container_badges, pod_list_row, pod_row
from ktui.view.slim import slim_object

NOW = fx.NOW


def reference_badges_text(badges: list[ContainerBadge] | tuple[ContainerBadge, ...]) -> Text:
    """`badges_text` as it was, built anew for each row."""
    text = Text(no_wrap=True)
    previous_group = None
    for badge in badges:
        if previous_group is not None and badge.group != previous_group:
            text.append("│", style="bright_black")
        previous_group = badge.group
        text.append(badge_glyph(str(badge.group), badge.state), style=BADGE_STYLE[badge.state])
    return text


def reference_cells(pod: dict[str, Any], all_namespaces: bool) -> Row:
    """`pod_view_cells` as it was: every field from `pod_row`."""
    row = pod_row(pod, NOW)
    cells: list[Cell] = [row.name]
    if all_namespaces:
        cells.append(row.namespace)
    owner = owner_text(pod)
    cells += [
        row.ready,
        status_text(row.status, row.severity),
        TimeCell(row.last_restart, restarts_since(row.restarts)),
        TimeCell(row.created),
        row.ip,
        dim(row.node) if row.node == "<none>" else row.node,
        dim(owner) if owner == "-" else owner,
        reference_badges_text(row.badges),
    ]
    return tuple(cells)


def shown(cell: Cell) -> Any:
    """Everything a cell draws (`Text.__eq__` compares neither the base style nor options)."""
    if isinstance(cell, Text):
        return ("text", cell.plain, cell.style, cell.spans, cell.no_wrap, cell.end, cell.justify)
    if isinstance(cell, TimeCell):
        later = NOW + timedelta(hours=5)
        return ("time", cell, cell.text(NOW).plain, cell.text(later).plain, cell.sort_value)
    return ("str", cell)


def malformed_pods() -> list[dict[str, Any]]:
    base = fx.running_2_of_2()
    pods: list[dict[str, Any]] = [{}, {"metadata": None, "spec": None, "status": None}]
    for path, value in [
        (("status",), "x"),
        (("status", "containerStatuses"), [1, None, {"name": 3}]),
        (("status", "containerStatuses", 0, "state"), {"running": "yes"}),
        (("status", "containerStatuses", 0, "state"), {"running": {}, "waiting": {}}),
        (("status", "containerStatuses", 0, "state"), {"terminated": {"exitCode": "1"}}),
        (("status", "phase"), ["Running"]),
        (("status", "phase"), "Exploded"),
        (("spec", "containers"), {"name": "web"}),
        (("spec", "nodeName"), 7),
        (("metadata", "ownerReferences"), [{"kind": "X", "name": "y", "uid": ""}, "z"]),
        (("metadata", "creationTimestamp"), "yesterday"),
        (("metadata", "deletionTimestamp"), fx.ts(10)),
    ]:
        pod = copy.deepcopy(base)
        target: Any = pod
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        pods.append(pod)
    for fixture in fx.all_pods().values():
        pods.append(
            fixture | {"status": {k: v for k, v in fixture["status"].items() if k != "phase"}}
        )
        deleting = copy.deepcopy(fixture)
        deleting["metadata"]["deletionTimestamp"] = fx.ts(5)
        pods.append(deleting)
    return pods


def every_shape() -> list[dict[str, Any]]:
    realistic = [slim_object(json.loads(realistic_pod_json(i, replicas=3))) for i in range(40)]
    return [
        *fx.all_pods().values(),
        *realistic,
        *hostile_pods(random.Random(7)),
        *hostile_pods(random.Random(8)),
        *malformed_pods(),
    ]


@pytest.mark.parametrize("memo", ["cold", "warm"])
@pytest.mark.parametrize("all_namespaces", [True, False])
def test_cells_are_those_built_from_pod_row(all_namespaces: bool, memo: str) -> None:
    pods = every_shape()
    for pod in pods:
        if memo == "cold":
            view_pod._PRINTED.clear()
        expected = reference_cells(pod, all_namespaces)
        if memo == "cold":
            view_pod._PRINTED.clear()
        found = pod_view_cells(pod, NOW, all_namespaces=all_namespaces)
        assert [shown(c) for c in found] == [shown(c) for c in expected], pod
        # The same again (the badges' text from its memo).
        again = pod_view_cells(pod, NOW, all_namespaces=all_namespaces)
        assert [shown(c) for c in again] == [shown(c) for c in expected]


def test_list_row_fields_equal_pod_rows() -> None:
    for pod in every_shape():
        light = pod_list_row(pod)
        full = pod_row(pod, NOW)
        for field in light._fields:
            if field == "badges":
                continue
            assert getattr(light, field) == getattr(full, field), (field, pod)
        assert light.badges == tuple((b.group, b.state) for b in full.badges)
        assert badge_keys(pod) == tuple((b.group, b.state) for b in container_badges(pod))


def test_badge_text_from_the_memo_is_a_new_copy() -> None:
    badges = container_badges(fx.sidecar_and_init_running())
    keys = tuple((b.group, b.state) for b in badges)
    first = badge_keys_text(keys)
    first.append("changed", style="red")
    first.stylize("bold")
    second = badge_keys_text(keys)
    assert second is not first
    assert shown(second) == shown(badges_text(badges)) == shown(reference_badges_text(badges))
    assert "changed" not in second.plain
