"""Event rows: kubectl's LAST SEEN / COUNT / OBJECT rules and newest-first ordering."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pods_fixtures as fx

from ktui.view.events import event_row, event_rows, event_time

NOW = fx.NOW


def core_event(name: str, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "creationTimestamp": fx.ts(3600),
        },
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": "web-1",
            "namespace": "shop",
            "uid": "uid-web-1",
            "fieldPath": "spec.containers{web}",
        },
        "type": "Normal",
        "reason": "Pulled",
        "message": "Container image already present on machine\n",
        "source": {"component": "kubelet", "host": "node-1"},
        "reportingComponent": "kubelet",
        "reportingInstance": "node-1",
        "eventTime": None,
    }
    event.update(fields)
    return event


def test_row_columns() -> None:
    row = event_row(
        core_event(
            "web-1.17f",
            type="Warning",
            reason="BackOff",
            message="Back-off restarting failed container web in pod web-1_shop(uid)",
            count=12,
            firstTimestamp=fx.ts(900),
            lastTimestamp=fx.ts(45),
        ),
        NOW,
    )
    assert row.is_warning is True
    assert row.type == "Warning"
    assert row.reason == "BackOff"
    assert row.object == "pod/web-1"
    assert (row.object_kind, row.object_name, row.object_uid) == ("Pod", "web-1", "uid-web-1")
    assert row.field_path == "spec.containers{web}"
    assert row.count == 12
    assert row.last_seen == "45s"
    assert row.first_seen == "15m"
    assert row.last_seen_at == NOW - timedelta(seconds=45)
    assert row.source == "kubelet, node-1"
    assert row.message.startswith("Back-off restarting")


def test_message_is_trimmed_and_normal_is_not_warning() -> None:
    row = event_row(core_event("e", count=1, lastTimestamp=fx.ts(5)), NOW)
    assert row.message == "Container image already present on machine"
    assert row.is_warning is False


def test_object_without_name_is_the_lower_cased_kind() -> None:
    event = core_event("e", involvedObject={"kind": "Node"})
    assert event_row(event, NOW).object == "node"


def test_new_api_event_uses_event_time_series_and_reporting_controller() -> None:
    event = core_event(
        "e",
        source={},
        reportingController="default-scheduler",
        reportingInstance="default-scheduler-cp-1",
        eventTime="2025-03-01T11:50:00.123456Z",
        series={"count": 4, "lastObservedTime": "2025-03-01T11:59:30.000001Z"},
        reason="FailedScheduling",
        type="Warning",
    )
    row = event_row(event, NOW)
    assert row.count == 4
    assert row.first_seen == "9m59s"
    assert row.last_seen == "29s"
    assert row.source == "default-scheduler, default-scheduler-cp-1"


def test_singleton_event_without_count_counts_one() -> None:
    row = event_row(core_event("e", eventTime="2025-03-01T11:59:00.000000Z"), NOW)
    assert row.count == 1
    # No lastTimestamp: LAST SEEN is the first-seen time, as kubectl prints it.
    assert row.last_seen == row.first_seen == "60s"


def test_event_without_any_time_is_unknown() -> None:
    event = core_event("e")
    del event["metadata"]["creationTimestamp"]
    row = event_row(event, NOW)
    assert row.last_seen == row.first_seen == "<unknown>"
    assert event_time(event) is None


def test_events_k8s_io_v1_fields_are_read() -> None:
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e", "namespace": "shop", "creationTimestamp": fx.ts(30)},
        "regarding": {"kind": "Deployment", "name": "web", "namespace": "shop"},
        "note": "Scaled up replica set web-7f9b8c6d5 to 3",
        "reason": "ScalingReplicaSet",
        "type": "Normal",
        "deprecatedCount": 2,
        "deprecatedFirstTimestamp": fx.ts(600),
        "deprecatedLastTimestamp": fx.ts(30),
        "deprecatedSource": {"component": "deployment-controller"},
    }
    row = event_row(event, NOW)
    assert row.object == "deployment/web"
    assert row.message == "Scaled up replica set web-7f9b8c6d5 to 3"
    assert (row.count, row.first_seen, row.last_seen) == (2, "10m", "30s")
    assert row.source == "deployment-controller"


def test_rows_are_newest_first_by_the_best_available_time() -> None:
    events = [
        core_event("by-last", lastTimestamp=fx.ts(300), firstTimestamp=fx.ts(4000)),
        core_event(
            "by-series", eventTime=fx.ts(5000), series={"count": 2, "lastObservedTime": fx.ts(10)}
        ),
        core_event("by-event-time", eventTime="2025-03-01T11:59:00.500000Z"),
        core_event("by-creation-only"),
        core_event("by-first", firstTimestamp=fx.ts(120)),
    ]
    untimed = core_event("untimed")
    del untimed["metadata"]["creationTimestamp"]
    events.append(untimed)
    names = [row.name for row in event_rows(events, NOW)]
    assert names == [
        "by-series",
        "by-event-time",
        "by-first",
        "by-last",
        "by-creation-only",
        "untimed",
    ]


def test_ties_are_broken_by_name_for_a_stable_order() -> None:
    events = [core_event(name, lastTimestamp=fx.ts(10)) for name in ("b", "c", "a")]
    assert [row.name for row in event_rows(events, NOW)] == ["a", "b", "c"]
