"""Rollouts as pictures: kubectl's status message with progress bars, template diffs, and one
revision's detail (its diff against the current template, then the template as YAML)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import yaml
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text

from ktui.cluster.rollout import RolloutStatus
from ktui.view.age import human_duration, seconds_between
from ktui.view.stuck import StuckReason


def progress_bar(
    label: str, value: int, total: int, *, width: int = 30, style: str = "green"
) -> Text:
    text = Text(no_wrap=True)
    text.append(f"{label:<10}", style="bold")
    filled = 0 if total <= 0 else min(width, round(width * value / total))
    text.append("█" * filled, style=style)
    text.append("░" * (width - filled), style="bright_black")
    text.append(f" {value}/{total}")
    return text


def status_renderable(status: RolloutStatus, *, stale: str = "") -> Group:
    """kubectl's message, then bars for updated / ready / available and old replicas draining.

    `stale` ("stale since 06:21:03", the watches it is computed from silent or down): a line
    above the message says so, since a "successfully rolled out" from old data may be wrong."""
    style = "bold red" if status.failed or status.error else ("green" if status.done else "yellow")
    parts: list[RenderableType] = []
    if stale:
        parts.append(
            Text(
                f"⚠ {stale}: this status may be out of date",
                style="bold yellow",
            )
        )
    parts.append(Text(status.error or status.message.rstrip("\n"), style=style))
    desired = status.desired or 0
    if status.desired is not None:
        parts.append(progress_bar("updated", status.updated, desired, style="dodger_blue1"))
        parts.append(progress_bar("ready", status.ready, desired))
        parts.append(progress_bar("available", status.available, desired))
        if status.kind == "Deployment":
            # Old replicas drain towards zero: the bar empties as the rollout finishes.
            parts.append(progress_bar("old", status.old, max(desired, status.old), style="magenta"))
    return Group(*parts)


def diff_text(lines: Sequence[str]) -> Text:
    """A unified diff, coloured: headers bold, additions green, removals red, hunks cyan."""
    text = Text()
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        else:
            style = ""
        text.append(line + "\n", style=style)
    return text


def revision_detail(diff: Sequence[str], template: Mapping[str, Any]) -> Group:
    """A revision's pod template: its diff against the current one (or that there is none),
    then the whole template as highlighted YAML."""
    template_yaml = yaml.safe_dump(dict(template), sort_keys=True)
    parts: list[RenderableType] = []
    if diff:
        parts.append(diff_text(diff))
    else:
        parts.append(Text("Same pod template as the current one.\n", style="green"))
    parts.append(Syntax(template_yaml, "yaml", theme="ansi_dark", background_color="default"))
    return Group(*parts)


def problem_text(
    problem: StuckReason | None,
    deadline: datetime | None,
    now: datetime,
    *,
    undo_key: str | None,
    earlier_revision: bool = True,
) -> Text:
    """Why the rollout does not progress (view.stuck), the countdown to its progress deadline,
    and what to press to roll back (`undo_key`; None when undo is not available, e.g.
    read-only). Empty when there is nothing to say."""
    text = Text()
    if problem is not None:
        glyph, style = ("‖", "magenta") if problem.held else ("✖", "bold red")
        text.append(f"{glyph} {problem.sentence}", style=style)
    if deadline is not None:
        if text:
            text.append("\n")
        left = seconds_between(now, deadline)
        if left > 0:
            text.append(
                f"Progress deadline in {human_duration(left)}: then the controller marks the "
                "rollout ProgressDeadlineExceeded.",
                style="yellow" if problem is not None else "",
            )
        else:
            text.append(
                f"Progress deadline passed {human_duration(-left)} ago: "
                "ProgressDeadlineExceeded is due.",
                style="bold red",
            )
    if problem is not None and not problem.held:
        text.append("\n")
        if undo_key is None:
            text.append("read-only: undo is disabled", style="yellow")
        elif not earlier_revision:
            text.append(
                "There is no earlier revision to roll back to: fix the pod template instead.",
                style="bold",
            )
        else:
            text.append(
                f"Press {undo_key} to roll back to the previous revision "
                "(or enter on a revision below).",
                style="bold",
            )
    return text
