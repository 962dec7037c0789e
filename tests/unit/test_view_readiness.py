"""Why is this pod not ready: plain sentences from the conditions down to the cause."""

from __future__ import annotations

from typing import Any

from pods_fixtures import (
    NOW,
    completed_job_pod,
    crash_loop_back_off,
    image_pull_back_off,
    init_0_of_2,
    init_crash_loop_back_off,
    init_error,
    oom_killed,
    pending_unscheduled,
    running_2_of_2,
    running_not_ready,
    scheduling_gated,
    sidecar_starting,
    ts,
)

from ktui.view.readiness import as_sentence, describe_probe, explain_readiness


def text(pod: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    return " ".join(explain_readiness(pod, events or [], NOW).sentences)


def test_a_ready_pod_says_since_when() -> None:
    result = explain_readiness(running_2_of_2(), [], NOW)
    assert result.ready
    assert result.sentences == ("Ready since 119m ago.",)


def test_crash_loop_names_the_container_the_last_exit_and_the_next_restart() -> None:
    said = text(crash_loop_back_off())
    assert said.startswith("Not ready: container web is waiting in CrashLoopBackOff;")
    assert "it has restarted 5 times, the last run ended Error (exit 1) 2m10s ago" in said
    assert "next restart in about 30s" in said


def test_oom_kill_names_the_memory_limit() -> None:
    said = text(oom_killed())
    assert "container worker has terminated: OOMKilled (exit 137) 1s ago" in said
    assert "it has restarted 2 times, the last run ended OOMKilled (exit 137) 75s ago" in said
    assert "its memory limit is 128Mi" in said


def test_an_unscheduled_pod_quotes_the_scheduler() -> None:
    said = text(pending_unscheduled())
    assert said.startswith("Not ready: the pod is not scheduled (Unschedulable) for 45s:")
    assert "0/3 nodes are available: 3 Insufficient cpu." in said


def test_a_quoted_message_ending_in_a_full_stop_gets_no_second_one() -> None:
    # The scheduler's message ends with "."; the sentence does not add another.
    (sentence,) = explain_readiness(pending_unscheduled(), [], NOW).sentences
    assert sentence.endswith("No preemption victims found for incoming pod.")
    assert ".." not in sentence


def test_as_sentence_capitalises_and_ends_with_exactly_one_full_stop() -> None:
    assert as_sentence("it has restarted once") == "It has restarted once."
    assert as_sentence("didn't match Pod's node affinity/selector.") == (
        "Didn't match Pod's node affinity/selector."
    )
    assert as_sentence("the scheduler says no room. ") == "The scheduler says no room."
    assert as_sentence("is it?") == "Is it?"


def test_a_gated_pod_names_its_gates() -> None:
    assert "scheduling gates (example.com/quota)" in text(scheduling_gated())


def test_init_container_in_crash_loop_blocks_the_rest() -> None:
    said = text(init_crash_loop_back_off())
    assert said.startswith(
        "Not ready: init container wait-for-db (1 of 2) is waiting in CrashLoopBackOff;"
    )
    assert "Still to run after it: migrate." in said
    assert "The containers (web) start once the init containers are done." in said


def test_failed_init_container_of_a_never_restarting_pod() -> None:
    pod = init_error()
    pod["status"]["phase"] = "Pending"  # as it reads while the pod is still being failed
    said = text(pod)
    assert "init container migrate (2 of 2) has terminated: Error (exit 3)" in said
    assert "it will not be run again" in said


def test_running_init_container() -> None:
    said = text(init_0_of_2())
    assert "init container wait-for-db (1 of 2) is still running (started 18s ago); it has" in said
    assert "Still to run after it: migrate." in said


def test_sidecar_not_started_yet() -> None:
    pod = sidecar_starting()
    pod["spec"]["initContainers"][0]["startupProbe"] = {
        "exec": {"command": ["cat", "/ready"]},
        "periodSeconds": 1,
    }
    said = text(pod)
    assert "sidecar proxy is running but its startup probe has not passed yet" in said
    assert "exec [cat /ready] delay=0s timeout=1s period=1s #success=1 #failure=3" in said
    assert "The containers after sidecar proxy wait until it has started." in said


def test_image_pull_quotes_the_kubelet() -> None:
    said = text(image_pull_back_off())
    assert said.startswith("Not ready: container web is waiting: ImagePullBackOff (Back-off")


def test_not_ready_names_the_readiness_probe_and_its_last_failure() -> None:
    pod = running_not_ready()
    pod["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
        "initialDelaySeconds": 4,
        "timeoutSeconds": 1,
        "periodSeconds": 2,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    unhealthy = {
        "kind": "Event",
        "metadata": {"name": "u", "namespace": "shop"},
        "involvedObject": {
            "kind": "Pod",
            "name": pod["metadata"]["name"],
            "uid": pod["metadata"]["uid"],
            "fieldPath": "spec.containers{web}",
        },
        "type": "Warning",
        "reason": "Unhealthy",
        "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "count": 12,
        "lastTimestamp": ts(4),
    }
    said = text(pod, [unhealthy])
    assert said.startswith("Not ready: container web is running (started 85s ago) but not ready;")
    assert "readiness probe http-get http://:8080/healthz delay=4s timeout=1s period=2s" in said
    assert (
        "it last failed 4s ago, 12 times: Readiness probe failed: HTTP probe failed with "
        "statuscode: 503" in said
    )


def test_readiness_gates() -> None:
    pod = running_2_of_2()
    pod["spec"]["readinessGates"] = [
        {"conditionType": "target-health.example.com/lb"},
        {"conditionType": "example.com/feature"},
    ]
    for condition in pod["status"]["conditions"]:
        if condition["type"] == "Ready":
            condition.update(status="False", reason="ReadinessGatesNotReady")
    pod["status"]["conditions"].append(
        {"type": "target-health.example.com/lb", "status": "False", "message": "target draining"}
    )
    said = text(pod)
    assert "readiness gate target-health.example.com/lb is False: target draining" in said
    assert "Readiness gate example.com/feature has not been set by its controller yet." in said


def test_a_finished_pod() -> None:
    result = explain_readiness(completed_job_pod(), [], NOW)
    assert not result.ready and result.sentences[0].startswith("Finished: the pod completed")


def test_describe_probe_tcp_and_defaults() -> None:
    assert (
        describe_probe({"tcpSocket": {"port": 5432}})
        == "tcp-socket :5432 delay=0s timeout=1s period=10s #success=1 #failure=3"
    )


def test_a_failed_pod_names_the_container_that_failed() -> None:
    said = explain_readiness(init_error(), [], NOW).sentences
    assert said[0].startswith("Finished: the pod failed (Failed)")
    assert said[1] == "Init container migrate has terminated: Error (exit 3) 50s ago."
