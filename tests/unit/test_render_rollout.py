"""ktui.render.rollout: status bars, diffs and a revision's detail, rendered as text."""

from __future__ import annotations

from render_support import has_style, plain

from ktui.cluster.rollout import RolloutStatus
from ktui.render.rollout import diff_text, progress_bar, revision_detail, status_renderable


def status(**changes: object) -> RolloutStatus:
    fields: dict[str, object] = {
        "kind": "Deployment",
        "name": "web",
        "message": 'Waiting for deployment "web" rollout to finish: 1 of 4 updated replicas are '
        "available...\n",
        "done": False,
        "failed": False,
        "error": None,
        "observed": True,
        "desired": 4,
        "updated": 2,
        "ready": 1,
        "available": 1,
        "old": 3,
    }
    fields.update(changes)
    return RolloutStatus(**fields)  # type: ignore[arg-type]


def test_progress_bar_fills_in_proportion() -> None:
    bar = progress_bar("ready", 1, 4, width=8)
    assert bar.plain == "ready     ██░░░░░░ 1/4"
    assert has_style(bar, "ready", "bold")
    assert has_style(bar, "██", "green")
    assert has_style(bar, "░", "bright_black")
    assert progress_bar("old", 0, 0, width=4, style="magenta").plain == "old       ░░░░ 0/0"
    full = progress_bar("x", 9, 4, width=4, style="magenta")
    assert full.plain == "x         ████ 9/4"
    assert has_style(full, "████", "magenta")


def test_status_in_progress_is_yellow_with_four_bars_for_a_deployment() -> None:
    shown = plain(status_renderable(status()), width=100)
    lines = shown.splitlines()
    assert lines[0] == (
        'Waiting for deployment "web" rollout to finish: 1 of 4 updated replicas are available...'
    )
    assert [line.split()[0] for line in lines[1:]] == ["updated", "ready", "available", "old"]
    assert lines[1].endswith(" 2/4") and lines[4].endswith(" 3/4")
    assert has_style(status_renderable(status()), "Waiting", "yellow")
    assert has_style(status_renderable(status()), "█", "dodger_blue1")  # the "updated" bar


def test_a_failed_rollout_says_the_error_in_bold_red() -> None:
    failed = status(
        failed=True,
        error='deployment "web" exceeded its progress deadline',
        message="",
    )
    renderable = status_renderable(failed)
    assert plain(renderable, width=100).splitlines()[0] == (
        'deployment "web" exceeded its progress deadline'
    )
    assert has_style(renderable, "deployment", "bold red")


def test_a_finished_rollout_is_green_and_only_deployments_have_an_old_bar() -> None:
    done = status(
        kind="DaemonSet",
        message='daemon set "agent" successfully rolled out\n',
        done=True,
        updated=4,
        ready=4,
        available=4,
        old=0,
    )
    renderable = status_renderable(done)
    lines = plain(renderable, width=100).splitlines()
    assert lines[0] == 'daemon set "agent" successfully rolled out'
    assert [line.split()[0] for line in lines[1:]] == ["updated", "ready", "available"]
    assert has_style(renderable, "daemon set", "green")
    assert not has_style(renderable, "daemon set", "red")


def test_a_stale_status_says_it_may_be_out_of_date_above_the_message() -> None:
    done = status(message='deployment "web" successfully rolled out\n', done=True)
    renderable = status_renderable(done, stale="stale since 17:39:05")
    lines = plain(renderable, width=120).splitlines()
    assert lines[0] == ("⚠ stale since 17:39:05: this status may be out of date")
    assert lines[1] == 'deployment "web" successfully rolled out'
    assert has_style(renderable, "⚠ stale since", "yellow")
    assert "stale" not in plain(status_renderable(done), width=120)


def test_without_a_desired_count_only_the_message_is_shown() -> None:
    shown = plain(status_renderable(status(desired=None, message="waiting\n")), width=60)
    assert shown == "waiting\n"


def test_diff_lines_are_coloured_by_kind() -> None:
    lines = [
        "--- current\n",
        "+++ revision 2\n",
        "@@ -1,3 +1,3 @@\n",
        " containers:\n",
        "-- image: web:2\n",
        "+- image: web:1\n",
    ]
    text = diff_text(lines)
    assert text.plain == (
        "--- current\n+++ revision 2\n@@ -1,3 +1,3 @@\n containers:\n-- image: web:2\n"
        "+- image: web:1\n"
    )
    assert has_style(text, "--- current", "bold")
    assert has_style(text, "+++ revision", "bold")
    assert has_style(text, "@@", "cyan")
    assert has_style(text, "-- image: web:2", "red")
    assert has_style(text, "+- image: web:1", "green")
    assert not has_style(text, " containers", "green")


TEMPLATE = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "web:1"}]},
}


def test_revision_detail_is_the_diff_then_the_template() -> None:
    renderable = revision_detail(["--- current", "+++ revision 1", "+    image: web:1"], TEMPLATE)
    shown = plain(renderable, width=60)
    assert shown.index("+++ revision 1") < shown.index("metadata:")
    assert "    image: web:1" in shown
    assert "  - image: web:1" in shown  # the template, as YAML with sorted keys
    assert shown.index("  - image: web:1") < shown.index("    name: web")
    assert has_style(renderable, "+    image", "green")


def test_revision_detail_of_the_same_template_says_so() -> None:
    renderable = revision_detail([], TEMPLATE)
    shown = plain(renderable, width=60)
    assert shown.startswith("Same pod template as the current one.\n")
    assert "metadata:" in shown
    assert has_style(renderable, "Same pod template", "green")


def test_problem_text_with_countdown_and_undo_hint() -> None:
    from datetime import UTC, datetime, timedelta

    from ktui.render.rollout import problem_text
    from ktui.view.stuck import StuckReason

    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    stuck = StuckReason(
        "ImagePullBackOff", "Rollout stuck: the new pod (web-x) is in ImagePullBackOff"
    )
    text = problem_text(stuck, now + timedelta(seconds=432), now, undo_key="u").plain
    assert text.splitlines() == [
        "✖ Rollout stuck: the new pod (web-x) is in ImagePullBackOff",
        "Progress deadline in 7m12s: then the controller marks the rollout "
        "ProgressDeadlineExceeded.",
        "Press u to roll back to the previous revision (or enter on a revision below).",
    ]
    late = problem_text(stuck, now - timedelta(seconds=5), now, undo_key=None).plain
    assert "Progress deadline passed 5s ago" in late
    assert late.endswith("read-only: undo is disabled")
    assert problem_text(None, None, now, undo_key="u").plain == ""
    # A first rollout that is stuck has nothing to roll back to: no undo hint.
    first = problem_text(stuck, None, now, undo_key="u", earlier_revision=False).plain
    assert first.endswith(
        "There is no earlier revision to roll back to: fix the pod template instead."
    )
    assert "Press u" not in first
