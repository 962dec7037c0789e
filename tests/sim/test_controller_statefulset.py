"""The StatefulSet controller: ordered start / stop, reverse rolling updates, partitions,
OnDelete, revisions."""

from __future__ import annotations

from typing import Any

from controller_testing import Cluster, FakeClock, wait_for

from ktui.sim.controllers import util

REVISION_LABEL = "controller-revision-hash"


def statefulset(
    name: str = "web",
    replicas: int = 3,
    image: str = "nginx:1",
    update_strategy: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }
    if update_strategy is not None:
        obj["spec"]["updateStrategy"] = update_strategy
    return obj


def sts_status(c: Cluster, name: str = "web") -> dict[str, Any]:
    return c.get("apps", "statefulsets", name).get("status") or {}


def pods(c: Cluster, app: str = "web") -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in c.list("", "pods", label_selector=f"app={app}")}


def settled(c: Cluster, replicas: int, name: str = "web") -> bool:
    sts = c.get("apps", "statefulsets", name)
    status = sts.get("status") or {}
    return (
        status.get("observedGeneration") == sts["metadata"]["generation"]
        and status.get("replicas") == replicas
        and status.get("readyReplicas", 0) == replicas
        and status.get("updatedReplicas", 0) == replicas
        and status.get("currentRevision") == status.get("updateRevision")
    )


def set_image(c: Cluster, image: str, name: str = "web") -> None:
    c.patch(
        "apps",
        "statefulsets",
        name,
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}},
    )


def record(c: Cluster) -> Any:
    return c.store.watch("", "pods", namespace="default", resource_version=c.store.resource_version)


def drain(watch: Any) -> list[Any]:
    events = []
    while (event := watch.get(timeout=0.2)) is not None:
        events.append(event)
    watch.close()
    return events


def first(events: list[Any], predicate: Any) -> int:
    for i, event in enumerate(events):
        if predicate(event):
            return i
    raise AssertionError("no such event")


def is_ready(event: Any, name: str) -> bool:
    return (
        event.object["metadata"]["name"] == name
        and event.type != "DELETED"
        and util.is_pod_ready(event.object)
        and not util.is_deleting(event.object)
    )


def test_ordered_ready_creates_one_ordinal_at_a_time() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        watch = record(c)
        c.create(statefulset(replicas=3))
        wait_for(lambda: settled(c, 3), "three ready replicas")
        events = drain(watch)
        added = {
            n: first(events, lambda e, n=n: e.type == "ADDED" and e.object["metadata"]["name"] == n)
            for n in ("web-0", "web-1", "web-2")
        }
        ready = {n: first(events, lambda e, n=n: is_ready(e, n)) for n in ("web-0", "web-1")}
        assert added["web-0"] < ready["web-0"] < added["web-1"] < ready["web-1"] < added["web-2"]
        for name, pod in pods(c).items():
            ordinal = name.rsplit("-", 1)[1]
            assert pod["spec"]["hostname"] == name
            assert pod["spec"]["subdomain"] == "web"
            assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == name
            assert pod["metadata"]["generateName"] == "web-"
            assert ordinal in "012"
        status = sts_status(c)
        assert status["currentRevision"] == status["updateRevision"]
        assert status["currentReplicas"] == 3 and status["collisionCount"] == 0
        revision = status["updateRevision"]
        assert all(p["metadata"]["labels"][REVISION_LABEL] == revision for p in pods(c).values())
        (cr,) = c.list("apps", "controllerrevisions")
        assert cr["metadata"]["name"] == revision and cr["revision"] == 1
        assert cr["metadata"]["labels"]["controller.kubernetes.io/hash"] == revision[len("web-") :]
        assert cr["data"]["spec"]["template"]["$patch"] == "replace"


def test_not_ready_pod_blocks_the_next_ordinal() -> None:
    gate: set[str] = set()
    with Cluster(ready=lambda pod: pod["metadata"]["name"] in gate) as c:
        c.create(statefulset(replicas=3))
        wait_for(
            lambda: util.pod_phase(pods(c).get("web-0") or {}) == "Running",
            "web-0 runs (not ready)",
        )
        wait_for(lambda: sts_status(c).get("replicas") == 1, "the controller saw web-0 run")
        assert list(pods(c)) == ["web-0"]
        gate.add("web-0")
        assert c.kubelet is not None
        c.kubelet.resync()
        wait_for(lambda: "web-1" in pods(c), "web-1 follows once web-0 is ready")
        assert "web-2" not in pods(c)


