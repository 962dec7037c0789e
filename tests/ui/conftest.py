"""Fixtures for UI tests: the embedded API server and an app connected to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.cluster.connection import Connection, connect
from ktui.settings import Settings
from ktui.sim.server import SimServer


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own ~/.config/ktui/config.yaml."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(port=0) as server:
        yield server


@pytest.fixture
def connect_to(sim: SimServer, tmp_path: Path) -> Callable[..., Connection]:
    path = str(tmp_path / "kubeconfig")
    sim.write_kubeconfig(path, namespace="default")

    def make(**settings: Any) -> Connection:
        return connect(Settings(kubeconfig=path, **settings))

    return make
