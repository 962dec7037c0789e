"""Which container the logs screen opens on (`ktui.view.logs.default_container`): the one that
matters for each pod state of pods_fixtures, then a few multi-container cases."""

from __future__ import annotations

import pytest
from pods_fixtures import (
    APP,
    SIDECAR,
    TOOLS,
    container_status,
    crash_loop_back_off,
    image_pull_back_off,
    running,
    running_2_of_2,
    sidecar_and_init_running,
    terminated,
    waiting,
)
from pods_fixtures import all_pods as fixture_pods

from ktui.view.logs import (
    DEFAULT_CONTAINER_ANNOTATION,
    default_container,
    line_count,
    log_instance,
    no_log_yet,
)

EXPECTED = {
    # Nothing ran yet / nothing wrong: kubectl's choice, the first regular container.
    "pending_unscheduled": "web",
    "scheduling_gated": "work",
    "container_creating": "web",
    "pod_initializing": "web",
    "running_2_of_2": "web",
    "sidecar_running_main_starting": "web",
    "sidecar_and_init_running": "web",
    "completed_job_pod": "backup",
    "terminating": "web",
    "terminating_completed": "backup",
    "node_lost": "web",
    "evicted": "web",
    # Stuck in Init: the init container the pod waits for.
    "init_0_of_2": "wait-for-db",
    "init_1_of_2": "migrate",
    "init_crash_loop_back_off": "wait-for-db",
    "init_error": "migrate",
    "sidecar_starting": "proxy",
    # The failing container.
    "image_pull_back_off": "web",
    "err_image_pull": "web",
    "running_not_ready": "web",
    "not_ready_with_completed_container": "agent",
    "crash_loop_back_off": "web",
    "oom_killed": "worker",
    "failed_job_pod": "backup",
    "evicted_container_status_unknown": "web",
}


def test_every_fixture_state_is_covered() -> None:
    assert set(EXPECTED) == set(fixture_pods())


@pytest.mark.parametrize("state", sorted(EXPECTED))
def test_default_container_per_pod_state(state: str) -> None:
    assert default_container(fixture_pods()[state]) == EXPECTED[state]


def with_second_container(pod: dict, name: str, status: dict) -> dict:
    pod["spec"]["containers"].append({"name": name, "image": TOOLS})
    pod["status"]["containerStatuses"].append(status)
    return pod


def test_a_crashing_second_container_wins_over_a_healthy_first() -> None:
    pod = running_2_of_2()
    pod["status"]["containerStatuses"][0] = container_status(
        "metrics",
        "registry.example/exporter:0.9",
        waiting("CrashLoopBackOff", "back-off 10s restarting failed container=metrics"),
        restarts=3,
        last_state=terminated("Error", 2, 30, 20),
    )
    assert default_container(pod) == "metrics"


def test_a_crash_wins_over_an_image_pull_error_and_a_not_ready_container() -> None:
    pod = image_pull_back_off()  # web: ImagePullBackOff (no log yet)
    with_second_container(pod, "slow", container_status("slow", TOOLS, running(60)))
    assert default_container(pod) == "web"
    with_second_container(
        pod,
        "worker",
        container_status(
            "worker", TOOLS, running(5), restarts=1, last_state=terminated("Error", 1, 60, 6)
        ),
    )
    assert default_container(pod) == "worker"


def test_of_two_crashed_containers_the_last_terminated() -> None:
    pod = crash_loop_back_off()  # web last terminated 130 s ago
    with_second_container(
        pod,
        "worker",
        container_status(
            "worker",
            TOOLS,
            waiting("CrashLoopBackOff"),
            restarts=2,
            last_state=terminated("Error", 1, 20, 10),
        ),
    )
    assert default_container(pod) == "worker"
    pod["status"]["containerStatuses"][1]["lastState"] = terminated("Error", 1, 400, 300)
    assert default_container(pod) == "web"


def test_a_crashing_sidecar_after_initialization() -> None:
    pod = sidecar_and_init_running()
    pod["status"]["initContainerStatuses"][1] = container_status(
        "proxy",
        SIDECAR,
        waiting("CrashLoopBackOff"),
        started=False,
        restarts=4,
        last_state=terminated("Error", 2, 12, 10),
    )
    assert default_container(pod) == "proxy"


