"""ktui's rollout operations side by side with kubectl v1.32 on the real control plane
(kube-apiserver and kube-controller-manager v1.20.2; ktui's node agent makes the pods Ready).

- status: ktui's status, recomputed on every watch event of a Deployment through a rolling
  update, says what `kubectl rollout status --watch` printed, and ends where kubectl ends;
- history and undo on twins ("web-a" changed by kubectl, "web-b" by ktui) for a Deployment, a
  StatefulSet and a DaemonSet: the same history text, then the same template, revision and
  history after an undo to the previous revision and to a chosen one, and the same skip;
- restart / pause / resume / scale on twins: the same output, errors and resulting objects;
- the viewer context, which may read but not patch Deployments in its namespace: ktui's undo
  and restart fail with the server's 403 message, the text kubectl shows;
- the rollout screen's `enter` on a history row, confirmed, leaves a twin where
  `kubectl rollout undo --to-revision=N` leaves the other.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from controlplane import VIEWER_NAMESPACE, ControlPlane
from e2e_support import running_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))

from rollout_support import (
    KUBECTL_TYPES,
    StatusWatch,
    Workbench,
    assert_kubectl_tail,
    assert_restart_pause_resume_scale_twins,
    assert_twins_agree,
    change_image,
    dedup,
    ktui_undo,
    make_twins,
    manifest,
    poll,
    untwin,
)
from textual.widgets import Static

from ktui.cluster.connection import Connection, connect
from ktui.cluster.kinds import DEPLOYMENT, POD, REPLICA_SET
from ktui.cluster.rollout import (
    RolloutError,
    execute_undo,
    fetch_workload,
    plan_undo,
    restart,
    rollout_history,
    rollout_status,
)
from ktui.config import Config
from ktui.model.workloads import WorkloadTree
from ktui.settings import Settings
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.rollout import ConfirmScreen, RolloutScreen
from ktui.view.rollout_tree import RolloutTree, build_rollout_tree

pytestmark = pytest.mark.e2e

# Rollouts on the real controllers take a few seconds each; these are generous deadlines.
SETTLE = 90.0
_NAMESPACE_NUMBERS = itertools.count(1)
NAME = "rollout-undo"


@pytest.fixture(scope="module")
def admin(control_plane: ControlPlane) -> Iterator[Connection]:
    conn = connect(Settings(kubeconfig=str(control_plane.kubeconfig_path), context="admin"))
    yield conn
    conn.close()


@pytest.fixture
def bench(control_plane: ControlPlane, admin: Connection) -> Workbench:
    namespace = f"rollout-{next(_NAMESPACE_NUMBERS)}"
    workbench = Workbench(
        str(control_plane.kubeconfig_path),
        admin.api_client,
        namespace,
        context="admin",
        settle_timeout=SETTLE,
    )
    workbench.kubectl("create", "namespace", namespace)
    return workbench


def test_deployment_status_matches_kubectl_through_a_rolling_update(bench: Workbench) -> None:
    """Held with `rollout pause` until both watchers saw the object, then resumed: kubectl and
    ktui follow the same rolling update event by event and finish on the same event."""
    bench.create(manifest("Deployment", "web"))
    bench.settled("Deployment", "web")
    bench.kubectl("rollout", "pause", "deployment/web")
    bench.kubectl("set", "image", "deployment/web", "c=img:v2")
    poll(
        lambda: rollout_status(bench.get("Deployment", "web")).observed,
        "kube-controller-manager observed the paused change",
        SETTLE,
    )
    ours = StatusWatch(bench.api, "Deployment", bench.ns, "web").start()
    theirs = bench.kubectl_in_background("rollout", "status", "deployment/web", "--watch")
    poll(lambda: theirs.lines and ours.messages, "both watchers printed the paused status", 60)
    bench.kubectl("rollout", "resume", "deployment/web")

    code, lines, stderr = theirs.wait(SETTLE)
    messages = ours.wait(30)
    assert (code, stderr) == (0, "")
    assert_kubectl_tail(lines, messages)
    assert dedup(lines) == dedup(messages)
    assert lines[-1] == messages[-1] == 'deployment "web" successfully rolled out\n'
    assert (
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been '
        "updated...\n" in messages
    )


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet"])
def test_history_and_undo_twins_match_kubectl(bench: Workbench, kind: str) -> None:
    make_twins(bench, kind)
    assert_twins_agree(bench, kind)
    kind_arg = KUBECTL_TYPES[kind]
    for to_revision, image in ((0, "img:v2"), (1, "img:v1")):
        theirs = bench.kubectl(
            "rollout", "undo", f"{kind_arg}/web-a", f"--to-revision={to_revision}"
        )
        ours = ktui_undo(bench, kind, "web-b", to_revision)
        assert (untwin(ours[0], "web-b"), ours[1]) == (untwin(theirs.stdout, "web-a"), "")
        assert theirs.stdout.endswith(" rolled back\n")
        settled = bench.settled(kind, "web-b")
        assert settled["spec"]["template"]["spec"]["containers"][0]["image"] == image
        assert_twins_agree(bench, kind)
    # The revision each twin is at now: both skip, with the same words.
    current = rollout_history(kind, *fetch_workload(bench.api, kind, bench.ns, "web-a"))
    at = max(r.revision for r in current if r.is_current)
    theirs = bench.kubectl("rollout", "undo", f"{kind_arg}/web-a", f"--to-revision={at}")
    ours = ktui_undo(bench, kind, "web-b", at)
    assert (untwin(ours[0], "web-b"), ours[1]) == (untwin(theirs.stdout, "web-a"), "")
    assert "skipped rollback" in theirs.stdout
    assert_twins_agree(bench, kind)


async def test_enter_on_a_history_row_matches_kubectl_rollout_undo_to_revision(
    bench: Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twins at revision 3: kubectl undoes web-a to revision 1; in the app, enter on web-b's
    revision 1 row and `y` in the confirmation. Both end with the same template, revision and
    history, and the app says kubectl's line."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    make_twins(bench, "Deployment")
    theirs = bench.kubectl("rollout", "undo", "deployment/web-a", "--to-revision=1")
    assert theirs.stdout == "deployment.apps/web-a rolled back\n"
    web_b = fetch_workload(bench.api, "Deployment", bench.ns, "web-b")[0]["metadata"]["uid"]
    settings = Settings(kubeconfig=bench.kubeconfig, context="admin", namespace=bench.ns)
    app = make_app(settings, connection=connect(settings), config=Config())
    async with app.run_test(size=(160, 50)) as pilot:

        async def until(what: str, condition: Callable[[], object]) -> None:
            deadline = time.monotonic() + SETTLE
            while not condition():
                assert time.monotonic() < deadline, f"timed out waiting for {what}"
                await pilot.pause(0.05)

        workloads = app.screen.query_one("#workloads", LiveTable)
        await until("web-b listed", lambda: workloads.row(web_b) is not None)
        workloads.move_cursor_to_key(web_b)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        history = screen.query_one("#history", LiveTable)
        await until("three revisions", lambda: sorted(history.ordered_keys()) == ["1", "2", "3"])
        history.move_cursor_to_key("1")
        await pilot.press("enter")
        await until("the confirmation", lambda: isinstance(app.screen, ConfirmScreen))
        assert "back to revision 1?" in str(app.screen.title_text)
        await pilot.press("y")
        # kubectl's line, on the rollout screen itself (under its status), not as a toast.
        outcome = screen.query_one("#rollout-outcome", Static)
        await until(
            "kubectl's line",
            lambda: str(outcome.content).endswith("✔ deployment.apps/web-b rolled back"),
        )
    settled = bench.settled("Deployment", "web-b")
    assert settled["spec"]["template"]["spec"]["containers"][0]["image"] == "img:v1"
    assert_twins_agree(bench, "Deployment")


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet"])
def test_restart_pause_resume_scale_twins_match_kubectl(bench: Workbench, kind: str) -> None:
    assert_restart_pause_resume_scale_twins(bench, kind)


def test_viewer_undo_is_forbidden_with_the_servers_message(
    control_plane: ControlPlane, admin: Connection
) -> None:
    """The viewer may get/list Deployments and ReplicaSets in its namespace but not patch."""
    ns = VIEWER_NAMESPACE
    # Other e2e tests share this namespace: a name of its own.
    bench = Workbench(
        str(control_plane.kubeconfig_path),
        admin.api_client,
        ns,
        context="admin",
        settle_timeout=SETTLE,
    )
    bench.create(manifest("Deployment", NAME, replicas=1))
    bench.settled("Deployment", NAME)
    change_image(bench, "Deployment", NAME, "img:v2", None)
    bench.settled("Deployment", NAME)

    theirs = bench.kubectl("rollout", "undo", f"deployment/{NAME}", context="viewer", check=False)
    viewer = connect(Settings(kubeconfig=str(control_plane.kubeconfig_path), context="viewer"))
    try:
        obj, children = fetch_workload(viewer.api_client, "Deployment", ns, NAME)
        plan = plan_undo("Deployment", obj, children)
        assert not plan.skipped and plan.target_revision == 1
        with pytest.raises(RolloutError) as denied:
            execute_undo(viewer.api_client, plan)
        theirs_restart = bench.kubectl(
            "rollout", "restart", f"deployment/{NAME}", context="viewer", check=False
        )
        with pytest.raises(RolloutError) as denied_restart:
            restart(viewer.api_client, "Deployment", ns, NAME, dt.datetime.now().astimezone())
    finally:
        viewer.close()
    assert denied_restart.value.status == 403
    assert theirs_restart.stderr == f"error: {denied_restart.value.message}\n"
    assert (denied.value.status, denied.value.reason) == (403, "Forbidden")
    assert theirs.returncode == 1
    assert theirs.stderr == f"error: {denied.value.message}\n"
    assert 'User "viewer" cannot patch resource "deployments"' in denied.value.message
    # Nothing changed: still at revision 2.
    assert (
        bench.get("Deployment", NAME)["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "2"
    )


def _rs_columns(bench: Workbench) -> tuple[dict[str, str], dict[str, tuple[int, int, int]]] | None:
    """`kubectl get rs`'s NAME DESIRED CURRENT READY, read between two identical JSON lists
    (so the text is of those resourceVersions); None when the ReplicaSets moved meanwhile."""
    before = json.loads(bench.kubectl("get", "rs", "-o", "json").stdout)["items"]
    table = bench.kubectl("get", "rs", "--no-headers").stdout
    after = json.loads(bench.kubectl("get", "rs", "-o", "json").stdout)["items"]
    versions = {rs["metadata"]["name"]: rs["metadata"]["resourceVersion"] for rs in before}
    if versions != {rs["metadata"]["name"]: rs["metadata"]["resourceVersion"] for rs in after}:
        return None
    counts = {}
    for line in table.splitlines():
        name, desired, current, ready, _age = line.split()
        counts[name] = (int(desired), int(current), int(ready))
    return versions, counts


def test_rollout_tree_replicaset_counts_match_kubectl_get_rs(bench: Workbench) -> None:
    """The tree, built from the model fed by ktui's batches, says what `kubectl get rs` says for
    every ReplicaSet, sampled through a rolling update whenever both saw the same versions;
    at least one sample is mid-rollout (two ReplicaSets with pods). minReadySeconds holds each
    step of the rollout still for a few seconds: with pods ready at once, the whole rollout can
    otherwise pass between two samples (three kubectl runs each)."""
    bench.create(manifest("Deployment", "web", replicas=4, min_ready_seconds=3))
    bench.settled("Deployment", "web")
    model = WorkloadTree()
    with running_cache(
        bench.kubeconfig, "admin", bench.ns, [DEPLOYMENT, REPLICA_SET, POD]
    ) as cache:

        def tree_of() -> RolloutTree | None:
            while (batch := cache.take_batch()) is not None:
                model.apply(batch)
            web = next(iter(model.workloads.values()), None)
            if web is None:
                return None
            uid = web["metadata"]["uid"]
            return build_rollout_tree(web, model.children(uid), model.pods(uid))

        poll(lambda: (t := tree_of()) and len(t.revisions) == 1, "the model has web", 30)
        bench.kubectl("set", "image", "deployment/web", "c=img:v2")
        compared = mid_rollout = 0
        deadline = time.monotonic() + SETTLE
        while time.monotonic() < deadline:
            sample = _rs_columns(bench)
            tree = tree_of()
            if sample is None or tree is None:
                continue
            versions, counts = sample
            ours = {
                node.name: (model.objects.get(node.uid) or {})["metadata"]["resourceVersion"]
                for node in tree.revisions
                if node.kind == "ReplicaSet"
            }
            if ours != versions:
                continue  # the batches are behind kubectl's read (or ahead of it)
            drawn = {
                node.name: (node.desired, node.current, node.ready)
                for node in tree.revisions
                if node.kind == "ReplicaSet"
            }
            assert drawn == counts
            compared += 1
            if sum(1 for c in counts.values() if c[1] > 0) == 2:
                mid_rollout += 1
            current = next(node for node in tree.revisions if node.is_current)
            if current.desired == current.ready == 4 and all(
                c[0] == 0 for name, c in counts.items() if name != current.name
            ):
                break
        assert compared and mid_rollout, (compared, mid_rollout)
        # Done: the previous revision is marked and drawn empty; the budget is 4 + 1 / 4 - 0.
        tree = tree_of()
        assert tree is not None
        assert [n.is_previous for n in tree.revisions] == [False, True]
        assert (tree.budget.max_pods, tree.budget.min_available) == (5, 4)
