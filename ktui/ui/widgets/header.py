"""The header: context, server, namespace scope, server version and the state of each watch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from ktui.cluster.state import CachePhase, CacheState
from ktui.view.age import since

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

_PHASE_STYLE = {
    CachePhase.LIVE: "green",
    CachePhase.SYNCING: "dodger_blue1",
    CachePhase.RECONNECTING: "yellow",
    CachePhase.FORBIDDEN: "bold red",
    CachePhase.ERROR: "bold red",
}

_SHORT = {
    "Deployment": "deploy",
    "ReplicaSet": "rs",
    "StatefulSet": "sts",
    "DaemonSet": "ds",
    "ControllerRevision": "rev",
    "Job": "job",
    "CronJob": "cj",
    "Pod": "pod",
    "Event": "ev",
    "Node": "node",
}


def watch_states_text(states: dict[str, CacheState], now_text: str = "") -> Text:
    """All live: one green word. Otherwise: each kind that is not live, with why and since when."""
    text = Text()
    if states and all(s.phase is CachePhase.LIVE for s in states.values()):
        text.append("● live", style="green")
        return text
    if not states:
        text.append("○ not connected", style="bright_black")
        return text
    groups: dict[tuple[CachePhase, str], list[str]] = {}
    for kind, state in states.items():
        if state.phase is CachePhase.LIVE:
            continue
        groups.setdefault((state.phase, state.message), []).append(_SHORT.get(kind, kind))
    live = sum(1 for s in states.values() if s.phase is CachePhase.LIVE)
    if live:
        text.append(f"● {live} live ", style="green")
    for (phase, _message), kinds in groups.items():
        text.append(f"● {','.join(kinds)} {phase.value} ", style=_PHASE_STYLE[phase])
    return text


class ClusterHeader(Static):
    DEFAULT_CSS = """
    ClusterHeader {
        height: 2;
        background: $panel;
        padding: 0 1;
    }
    """

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.refresh_states()

    def refresh_states(self) -> None:
        app = self.ktui
        connection = app.connection
        line1 = Text(no_wrap=True, overflow="ellipsis")
        line1.append("⎈ ktui ", style="bold")
        line1.append(" ctx ", style="bright_black")
        line1.append(connection.context_name, style="bold cyan")
        line1.append("  server ", style="bright_black")
        line1.append(connection.cluster_server)
        if connection.server_version:
            line1.append(f" ({connection.server_version})", style="bright_black")
        line1.append("  ns ", style="bright_black")
        line1.append(connection.namespace or "all namespaces", style="bold")
        if app.readonly:
            line1.append("  READ-ONLY", style="bold yellow")
        line2 = Text(no_wrap=True, overflow="ellipsis")
        line2.append("watches ", style="bright_black")
        states = app.model.objects.states
        line2.append_text(watch_states_text(states))
        now = app.clock()
        details = []
        for kind, state in states.items():
            if state.phase is CachePhase.RECONNECTING:
                details.append(
                    f"{_SHORT.get(kind, kind)} reconnecting since {since(state.since, now)} "
                    f"(attempt {state.attempt})"
                )
            elif state.phase in (CachePhase.FORBIDDEN, CachePhase.ERROR) and state.message:
                details.append(f"{_SHORT.get(kind, kind)}: {state.message}")
        if details:
            line2.append(" · " + "; ".join(dict.fromkeys(details)), style="yellow")
        text = Text("\n").join([line1, line2])
        # Every batch carries cache states; an update re-lays out the screen, so skip it when
        # nothing the header shows has changed.
        if text != getattr(self, "_shown", None):
            self._shown = text
            self.update(text)
