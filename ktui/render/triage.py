"""Triage, readiness and crash cards as Rich renderables: the problems table's cells, the
header's count, the pod detail's "why not ready" sentences and its crash-loop cards.

Every string from the cluster goes through `ktui.render.safe` here, before layout."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ktui.render.cells import TimeCell, short_kind_text
from ktui.render.panes import Column, Row
from ktui.render.safe import safe_text
from ktui.view.age import human_duration, seconds_between, since
from ktui.view.crash import CrashCard
from ktui.view.readiness import Readiness
from ktui.view.triage import Problem, Severity

PROBLEM_COLUMNS = [
    Column("severity", "SEVERITY", min_width=10, max_width=16, shrink=2),
    Column(
        "kind", "KIND", min_width=6, max_width=11, shrink=3, fit=short_kind_text, fit_searched=True
    ),
    Column("namespace", "NAMESPACE", min_width=0, max_width=20, shrink=4),
    Column("name", "NAME", min_width=14, max_width=44, shrink=2, ellipsis="middle"),
    Column("reason", "REASON", min_width=20, max_width=400, flexible=True, give_first_to=40),
    Column("since", "SINCE", justify="right"),
]
"""REASON, the plain words of what is wrong, gives way first but only down to 40 cells (a
long reason would otherwise take the whole row); below that the NAMESPACE goes, then KIND
turns to kubectl's short name (it stays: a Deployment and its pod have like names), then
SEVERITY's label and NAME are cut (NAME in the middle, so generated pod names stay
apart), then REASON again down to 20; SINCE never shrinks. Before, REASON alone could give
way, and at 80 columns it was cut to one letter with SINCE pushed off the edge. The line
below the table has the reason whole."""


def severity_style(severity: Severity) -> str:
    if severity <= Severity.OOM_KILLED:
        return "bold red"
    if severity <= Severity.NODE_NOT_READY:
        return "red"
    return "yellow"


def problem_cells(problem: Problem) -> Row:
    """One problem's row: severity, kind, namespace, name, reason, how long ago it began."""
    return (
        Text(
            f"{int(problem.severity):>2} {problem.severity.label}",
            style=severity_style(problem.severity),
        ),
        problem.kind,
        problem.namespace or "-",
        problem.name,
        problem.reason,
        TimeCell(problem.since),
    )


def reason_text(problem: Problem) -> Text:
    """The problem under the cursor, whole, for the line below the table: what it is
    (kind, namespace/name) and its reason."""
    where = f"{problem.namespace}/{problem.name}" if problem.namespace else problem.name
    text = Text(f"{problem.kind} {where}: ", style="bold")
    text.append(problem.reason)
    return text


def problems_count_text(count: int, key: str | None = None) -> Text:
    """ "★ 5 problems (!)" for the header, with the key that lists them; empty when none."""
    if count == 0:
        return Text()
    text = Text(f"★ {count} problem{'s' if count != 1 else ''}", style="bold red")
    if key:
        text.append(f" ({key})", style="bold")
    return text


def problems_title(count: int) -> Text:
    title = Text("Problems", style="bold")
    title.append(f"  {count} not fine", style="red" if count else "green")
    title.append("  · worst first: crash loops, image pulls, config errors, OOM kills, ", "grey62")
    title.append("pending, init failures, failed jobs, stuck rollouts, nodes", "grey62")
    return title


def readiness_text(readiness: Readiness) -> Text:
    """The pod's readiness as sentences: green when ready, the first one bold otherwise."""
    text = Text()
    for index, sentence in enumerate(readiness.sentences):
        if index:
            text.append(" ")
        style = "green" if readiness.ready else "bold red" if index == 0 else ""
        text.append_text(safe_text(sentence, style))
    return text


def _when(moment: datetime | None, now: datetime) -> str:
    return f"{since(moment, now)} ago" if moment is not None else "at an unknown time"


def crash_card_text(
    card: CrashCard,
    now: datetime,
    log_lines: list[str] | None,
    log_note: str | None,
    log_key: str | None = None,
) -> Text:
    """A card: the exit and its meaning, when, restarts and next start, events, last log lines.

    The lines are those of the run the card is about: the container's current instance when
    that run is its current state (terminated, not restarted: there is no previous instance),
    else the previous one. `log_key` is the key that opens that whole log (None: none does)."""
    text = Text()
    text.append_text(safe_text(f"{card.group} container {card.container}", "bold"))
    run = "current run" if card.current else "last run"
    code = "?" if card.exit_code is None else str(card.exit_code)
    text.append(f"  {run} ended: exit {code}", style="bold red")
    if card.reason:
        text.append_text(safe_text(f" {card.reason}", "bold red"))
    text.append_text(safe_text(f" — {card.meaning}"))
    text.append("\n  finished ")
    text.append(_when(card.finished_at, now))
    if card.started_at is not None and card.finished_at is not None:
        ran = seconds_between(card.started_at, card.finished_at)
        text.append(f" after running {human_duration(ran)}")
    text.append(f"; restarts {card.restart_count}", style="yellow" if card.restart_count else "")
    if card.memory_limit and card.reason == "OOMKilled":
        text.append_text(safe_text(f"; memory limit {card.memory_limit}"))
    if card.restart is not None:
        text.append("; ")
        text.append_text(safe_text(card.waiting_reason or "waiting", "yellow"))
        delay = human_duration(card.restart.backoff_seconds)
        how = "back-off" if card.restart.from_message else "estimated back-off"
        if card.restart.at is None:
            text.append(f", {how} {delay}")
        else:
            left = seconds_between(now, card.restart.at)
            when = f"in about {human_duration(left)}" if left > 0 else "any moment now"
            text.append(f", next restart {when} ({how} {delay})")
    if card.message:
        text.append("\n  message: ", style="grey62")
        text.append_text(safe_text(card.message))
    for event in card.events[:4]:
        text.append("\n  ")
        text.append_text(safe_text(f"{event.last_seen} ago", "grey62"))
        text.append(" ")
        text.append_text(safe_text(event.reason, "yellow" if event.is_warning else ""))
        if event.count > 1:
            text.append(f" (x{event.count})", style="grey62")
        text.append(" ")
        text.append_text(safe_text(event.message))
    if log_note:
        text.append("\n  ")
        text.append_text(safe_text(log_note, "grey62"))
    if log_lines:
        source = "current log (this run)" if card.current else "previous log (the run that ended)"
        text.append(f"\n  {source}, last lines", style="grey62")
        if log_key:
            text.append(" · ", style="grey62")
            text.append_text(safe_text(log_key, "bold"))
            text.append(": the whole log", style="grey62")
        text.append(":", style="grey62")
        for line in log_lines:
            text.append("\n  │ ", style="grey62")
            text.append_text(safe_text(line))
    return text
