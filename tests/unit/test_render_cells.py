"""ktui.render.cells: statuses, health, phase bars and container badges, rendered as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from render_support import has_style, plain, style_at
from rich.style import Style
from rich.text import Text

from ktui.render.cells import (
    TimeCell,
    badges_text,
    dim,
    fit_health_text,
    fit_phase_bar,
    health_text,
    phase_bar_text,
    restart_count_text,
    restarts_since,
    short_kind_text,
    status_text,
)
from ktui.render.safe import escape_text
from ktui.view.pod import BadgeState, ContainerBadge, Phase, Severity
from ktui.view.stuck import StuckReason
from ktui.view.workload import Health

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def badge(name: str, group: str, state: BadgeState) -> ContainerBadge:
    return ContainerBadge(
        name=name,
        group=group,  # type: ignore[arg-type]
        state=state,
        reason=None,
        exit_code=None,
        restarts=0,
        ready=state is BadgeState.READY,
        started_at=None,
        finished_at=None,
        image="app:1",
        last_termination_reason=None,
        last_exit_code=None,
    )


def test_status_text_is_coloured_by_severity() -> None:
    text = status_text("CrashLoopBackOff", Severity.ERROR)
    assert text.plain == "CrashLoopBackOff"
    assert has_style(text, "Crash", "bold red")
    assert has_style(status_text("Running", Severity.OK), "Running", "green")
    assert has_style(status_text("Init:1/2", Severity.PROGRESS), "Init", "dodger_blue1")
    assert has_style(status_text("Completed", Severity.DONE), "Completed", "bright_black")
    assert not has_style(status_text("Running", Severity.OK), "Running", "red")


def test_health_text_has_a_glyph_and_a_colour() -> None:
    assert health_text(Health.HEALTHY).plain == "● healthy"
    assert has_style(health_text(Health.HEALTHY), "●", "green")
    failed = health_text(Health.FAILED)
    assert failed.plain == "✖ failed"
    assert has_style(failed, "✖", "bold red")
    assert health_text(Health.PAUSED).plain.startswith("‖ ")
    assert has_style(health_text(Health.PAUSED), "‖", "magenta")


def test_phase_bar_splits_the_width_by_phase_then_counts() -> None:
    text = phase_bar_text({Phase.RUNNING: 3, Phase.PENDING: 1}, width=12)
    assert plain(text) == "█" * 12 + " 4\n"
    # Running first (green), then pending (blue), in proportion 3:1.
    assert has_style(text, "█" * 9, "green")
    assert [span.style for span in text.spans][:2] == ["green", "dodger_blue1"]
    assert [span.end - span.start for span in text.spans][:2] == [9, 3]
    assert has_style(text, " 4", "bold")


def test_phase_bar_without_pods_is_dotted_and_grey() -> None:
    text = phase_bar_text({}, width=6)
    assert text.plain == "······ 0"
    assert has_style(text, "·", "bright_black")
    assert has_style(text, " 0", "bright_black")


def runs(text: Text) -> list[tuple[str, int]]:
    return [(str(span.style), span.end - span.start) for span in text.spans]


def test_a_narrow_pods_column_narrows_the_bar_and_keeps_the_count_and_the_shares() -> None:
    text = phase_bar_text({Phase.RUNNING: 6, Phase.PENDING: 3, Phase.FAILED: 1, Phase.UNKNOWN: 2})
    fitted = fit_phase_bar(text, 8)
    assert fitted.plain == "████ 12"  # 8 - a space - room for 3 digits
    # Every phase keeps a cell while the bar has one for it, in the bar's order.
    assert runs(fitted)[:4] == [("green", 1), ("dodger_blue1", 1), ("red", 1), ("magenta", 1)]
    assert has_style(fitted, "12", "bold")
    two = fit_phase_bar(phase_bar_text({Phase.RUNNING: 3, Phase.PENDING: 1}), 9)
    assert two.plain == "█████ 4" and runs(two)[:2] == [("green", 4), ("dodger_blue1", 1)]
    # Bars of counts up to 3 digits line up: one length for "1" and "100".
    assert fit_phase_bar(phase_bar_text({Phase.RUNNING: 100}), 10).plain == "██████ 100"
    assert fit_phase_bar(phase_bar_text({Phase.RUNNING: 1}), 10).plain == "██████ 1"
    # A longer count keeps its digits; the bar gives up the cells.
    assert fit_phase_bar(phase_bar_text({Phase.RUNNING: 10000}), 8).plain == "██ 10000"
    assert fit_phase_bar(phase_bar_text({Phase.RUNNING: 10000}), 5).plain == "10000"
    # No pods: a narrower dotted bar, not a Succeeded one (they share the grey).
    empty = fit_phase_bar(phase_bar_text({}), 8)
    assert empty.plain == "···· 0" and has_style(empty, "·", "bright_black")
    # A column as wide as the bar leaves it as it is.
    assert fit_phase_bar(text, 20) == text


def test_a_narrow_health_column_keeps_a_stuck_rollouts_reason_not_the_word_stuck() -> None:
    stuck = health_text(Health.PROGRESSING, StuckReason("ImagePullBackOff", "cannot pull"))
    assert stuck.plain == "✖ stuck: ImagePullBackOff"
    fitted = fit_health_text(stuck, 12)
    assert fitted.plain == "✖ ImagePullBackOff" and has_style(fitted, "✖", "bold red")
    healthy = health_text(Health.HEALTHY)
    assert fit_health_text(healthy, 5) is healthy
    # A reason with a control character keeps it drawn reversed (as the table escaped it).
    odd = escape_text(health_text(Health.PROGRESSING, StuckReason("Bad\x1bName", "odd")))
    fitted_odd = fit_health_text(odd, 12)
    assert fitted_odd.plain == "✖ Bad^[Name" and has_style(fitted_odd, "^[", "reverse")


def test_a_narrow_kind_column_names_kinds_as_kubectl_short_names() -> None:
    shorts = [short_kind_text(Text(kind), 6).plain for kind in ("Deployment", "StatefulSet")]
    assert shorts == ["deploy", "sts"]
    assert short_kind_text(Text("DaemonSet"), 6).plain == "ds"
    assert short_kind_text(Text("CronJob"), 6).plain == "cj"
    assert short_kind_text(Text("Job"), 6).plain == "job"
    assert short_kind_text(Text("Widget"), 6).plain == "Widget"  # no short name known


def test_badges_one_glyph_per_container_shaped_by_group() -> None:
    text = badges_text(
        [
            badge("setup", "init", BadgeState.SUCCEEDED),
            badge("proxy", "sidecar", BadgeState.READY),
            badge("app", "main", BadgeState.CRASHLOOP),
            badge("metrics", "main", BadgeState.WAITING),
        ]
    )
    # Shape by group while running, a mark for every other state; groups separated by a bar.
    assert text.plain == "✔│◆│↻…"
    assert has_style(text, "✔", "bright_black")
    assert has_style(text, "◆", "green")
    assert has_style(text, "↻", "bold red")
    assert has_style(text, "│", "bright_black")
    assert badges_text([]).plain == ""


def test_badges_tell_states_apart_without_colour() -> None:
    # Every state of one group has its own character: a monochrome or colour-blind reader sees
    # done (grey) from failed (red) and ready (green) from done without the colours.
    for group in ("init", "sidecar", "main"):
        glyphs = [badges_text([badge("c", group, state)]).plain for state in BadgeState]
        assert len(set(glyphs)) == len(BadgeState), (group, glyphs)
    init = [badge("a", "init", BadgeState.SUCCEEDED), badge("b", "init", BadgeState.FAILED)]
    assert badges_text(init).plain == "✔✖"
    main = [
        badge("c", "main", BadgeState.SUCCEEDED),
        badge("d", "main", BadgeState.READY),
        badge("e", "main", BadgeState.RUNNING),
        badge("f", "main", BadgeState.WAITING),
        badge("g", "main", BadgeState.ERROR),
        badge("h", "main", BadgeState.TERMINATING),
    ]
    # spec order within the group is kept
    assert badges_text(main).plain == "✔●○…!◌"
    assert badges_text([badge("s", "sidecar", BadgeState.RUNNING)]).plain == "◇"
    assert badges_text([badge("i", "init", BadgeState.READY)]).plain == "■"


def test_dim_is_dim_not_grey() -> None:
    text = dim("web-7d9f8b6c5d")
    assert text.plain == "web-7d9f8b6c5d"
    assert style_at(text, "web") == Style(dim=True)


def test_time_cells_tick_and_sort_oldest_first() -> None:
    created = NOW - timedelta(seconds=150)
    cell = TimeCell(created, style="grey50")
    assert cell.text(NOW).plain == "2m30s"
    assert cell.text(NOW + timedelta(seconds=30)).plain == "3m"
    assert has_style(cell.text(NOW), "2m", "grey50")
    older = TimeCell(NOW - timedelta(hours=1))
    # Sorted ascending, the youngest comes first (the smallest age).
    assert cell.sort_value < older.sort_value
    assert TimeCell(None).text(NOW).plain == "<unknown>"
    assert TimeCell(None).sort_value == float("inf")


def test_restarts_since_says_when_the_last_restart_was() -> None:
    last = NOW - timedelta(seconds=45)
    assert restarts_since(3)(last, NOW) == "3 (45s ago)"
    assert restarts_since(0)(last, NOW) == "0"
    assert restarts_since(2)(None, NOW) == "2"
    assert TimeCell(last, restarts_since(5)).text(NOW).plain == "5 (45s ago)"


def test_health_text_says_why_a_rollout_is_stuck_but_not_a_hold() -> None:
    from ktui.view.stuck import StuckReason

    stuck = StuckReason("ImagePullBackOff", "Rollout stuck: ...")
    text = health_text(Health.PROGRESSING, stuck)
    assert text.plain == "✖ stuck: ImagePullBackOff"
    assert has_style(text, "✖", "red")
    held = StuckReason("paused", "Rollout paused.", held=True)
    assert health_text(Health.PAUSED, held).plain == "‖ paused"


def test_a_narrow_restarts_column_keeps_the_count() -> None:
    cell = TimeCell(NOW - timedelta(seconds=28), restarts_since(5))
    assert restart_count_text(cell.text(NOW), 3).plain == "5"
    plain_zero = TimeCell(None, restarts_since(0)).text(NOW)
    assert restart_count_text(plain_zero, 3) is plain_zero
