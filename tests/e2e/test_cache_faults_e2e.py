"""The watch caches against a real kube-apiserver v1.20.2 rebuilt on the same address.

The cluster is wiped (etcd's data dir deleted, etcd and kube-apiserver restarted on the same
ports with the same certificates), so this test runs its own control plane rather than the
session's shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from controlplane import ControlPlane, ensure_built
from e2e_support import (
    cached_versions,
    create,
    describe_states,
    get_items,
    in_phase,
    kubectl,
    running_cache,
    uid_of,
    versions,
    wait_for,
)

from ktui.cluster.cache import Backoff, CachePhase, WatchOptions
from ktui.cluster.kinds import POD

pytestmark = pytest.mark.e2e

FAST = WatchOptions(backoff=Backoff(base=0.2, cap=1.0), forbidden_retry=300.0, join_timeout=5.0)


@pytest.fixture
def own_control_plane(tmp_path: Path) -> Iterator[ControlPlane]:
    reason = ensure_built()
    if reason is not None:
        pytest.skip(reason)
    with ControlPlane.start(tmp_path / "controlplane", node_agent=False) as cp:
        yield cp


def bare_pod(ns: str, name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "registry.invalid/none:1"}]},
    }


def test_a_cluster_rebuilt_on_a_wiped_etcd_leaves_no_ghosts(
    own_control_plane: ControlPlane,
) -> None:
    cp = own_control_plane
    ns = "e2e-rebuild"
    kubectl(cp, "create", "namespace", ns)
    old = [create(cp, bare_pod(ns, f"pod-{i}")) for i in range(6)]
    with running_cache(cp.kubeconfig_path, "admin", ns, [POD], FAST) as cluster:
        wait_for(
            "the cache to hold the 6 pods",
            lambda: (
                in_phase(cluster, CachePhase.LIVE)
                and cached_versions(cluster, "Pod", ns) == versions(get_items(cp, "pods", ns))
            ),
            detail=lambda: describe_states(cluster),
        )
        relists = cluster.cache("Pod").relists

        cp.restart_apiserver(wipe_etcd=True)
        kubectl(cp, "create", "namespace", ns)
        # One name again (a new uid) and two new names; the old resourceVersions mean nothing.
        new = [create(cp, bare_pod(ns, name)) for name in ("pod-0", "fresh-a", "fresh-b")]
        server = versions(get_items(cp, "pods", ns))
        assert set(server) == {uid_of(p) for p in new}

        wait_for(
            "the cache to match kubectl get after the rebuild",
            lambda: (
                in_phase(cluster, CachePhase.LIVE)
                and cached_versions(cluster, "Pod", ns) == versions(get_items(cp, "pods", ns))
            ),
            timeout=90,
            interval=0.5,
            detail=lambda: (
                f"{sorted(cached_versions(cluster, 'Pod', ns))}; " + describe_states(cluster)
            ),
        )
        pods = cluster.objects("Pod")
        assert not {uid_of(p) for p in old} & set(pods)
        assert {p["metadata"]["name"] for p in pods.values()} == {"pod-0", "fresh-a", "fresh-b"}
        assert cluster.cache("Pod").relists > relists


def test_a_frozen_apiserver_is_stale_not_live_and_fresh_after(control_plane: ControlPlane) -> None:
    cp = control_plane
    ns = "e2e-frozen"
    kubectl(cp, "create", "namespace", ns)
    create(cp, bare_pod(ns, "steady"))
    # kube-apiserver 1.20 sends no bookmark on a quiet watch for about a minute: the health
    # probe is what notices a frozen server.
    options = WatchOptions(
        backoff=Backoff(base=0.2, cap=1.0),
        join_timeout=5.0,
        probe_interval=0.5,
        probe_timeout=1.0,
        health_tick=0.2,
    )
    with running_cache(cp.kubeconfig_path, "admin", ns, [POD], options) as cluster:
        wait_for("the pod cache live", lambda: in_phase(cluster, CachePhase.LIVE))
        cp.freeze_apiserver()
        try:
            wait_for(
                "the frozen server noticed",
                lambda: cluster.states()["Pod"].out_of_date_since is not None,
                timeout=60,
                detail=lambda: describe_states(cluster),
            )
            assert cluster.states()["Pod"].phase in (CachePhase.LIVE, CachePhase.RECONNECTING)
        finally:
            cp.thaw_apiserver()
        wait_for(
            "current again and matching kubectl get",
            lambda: (
                in_phase(cluster, CachePhase.LIVE)
                and cluster.states()["Pod"].out_of_date_since is None
                and cached_versions(cluster, "Pod", ns) == versions(get_items(cp, "pods", ns))
            ),
            timeout=90,
            interval=0.5,
            detail=lambda: describe_states(cluster),
        )
