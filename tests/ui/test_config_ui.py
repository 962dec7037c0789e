"""The config file applied to the running app: keymap, theme, readonly, namespace, bad files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ui_support import deployment, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config, parse_config
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.screens.help import HelpScreen, binding_table
from ktui.ui.screens.main import MainScreen


def notifications(app: KtuiApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


async def test_keymap_remaps_a_binding(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    sim.store.create("apps", "deployments", deployment("web"))
    config = parse_config({"keymap": {"main.next_kind": "x"}})
    app = make_app(Settings(), connection=connect_to(), config=config)
    async with app.run_test(size=(140, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.workloads.total_count == 1, "the deployment")
        await pilot.press("right_square_bracket")  # the default key no longer does it
        assert main.kind_filter is None
        await pilot.press("x")
        assert main.kind_filter == "Deployment"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        rows = [
            [cell.plain if hasattr(cell, "plain") else str(cell) for cell in row]
            for row in zip(*(c._cells for c in binding_table(main).columns), strict=True)
        ]
        assert ["x", "Next kind", "main.next_kind"] in rows


async def test_invalid_config_file_warns_and_the_app_runs(
    sim: SimServer,
    connect_to: Callable[..., Connection],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "ktui").mkdir()
    (tmp_path / "ktui" / "config.yaml").write_text("keymap: [oops]\n", encoding="utf-8")
    sim.store.create("apps", "deployments", deployment("web"))
    app = make_app(Settings(), connection=connect_to())  # reads the file from the XDG path
    async with app.run_test(size=(140, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.workloads.total_count == 1, "the app works")
        warnings = [m for m, severity in notifications(app) if severity == "warning"]
        assert len(warnings) == 1
        assert warnings[0].startswith("Config ignored: ")
        assert "keymap must map binding ids to keys" in warnings[0]
        assert "\n" not in warnings[0]


async def test_theme_readonly_and_namespace_from_config(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    config = parse_config({"theme": "nord", "readonly": True, "namespace": {"default": "all"}})
    app = make_app(Settings(), connection=connect_to(), config=config)
    async with app.run_test(size=(140, 40)):
        assert app.theme == "nord"
        assert app.readonly
        assert app.connection.namespace is None
    # -n on the command line wins over namespace.default.
    explicit = make_app(
        Settings(namespace="default"), connection=connect_to(namespace="default"), config=config
    )
    assert explicit.connection.namespace == "default"


async def test_unknown_theme_is_a_warning(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    app = make_app(Settings(), connection=connect_to(), config=Config(theme="no-such-theme"))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        warnings = [m for m, severity in notifications(app) if severity == "warning"]
        assert any("unknown theme 'no-such-theme'" in w for w in warnings)
        assert app.theme != "no-such-theme"


async def test_readonly_survives_an_invalid_keymap_entry(
    sim: SimServer,
    connect_to: Callable[..., Connection],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "ktui").mkdir()
    (tmp_path / "ktui" / "config.yaml").write_text(
        "readonly: true\nkeymap:\n  rollout.undo: 5\n", encoding="utf-8"
    )
    web = sim.store.create("apps", "deployments", deployment("web"))
    app = make_app(Settings(), connection=connect_to())  # reads the file from the XDG path
    async with app.run_test(size=(140, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.workloads.total_count == 1, "the deployment")
        assert app.readonly
        warnings = [m for m, severity in notifications(app) if severity == "warning"]
        assert len(warnings) == 1 and "keymap.rollout.undo" in warnings[0]
        # The mutating keys are removed: `s` opens no scale dialog, `u` plans no undo.
        await pilot.press("s", "u")
        await pilot.pause()
        assert app.screen is main
        assert (
            web["spec"]["replicas"]
            == sim.store.get("apps", "deployments", "default", "web")["spec"]["replicas"]
        )
