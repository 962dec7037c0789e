"""ktui's rollout operations side by side with kubectl v1.32 on the embedded cluster, whose
controllers and node agent do the rolling: statuses followed event by event through whole
rolling updates, a rollout stuck until its progress deadline, history after image changes and
change-causes, undo on twins ("web-a" changed by kubectl, "web-b" by ktui), refusals, a 409 on
scale, a 403, and restart / pause / resume / scale on twins.

One cluster serves the module; every test works in a namespace of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator

import pytest
from kubernetes import client
from rollout_support import (
    KUBECTL_TYPES,
    ScaleRaceProxy,
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
    workload_path,
)

from ktui.cluster.connection import Connection, connect
from ktui.cluster.rollout import (
    RolloutError,
    fetch_workload,
    plan_undo,
    restart,
    rollout_history,
    rollout_status,
    scale,
)
from ktui.cluster.transport import request_json
from ktui.settings import Settings
from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import Timings

KINDS = ("Deployment", "StatefulSet", "DaemonSet")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# A pod of this template takes a while to become ready, so a rollout lasts long enough for a
# kubectl started right after the change to see it in progress.
SLOW_READY = {"sim.ktui.dev/behavior": "ready-after=20s"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(nodes=3, timings=Timings(scale=0.05)) as embedded:
        yield embedded


@pytest.fixture(scope="module")
def cluster_kubeconfig(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    return cluster.write_kubeconfig(str(tmp_path_factory.mktemp("rollout") / "kubeconfig"))


@pytest.fixture(scope="module")
def connection(cluster_kubeconfig: str) -> Iterator[Connection]:
    """ktui's own connection, built from the kubeconfig as the app builds it (HTTPS)."""
    conn = connect(Settings(kubeconfig=cluster_kubeconfig))
    yield conn
    conn.close()


_NAMESPACE_NUMBERS = itertools.count(1)


@pytest.fixture
def bench(
    request: pytest.FixtureRequest,
    cluster: EmbeddedCluster,
    cluster_kubeconfig: str,
    connection: Connection,
) -> Iterator[Workbench]:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))
    name = f"t{next(_NAMESPACE_NUMBERS)}-{slug.strip('-')}"[:50].strip("-")
    workbench = Workbench(cluster_kubeconfig, connection.api_client, name)
    workbench.kubectl("create", "namespace", name)
    yield workbench
    cluster.server.faults.clear()


# ---- status ----------------------------------------------------------------------------------


def test_deployment_status_through_a_rolling_update(bench: Workbench) -> None:
    """The rollout is held with `rollout pause` until both watchers saw the object, so both
    follow the whole rolling update from the same first event."""
    bench.create(manifest("Deployment", "web", template_annotations=SLOW_READY))
    bench.settled("Deployment", "web")
    bench.kubectl("rollout", "pause", "deployment/web")
    bench.kubectl("set", "image", "deployment/web", "c=img:v2")
    poll(
        lambda: rollout_status(bench.get("Deployment", "web")).observed,
        "the paused change is observed",
    )
    ours = StatusWatch(bench.api, "Deployment", bench.ns, "web").start()
    theirs = bench.kubectl_in_background("rollout", "status", "deployment/web", "--watch")
    poll(lambda: theirs.lines and ours.messages, "both watchers printed the paused status")
    bench.kubectl("rollout", "resume", "deployment/web")

    code, lines, stderr = theirs.wait(60)
    messages = ours.wait(30)
    assert (code, stderr) == (0, "")
    assert_kubectl_tail(lines, messages)
    assert dedup(lines) == dedup(messages)
    assert lines[-1] == messages[-1] == 'deployment "web" successfully rolled out\n'
    steps = dedup(messages)
    # The whole rolling update went by: maxSurge 1 / maxUnavailable 0 on 3 replicas.
    for expected in (
        'Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been '
        "updated...\n",
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been '
        "updated...\n",
        'Waiting for deployment "web" rollout to finish: 2 out of 3 new replicas have been '
        "updated...\n",
    ):
        assert expected in steps


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet"])
def test_status_through_a_rolling_update(bench: Workbench, kind: str) -> None:
    """kubectl is started right after the image change and stops at the same event as ktui's
    watch, which started before the change: its lines are the tail of ktui's messages."""
    kind_arg = KUBECTL_TYPES[kind]
    bench.create(manifest(kind, "web", template_annotations=SLOW_READY))
    before = bench.settled(kind, "web")
    ours = StatusWatch(
        bench.api, kind, bench.ns, "web", min_generation=before["metadata"]["generation"] + 1
    ).start()
    poll(lambda: ours.messages, "ktui's watch saw the object")
    bench.kubectl("set", "image", f"{kind_arg}/web", "c=img:v2")
    theirs = bench.kubectl_in_background("rollout", "status", f"{kind_arg}/web", "--watch")

    code, lines, stderr = theirs.wait(60)
    messages = ours.wait(30)
    assert (code, stderr) == (0, "")
    assert_kubectl_tail(lines, messages)
    assert len(dedup(lines)) >= 2, f"kubectl did not see the rollout in progress: {lines}"
    done = {
        "StatefulSet": "partitioned roll out complete: 3 new pods have been updated...\n",
        "DaemonSet": 'daemon set "web" successfully rolled out\n',
    }[kind]
    assert lines[-1] == messages[-1] == done
    # ktui followed it from before the change: done, then every pod of the new revision.
    steps = dedup(messages)
    assert steps[0] == done
    progress = {
        "StatefulSet": "Waiting for partitioned roll out to finish: {} out of 3 new pods have been "
        "updated...\n",
        "DaemonSet": 'Waiting for daemon set "web" rollout to finish: {} out of 3 new pods have '
        "been updated...\n",
    }[kind]
    for updated in (1, 2):
        assert progress.format(updated) in steps


