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

A restarted container shows every run its restartCount implies: the current one (█), the one
before (▒, lastState) and, placed by the kubelet's restart back-off, the ones the API no longer
reports (░). Each ended run keeps a ✖ / ✔ of its own; a state text that does not fit beside its
track continues on the rows below, never cut.

`build_timeline` turns `ktui.view.pod.pod_timeline` entries into lanes of spans (pure data, easy
to test); `render_timeline` lays them out for a width. The widget (`PodTimeline` in
`ktui.ui.widgets.timeline`) only keeps the last timeline and draws it at its width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any

from rich.text import Text

from ktui.view import _json as j
from ktui.view.age import as_utc, human_duration, parse_time, seconds_between, since
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
    # A run the API no longer reports (only the current run and lastState are kept): its place
    # is estimated from restartCount and the kubelet's restart back-off.
    estimated: bool = False


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


# The kubelet's restart back-off (kuberuntime doBackOff, v1.30): the first restart follows at
# once, then it waits 10s, 20s, 40s... after each exit, at most 5 minutes; a run longer than 10
# minutes resets it.
_BACKOFF_INITIAL = 10.0
_BACKOFF_MAX = 300.0
_BACKOFF_RESET = 600.0
MAX_ESTIMATED_RUNS = 100
"""Earlier runs drawn per lane at most: a restartCount from the cluster can be any number, and
beyond this the runs share cells at any terminal width anyway."""


def _backoff_before(attempt: int, run_seconds: float) -> float:
    """How long the kubelet waited after an exit before starting run `attempt` (0 = the first)."""
    if attempt <= 1 or run_seconds > _BACKOFF_RESET:
        return 0.0
    return min(_BACKOFF_INITIAL * 2.0 ** min(attempt - 2, 30), _BACKOFF_MAX)


def _earlier_runs(known: list[Span], restart_count: int, floor: datetime | None) -> list[Span]:
    """The runs restartCount says happened before the reported ones, oldest first.

    The API keeps the current run and the one before it (lastState); a container restarted N
    times ran N + 1 times. Each missing run is drawn as long as the oldest reported one and
    placed backwards from it by the kubelet's back-off (what a crash loop does); when that does
    not fit after `floor` (the earliest the container could start) the runs are squeezed in
    proportionally, so each keeps its own mark in time order.
    """
    if not known:
        return []
    missing = min(restart_count + 1 - len(known), MAX_ESTIMATED_RUNS)
    if missing <= 0:
        return []
    oldest = min(known, key=lambda span: span.start)
    ended = [span for span in known if span.end is not None]
    model = min(ended, key=lambda span: span.start) if ended else None
    run_seconds = 0.0
    if model is not None and model.end is not None:
        run_seconds = max(0.0, seconds_between(model.start, model.end))
    outcome = model.outcome if model is not None else "failed"
    # Offsets in seconds before the oldest reported run's start, newest missing run first.
    offsets: list[tuple[float, float]] = []
    cursor = 0.0
    for attempt in range(missing, 0, -1):
        end = cursor - _backoff_before(attempt, run_seconds)
        offsets.append((end - run_seconds, end))
        cursor = end - run_seconds
    room = seconds_between(floor, oldest.start) if floor is not None else -cursor
    if room <= 0:
        return []
    scale = min(1.0, room / -cursor) if cursor < 0 else 1.0
    return [
        Span(
            oldest.start + timedelta(seconds=begin * scale),
            oldest.start + timedelta(seconds=end * scale),
            outcome,
            True,
            "earlier run",
            estimated=True,
        )
        for begin, end in reversed(offsets)
    ]


