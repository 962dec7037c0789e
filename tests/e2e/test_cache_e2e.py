"""ktui's watch caches against a real control plane (kube-apiserver v1.20.2 and its controllers).

What the embedded server cannot show: the real apiserver's discovery (CronJob served only at
batch/v1beta1), real RBAC denials, objects and ownerReferences written by the real controllers,
a real apiserver restart, and a real 410 after etcd compaction.

Every test works in its own namespace (the control plane is shared by the session) and compares
ktui's caches with what kubectl lists from the same server. Waits poll with deadlines.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import partial
from typing import Any

import pytest
from controlplane import ControlPlane
from e2e_support import (
    BatchView,
    cached_versions,
    controlled_by,
    create,
    describe_states,
    get_items,
    in_phase,
    kubeconfig_with_server,
    kubectl,
    phases,
    running_cache,
    uid_of,
    versions,
    wait_for,
)
from faultproxy import FaultProxy

from ktui.cluster.cache import Backoff, CachePhase, ClusterCache, WatchOptions
from ktui.cluster.kinds import (
    ALL_KINDS,
    CONTROLLER_REVISION,
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    POD,
    REPLICA_SET,
    STATEFUL_SET,
)

pytestmark = pytest.mark.e2e

LIVE = CachePhase.LIVE
FORBIDDEN = CachePhase.FORBIDDEN
RECONNECTING = CachePhase.RECONNECTING

# Quick reconnects; a forbidden kind is retried only after 300 s, as in production.
FAST = WatchOptions(backoff=Backoff(base=0.2, cap=1.0), forbidden_retry=300.0, join_timeout=5.0)

WORKLOAD_KINDS = (DEPLOYMENT, REPLICA_SET, POD)
"""The kinds compared with fresh lists after faults (pods, deployments, replicasets)."""

SERVER_RESOURCE = {"Pod": "pods", "Deployment": "deployments", "ReplicaSet": "replicasets"}


# --------------------------------------------------------------------------
# manifests
# --------------------------------------------------------------------------


def _pod_spec(restart_policy: str = "Always") -> dict[str, Any]:
    return {
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": 0,
        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}],
    }


def _template(app: str, restart_policy: str = "Always") -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": _pod_spec(restart_policy)}


def deployment(ns: str, name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": _template(name),
        },
    }


def headless_service(ns: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"clusterIP": "None", "selector": {"app": name}, "ports": [{"port": 80}]},
    }


def stateful_set(ns: str, name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            # Without a kubelet no pod becomes Ready; OrderedReady would stop at pod 0.
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"app": name}},
            "template": _template(name),
        },
    }


def daemon_set(ns: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": _template(name)},
    }


def job(ns: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"backoffLimit": 0, "template": _template(name, "Never")},
    }


def cron_job(ns: str, name: str) -> dict[str, Any]:
    # kubectl 1.32 writes batch/v1 CronJobs, which 1.20 does not serve: use the manifest.
    return {
        "apiVersion": "batch/v1beta1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "schedule": "*/1 * * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"backoffLimit": 0, "template": _template(name, "Never")}},
        },
    }


def event(ns: str, name: str, about: dict[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {
            "apiVersion": about["apiVersion"],
            "kind": about["kind"],
            "name": about["metadata"]["name"],
            "namespace": ns,
            "uid": about["metadata"]["uid"],
        },
        "reason": "KtuiE2E",
        "message": "written by the ktui e2e tests",
        "type": "Normal",
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": "ktui-e2e"},
    }


def bare_pod(ns: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": "bare"}},
        "spec": _pod_spec(),
    }


# --------------------------------------------------------------------------
# shared checks
# --------------------------------------------------------------------------


def wait_live(cluster: ClusterCache, kinds: list[str] | None = None, timeout: float = 60) -> None:
    wait_for(
        f"{'every kind' if kinds is None else kinds} LIVE",
        lambda: in_phase(cluster, LIVE, kinds),
        timeout=timeout,
        detail=lambda: describe_states(cluster),
    )


def wait_matches_server(
    cp: ControlPlane, cluster: ClusterCache, view: BatchView, ns: str, timeout: float = 60
) -> None:
    """Until the caches (and what the batches delivered) equal fresh lists, uid -> version."""
    diffs: dict[str, str] = {}

    def same() -> bool:
        diffs.clear()
        for kind, resource in SERVER_RESOURCE.items():
            server = versions(get_items(cp, resource, ns))
            cached = cached_versions(cluster, kind, ns)
            delivered = view.versions(kind, ns)
            if cached != server:
                diffs[kind] = f"cache {cached} != server {server}"
            elif delivered != cached:
                diffs[kind] = f"batches {delivered} != cache {cached}"
        return not diffs

    wait_for(
        f"caches of {list(SERVER_RESOURCE)} in {ns} to match fresh lists",
        same,
        timeout=timeout,
        interval=0.5,
        detail=lambda: f"{diffs}; {describe_states(cluster)}",
    )


def cached_object(cluster: ClusterCache, kind: str, uid: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = cluster.objects(kind).get(uid)
    return found


def not_cached(cluster: ClusterCache, kind: str, uid: str) -> bool:
    return uid not in cluster.objects(kind)


def matches_server(cp: ControlPlane, cluster: ClusterCache, kind: str, ns: str) -> bool:
    """The cached `kind` objects of `ns` are those of a fresh list, uid -> resourceVersion."""
    server = versions(get_items(cp, SERVER_RESOURCE[kind], ns))
    return cached_versions(cluster, kind, ns) == server


# --------------------------------------------------------------------------
# 1. every kind lists and watches
# --------------------------------------------------------------------------


def test_every_kind_lists_and_watches_on_1_20(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "e2e-kinds"
    kubectl(cp, "create", "namespace", ns)
    with running_cache(cp.kubeconfig_path, "admin", None, ALL_KINDS, FAST) as cluster:
        view = BatchView(cluster)
        wait_live(cluster)
        assert cluster.api_version("CronJob") == "batch/v1beta1"
        assert cluster.api_version("Job") == "batch/v1"
        assert cluster.api_version("Deployment") == "apps/v1"
        assert cluster.api_version("Pod") == "v1"

        # Listed before the watch: the harness's nodes, typed like watch events.
        nodes = cluster.objects("Node").values()
        assert {n["metadata"]["name"] for n in nodes} >= set(cp.node_names)
        for node in nodes:
            assert (node["apiVersion"], node["kind"]) == ("v1", "Node")
            assert "managedFields" not in node["metadata"]

        web = create(cp, deployment(ns, "web", 1))
        create(cp, headless_service(ns, "db"))
        made = {
            "Deployment": web,
            "StatefulSet": create(cp, stateful_set(ns, "db", 1)),
            "DaemonSet": create(cp, daemon_set(ns, "agent")),
            "Job": create(cp, job(ns, "once")),
            "CronJob": create(cp, cron_job(ns, "tick")),
            "Event": create(cp, event(ns, "web-note", web)),
        }
        for kind, obj in made.items():
            uid = uid_of(obj)
            found = wait_for(
                f"{kind} {obj['metadata']['name']} in the cache",
                partial(cached_object, cluster, kind, uid),
                detail=lambda: describe_states(cluster),
            )
            assert found["kind"] == kind
            assert found["apiVersion"] == obj["apiVersion"]
            assert found["metadata"]["name"] == obj["metadata"]["name"]
            assert "managedFields" not in found["metadata"]
        assert cluster.objects("CronJob")[uid_of(made["CronJob"])]["spec"]["schedule"] == (
            "*/1 * * * *"
        )

        # Modifications arrive.
        kubectl(cp, "-n", ns, "annotate", "deployment", "web", "ktui.e2e/touched=yes")
        kubectl(cp, "-n", ns, "scale", "statefulset", "db", "--replicas=2")
        kubectl(cp, "-n", ns, "annotate", "cronjob", "tick", "ktui.e2e/touched=yes")
        web_uid, db_uid, tick_uid = (
            uid_of(made[k]) for k in ("Deployment", "StatefulSet", "CronJob")
        )
        wait_for(
            "the Deployment's annotation in the cache",
            lambda: (
                (cached_object(cluster, "Deployment", web_uid) or {})
                .get("metadata", {})
                .get("annotations", {})
                .get("ktui.e2e/touched")
            ),
        )
        wait_for(
            "the StatefulSet scaled to 2 in the cache",
            lambda: (
                (cached_object(cluster, "StatefulSet", db_uid) or {})
                .get("spec", {})
                .get("replicas")
                == 2
            ),
        )
        wait_for(
            "the CronJob's annotation in the cache",
            lambda: (
                (cached_object(cluster, "CronJob", tick_uid) or {})
                .get("metadata", {})
                .get("annotations", {})
                .get("ktui.e2e/touched")
            ),
        )

        # Deletes disappear, from the caches and from the ownership index.
        for kind, obj in made.items():
            kubectl(cp, "-n", ns, "delete", kind.lower(), obj["metadata"]["name"], "--wait=false")
        for kind, obj in made.items():
            uid = uid_of(obj)
            wait_for(
                f"{kind} {obj['metadata']['name']} gone from the cache",
                partial(not_cached, cluster, kind, uid),
                detail=lambda: describe_states(cluster),
            )
            assert uid not in cluster.index

        # What the batches delivered is what the caches hold.
        def batches_match() -> list[str]:
            return [
                kind
                for kind in cluster.kinds
                if view.versions(kind, None) != cached_versions(cluster, kind, None)
            ]

        wait_for("no kind whose batches differ from its cache", lambda: not batches_match())
        assert view.bad_deletes == []
        assert in_phase(cluster, LIVE), describe_states(cluster)
        assert all(cluster.cache(k).relists == 0 for k in cluster.kinds), describe_states(cluster)
        # kube-apiserver's chunked watch bodies (over TLS) were read and de-chunked by ktui.
        assert all(cluster.cache(k).dechunked_watches >= 1 for k in cluster.kinds)


# --------------------------------------------------------------------------
# 2. ownership from the real controllers
# --------------------------------------------------------------------------


def test_ownership_index_from_real_controllers(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "e2e-owners"
    kubectl(cp, "create", "namespace", ns)
    kinds = [DEPLOYMENT, REPLICA_SET, STATEFUL_SET, DAEMON_SET, CONTROLLER_REVISION, JOB]
    kinds += [CRON_JOB, POD]
    with running_cache(cp.kubeconfig_path, "admin", ns, kinds, FAST) as cluster:
        wait_live(cluster)
        index = cluster.index
        # First, so that its first scheduled run comes while the rest is checked.
        cron = create(cp, cron_job(ns, "tick"))
        dep = create(cp, deployment(ns, "web", 2))
        create(cp, headless_service(ns, "db"))
        sts = create(cp, stateful_set(ns, "db", 2))
        ds = create(cp, daemon_set(ns, "agent"))

        def children_match(owner_uid: str, kind: str, resource: str, count: int) -> set[str]:
            """The owner's children of `kind` once the index agrees with the server."""

            def agreed() -> set[str] | None:
                server = controlled_by(get_items(cp, resource, ns), owner_uid)
                indexed = set(index.children(owner_uid, kind=kind))
                return indexed if indexed == server and len(server) == count else None

            found: set[str] = wait_for(
                f"{count} {kind} children of {owner_uid} in the index, as on the server",
                agreed,
                timeout=60,
                interval=0.5,
                detail=lambda: (
                    f"indexed={index.children(owner_uid, kind=kind)} server="
                    f"{controlled_by(get_items(cp, resource, ns), owner_uid)}"
                ),
            )
            return found

        # Deployment -> ReplicaSet -> Pods.
        dep_uid = uid_of(dep)
        (rs_uid,) = children_match(dep_uid, "ReplicaSet", "replicasets", 1)
        assert index.kind_of(rs_uid) == "ReplicaSet"
        assert index.owner_chain(rs_uid) == [dep_uid]
        web_pods = children_match(rs_uid, "Pod", "pods", 2)
        for pod_uid in web_pods:
            assert index.owner_chain(pod_uid) == [rs_uid, dep_uid]
            assert index.controller_of(pod_uid) == rs_uid
        assert index.children(dep_uid) == [rs_uid]

        # StatefulSet -> Pods and -> ControllerRevision.
        sts_uid = uid_of(sts)
        for pod_uid in children_match(sts_uid, "Pod", "pods", 2):
            assert index.owner_chain(pod_uid) == [sts_uid]
        (sts_rev,) = children_match(sts_uid, "ControllerRevision", "controllerrevisions", 1)
        assert index.owner_chain(sts_rev) == [sts_uid]

        # DaemonSet -> one Pod per node (bound by kube-scheduler) and -> ControllerRevision.
        ds_uid = uid_of(ds)
        ds_pods = children_match(ds_uid, "Pod", "pods", len(cp.node_names))
        for pod_uid in ds_pods:
            assert index.owner_chain(pod_uid) == [ds_uid]
        (ds_rev,) = children_match(ds_uid, "ControllerRevision", "controllerrevisions", 1)
        assert index.owner_chain(ds_rev) == [ds_uid]

        # CronJob -> Job -> Pod. kubectl 1.32's `create job --from=cronjob/...` cannot read a
        # batch/v1beta1 CronJob ("unknown object type"), so the scheduled run is awaited.
        cron_uid = uid_of(cron)
        jobs = wait_for(
            "the CronJob's first scheduled Job in the index (schedule */1)",
            lambda: index.children(cron_uid, kind="Job"),
            timeout=90,
            interval=0.5,
            detail=lambda: describe_states(cluster),
        )
        job_uid = jobs[0]
        assert job_uid in controlled_by(get_items(cp, "jobs", ns), cron_uid)
        cached_job = cluster.objects("Job")[job_uid]
        assert cached_job["metadata"]["ownerReferences"][0]["apiVersion"] == "batch/v1beta1"
        (job_pod,) = children_match(job_uid, "Pod", "pods", 1)
        assert index.owner_chain(job_pod) == [job_uid, cron_uid]
        assert index.owner_chain(job_uid) == [cron_uid]

        # Stop the schedule so the rest of the session is not churned by a Job a minute.
        kubectl(cp, "-n", ns, "delete", "cronjob", "tick", "--wait=false")
        assert in_phase(cluster, LIVE), describe_states(cluster)


