"""A pod's lifecycle drawn as a picture: a time axis, one lane per container, condition ticks.

```
 conditions        ●S──────I────────────C R     Running
 ■ setup           ████▏                        ✔ Completed (exit 0) · ran 4s
 ◆ proxy                ██████████████████████  ● running 1m · ready
 ■ migrate                 ███████████████████  ● running 58s
 ● app             ·····························  … waiting: PodInitializing
                   └───────────┴───────────────┘
                   11:58:02    +40s          now
 S PodScheduled ✔ +0s   I Initialized ✔ +4s   C ContainersReady ✖ +6s   R Ready ✖ +6s
```

`build_timeline` turns `ktui.view.pod.pod_timeline` entries into lanes of spans (pure data, easy
to test); `render_timeline` lays them out for a width. The widget (`PodTimeline` in
`ktui.ui.widgets.timeline`) only keeps the last timeline and draws it at its width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text

from ktui.view.age import as_utc, human_duration, seconds_between, since
from ktui.view.pod import (
    BadgeState,
    ContainerDetail,
    Phase,
    TimelineEntry,
    TimelineGroup,
    TimelineKind,
    container_groups,
    pod_phase,
    pod_timeline,
)

Obj = dict[str, Any]

CONDITION_LETTERS = {
    "PodScheduled": "S",
    "PodReadyToStartContainers": "N",
    "Initialized": "I",
    "ContainersReady": "C",
    "Ready": "R",
}
"""The conditions drawn as ticks, each as one letter on the top lane."""

GROUP_GLYPH = {"init": "■", "sidecar": "◆", "main": "●", "pod": " "}
GROUP_NAME = {"init": "init", "sidecar": "sidecar", "main": "container", "pod": "pod"}

SPAN_STYLE = {
    "ready": "green",
    "running": "yellow",
    "succeeded": "grey62",
    "failed": "red",
}
PHASE_STYLE = {
    Phase.RUNNING: "green",
    Phase.SUCCEEDED: "grey62",
    Phase.PENDING: "dodger_blue1",
    Phase.FAILED: "red",
    Phase.UNKNOWN: "magenta",
}
_WAITING_STYLE = "dodger_blue1"
_ERROR_WAITING = {BadgeState.ERROR, BadgeState.CRASHLOOP}


@dataclass(frozen=True)
class Span:
    """One run of a container: from its start to its end (None: still running)."""

    start: datetime
    end: datetime | None
    outcome: str  # "ready", "running", "succeeded", "failed" (a key of SPAN_STYLE)
    previous: bool  # an earlier run of a restarted container (lastState)
    detail: str  # "Completed (exit 0)", "started"


@dataclass(frozen=True)
class Tick:
    at: datetime
    condition: str
    letter: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Lane:
    name: str
    group: TimelineGroup
    spans: tuple[Span, ...]
    container: ContainerDetail


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    ends_now: bool
    phase: Phase
    ticks: tuple[Tick, ...]
    lanes: tuple[Lane, ...]
    created: datetime | None = None


def _spans(
    entries: list[TimelineEntry], container: ContainerDetail, pod_finished: bool
) -> list[Span]:
    """Pair each run's STARTED with its TERMINATED entry (current run and the previous one)."""
    runs: dict[bool, dict[str, TimelineEntry]] = {}
    for entry in entries:
        runs.setdefault(entry.previous_run, {})[entry.kind.value] = entry
    spans: list[Span] = []
    for previous in (True, False):
        run = runs.get(previous)
        if not run:
            continue
        started = run.get(TimelineKind.STARTED.value)
        terminated = run.get(TimelineKind.TERMINATED.value)
        if terminated is not None:
            begin = started.at if started is not None else terminated.at
            outcome = "succeeded" if terminated.ok else "failed"
            spans.append(Span(begin, terminated.at, outcome, previous, terminated.detail))
        elif started is not None:
            if previous or pod_finished:
                # A run without an end in a finished pod stopped when the pod did; unknown when.
                spans.append(Span(started.at, None, "succeeded", previous, "started"))
                continue
            outcome = "ready" if container.ready else "running"
            spans.append(Span(started.at, None, outcome, previous, "started"))
    return spans


