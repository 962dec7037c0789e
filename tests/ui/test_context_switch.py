"""Switching context at run time (`:ctx NAME`) reconnects to the other cluster without a restart,
with its own API client, and an unknown context is one line while the app keeps running."""

from __future__ import annotations

from pathlib import Path

import yaml
from ui_support import deployment, wait_for

from ktui.cluster.connection import connect
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable


async def test_switch_context_with_a_command(tmp_path: Path) -> None:
    with SimServer(port=0) as east, SimServer(port=0) as west:
        east.store.create("apps", "deployments", deployment("east-web"))
        west.store.create("apps", "deployments", deployment("west-api"))
        first = east.write_kubeconfig(tmp_path / "east.yaml", context="east", namespace="default")
        second = west.write_kubeconfig(tmp_path / "west.yaml", context="west", namespace="default")
        # Two files in KUBECONFIG, merged as kubectl merges them: current-context from the first.
        environ = {"KUBECONFIG": f"{first}:{second}", "HOME": str(tmp_path)}
        connection = connect(Settings(), environ=environ)
        assert connection.context_name == "east"
        app = make_app(Settings(), connection=connection)
        async with app.run_test(size=(160, 50)) as pilot:
            workloads = app.screen.query_one("#workloads", LiveTable)

            def names() -> list[str]:
                return [str((workloads.row(k) or ("",))[0]) for k in workloads.ordered_keys()]

            await wait_for(pilot, lambda: names() == ["east-web"], "east's deployment")
            await pilot.press("colon", *"ctx west", "enter")
            await wait_for(pilot, lambda: names() == ["west-api"], "west's deployment only")
            assert app.connection.context_name == "west"
            assert app.connection.api_client is not connection.api_client
            await pilot.press("colon", *"ctx nowhere", "enter")
            await wait_for(
                pilot,
                lambda: any("nowhere" in str(n.message) for n in app._notifications),
                "a one-line error naming the unknown context",
            )
            assert app.connection.context_name == "west"
            assert names() == ["west-api"]


async def test_ctx_reads_the_kubeconfig_files_again(tmp_path: Path) -> None:
    with SimServer(port=0) as east, SimServer(port=0) as west:
        west.store.create("apps", "deployments", deployment("west-api"))
        path = Path(
            east.write_kubeconfig(tmp_path / "config.yaml", context="east", namespace="default")
        )
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(kubeconfig=str(path)), connection=connection)
        async with app.run_test(size=(160, 50)) as pilot:
            workloads = app.screen.query_one("#workloads", LiveTable)
            # A context added to the file after start-up, as `kubectl config set-context` would.
            west.write_kubeconfig(tmp_path / "west.yaml", context="west", namespace="default")
            merged = yaml.safe_load(path.read_text())
            extra = yaml.safe_load((tmp_path / "west.yaml").read_text())
            for section in ("clusters", "users", "contexts"):
                merged[section] += extra[section]
            path.write_text(yaml.safe_dump(merged))
            await pilot.press("colon", *"ctx west", "enter")
            await wait_for(pilot, lambda: workloads.total_count == 1, "west's deployment")
            assert app.connection.context_name == "west"


async def test_ctx_to_a_context_whose_namespace_does_not_exist_there_says_so(
    tmp_path: Path,
) -> None:
    """The new cluster's namespaces are checked, not the old one's: west has no `shop`."""
    with SimServer(port=0) as east, SimServer(port=0) as west:
        east.store.create("", "namespaces", {"metadata": {"name": "shop"}})
        first = east.write_kubeconfig(tmp_path / "east.yaml", context="east", namespace="shop")
        second = west.write_kubeconfig(tmp_path / "west.yaml", context="west", namespace="shop")
        environ = {"KUBECONFIG": f"{first}:{second}", "HOME": str(tmp_path)}
        app = make_app(Settings(), connection=connect(Settings(), environ=environ))
        async with app.run_test(size=(160, 50)) as pilot:
            main = app.screen
            await wait_for(pilot, lambda: "shop" in main._known_namespaces, "east's namespaces")  # type: ignore[attr-defined]
            assert not any("does not exist" in m.message for m in app.message_log)
            await pilot.press("colon", *"ctx west", "enter")
            await wait_for(
                pilot,
                lambda: any("'shop' does not exist" in m.message for m in app.message_log),
                "the namespace missing in west said",
            )
            assert "shop" not in main._known_namespaces  # type: ignore[attr-defined]
