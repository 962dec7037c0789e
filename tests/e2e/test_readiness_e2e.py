"""Why a pod is not ready, on the real control plane (issue "Live debugging starts from the
failing pod"): the pod detail's explanation of a pod whose init container fails names what
`kubectl describe pod` (v1.32, the oracle) shows for that init container, and the pod is in
the problems.

kube-apiserver v1.20.2 stores the pods; ktui's node agent is their kubelet (Timings scale 0.1).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from controlplane import ControlPlane
from e2e_support import create, kubectl, uid_of, wait_for

from ktui.cluster.connection import connect
from ktui.settings import Settings
from ktui.sim.lifecycle import CONTAINER_BEHAVIOR_PREFIX
from ktui.ui.app import make_app
from ktui.ui.screens.pod_detail import PodDetailScreen

pytestmark = pytest.mark.e2e

NS = "readiness-e2e"
IMAGES = "registry.example/ktui-readiness-e2e"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    kubectl(control_plane, "create", "namespace", NS)
    yield NS
    kubectl(control_plane, "delete", "namespace", NS, "--wait=false", check=False)


def failing_init_pod(name: str, namespace: str, restart_policy: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {CONTAINER_BEHAVIOR_PREFIX + "migrate": "exit=3 after=10s"},
        },
        "spec": {
            "restartPolicy": restart_policy,
            "initContainers": [
                {"name": "wait-for-db", "image": f"{IMAGES}/tools:1"},
                {"name": "migrate", "image": f"{IMAGES}/tools:1"},
            ],
            "containers": [{"name": "app", "image": f"{IMAGES}/app:1"}],
        },
    }


def described_init_state(
    cp: ControlPlane, namespace: str, pod: str, container: str
) -> dict[str, str]:
    """The `State:` block of one init container in `kubectl describe pod`: State, Reason, Exit
    Code (those present)."""
    out = kubectl(cp, "-n", namespace, "describe", "pod", pod).stdout
    section = out.split("Init Containers:", 1)[1].split("\nContainers:", 1)[0]
    block = section.split(f"\n  {container}:", 1)[1]
    block = re.split(r"\n  \S[^\n]*:\n", block, maxsplit=1)[0]
    found: dict[str, str] = {}
    lines = block.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("State:"):
            found["State"] = line.split(":", 1)[1].strip()
            for detail in lines[index + 1 :]:
                if not detail.startswith("      "):
                    break
                key, _, value = detail.strip().partition(":")
                found[key] = value.strip()
            break
    return found


async def test_not_ready_explanation_names_what_kubectl_describe_shows(
    control_plane: ControlPlane, namespace: str
) -> None:
    cp = control_plane
    pod = create(cp, failing_init_pod("migrate-once", namespace, "Never"))

    def failed() -> dict[str, str] | None:
        state = described_init_state(cp, namespace, "migrate-once", "migrate")
        return state if state.get("State") == "Terminated" else None

    state = wait_for("migrate to fail", failed)
    assert state is not None
    assert (state["Reason"], state["Exit Code"]) == ("Error", "3")

    settings = Settings(kubeconfig=str(cp.kubeconfig_path), context="admin", namespace=namespace)
    app = make_app(settings, connection=connect(settings))
    async with app.run_test(size=(160, 50)) as pilot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while (
            app.model.objects.get(uid_of(pod)) is None or app.model.triage.get(uid_of(pod)) is None
        ):
            assert loop.time() < deadline, "the pod never reached the model"
            await pilot.pause(0.05)
        app.open_screen("detail", uid_of(pod))
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, PodDetailScreen)
        said = str(screen.query_one("#pod-readiness").content)
        # kubectl: "State: Terminated / Reason: Error / Exit Code: 3" for init container migrate.
        assert said.startswith("Finished: the pod failed (Failed)"), said
        assert (
            f"Init container migrate has {state['State'].lower()}: "
            f"{state['Reason']} (exit {state['Exit Code']})" in said
        ), said
        problem = app.model.triage.get(uid_of(pod))
        assert problem is not None
        assert problem.reason.startswith("init container migrate failed: Error (3:"), problem
