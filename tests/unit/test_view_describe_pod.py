"""`describe_pod` is `kubectl describe pod`: the same text as kubectl v1.32 for the pods in
data/kubectl_describe_pod_cases.json (captured from kubectl against `ktui sim`), and the
sections, field names and order of kubectl for a pod with every kind of container, probes,
environment, volumes of several types, tolerations and a node selector."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ktui.view.describe_pod import describe_pod, go_time, tabwriter_format

CASES = json.loads(
    (Path(__file__).parent / "data" / "kubectl_describe_pod_cases.json").read_text()
)["cases"]
NOW = datetime(2026, 12, 6, 18, 0, 0, tzinfo=UTC)

Obj = dict[str, Any]


def set_local_zone(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    """The process's local zone (what kubectl and describe_pod print times in) for one test."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()


@pytest.fixture(autouse=True)
def utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The captured kubectl text is in UTC (kubectl ran on a UTC machine): the same here, whatever
    # zone the test machine is in. monkeypatch restores TZ; tzset then applies the old zone.
    set_local_zone(monkeypatch, "UTC")
    yield
    monkeypatch.undo()
    time.tzset()


def stamp(seconds_ago: int) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _projected_optional(text: str) -> str:
    # kubectl v1.32 prints a projected source's set `optional` as a pointer (<pointer> in the
    # data); ktui prints the value.
    return re.sub(
        r"((?:SecretOptionalName|ConfigMapOptional):\s+)(true|false)", r"\1<pointer>", text
    )


@pytest.mark.parametrize(
    "case", CASES, ids=[c["pod"]["metadata"]["name"].split("-")[0] for c in CASES]
)
def test_the_text_is_kubectls_up_to_the_events(case: Obj) -> None:
    mine = describe_pod(case["pod"], [], NOW)
    before_events = mine[: mine.index("\nEvents:") + 1]
    assert _projected_optional(before_events) == case["kubectl"]


def rich_pod() -> Obj:
    """The pod of the first case (init container, native sidecar, regular container, probes,
    env of every source, eight volumes, tolerations, node selector), scheduled and running."""
    pod = copy.deepcopy(CASES[0]["pod"])
    assert pod["metadata"]["name"] == "rich"
    pod["spec"]["nodeName"] = "node-1"
    pod["metadata"]["ownerReferences"] = [
        {"kind": "ReplicaSet", "name": "rich-abc", "uid": "u1", "controller": True}
    ]
    pod["status"] = {
        "phase": "Running",
        "hostIP": "10.0.0.1",
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}],
        "startTime": stamp(600),
        "qosClass": "Burstable",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "False"},
            {"type": "PodScheduled", "status": "True"},
        ],
        "initContainerStatuses": [
            {
                "name": "setup",
                "containerID": "containerd://s1",
                "imageID": "docker.io/busybox@sha256:1",
                "ready": False,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": stamp(590),
                        "finishedAt": stamp(585),
                    }
                },
            },
            {
                "name": "proxy",
                "containerID": "containerd://p1",
                "imageID": "docker.io/envoy@sha256:2",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": stamp(580)}},
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "containerID": "containerd://a2",
                "imageID": "registry.example/app@sha256:3",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "OOMKilled",
                        "startedAt": stamp(120),
                        "finishedAt": stamp(60),
                    }
                },
            }
        ],
    }
    return pod


