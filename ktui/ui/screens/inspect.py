"""What the detail screens share, and how the main screen opens them for its selection.

`inspect_selection(main, what)` is the one entry point the main screen calls: `what` is "detail"
(enter on a pod), "describe", "yaml", "logs", "previous_logs" or "events"; the object is the row
under the cursor of the focused pane (logs always take the pods pane's pod).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from ktui.ui.bindings import FOCUS_BINDINGS

if TYPE_CHECKING:
    from ktui.cluster.cache import ClusterCache
    from ktui.ui.app import KtuiApp
    from ktui.ui.screens.main import MainScreen

Obj = dict[str, Any]

PANE_IDS = ("workloads", "children", "pods")


class InspectorScreen(Screen[None], inherit_bindings=False):
    """A full screen about one object, above the main screen; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="inspector.close"),
        *FOCUS_BINDINGS,
    ]

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.app.pop_screen()


def uid_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def name_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def namespace_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace", "") or "")


def kind_of(cluster: ClusterCache | None, obj: Obj) -> str:
    """The object's kind; objects of list responses carry none, the ownership index knows it."""
    kind = obj.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    if cluster is not None:
        return cluster.index.kind_of(uid_of(obj)) or ""
    return ""


def complete_object(cluster: ClusterCache | None, obj: Obj) -> Obj:
    """The object with `apiVersion` and `kind` first, as kubectl prints it."""
    kind = kind_of(cluster, obj)
    api_version = obj.get("apiVersion")
    if not api_version and cluster is not None and kind:
        try:
            api_version = cluster.api_version(kind)
        except KeyError:
            api_version = None
    head: Obj = {}
    if api_version:
        head["apiVersion"] = api_version
    if kind:
        head["kind"] = kind
    return {**head, **{k: v for k, v in obj.items() if k not in head}}


def label_of(cluster: ClusterCache | None, obj: Obj) -> str:
    """ "Deployment/web" (with the namespace when showing every namespace)."""
    return f"{kind_of(cluster, obj) or 'Object'}/{name_of(obj)}"


def descendants(cluster: ClusterCache, uid: str, depth: int = 3) -> list[str]:
    """Objects owned by `uid`, their own dependents, ... (CronJob -> Job -> Pod is depth 2)."""
    found: list[str] = []
    frontier = [uid]
    seen = {uid}
    for _ in range(depth):
        next_frontier: list[str] = []
        for owner in frontier:
            for child in cluster.index.children(owner):
                if child not in seen:
                    seen.add(child)
                    found.append(child)
                    next_frontier.append(child)
        frontier = next_frontier
    return found


def batch_touches(batch: Any, uids: Iterable[str], kinds: Iterable[str] = ()) -> bool:
    """Whether a ChangeBatch upserts or deletes any of `uids`, or anything of `kinds`."""
    wanted = set(uids)
    for kind in kinds:
        if batch.upserts.get(kind) or batch.deletes.get(kind):
            return True
    for objects in batch.upserts.values():
        if wanted.intersection(objects):
            return True
    return any(wanted.intersection(deleted) for deleted in batch.deletes.values())


def inspect_selection(main: MainScreen, what: str) -> None:
    """Open the screen `what` for the main screen's selection (see the module docstring)."""
    from ktui.ui.live_table import LiveTable

    focused = main.focused
    table = (
        focused
        if isinstance(focused, LiveTable) and focused.id in PANE_IDS
        else main.query_one("#workloads", LiveTable)
    )
    pods = main.query_one("#pods", LiveTable)
    if what in ("logs", "previous_logs"):
        pod_uid = table.cursor_key if table is pods else pods.cursor_key
        if pod_uid is None:
            main.notify("No pod selected: logs are per pod.", severity="warning")
            return
        open_logs(main, pod_uid, previous=what == "previous_logs")
        return
    uid = table.cursor_key
    if uid is None:
        main.notify("Nothing selected.", severity="warning")
        return
    if what == "events":
        from ktui.ui.screens.events import EventsScreen

        main.app.push_screen(EventsScreen(uid))
    elif what == "yaml":
        from ktui.ui.screens.yaml_view import YamlScreen

        main.app.push_screen(YamlScreen(uid))
    elif table is pods:  # "detail" or "describe" on a pod: k9s's describe is the pod screen
        from ktui.ui.screens.pod_detail import PodDetailScreen

        main.app.push_screen(PodDetailScreen(uid))
    else:
        from ktui.ui.screens.yaml_view import DescribeScreen

        main.app.push_screen(DescribeScreen(uid))


def open_logs(screen: Screen[Any], pod_uid: str, *, previous: bool = False) -> None:
    from ktui.ui.screens.logs import LogsScreen

    screen.app.push_screen(LogsScreen(pod_uid, previous=previous))