def _start_floors(pod: Obj, entries: list[TimelineEntry]) -> tuple[datetime | None, ...]:
    """The earliest a (init / sidecar, main) container can have started: the pod's startTime
    (else its creation), and for main containers the moment it was Initialized."""
    status = j.status(pod)
    started = parse_time(status.get("startTime"))
    created = next((e.at for e in entries if e.kind is TimelineKind.CREATED), None)
    pod_floor = started or created
    initialized = next(
        (
            e.at
            for e in entries
            if e.kind is TimelineKind.CONDITION and e.subject == "Initialized" and e.ok
        ),
        None,
    )
    main_floor = max(initialized, pod_floor) if initialized and pod_floor else pod_floor
    return pod_floor, main_floor


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
    pod_floor, main_floor = _start_floors(pod, entries)
    lanes: list[Lane] = []
    for detail in (*groups.init, *groups.sidecars, *groups.regular):
        known = _spans(by_container.get(detail.name, []), detail, finished)
        floor = main_floor if detail.group == "main" else pod_floor
        earlier = _earlier_runs(known, detail.restart_count, floor)
        lanes.append(Lane(detail.name, detail.group, (*earlier, *known), detail))
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
        # A run of cells in one style is one span (a bar is one, not a span per cell): the
        # same picture, for a fraction of the styles Textual converts and the segments it draws.
        text = Text(no_wrap=True, end="")
        for style, run in groupby(self.cells, key=itemgetter(1)):
            text.append("".join(char for char, _ in run), style=style)
        return text


def _lane_summary(lane: Lane, now: datetime) -> list[Text]:
    """The lane's state as parts ("● running 7s", "ready", "↻3", "last Error (exit 1)"), which
    `_pack` lays out on as many rows as the summary column needs."""
    container = lane.container
    state = container.state
    parts: list[Text] = []
    if state in (BadgeState.READY, BadgeState.RUNNING, BadgeState.TERMINATING):
        style = SPAN_STYLE["ready" if state is BadgeState.READY else "running"]
        running = Text("● running", style=style)
        if container.started_at is not None:
            running.append(f" {since(container.started_at, now)}")
        parts += [running, Text("ready" if container.ready else "not ready", style=style)]
    elif state in (BadgeState.SUCCEEDED, BadgeState.FAILED):
        ok = state is BadgeState.SUCCEEDED
        text = container.state_text.removeprefix("Terminated: ")
        parts.append(Text(f"{'✔' if ok else '✖'} {text}", style="grey62" if ok else "bold red"))
        if container.duration_seconds is not None:
            parts.append(Text(f"ran {human_duration(container.duration_seconds)}"))
    else:
        style = "bold red" if state in _ERROR_WAITING else _WAITING_STYLE
        parts.append(Text(f"… {container.state_text}", style=style))
    if container.restart_count:
        parts.append(Text(f"↻{container.restart_count}", style="yellow"))
    if container.last_termination_text:
        parts.append(Text(f"last {container.last_termination_text}", style="red"))
    return parts


_SEPARATOR = " · "


def _words(part: Text, width: int) -> list[Text]:
    """A part wider than `width` as pieces that fit: cut between words, a lone long word cut
    with an ellipsis (only then is anything lost)."""
    pieces: list[Text] = []
    line: Text | None = None
    offset = 0
    for word in part.plain.split(" "):
        piece = part[offset : offset + len(word)]
        offset += len(word) + 1
        if line is not None and line.cell_len + 1 + piece.cell_len <= width:
            line.append(" ")
            line.append_text(piece)
            continue
        if line is not None:
            pieces.append(line)
        piece.truncate(width, overflow="ellipsis")
        line = piece
    if line is not None:
        pieces.append(line)
    return pieces


def _pack(parts: list[Text], width: int) -> list[Text]:
    """Parts joined with " · " on rows of at most `width` cells, a new row where the next part
    does not fit; never cut in the middle of a part that fits a row of its own."""
    rows: list[Text] = []
    row: Text | None = None
    for part in parts:
        pieces = [part] if part.cell_len <= width else _words(part, width)
        for index, piece in enumerate(pieces):
            if (
                index == 0
                and row is not None
                and (row.cell_len + len(_SEPARATOR) + piece.cell_len <= width)
            ):
                row.append(_SEPARATOR, style="grey50")
                row.append_text(piece)
                continue
            if row is not None:
                rows.append(row)
            row = piece.copy()
    if row is not None:
        rows.append(row)
    return rows or [Text()]


def _end_columns(track: _Track, spans: tuple[Span, ...], end: datetime) -> list[tuple[int, int]]:
    """(first, last) cell of each span; ended runs get end marks on cells of their own.

    Runs seconds apart fall on one cell of a long track: the earlier marks move left (the newest,
    reported run keeps its place), so every run that ended is one ✖ / ✔ that can be counted.
    Only a track with fewer cells than runs lets marks share a cell.
    """
    cells = [
        [track.column(span.start), track.column(span.end if span.end is not None else end)]
        for span in spans
    ]
    ended = [index for index, span in enumerate(spans) if span.end is not None]
    for earlier, later in reversed(list(pairwise(ended))):
        cells[earlier][1] = max(0, min(cells[earlier][1], cells[later][1] - 1))
    for earlier, later in pairwise(ended):
        if cells[later][1] <= cells[earlier][1]:  # pushed past the start: room runs out
            cells[later][1] = min(track.width - 1, cells[earlier][1] + 1)
    return [(min(first, last), last) for first, last in cells]


