"""The header's two lines: which cluster and scope, and the state of each watch.

Pure functions of plain values (the connection's names, the caches' states, the time), so the
header widget only gathers them and shows the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def stale_text(since: datetime) -> str:
    """What a pane or screen whose data may be out of date says: "stale since 06:21:03"."""
    return f"stale since {clock_time(since)}"


def out_of_date_since(states: Mapping[str, CacheState], kinds: Iterable[str]) -> datetime | None:
    """Since when what `kinds` hold may be out of date (the earliest of their watches that is
    silent, down or denied: `CacheState.out_of_date_since`), or None while all are current."""
    moments = [
        moment
        for kind in kinds
        if (state := states.get(kind)) is not None
        and (moment := state.out_of_date_since) is not None
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
            key = (stale_text(state.stale_since), "yellow", "")
        else:
            key = (state.phase.value, PHASE_STYLE[state.phase], state.message)
        groups.setdefault(key, []).append(kind)
    live = sum(1 for s in states.values() if _current(s))
    if live:
        text.append(f"● {live} live ", style="green")
    for (label, style, _message), kinds in groups.items():
        text.append(f"● {kinds_text(kinds, states)} {label} ", style=style)
    return text


def kinds_text(kinds: Sequence[str], states: Mapping[str, CacheState]) -> str:
    """The short names of `kinds`, or "all" when they are every watch of `states`."""
    return "all" if len(kinds) == len(states) > 1 else ",".join(short_name(k) for k in kinds)


def watch_details(states: Mapping[str, CacheState], now: datetime) -> list[str]:
    """Why the watches that are not live are not: reconnecting since when, or the error; the
    watches that say the same (a dead server: every one of them) once, not one per kind."""
    reconnecting = [k for k, s in states.items() if s.phase is CachePhase.RECONNECTING]
    details = []
    if reconnecting:
        oldest = min(states[k].since for k in reconnecting)
        attempt = max(states[k].attempt for k in reconnecting)
        details.append(
            f"{kinds_text(reconnecting, states)} reconnecting since {since(oldest, now)} "
            f"(attempt {attempt})"
        )
    failed: dict[str, list[str]] = {}
    for kind, state in states.items():
        if state.phase in (CachePhase.FORBIDDEN, CachePhase.ERROR) and state.message:
            failed.setdefault(state.message, []).append(kind)
    details += [f"{kinds_text(kinds, states)}: {message}" for message, kinds in failed.items()]
    return details


def same_problems(states: Mapping[str, CacheState], kinds: Iterable[str]) -> list[str]:
    """Why the watches of `kinds` that are down, denied or failing are (a pane saying why it
    is empty): "Deployment: <why>", the kinds that say the same once ("Deployment,
    StatefulSet: <why>"), and the words alone when every one of them says it."""
    wanted = [k for k in kinds if k in states]
    down = (CachePhase.FORBIDDEN, CachePhase.ERROR, CachePhase.RECONNECTING)
    said: dict[str, list[str]] = {}
    for kind in wanted:
        state = states[kind]
        if state.phase in down:
            said.setdefault(state.message or state.phase.value, []).append(kind)
    if len(said) == 1 and len(next(iter(said.values()))) == len(wanted) > 1:
        return list(said)
    return [f"{', '.join(kinds)}: {message}" for message, kinds in said.items()]


def cluster_line(
    context: str,
    server: str,
    server_version: str | None,
    namespace: str | None,
    *,
    readonly: bool,
    problems: int | None = None,
    problems_key: str | None = None,
    width: int | None = None,
) -> Text:
    """The first line: context, server (and its version), the namespace scope, READ-ONLY, and
    how many things are not fine ("★ 5 problems (!)", with the key that lists them).

    In `width` cells (None: no limit), the least useful parts give way first: the server's
    version, its scheme, the rest of its address, the "⎈ ktui" mark, then the end of the
    context's name. The namespace scope, READ-ONLY and the problems count stay whole: a line
    cut at its end (or wrapped onto the watches line) hid the very count `!` is for."""

    def line_with(server_text: str | None, version: bool, mark: bool, ctx: str) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        if mark:
            line.append("⎈ ktui  ", style="bold")
        line.append("ctx ", style="bright_black")
        line.append(ctx, style="bold cyan")
        if server_text is not None:
            line.append("  server ", style="bright_black")
            line.append(server_text)
            if version and server_version:
                line.append(f" ({server_version})", style="bright_black")
        line.append("  ns ", style="bright_black")
        line.append(namespace or "all namespaces", style="bold")
        if readonly:
            line.append("  READ-ONLY", style="bold yellow")
        if problems:
            line.append("  ")
            line.append_text(problems_count_text(problems, problems_key))
        return line

    full = line_with(server, True, True, context)
    if width is None or full.cell_len <= width:
        return full
    host = server.split("://", 1)[-1]
    for candidate in (
        line_with(server, False, True, context),
        line_with(host, False, True, context),
    ):
        if candidate.cell_len <= width:
            return candidate
    # The address cut to the room left, if that leaves enough of it to recognise.
    room = width - line_with("", False, True, context).cell_len
    if room >= 8:
        return line_with(host[: room - 1] + "…", False, True, context)
    for mark in (True, False):
        line = line_with(None, False, mark, context)
        if line.cell_len <= width:
            return line
    over = line.cell_len - width
    if len(context) - over >= 4:
        return line_with(None, False, False, context[: len(context) - over - 1] + "…")
    return line  # too narrow for all the rest: cut at the end (Text's ellipsis)


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
    width: int | None = None,
) -> Text:
    """Both header lines, each one line in `width` cells (None: no limit): neither wraps,
    which pushed the watches line out of the two-line header."""
    first = cluster_line(
        context,
        server,
        server_version,
        namespace,
        readonly=readonly,
        problems=problems,
        problems_key=problems_key,
        width=width,
    )
    both = Text("\n", no_wrap=True, overflow="ellipsis")
    return both.join([first, watches_line(states, now, retry_key=retry_key)])
