"""The command palette (ctrl+p): jump to a kind, a namespace, a context, or an object by name.

Objects are every workload and pod the app's model holds, searched a chunk at a time; the best
matches are listed and the rest counted. Choosing a workload moves the workloads pane's cursor
onto it; choosing a pod selects its workload, then the pod in the pods pane. Namespaces are
those seen in the model plus, when the server allows it, a quick list of all.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.markup import escape

from ktui.cluster.kinds import KINDS_BY_NAME, WORKLOAD_KINDS
from ktui.cluster.namespaces import list_namespace_names
from ktui.render.safe import visible

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp
    from ktui.ui.screens.main import MainScreen

Obj = dict[str, Any]

MAX_OBJECT_HITS = 200
"""Object hits shown at most (the best-scoring); a last line says how many more matched."""
SEARCH_CHUNK = 2000
"""Objects matched between two yields to the event loop, so typing stays responsive."""
NAMESPACE_LIST_TIMEOUT = (2.0, 3.0)


@dataclass(frozen=True)
class Candidate:
    text: str
    help: str
    action: Callable[[], Any]
    discoverable: bool = True

    def __post_init__(self) -> None:
        # Textual parses a hit's text and help as markup: names from the cluster (or a
        # kubeconfig) are escaped (`ktui.render.safe`) and their markup neutralised.
        object.__setattr__(self, "text", escape(visible(self.text)))
        object.__setattr__(self, "help", escape(visible(self.help)))


def after_close(app: KtuiApp, select: Callable[[MainScreen], object]) -> Callable[[], None]:
    """A command that selects on the main screen once the palette has closed (closing gives the
    focus back to what had it before, which would undo the selection's focus)."""

    def run() -> None:
        main = app.back_to_main()
        main.call_after_refresh(select, main)

    return run


class KtuiCommands(Provider):
    """Kinds, namespaces, contexts and cached objects, matched fuzzily."""

    async def startup(self) -> None:
        app: KtuiApp = self.app  # type: ignore[assignment]
        self.candidates: list[Candidate] = []
        self.candidates += self._kinds(app)
        self.candidates += self._namespaces(app, await self._namespace_names(app))
        self.candidates += self._contexts(app)

    # ------------------------------------------------------------------ candidates

    def _kinds(self, app: KtuiApp) -> list[Candidate]:
        def show(kind: str | None) -> Callable[[], None]:
            def run() -> None:
                main = app.back_to_main()
                main.show_kind(kind)
                main.workloads.focus()

            return run

        def problems() -> None:
            app.back_to_main()
            app.open_screen("problems", "")

        def messages() -> None:
            app.back_to_main()
            app.open_screen("messages", "")

        found = [Candidate("kind: all workloads", "Show every workload kind (:all)", show(None))]
        found.append(
            Candidate(
                "problems: what is not fine",
                "Every pod, workload and node that is not fine, worst first (!)",
                problems,
            )
        )
        found.append(
            Candidate(
                "messages: what ktui said",
                "Every message of this run, toasts that went included, newest first (:messages)",
                messages,
            )
        )
        for kind in WORKLOAD_KINDS:
            label = KINDS_BY_NAME[kind].label
            found.append(Candidate(f"kind: {label}", f"Show only {label}", show(kind)))
        found.append(
            Candidate("kind: Pods", "Every pod in scope, whatever owns it (:pods)", show("Pod"))
        )
        return found

    async def _namespace_names(self, app: KtuiApp) -> list[str]:
        names: set[str] = set()
        for kind in ("Pod", *WORKLOAD_KINDS):
            for obj in app.model.objects.objects(kind).values():
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
                app.back_to_main()
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
                app.back_to_main()
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

    def _object_texts(self, app: KtuiApp) -> list[tuple[str, str, Obj]]:
        """(kind, uid, object) of every workload and pod the model holds, as of now."""
        objects = app.model.objects
        found: list[tuple[str, str, Obj]] = []
        for kind in (*WORKLOAD_KINDS, "Pod"):
            found.extend((kind, uid, obj) for uid, obj in objects.objects(kind).items())
        return found

    def _object_candidate(self, app: KtuiApp, kind: str, uid: str, obj: Obj) -> Candidate:
        if kind == "Pod":
            return self._pod(app, uid, obj)
        return self._workload(app, uid, kind, obj)

    def _workload(self, app: KtuiApp, uid: str, kind: str, obj: Obj) -> Candidate:
        metadata = obj.get("metadata") or {}
        name, namespace = metadata.get("name", ""), metadata.get("namespace", "")
        return Candidate(
            f"{kind.lower()} {name}",
            f"{kind} in {namespace}: select it",
            after_close(app, lambda main: main.select_workload(uid)),
            discoverable=False,
        )

    def _pod(self, app: KtuiApp, uid: str, obj: Obj) -> Candidate:
        metadata = obj.get("metadata") or {}
        name, namespace = metadata.get("name", ""), metadata.get("namespace", "")
        return Candidate(
            f"pod {name}",
            f"Pod in {namespace}: select it",
            after_close(app, lambda main: main.select_pod(uid)),
            discoverable=False,
        )

    # ------------------------------------------------------------------ Provider

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for candidate in self.candidates:
            score = matcher.match(candidate.text)
            if score > 0:
                yield self._hit(matcher, score, candidate)
        async for hit in self._object_hits(matcher, query):
            yield hit

    def _hit(self, matcher: Matcher, score: float, candidate: Candidate) -> Hit:
        return Hit(
            score,
            matcher.highlight(candidate.text),
            candidate.action,
            text=candidate.text,
            help=candidate.help,
        )

    async def _object_hits(self, matcher: Matcher, query: str) -> Hits:
        """Every cached workload and pod is searched, a chunk at a time (a new keystroke cancels
        the search between chunks); the best MAX_OBJECT_HITS are offered, and a last line says
        how many more matched, so a cut is never silent."""
        app: KtuiApp = self.app  # type: ignore[assignment]
        needed = set(query.lower().replace(" ", ""))
        best: list[tuple[float, int, str, str, Obj]] = []
        matched = 0
        for index, (kind, uid, obj) in enumerate(self._object_texts(app)):
            if index % SEARCH_CHUNK == SEARCH_CHUNK - 1:
                await asyncio.sleep(0)
            text = f"{kind.lower()} {(obj.get('metadata') or {}).get('name', '')}"
            # Every query letter must occur for a fuzzy match: a cheap test first.
            if not all(letter in text for letter in needed):
                continue
            score = matcher.match(text)
            if score <= 0:
                continue
            matched += 1
            entry = (score, -index, kind, uid, obj)
            if len(best) < MAX_OBJECT_HITS:
                heapq.heappush(best, entry)
            elif entry > best[0]:
                heapq.heapreplace(best, entry)
        for score, _index, kind, uid, obj in sorted(best, reverse=True):
            yield self._hit(matcher, score, self._object_candidate(app, kind, uid, obj))
        if matched > len(best):
            more = matched - len(best)
            text = f"… {more} more objects match: type more of the name"
            yield Hit(
                0.0001, text, lambda: None, text=text, help="Only the best matches are listed"
            )

    async def discover(self) -> Hits:
        for candidate in self.candidates:
            if candidate.discoverable:
                yield DiscoveryHit(
                    candidate.text, candidate.action, text=candidate.text, help=candidate.help
                )
