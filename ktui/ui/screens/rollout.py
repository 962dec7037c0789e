"""Rollouts from the keyboard: live status, history with diffs, undo, restart, pause/resume, scale.

Every decision is made by `ktui.cluster.rollout`, which reproduces kubectl 1.32; this module only
shows it and asks for confirmation. Mutations are one API request each, run in a thread worker;
their result (or the server's refusal) is reported in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import yaml
from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Static
from textual.worker import get_current_worker

from ktui.cluster.errors import KtuiError, describe_api_error
from ktui.cluster.rollout import (
    HistoryRevision,
    RolloutError,
    RolloutStatus,
    UndoPlan,
    execute_undo,
    fetch_workload,
    pause,
    plan_undo,
    restart,
    resume,
    rollout_history,
    rollout_status,
    scale,
    template_diff,
    undo_target_template,
)
from ktui.ui.bindings import FOCUS_BINDINGS
from ktui.ui.cells import TimeCell, dim
from ktui.ui.live_table import Column, LiveTable
from ktui.ui.messages import ClusterChanged
from ktui.ui.widgets.scroll import Scroll
from ktui.view.age import parse_time

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

Obj = dict[str, Any]
ROLLOUT_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def error_text(exc: BaseException) -> str:
    if isinstance(exc, KtuiError):
        return exc.message
    return describe_api_error(exc)


# ---------------------------------------------------------------------- status rendering


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


def status_renderable(status: RolloutStatus) -> Group:
    """kubectl's message, then bars for updated / ready / available and old replicas draining."""
    style = "bold red" if status.failed or status.error else ("green" if status.done else "yellow")
    parts: list[Any] = [Text(status.error or status.message.rstrip("\n"), style=style)]
    desired = status.desired or 0
    if status.desired is not None:
        parts.append(progress_bar("updated", status.updated, desired, style="dodger_blue1"))
        parts.append(progress_bar("ready", status.ready, desired))
        parts.append(progress_bar("available", status.available, desired))
        if status.kind == "Deployment":
            # Old replicas drain towards zero: the bar empties as the rollout finishes.
            parts.append(progress_bar("old", status.old, max(desired, status.old), style="magenta"))
    return Group(*parts)


# ---------------------------------------------------------------------- modals