def test_scale_down_goes_from_the_highest_ordinal() -> None:
    with Cluster() as c:
        c.create(statefulset(replicas=4))
        wait_for(lambda: settled(c, 4), "four ready replicas")
        watch = record(c)
        c.patch("apps", "statefulsets", "web", {"spec": {"replicas": 1}})
        wait_for(lambda: list(pods(c)) == ["web-0"], "scaled down to web-0")
        events = drain(watch)
        gone = [e.object["metadata"]["name"] for e in events if e.type == "DELETED"]
        assert gone == ["web-3", "web-2", "web-1"]
        # Each deletion starts only after the previous pod is gone (monotonic).
        marked = {
            n: first(
                events,
                lambda e, n=n: e.object["metadata"]["name"] == n and util.is_deleting(e.object),
            )
            for n in gone
        }
        removed = {
            n: first(
                events, lambda e, n=n: e.type == "DELETED" and e.object["metadata"]["name"] == n
            )
            for n in gone
        }
        assert removed["web-3"] < marked["web-2"] and removed["web-2"] < marked["web-1"]


def test_rolling_update_goes_in_reverse_ordinal_order() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        c.create(statefulset(replicas=3))
        wait_for(lambda: settled(c, 3), "three ready replicas")
        old_revision = sts_status(c)["updateRevision"]
        watch = record(c)
        set_image(c, "nginx:2")
        wait_for(
            lambda: settled(c, 3) and sts_status(c)["updateRevision"] != old_revision,
            "the rolling update completed",
        )
        events = drain(watch)
        deleted = [e.object["metadata"]["name"] for e in events if e.type == "DELETED"]
        assert deleted == ["web-2", "web-1", "web-0"]
        # web-1 is only deleted once the new web-2 is ready, and so on.
        new_ready = {
            n: first(
                events,
                lambda e, n=n: (
                    is_ready(e, n)
                    and e.object["metadata"]["labels"][REVISION_LABEL] != old_revision
                ),
            )
            for n in ("web-2", "web-1")
        }
        marked = {
            n: first(
                events,
                lambda e, n=n: e.object["metadata"]["name"] == n and util.is_deleting(e.object),
            )
            for n in ("web-1", "web-0")
        }
        assert new_ready["web-2"] < marked["web-1"]
        assert new_ready["web-1"] < marked["web-0"]
        status = sts_status(c)
        new_revision = status["updateRevision"]
        assert status["currentRevision"] == new_revision
        for pod in pods(c).values():
            assert pod["metadata"]["labels"][REVISION_LABEL] == new_revision
            assert pod["spec"]["containers"][0]["image"] == "nginx:2"
        revisions = {
            cr["metadata"]["name"]: cr["revision"] for cr in c.list("apps", "controllerrevisions")
        }
        assert revisions == {old_revision: 1, new_revision: 2}


def test_partition_only_updates_ordinals_at_or_above_it() -> None:
    with Cluster() as c:
        c.create(
            statefulset(
                replicas=3,
                update_strategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
            )
        )
        wait_for(lambda: settled(c, 3), "three ready replicas")
        old_revision = sts_status(c)["currentRevision"]
        uids = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
        set_image(c, "nginx:2")

        def partial() -> bool:
            status = sts_status(c)
            return (
                status.get("updatedReplicas") == 1
                and status.get("readyReplicas") == 3
                and status.get("replicas") == 3
                and status.get("updateRevision") != old_revision
            )

        wait_for(partial, "only web-2 was updated")
        current = pods(c)
        assert current["web-2"]["spec"]["containers"][0]["image"] == "nginx:2"
        for name in ("web-0", "web-1"):
            assert current[name]["metadata"]["uid"] == uids[name]
            assert current[name]["metadata"]["labels"][REVISION_LABEL] == old_revision
        status = sts_status(c)
        assert status["currentRevision"] == old_revision and status["currentReplicas"] == 2
        # Lowering the partition lets the update continue downwards.
        c.patch(
            "apps",
            "statefulsets",
            "web",
            {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}},
        )
        wait_for(
            lambda: settled(c, 3) and sts_status(c)["currentRevision"] != old_revision,
            "the update finished after the partition was lowered",
        )


