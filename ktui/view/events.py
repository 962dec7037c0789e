"""Events as rows, newest first, with the columns `kubectl get events -o wide` computes.

Both core/v1 Events and events.k8s.io/v1 Events are read; the latter's fields (regarding, note,
deprecatedCount, ...) stand in where the core/v1 ones are missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ktui.view import _json as j
from ktui.view.age import parse_time, since


@dataclass(frozen=True)
class EventRow:
    name: str
    namespace: str
    uid: str
    type: str  # "Normal" or "Warning"
    is_warning: bool
    reason: str
    object: str  # "pod/web-1", lower-cased kind as kubectl prints it
    object_kind: str
    object_name: str
    object_uid: str
    field_path: str  # "spec.containers{app}"
    message: str
    source: str  # "kubelet, node-1"
    count: int
    last_seen: str  # age, "<unknown>" when the event carries no time
    first_seen: str
    last_seen_at: datetime | None
    first_seen_at: datetime | None


def _first_text(*values: object) -> str:
    for value in values:
        if isinstance(value, str) and value:
            return value
    return ""


def _involved(event: j.Obj) -> j.Obj:
    involved = j.opt_obj(event.get("involvedObject"))
    return involved if involved is not None else j.obj(event.get("regarding"))


def _first_seen_at(event: j.Obj) -> datetime | None:
    return (
        parse_time(event.get("firstTimestamp"))
        or parse_time(event.get("deprecatedFirstTimestamp"))
        or parse_time(event.get("eventTime"))
    )


def _series(event: j.Obj) -> j.Obj | None:
    return j.opt_obj(event.get("series"))


def _last_seen_at(event: j.Obj) -> datetime | None:
    """printEvent's LAST SEEN: series.lastObservedTime, else lastTimestamp, else first seen."""
    series = _series(event)
    if series is not None:
        return parse_time(series.get("lastObservedTime"))
    return (
        parse_time(event.get("lastTimestamp"))
        or parse_time(event.get("deprecatedLastTimestamp"))
        or _first_seen_at(event)
    )


def event_time(event: j.Obj) -> datetime | None:
    """When the event last happened, for ordering: series.lastObservedTime, lastTimestamp,
    eventTime, firstTimestamp, then the object's creationTimestamp."""
    series = _series(event)
    candidates = (
        series.get("lastObservedTime") if series is not None else None,
        event.get("lastTimestamp"),
        event.get("deprecatedLastTimestamp"),
        event.get("eventTime"),
        event.get("firstTimestamp"),
        event.get("deprecatedFirstTimestamp"),
        j.meta(event).get("creationTimestamp"),
    )
    for candidate in candidates:
        parsed = parse_time(candidate)
        if parsed is not None:
            return parsed
    return None


def _count(event: j.Obj) -> int:
    series = _series(event)
    if series is not None:
        return j.integer(series.get("count"))
    count = j.integer(event.get("count")) or j.integer(event.get("deprecatedCount"))
    # Singleton events of the new API carry no count.
    return count if count != 0 else 1


def _source(event: j.Obj) -> str:
    source = j.obj(event.get("source"))
    if not source:
        source = j.obj(event.get("deprecatedSource"))
    component = _first_text(source.get("component"), event.get("reportingController"))
    instance = _first_text(source.get("host"), event.get("reportingInstance"))
    return f"{component}, {instance}" if instance else component


def event_row(event: j.Obj, now: datetime) -> EventRow:
    metadata = j.meta(event)
    involved = _involved(event)
    kind = j.text(involved.get("kind"))
    involved_name = j.text(involved.get("name"))
    target = f"{kind.lower()}/{involved_name}" if involved_name else kind.lower()
    event_type = j.text(event.get("type"))
    first_seen_at = _first_seen_at(event)
    last_seen_at = _last_seen_at(event)
    return EventRow(
        name=j.text(metadata.get("name")),
        namespace=j.text(metadata.get("namespace")),
        uid=j.text(metadata.get("uid")),
        type=event_type,
        is_warning=event_type == "Warning",
        reason=j.text(event.get("reason")),
        object=target,
        object_kind=kind,
        object_name=involved_name,
        object_uid=j.text(involved.get("uid")),
        field_path=j.text(involved.get("fieldPath")),
        message=_first_text(event.get("message"), event.get("note")).strip(),
        source=_source(event),
        count=_count(event),
        last_seen=since(last_seen_at, now),
        first_seen=since(first_seen_at, now),
        last_seen_at=last_seen_at,
        first_seen_at=first_seen_at,
    )


def event_rows(events: Iterable[j.Obj], now: datetime) -> list[EventRow]:
    """Rows for events, newest first (by `event_time`); events without any time go last."""
    keyed = [(event_time(event), event_row(event, now)) for event in events]
    keyed.sort(key=lambda item: item[1].name)
    keyed.sort(
        key=lambda item: item[0].timestamp() if item[0] is not None else float("-inf"), reverse=True
    )
    return [row for _, row in keyed]
