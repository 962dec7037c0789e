"""Pod columns against kubectl v1.32's printPod, container badges, details and the timeline.

Each expected STATUS names the printPod branch that produces it (printers.go, v1.32).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pods_fixtures as fx
import pytest

from ktui.view.pod import (
    BadgeState,
    Phase,
    Severity,
    TimelineKind,
    container_badges,
    container_groups,
    no_status_text,
    phase_counts,
    pod_phase,
    pod_ready,
    pod_restarts,
    pod_row,
    pod_status_reason,
    pod_timeline,
    restarts_text,
    status_severity,
)

NOW = fx.NOW


@pytest.mark.parametrize("fixture", sorted(fx.EXPECTED_COLUMNS))
def test_status_ready_and_restarts_match_kubectl(fixture: str) -> None:
    pod = getattr(fx, fixture)()
    status, ready, restarts = fx.EXPECTED_COLUMNS[fixture]
    row = pod_row(pod, NOW)
    assert (row.status, row.ready, row.restarts_text) == (status, ready, restarts)
    assert pod_status_reason(pod) == status
    assert "{}/{}".format(*pod_ready(pod)) == ready


# ---- init container branches ---------------------------------------------------------------


def _failed_init(terminated: dict[str, Any]) -> dict[str, Any]:
    pod = fx.init_error()
    pod["status"]["initContainerStatuses"][1]["state"] = {"terminated": terminated}
    return pod


def test_init_container_terminated_without_reason_shows_its_exit_code() -> None:
    pod = _failed_init({"exitCode": 2, "finishedAt": fx.ts(5), "startedAt": fx.ts(9)})
    assert pod_status_reason(pod) == "Init:ExitCode:2"


def test_init_container_killed_by_signal_without_reason_shows_the_signal() -> None:
    pod = _failed_init({"exitCode": 137, "signal": 9, "finishedAt": fx.ts(5)})
    assert pod_status_reason(pod) == "Init:Signal:9"


def test_init_container_waiting_on_image_pull_is_reported_with_init_prefix() -> None:
    pod = fx.init_0_of_2()
    pod["status"]["initContainerStatuses"][0]["state"] = fx.waiting("ImagePullBackOff")
    assert pod_status_reason(pod) == "Init:ImagePullBackOff"


def test_init_container_waiting_on_pod_initializing_counts_as_progress() -> None:
    pod = fx.init_1_of_2()
    pod["status"]["initContainerStatuses"][1]["state"] = fx.waiting("PodInitializing")
    assert pod_status_reason(pod) == "Init:1/2"


def test_restarts_while_initializing_count_only_init_containers() -> None:
    pod = fx.init_1_of_2()
    pod["status"]["containerStatuses"][0]["restartCount"] = 7
    count, last = pod_restarts(pod)
    assert count == 1
    assert last == NOW - timedelta(seconds=12)


def test_restarts_after_initialization_ignore_plain_init_containers() -> None:
    # The completed init container restarted once on its way; once initialized, kubectl counts
    # only regular containers and sidecars.
    pod = fx.pod_initializing()
    pod["status"]["initContainerStatuses"][0]["restartCount"] = 3
    pod["status"]["initContainerStatuses"][0]["lastState"] = fx.terminated("Error", 1, 25, 22)
    assert pod_restarts(pod) == (0, None)


def test_sidecar_crashing_after_initialization_keeps_init_status_and_counts_main_readiness() -> (
    None
):
    # The sidecar is not started (crashing) so the init loop reports Init:CrashLoopBackOff, but the
    # Initialized condition is True, so the regular-container loop still runs: it counts the ready
    # main container and leaves the reason alone because that container is running.
    pod = fx.sidecar_and_init_running()
    sidecar = pod["status"]["initContainerStatuses"][1]
    sidecar["started"] = False
    sidecar["ready"] = False
    sidecar["restartCount"] = 3
    sidecar["state"] = fx.waiting("CrashLoopBackOff")
    sidecar["lastState"] = fx.terminated("Error", 2, 20, 15)
    pod["status"]["containerStatuses"][0]["restartCount"] = 1
    assert pod_status_reason(pod) == "Init:CrashLoopBackOff"
    assert pod_ready(pod) == (1, 2)
    assert pod_restarts(pod) == (4, NOW - timedelta(seconds=15))


def test_sidecars_count_towards_total_only_when_restartable() -> None:
    assert pod_ready(fx.sidecar_and_init_running()) == (2, 2)
    pod = fx.sidecar_and_init_running()
    del pod["spec"]["initContainers"][1]["restartPolicy"]
    assert pod_ready(pod)[1] == 1


# ---- regular container branches ------------------------------------------------------------


def _failed_main(terminated: dict[str, Any]) -> dict[str, Any]:
    pod = fx.failed_job_pod()
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": terminated}
    return pod


def test_container_terminated_without_reason_shows_exit_code() -> None:
    assert pod_status_reason(_failed_main({"exitCode": 3})) == "ExitCode:3"


def test_container_killed_by_signal_without_reason_shows_signal() -> None:
    assert pod_status_reason(_failed_main({"exitCode": 143, "signal": 15})) == "Signal:15"


def test_first_container_with_a_reason_wins() -> None:
    # printPod walks container statuses from last to first, each overwriting the reason.
    pod = fx.running_2_of_2()
    statuses = pod["status"]["containerStatuses"]
    statuses[0]["state"] = fx.waiting("ImagePullBackOff")
    statuses[0]["ready"] = False
    statuses[1]["state"] = fx.waiting("CrashLoopBackOff")
    statuses[1]["ready"] = False
    assert pod_status_reason(pod) == "ImagePullBackOff"


def test_completed_container_beside_running_one_is_running_when_pod_ready() -> None:
    pod = fx.not_ready_with_completed_container()
    for condition in pod["status"]["conditions"]:
        if condition["type"] == "Ready":
            condition["status"] = "True"
    assert pod_status_reason(pod) == "Running"


def test_running_container_that_is_not_ready_is_not_counted() -> None:
    assert pod_ready(fx.running_not_ready()) == (0, 1)


def test_deleted_failed_pod_keeps_its_failure_reason() -> None:
    pod = fx.failed_job_pod()
    pod["metadata"]["deletionTimestamp"] = fx.ts(-30)
    assert pod_status_reason(pod) == "Error"


def test_node_lost_wins_over_terminating() -> None:
    assert pod_status_reason(fx.node_lost()) == "Unknown"
    pod = fx.node_lost()
    del pod["metadata"]["deletionTimestamp"]
    # Without deletion the NodeLost reason is just status.reason, overridden by nothing.
    assert pod_status_reason(pod) == "NodeLost"


def test_status_reason_of_admission_failure_is_shown() -> None:
    pod = fx.evicted()
    pod["status"]["reason"] = "OutOfcpu"
    assert pod_status_reason(pod) == "OutOfcpu"


def test_pod_without_status_is_blank_like_kubectl() -> None:
    pod = fx.pending_unscheduled()
    del pod["status"]
    assert pod_status_reason(pod) == ""
    assert pod_ready(pod) == (0, 1)
    assert pod_phase(pod) == Phase.PENDING


# ---- restarts -----------------------------------------------------------------------------------


def test_restarts_text() -> None:
    last = NOW - timedelta(seconds=45)
    assert restarts_text(3, last, NOW) == "3 (45s ago)"
    assert restarts_text(3, None, NOW) == "3"
    assert restarts_text(0, last, NOW) == "0"


def test_last_restart_is_the_latest_finish_among_containers() -> None:
    pod = fx.running_2_of_2()
    statuses = pod["status"]["containerStatuses"]
    statuses[0]["restartCount"] = 1
    statuses[0]["lastState"] = fx.terminated("Error", 1, 600, 500)
    statuses[1]["restartCount"] = 2
    statuses[1]["lastState"] = fx.terminated("OOMKilled", 137, 400, 300)
    assert pod_restarts(pod) == (3, NOW - timedelta(seconds=300))
    assert pod_row(pod, NOW).restarts_text == "3 (5m ago)"


# ---- phase --------------------------------------------------------------------------------------


def test_pod_phase() -> None:
    assert pod_phase(fx.running_2_of_2()) == Phase.RUNNING
    assert pod_phase(fx.completed_job_pod()) == Phase.SUCCEEDED
    assert pod_phase(fx.failed_job_pod()) == Phase.FAILED
    assert pod_phase(fx.pending_unscheduled()) == Phase.PENDING
    assert pod_phase(fx.node_lost()) == Phase.RUNNING
    strange = fx.running_2_of_2()
    strange["status"]["phase"] = "Exploded"
    assert pod_phase(strange) == Phase.UNKNOWN


@pytest.mark.parametrize(
    "raw",
    [
        "Running",
        "Pending",
        "Succeeded",
        "Failed",
        "Unknown",
        "running",
        "Exploded",
        " Running",
        Phase.FAILED,
        1,
        1.5,
        True,
        [1],
        {"a": 1},
        ("Running",),
    ],
)
def test_pod_phase_is_what_the_enum_call_gives(raw: Any) -> None:
    # pod_phase looks the value up in a dict: the same answer as Phase(raw), unhashables too.
    try:
        expected = Phase(raw)
    except ValueError:
        expected = Phase.UNKNOWN
    found = pod_phase({"status": {"phase": raw}})
    assert found is expected


def test_phase_counts_cover_every_phase() -> None:
    counts = phase_counts(fx.all_pods().values())
    assert set(counts) == set(Phase)
    assert sum(counts.values()) == len(fx.EXPECTED_COLUMNS)
    assert counts[Phase.SUCCEEDED] == 2
    assert counts[Phase.UNKNOWN] == 0


# ---- severity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "ready", "total", "expected"),
    [
        ("Running", 2, 2, Severity.OK),
        ("Running", 1, 2, Severity.WARNING),
        ("NotReady", 1, 2, Severity.WARNING),
        ("Completed", 0, 1, Severity.DONE),
        ("Pending", 0, 1, Severity.PROGRESS),
        ("ContainerCreating", 0, 1, Severity.PROGRESS),
        ("Init:1/2", 0, 1, Severity.PROGRESS),
        ("Init:ContainerCreating", 0, 1, Severity.PROGRESS),
        ("Terminating", 1, 1, Severity.PROGRESS),
        ("Init:CrashLoopBackOff", 0, 1, Severity.ERROR),
        ("CrashLoopBackOff", 0, 1, Severity.ERROR),
        ("OOMKilled", 0, 1, Severity.ERROR),
        ("Evicted", 0, 1, Severity.ERROR),
        ("Unknown", 2, 2, Severity.ERROR),
    ],
)
def test_status_severity(status: str, ready: int, total: int, expected: Severity) -> None:
    assert status_severity(status, ready, total) == expected


# ---- badges -------------------------------------------------------------------------------------


def test_badges_are_ordered_init_then_sidecars_then_regular() -> None:
    pod = fx.sidecar_and_init_running()
    # Put the sidecar first in the spec: display order still groups plain init containers first.
    init = pod["spec"]["initContainers"]
    init.reverse()
    badges = container_badges(pod)
    assert [(b.name, b.group) for b in badges] == [
        ("migrate", "init"),
        ("proxy", "sidecar"),
        ("web", "main"),
    ]
    assert [b.state for b in badges] == [
        BadgeState.SUCCEEDED,
        BadgeState.READY,
        BadgeState.READY,
    ]
    proxy = badges[1]
    assert proxy.restarts == 1
    assert proxy.last_termination_reason == "Error"
    assert proxy.last_exit_code == 2


def test_a_second_regular_container_is_just_main() -> None:
    badges = container_badges(fx.running_2_of_2())
    assert [(b.name, b.group) for b in badges] == [("web", "main"), ("metrics", "main")]


def test_crash_looping_container_badge_carries_its_last_termination() -> None:
    (badge,) = container_badges(fx.crash_loop_back_off())
    assert badge.state == BadgeState.CRASHLOOP
    assert badge.reason == "CrashLoopBackOff"
    assert badge.restarts == 5
    assert badge.ready is False
    assert (badge.last_termination_reason, badge.last_exit_code) == ("Error", 1)
    assert badge.exit_code is None


def test_oom_killed_container_badge_is_failed_with_exit_code() -> None:
    (badge,) = container_badges(fx.oom_killed())
    assert badge.state == BadgeState.FAILED
    assert (badge.reason, badge.exit_code) == ("OOMKilled", 137)
    assert badge.finished_at == NOW - timedelta(seconds=1)
    assert badge.started_at == NOW - timedelta(seconds=70)


@pytest.mark.parametrize(
    ("fixture", "state", "reason"),
    [
        ("pending_unscheduled", BadgeState.WAITING, "Unschedulable"),
        ("scheduling_gated", BadgeState.WAITING, "SchedulingGated"),
        ("container_creating", BadgeState.WAITING, "ContainerCreating"),
        ("image_pull_back_off", BadgeState.ERROR, "ImagePullBackOff"),
        ("err_image_pull", BadgeState.ERROR, "ErrImagePull"),
        ("running_not_ready", BadgeState.RUNNING, None),
        ("completed_job_pod", BadgeState.SUCCEEDED, "Completed"),
        ("failed_job_pod", BadgeState.FAILED, "Error"),
        ("terminating", BadgeState.TERMINATING, None),
        ("evicted", BadgeState.FAILED, "Evicted"),
    ],
)
def test_single_container_badge_state(fixture: str, state: BadgeState, reason: str | None) -> None:
    (badge,) = container_badges(getattr(fx, fixture)())
    assert (badge.state, badge.reason) == (state, reason)


def test_init_badges_while_initializing() -> None:
    badges = container_badges(fx.init_crash_loop_back_off())
    assert [(b.name, b.group, b.state) for b in badges] == [
        ("wait-for-db", "init", BadgeState.CRASHLOOP),
        ("migrate", "init", BadgeState.WAITING),
        ("web", "main", BadgeState.WAITING),
    ]


def test_starting_sidecar_is_running_not_ready() -> None:
    sidecar, main = container_badges(fx.sidecar_starting())
    assert (sidecar.group, sidecar.state, sidecar.ready) == ("sidecar", BadgeState.RUNNING, False)
    assert (main.state, main.reason) == (BadgeState.WAITING, "PodInitializing")


# ---- container details --------------------------------------------------------------------------


def test_container_groups_split_and_describe_state() -> None:
    groups = container_groups(fx.sidecar_and_init_running())
    assert [c.name for c in groups.init] == ["migrate"]
    assert [c.name for c in groups.sidecars] == ["proxy"]
    assert [c.name for c in groups.regular] == ["web"]
    (migrate,) = groups.init
    assert migrate.state_text == "Terminated: Completed (exit 0)"
    assert migrate.duration_seconds == 1.0
    assert migrate.image == fx.TOOLS
    (proxy,) = groups.sidecars
    assert proxy.state_text == "Running since " + fx.ts(39)
    assert proxy.ready is True
    assert proxy.started is True
    assert proxy.restart_count == 1
    assert proxy.last_termination_text == "Error (exit 2)"
    assert proxy.last_finished_at == NOW - timedelta(seconds=40)
    assert proxy.duration_seconds is None


def test_container_detail_for_waiting_and_oom() -> None:
    (pulling,) = container_groups(fx.image_pull_back_off()).regular
    assert pulling.state_text == "Waiting: ImagePullBackOff"
    assert pulling.message == 'Back-off pulling image "registry.example/shop/web:9.9.9"'
    assert pulling.started is None

    (oom,) = container_groups(fx.oom_killed()).regular
    assert oom.state_text == "Terminated: OOMKilled (exit 137)"
    assert (oom.last_termination_reason, oom.last_exit_code) == ("OOMKilled", 137)
    assert oom.last_termination_text == "OOMKilled (exit 137)"
    assert oom.duration_seconds == 69.0

    (crashing,) = container_groups(fx.crash_loop_back_off()).regular
    assert crashing.state_text == "Waiting: CrashLoopBackOff"
    assert crashing.last_termination_text == "Error (exit 1)"


def test_container_detail_without_status() -> None:
    # An unscheduled pod's container has no status at all: no "Waiting: Unschedulable".
    (web,) = container_groups(fx.pending_unscheduled()).regular
    assert web.state_text == "Not created (pod unschedulable)"
    (work,) = container_groups(fx.scheduling_gated()).regular
    assert work.state_text == "Not created (pod scheduling gated)"
    (evicted,) = container_groups(fx.evicted()).regular
    assert evicted.state == BadgeState.FAILED
    assert evicted.state_text == "Not started: pod Evicted"


def test_no_status_text_says_the_container_has_no_state_never_waiting() -> None:
    assert no_status_text("Unschedulable") == "Not created (pod unschedulable)"
    assert no_status_text("SchedulingGated") == "Not created (pod scheduling gated)"
    assert no_status_text("SomethingNew") == "Not created (pod not scheduled: SomethingNew)"
    assert no_status_text(None) == "No status yet"
    assert no_status_text("") == "No status yet"


def test_container_detail_of_a_scheduled_pod_not_reported_yet() -> None:
    pod = fx.pending_unscheduled()
    pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
    (web,) = container_groups(pod).regular
    assert (web.state, web.state_text) == (BadgeState.WAITING, "No status yet")


def test_container_detail_terminated_by_signal_without_reason() -> None:
    (backup,) = container_groups(_failed_main({"exitCode": 137, "signal": 9})).regular
    assert backup.state_text == "Terminated: signal 9"


# ---- pod row ------------------------------------------------------------------------------------


def test_pod_row_fields() -> None:
    row = pod_row(fx.running_2_of_2(), NOW)
    assert row.name == "web-7d9f8b6c5d-r7g8h"
    assert row.namespace == "shop"
    assert row.uid == "uid-web-7d9f8b6c5d-r7g8h"
    assert row.age == "120m"
    assert row.created == NOW - timedelta(hours=2)
    assert row.node == "node-1"
    assert row.ip == "10.244.1.30"
    assert row.phase == Phase.RUNNING
    assert row.severity == Severity.OK
    assert row.deleting is False
    assert (row.ready_count, row.total_count) == (2, 2)
    assert [b.name for b in row.badges] == ["web", "metrics"]
    assert row.sort_key == ("shop", "web-7d9f8b6c5d-r7g8h")


def test_pod_row_of_unscheduled_pod_has_no_node_or_ip() -> None:
    row = pod_row(fx.pending_unscheduled(), NOW)
    assert (row.node, row.ip) == ("<none>", "<none>")
    assert row.age == "45s"


def test_pod_row_marks_deletion() -> None:
    assert pod_row(fx.terminating(), NOW).deleting is True


# ---- timeline -----------------------------------------------------------------------------------


def test_timeline_orders_pod_and_container_events() -> None:
    entries = pod_timeline(fx.sidecar_and_init_running())
    summary = [
        (int((NOW - e.at).total_seconds()), e.kind, e.subject, e.detail, e.previous_run)
        for e in entries
    ]
    assert summary == [
        (120, TimelineKind.CREATED, "pod", "created", False),
        (120, TimelineKind.CONDITION, "PodScheduled", "True", False),
        (118, TimelineKind.CONDITION, "PodReadyToStartContainers", "True", False),
        (117, TimelineKind.STARTED, "migrate", "started", False),
        (116, TimelineKind.TERMINATED, "migrate", "Completed (exit 0)", False),
        # Same second: the sidecar's start is what lets the pod become Initialized.
        (115, TimelineKind.STARTED, "proxy", "started", True),
        (115, TimelineKind.CONDITION, "Initialized", "True", False),
        (110, TimelineKind.STARTED, "web", "started", False),
        (108, TimelineKind.CONDITION, "ContainersReady", "True", False),
        (108, TimelineKind.CONDITION, "Ready", "True", False),
        (40, TimelineKind.TERMINATED, "proxy", "Error (exit 2)", True),
        (39, TimelineKind.STARTED, "proxy", "started", False),
    ]
    proxy_stop = entries[10]
    assert proxy_stop.group == "sidecar"
    assert proxy_stop.ok is False
    assert proxy_stop.duration_seconds == 75.0
    assert entries[4].duration_seconds == 1.0
    assert entries[4].group == "init"


def test_timeline_shows_false_conditions_with_reason() -> None:
    entries = pod_timeline(fx.pending_unscheduled())
    assert [(e.kind, e.subject, e.detail, e.ok) for e in entries] == [
        (TimelineKind.CREATED, "pod", "created", True),
        (TimelineKind.CONDITION, "PodScheduled", "False: Unschedulable", False),
    ]


def test_timeline_skips_entries_without_time() -> None:
    pod = fx.crash_loop_back_off()
    for condition in pod["status"]["conditions"]:
        condition["lastTransitionTime"] = None
    del pod["metadata"]["creationTimestamp"]
    entries = pod_timeline(pod)
    assert [(e.kind, e.detail, e.previous_run) for e in entries] == [
        (TimelineKind.STARTED, "started", True),
        (TimelineKind.TERMINATED, "Error (exit 1)", True),
    ]


def test_a_new_version_of_a_pod_is_printed_again() -> None:
    import copy

    import pods_fixtures as fx

    from ktui.view.pod import pod_status_reason

    running = fx.running_2_of_2()
    assert pod_status_reason(running) == "Running"
    # Same uid, a new object (the next version from the API): its own status, not the cached.
    crashing = copy.deepcopy(fx.crash_loop_back_off())
    crashing["metadata"]["uid"] = running["metadata"]["uid"]
    assert pod_status_reason(crashing) == "CrashLoopBackOff"
    assert pod_status_reason(running) == "Running"
