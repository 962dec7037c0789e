"""A pod's containers in three groups: init containers (in order), native sidecars, regular ones.

Each group is a small table: state (waiting reason / running for how long / terminated with exit
code, reason and run time), readiness, restarts, why it last terminated (OOMKilled, Error with
the exit code) and the image. Colours and glyphs match the container badges of the pods pane.
The widget that shows them is `ContainerList` in `ktui.ui.widgets.containers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ktui.render.cells import BADGE_STYLE, badges_text
from ktui.view.age import human_duration, since
from ktui.view.pod import (
    BadgeState,
    ContainerBadge,
    ContainerDetail,
    ContainerGroups,
)

GROUP_TITLES = (
    ("init", "Init containers", "run once, in order, before the others; # counts as Init:N/M"),
    ("sidecar", "Sidecars", "restartPolicy: Always init containers, beside the app"),
    ("main", "Containers", ""),
)


def state_text(container: ContainerDetail, now: datetime) -> Text:
    """What the container does now, with how long (ticks with `now`)."""
    style = BADGE_STYLE[container.state]
    state = container.state
    if state in (BadgeState.READY, BadgeState.RUNNING, BadgeState.TERMINATING):
        word = "Terminating" if state is BadgeState.TERMINATING else "Running"
        text = Text(word, style=style)
        if container.started_at is not None:
            text.append(f" {since(container.started_at, now)}", style=style)
        if container.started is False:
            text.append(" (startup probe pending)", style="yellow")
        return text
    if state in (BadgeState.SUCCEEDED, BadgeState.FAILED):
        text = Text(container.state_text, style=style)
        if container.duration_seconds is not None:
            text.append(f", ran {human_duration(container.duration_seconds)}", style="grey62")
        if container.finished_at is not None:
            text.append(f", {since(container.finished_at, now)} ago", style="grey50")
        return text
    return Text(container.state_text, style=style)


def _badge(container: ContainerDetail) -> Text:
    badge = ContainerBadge(
        name=container.name,
        group=container.group,
        state=container.state,
        reason=None,
        exit_code=None,
        restarts=container.restart_count,
        ready=container.ready,
        started_at=container.started_at,
        finished_at=container.finished_at,
        image=container.image,
        last_termination_reason=container.last_termination_reason,
        last_exit_code=container.last_exit_code,
    )
    return badges_text([badge])


def _last_termination(container: ContainerDetail, now: datetime) -> Text:
    if container.last_termination_text is None:
        return Text("-", style="grey50")
    text = Text(container.last_termination_text, style="red")
    if container.last_finished_at is not None:
        text.append(f" {since(container.last_finished_at, now)} ago", style="grey50")
    return text


def group_table(group: str, containers: Sequence[ContainerDetail], now: datetime) -> Table:
    table = Table(
        box=None, expand=True, show_header=True, header_style="bold grey70", pad_edge=False
    )
    table.add_column("", width=1, no_wrap=True)
    numbered = group in ("init", "sidecar")
    if numbered:
        # The position in spec.initContainers, sidecars included: kubectl's "Init:2/3" means
        # that #1 and #2 are done (a sidecar counts once started) and #3 is under way.
        table.add_column("#", justify="right", no_wrap=True)
    table.add_column("NAME", no_wrap=True, max_width=30)
    table.add_column("STATE", ratio=3)
    table.add_column("READY", no_wrap=True)
    table.add_column("RESTARTS", justify="right", no_wrap=True)
    table.add_column("LAST TERMINATION", ratio=2)
    table.add_column("IMAGE", ratio=2, overflow="fold")
    for container in containers:
        ready = Text("✔", style="green") if container.ready else Text("✖", style="grey50")
        if group == "init" and container.state in (BadgeState.SUCCEEDED, BadgeState.FAILED):
            ready = Text("-", style="grey50")  # a finished init container is never "ready"
        restarts = Text(
            str(container.restart_count), style="yellow" if container.restart_count else ""
        )
        cells: list[Text | str] = [_badge(container)]
        if numbered:
            cells.append(str(container.init_index or ""))
        cells += [
            Text(container.name, style="bold"),
            state_text(container, now),
            ready,
            restarts,
            _last_termination(container, now),
            Text(container.image, style="grey62"),
        ]
        table.add_row(*cells)
        if container.message:
            message = Text(f"  {container.message}", style="italic " + _message_style(container))
            table.add_row("", *([""] if numbered else []), "", message)
    return table


def _message_style(container: ContainerDetail) -> str:
    return "red" if container.state in (BadgeState.ERROR, BadgeState.CRASHLOOP) else "grey62"


def render_containers(groups: ContainerGroups, now: datetime) -> RenderableType:
    """The three groups, each with a heading; empty groups are left out (regular always shown)."""
    parts: list[RenderableType] = []
    members = {"init": groups.init, "sidecar": groups.sidecars, "main": groups.regular}
    for group, title, hint in GROUP_TITLES:
        containers = members[group]
        if not containers and group != "main":
            continue
        heading = Text(f"{title} ({len(containers)})", style="bold underline")
        if hint:
            heading.append(f"  {hint}", style="grey50")
        if parts:
            parts.append(Text(""))
        parts.append(heading)
        parts.append(group_table(group, containers, now))
    return Group(*parts)


def container_counts(groups: ContainerGroups) -> str:
    """ "1 init · 2 sidecars · 1 container": how many containers of each group a pod has."""
    return (
        f"{len(groups.init)} init · {_plural(len(groups.sidecars), 'sidecar')} · "
        f"{_plural(len(groups.regular), 'container')}"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
