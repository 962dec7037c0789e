"""The timeline lane: a window of glyphs around the selected moment, then what changed then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from render_support import plain

from ktui.model.timeline import Change, ChangeKind, TimelineEntry
from ktui.render.rollout_timeline import lane_text, window
from ktui.view.rollout_tree import Budget, RolloutTree

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TREE = RolloutTree("Deployment", "web", Budget("Deployment", "RollingUpdate", 1), ())


def entry(kind: ChangeKind, text: str, bad: bool = False, ago: int = 60) -> TimelineEntry:
    return TimelineEntry(NOW - timedelta(seconds=ago), (Change(kind, text, bad),), TREE)


def test_window_keeps_the_selected_moment_in_view() -> None:
    assert window(5, 4, 10) == (0, 5)
    assert window(100, 99, 10) == (90, 100)
    assert window(100, 0, 10) == (0, 10)
    assert window(100, 50, 10) == (45, 55)


def test_lane_live_and_scrubbing() -> None:
    entries = [
        entry(ChangeKind.START, "ktui started watching", ago=300),
        entry(ChangeKind.REVISION, "revision 2 (web-b) is current", ago=200),
        entry(ChangeKind.POD, "pod web-b-1 not ready (CrashLoopBackOff)", bad=True, ago=100),
        entry(ChangeKind.EVENT, "ReplicaSet/web-b: \x1b[31mFailedCreate", bad=True),
    ]
    live = plain(lane_text(entries, None, 60, NOW), 100)
    assert live.splitlines()[0] == "▶◆•· ● live"
    assert "(60s ago)" in live and "FailedCreate" in live and "\x1b" not in live
    past = plain(lane_text(entries, 1, 60, NOW), 100)
    assert past.splitlines()[0] == "▶◆•· 2/4"
    assert "(3m20s ago)  revision 2 (web-b) is current" in past
    assert plain(lane_text([], None, 60, NOW)).strip() == "nothing recorded yet"


def test_a_stale_lane_says_since_when_instead_of_live() -> None:
    entries = [
        entry(ChangeKind.START, "ktui started watching", ago=300),
        entry(ChangeKind.REVISION, "revision 2 (web-b) is current", ago=200),
    ]
    stale = lane_text(entries, None, 60, NOW, stale="stale since 17:39:05")
    assert plain(stale, 100).splitlines()[0] == "▶◆ ● stale since 17:39:05"
    assert "live" not in plain(stale, 100)
    # A moment of the past is a moment of the past, stale or not.
    past = lane_text(entries, 0, 60, NOW, stale="stale since 17:39:05")
    assert plain(past, 100).splitlines()[0] == "▶◆ 1/2"
    empty = lane_text([], None, 60, NOW, stale="stale since 17:39:05")
    assert plain(empty).strip() == "nothing recorded yet ● stale since 17:39:05"


def test_a_moment_seen_on_return_says_since_when_it_was_not_watched() -> None:
    away = NOW - timedelta(seconds=300)
    seen = TimelineEntry(
        NOW - timedelta(seconds=37),
        (Change(ChangeKind.REVISION, "web-f8 is revision 9 now"),),
        TREE,
        unwatched_since=away,
    )
    lines = plain(lane_text([seen], None, 40, NOW)).splitlines()
    local = away.astimezone().strftime("%H:%M:%S")
    assert f"(37s ago)  seen on return (not watched since {local}): web-f8 is" in lines[1]
    watched = plain(
        lane_text([entry(ChangeKind.REVISION, "web-f8 is revision 9 now")], None, 40, NOW)
    )
    assert "seen on return" not in watched
