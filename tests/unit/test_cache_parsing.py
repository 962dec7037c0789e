"""Watch-stream and list parsing, relist diffs, back-off and kind specs (no network)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from ktui.cluster.cache import Backoff, relist_changes
from ktui.cluster.discovery import parse_group_list, parse_resource_names
from ktui.cluster.kinds import ALL_KINDS, CRON_JOB, NODE, POD, kind_spec
from ktui.cluster.watch import (
    LineSplitter,
    iter_lines,
    parse_list_page,
    parse_watch_line,
    status_code,
)


def pod(uid: str, version: str = "1", **extra: Any) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"uid": uid, "resourceVersion": version, **extra}}


def event_line(event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "object": obj}).encode()


# -- line splitting ----------------------------------------------------------------------------


def test_lines_split_at_arbitrary_chunk_boundaries() -> None:
    lines = [event_line("ADDED", pod(f"u{i}")) for i in range(50)]
    stream = b"\n".join(lines) + b"\n"
    rng = random.Random(3)
    chunks: list[bytes] = []
    position = 0
    while position < len(stream):
        size = rng.randint(1, 40)
        chunks.append(stream[position : position + size])
        position += size
    assert list(iter_lines(chunks)) == lines


def test_unterminated_last_line_and_blank_lines() -> None:
    assert list(iter_lines([b'{"a":1}\n\n  \n{"b"', b":2}"])) == [b'{"a":1}', b'{"b":2}']
    splitter = LineSplitter()
    assert splitter.feed(b"abc") == []
    assert splitter.feed(b"def\nxy") == [b"abcdef"]
    assert splitter.finish() == b"xy"
    assert splitter.finish() == b""


# -- watch lines -------------------------------------------------------------------------------


def test_managed_fields_are_dropped_on_arrival() -> None:
    obj = pod("u1", managedFields=[{"manager": "kubectl"}], name="p")
    event = parse_watch_line(event_line("MODIFIED", obj))
    assert event is not None
    assert event.type == "MODIFIED"
    assert "managedFields" not in event.object["metadata"]
    assert event.object["metadata"]["name"] == "p"


@pytest.mark.parametrize(
    "line",
    [
        b"{not json",
        b"[1, 2]",
        b'{"type": "ADDED"}',
        b'{"type": "SURPRISE", "object": {}}',
        event_line("ADDED", {"metadata": {"name": "no-uid"}}),
        event_line("DELETED", {"metadata": "nope"}),
        b'{"type": "ADDED", "object": "a string"}',
    ],
)
def test_malformed_lines_are_skipped_with_a_warning(
    line: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    assert parse_watch_line(line) is None
    assert "skipping" in caplog.text
    assert len(caplog.records) == 1
    assert "\n" not in caplog.records[0].getMessage()


def test_bookmark_and_error_events() -> None:
    bookmark = parse_watch_line(
        event_line("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "77"}})
    )
    assert bookmark is not None and bookmark.type == "BOOKMARK"
    error = parse_watch_line(
        event_line("ERROR", {"kind": "Status", "code": 410, "reason": "Expired", "message": "x"})
    )
    assert error is not None and error.type == "ERROR"
    assert status_code(error.object) == 410
    assert status_code({"reason": "Expired"}) == 410
    assert status_code({"reason": "InternalError"}) == 0


# -- list pages --------------------------------------------------------------------------------


def test_list_page_fills_kind_and_skips_bad_items(caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps(
        {
            "kind": "PodList",
            "metadata": {"resourceVersion": "42", "continue": "tok"},
            "items": [
                {"metadata": {"uid": "a", "managedFields": []}},
                {"metadata": {"name": "no-uid"}},
                "junk",
            ],
        }
    ).encode()
    page = parse_list_page(body, kind="Pod", api_version="v1")
    assert page.resource_version == "42"
    assert page.continue_token == "tok"
    assert [uid for uid, _ in page.items] == ["a"]
    item = page.items[0][1]
    assert item["kind"] == "Pod" and item["apiVersion"] == "v1"
    assert "managedFields" not in item["metadata"]
    assert caplog.text.count("skipping") == 2


def test_list_page_that_is_not_a_list_raises() -> None:
    with pytest.raises(ValueError):
        parse_list_page(b"[]", kind="Pod", api_version="v1")
    with pytest.raises(ValueError):
        parse_list_page(b"<html>", kind="Pod", api_version="v1")


# -- relist diff ---------------------------------------------------------------------------------


def test_relist_emits_only_the_difference() -> None:
    kept, changed, gone = pod("kept", "1"), pod("changed", "1"), pod("gone", "1")
    previous = {"kept": kept, "changed": changed, "gone": gone}
    fresh_kept = pod("kept", "1")
    items = {"kept": fresh_kept, "changed": pod("changed", "2"), "new": pod("new", "3")}
    changes = relist_changes(previous, items)
    assert sorted((uid, obj is None, existed) for uid, obj, existed in changes) == [
        ("changed", False, True),
        ("gone", True, True),
        ("new", False, False),
    ]
    assert items["kept"] is kept  # the consumer's object stays the cache's object


def test_relist_of_identical_content_emits_nothing() -> None:
    previous = {f"u{i}": pod(f"u{i}", str(i)) for i in range(100)}
    items = {f"u{i}": pod(f"u{i}", str(i)) for i in range(100)}
    assert relist_changes(previous, items) == []


# -- back-off ------------------------------------------------------------------------------------


def test_backoff_is_full_jitter_and_capped() -> None:
    backoff = Backoff(base=0.5, cap=30.0)
    rng = random.Random(0)
    assert backoff.delay(0, rng) == 0.0
    for attempt in range(1, 40):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(0.0 <= delay <= ceiling for delay in delays)
        # Full jitter spreads over the whole range, not just near the ceiling.
        assert min(delays) < ceiling * 0.1
        assert max(delays) > ceiling * 0.9


# -- kinds and discovery documents -----------------------------------------------------------------


def test_kind_paths() -> None:
    assert POD.collection_path("v1", "default") == "/api/v1/namespaces/default/pods"
    assert POD.collection_path("v1", None) == "/api/v1/pods"
    assert NODE.collection_path("v1", "default") == "/api/v1/nodes"
    assert CRON_JOB.collection_path("v1beta1", "ns") == "/apis/batch/v1beta1/namespaces/ns/cronjobs"
    assert CRON_JOB.api_version("v1beta1") == "batch/v1beta1"
    assert POD.api_version("v1") == "v1"
    assert CRON_JOB.versions == ("v1", "v1beta1")
    assert {spec.kind for spec in ALL_KINDS} == {
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "ControllerRevision",
        "Job",
        "CronJob",
        "Pod",
        "Event",
        "Node",
    }
    assert [spec.kind for spec in ALL_KINDS if not spec.namespaced] == ["Node"]
    with pytest.raises(KeyError, match="unknown kind 'Pods'"):
        kind_spec("Pods")


def test_discovery_document_parsing() -> None:
    groups = parse_group_list(
        {
            "groups": [
                {"name": "batch", "versions": [{"version": "v1"}, {"version": "v1beta1"}]},
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}]},
                {"versions": []},
            ]
        }
    )
    assert groups == {"batch": ("v1", "v1beta1"), "apps": ("v1",)}
    names = parse_resource_names({"resources": [{"name": "jobs"}, {"name": "jobs/status"}, {}]})
    assert names == {"jobs", "jobs/status"}
    with pytest.raises(ValueError):
        parse_group_list({"kind": "Status"})
    with pytest.raises(ValueError):
        parse_resource_names([])
