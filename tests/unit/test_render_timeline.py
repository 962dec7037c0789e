"""ktui.render.timeline: a pod's lifecycle picture, from realistic pods at a fixed time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pods_fixtures as fx
from render_support import has_style

from ktui.render.timeline import (
    Tick,
    build_timeline,
    legend_text,
    place_condition_marks,
    render_timeline,
)
from ktui.view.pod import Phase


def lane(picture: str, name: str) -> str:
    return next(line for line in picture.splitlines() if f" {name} " in line)


def test_lanes_and_spans_of_an_initializing_pod() -> None:
    timeline = build_timeline(fx.init_1_of_2(), fx.NOW)
    assert timeline.phase is Phase.PENDING
    assert timeline.ends_now
    assert [(lane.name, lane.group) for lane in timeline.lanes] == [
        ("wait-for-db", "init"),
        ("migrate", "init"),
        ("web", "main"),
    ]
    # The earlier (failed) run of wait-for-db, then the run that succeeded.
    runs = [(span.outcome, span.previous) for span in timeline.lanes[0].spans]
    assert runs == [("failed", True), ("succeeded", False)]
    assert [(span.outcome, span.end) for span in timeline.lanes[1].spans] == [("running", None)]
    assert timeline.lanes[2].spans == ()
    assert {tick.letter for tick in timeline.ticks} == {"S", "I", "C", "R", "N"}


def test_picture_of_an_initializing_pod() -> None:
    text = render_timeline(build_timeline(fx.init_1_of_2(), fx.NOW), 100, fx.NOW)
    picture = text.plain
    lines = picture.splitlines()
    assert lines[0].startswith("conditions ") and lines[0].endswith("Pending")
    first = lane(picture, "wait-for-db")
    assert "▒" in first and "✖" in first  # the earlier run, failed
    assert "█" in first and "✔ Completed (exit 0) · ran 2s" in first
    migrate = lane(picture, "migrate")
    assert "█" in migrate and migrate.endswith("● running 8s · not ready")
    web = lane(picture, "web")
    assert "█" not in web and "·" in web and web.endswith("… Waiting: PodInitializing")
    assert "└" in lines[4] and "┘" in lines[4]
    assert lines[5].split() == ["-20s", "-10s", "now"]
    assert "I Initialized ✖ False: ContainersNotInitialized +1s" in picture
    # Every lane line fits the width: cut, not wrapped.
    assert all(len(line) <= 100 for line in lines[:6])
    assert has_style(text, "Pending", "bold dodger_blue1")
    assert has_style(text, "▒", "red")  # the earlier run failed
    assert has_style(text, "… Waiting", "dodger_blue1")


def test_picture_of_a_finished_pod_runs_from_start_to_end() -> None:
    timeline = build_timeline(fx.completed_job_pod(), fx.NOW)
    assert not timeline.ends_now
    text = render_timeline(timeline, 100, fx.NOW)
    lines = text.plain.splitlines()
    assert lines[0].endswith("Succeeded")
    backup = lane(text.plain, "backup")
    assert backup.endswith("✔ Completed (exit 0) · ran 115s")
    assert lines[3].split() == ["0s", "+60s", "+2m"]
    assert has_style(text, "█", "grey62")
    assert has_style(text, "Succeeded", "bold grey62")


def test_a_crash_looping_container_is_red_with_its_restarts() -> None:
    text = render_timeline(build_timeline(fx.crash_loop_back_off(), fx.NOW), 120, fx.NOW)
    web = lane(text.plain, "web")
    # The summary is cut at its column's width, with an ellipsis.
    assert web.endswith("… Waiting: CrashLoopBackOff · ↻5 · last…")
    assert has_style(text, "… Waiting: CrashLoopBackOff", "bold red")
    assert has_style(text, "↻5", "yellow")
    assert has_style(text, "· last", "red")


def test_legend_names_each_condition_with_its_outcome() -> None:
    legend = legend_text(build_timeline(fx.sidecar_and_init_running(), fx.NOW))
    assert legend.plain == (
        "S PodScheduled ✔ +0s   N PodReadyToStartContainers ✔ +2s   I Initialized ✔ +5s   "
        "C ContainersReady ✔ +12s   R Ready ✔ +12s"
    )
    assert has_style(legend, "S PodScheduled", "bold green")
    pending = legend_text(build_timeline(fx.init_1_of_2(), fx.NOW))
    assert has_style(pending, "✖ False: ContainersNotInitialized", "red")


def test_a_pod_without_conditions_says_so() -> None:
    pod = fx.pending_unscheduled()
    pod["status"]["conditions"] = []
    legend = legend_text(build_timeline(pod, fx.NOW))
    assert legend.plain == "no conditions reported yet"


def conditions_lane(text: str) -> str:
    return text.splitlines()[0].removeprefix("conditions").rsplit("  ", 1)[0]


def test_conditions_on_the_same_cell_share_one_readable_mark() -> None:
    # ContainersReady and Ready changed in the same second: "C,R", not "CR".
    timeline = build_timeline(fx.sidecar_and_init_running(), fx.NOW)
    lane_text = conditions_lane(render_timeline(timeline, 100, fx.NOW).plain)
    assert lane_text.split() == ["S", "N", "I", "C,R"]
    # Narrower, S and N fall on one cell too; the marks never touch.
    narrow = conditions_lane(render_timeline(timeline, 60, fx.NOW).plain)
    assert narrow.split() == ["S,N", "I", "C,R"]


def test_condition_marks_at_the_end_stay_inside_the_track_and_apart() -> None:
    whole = build_timeline(fx.sidecar_and_init_running(), fx.NOW)
    end = whole.end
    ticks = (
        Tick(end - timedelta(seconds=1), "Initialized", "I", True, ""),
        Tick(end, "Ready", "R", True, ""),
        Tick(end, "ContainersReady", "C", True, ""),
    )
    # 19 seconds on 20 cells: one second a cell.
    timeline = replace(whole, start=end - timedelta(seconds=19), ticks=ticks)
    marks = place_condition_marks(timeline, 20)
    # C before R on the same cell (lifecycle order), pushed left to end in the last cell; I keeps
    # one blank before them.
    assert [(start, [t.letter for t in cluster]) for start, cluster in marks] == [
        (15, ["I"]),
        (17, ["C", "R"]),
    ]
    picture = render_timeline(timeline, 100, fx.NOW).plain
    assert conditions_lane(picture).split()[-2:] == ["I", "C,R"]