def test_stuck_rollout_exceeds_its_progress_deadline(bench: Workbench) -> None:
    bench.create(manifest("Deployment", "web", replicas=2, progress_deadline=8))
    before = bench.settled("Deployment", "web")
    ours = StatusWatch(
        bench.api,
        "Deployment",
        bench.ns,
        "web",
        min_generation=before["metadata"]["generation"] + 1,
    ).start()
    poll(lambda: ours.messages, "ktui's watch saw the object")
    never_ready = {
        "spec": {
            "template": {
                "metadata": {"annotations": {"sim.ktui.dev/behavior": "never-ready"}},
                "spec": {"containers": [{"name": "c", "image": "img:v2"}]},
            }
        }
    }
    bench.kubectl("patch", "deployment/web", "-p", json.dumps(never_ready))
    theirs = bench.kubectl_in_background("rollout", "status", "deployment/web")

    code, lines, stderr = theirs.wait(60)
    messages = ours.wait(30)
    assert code != 0
    assert stderr == 'error: deployment "web" exceeded its progress deadline\n'
    final = ours.statuses[-1]
    assert final.failed and not final.done
    assert final.error == 'deployment "web" exceeded its progress deadline'
    assert_kubectl_tail([*lines, stderr], messages)
    assert (
        'Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been '
        "updated...\n" in messages
    )


# ---- history ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_history_after_image_changes_and_a_change_cause(bench: Workbench, kind: str) -> None:
    bench.create(manifest(kind, "web", replicas=2))
    bench.settled(kind, "web")
    change_image(bench, kind, "web", "img:v2", "roll out v2")
    bench.settled(kind, "web")
    # The workload's change-cause is still "roll out v2": kubectl shows it for revision 3 too.
    change_image(bench, kind, "web", "img:v3", None)
    bench.settled(kind, "web")
    change_image(bench, kind, "web", "img:v4", "v4: a fix, with\ttabs and ünïcode")
    bench.settled(kind, "web")
    # A later annotation reaches the Deployment's current ReplicaSet, not a ControllerRevision.
    bench.kubectl(
        "annotate", "--overwrite", f"{KUBECTL_TYPES[kind]}/web", "kubernetes.io/change-cause=v4"
    )
    if kind == "Deployment":
        poll(
            lambda: "4         v4\n" in bench.history(kind, "web"),
            "the controller copied the change-cause to the ReplicaSet",
        )
    theirs = bench.history(kind, "web")
    assert bench.ktui_history(kind, "web") == theirs
    rows = theirs.splitlines()
    assert rows[:5] == [
        f"{KUBECTL_TYPES[kind]}.apps/web ",
        "REVISION  CHANGE-CAUSE",
        "1         <none>",
        "2         roll out v2",
        "3         roll out v2",
    ]
    # kubectl's tabwriter takes the tab in the cause for a cell boundary: padding of 2.
    fourth = "v4" if kind == "Deployment" else "v4: a fix, with  tabs and ünïcode"
    assert rows[5:] == [f"4         {fourth}", ""], rows


# ---- undo ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_undo_twins_match_kubectl(bench: Workbench, kind: str) -> None:
    make_twins(bench, kind)
    assert_twins_agree(bench, kind)
    kind_arg = KUBECTL_TYPES[kind]
    # previous revision, a chosen one, the current one (skipped), one that does not exist
    steps: list[tuple[int, str | None]] = [(0, "img:v2"), (1, "img:v1"), (-1, None), (9, None)]
    for to_revision, image in steps:
        if to_revision == -1:
            # The revision the workload is at now: kubectl skips the rollback.
            current = rollout_history(kind, *fetch_workload(bench.api, kind, bench.ns, "web-a"))
            to_revision = max(r.revision for r in current if r.is_current)
        theirs = bench.kubectl(
            "rollout", "undo", f"{kind_arg}/web-a", f"--to-revision={to_revision}", check=False
        )
        ours = ktui_undo(bench, kind, "web-b", to_revision)
        assert (untwin(ours[0], "web-b"), ours[1]) == (
            untwin(theirs.stdout, "web-a"),
            theirs.stderr,
        ), to_revision
        if image is not None:
            assert theirs.stdout.endswith(" rolled back\n")
            assert (
                bench.settled(kind, "web-b")["spec"]["template"]["spec"]["containers"][0]["image"]
                == image
            )
        assert_twins_agree(bench, kind)