class ConfirmScreen(ModalScreen[bool], inherit_bindings=False):
    """Yes/no with the consequences spelled out (e.g. the template diff of an undo)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
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
            box.border_title = self.title_text
            with Scroll():
                yield Static(self.body, id="confirm-body")
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
        Binding("escape", "cancel", "Cancel", id="scale.cancel")
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

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Scale {self.label}"
            yield Static(f"Replicas now: {self.current}. New number of replicas:")
            yield Input(str(self.current), id="replicas", type="integer")
            yield Static("", id="scale-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            replicas = int(event.value)
        except ValueError:
            replicas = -1
        if replicas < 0:
            self.query_one("#scale-error", Static).update(
                Text("replicas must be a whole number >= 0", style="red")
            )
            return
        self.dismiss(replicas)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------- actions (shared)


class RolloutActions:
    """Mutations on a workload, shared by the main screen and the rollout screen.

    Mixed into a Screen; `rollout_target()` names the workload the keys act on.
    """

    app: KtuiApp  # type: ignore[assignment]

    def rollout_target(self) -> Obj | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _target_or_say(self) -> tuple[str, str, str] | None:
        obj = self.rollout_target()
        kind = str(obj.get("kind", "")) if obj else ""
        if obj is None or kind not in ROLLOUT_KINDS:
            self.app.notify(
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
            self.app.call_from_thread(
                self.app.notify, f"{describe}: {error_text(exc)}", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(self.app.notify, result, timeout=6)

    def action_rollout_restart(self) -> None:
        target = self._target_or_say()
        if target is None:
            return
        kind, namespace, name = target
        api = self.app.connection.api_client
        now = self.app.clock()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._mutation(f"restart {name}", lambda: restart(api, kind, namespace, name, now))

        self.app.push_screen(
            ConfirmScreen(
                f"Restart {kind.lower()}/{name}?",
                "Sets kubectl.kubernetes.io/restartedAt on the pod template, like "
                "`kubectl rollout restart`: every pod is replaced by a rolling update.",
            ),
            confirmed,
        )

    def action_rollout_pause(self) -> None:
        target = self._target_or_say()
        if target is None:
            return
        kind, namespace, name = target
        obj = self.rollout_target() or {}
        paused = bool((obj.get("spec") or {}).get("paused"))
        api = self.app.connection.api_client
        verb, call = ("resume", resume) if paused else ("pause", pause)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._mutation(f"{verb} {name}", lambda: call(api, kind, namespace, name))

        self.app.push_screen(ConfirmScreen(f"{verb.title()} {kind.lower()}/{name}?", ""), confirmed)

    def action_rollout_scale(self) -> None:
        target = self._target_or_say()
        if target is None:
            return
        kind, namespace, name = target
        obj = self.rollout_target() or {}
        current = int((obj.get("spec") or {}).get("replicas", 1) or 0)
        resource_version = str(_meta(obj).get("resourceVersion", "")) or None
        api = self.app.connection.api_client

        def chosen(replicas: int | None) -> None:
            if replicas is None or replicas == current:
                return
            # The resourceVersion we showed: if someone changed the object since, the server
            # answers 409 and we say so instead of overwriting their change.
            self._mutation(
                f"scale {name}",
                lambda: scale(api, kind, namespace, name, replicas, resource_version),
            )

        self.app.push_screen(ScaleScreen(f"{kind.lower()}/{name}", current), chosen)

    def action_rollout_undo(self, to_revision: int = 0) -> None:
        target = self._target_or_say()
        if target is None:
            return
        self._plan_undo(*target, to_revision)

    @work(thread=True, group="rollout-plan", exclusive=True, exit_on_error=False)
    def _plan_undo(self, kind: str, namespace: str, name: str, to_revision: int) -> None:
        # Plan on what the server has now, as kubectl does, not on the cache.
        api = self.app.connection.api_client
        try:
            obj, children = fetch_workload(api, kind, namespace, name)
            plan = plan_undo(kind, obj, children, to_revision)
        except Exception as exc:
            self.app.call_from_thread(
                self.app.notify, f"undo {name}: {error_text(exc)}", severity="error", timeout=10
            )
            return
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._confirm_undo, plan)

    def _confirm_undo(self, plan: UndoPlan) -> None:
        if plan.skipped:
            self.app.notify(plan.message, severity="warning", timeout=8)
            return
        api = self.app.connection.api_client

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._mutation(f"undo {plan.name}", lambda: execute_undo(api, plan))

        self.app.push_screen(
            ConfirmScreen(
                f"Roll {plan.kind.lower()}/{plan.name} back to revision {plan.target_revision}?",
                diff_text(plan.diff) if plan.diff else Text("(no template change)"),
            ),
            confirmed,
        )


def diff_text(lines: list[str]) -> Text:
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


MUTATING_ACTIONS = frozenset(
    {"rollout_restart", "rollout_pause", "rollout_scale", "rollout_undo", "undo_selected"}
)

ROLLOUT_BINDINGS: list[BindingType] = [
    Binding("r", "rollout_restart", "Restart", id="rollout.restart"),
    Binding("s", "rollout_scale", "Scale", id="rollout.scale"),
    Binding("u", "rollout_undo", "Undo", id="rollout.undo"),
    Binding("P", "rollout_pause", "Pause/resume", show=False, id="rollout.pause"),
]


# ---------------------------------------------------------------------- the rollout screen


HISTORY_COLUMNS = [
    Column("revision", "REVISION", justify="right"),
    Column("cause", "CHANGE-CAUSE", max_width=50, flexible=True),
    Column("images", "IMAGES", max_width=40),
    Column("replicas", "REPLICAS", justify="right"),
    Column("name", "FROM", max_width=40),
    Column("age", "AGE", justify="right"),
]


class RolloutScreen(RolloutActions, Screen[None], inherit_bindings=False):
    """Status, history and diffs of one workload, live."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *FOCUS_BINDINGS,
        Binding("escape", "app.pop_screen", "Back", id="rollout_screen.back"),
        Binding("enter", "undo_selected", "Undo to selected", id="rollout_screen.undo_selected"),
        *ROLLOUT_BINDINGS,
    ]
    DEFAULT_CSS = """
    RolloutScreen #rollout-status { height: auto; border: round $accent; padding: 0 1; }
    RolloutScreen #history { height: 1fr; border: round $panel-lighten-2; }
    RolloutScreen #revision-detail { height: 2fr; border: round $panel-lighten-2; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
        self.revisions: dict[str, HistoryRevision] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="rollout-status")
        yield LiveTable(HISTORY_COLUMNS, id="history", empty_message="No rollout history.")
        with Scroll(id="revision-detail"):
            yield Static("", id="revision-body")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in MUTATING_ACTIONS and self.app.readonly)

    def rollout_target(self) -> Obj | None:
        cluster = self.app.cluster
        return cluster.get(self.uid) if cluster is not None else None

    def on_mount(self) -> None:
        table = self.query_one("#history", LiveTable)
        table.clock = self.app.clock
        table.tick()
        table.focus()
        self.refresh_view()

    @on(ClusterChanged)
    def _changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        cluster = self.app.cluster
        if cluster is None:
            return
        touched = any(self.uid in uids for uids in batch.upserts.values()) or any(
            self.uid in uids for uids in batch.deletes.values()
        )
        for kind in ("ReplicaSet", "ControllerRevision"):
            for uid in (*batch.upserts.get(kind, {}), *batch.deletes.get(kind, ())):
                if cluster.index.controller_of(uid) == self.uid or uid in self.revisions:
                    touched = True
        if touched:
            self.refresh_view()

    def _children(self) -> list[Obj]:
        cluster = self.app.cluster
        if cluster is None:
            return []
        kinds = ("ReplicaSet", "ControllerRevision")
        children = []
        for uid in cluster.index.children(self.uid):
            child = cluster.get(uid)
            if child is not None and child.get("kind") in kinds:
                children.append(child)
        return children

    def refresh_view(self) -> None:
        obj = self.rollout_target()
        status_widget = self.query_one("#rollout-status", Static)
        table = self.query_one("#history", LiveTable)
        if obj is None:
            status_widget.update(Text("This workload no longer exists.", style="bold red"))
            table.replace_all({})
            return
        kind = str(obj.get("kind", ""))
        name = str(_meta(obj).get("name", ""))
        status_widget.border_title = f"rollout status {kind.lower()}/{name}"
        try:
            status = rollout_status(obj, kind=kind)
            status_widget.update(status_renderable(status))
        except Exception as exc:  # a malformed object must not take the screen down
            status_widget.update(Text(f"status unavailable: {error_text(exc)}", style="red"))
        try:
            history = rollout_history(kind, obj, self._children())
        except Exception as exc:
            table.empty_message = f"history unavailable: {error_text(exc)}"
            history = []
        self.revisions = {str(rev.revision): rev for rev in history}
        rows = {}
        for rev in history:
            mark = Text("● ", style="green") if rev.is_current else Text("  ")
            rows[str(rev.revision)] = (
                mark + Text(str(rev.revision)),
                rev.change_cause,
                dim(", ".join(rev.images)),
                "-" if rev.replicas is None else str(rev.replicas),
                dim(rev.name),
                TimeCell(parse_time(rev.created)),
            )
        table.replace_all(rows)
        table.border_title = (
            f"history [{len(rows)}] · enter: undo to selected · u: undo to previous"
        )
        self._show_revision(table.cursor_key)

    @on(LiveTable.Highlighted, "#history")
    def _highlighted(self, message: LiveTable.Highlighted) -> None:
        self._show_revision(message.key)

    def _show_revision(self, key: str | None) -> None:
        body = self.query_one("#revision-body", Static)
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
        template_yaml = yaml.safe_dump(target, sort_keys=True)
        parts: list[Any] = []
        if diff:
            parts.append(diff_text(diff))
        else:
            parts.append(Text("Same pod template as the current one.\n", style="green"))
        parts.append(Syntax(template_yaml, "yaml", theme="ansi_dark", background_color="default"))
        body.update(Group(*parts))

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
