"""ktui.render.message_log: the `:messages` rows, the whole-message line and the title."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.text import Text

from ktui.cluster.state import CachePhase, CacheState
from ktui.render.cells import TimeCell
from ktui.render.header import clock_time
from ktui.render.message_log import (
    LoggedMessage,
    WatchLog,
    message_cells,
    message_log_title,
    message_text,
)

AT = datetime(2026, 12, 6, 20, 31, 7, tzinfo=UTC)


def test_a_row_has_the_local_time_the_level_one_line_of_the_message_and_its_age() -> None:
    logged = LoggedMessage(3, AT, "error", "undo failed:\nforbidden", "rollout")
    time, level, message, age = message_cells(logged)
    assert time == clock_time(AT)
    assert isinstance(level, Text) and level.plain == "✖ error" and "red" in str(level.style)
    assert message == "rollout: undo failed: forbidden"
    assert isinstance(age, TimeCell) and age.moment == AT


def test_the_whole_message_keeps_its_lines_and_draws_control_characters_harmlessly() -> None:
    logged = LoggedMessage(1, AT, "warning", "bad\n\x1b[31mname")
    text = message_text(logged)
    assert text.plain == f"{clock_time(AT)}  ▲ warning  bad\n^[[31mname"
    assert message_cells(logged)[2] == "bad \x1b[31mname"  # the table escapes it as it draws


def test_the_title_counts_the_run_and_says_when_the_oldest_are_gone() -> None:
    assert message_log_title(0, 0).plain == "Messages  none yet"
    assert message_log_title(12, 0).plain == "Messages  12 this run"
    assert message_log_title(503, 3).plain == "Messages  503 this run · the oldest 3 no longer kept"


LIVE = CacheState(CachePhase.LIVE)
DOWN = CacheState(CachePhase.RECONNECTING, since=AT, message="cannot reach x: connection refused")
LISTING = CacheState(CachePhase.SYNCING)
SILENT = CacheState(CachePhase.LIVE, stale_since=AT)
DENIED = CacheState(CachePhase.FORBIDDEN, message="deployments.apps is forbidden")
KINDS = ("Deployment", "ReplicaSet", "Pod")


def test_an_outage_is_said_when_it_starts_and_when_every_watch_is_current_again() -> None:
    log = WatchLog()
    every = dict.fromkeys(KINDS, LIVE)
    assert log.said(every, every, AT) == []
    first = {"Pod": DOWN}
    assert log.said(first, {**every, **first}, AT) == [
        ("warning", "watches pod reconnecting: cannot reach x: connection refused")
    ]
    # The others going down during it, and the next attempts, are not news.
    rest = dict.fromkeys(KINDS, DOWN)
    assert log.said({"Deployment": DOWN, "ReplicaSet": DOWN}, rest, AT) == []
    assert log.said({"Pod": DOWN}, rest, AT) == []
    # Back one by one: said once every watch is current.
    assert log.said({"Pod": LIVE}, {**rest, "Pod": LIVE}, AT) == []
    later = AT + timedelta(seconds=75)
    assert log.said(every, every, later) == [
        ("information", "watches live again (the outage lasted 75s; all were out of date)")
    ]
    # A dead server at once: every watch in one message.
    assert log.said(rest, rest, later) == [
        ("warning", "watches all reconnecting: cannot reach x: connection refused")
    ]


def test_a_silent_watch_starts_an_outage_and_a_refusal_is_said_once_per_reason() -> None:
    log = WatchLog()
    every = dict.fromkeys(KINDS, LIVE)
    assert log.said({"Pod": SILENT}, {**every, "Pod": SILENT}, AT) == [
        ("warning", f"watches pod silent since {clock_time(AT)}: what they show may be out of date")
    ]
    assert log.said({"Pod": LIVE}, every, AT)[0][1].startswith("watches live again")
    denied = {"Deployment": DENIED}
    said = log.said(denied, {**every, **denied}, AT)
    assert said == [("error", "watches deploy forbidden: deployments.apps is forbidden")]
    assert log.said(denied, {**every, **denied}, AT) == []  # the next attempt: not news
    assert log.said({"Deployment": LIVE}, every, AT) == []  # a refusal is not an outage
    assert log.said(denied, {**every, **denied}, AT) == said  # denied again: said again


def test_an_outage_lasts_from_when_the_watches_stopped_not_from_the_batch() -> None:
    log = WatchLog()
    every = dict.fromkeys(KINDS, LIVE)
    silent = CacheState(CachePhase.LIVE, stale_since=AT - timedelta(seconds=30))
    assert log.said({"Pod": silent}, {**every, "Pod": silent}, AT)
    said = log.said({"Pod": LIVE}, every, AT + timedelta(seconds=10))
    assert said == [
        ("information", "watches live again (the outage lasted 40s; pod was out of date)")
    ]


def test_a_namespace_switch_mid_outage_is_not_the_link_healed() -> None:
    log = WatchLog()
    rest = dict.fromkeys(KINDS, DOWN)
    assert log.said(rest, rest, AT)
    listing = dict.fromkeys(KINDS, LISTING)  # `:ns other`: every watch lists again
    assert log.said(listing, listing, AT) == []
    assert log.said(rest, rest, AT) == []  # still down: the same outage
    every = dict.fromkeys(KINDS, LIVE)
    assert log.said(every, every, AT)[0][1].startswith("watches live again")


def test_a_watch_denied_before_and_after_an_outage_is_said_once() -> None:
    log = WatchLog()
    every = dict.fromkeys(KINDS, LIVE)
    denied = {**every, "Deployment": DENIED}
    assert len(log.said({"Deployment": DENIED}, denied, AT)) == 1
    down = dict.fromkeys(KINDS, DOWN)
    log.said(down, down, AT)
    assert log.said(denied, denied, AT) == [
        ("information", "watches live again (the outage lasted 0s; all were out of date)")
    ]