def test_undo_refusals_match_kubectl(bench: Workbench) -> None:
    bench.create(manifest("Deployment", "web", replicas=1))
    bench.settled("Deployment", "web")
    change_image(bench, "Deployment", "web", "img:v2", None)
    bench.settled("Deployment", "web")
    cases = {
        "unknown revision": ("--to-revision=9",),
        "already there": ("--to-revision=2",),
    }
    for case, flags in cases.items():
        theirs = bench.kubectl("rollout", "undo", "deployment/web", *flags, check=False)
        to_revision = int(flags[0].split("=")[1])
        assert ktui_undo(bench, "Deployment", "web", to_revision) == (
            theirs.stdout,
            theirs.stderr,
        ), case
    assert ktui_undo(bench, "Deployment", "web", 9)[1] == (
        "error: unable to find specified revision 9 in history\n"
    )
    assert "skipped rollback" in ktui_undo(bench, "Deployment", "web", 2)[0]
    bench.kubectl("rollout", "pause", "deployment/web")
    theirs = bench.kubectl("rollout", "undo", "deployment/web", check=False)
    obj, children = fetch_workload(bench.api, "Deployment", bench.ns, "web")
    with pytest.raises(RolloutError) as refused:
        plan_undo("Deployment", obj, children)
    assert (theirs.returncode, theirs.stderr) == (1, f"error: {refused.value.message}\n")
    assert "cannot rollback a paused deployment" in refused.value.message
    # Nothing was sent: still at revision 2.
    assert (
        bench.get("Deployment", "web")["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "2"
    )


# ---- errors from the server ------------------------------------------------------------------


def test_scale_conflict_surfaces_the_servers_message_without_retrying(
    bench: Workbench, cluster: EmbeddedCluster
) -> None:
    bench.create(manifest("Deployment", "web", replicas=2))
    stale = bench.settled("Deployment", "web")["metadata"]["resourceVersion"]
    bench.kubectl("annotate", "deployment/web", "touched=yes")
    # The controller copies the annotation to the ReplicaSet, and then has nothing more to write
    # to the Deployment: from here on only this test changes it.
    poll(
        lambda: any(
            (rs["metadata"].get("annotations") or {}).get("touched") == "yes"
            for rs in fetch_workload(bench.api, "Deployment", bench.ns, "web")[1]
        ),
        "the deployment controller synced the annotated Deployment",
    )
    # A resourceVersion that is already stale: both refuse before writing.
    theirs = bench.kubectl(
        "scale", "deployment/web", "--replicas=3", f"--resource-version={stale}", check=False
    )
    with pytest.raises(RolloutError) as refused:
        scale(bench.api, "Deployment", bench.ns, "web", 3, resource_version=stale)
    assert theirs.stderr == f"error: {refused.value.message}\n"

    # One that goes stale between ktui's read of the Scale and its write: the server's 409.
    def touch() -> None:
        cluster.client.patch(
            "apps",
            "deployments",
            bench.ns,
            "web",
            "application/merge-patch+json",
            {"metadata": {"annotations": {"touched": "again"}}},
        )

    current = request_json(
        bench.api, "GET", workload_path("Deployment", bench.ns, "web") + "/scale"
    )["metadata"]["resourceVersion"]
    with ScaleRaceProxy(cluster.server.url, touch) as proxy:
        configuration = client.Configuration()
        configuration.host = proxy.url
        configuration.api_key = {"BearerToken": cluster.server.token}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
        with client.ApiClient(configuration) as raced, pytest.raises(RolloutError) as conflict:
            scale(raced, "Deployment", bench.ns, "web", 3, resource_version=current)
        assert proxy.scale_puts == 1, proxy.requests
    assert (conflict.value.status, conflict.value.reason) == (409, "Conflict")
    assert conflict.value.message == (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert bench.get("Deployment", "web")["spec"]["replicas"] == 2


def test_forbidden_read_surfaces_the_servers_message(
    bench: Workbench, cluster: EmbeddedCluster
) -> None:
    """The embedded server's fault injection forbids get/list/watch only (a patch cannot be
    forbidden there): the 403 on patch is covered on the real control plane, viewer context."""
    bench.create(manifest("Deployment", "web", replicas=1))
    bench.settled("Deployment", "web")
    cluster.server.faults.forbid("apps", "deployments", namespace=bench.ns)
    theirs = bench.kubectl("rollout", "undo", "deployment/web", check=False)
    with pytest.raises(RolloutError) as denied:
        fetch_workload(bench.api, "Deployment", bench.ns, "web")
    assert (denied.value.status, denied.value.reason) == (403, "Forbidden")
    assert theirs.stderr == f"Error from server (Forbidden): {denied.value.message}\n"
    with pytest.raises(RolloutError) as denied_restart:
        restart(bench.api, "Deployment", bench.ns, "web", dt.datetime.now().astimezone())
    assert denied_restart.value.message == denied.value.message


# ---- restart, pause, resume, scale -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_restart_pause_resume_scale_twins_match_kubectl(bench: Workbench, kind: str) -> None:
    assert_restart_pause_resume_scale_twins(bench, kind)
