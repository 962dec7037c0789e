"""Fixtures for the e2e tier: a real control plane (see controlplane.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

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
    with ControlPlane.start(workdir) as cp:
        yield cp
