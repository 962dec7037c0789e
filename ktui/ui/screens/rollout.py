"""Rollouts from the keyboard: live status, history with diffs, undo, restart, pause/resume, scale.

Every decision is made by `ktui.cluster.rollout`, which reproduces kubectl 1.32; this module only
shows it and asks for confirmation. Mutations are one API request each, run in a thread worker;
their result (or the server's refusal) is reported in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static
from textual.worker import get_current_worker

from ktui.cluster.errors import KtuiError, describe_api_error
from ktui.cluster.kinds import KINDS_BY_NAME, REVISION_KINDS, ROLLOUT_KINDS
from ktui.cluster.objects import uid_of
from ktui.cluster.rollout import (
    HistoryRevision,
    RolloutError,
    UndoPlan,
    execute_undo,
    fetch_workload,
    pause,
    pause_effect,
    plan_undo,
    restart,
    restart_effect,
    restart_refusal,
    resume,
    resume_effect,
    rollout_history,
    rollout_status,
    scale,
    template_diff,
    undo_target_template,
)
from ktui.cluster.rollout.replicas import check_replicas
from ktui.model.timeline import TIMELINE_LIMIT, TimelineEntry
from ktui.render.cells import TimeCell, deployed_since, dim
from ktui.render.header import clock_time, out_of_date_since, stale_text
from ktui.render.rollout import diff_text, problem_text, revision_detail, status_renderable
from ktui.render.rollout_timeline import lane_text
from ktui.render.rollout_tree import tree_text
from ktui.render.safe import safe_text
from ktui.ui.bindings import FOCUS_BINDINGS
from ktui.ui.live_table import Column, LiveTable
from ktui.ui.messages import ClusterChanged
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.input import KtuiInput
from ktui.ui.widgets.safe import SafeStatic
from ktui.ui.widgets.scroll import Scroll
from ktui.view.rollout_tree import RolloutTree, build_rollout_tree
from ktui.view.stuck import progress_deadline

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

Obj = dict[str, Any]


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def error_text(exc: BaseException) -> str:
    if isinstance(exc, KtuiError):
        return exc.message
    return describe_api_error(exc)


# ---------------------------------------------------------------------- modals


class ConfirmScreen(ModalScreen[bool], inherit_bindings=False):
    """Yes/no with the consequences spelled out (e.g. the template diff of an undo)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape,q", "answer(False)", "No", id="confirm.no"),
        *FOCUS_BINDINGS,
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 100; max-height: 90%; height: auto;
        border: round $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen VerticalScroll { height: auto; max-height: 30; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, title: str, body: Any) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe_text(self.title_text)
            with Scroll():
                yield SafeStatic(self.body, id="confirm-body")
            with Horizontal():
                yield Button("Yes (y)", variant="warning", id="yes")
                yield Button("No (n)", id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ScaleScreen(ModalScreen[int | None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="scale.cancel"),
    ]
    DEFAULT_CSS = """
    ScaleScreen { align: center middle; }
    ScaleScreen > Vertical {
        width: 60; height: auto; border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, label: str, current: int) -> None:
        super().__init__()
        self.label = label
        self.current = current
        self._confirming: int | None = None
        """A large count, or 0, submitted once; the same count submitted again is sent."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe_text(f"Scale {self.label}")
            yield Static(f"Replicas now: {self.current}. New number of replicas:")
            # Plain text, checked on enter: an "integer" Input would silently drop what is not
            # a digit (1e3 would become 13).
            yield KtuiInput(str(self.current), id="replicas")
            yield Static("", id="scale-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        checked = check_replicas(event.value, self.current)
        message = self.query_one("#scale-error", Static)
        if checked.replicas is None:
            self._confirming = None
            message.update(Text(checked.problem, style="red"))
            return
        if (checked.large or checked.stops_all) and self._confirming != checked.replicas:
            self._confirming = checked.replicas
            warning = (
                f"Scaling to 0 stops every pod of {self.label} ({self.current} running now): "
                "press enter again to scale to 0, esc to cancel."
                if checked.stops_all
                else f"That is a large change ({self.current} -> {checked.replicas}): "
                "press enter again to scale, esc to cancel."
            )
            message.update(safe_text(warning, "bold yellow"))
            return
        self.dismiss(checked.replicas)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------- actions (shared)


class RolloutActions:
    """Mutations on a workload, shared by the main screen and the rollout screen.

    Mixed into a Screen; `rollout_target()` names the workload the keys act on.
    """

    if TYPE_CHECKING:

        @property
        def ktui(self) -> KtuiApp: ...

    def rollout_target(self) -> Obj | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.rollout_action_state(action)

    def rollout_action_state(self, action: str) -> bool:
        """--readonly removes every mutating key (hidden from the footer and `?`); the same
        keys then run `read_only`, which says so in one line instead of doing nothing."""
        if action == "read_only":
            return self.ktui.readonly
        return not (action in MUTATING_ACTIONS and self.ktui.readonly)

    def action_read_only(self, what: str) -> None:
        self.ktui.notify(f"read-only: {what} is disabled", severity="warning", timeout=4)

    def report_outcome(self, message: str, severity: SeverityLevel) -> None:
        """The outcome of a rollout action (kubectl's line, or why it failed): a toast here;
        the rollout screen shows it in the screen itself."""
        self.ktui.notify(message, severity=severity)

    def _target_or_say(self) -> tuple[str, str, str] | None:
        obj = self.rollout_target()
        kind = str(obj.get("kind", "")) if obj else ""
        if obj is None or kind not in ROLLOUT_KINDS:
            self.ktui.notify(
                "Select a Deployment, StatefulSet or DaemonSet first.", severity="warning"
            )
            return None
        meta = _meta(obj)
        return kind, str(meta.get("namespace", "")), str(meta.get("name", ""))

    def _mutation(self, describe: str, call: Callable[[], str]) -> None:
        self._run_mutation(describe, call)

    @work(thread=True, group="rollout", exclusive=False, exit_on_error=False)
    def _run_mutation(self, describe: str, call: Callable[[], str]) -> None:
        try:
            result = call()
        except Exception as exc:  # one line on screen, never a traceback
            self.ktui.call_from_thread(
                self.report_outcome, f"{describe}: {error_text(exc)}", "error"
            )
            return
        self.ktui.call_from_thread(self.report_outcome, result, "information")

    def action_rollout_restart(self) -> None:
        target = self._target_or_say()
        if target is None:
            return
        kind, namespace, name = target
        obj = self.rollout_target() or {}
        # kubectl refuses a paused Deployment after reading it; say so before asking, as `u`
        # does (restart() checks again on the server's object once confirmed).
        refusal = restart_refusal(kind, obj)
        if refusal is not None:
            self.report_outcome(f"restart {name}: {refusal}", "error")
            return
        api = self.ktui.connection.api_client

        def confirmed(yes: bool | None) -> None:
            if yes:
                # The time of the confirmation, as `kubectl rollout restart` run then would
                # stamp it, not the time the dialog opened.
                now = self.ktui.clock()
                self._mutation(f"restart {name}", lambda: restart(api, kind, namespace, name, now))

        self.ktui.push_screen(
            ConfirmScreen(f"Restart {kind.lower()}/{name}?", restart_effect(kind, obj)),
            confirmed,
        )

    def action_rollout_pause(self) -> None:
        target = self._target_or_say()
        if target is None:
            return
        kind, namespace, name = target
        obj = self.rollout_target() or {}
        paused = bool((obj.get("spec") or {}).get("paused"))
        api = self.ktui.connection.api_client
        verb, call = ("resume", resume) if paused else ("pause", pause)
        if not paused:
            body = pause_effect()
        else:
            replica_sets = self.ktui.model.objects.children(uid_of(obj), "ReplicaSet")
            body = resume_effect(obj, replica_sets)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._mutation(f"{verb} {name}", lambda: call(api, kind, namespace, name))

        self.ktui.push_screen(
            ConfirmScreen(f"{verb.title()} {kind.lower()}/{name}?", body), confirmed
        )

    def action_rollout_scale(self) -> None:
        target = self._target_or_say()
        if target is None:
            return
        kind, namespace, name = target
        if not KINDS_BY_NAME[kind].scalable:
            # kubectl scale fails the same way, after the fact; say it before asking.
            self.ktui.notify(
                f"A {kind} cannot be scaled: it runs one pod on each eligible node.",
                severity="warning",
            )
            return
        obj = self.rollout_target() or {}
        current = int((obj.get("spec") or {}).get("replicas", 1) or 0)
        api = self.ktui.connection.api_client

        def chosen(replicas: int | None) -> None:
            if replicas is None or replicas == current:
                return
            # As `kubectl scale --replicas=N` does: no resourceVersion precondition. The
            # controller updates the workload's status all through a rollout, so the version
            # seen when the dialog opened was out of date by the time enter was pressed.
            self._mutation(f"scale {name}", lambda: scale(api, kind, namespace, name, replicas))

        self.ktui.push_screen(ScaleScreen(f"{kind.lower()}/{name}", current), chosen)

    def action_rollout_undo(self, to_revision: int = 0) -> None:
        target = self._target_or_say()
        if target is None:
            return
        self._plan_undo(*target, to_revision)

    @work(thread=True, group="rollout-plan", exclusive=True, exit_on_error=False)
    def _plan_undo(self, kind: str, namespace: str, name: str, to_revision: int) -> None:
        # Plan on what the server has now, as kubectl does, not on the cache.
        api = self.ktui.connection.api_client
        try:
            obj, children = fetch_workload(api, kind, namespace, name)
            plan = plan_undo(kind, obj, children, to_revision)
        except Exception as exc:
            self.ktui.call_from_thread(
                self.report_outcome, f"undo {name}: {error_text(exc)}", "error"
            )
            return
        if get_current_worker().is_cancelled:
            return
        self.ktui.call_from_thread(self._confirm_undo, plan)

    def _confirm_undo(self, plan: UndoPlan) -> None:
        if plan.skipped:
            self.report_outcome(plan.message, "warning")
            return
        api = self.ktui.connection.api_client

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._mutation(f"undo {plan.name}", lambda: undo_as_confirmed(api, plan))

        self.ktui.push_screen(
            ConfirmScreen(
                f"Roll {plan.kind.lower()}/{plan.name} back to revision {plan.target_revision}?",
                diff_text(plan.diff) if plan.diff else Text("(no template change)"),
            ),
            confirmed,
        )


def undo_as_confirmed(api: Any, plan: UndoPlan) -> str:
    """`execute_undo`, with a failure naming the revision the confirmation named: kubectl says
    the revision asked for, "failed restoring revision 0" for "the previous one", which reads
    like another revision right after a dialog that said "revision 1"."""
    try:
        return execute_undo(api, plan)
    except RolloutError as exc:
        cause = exc.__cause__
        reason = cause.message if isinstance(cause, RolloutError) else exc.message
        raise RolloutError(
            f"failed restoring revision {plan.target_revision}: {reason}",
            status=exc.status,
            reason=exc.reason,
        ) from exc


MUTATING_ACTIONS = frozenset(
    {
        "rollout_restart",
        "rollout_pause",
        "rollout_scale",
        "rollout_undo",
        "undo_selected",
        "rollback_child",
    }
)


def read_only_binding(key: str, what: str, binding_id: str) -> Binding:
    """The twin of a mutating key, live only under --readonly: says the action is disabled."""
    return Binding(key, f"read_only('{what}')", f"{what} (read-only)", show=False, id=binding_id)


ROLLOUT_BINDINGS: list[BindingType] = [
    Binding("r", "rollout_restart", "Restart", id="rollout.restart"),
    Binding("s", "rollout_scale", "Scale", id="rollout.scale"),
    Binding("u", "rollout_undo", "Undo", id="rollout.undo"),
    Binding("P", "rollout_pause", "Pause/resume", show=False, id="rollout.pause"),
    read_only_binding("r", "restart", "readonly.restart"),
    read_only_binding("s", "scale", "readonly.scale"),
    read_only_binding("u", "undo", "readonly.undo"),
    read_only_binding("P", "pause/resume", "readonly.pause"),
]


# ---------------------------------------------------------------------- the rollout screen


HISTORY_COLUMNS = [
    Column("revision", "REVISION", justify="right"),
    Column("cause", "CHANGE-CAUSE", min_width=14, max_width=50, flexible=True),
    # A narrow pane gives up the ReplicaSet's generated name first, then the images and the
    # replicas, before the change-cause (the words a person wrote about the revision) and
    # DEPLOYED; the revision's pane below has its images and template.
    Column("images", "IMAGES", min_width=0, max_width=40, shrink=3),
    Column("replicas", "REPLICAS", justify="right", min_width=0, shrink=3),
    Column("name", "FROM", min_width=0, max_width=40, shrink=4, ellipsis="middle"),
    Column("deployed", "DEPLOYED", justify="right"),
]
OUTCOME_STYLE: dict[SeverityLevel, tuple[str, str]] = {
    "information": ("✔", "green"),
    "warning": ("⚠", "yellow"),
    "error": ("✖", "bold red"),
}
"""The outcome line of the rollout screen: glyph and style per severity."""
DEPLOYED_FOOTNOTE = "DEPLOYED * = created at (not seen deployed since ktui started)"


class RolloutScreen(RolloutActions, Screen[None], inherit_bindings=False):
    """Status, history and diffs of one workload, live."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *FOCUS_BINDINGS,
        Binding("escape,q", "close", "Back", id="rollout_screen.back"),
        Binding("enter", "undo_selected", "Undo to selected", id="rollout_screen.undo_selected"),
        read_only_binding("enter", "undo", "readonly.undo_selected"),
        Binding("left", "timeline(-1)", "Earlier", id="rollout_screen.timeline_back"),
        Binding("right", "timeline(1)", "Later", id="rollout_screen.timeline_forward"),
        Binding("L", "revision_logs", "Revision logs", id="rollout_screen.revision_logs"),
        *ROLLOUT_BINDINGS,
    ]
    DEFAULT_CSS = """
    RolloutScreen #rollout-status { height: auto; border: round $accent; padding: 0 1; }
    /* Always two lines, the lane and the moment (cut with …): a moment with a long list of
       changes wrapped onto more lines, and the tree below jumped as moments came and went. */
    RolloutScreen #timeline {
        height: auto; border: round $ktui-border; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    RolloutScreen #rollout-problem { height: auto; padding: 0 2; }
    RolloutScreen #rollout-outcome { height: auto; padding: 0 2; }
    RolloutScreen #rollout-body { height: 1fr; }
    RolloutScreen #rollout-tree { width: 1fr; height: 1fr; border: round $ktui-border; }
    RolloutScreen #rollout-right { width: 1fr; height: 1fr; }
    /* At 24 rows the body is 8 rows: without a floor the history got none (its header and
       rows hidden behind its own border), the detail all of them. */
    RolloutScreen #history { height: 1fr; min-height: 5; border: round $ktui-border; }
    RolloutScreen #revision-detail { height: 2fr; min-height: 3; border: round $ktui-border; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
        self.revisions: dict[str, HistoryRevision] = {}
        self._child_uids: set[str] = set()
        """The ReplicaSets / ControllerRevisions the history was last computed from."""
        self.rollout_tree: RolloutTree | None = None
        """The rollout tree as last drawn (rebuilt once per batch that touches the workload,
        its ReplicaSets / ControllerRevisions or its pods; never on the clock's tick)."""
        self.tree_draws = 0
        self.moment: TimelineEntry | None = None
        """The timeline entry the tree shows; None: live."""
        self._lane_last: TimelineEntry | None = None
        self._kind = ""
        """The workload's kind, as last seen (it says which watches the screen depends on)."""

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield SafeStatic("", id="rollout-status")
        yield SafeStatic("", id="rollout-problem")
        yield SafeStatic("", id="rollout-outcome")
        yield SafeStatic("", id="timeline")
        with Horizontal(id="rollout-body"):
            with Scroll(id="rollout-tree"):
                yield SafeStatic("", id="tree-body")
            with Vertical(id="rollout-right"):
                yield LiveTable(HISTORY_COLUMNS, id="history", empty_message="No rollout history.")
                with Scroll(id="revision-detail"):
                    yield SafeStatic("", id="revision-body")
        yield KtuiFooter()

    def rollout_target(self) -> Obj | None:
        return self.ktui.model.objects.get(self.uid)

    def _stale(self) -> str:
        """ "stale since HH:MM:SS" while a watch this screen is drawn from (the workload's
        kind, its revisions' kind, Pods) is silent, down or denied; "" while all are current."""
        kind = self._kind
        spec = KINDS_BY_NAME.get(kind) if kind else None
        kinds = (kind, spec.child_kind or "", "Pod") if spec else (*ROLLOUT_KINDS, "Pod")
        since = out_of_date_since(self.ktui.model.objects.states, kinds)
        return stale_text(since) if since else ""

    def report_outcome(self, message: str, severity: SeverityLevel) -> None:
        """The outcome of an action taken here stays on this screen, under the status, until
        the next one (a toast covered the revision's diff and outlived the screen), and in
        `:messages`. If the user has left the screen meanwhile, it is a toast on the screen
        they are on (which `:messages` keeps too)."""
        if not self.is_current:
            super().report_outcome(message, severity)
            return
        self.ktui.log_message(message, severity)
        glyph, style = OUTCOME_STYLE[severity]
        line = Text(f"{clock_time(self.ktui.clock())} ", style="bright_black")
        line.append_text(safe_text(f"{glyph} {message}", style))
        outcome = self.query_one("#rollout-outcome", SafeStatic)
        outcome.update(line)
        outcome.display = True

    def on_mount(self) -> None:
        outcome = self.query_one("#rollout-outcome", SafeStatic)
        outcome.display = False
        table = self.query_one("#history", LiveTable)
        table.clock = self.ktui.clock
        table.tick()
        table.focus()
        self.refresh_view()
        # The lane from the start, not from the first tick; drawn again once the layout gives
        # it its width (it shows as many moments as fit).
        self._show_lane()
        self.call_after_refresh(self._show_lane)
        # Ages tick, and the countdown to the progress deadline with them.
        self.set_interval(1.0, self._tick)

    def on_resize(self) -> None:
        self._show_lane()

    def _tick(self) -> None:
        self.query_one("#history", LiveTable).tick()
        self._show_problem()
        self._show_lane()  # "3m ago" ticks; the tree does not

    def _undo_key(self) -> str | None:
        """The key that undoes now (after the keymap), None under --readonly."""
        if self.ktui.readonly:
            return None
        keys = self.ktui.config.keymap.get("rollout.undo") or "u"
        return self.ktui.get_key_display(Binding(keys.split(",")[0], ""))

    def _show_problem(self) -> None:
        widget = self.query_one("#rollout-problem", Static)
        obj = self.rollout_target()
        if obj is None:
            widget.update("")
            widget.display = False
            return
        now = self.ktui.clock()
        problem = self.ktui.model.rollout_problem(self.uid, now)
        text = problem_text(
            problem,
            progress_deadline(obj),
            now,
            undo_key=self._undo_key(),
            earlier_revision=len(self.revisions) >= 2,
        )
        widget.update(text)
        widget.display = bool(text)

    @on(ClusterChanged)
    def _changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        model = self.ktui.model.objects
        touched = any(self.uid in uids for uids in batch.upserts.values()) or any(
            self.uid in uids for uids in batch.deletes.values()
        )
        for kind in REVISION_KINDS:
            for uid in batch.upserts.get(kind, {}):
                touched = touched or model.controller_of(uid) == self.uid
            touched = touched or not self._child_uids.isdisjoint(batch.deletes.get(kind, ()))
        changes = message.changes
        entries = self.ktui.model.timeline.entries(self.uid)
        if changes.states or (entries[-1] if entries else None) is not self._lane_last:
            self._show_lane(entries)
        if changes.states and not touched:
            self._show_status()  # stale, or current again
        if touched:
            self.refresh_view()
        elif self.uid in changes.pods or self.uid in changes.removed_pods:
            self._show_problem()  # the pods are the evidence of a stuck rollout
            self._show_live_tree()
        elif self.uid in changes.children or self.uid in changes.removed_children:
            self._show_live_tree()

    def _show_live_tree(self) -> None:
        if self.moment is None:
            self._show_tree()

    def _children(self) -> list[Obj]:
        children = [
            child
            for child in self.ktui.model.objects.children(self.uid)
            if child.get("kind") in REVISION_KINDS
        ]
        self._child_uids = {str(child["metadata"]["uid"]) for child in children}
        return children

    def refresh_view(self) -> None:
        obj = self.rollout_target()
        table = self.query_one("#history", LiveTable)
        self._show_status()
        if obj is None:
            table.replace_all({})
            self._show_live_tree()
            return
        kind = str(obj.get("kind", ""))
        try:
            history = rollout_history(kind, obj, self._children())
        except Exception as exc:
            table.empty_message = f"history unavailable: {error_text(exc)}"
            history = []
        self.revisions = {str(rev.revision): rev for rev in history}
        uids = {
            str(_meta(child).get("name", "")): str(_meta(child).get("uid", ""))
            for child in self.ktui.model.objects.children(self.uid)
        }
        rows = {}
        all_witnessed = True
        for rev in history:
            mark = Text("● ", style="green") if rev.is_current else Text("  ")
            deployed, witnessed = self.ktui.model.objects.deployed_at(uids.get(rev.name, ""))
            all_witnessed = all_witnessed and witnessed
            rows[str(rev.revision)] = (
                mark + Text(str(rev.revision)),
                rev.change_cause,
                dim(", ".join(rev.images)),
                "-" if rev.replicas is None else str(rev.replicas),
                dim(rev.name),
                TimeCell(deployed, deployed_since(witnessed)),
            )
        table.replace_all(rows)
        if self.ktui.readonly:
            table.border_title = f"history [{len(rows)}] · READ-ONLY"
        else:
            undo = self._undo_key() or "u"
            table.border_title = (
                f"history [{len(rows)}] · enter: undo to selected · {undo}: undo to previous"
            )
        table.border_subtitle = "" if all_witnessed else DEPLOYED_FOOTNOTE
        self._show_revision(table.cursor_key)
        self._show_problem()
        self._show_live_tree()

    def _show_status(self) -> None:
        """kubectl's rollout status of the workload, and whether it may be out of date."""
        obj = self.rollout_target()
        status_widget = self.query_one("#rollout-status", SafeStatic)
        if obj is None:
            status_widget.update(Text("This workload no longer exists.", style="bold red"))
            return
        kind = self._kind = str(obj.get("kind", ""))
        name = str(_meta(obj).get("name", ""))
        status_widget.border_title = safe_text(f"rollout status {kind.lower()}/{name}")
        status_widget.border_subtitle = "READ-ONLY" if self.ktui.readonly else ""
        try:
            status = rollout_status(obj, kind=kind)
            status_widget.update(status_renderable(status, stale=self._stale()))
        except Exception as exc:  # a malformed object must not take the screen down
            status_widget.update(Text(f"status unavailable: {error_text(exc)}", style="red"))

    def _show_tree(self) -> None:
        body = self.query_one("#tree-body", SafeStatic)
        box = self.query_one("#rollout-tree", Scroll)
        model = self.ktui.model
        obj = self.rollout_target()
        if self.moment is not None:
            tree = self.moment.tree
            at = self.moment.at.astimezone().strftime("%H:%M:%S")
            title = f"rollout tree {tree.kind.lower()}/{tree.name} at {at} (→ to the end: live)"
        elif obj is None:
            self.rollout_tree = None
            body.update("")
            return
        else:
            # Live: built here from the model as of this batch (the timeline records each
            # workload at most once a second, so its latest entry may be a moment behind).
            tree = build_rollout_tree(obj, model.children(self.uid), model.pods(self.uid))
            title = f"rollout tree {tree.kind.lower()}/{tree.name}"
        self.rollout_tree = tree
        self.tree_draws += 1
        box.border_title = safe_text(title)
        # Under --readonly nothing on the screen advertises undo, the legend included.
        box.border_subtitle = "● current · ◀ previous" + (
            "" if self.ktui.readonly else " (undo goes there)"
        )
        body.update(tree_text(tree))

    def _show_lane(self, entries: list[TimelineEntry] | None = None) -> None:
        lane = self.query_one("#timeline", SafeStatic)
        if entries is None:
            entries = self.ktui.model.timeline.entries(self.uid)
        self._lane_last = entries[-1] if entries else None
        selected = self._moment_index(entries)
        width = max(10, lane.size.width - 2 if lane.size.width else self.size.width - 4)
        lane.update(lane_text(entries, selected, width, self.ktui.clock(), stale=self._stale()))
        lane.border_title = (
            f"timeline · ←/→ move through time · last {TIMELINE_LIMIT:,} moments kept"
        )

    def _moment_index(self, entries: list[TimelineEntry]) -> int | None:
        if self.moment is None:
            return None
        for index, entry in enumerate(entries):
            if entry is self.moment:
                return index
        # Dropped off the bounded timeline: the oldest kept moment.
        self.moment = entries[0] if entries else None
        return 0 if entries else None

    def action_timeline(self, step: int) -> None:
        """left: one moment earlier; right: one later, past the newest back to live."""
        entries = self.ktui.model.timeline.entries(self.uid)
        if not entries:
            return
        index = self._moment_index(entries)
        if index is None:
            # Live is the newest moment: one earlier is the one before it.
            target: int | None = max(0, len(entries) - 2) if step < 0 else None
        else:
            target = index + step
            if target < 0:
                target = 0
            elif target >= len(entries):
                target = None
        self.moment = None if target is None else entries[target]
        self._show_lane(entries)
        self._show_tree()

    @on(LiveTable.Selected, "#history")
    def _selected(self, message: LiveTable.Selected) -> None:
        # The table's own enter binding takes the key: enter on a row undoes to it.
        message.stop()
        if self.ktui.readonly:
            self.action_read_only("undo")
        else:
            self.action_undo_selected()

    @on(LiveTable.Highlighted, "#history")
    def _highlighted(self, message: LiveTable.Highlighted) -> None:
        self._show_revision(message.key)

    def _show_revision(self, key: str | None) -> None:
        body = self.query_one("#revision-body", SafeStatic)
        detail = self.query_one("#revision-detail", Scroll)
        obj = self.rollout_target()
        revision = self.revisions.get(key or "")
        if revision is None or obj is None:
            body.update("")
            return
        current = (obj.get("spec") or {}).get("template") or {}
        # What an undo would restore: for a Deployment, kubectl drops the ReplicaSet's
        # pod-template-hash label, so it is not part of the difference either.
        target = undo_target_template(obj.get("kind"), revision.template)
        diff = template_diff(
            current,
            target,
            from_label="current",
            to_label=f"revision {revision.revision}",
        )
        detail.border_title = (
            f"revision {revision.revision}: pod template and diff against the current one"
        )
        body.update(revision_detail(diff, target))

    def action_close(self) -> None:
        # Only this screen goes: a second esc typed before the first was handled must not pop
        # the screen below (the main screen: the app would be left without one).
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.app.pop_screen()

    def action_revision_logs(self) -> None:
        """The merged logs of the current revision's pods (`revision_logs` screen)."""
        self.ktui.open_screen("revision_logs", self.uid)

    def action_undo_selected(self) -> None:
        key = self.query_one("#history", LiveTable).cursor_key
        if key is None:
            return
        self.action_rollout_undo(int(key))


__all__ = [
    "ROLLOUT_BINDINGS",
    "ConfirmScreen",
    "RolloutActions",
    "RolloutError",
    "RolloutScreen",
    "ScaleScreen",
]