def test_on_delete_waits_for_manual_deletion() -> None:
    with Cluster() as c:
        c.create(statefulset(replicas=2, update_strategy={"type": "OnDelete"}))
        wait_for(lambda: settled(c, 2), "two ready replicas")
        old_revision = sts_status(c)["currentRevision"]
        uids = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
        set_image(c, "nginx:2")
        wait_for(
            lambda: (
                sts_status(c).get("updateRevision") not in (None, old_revision)
                and sts_status(c).get("observedGeneration") == 2
            ),
            "the update was observed",
        )
        assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == uids
        c.client.delete("", "pods", "default", "web-1")
        new_revision = sts_status(c)["updateRevision"]
        wait_for(
            lambda: (
                (p := pods(c).get("web-1")) is not None
                and p["metadata"]["uid"] != uids["web-1"]
                and util.is_pod_ready(p)
            ),
            "web-1 came back",
        )
        assert pods(c)["web-1"]["metadata"]["labels"][REVISION_LABEL] == new_revision
        assert pods(c)["web-0"]["metadata"]["labels"][REVISION_LABEL] == old_revision


def test_parallel_creates_all_pods_at_once() -> None:
    with Cluster(ready=False) as c:
        c.create(statefulset(replicas=3, podManagementPolicy="Parallel"))
        wait_for(
            lambda: sorted(pods(c)) == ["web-0", "web-1", "web-2"],
            "all three pods exist although none is ready",
        )


def test_failed_pod_is_recreated() -> None:
    with Cluster() as c:
        c.create(statefulset(replicas=2))
        wait_for(lambda: settled(c, 2), "two ready replicas")
        pod = c.get("", "pods", "web-1")
        old_uid = pod["metadata"]["uid"]
        pod["status"]["phase"] = "Failed"
        c.client.update_status("", "pods", pod)
        wait_for(
            lambda: (
                (p := pods(c).get("web-1")) is not None
                and p["metadata"]["uid"] != old_uid
                and util.is_pod_ready(p)
            ),
            "the failed web-1 was replaced",
        )


def test_rollback_reuses_the_revision_with_a_new_number() -> None:
    with Cluster() as c:
        c.create(statefulset(replicas=1))
        wait_for(lambda: settled(c, 1), "one ready replica")
        first_revision = sts_status(c)["updateRevision"]
        set_image(c, "nginx:2")
        wait_for(
            lambda: settled(c, 1) and sts_status(c)["updateRevision"] != first_revision,
            "updated to nginx:2",
        )
        set_image(c, "nginx:1")
        wait_for(
            lambda: settled(c, 1) and sts_status(c)["updateRevision"] == first_revision,
            "back on the first revision",
        )
        revisions = {
            cr["metadata"]["name"]: cr["revision"] for cr in c.list("apps", "controllerrevisions")
        }
        assert revisions[first_revision] == 3
        assert sorted(revisions.values()) == [2, 3]


def test_revision_history_limit() -> None:
    with Cluster() as c:
        c.create(statefulset(replicas=1, revisionHistoryLimit=1))
        wait_for(lambda: settled(c, 1), "one ready replica")
        for image in ("nginx:2", "nginx:3", "nginx:4"):
            set_image(c, image)
            wait_for(
                lambda image=image: (
                    settled(c, 1) and pods(c)["web-0"]["spec"]["containers"][0]["image"] == image
                ),
                f"rolled to {image}",
            )
        wait_for(
            lambda: (
                sorted(cr["revision"] for cr in c.list("apps", "controllerrevisions")) == [3, 4]
            ),
            "one old revision is kept",
        )


def test_available_replicas_wait_for_min_ready_seconds() -> None:
    clock = FakeClock(1_600_000_000)
    with Cluster(clock=clock) as c:
        c.create(statefulset(replicas=2, minReadySeconds=10))
        wait_for(lambda: sts_status(c).get("readyReplicas") == 2, "both pods ready")
        assert sts_status(c)["availableReplicas"] == 0
        c.advance(11)
        wait_for(lambda: sts_status(c).get("availableReplicas") == 2, "available after 10s")
