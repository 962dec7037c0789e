"""The command palette (ctrl+p): jump to a kind, a namespace, a context, or an object by name.

Objects are the workloads and pods the cache holds: choosing a workload moves the workloads
pane's cursor onto it; choosing a pod selects its workload, then the pod in the pods pane.
Namespaces are those seen in the cache plus, when the server allows it, a quick list of all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ktui.cluster.namespaces import list_namespace_names

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp
    from ktui.ui.screens.main import MainScreen

Obj = dict[str, Any]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
MAX_OBJECTS = 5000
"""Objects offered at most (fuzzy matching every keystroke over more would lag)."""
NAMESPACE_LIST_TIMEOUT = (2.0, 3.0)


@dataclass(frozen=True)
class Candidate:
    text: str
    help: str
    action: Callable[[], Any]
    discoverable: bool = True


def main_screen(app: Any) -> MainScreen | None:
    from ktui.ui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    return None


def back_to_main(app: Any) -> MainScreen | None:
    """Close the screens above the main screen (detail screens, help); the main screen."""
    main = main_screen(app)
    if main is None:
        return None
    while app.screen is not main and len(app.screen_stack) > 1:
        app.pop_screen()
    return main


def show_kind(app: Any, kind: str | None) -> None:
    main = back_to_main(app)
    if main is not None:
        main.show_kind(kind)
        main.workloads.focus()


def select_workload(app: Any, uid: str, kind: str) -> bool:
    """Move the workloads cursor onto `uid`, switching the kind filter (and clearing the text
    filter) when they hide it."""
    main = back_to_main(app)
    if main is None:
        return False
    table = main.workloads
    if table.move_cursor_to_key(uid):
        table.focus()
        return True
    table.filter_text = ""
    if table.move_cursor_to_key(uid):
        table.focus()
        return True
    main.show_kind(kind)
    found = table.move_cursor_to_key(uid)
    table.focus()
    if not found:
        app.notify("That object is not shown any more.", severity="warning")
    return found


async def select_pod(app: Any, pod_uid: str, workload_uid: str | None, kind: str | None) -> None:
    """Select the pod's workload, wait for the pods pane to list it, then put the cursor on it."""
    main = main_screen(app)
    if main is None:
        return
    if workload_uid is not None and kind is not None:
        select_workload(app, workload_uid, kind)
    pods = main.pods
    pods.filter_text = ""
    # The pods pane is refilled when the workload highlight is handled: a few event-loop turns.
    for _ in range(40):
        if pods.move_cursor_to_key(pod_uid):
            pods.focus()
            return
        await asyncio.sleep(0.025)
    app.notify("That pod belongs to no workload shown here.", severity="warning")


