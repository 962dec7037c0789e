"""A stuck rollout on the real control plane (issue "Rollbacks you can trust mid-incident"): a
Deployment rolled to an image that does not exist is reported stuck, with the reason its new
pods show, long before kube-controller-manager's progress deadline: in HEALTH, in the problems
(`!`, issue 11) and on the rollout screen.

kube-controller-manager v1.20 runs the rollout; ktui's node agent is the kubelet (an image named
`...:does-not-exist` fails to pull: ErrImagePull, then ImagePullBackOff). The ground truth is
`kubectl get -o json` of the pods and `kubectl rollout status`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from controlplane import ControlPlane
from e2e_support import controlled_by, create, get_items, kubectl, uid_of, wait_for
from test_ui_e2e import app_for, deployment, panes, rolled_out, ui_wait
from textual.widgets import Static

from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.rollout import ConfirmScreen, RolloutScreen

pytestmark = pytest.mark.e2e

NS = "stuck-e2e"
IMAGES = "registry.example/ktui-stuck-e2e"
PULL_REASONS = ("ErrImagePull", "ImagePullBackOff")


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    kubectl(control_plane, "create", "namespace", NS)
    yield NS
    kubectl(control_plane, "delete", "namespace", NS, "--wait=false", check=False)


def waiting_reasons(pod: dict[str, Any]) -> set[str]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return {
        str(((s.get("state") or {}).get("waiting") or {}).get("reason") or "") for s in statuses
    } - {""}


def plain(cell: Any) -> str:
    return cell if isinstance(cell, str) else str(getattr(cell, "plain", cell))


async def test_rollout_to_a_missing_image_is_reported_stuck_with_the_pods_reason(
    control_plane: ControlPlane, namespace: str
) -> None:
    cp = control_plane
    web = create(cp, deployment("web", namespace, replicas=2, image=f"{IMAGES}/web:1"))
    rolled_out(cp, namespace, "deployment", "web")
    kubectl(
        cp, "-n", namespace, "set", "image", "deployment/web", f"app={IMAGES}/web:does-not-exist"
    )

    def new_replicaset() -> str | None:
        for rs in controlled_by_items(cp, namespace, uid_of(web)):
            annotations = rs["metadata"].get("annotations") or {}
            if annotations.get("deployment.kubernetes.io/revision") == "2":
                return uid_of(rs)
        return None

    new_rs = wait_for("the new ReplicaSet", new_replicaset)

    def new_pods_reasons() -> set[str] | None:
        pods = get_items(cp, "pods", namespace)
        mine = controlled_by(pods, new_rs)
        reasons: set[str] = set()
        for pod in pods:
            if uid_of(pod) in mine:
                reasons |= waiting_reasons(pod)
        return reasons if reasons & set(PULL_REASONS) else None

    # The server's word first: the new pods cannot pull their image.
    wait_for("the new pods to fail pulling", new_pods_reasons)
    # kubectl agrees the rollout is not done (its deadline is ten minutes away).
    status = kubectl(
        cp, "-n", namespace, "rollout", "status", "deployment/web", "--timeout=1s", check=False
    )
    assert status.returncode != 0
    assert "Waiting for deployment" in status.stdout

    app = app_for(cp, namespace)
    async with app.run_test(size=(160, 50)) as pilot:
        workloads, _children, _pods = panes(app)
        health = [c.key for c in workloads.columns].index("health")

        def health_cell() -> str:
            row = workloads.row(uid_of(web))
            return plain(row[health]) if row is not None else ""

        await ui_wait(
            pilot,
            "HEALTH to say the rollout is stuck pulling the image",
            lambda: health_cell() in {f"✖ stuck: {reason}" for reason in PULL_REASONS},
            health_cell,
        )
        # The back-off keeps coming back: the cell follows the pods to ImagePullBackOff.
        await ui_wait(
            pilot,
            "HEALTH to read ImagePullBackOff",
            lambda: health_cell() == "✖ stuck: ImagePullBackOff",
            health_cell,
        )
        # The problems (`!`) list it with the same verdict, its deadline minutes away.
        await pilot.press("exclamation_mark")
        await ui_wait(pilot, "the problems screen", lambda: isinstance(app.screen, ProblemsScreen))
        problems = app.screen
        assert isinstance(problems, ProblemsScreen)

        def listed() -> str:
            row = problems.table.row(uid_of(web))
            return plain(row[4]) if row is not None else ""

        await ui_wait(
            pilot,
            "the problems to list web as stuck by its pods' reason",
            lambda: listed().startswith(tuple(f"{r} · Rollout stuck: " for r in PULL_REASONS)),
            listed,
        )
        assert "new pod" in listed() and "does-not-exist" in listed()
        await pilot.press("escape")
        await ui_wait(pilot, "back to the workloads", lambda: app.screen is not problems)
        assert workloads.move_cursor_to_key(uid_of(web))
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        problem = app.screen.query_one("#rollout-problem", Static)

        def problem_text() -> str:
            options = app.console.options.update(width=200)
            return "".join(s.text for s in app.console.render(problem.content, options))

        await ui_wait(
            pilot,
            "the rollout screen to say why",
            lambda: "Rollout stuck:" in problem_text() and "Press u" in problem_text(),
            problem_text,
        )
        text = problem_text()
        assert any(reason in text for reason in PULL_REASONS)
        assert "does-not-exist" in text  # the kubelet's message names the image
        assert "Progress deadline in" in text
        # The hint's key: undo to the previous revision, confirmed with the diff.
        await pilot.press("u")
        await ui_wait(pilot, "the undo confirmation", lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        rolled_out(cp, namespace, "deployment", "web")
    restored = kubectl(cp, "-n", namespace, "get", "deployment/web", "-o", "json").stdout
    assert f"{IMAGES}/web:1" in restored


def controlled_by_items(cp: ControlPlane, namespace: str, owner: str) -> list[dict[str, Any]]:
    replicasets = get_items(cp, "replicasets", namespace)
    uids = controlled_by(replicasets, owner)
    return [rs for rs in replicasets if uid_of(rs) in uids]