def test_the_default_container_annotation_when_nothing_is_wrong() -> None:
    pod = running_2_of_2()
    pod["metadata"]["annotations"] = {DEFAULT_CONTAINER_ANNOTATION: "metrics"}
    assert default_container(pod) == "metrics"
    pod["metadata"]["annotations"] = {DEFAULT_CONTAINER_ANNOTATION: "nope"}
    assert default_container(pod) == "web"
    failing = crash_loop_back_off()
    with_second_container(failing, "metrics", container_status("metrics", APP, running(9)))
    failing["status"]["containerStatuses"][1]["ready"] = True
    failing["metadata"]["annotations"] = {DEFAULT_CONTAINER_ANNOTATION: "metrics"}
    assert default_container(failing) == "web"


def test_a_pod_without_containers() -> None:
    assert default_container({"spec": {}}) is None


def test_container_choices_say_what_each_container_is_and_how_it_is() -> None:
    import pods_fixtures as fx

    from ktui.view.logs import container_choices

    choices = dict(container_choices(fx.sidecar_and_init_running()))
    assert any(what.startswith("sidecar · ") for what in choices.values())
    crash = dict(container_choices(fx.crash_loop_back_off()))
    assert any(
        "waiting: CrashLoopBackOff" in what and "restarts" in what for what in crash.values()
    )
    init = container_choices(fx.init_1_of_2())
    assert [what.split(" · ")[0] for _, what in init][:2] == ["init container", "init container"]


@pytest.mark.parametrize(
    "kubelet_says",
    [
        'container "app" in pod "web-1" is waiting to start: trying and failing to pull image',
        'container "app" in pod "web-1" is waiting to start: ContainerCreating',
        'previous terminated container "app" in pod "web-1" not found',
    ],
)
def test_no_log_yet_is_the_kubelets_words_without_the_http_status(kubelet_says: str) -> None:
    assert no_log_yet(f"Bad request (400): {kubelet_says}") == kubelet_says


@pytest.mark.parametrize(
    "error",
    [
        'Forbidden (403): pods "web-1" is forbidden: User cannot get resource pods/log',
        "cannot reach https://10.0.0.1:6443: connection refused",
        'Not found (404): pods "web-1" not found',
    ],
)
def test_no_log_yet_is_none_for_real_errors(error: str) -> None:
    assert no_log_yet(error) is None


def test_line_count_is_singular_for_one_line() -> None:
    assert [line_count(n) for n in (0, 1, 2, 1000)] == [
        "0 lines",
        "1 line",
        "2 lines",
        "1000 lines",
    ]


def _app_pod(status: dict[str, object]) -> dict[str, object]:
    return {
        "spec": {"containers": [{"name": "app"}]},
        "status": {"containerStatuses": [{"name": "app", **status}]},
    }


def test_log_instance_is_the_container_a_read_returns_not_its_state() -> None:
    """What the kubelet serves for a read of the current log through a crash and a restart:
    the same container while it shows terminated and CrashLoopBackOff, the new one once it
    runs; nothing before the first start."""
    first = {
        "exitCode": 137,
        "reason": "OOMKilled",
        "startedAt": "2026-12-06T20:36:40Z",
        "finishedAt": "2026-12-06T20:36:43Z",
        "containerID": "containerd://aaa",
    }
    phases = [
        {"state": {"waiting": {"reason": "ContainerCreating"}}},
        {
            "containerID": "containerd://aaa",
            "state": {"running": {"startedAt": "2026-12-06T20:36:40Z"}},
        },
        {"containerID": "containerd://aaa", "state": {"terminated": first}},
        {
            "containerID": "containerd://aaa",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": first},
        },
        {
            "containerID": "containerd://bbb",
            "state": {"running": {"startedAt": "2026-12-06T20:36:53Z"}},
            "lastState": {"terminated": first},
        },
    ]
    instances = [log_instance(_app_pod(status), "app") for status in phases]
    assert instances == [
        "",
        "containerd://aaa",
        "containerd://aaa",
        "containerd://aaa",
        "containerd://bbb",
    ]


def test_log_instance_without_container_ids_tells_runs_apart_by_their_start() -> None:
    last = {
        "exitCode": 1,
        "startedAt": "2026-12-06T20:30:00Z",
        "finishedAt": "2026-12-06T20:31:00Z",
    }
    backing_off = _app_pod(
        {"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": last}}
    )
    exited = _app_pod({"state": {"terminated": last}})
    again = _app_pod(
        {
            "state": {"running": {"startedAt": "2026-12-06T20:31:10Z"}},
            "lastState": {"terminated": last},
        }
    )
    assert log_instance(backing_off, "app") == log_instance(exited, "app")
    assert log_instance(again, "app") not in ("", log_instance(exited, "app"))
