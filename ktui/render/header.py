"""The header's two lines: which cluster and scope, and the state of each watch.

Pure functions of plain values (the connection's names, the caches' states, the time), so the
header widget only gathers them and shows the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from rich.text import Text

from ktui.cluster.kinds import short_name
from ktui.cluster.state import CachePhase, CacheState
from ktui.render.triage import problems_count_text
from ktui.view.age import since

PHASE_STYLE: Mapping[CachePhase, str] = {
    CachePhase.LIVE: "green",
    CachePhase.SYNCING: "dodger_blue1",
    CachePhase.RECONNECTING: "yellow",
    CachePhase.FORBIDDEN: "bold red",
    CachePhase.ERROR: "bold red",
}


def clock_time(moment: datetime) -> str:
    """A moment as the local wall-clock time people compare with their own: "06:21:03"."""
    return moment.astimezone().strftime("%H:%M:%S")


def stale_since_text(moment: datetime) -> str:
    """How every screen says that what it shows may be out of date: "stale since 06:21:03"."""
    return f"stale since {clock_time(moment)}"


def out_of_date_since(states: Mapping[str, CacheState], kinds: Iterable[str]) -> datetime | None:
    """Since when what the caches of `kinds` hold may be out of date (the earliest of them:
    a watch silent, down or denied, `CacheState.out_of_date_since`), or None while all are
    current (or not known yet)."""
    moments = [
        moment
        for kind in kinds
        if (state := states.get(kind)) is not None and (moment := state.out_of_date_since)
    ]
    return min(moments) if moments else None


def _current(state: CacheState) -> bool:
    return state.phase is CachePhase.LIVE and not state.stale


def watch_states_text(states: Mapping[str, CacheState], now_text: str = "") -> Text:
    """All live and current: one green word. Otherwise: each kind that is not, with why (a live
    watch gone silent reads "stale since HH:MM:SS": its data may be out of date)."""
    text = Text()
    if states and all(_current(s) for s in states.values()):
        text.append("● live", style="green")
        return text
    if not states:
        text.append("○ not connected", style="bright_black")
        return text
    groups: dict[tuple[str, str, str], list[str]] = {}
    for kind, state in states.items():
        if _current(state):
            continue
        if state.phase is CachePhase.LIVE and state.stale_since is not None:
            key = (stale_since_text(state.stale_since), "yellow", "")
        else:
            key = (state.phase.value, PHASE_STYLE[state.phase], state.message)
        groups.setdefault(key, []).append(short_name(kind))
    live = sum(1 for s in states.values() if _current(s))
    if live:
        text.append(f"● {live} live ", style="green")
    for (label, style, _message), kinds in groups.items():
        text.append(f"● {','.join(kinds)} {label} ", style=style)
    return text


def watch_details(states: Mapping[str, CacheState], now: datetime) -> list[str]:
    """Why the watches that are not live are not: reconnecting since when, or the error."""
    details = []
    for kind, state in states.items():
        if state.phase is CachePhase.RECONNECTING:
            details.append(
                f"{short_name(kind)} reconnecting since {since(state.since, now)} "
                f"(attempt {state.attempt})"
            )
        elif state.phase in (CachePhase.FORBIDDEN, CachePhase.ERROR) and state.message:
            details.append(f"{short_name(kind)}: {state.message}")
    return list(dict.fromkeys(details))


def cluster_line(
    context: str,
    server: str,
    server_version: str | None,
    namespace: str | None,
    *,
    readonly: bool,
    problems: int | None = None,
    problems_key: str | None = None,
) -> Text:
    """The first line: context, server (and its version), the namespace scope, READ-ONLY, and
    how many things are not fine ("★ 5 problems (!)", with the key that lists them)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("⎈ ktui ", style="bold")
    line.append(" ctx ", style="bright_black")
    line.append(context, style="bold cyan")
    line.append("  server ", style="bright_black")
    line.append(server)
    if server_version:
        line.append(f" ({server_version})", style="bright_black")
    line.append("  ns ", style="bright_black")
    line.append(namespace or "all namespaces", style="bold")
    if readonly:
        line.append("  READ-ONLY", style="bold yellow")
    if problems:
        line.append("  ")
        line.append_text(problems_count_text(problems, problems_key))
    return line


RETRYABLE = frozenset({CachePhase.RECONNECTING, CachePhase.FORBIDDEN, CachePhase.ERROR})
"""Phases a retry key can cut short (a reconnect back-off, a 401/403 fixed since)."""


def watches_line(
    states: Mapping[str, CacheState], now: datetime, *, retry_key: str | None = None
) -> Text:
    """The second line: the watch states, the retry key when a watch failed, then the details
    of those that are not live."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("watches ", style="bright_black")
    line.append_text(watch_states_text(states))
    if retry_key and any(state.phase in RETRYABLE for state in states.values()):
        line.append(f"[{retry_key}: retry]", style="bold")
    details = watch_details(states, now)
    if details:
        line.append(" · " + "; ".join(details), style="yellow")
    return line


def header_text(
    context: str,
    server: str,
    server_version: str | None,
    namespace: str | None,
    states: Mapping[str, CacheState],
    now: datetime,
    *,
    readonly: bool,
    retry_key: str | None = None,
    problems: int | None = None,
    problems_key: str | None = None,
) -> Text:
    """Both header lines."""
    first = cluster_line(
        context,
        server,
        server_version,
        namespace,
        readonly=readonly,
        problems=problems,
        problems_key=problems_key,
    )
    return Text("\n").join([first, watches_line(states, now, retry_key=retry_key)])