def top_level_fields(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^([A-Za-z][A-Za-z -]*):", text, re.MULTILINE)]


def block(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_the_sections_are_kubectls_in_kubectls_order() -> None:
    text = describe_pod(rich_pod(), [], NOW)
    assert top_level_fields(text) == [
        "Name",
        "Namespace",
        "Priority",
        "Priority Class Name",
        "Service Account",
        "Node",
        "Start Time",
        "Labels",
        "Annotations",
        "Status",
        "IP",
        "IPs",
        "Controlled By",
        "Init Containers",
        "Containers",
        "Conditions",
        "Volumes",
        "QoS Class",
        "Node-Selectors",
        "Tolerations",
        "Events",
    ]
    assert "Node:                 node-1/10.0.0.1\n" in text
    assert "Start Time:           Sun, 06 Dec 2026 17:50:00 +0000\n" in text
    assert "IPs:\n  IP:           10.244.1.7\n  IP:           fd00::7\n" in text
    assert "Controlled By:  ReplicaSet/rich-abc\n" in text
    assert text.endswith("Events:                      <none>\n")


def test_containers_have_their_state_resources_probes_environment_and_mounts() -> None:
    text = describe_pod(rich_pod(), [], NOW)
    init = block(text, "Init Containers:\n", "\nContainers:\n")
    # The init container, then the native sidecar (restartPolicy Always), in the spec's order.
    assert init.index("  setup:\n") < init.index("  proxy:\n")
    setup = block(init, "  setup:\n", "  proxy:\n")
    for line in (
        r"    Container ID: +containerd://s1\n",
        r"    State: +Terminated\n      Reason: +Completed\n      Exit Code: +0\n",
        r"      Started: +Sun, 06 Dec 2026 17:50:10 \+0000\n",
        r"      Finished: +Sun, 06 Dec 2026 17:50:15 \+0000\n",
        r"    Ready: +False\n",
    ):
        assert re.search(line, setup), line
    sidecar = init[init.index("  proxy:\n") :]
    assert re.search(r"    State: +Running\n      Started: +Sun, 06 Dec 2026 17:50:20", sidecar)
    assert re.search(r"    Ports: +15001/TCP, 15090/TCP\n    Host Ports: +0/TCP, 0/TCP\n", sidecar)
    assert re.search(r"    Startup: +tcp-socket :15001 delay=0s timeout=1s period=1s", sidecar)

    app = block(text, "\nContainers:\n", "\nConditions:\n")
    order = [
        "Container ID:",
        "Image:",
        "Image ID:",
        "Port:",
        "Host Port:",
        "Args:",
        "State:",
        "Last State:",
        "Ready:",
        "Restart Count:",
        "Limits:",
        "Requests:",
        "Liveness:",
        "Readiness:",
        "Environment Variables from:",
        "Environment:",
        "Mounts:",
    ]
    positions = [app.index(f"    {name}") for name in order]
    assert positions == sorted(positions)
    assert re.search(r"    State: +Waiting\n      Reason: +CrashLoopBackOff\n", app)
    assert re.search(r"    Last State: +Terminated\n      Reason: +OOMKilled\n", app)
    assert re.search(r"      Exit Code: +137\n", app)
    assert re.search(r"    Restart Count: +4\n", app)
    assert re.search(r"    Limits:\n      cpu: +1\n      memory: +512Mi\n", app)
    assert re.search(
        r"    Liveness: +http-get http://:8080/healthz delay=5s timeout=2s period=10s "
        r"#success=1 #failure=3\n",
        app,
    )
    assert re.search(r"    Readiness: +exec \[cat /tmp/ready\] delay=0s timeout=1s period=5s", app)
    assert re.search(r"      app-secrets +Secret with prefix 'S_' +Optional: true\n", app)
    for env in (
        r"PLAIN: +v\n      MULTI: +a\n +b\n",
        r"POD_NAME: +rich \(v1:metadata.name\)",
        r"POD_IP: +\(v1:status.podIP\)",
        r"CPU_LIMIT: +1000 \(limits.cpu\)",
        r"MEM_REQ: +256 \(requests.memory\)",
        r"PASSWORD: +<set to the key 'password' in secret 'db'> +Optional: false",
        r"MODE: +<set to the key 'mode' of config map 'app-config'> +Optional: true",
    ):
        assert re.search(env, app), env
    # Mounts by path, with kubectl's flags.
    assert re.search(
        r"    Mounts:\n      /cache from cache \(rw,path=\"app\"\)\n"
        r"      /etc/app from config \(ro\)\n      /var/data from data \(rw\)$",
        app,
    )


def test_volumes_qos_node_selector_and_tolerations() -> None:
    text = describe_pod(rich_pod(), [], NOW)
    volumes = block(text, "\nVolumes:\n", "\nQoS Class:")
    names = re.findall(r"^  ([a-z-]+):$", volumes, re.MULTILINE)
    assert names == ["data", "config", "cache", "scratch", "certs", "host", "info", "kube-api"]
    for expected in (
        r"Type: +PersistentVolumeClaim \(a reference to a PersistentVolumeClaim",
        r"ClaimName: +rich-data",
        r"Type: +ConfigMap \(a volume populated by a ConfigMap\)",
        r"SizeLimit: +1Gi",
        r"SizeLimit: +<unset>",
        r"SecretName: +tls\n    Optional: +true",
        r"Path: +/var/log\n    HostPathType: +Directory",
        r"Items:\n      metadata.labels -> labels",
        r"TokenExpirationSeconds: +3607",
    ):
        assert re.search(expected, volumes), expected
    assert re.search(r"\nQoS Class: +Burstable\n", text)
    # gpu-trainer's "didn't match node selector": here is the selector.
    assert re.search(r"\nNode-Selectors: +gpu=a100\n +kubernetes.io/os=linux\n", text)
    assert re.search(
        r"\nTolerations: +op=Exists\n +gpu=true:NoSchedule\n"
        r" +node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n",
        text,
    )


def test_events_oldest_first_with_kubectls_columns_and_counts() -> None:
    pod = rich_pod()

    def event(reason: str, type_: str, first: int, last: int, count: int) -> Obj:
        return {
            "type": type_,
            "reason": reason,
            "message": f" {reason} message \n",
            "count": count,
            "firstTimestamp": stamp(first),
            "lastTimestamp": stamp(last),
            "source": {"component": "kubelet", "host": "node-1"},
        }

    events = [
        event("BackOff", "Warning", 300, 10, 12),
        event("Scheduled", "Normal", 600, 600, 1),
        {
            "type": "Normal",
            "reason": "Pulled",
            "note": "pulled",
            "eventTime": stamp(500).replace("Z", ".000000Z"),
            "series": {"count": 3, "lastObservedTime": stamp(100)},
            "reportingController": "kubelet",
        },
    ]
    text = describe_pod(pod, events, NOW)
    table = text[text.index("\nEvents:\n") + 1 :]
    assert table.splitlines() == [
        "Events:",
        "  Type     Reason     Age                   From     Message",
        "  ----     ------     ----                  ----     -------",
        "  Normal   Pulled     100s (x3 over 8m20s)  kubelet  pulled",
        "  Normal   Scheduled  10m                   kubelet  Scheduled message",
        "  Warning  BackOff    10s (x12 over 5m)     kubelet  BackOff message",
    ]


def test_a_terminating_pod_and_go_times() -> None:
    pod = rich_pod()
    pod["metadata"]["deletionTimestamp"] = stamp(45)
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    text = describe_pod(pod, [], NOW)
    assert re.search(
        r"\nStatus: +Terminating \(lasts 45s\)\nTermination Grace Period: +30s\n", text
    )
    assert go_time("2024-02-29T23:05:09Z", UTC) == "Thu, 29 Feb 2024 23:05:09 +0000"
    assert go_time(None, UTC) == "Mon, 01 Jan 0001 00:00:00 +0000"


def test_tabwriter_columns_end_at_a_line_without_a_tab() -> None:
    # Go's text/tabwriter with kubectl's settings (padding 2): consecutive lines share their
    # columns; a line without a tab ends the block; the text after a line's last tab is no cell.
    text = "a:\tx\nlonger:\ty\nheading\n  b:\tz\n"
    assert tabwriter_format(text) == "a:       x\nlonger:  y\nheading\n  b:  z\n"


def test_tabs_and_line_breaks_in_values_cannot_move_columns_or_make_up_lines() -> None:
    pod = rich_pod()
    pod["metadata"]["labels"] = {"app": "a\tb", "fake": "x\nStatus:\tHacked"}
    text = describe_pod(pod, [], NOW)
    assert "app=a\\tb\n" in text
    assert "fake=x\\nStatus:\\tHacked\n" in text
    assert re.findall(r"^Status:", text, re.MULTILINE) == ["Status:"]


def test_times_are_printed_in_the_local_zone_as_kubectl_prints_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # kubectl prints `.Time.Local()`: on a machine in New York, the offset of that moment
    # (summer time in July, standard time in January), whatever zone ktui's clock is in.
    set_local_zone(monkeypatch, "America/New_York")
    pod = rich_pod()
    pod["status"]["startTime"] = "2024-07-01T12:00:00Z"
    pod["status"]["containerStatuses"][0]["state"] = {
        "terminated": {
            "exitCode": 1,
            "startedAt": "2024-01-15T12:00:00Z",
            "finishedAt": "2024-01-15T12:00:05Z",
        }
    }
    text = describe_pod(pod, [], NOW)
    assert re.search(r"\nStart Time: +Mon, 01 Jul 2024 08:00:00 -0400\n", text)
    assert re.search(r"\n +Started: +Mon, 15 Jan 2024 07:00:00 -0500\n", text)
    assert re.search(r"\n +Finished: +Mon, 15 Jan 2024 07:00:05 -0500\n", text)
    set_local_zone(monkeypatch, "Asia/Kolkata")
    assert re.search(
        r"\nStart Time: +Mon, 01 Jul 2024 17:30:00 \+0530\n", describe_pod(pod, [], NOW)
    )


def test_a_year_one_time_west_of_utc_prints_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    # Year 1 at 00:00 UTC is year 0 in New York, which Python's datetime cannot hold.
    set_local_zone(monkeypatch, "America/New_York")
    pod = rich_pod()
    pod["status"]["startTime"] = "0001-01-01T00:00:00Z"
    text = describe_pod(pod, [], NOW)
    assert re.search(r"\nStart Time: +Mon, 01 Jan 0001 00:00:00 \+0000\n", text)


def _env_value(text: str, name: str) -> str:
    found = re.search(rf"\n +{name}: +(.*)\n", text)
    assert found is not None, text
    return found.group(1)


def _with_resource_env(limits: Obj, *refs: tuple[str, Obj]) -> Obj:
    pod = rich_pod()
    container = pod["spec"]["containers"][0]
    container["resources"] = {"limits": limits}
    container["env"] = [
        {"name": name, "valueFrom": {"resourceFieldRef": ref}} for name, ref in refs
    ]
    return pod


def test_resource_field_values_are_kubectl_v1_32s_float64_quotients() -> None:
    # The values kubectl v1.32.4 prints for these (run against `ktui sim`): its
    # ExtractContainerResourceValue divides float64(Value()) by float64(divisor.Value()), so a
    # limit of 999999999999999999 is 1000000000000000000 there, and each side is rounded away
    # from zero first (a -0.5 divisor is -1).
    pod = _with_resource_env(
        {"memory": "999999999999999999", "cpu": "999999999999999"},
        ("M", {"resource": "limits.memory"}),
        ("C", {"resource": "limits.cpu", "divisor": "1m"}),
        ("N", {"resource": "limits.memory", "divisor": "-0.5"}),
        ("T", {"resource": "limits.memory", "divisor": "1e-400"}),
    )
    text = describe_pod(pod, [], NOW)
    assert _env_value(text, "M") == "1000000000000000000 (limits.memory)"
    assert _env_value(text, "C") == "999999999999998976 (limits.cpu)"
    assert _env_value(text, "N") == "-1000000000000000000 (limits.memory)"
    assert _env_value(text, "T") == "1000000000000000000 (limits.memory)"


@pytest.mark.parametrize(
    ("memory", "divisor"),
    [("1e400", "1"), ("1", "1e400"), ("1", "-0.5"), ("-0.5", "1"), ("1e99999999999", "1")],
)
def test_resource_field_values_of_absurd_quantities_print_without_raising(
    memory: str, divisor: str
) -> None:
    # A ZeroDivisionError (a -0.5 divisor rounded to 0), an OverflowError (1e400 in a float),
    # or minutes building 10**99999999999 before: now a number (saturated at int64's bounds,
    # where kubectl v1.32 prints a wrapped-around one) or, for what is no quantity, none.
    pod = _with_resource_env(
        {"memory": memory}, ("M", {"resource": "limits.memory", "divisor": divisor})
    )
    value = _env_value(describe_pod(pod, [], NOW), "M")
    assert re.fullmatch(r"(-?[0-9]+|node allocatable) \(limits\.memory\)", value), value


def test_commands_and_args_of_the_wrong_type_print_as_missing() -> None:
    pod = rich_pod()
    container = pod["spec"]["containers"][0]
    container["command"] = "ls -l"  # not one character a line
    container["args"] = 5
    container["livenessProbe"] = {"exec": {"command": True}}
    text = describe_pod(pod, [], NOW)
    main = text[text.index("\nContainers:") :]
    assert "\n    Command:" not in main[: main.index("\n    Environment")]
    assert "\n    Args:" not in main[: main.index("\n    Environment")]
    assert re.search(r"\n +Liveness: +exec \[\] delay=", text)
    container["command"] = ["sh", "-c", "echo hi"]
    text = describe_pod(pod, [], NOW)
    assert re.search(r"\n    Command:\n      sh\n      -c\n      echo hi\n", text)


FUZZ_VALUES: tuple[Any, ...] = (None, 5, 1.5, True, "x", [], {})


def _field_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field and list item of a parsed object, depth first."""
    children: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        yield (*path, key)
        yield from _field_paths(child, (*path, key))


def _replaced(pod: Obj, path: tuple[Any, ...], value: Any) -> Obj:
    copied = copy.deepcopy(pod)
    parent: Any = copied
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copied


@pytest.mark.parametrize(
    "case", CASES, ids=[c["pod"]["metadata"]["name"].split("-")[0] for c in CASES]
)
def test_any_field_of_any_type_describes_without_raising(case: Obj) -> None:
    # The describe screen calls this every second; a field of a type no API server sends (a
    # number for a command, a string for a list, a list for an object) must print, not raise.
    pod = case["pod"]
    events = [
        {"type": "Normal", "reason": "Pulled", "lastTimestamp": stamp(60), "count": 2},
        {"type": "Warning", "reason": "BackOff", "eventTime": stamp(5), "series": {"count": 3}},
    ]
    paths = list(_field_paths(pod))
    assert len(paths) > 20
    for path in paths:
        for value in FUZZ_VALUES:
            text = describe_pod(_replaced(pod, path, value), events, NOW)
            assert text.startswith("Name:"), (path, value)
    for path in _field_paths(events):
        for value in FUZZ_VALUES:
            broken = _replaced({"events": events}, ("events", *path), value)["events"]
            assert describe_pod(pod, broken, NOW).startswith("Name:"), (path, value)
