"""The CronJob controller on a fake clock: schedules, concurrency policies, history limits."""

from __future__ import annotations

import calendar
import time
from typing import Any

import pytest
from controller_testing import Cluster, FakeClock, wait_for

from ktui.sim.controllers import util

START = float(calendar.timegm(time.strptime("2020-09-13 12:26:40", "%Y-%m-%d %H:%M:%S")))


def at(hhmmss: str) -> float:
    return float(calendar.timegm(time.strptime(f"2020-09-13 {hhmmss}", "%Y-%m-%d %H:%M:%S")))


def cronjob(name: str = "tick", schedule: str = "*/5 * * * *", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "metadata": {"labels": {"team": "ops"}, "annotations": {"note": "hi"}},
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": "busybox"}],
                        }
                    },
                },
            },
            **spec,
        },
    }


def job_name(t: float, name: str = "tick") -> str:
    return f"{name}-{int(t) // 60}"


def jobs(c: Cluster) -> list[str]:
    return sorted(j["metadata"]["name"] for j in c.list("batch", "jobs"))


def cj_status(c: Cluster, name: str = "tick") -> dict[str, Any]:
    return c.get("batch", "cronjobs", name).get("status") or {}


def move_to(c: Cluster, t: float) -> None:
    """Set the clock to just after `t` (upstream looks 100ms after a scheduled time)."""
    assert isinstance(c.clock, FakeClock)
    c.clock.set(t + 1)
    c.manager.wake()


def events(c: Cluster, reason: str) -> list[dict[str, Any]]:
    items, _ = c.client.list("", "events", "default", field_selector=f"reason={reason}")
    return items


def test_schedule_fires_and_tracks_status() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock) as c:
        c.create(cronjob())
        wait_for(lambda: c.manager["cronjob"].queue.idle(), "the first sync ran")
        assert jobs(c) == []
        move_to(c, at("12:30:00"))
        wait_for(lambda: jobs(c) == [job_name(at("12:30:00"))], "the 12:30 job")
        job = c.get("batch", "jobs", job_name(at("12:30:00")))
        cj = c.get("batch", "cronjobs", "tick")
        assert job["metadata"]["labels"]["team"] == "ops"
        assert job["metadata"]["annotations"]["note"] == "hi"
        assert (
            job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
            == "2020-09-13T12:30:00Z"
        )
        (ref,) = job["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
            "CronJob",
            "tick",
            cj["metadata"]["uid"],
            True,
        )
        assert cj_status(c)["lastScheduleTime"] == "2020-09-13T12:30:00Z"
        # The job succeeds at once (the test kubelet): it leaves `active` and counts as success.
        wait_for(
            lambda: (
                not cj_status(c).get("active")
                and cj_status(c).get("lastSuccessfulTime") == "2020-09-13T12:30:01Z"
            ),
            "the finished job left the active list",
        )
        move_to(c, at("12:35:00"))
        wait_for(lambda: job_name(at("12:35:00")) in jobs(c), "the 12:35 job")
        assert cj_status(c)["lastScheduleTime"] == "2020-09-13T12:35:00Z"


def test_forbid_skips_while_a_job_runs() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock, job_result=lambda pod: None) as c:
        c.create(cronjob(concurrencyPolicy="Forbid"))
        move_to(c, at("12:30:00"))
        wait_for(lambda: len(cj_status(c).get("active") or []) == 1, "one active job")
        move_to(c, at("12:35:00"))
        wait_for(lambda: events(c, "JobAlreadyActive"), "the 12:35 run was refused")
        assert jobs(c) == [job_name(at("12:30:00"))]
        assert cj_status(c)["lastScheduleTime"] == "2020-09-13T12:30:00Z"


def test_replace_deletes_the_running_job() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock, job_result=lambda pod: None) as c:
        c.create(cronjob(concurrencyPolicy="Replace"))
        move_to(c, at("12:30:00"))
        wait_for(lambda: len(cj_status(c).get("active") or []) == 1, "one active job")
        move_to(c, at("12:35:00"))
        second = job_name(at("12:35:00"))
        wait_for(lambda: jobs(c) == [second], "the 12:30 job was replaced")
        assert [ref["name"] for ref in cj_status(c)["active"]] == [second]


def test_allow_runs_jobs_concurrently() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock, job_result=lambda pod: None) as c:
        c.create(cronjob())
        move_to(c, at("12:30:00"))
        wait_for(lambda: len(cj_status(c).get("active") or []) == 1, "one active job")
        move_to(c, at("12:35:00"))
        wait_for(lambda: len(cj_status(c).get("active") or []) == 2, "two active jobs")
        assert jobs(c) == [job_name(at("12:30:00")), job_name(at("12:35:00"))]


@pytest.mark.parametrize(
    ("outcome", "limit_field"),
    [("Succeeded", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")],
)
def test_history_limits(outcome: str, limit_field: str) -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock, job_result=lambda pod: outcome) as c:
        c.create(cronjob(**{limit_field: 2}))
        times = [at(t) for t in ("12:30:00", "12:35:00", "12:40:00", "12:45:00")]
        for t in times:
            move_to(c, t)
            wait_for(
                lambda t=t: (
                    cj_status(c).get("lastScheduleTime") == util.rfc3339(t)
                    and not cj_status(c).get("active")
                ),
                f"the job of {util.rfc3339(t)} finished",
            )
        wait_for(
            lambda: jobs(c) == [job_name(times[2]), job_name(times[3])],
            "only the two newest finished jobs are kept",
        )


def test_missed_runs_only_start_the_latest_within_the_deadline() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock, job_result=lambda pod: None) as c:
        c.create(cronjob(startingDeadlineSeconds=60))
        move_to(c, at("12:40:29"))
        wait_for(lambda: jobs(c), "a job started")
        assert jobs(c) == [job_name(at("12:40:00"))]
        assert cj_status(c)["lastScheduleTime"] == "2020-09-13T12:40:00Z"


def test_suspended_cronjob_starts_nothing_until_resumed() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock, job_result=lambda pod: None) as c:
        c.create(cronjob(suspend=True))
        move_to(c, at("12:40:59"))
        c.patch("batch", "cronjobs", "tick", {"metadata": {"labels": {"seen": "yes"}}})
        wait_for(lambda: c.manager["cronjob"].queue.idle(), "the suspended sync ran")
        assert jobs(c) == []
        c.patch("batch", "cronjobs", "tick", {"spec": {"suspend": False}})
        wait_for(
            lambda: jobs(c) == [job_name(at("12:40:00"))],
            "the most recent missed run starts on resume",
        )


def test_unparseable_schedule_is_reported_not_fatal() -> None:
    clock = FakeClock(START)
    with Cluster(clock=clock) as c:
        c.create(cronjob(name="broken", schedule="61 * * * *"))
        c.create(cronjob())
        wait_for(lambda: events(c, "UnparseableSchedule"), "the bad schedule was reported")
        move_to(c, at("12:30:00"))
        wait_for(lambda: job_name(at("12:30:00")) in jobs(c), "the good cronjob still runs")