# --------------------------------------------------------------------------
# 3. RBAC: the viewer user
# --------------------------------------------------------------------------


VIEWER_ALLOWED = {"Pod", "Deployment", "ReplicaSet"}


def test_viewer_sees_allowed_kinds_and_forbidden_ones_stay_quiet(
    control_plane: ControlPlane,
) -> None:
    cp = control_plane
    ns = "team-a"
    dep = create(cp, deployment(ns, "viewer-web", 1))
    wait_for(
        "the viewer Deployment's ReplicaSet",
        lambda: controlled_by(get_items(cp, "replicasets", ns), uid_of(dep)),
    )
    with (
        running_cache(cp.kubeconfig_path, "viewer", ns, ALL_KINDS, FAST) as team_a,
        running_cache(cp.kubeconfig_path, "viewer", "default", ALL_KINDS, FAST) as default,
    ):
        others = [k for k in team_a.kinds if k not in VIEWER_ALLOWED]

        def settled() -> bool:
            return (
                in_phase(team_a, LIVE, VIEWER_ALLOWED)
                and in_phase(team_a, FORBIDDEN, others)
                and in_phase(default, FORBIDDEN)
            )

        wait_for(
            "viewer caches: allowed kinds LIVE in team-a, everything else FORBIDDEN",
            settled,
            detail=lambda: f"team-a {describe_states(team_a)}; default {describe_states(default)}",
        )

        # The viewer's view of team-a is the admin's.
        assert uid_of(dep) in team_a.objects("Deployment")
        for kind in VIEWER_ALLOWED:
            wait_for(
                f"viewer's {kind} cache equal to the admin's list of team-a",
                partial(matches_server, cp, team_a, kind, ns),
            )

        # The server's own words, naming the user, the verb and the resource.
        for cluster, namespace in ((team_a, ns), (default, "default")):
            for kind, state in cluster.states().items():
                if state.phase != FORBIDDEN:
                    continue
                plural = cluster.cache(kind).spec.plural
                assert f'is forbidden: User "viewer" cannot list resource "{plural}"' in (
                    state.message
                ), (kind, state.message)
                scope = "at the cluster scope" if kind == "Node" else f'namespace "{namespace}"'
                assert scope in state.message, (kind, state.message)

        # Forbidden kinds wait (forbidden_retry=300 s): no request storm while time passes.
        time.sleep(5)
        for cluster in (team_a, default):
            for kind, state in cluster.states().items():
                cache = cluster.cache(kind)
                assert cache.alive, f"{kind} watch thread died: {describe_states(cluster)}"
                if state.phase == FORBIDDEN:
                    assert cache.list_requests <= 2, describe_states(cluster)
                    assert cache.watch_requests == 0, describe_states(cluster)
                    assert len(cache) == 0
        assert phases(team_a) == {
            k: LIVE if k in VIEWER_ALLOWED else FORBIDDEN for k in team_a.kinds
        }
        assert set(phases(default).values()) == {FORBIDDEN}
    kubectl(cp, "-n", ns, "delete", "deployment", "viewer-web", "--wait=false")


