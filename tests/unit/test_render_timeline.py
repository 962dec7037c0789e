"""ktui.render.timeline: a pod's lifecycle picture, from realistic pods at a fixed time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pods_fixtures as fx
import pytest
from render_support import has_style

from ktui.render.timeline import (
    MAX_ESTIMATED_RUNS,
    Tick,
    build_timeline,
    legend_text,
    picture_lines,
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
    assert "█" in first and first.endswith("✔ Completed (exit 0) · ran 2s · ↻1")
    # The rest of its state text goes on below, in the same column, uncut.
    below = lines[lines.index(first) + 1]
    assert below.strip() == "last Error (exit 1)"
    assert below.index("last") == first.index("✔ Completed")
    migrate = lane(picture, "migrate")
    assert "█" in migrate and migrate.endswith("● running 8s · not ready")
    web = lane(picture, "web")
    assert "█" not in web and "·" in web and web.endswith("… Waiting: PodInitializing")
    assert "└" in lines[5] and "┘" in lines[5]
    assert lines[6].split() == ["-20s", "-10s", "now"]
    assert "I Initialized ✖ False: ContainersNotInitialized +1s" in picture
    # Every line fits the width.
    assert all(len(line) <= 100 for line in lines[:7])
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
    text = render_timeline(build_timeline(fx.crash_loop_back_off(), fx.NOW), 196, fx.NOW)
    web = lane(text.plain, "web")
    # Wide enough: the whole state text on the lane's row.
    assert web.endswith("… Waiting: CrashLoopBackOff · ↻5 · last Error (exit 1)")
    assert has_style(text, "… Waiting: CrashLoopBackOff", "bold red")
    assert has_style(text, "↻5", "yellow")
    assert has_style(text, "last Error (exit 1)", "red")


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


def test_a_crash_loop_shows_every_run_restart_count_allows() -> None:
    # Waiting in CrashLoopBackOff with restartCount 5: six runs so far. The API reports only
    # the newest (lastState: 140s to 130s ago); the five before it are placed by the kubelet's
    # back-off (restart at once, then 10s, 20s, 40s, 80s), each as long as the reported one.
    timeline = build_timeline(fx.crash_loop_back_off(), fx.NOW)
    (web,) = timeline.lanes
    assert len(web.spans) == 6
    assert [span.estimated for span in web.spans] == [True] * 5 + [False]
    ago = [
        (round((fx.NOW - span.start).total_seconds()), round((fx.NOW - span.end).total_seconds()))
        for span in web.spans
        if span.end is not None
    ]
    assert ago == [(340, 330), (330, 320), (310, 300), (280, 270), (230, 220), (140, 130)]
    assert all(span.outcome == "failed" for span in web.spans)


def test_a_running_container_after_restarts_adds_the_runs_before_last_state() -> None:
    # Running again after restartCount 3: four runs, the current and lastState reported.
    pod = fx.crash_loop_back_off()
    status = pod["status"]["containerStatuses"][0]
    status.update(restartCount=3, state=fx.running(20), ready=True, started=True)
    (web,) = build_timeline(pod, fx.NOW).lanes
    assert [(span.estimated, span.previous, span.end is None) for span in web.spans] == [
        (True, True, False),
        (True, True, False),
        (False, True, False),
        (False, False, True),
    ]


def test_earlier_runs_that_do_not_fit_are_squeezed_after_the_container_could_start() -> None:
    # 20 restarts of a pod 15 minutes old: the back-off alone would start before the pod did.
    pod = fx.crash_loop_back_off()
    pod["status"]["containerStatuses"][0]["restartCount"] = 20
    timeline = build_timeline(pod, fx.NOW)
    (web,) = timeline.lanes
    assert len(web.spans) == 21
    initialized = next(tick.at for tick in timeline.ticks if tick.condition == "Initialized")
    assert web.spans[0].start >= initialized
    starts = [span.start for span in web.spans]
    assert starts == sorted(starts)
    # Every run that ended is one mark of its own, the newest where it happened.
    picture = render_timeline(timeline, 196, fx.NOW).plain
    assert lane(picture, "web").count("✖") == 21


def test_a_huge_restart_count_draws_a_bounded_number_of_runs() -> None:
    pod = fx.crash_loop_back_off()
    pod["status"]["containerStatuses"][0]["restartCount"] = 2**31 - 1
    (web,) = build_timeline(pod, fx.NOW).lanes
    assert len(web.spans) == MAX_ESTIMATED_RUNS + 1


def test_no_earlier_runs_without_restarts_or_for_a_container_that_never_ran() -> None:
    for pod in (fx.running_2_of_2(), fx.image_pull_back_off(), fx.init_1_of_2()):
        timeline = build_timeline(pod, fx.NOW)
        assert not any(span.estimated for lane in timeline.lanes for span in lane.spans)
        assert "earlier runs" not in legend_text(timeline).plain


@pytest.mark.parametrize("width", [56, 76, 120, 196])
def test_every_run_of_a_crash_loop_is_drawn_and_its_state_text_is_whole(width: int) -> None:
    text = render_timeline(build_timeline(fx.crash_loop_back_off(), fx.NOW), width, fx.NOW)
    picture = text.plain
    assert lane(picture, "web").count("✖") == 6
    if width >= 120:  # narrower, the marks cover the short runs' bars
        assert has_style(text, "░", "red")  # the estimated runs, in the reported run's colour
    # The state text is never cut: each part is whole, on the lane's row or the rows below.
    words = " ".join(picture.split())
    for part in ("CrashLoopBackOff", "↻5", "last Error (exit 1)"):
        assert part in words
    assert (
        "░ earlier runs: times estimated from the restart back-off"
        in legend_text(build_timeline(fx.crash_loop_back_off(), fx.NOW)).plain
    )


@pytest.mark.parametrize("width", [56, 76, 100, 150, 196])
def test_no_line_of_any_pod_is_cut(width: int) -> None:
    for name, pod in fx.all_pods().items():
        timeline = build_timeline(pod, fx.NOW)
        for line in picture_lines(timeline, width, fx.NOW):
            assert line.cell_len <= width, name
            assert not line.plain.endswith("…"), (name, line.plain)


@pytest.mark.parametrize("width", range(40, 201, 7))
def test_condition_letters_never_overlap_at_any_width(width: int) -> None:
    for name, pod in fx.all_pods().items():
        timeline = build_timeline(pod, fx.NOW)
        top = conditions_lane(render_timeline(timeline, width, fx.NOW).plain)
        letters = [char for char in top if char.isalpha()]
        assert sorted(letters) == sorted(tick.letter for tick in timeline.ticks), name


def test_a_bar_is_one_span_not_one_per_cell() -> None:
    """A run of cells in one style is drawn as one span: the same picture (each cell keeps its
    character and style) for far fewer styles for Textual to convert and segments to draw."""
    lines = picture_lines(build_timeline(fx.init_1_of_2(), fx.NOW), 100, fx.NOW)
    migrate = next(line for line in lines if " migrate " in line.plain)
    bars = [s for s in migrate.spans if set(migrate.plain[s.start : s.end]) == {"█"}]
    assert len(bars) == 1 and bars[0].end - bars[0].start > 1
    for line in lines:
        styled = sorted(line.spans)
        # No two spans of one style meet: a run is never split.
        for before, after in pairwise(styled):
            assert not (before.end == after.start and before.style == after.style), line.plain
