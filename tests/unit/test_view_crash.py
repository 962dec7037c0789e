"""Exit codes in plain words, the kubelet's crash-loop back-off, and crash cards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pods_fixtures import (
    NOW,
    crash_loop_back_off,
    init_crash_loop_back_off,
    oom_killed,
    running_2_of_2,
    sidecar_and_init_running,
    ts,
)

from ktui.view.crash import (
    backoff_for,
    backoff_from_message,
    crash_cards,
    exit_code_meaning,
    next_restart,
    parse_go_duration,
)


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        (0, None, "successfully"),
        (1, "Error", "general error"),
        (2, None, "misuse"),
        (126, None, "could not be run"),
        (127, None, "not found"),
        (137, None, "SIGKILL"),
        (137, "OOMKilled", "memory limit"),
        (139, None, "SIGSEGV"),
        (143, None, "SIGTERM"),
        (130, None, "SIGINT"),
        (135, None, "SIGBUS (128 + 7)"),
        (42, None, "its own exit status"),
    ],
)
def test_exit_code_meanings(code: int, reason: str | None, words: str) -> None:
    assert words in exit_code_meaning(code, reason)


@pytest.mark.parametrize(
    ("restarts", "seconds"),
    [(0, 0), (1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 300), (7, 300), (40, 300)],
)
def test_backoff_doubles_from_ten_seconds_up_to_five_minutes(restarts: int, seconds: float) -> None:
    assert backoff_for(restarts) == seconds


def test_backoff_starts_over_after_ten_minutes_of_running() -> None:
    assert backoff_for(6, last_run_seconds=599) == 300
    assert backoff_for(6, last_run_seconds=600) == 10


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10), ("2m40s", 160), ("5m0s", 300), ("1h0m0s", 3600), ("1m20s", 80), ("x", None)],
)
def test_go_durations(text: str, seconds: float | None) -> None:
    assert parse_go_duration(text) == seconds


def test_the_kubelets_message_names_the_back_off() -> None:
    message = "back-off 2m40s restarting failed container=web pod=web-1_shop(uid)"
    assert backoff_from_message(message) == 160
    assert backoff_from_message("something else") is None


def test_next_restart_is_the_back_off_after_the_last_finish() -> None:
    status = crash_loop_back_off()["status"]["containerStatuses"][0]
    restart = next_restart(status)
    assert restart is not None and restart.from_message
    # finished 130 s before NOW, back-off 2m40s: 30 s from NOW.
    assert restart.at == NOW + timedelta(seconds=30)


def test_next_restart_is_estimated_without_a_message() -> None:
    status = crash_loop_back_off()["status"]["containerStatuses"][0]
    status["state"]["waiting"].pop("message")
    restart = next_restart(status)
    assert restart is not None and not restart.from_message
    assert restart.backoff_seconds == 160  # 5 restarts: 10 * 2^4


def test_no_next_restart_for_a_running_container() -> None:
    assert next_restart(running_2_of_2()["status"]["containerStatuses"][0]) is None


def test_crash_card_of_a_crash_loop_with_its_events() -> None:
    pod = crash_loop_back_off()
    events = [
        {
            "kind": "Event",
            "metadata": {"name": "e1", "namespace": "shop"},
            "involvedObject": {
                "kind": "Pod",
                "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"],
                "fieldPath": "spec.containers{web}",
            },
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container web",
            "count": 12,
            "lastTimestamp": ts(5),
        },
        {
            "kind": "Event",
            "metadata": {"name": "e2", "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": pod["metadata"]["name"]},
            "type": "Normal",
            "reason": "Scheduled",
            "message": "Successfully assigned shop/web to node-1",
            "lastTimestamp": ts(900),
        },
    ]
    [card] = crash_cards(pod, events, NOW)
    assert card.container == "web" and card.group == "main"
    assert (card.exit_code, card.reason) == (1, "Error")
    assert "general error" in card.meaning
    assert card.message == "panic: cannot connect to db"
    assert card.finished_at == NOW - timedelta(seconds=130)
    assert card.restart_count == 5 and card.waiting_reason == "CrashLoopBackOff"
    assert card.restart is not None and card.restart.at == NOW + timedelta(seconds=30)
    assert [e.reason for e in card.events] == ["BackOff"]
    assert not card.current


def test_crash_card_of_an_oom_kill_shows_the_current_run_and_the_limit() -> None:
    [card] = crash_cards(oom_killed(), [], NOW)
    assert card.current and card.exit_code == 137 and card.reason == "OOMKilled"
    assert "memory limit" in card.meaning
    assert card.memory_limit == "128Mi"
    assert card.restart is None


def test_crash_cards_of_init_containers_and_sidecars() -> None:
    [card] = crash_cards(init_crash_loop_back_off(), [], NOW)
    assert (card.container, card.group, card.restart_count) == ("wait-for-db", "init", 4)
    [sidecar] = crash_cards(sidecar_and_init_running(), [], NOW)
    assert (sidecar.container, sidecar.group, sidecar.exit_code) == ("proxy", "sidecar", 2)


def test_no_cards_for_containers_that_never_restarted() -> None:
    assert crash_cards(running_2_of_2(), [], NOW) == []