def _draw_lane(track: _Track, lane: Lane, timeline: Timeline) -> None:
    if not lane.spans:
        # Never ran: a dotted lane from the pod's start, in the colour of its waiting state.
        error = lane.container.state in _ERROR_WAITING
        track.fill(0, track.width - 1, "·", "red" if error else "grey35")
        return
    columns = _end_columns(track, lane.spans, timeline.end)
    for span, (first, last) in zip(lane.spans, columns, strict=True):
        style = SPAN_STYLE[span.outcome]
        fill = "░" if span.estimated else "▒" if span.previous else "█"
        track.fill(first, last, fill, style)
    # The end marks last, so that a later run's bar never hides an earlier run's end.
    for span, (_, last) in zip(lane.spans, columns, strict=True):
        if span.end is not None:
            mark = "✔" if span.outcome == "succeeded" else "✖"
            track.put(last, mark, SPAN_STYLE[span.outcome])


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
    if any(span.estimated for lane in timeline.lanes for span in lane.spans):
        # Said once, so that nobody reads the earlier runs' places as reported times.
        legend.append("   ")
        legend.append(
            "░ earlier runs: times estimated from the restart back-off",
            style="grey50",
        )
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
    """The picture for `width` cells (see `picture_lines`), then the legend (it wraps)."""
    return timeline_text(timeline, picture_lines(timeline, width, now))


def timeline_text(timeline: Timeline, lines: list[Text]) -> Text:
    """`picture_lines` already drawn, then the legend: for a caller that keeps the lines."""
    return Text("\n").join([*lines, legend_text(timeline)])


MIN_TRACK = 10


def picture_lines(timeline: Timeline, width: int, now: datetime) -> list[Text]:
    """The picture for `width` cells: a condition lane, one lane per container, the axis.

    Each lane's state text sits right of its track, in a column as wide as the longest text
    while the track keeps at least half the room; a text that does not fit goes on below,
    part by part, in the same column, so it is never cut (a lane takes two rows, not one).
    """
    names = [f"{GROUP_GLYPH[lane.group]} {lane.name}" for lane in timeline.lanes]
    label_width = min(24, max([len("conditions"), *map(len, names)]) + 1)
    summaries = [_lane_summary(lane, now) for lane in timeline.lanes]
    room = max(0, width - label_width - 2)
    wanted = max(
        [
            len(timeline.phase.value),
            *(len(_SEPARATOR.join(part.plain for part in parts)) for parts in summaries),
        ]
    )
    # The track keeps at least half the room; the text column fits "… Waiting: CrashLoopBackOff".
    summary_width = max(1, min(wanted, max(room // 2, 28), room - MIN_TRACK))
    track_width = max(MIN_TRACK, room - summary_width)
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

    blank = " " * (label_width + track_width + 2)
    for lane, name, parts in zip(timeline.lanes, names, summaries, strict=True):
        track = _Track(track_width, timeline.start, timeline.end)
        _draw_lane(track, lane, timeline)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        label = name if len(name) < label_width else name[: label_width - 2] + "…"
        line.append(label.ljust(label_width), style=_label_style(lane))
        line.append_text(track.text())
        line.append("  ")
        rows = _pack(parts, summary_width)
        line.append_text(rows[0])
        lines.append(line)
        for row in rows[1:]:
            lines.append(Text(blank, end="") + row)

    axis, labels = _axis(track_width, timeline)
    pad = " " * label_width
    lines.append(Text(pad, end="") + axis)
    lines.append(Text(pad, end="") + labels)
    for line in lines:
        # One row per line: only a terminal narrower than the label and the smallest track
        # cuts anything.
        line.no_wrap = True
        line.truncate(width, overflow="ellipsis")
    return lines


def _label_style(lane: Lane) -> str:
    return {"init": "bold grey70", "sidecar": "bold medium_purple1", "main": "bold"}.get(
        lane.group, ""
    )