class KtuiCommands(Provider):
    """Kinds, namespaces, contexts and cached objects, matched fuzzily."""

    async def startup(self) -> None:
        app: KtuiApp = self.app  # type: ignore[assignment]
        self.candidates: list[Candidate] = []
        self.candidates += self._kinds(app)
        self.candidates += self._namespaces(app, await self._namespace_names(app))
        self.candidates += self._contexts(app)
        self.candidates += self._objects(app)

    # ------------------------------------------------------------------ candidates

    def _kinds(self, app: KtuiApp) -> list[Candidate]:
        def show(kind: str | None) -> Callable[[], None]:
            return lambda: show_kind(app, kind)

        found = [Candidate("kind: all workloads", "Show every workload kind (:all)", show(None))]
        for kind in WORKLOAD_KINDS:
            found.append(Candidate(f"kind: {kind}s", f"Show only {kind}s", show(kind)))
        return found

    async def _namespace_names(self, app: KtuiApp) -> list[str]:
        names: set[str] = set()
        cluster = app.cluster
        if cluster is not None:
            for kind in ("Pod", *WORKLOAD_KINDS):
                with contextlib.suppress(KeyError):
                    for obj in cluster.objects(kind).values():
                        namespace = (obj.get("metadata") or {}).get("namespace")
                        if namespace:
                            names.add(str(namespace))
        api_client = app.connection.api_client
        with contextlib.suppress(Exception):  # forbidden or unreachable: the cache's will do
            names.update(
                await asyncio.to_thread(
                    list_namespace_names, api_client, timeout=NAMESPACE_LIST_TIMEOUT
                )
            )
        if app.connection.namespace:
            names.add(app.connection.namespace)
        return sorted(names)

    def _namespaces(self, app: KtuiApp, names: list[str]) -> list[Candidate]:
        def switch(namespace: str | None) -> Callable[[], None]:
            def run() -> None:
                back_to_main(app)
                app.set_namespace(namespace)

            return run

        current = app.connection.namespace
        found = [
            Candidate(
                "namespace: all namespaces",
                "Show every namespace (0)" + (" · current" if current is None else ""),
                switch(None),
            )
        ]
        for name in names:
            note = " · current" if name == current else ""
            found.append(Candidate(f"namespace: {name}", f"Switch to {name}{note}", switch(name)))
        return found

    def _contexts(self, app: KtuiApp) -> list[Candidate]:
        def switch(name: str) -> Callable[[], None]:
            def run() -> None:
                back_to_main(app)
                app.set_context(name)

            return run

        try:
            names = app.connection.kubeconfig.contexts()
        except Exception:  # a kubeconfig without contexts (in-cluster): nothing to offer
            return []
        current = app.connection.context_name
        return [
            Candidate(
                f"context: {name}",
                f"Switch to context {name}" + (" · current" if name == current else ""),
                switch(name),
            )
            for name in names
        ]

    def _objects(self, app: KtuiApp) -> list[Candidate]:
        cluster = app.cluster
        if cluster is None:
            return []
        found: list[Candidate] = []
        workload_kind: dict[str, str] = {}
        for kind in WORKLOAD_KINDS:
            with contextlib.suppress(KeyError):
                for uid, obj in cluster.objects(kind).items():
                    workload_kind[uid] = kind
                    if len(found) < MAX_OBJECTS:
                        found.append(self._workload(app, uid, kind, obj))
        with contextlib.suppress(KeyError):
            for uid, obj in cluster.objects("Pod").items():
                if len(found) >= MAX_OBJECTS:
                    break
                owner = None
                for owner_uid in cluster.index.owner_chain(uid):
                    if owner_uid in workload_kind:
                        owner = owner_uid  # the outermost workload: CronJob over its Job
                found.append(self._pod(app, uid, obj, owner, workload_kind.get(owner or "")))
        return found

    def _workload(self, app: KtuiApp, uid: str, kind: str, obj: Obj) -> Candidate:
        metadata = obj.get("metadata") or {}
        name, namespace = metadata.get("name", ""), metadata.get("namespace", "")
        return Candidate(
            f"{kind.lower()} {name}",
            f"{kind} in {namespace}: select it",
            lambda: select_workload(app, uid, kind),
            discoverable=False,
        )

    def _pod(
        self, app: KtuiApp, uid: str, obj: Obj, owner: str | None, owner_kind: str | None
    ) -> Candidate:
        metadata = obj.get("metadata") or {}
        name, namespace = metadata.get("name", ""), metadata.get("namespace", "")

        def run() -> None:
            app.run_worker(select_pod(app, uid, owner, owner_kind), group="palette-select")

        return Candidate(f"pod {name}", f"Pod in {namespace}: select it", run, False)

    # ------------------------------------------------------------------ Provider

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for candidate in self.candidates:
            score = matcher.match(candidate.text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(candidate.text),
                    candidate.action,
                    text=candidate.text,
                    help=candidate.help,
                )

    async def discover(self) -> Hits:
        for candidate in self.candidates:
            if candidate.discoverable:
                yield DiscoveryHit(
                    candidate.text, candidate.action, text=candidate.text, help=candidate.help
                )
