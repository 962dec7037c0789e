"""Triage: every pod, workload and node that is not fine, worst first, live.

Reads only `app.model.triage` (kept current by the same batches as everything else): a batch
that changed a problem updates the table by keyed diff, and a tick every second brings in the
problems whose threshold has just passed (a pod Pending for two minutes). `enter` opens what
helps most: a pod's detail, a stuck rollout's screen (Deployment, StatefulSet, DaemonSet), the
description of anything else.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ktui.cluster.kinds import ROLLOUT_KINDS
from ktui.render.triage import PROBLEM_COLUMNS, problem_cells, problems_title, reason_text
from ktui.ui.live_table import LiveTable, Row
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.safe import SafeStatic
from ktui.view.triage import Problem


class ProblemsScreen(InspectorScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="problems.open"),
        Binding("d", "describe", "Describe", id="problems.describe"),
        Binding("e", "events", "Events", id="problems.events"),
    ]
    DEFAULT_CSS = """
    ProblemsScreen #problems-title { height: 1; padding: 0 1; background: $panel; }
    ProblemsScreen LiveTable { border: round $accent; padding: 0 1; }
    ProblemsScreen #problem-reason { height: auto; max-height: 4; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._version = -1
        self._shown: dict[str, Problem] = {}

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="problems-title")
        yield LiveTable(
            PROBLEM_COLUMNS,
            id="problems",
            sort_key=self._order,
            empty_message="Nothing is wrong: every pod, workload and node is fine.",
        )
        # The row under the cursor, whole: the REASON column is cut on a narrow terminal
        # (NAMESPACE and KIND left out), and the reason is what this view is read for.
        yield SafeStatic(id="problem-reason")
        yield KtuiFooter()

    @property
    def table(self) -> LiveTable:
        return self.query_one("#problems", LiveTable)

    def _order(self, key: str, row: Row) -> tuple[int, str, str, str]:
        problem = self._shown.get(key)
        return problem.sort_key if problem is not None else (99, "", "", key)

    def on_mount(self) -> None:
        self.table.clock = self.ktui.clock
        self.table.border_title = "worst first · enter: open"
        self.table.focus()
        self.reload()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.reload()
        self.table.tick()

    def reload(self) -> None:
        triage = self.ktui.model.triage
        found = triage.problems(self.ktui.clock())
        shown = {problem.uid: problem for problem in found}
        if shown == self._shown:
            return
        self._shown = shown
        self.table.replace_all({uid: problem_cells(problem) for uid, problem in shown.items()})
        self.query_one("#problems-title", SafeStatic).update(problems_title(len(found)))
        self._show_reason()

    @on(LiveTable.Highlighted)
    def _highlighted(self, message: LiveTable.Highlighted) -> None:
        self._show_reason()

    def _show_reason(self) -> None:
        problem = self._selected()
        self.query_one("#problem-reason", SafeStatic).update(
            reason_text(problem) if problem is not None else ""
        )

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        if message.changes.problems:
            self.reload()

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        self._shown = {}
        self.table.clear()
        self.reload()

    # ------------------------------------------------------------------ actions

    def _selected(self) -> Problem | None:
        key = self.table.cursor_key
        return self._shown.get(key) if key is not None else None

    @on(LiveTable.Selected)
    def _row_selected(self, message: LiveTable.Selected) -> None:
        message.stop()
        self.action_open()

    def action_open(self) -> None:
        problem = self._selected()
        if problem is None:
            return
        if problem.kind == "Pod":
            self.ktui.open_screen("detail", problem.uid)
        elif problem.kind in ROLLOUT_KINDS:
            # A stuck rollout: its screen has the whole sentence, the deadline and the undo key.
            self.ktui.open_screen("rollout", problem.uid)
        else:
            self.ktui.open_screen("describe", problem.uid)

    def action_describe(self) -> None:
        problem = self._selected()
        if problem is not None:
            self.ktui.open_screen("describe", problem.uid)

    def action_events(self) -> None:
        problem = self._selected()
        if problem is not None:
            self.ktui.open_screen("events", problem.uid)
