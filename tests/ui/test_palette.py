"""The command palette's provider: kinds, namespaces, contexts and objects, and choosing them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui_support import deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.palette import KtuiCommands
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.main import MainScreen

Obj = dict[str, Any]


def seed(sim: SimServer) -> dict[str, Obj]:
    store = sim.store
    store.create("", "namespaces", {"metadata": {"name": "team-b"}})
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    created = store.create("", "pods", pod(rs, "zzzzz"))
    store.update("", "pods", {**created, "status": running_status()}, subresource="status")
    api = store.create("apps", "deployments", deployment("api", replicas=1))
    db = store.create(
        "apps",
        "statefulsets",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {
                "replicas": 1,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
                },
            },
        },
    )
    return {"web": web, "api": api, "db": db, "pod": created}


async def hits(app: KtuiApp, query: str) -> dict[str, Any]:
    provider = KtuiCommands(app.screen)
    await provider.startup()
    found = {}
    async for hit in provider.search(query):
        found[str(hit.text)] = hit
    return found


async def started(app: KtuiApp, pilot: Any, objs: dict[str, Obj]) -> MainScreen:
    main = app.screen
    assert isinstance(main, MainScreen)
    await wait_for(pilot, lambda: main.workloads.total_count == 3, "three workloads")
    # The palette offers what the app's model holds (fed by batches), not the caches.
    await wait_for(
        pilot,
        lambda: objs["pod"]["metadata"]["uid"] in app.model.objects.objects("Pod"),
        "the pod in the model",
    )
    return main


async def test_provider_offers_kinds_namespaces_contexts_and_objects(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        await started(app, pilot, objs)
        assert "kind: StatefulSets" in await hits(app, "statef")
        namespaces = await hits(app, "namespace")
        # Listed from the API (team-b has nothing cached) and the bootstrap namespaces.
        assert {"namespace: team-b", "namespace: kube-system", "namespace: all namespaces"} <= set(
            namespaces
        )
        contexts = await hits(app, "context")
        assert [t for t in contexts if t.startswith("context: ")] == [
            f"context: {name}" for name in app.connection.kubeconfig.contexts()
        ]
        objects = await hits(app, "web")
        pod_name = objs["pod"]["metadata"]["name"]
        assert "deployment web" in objects
        assert f"pod {pod_name}" in objects

        # Discovery (empty input) lists kinds and namespaces, not every object.
        provider = KtuiCommands(app.screen)
        await provider.startup()
        discovered = [str(hit.text) async for hit in provider.discover()]
        assert "kind: Deployments" in discovered
        assert "deployment web" not in discovered


async def test_choosing_hits_changes_the_view(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        main = await started(app, pilot, objs)

        # A kind: the workloads pane shows only StatefulSets.
        (await hits(app, "kind statefulsets"))["kind: StatefulSets"].command()
        await pilot.pause()
        assert main.kind_filter == "StatefulSet"
        assert main.workloads.ordered_keys() == [objs["db"]["metadata"]["uid"]]

        # An object hidden by the kind filter: the filter switches and the cursor lands on it.
        (await hits(app, "deployment api"))["deployment api"].command()
        await pilot.pause()
        assert main.workloads.cursor_key == objs["api"]["metadata"]["uid"]
        assert main.kind_filter == "Deployment"

        # A pod: its workload is selected, then the pod in the pods pane.
        pod_name = objs["pod"]["metadata"]["name"]
        (await hits(app, pod_name))[f"pod {pod_name}"].command()
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(
            pilot, lambda: pods.cursor_key == objs["pod"]["metadata"]["uid"], "the pod selected"
        )
        assert main.workloads.cursor_key == objs["web"]["metadata"]["uid"]
        assert app.screen.focused is pods

        # A namespace: the scope switches.
        (await hits(app, "namespace team-b"))["namespace: team-b"].command()
        await wait_for(pilot, lambda: app.connection.namespace == "team-b", "scope team-b")


async def test_palette_from_the_keyboard(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        main = await started(app, pilot, objs)
        await pilot.press("ctrl+p")
        await pilot.press(*"kind: StatefulSets")

        def first_option() -> str:
            lists = app.screen.query("CommandList")
            if not lists or lists.first().option_count == 0:  # type: ignore[attr-defined]
                return ""
            return str(lists.first().get_option_at_index(0).prompt)  # type: ignore[attr-defined]

        await wait_for(pilot, lambda: "kind: StatefulSets" in first_option(), "the hit listed")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: main.kind_filter == "StatefulSet", "StatefulSets shown")
        assert app.screen is main


async def test_every_object_is_searched_and_a_cut_is_said(
    sim: SimServer, connect_to: Callable[..., Connection], monkeypatch: Any
) -> None:
    import ktui.ui.palette as palette

    # Small limits stand for the real ones (200 hits, chunks of 2000) at 100,000 pods.
    monkeypatch.setattr(palette, "MAX_OBJECT_HITS", 5)
    monkeypatch.setattr(palette, "SEARCH_CHUNK", 4)
    objs = seed(sim)
    rs = sim.store.get("apps", "replicasets", "default", "web-abc12")
    names = [f"q{index:03d}x" for index in range(30)]
    for suffix in names:
        sim.store.create("", "pods", pod(rs, suffix))
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        await started(app, pilot, objs)
        await wait_for(
            pilot, lambda: len(app.model.objects.objects("Pod")) == 31, "every pod in the model"
        )
        found = await hits(app, "pod q0")
        object_hits = [t for t in found if t.startswith("pod ")]
        assert len(object_hits) == 5
        assert "… 25 more objects match: type more of the name" in found
        # The last pod created is found by its name, however many come before it.
        last = f"pod web-abc12-{names[-1]}"
        exact = await hits(app, names[-1])
        assert last in exact
        assert not any(t.startswith("…") for t in exact)


async def choose_in_palette(app: KtuiApp, pilot: Any, text: str) -> None:
    """ctrl+p, type `text`, wait for the entry it names to be listed first and highlighted
    (the palette highlights its best hit), and choose it with enter."""
    await pilot.press("ctrl+p")
    await pick_in_list(app, pilot, text)


async def pick_in_list(app: KtuiApp, pilot: Any, text: str) -> None:
    """In an open palette (or Textual's theme picker, a palette too), type `text`, wait for
    the entry it names to be highlighted first, and choose it with enter."""
    await pilot.press(*text)

    def first_highlighted() -> str:
        lists = app.screen.query("CommandList")
        if not lists or lists.first().highlighted != 0:  # type: ignore[attr-defined]
            return ""
        return str(lists.first().get_option_at_index(0).prompt)  # type: ignore[attr-defined]

    await wait_for(pilot, lambda: first_highlighted().startswith(text), f"{text} highlighted")
    await pilot.press("enter")


async def test_palette_keys_opens_ktui_help_and_esc_closes_it(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        main = await started(app, pilot, objs)
        await choose_in_palette(app, pilot, "Keys")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "ktui's help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.target is main
        assert "main.filter" in help_screen.shown_text()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "help closed")


async def test_palette_screenshot_saves_under_the_state_directory_and_says_where(
    sim: SimServer, connect_to: Callable[..., Connection], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        main = await started(app, pilot, objs)
        await choose_in_palette(app, pilot, "Screenshot")
        shots = tmp_path / "state" / "ktui" / "screenshots"
        await wait_for(pilot, lambda: shots.is_dir() and any(shots.iterdir()), "a screenshot")
        (saved,) = shots.iterdir()
        assert saved.suffix == ".svg" and "web" in saved.read_text(encoding="utf-8")
        await wait_for(
            pilot,
            lambda: any(str(saved) in str(n.message) for n in app._notifications),
            "the path in a toast",
        )
        assert app.screen is main


async def test_palette_screenshot_that_cannot_be_saved_says_why(
    sim: SimServer, connect_to: Callable[..., Connection], tmp_path: Path, monkeypatch: Any
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory would go", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        main = await started(app, pilot, objs)
        await choose_in_palette(app, pilot, "Screenshot")
        await wait_for(
            pilot,
            lambda: any(
                "Could not save the screenshot" in str(n.message) for n in app._notifications
            ),
            "the failure said",
        )
        assert app.screen is main


async def test_palette_theme_quit_and_maximize_entries_work(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        main = await started(app, pilot, objs)
        # Maximize the focused pane, then Minimize it back.
        await choose_in_palette(app, pilot, "Maximize")
        await wait_for(pilot, lambda: main.maximized is main.workloads, "workloads maximized")
        await choose_in_palette(app, pilot, "Minimize")
        await wait_for(pilot, lambda: main.maximized is None, "back to normal size")
        # Theme: Textual's theme picker; choosing a theme applies it.
        before = app.theme
        await choose_in_palette(app, pilot, "Theme")
        await wait_for(pilot, lambda: app.screen is not main, "the theme picker")
        wanted = "nord" if before != "nord" else "gruvbox"
        await pick_in_list(app, pilot, wanted)
        await wait_for(pilot, lambda: app.screen is main, "the picker closed")
        assert app.theme == wanted
        # Quit quits.
        await choose_in_palette(app, pilot, "Quit")
        await wait_for(pilot, lambda: not app.is_running, "the app quit")