def build_timeline(pod: Obj, now: datetime) -> Timeline:
    """The lanes and ticks of a pod's lifecycle, from `pod_timeline` and `container_groups`."""
    entries = pod_timeline(pod)
    groups = container_groups(pod)
    phase = pod_phase(pod)
    finished = phase in (Phase.SUCCEEDED, Phase.FAILED)
    by_container: dict[str, list[TimelineEntry]] = {}
    ticks: list[Tick] = []
    created: datetime | None = None
    for entry in entries:
        if entry.kind is TimelineKind.CREATED:
            created = entry.at
        elif entry.kind is TimelineKind.CONDITION:
            letter = CONDITION_LETTERS.get(entry.subject)
            if letter is not None:
                ticks.append(Tick(entry.at, entry.subject, letter, entry.ok, entry.detail))
        else:
            by_container.setdefault(entry.subject, []).append(entry)
    lanes = [
        Lane(
            detail.name,
            detail.group,
            tuple(_spans(by_container.get(detail.name, []), detail, finished)),
            detail,
        )
        for detail in (*groups.init, *groups.sidecars, *groups.regular)
    ]
    moments = [entry.at for entry in entries]
    start = min(moments) if moments else now
    if finished and moments:
        end = max(moments)
        ends_now = False
    else:
        end = max([now, *moments])
        ends_now = True
    return Timeline(
        start=as_utc(start),
        end=as_utc(end),
        ends_now=ends_now,
        phase=phase,
        ticks=tuple(ticks),
        lanes=tuple(lanes),
        created=created,
    )


# ---------------------------------------------------------------------------------- rendering


class _Track:
    """A row of cells, each one character with a style."""

    def __init__(self, width: int, start: datetime, end: datetime) -> None:
        self.width = width
        self.cells: list[tuple[str, str]] = [(" ", "")] * width
        self.start = start
        self.total = max(seconds_between(start, end), 1.0)

    def column(self, moment: datetime) -> int:
        offset = seconds_between(self.start, moment) / self.total
        return max(0, min(self.width - 1, round(offset * (self.width - 1))))

    def fill(self, first: int, last: int, char: str, style: str) -> None:
        for index in range(max(0, first), min(self.width, last + 1)):
            self.cells[index] = (char, style)

    def put(self, index: int, char: str, style: str) -> None:
        if 0 <= index < self.width:
            self.cells[index] = (char, style)

    def text(self) -> Text:
        text = Text(no_wrap=True, end="")
        for char, style in self.cells:
            text.append(char, style=style)
        return text


def _lane_summary(lane: Lane, now: datetime) -> Text:
    container = lane.container
    summary = Text(no_wrap=True, overflow="ellipsis", end="")
    state = container.state
    if state in (BadgeState.READY, BadgeState.RUNNING, BadgeState.TERMINATING):
        style = SPAN_STYLE["ready" if state is BadgeState.READY else "running"]
        summary.append("● running", style=style)
        if container.started_at is not None:
            summary.append(f" {since(container.started_at, now)}", style=style)
        summary.append(" · ready" if container.ready else " · not ready", style=style)
    elif state in (BadgeState.SUCCEEDED, BadgeState.FAILED):
        ok = state is BadgeState.SUCCEEDED
        text = container.state_text.removeprefix("Terminated: ")
        summary.append(f"{'✔' if ok else '✖'} {text}", style="grey62" if ok else "bold red")
        if container.duration_seconds is not None:
            summary.append(f" · ran {human_duration(container.duration_seconds)}")
    else:
        style = "bold red" if state in _ERROR_WAITING else _WAITING_STYLE
        summary.append(f"… {container.state_text}", style=style)
    if container.restart_count:
        summary.append(f" · ↻{container.restart_count}", style="yellow")
    if container.last_termination_text:
        summary.append(f" · last {container.last_termination_text}", style="red")
    return summary


def _draw_lane(track: _Track, lane: Lane, timeline: Timeline) -> None:
    if not lane.spans:
        # Never ran: a dotted lane from the pod's start, in the colour of its waiting state.
        error = lane.container.state in _ERROR_WAITING
        track.fill(0, track.width - 1, "·", "red" if error else "grey35")
        return
    for span in lane.spans:
        first = track.column(span.start)
        end = span.end if span.end is not None else timeline.end
        last = track.column(end)
        style = SPAN_STYLE[span.outcome]
        track.fill(first, last, "▒" if span.previous else "█", style)
        if span.end is not None:
            track.put(last, "✔" if span.outcome == "succeeded" else "✖", style)


def _axis(width: int, timeline: Timeline) -> tuple[Text, Text]:
    """The axis line with ticks and the labels below it (start time, midpoint, end)."""
    axis = ["─"] * width
    if width >= 2:
        axis[0], axis[-1] = "└", "┘"
    middle = width // 2
    if width >= 5:
        axis[middle] = "┴"
    total = seconds_between(timeline.start, timeline.end)
    # Relative times read at a glance and match the legend's offsets.
    if timeline.ends_now:
        left, centre, right = f"-{human_duration(total)}", f"-{human_duration(total / 2)}", "now"
    else:
        left, centre, right = "0s", f"+{human_duration(total / 2)}", f"+{human_duration(total)}"
    labels = [" "] * width
    for index, char in enumerate(left[:width]):
        labels[index] = char
    start_centre = middle - len(centre) // 2
    if start_centre > len(left) + 1 and start_centre + len(centre) < width - len(right) - 1:
        for index, char in enumerate(centre):
            labels[start_centre + index] = char
    if len(right) < width - len(left) - 1:
        for index, char in enumerate(right):
            labels[width - len(right) + index] = char
    return Text("".join(axis), style="grey50", end=""), Text(
        "".join(labels), style="grey50", end=""
    )


