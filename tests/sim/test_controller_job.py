"""The Job controller: completions, parallelism, back-off limit, deadlines, suspend."""

from __future__ import annotations

from typing import Any

from controller_testing import Cluster, FakeClock, wait_for

from ktui.sim.controllers import util


def job(name: str = "work", restart: str = "Never", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": restart,
                    "containers": [{"name": "work", "image": "busybox"}],
                }
            },
            **spec,
        },
    }


def job_status(c: Cluster, name: str = "work") -> dict[str, Any]:
    return c.get("batch", "jobs", name).get("status") or {}


def condition(c: Cluster, type_: str, name: str = "work") -> dict[str, Any] | None:
    for cond in job_status(c, name).get("conditions") or ():
        if cond["type"] == type_:
            return dict(cond)
    return None


def job_pods(c: Cluster, name: str = "work") -> list[dict[str, Any]]:
    return c.list("", "pods", label_selector=f"job-name={name}")


def test_completions_and_parallelism() -> None:
    with Cluster(nodes=["n1", "n2"]) as c:
        _, rv = c.client.list("", "pods", "default")
        watch = c.client.watch("", "pods", "default", resource_version=rv)
        c.create(job(completions=5, parallelism=2))
        wait_for(lambda: condition(c, "Complete"), "the job completes")
        status = job_status(c)
        assert status["succeeded"] == 5 and "failed" not in status and "active" not in status
        assert status["startTime"] and status["completionTime"]
        complete = condition(c, "Complete")
        assert complete is not None and complete["status"] == "True"
        assert set(complete) == {"type", "status", "lastProbeTime", "lastTransitionTime"}
        running: dict[str, dict[str, Any]] = {}
        while (event := watch.get(timeout=0.2)) is not None:
            name = event.object["metadata"]["name"]
            if event.type == "DELETED" or not util.is_pod_active(event.object):
                running.pop(name, None)
            else:
                running[name] = event.object
            assert len(running) <= 2, f"more than parallelism=2 pods ran: {sorted(running)}"
        watch.close()
        uid = c.get("batch", "jobs", "work")["metadata"]["uid"]
        pods = job_pods(c)
        assert len(pods) == 5
        for pod in pods:
            assert pod["metadata"]["name"].startswith("work-")
            assert pod["metadata"]["labels"]["controller-uid"] == uid
            assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
            assert pod["metadata"]["ownerReferences"][0]["controller"] is True


def test_never_more_pods_than_missing_completions() -> None:
    with Cluster(job_result=lambda pod: None) as c:
        c.create(job(completions=2, parallelism=5))
        wait_for(lambda: job_status(c).get("active") == 2, "two pods run")
        assert len(job_pods(c)) == 2


def test_without_completions_one_success_completes() -> None:
    with Cluster() as c:
        c.create(job(parallelism=2))
        wait_for(lambda: condition(c, "Complete"), "the job completes")
        assert job_status(c)["succeeded"] >= 1


def test_backoff_limit_counts_failure_retries() -> None:
    with Cluster(job_result=lambda pod: "Failed", job_backoff=0.01, job_backoff_max=0.1) as c:
        c.create(job(backoffLimit=2))
        wait_for(lambda: condition(c, "Failed"), "the job fails")
        failed = condition(c, "Failed")
        assert failed is not None
        assert (failed["status"], failed["reason"], failed["message"]) == (
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        )
        assert job_status(c)["failed"] == 3
        assert len(job_pods(c)) == 3
        assert condition(c, "Complete") is None


def test_restarts_of_on_failure_pods_count_against_the_limit() -> None:
    with Cluster(job_result=lambda pod: None) as c:
        c.create(job(restart="OnFailure", backoffLimit=2))
        wait_for(lambda: job_status(c).get("active") == 1, "the pod runs")
        wait_for(lambda: util.pod_phase(job_pods(c)[0]) == "Running", "the pod is running")
        pod = job_pods(c)[0]
        pod["status"]["containerStatuses"][0]["restartCount"] = 2
        c.client.update_status("", "pods", pod)
        wait_for(lambda: condition(c, "Failed"), "the job fails on restarts")
        assert (condition(c, "Failed") or {})["reason"] == "BackoffLimitExceeded"
        wait_for(
            lambda: all(util.is_deleting(p) or util.pod_phase(p) == "Failed" for p in job_pods(c)),
            "the running pod was deleted",
        )


def test_active_deadline() -> None:
    clock = FakeClock(1_600_000_000)
    with Cluster(clock=clock, job_result=lambda pod: None) as c:
        c.create(job(parallelism=2, completions=4, activeDeadlineSeconds=30))
        wait_for(lambda: job_status(c).get("active") == 2, "two pods run")
        assert job_status(c)["startTime"] == util.rfc3339(1_600_000_000)
        c.advance(31)
        wait_for(lambda: condition(c, "Failed"), "the deadline fails the job")
        failed = condition(c, "Failed") or {}
        assert (failed["reason"], failed["message"]) == (
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
        )
        status = job_status(c)
        assert status["failed"] == 2 and "active" not in status
        wait_for(lambda: not job_pods(c), "the active pods were deleted")


def test_suspend_and_resume() -> None:
    with Cluster(job_result=lambda pod: None) as c:
        c.create(job(parallelism=2, completions=2, suspend=True))
        wait_for(lambda: condition(c, "Suspended"), "the job is marked suspended")
        suspended = condition(c, "Suspended") or {}
        assert (suspended["status"], suspended["reason"], suspended["message"]) == (
            "True",
            "JobSuspended",
            "Job suspended",
        )
        assert job_pods(c) == [] and "startTime" not in job_status(c)
        c.patch("batch", "jobs", "work", {"spec": {"suspend": False}})
        wait_for(lambda: job_status(c).get("active") == 2, "resumed pods run")
        resumed = condition(c, "Suspended") or {}
        assert (resumed["status"], resumed["reason"]) == ("False", "JobResumed")
        assert job_status(c)["startTime"]
        c.patch("batch", "jobs", "work", {"spec": {"suspend": True}})
        wait_for(
            lambda: (
                (condition(c, "Suspended") or {}).get("status") == "True"
                and not [p for p in job_pods(c) if not util.is_deleting(p)]
            ),
            "suspending again removes the pods",
        )