# --------------------------------------------------------------------------
# 4. faults
# --------------------------------------------------------------------------


def test_apiserver_restart_reconnects_and_catches_up(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "e2e-restart"
    kubectl(cp, "create", "namespace", ns)
    create(cp, deployment(ns, "web", 2))
    doomed = create(cp, bare_pod(ns, "doomed"))
    with running_cache(cp.kubeconfig_path, "admin", None, ALL_KINDS, FAST) as cluster:
        view = BatchView(cluster)
        wait_live(cluster)
        wait_matches_server(cp, cluster, view, ns)
        pods_before = cached_versions(cluster, "Pod", ns)

        cp.kill_apiserver()
        wait_for(
            "every kind RECONNECTING while kube-apiserver is down",
            lambda: in_phase(cluster, RECONNECTING),
            timeout=30,
            detail=lambda: describe_states(cluster),
        )
        # Reconnecting keeps what was cached.
        assert cached_versions(cluster, "Pod", ns) == pods_before
        cp.restart_apiserver()
        wait_live(cluster, timeout=90)

        kubectl(cp, "-n", ns, "scale", "deployment", "web", "--replicas=3")
        kubectl(cp, "-n", ns, "annotate", "deployment", "web", "ktui.e2e/after=restart")
        kubectl(cp, "-n", ns, "delete", "pod", "doomed", "--grace-period=0", "--force")
        create(cp, bare_pod(ns, "newcomer"))

        wait_matches_server(cp, cluster, view, ns)
        assert uid_of(doomed) not in cluster.objects("Pod")
        assert uid_of(doomed) not in cluster.index
        assert view.bad_deletes == []
        # A broken watch is listed again, never resumed (the server may have been rebuilt).
        assert all(cluster.cache(k).relists >= 1 for k in cluster.kinds), describe_states(cluster)
        assert in_phase(cluster, LIVE), describe_states(cluster)


def test_viewer_caches_recover_after_apiserver_restart(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "team-a"
    # Retries every <= 0.1 s while the apiserver is down, as a cache late in its back-off
    # might by chance: the first one after the port opens meets the not-yet-synced RBAC.
    eager = WatchOptions(backoff=Backoff(base=0.05, cap=0.1), forbidden_retry=300.0)
    allowed = [k.kind for k in WORKLOAD_KINDS]
    with running_cache(cp.kubeconfig_path, "viewer", ns, WORKLOAD_KINDS, eager) as cluster:
        wait_live(cluster)
        cp.kill_apiserver()
        wait_for(
            "the viewer's caches RECONNECTING while kube-apiserver is down",
            lambda: in_phase(cluster, RECONNECTING),
            timeout=30,
            detail=lambda: describe_states(cluster),
        )
        cp.restart_apiserver()
        # The viewer's permissions never changed: the caches must come back by themselves.
        wait_live(cluster, allowed, timeout=15)


def test_compaction_gives_410_and_relist_drops_what_was_deleted_in_the_gap(
    control_plane: ControlPlane, tmp_path: Any
) -> None:
    """The cache is cut off (a proxy between it and the apiserver stops forwarding) while
    objects change and etcd is compacted; when it reconnects its watches get 410 and it lists
    again. The proxy gives a gap of exactly known extent, unlike racing a back-off timer."""
    cp = control_plane
    ns = "e2e-gone"
    kubectl(cp, "create", "namespace", ns)
    create(cp, deployment(ns, "web", 2))
    doomed = create(cp, bare_pod(ns, "doomed"))
    changed = create(cp, bare_pod(ns, "changed"))
    with FaultProxy(cp.apiserver_port, scheme="https") as proxy:
        kubeconfig = kubeconfig_with_server(cp, proxy.url, tmp_path / "via-proxy.kubeconfig")
        with running_cache(kubeconfig, "admin", ns, WORKLOAD_KINDS, FAST) as cluster:
            view = BatchView(cluster)
            wait_live(cluster)
            wait_matches_server(cp, cluster, view, ns)
            kinds = cluster.kinds

            proxy.cut()
            wait_for(
                "every kind RECONNECTING while cut off",
                lambda: in_phase(cluster, RECONNECTING),
                timeout=30,
                detail=lambda: describe_states(cluster),
            )
            watches_before = {k: cluster.cache(k).watch_requests for k in kinds}

            # The gap: the server moves on without the cache.
            kubectl(cp, "-n", ns, "delete", "pod", "doomed", "--grace-period=0", "--force")
            kubectl(cp, "-n", ns, "label", "pod", "changed", "ktui.e2e/gap=yes")
            create(cp, bare_pod(ns, "newcomer"))
            kubectl(cp, "-n", ns, "scale", "deployment", "web", "--replicas=1")
            kubectl(cp, "-n", ns, "create", "configmap", "bump")
            revision = cp.compact_etcd()
            assert revision > int(cluster.states()["Pod"].resource_version)
            # Still cut off: the stale objects are kept, nothing was applied.
            assert uid_of(doomed) in cluster.objects("Pod")
            assert all(cluster.cache(k).relists == 0 for k in kinds)

            proxy.heal()
            wait_for(
                "every kind relisted after 410 and LIVE again",
                lambda: (
                    in_phase(cluster, LIVE) and all(cluster.cache(k).relists >= 1 for k in kinds)
                ),
                timeout=60,
                detail=lambda: describe_states(cluster),
            )
            for kind in kinds:
                # Each resumed its watch (which the server answered with 410) before relisting.
                assert cluster.cache(kind).watch_requests > watches_before[kind]
            wait_matches_server(cp, cluster, view, ns)

            pods = cluster.objects("Pod")
            assert uid_of(doomed) not in pods
            assert uid_of(doomed) not in cluster.index
            # (a label: the slim cache keeps a pod's labels, not its annotations)
            assert pods[uid_of(changed)]["metadata"]["labels"]["ktui.e2e/gap"] == "yes"
            for kind in kinds:
                names = [
                    (o["metadata"]["namespace"], o["metadata"]["name"])
                    for o in cluster.objects(kind).values()
                ]
                assert len(names) == len(set(names)), f"{kind} duplicated: {sorted(names)}"
            assert view.bad_deletes == []