def legend_text(timeline: Timeline) -> Text:
    """The conditions' letters, names, outcomes and offsets from the start (wraps)."""
    legend = Text(no_wrap=False, end="")
    origin = timeline.start
    for index, tick in enumerate(timeline.ticks):
        if index:
            legend.append("   ")
        style = "green" if tick.ok else "red"
        legend.append(tick.letter, style=f"bold {style}")
        legend.append(f" {tick.condition} ")
        legend.append("✔" if tick.ok else f"✖ {tick.detail}", style=style)
        legend.append(f" +{human_duration(seconds_between(origin, tick.at))}", style="grey50")
    if not timeline.ticks:
        legend.append("no conditions reported yet", style="grey50")
    return legend


_CONDITION_ORDER = {condition: index for index, condition in enumerate(CONDITION_LETTERS)}


def place_condition_marks(timeline: Timeline, width: int) -> list[tuple[int, list[Tick]]]:
    """Where the condition marks go on a track of `width` cells: (first cell, ticks) per mark.

    Conditions that fall on the same cell share one mark, "C,R" (in time, then lifecycle
    order); marks keep one blank cell between them and stay inside the track, so every letter
    is readable on its own. Only a track too narrow for all of them lets the last ones overlap.
    """
    track = _Track(width, timeline.start, timeline.end)
    ticks = sorted(
        timeline.ticks,
        key=lambda t: (t.at, _CONDITION_ORDER.get(t.condition, len(_CONDITION_ORDER))),
    )
    clusters: list[tuple[int, list[Tick]]] = []
    for tick in ticks:
        column = track.column(tick.at)
        if clusters and clusters[-1][0] == column:
            clusters[-1][1].append(tick)
        else:
            clusters.append((column, [tick]))
    starts = [column for column, _ in clusters]
    lengths = [2 * len(cluster) - 1 for _, cluster in clusters]
    for index in range(1, len(starts)):  # left to right: one blank after the previous mark
        starts[index] = max(starts[index], starts[index - 1] + lengths[index - 1] + 1)
    limit = width  # right to left: inside the track, one blank before the next mark
    for index in reversed(range(len(starts))):
        starts[index] = max(0, min(starts[index], limit - lengths[index]))
        limit = starts[index] - 1
    return [(start, cluster) for start, (_, cluster) in zip(starts, clusters, strict=True)]


def render_timeline(timeline: Timeline, width: int, now: datetime) -> Text:
    """The picture for `width` cells: a condition lane, one lane per container, the axis."""
    names = [f"{GROUP_GLYPH[lane.group]} {lane.name}" for lane in timeline.lanes]
    label_width = min(24, max([len("conditions"), *map(len, names)]) + 1)
    summary_width = max(18, min(44, width // 3))
    track_width = max(10, width - label_width - summary_width - 2)
    lines: list[Text] = []

    top = _Track(track_width, timeline.start, timeline.end)
    if timeline.created is not None:
        top.put(top.column(timeline.created), "●", "grey62")
    for start, cluster in place_condition_marks(timeline, track_width):
        for index, tick in enumerate(cluster):
            if index:
                top.put(start, ",", "grey50")
                start += 1
            top.put(start, tick.letter, f"bold {'green' if tick.ok else 'red'}")
            start += 1
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append("conditions".ljust(label_width), style="bold")
    line.append_text(top.text())
    line.append("  ")
    line.append(timeline.phase.value, style=f"bold {PHASE_STYLE[timeline.phase]}")
    lines.append(line)

    for lane, name in zip(timeline.lanes, names, strict=True):
        track = _Track(track_width, timeline.start, timeline.end)
        _draw_lane(track, lane, timeline)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        label = name if len(name) < label_width else name[: label_width - 2] + "…"
        line.append(label.ljust(label_width), style=_label_style(lane))
        line.append_text(track.text())
        line.append("  ")
        line.append_text(_lane_summary(lane, now))
        lines.append(line)

    axis, labels = _axis(track_width, timeline)
    pad = " " * label_width
    lines.append(Text(pad, end="") + axis)
    lines.append(Text(pad, end="") + labels)
    for line in lines:
        # One row per lane: a long summary is cut, never wrapped under the picture.
        line.truncate(width, overflow="ellipsis")
    lines.append(legend_text(timeline))
    return Text("\n").join(lines)


def _label_style(lane: Lane) -> str:
    return {"init": "bold grey70", "sidecar": "bold medium_purple1", "main": "bold"}.get(
        lane.group, ""
    )
