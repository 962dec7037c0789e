"""Fixtures for the e2e tier: a real control plane (see controlplane.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from controlplane import ControlPlane, ensure_built  # noqa: E402

_BUILD_REASON = pytest.StashKey[str | None]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: needs the real control plane (kube-apiserver v1.20.2 built from Debian's source)",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # Build (if needed) here, before any test runs, so the ~10 minute first
    # build does not count against a per-test timeout.
    if config.option.collectonly:
        return
    if any("control_plane" in getattr(item, "fixturenames", ()) for item in items):
        config.stash[_BUILD_REASON] = ensure_built()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def control_plane(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ControlPlane]:
    """A running etcd + kube-apiserver + controller-manager + scheduler.

    With CI=true a missing/unbuildable control plane fails; otherwise it skips.
    """
    stash = request.config.stash
    reason = stash[_BUILD_REASON] if _BUILD_REASON in stash else ensure_built()
    if reason is not None:
        if _in_ci():
            pytest.fail(f"e2e control plane required in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("controlplane")
    with ControlPlane.start(workdir, node_agent=start_node_agent) as cp:
        yield cp


def start_node_agent(cp: ControlPlane) -> Any:
    """ktui's node agent as the kubelet of the harness's nodes: keeps them Ready (heartbeats and
    Leases) and drives their pods through their lifecycle, over HTTP. kube-controller-manager
    does the node lifecycle part on a real control plane, so the agent does not."""
    from kubernetes import config

    from ktui.sim.httpclient import HttpClient
    from ktui.sim.nodeagent import NodeAgent, Timings

    api = config.new_client_from_config(config_file=str(cp.kubeconfig_path), context="admin")
    agent = NodeAgent(
        HttpClient(api),
        cp.node_names,
        timings=Timings(scale=0.1),
        create_nodes=False,
        node_lifecycle=False,
        register_logs=False,
    )
    return agent.start()
