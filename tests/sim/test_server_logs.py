"""pods/log options as kube-apiserver and the kubelet honour them, through the embedded server:
sinceSeconds, sinceTime, tailLines, limitBytes and timestamps, read with kubectl and the
kubernetes client, and the 422 Invalid answers to options kube-apiserver rejects."""

from __future__ import annotations

import json
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from kubernetes import client as k8s

from ktui.sim.lifecycle import ContainerLogState, Run, parse_time
from ktui.sim.logs import PodLogSource, format_timestamp
from ktui.sim.server import SimServer

START = 1_700_000_000.0
NOW = START + 600.0  # the container has run for ten minutes


@pytest.fixture
def logs(sim: SimServer) -> PodLogSource:
    """A running nginx container's log on a fixed clock, for one pod `web-1`."""
    state = ContainerLogState(
        current=Run(started=START, container_id="c1"),
        previous=None,
        waiting_reason=None,
        image="nginx:1.27",
        kind="main",
        restart_count=0,
    )
    source = PodLogSource(lambda pod, container: state, clock=lambda: NOW)
    sim.store.log_source = source
    sim.store.create(
        "",
        "pods",
        {
            "metadata": {"name": "web-1", "namespace": "default"},
            "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "nginx:1.27"}]},
        },
    )
    return source


def times(text: str) -> list[float]:
    """The lines' timestamps, as epoch seconds (RFC 3339 strings do not sort as text)."""
    parsed = [parse_time(line.split(" ", 1)[0]) for line in text.splitlines()]
    assert None not in parsed
    return [t for t in parsed if t is not None]


def test_since_seconds_keeps_the_lines_of_the_last_seconds(
    sim: SimServer, logs: PodLogSource, kubectl: Any
) -> None:
    everything = kubectl("logs", "web-1", "--timestamps").stdout
    older = [t for t in times(everything) if t < NOW - 60]
    newer = [t for t in times(everything) if t >= NOW - 60]
    assert older and newer  # ten minutes of lines, some in the last minute
    last_minute = kubectl("logs", "web-1", "--timestamps", "--since=60s").stdout
    assert times(last_minute) == newer
    # Without timestamps: the same lines, bare.
    bare = kubectl("logs", "web-1", "--since=60s").stdout.splitlines()
    assert bare == [line.split(" ", 1)[1] for line in last_minute.splitlines()]


def test_since_time_and_tail_lines_together(
    sim: SimServer, logs: PodLogSource, kubectl: Any
) -> None:
    everything = kubectl("logs", "web-1", "--timestamps").stdout.splitlines()
    since = format_timestamp(NOW - 120).split(".")[0] + "Z"  # kubectl sends whole seconds
    stamped = kubectl("logs", "web-1", "--timestamps", f"--since-time={since}").stdout
    cutoff = parse_time(since)
    assert cutoff is not None
    assert times(stamped) == [t for t in times("\n".join(everything)) if t >= cutoff]
    assert len(stamped.splitlines()) < len(everything)
    # The last 3 lines of those: tailLines and sinceTime both apply.
    both = kubectl("logs", "web-1", "--timestamps", f"--since-time={since}", "--tail=3").stdout
    assert both.splitlines() == stamped.splitlines()[-3:]
    # A time before the first line: the whole log.
    early = format_timestamp(START - 10).split(".")[0] + "Z"
    whole = kubectl("logs", "web-1", "--timestamps", f"--since-time={early}").stdout
    assert whole.splitlines() == everything


def test_limit_bytes_cuts_the_log_even_mid_line(
    sim: SimServer, logs: PodLogSource, kubectl: Any
) -> None:
    everything = kubectl("logs", "web-1").stdout
    assert len(everything) > 200
    assert kubectl("logs", "web-1", "--limit-bytes=100").stdout == everything[:100]
    # Applied after sinceSeconds, like the kubelet's writer.
    recent = kubectl("logs", "web-1", "--since=60s").stdout
    assert kubectl("logs", "web-1", "--since=60s", "--limit-bytes=7").stdout == recent[:7]


def test_follow_with_since_seconds_and_limit_bytes_ends_at_the_limit(
    sim: SimServer, logs: PodLogSource
) -> None:
    core = k8s.CoreV1Api(sim.api_client())
    response = core.read_namespaced_pod_log(
        "web-1", "default", follow=True, since_seconds=60, limit_bytes=50, _preload_content=False
    )
    body = response.read()
    assert len(body) == 50


@pytest.mark.parametrize(
    ("query", "message", "causes"),
    [
        (
            {"since_seconds": 0},
            'PodLogOptions "web-1" is invalid: sinceSeconds: Invalid value: 0: must be greater'
            " than 0",
            [("sinceSeconds", "FieldValueInvalid")],
        ),
        (
            {"limit_bytes": 0},
            'PodLogOptions "web-1" is invalid: limitBytes: Invalid value: 0: must be greater'
            " than 0",
            [("limitBytes", "FieldValueInvalid")],
        ),
        (
            {"tail_lines": -2},
            'PodLogOptions "web-1" is invalid: tailLines: Invalid value: -2: must be greater'
            " than or equal to 0",
            [("tailLines", "FieldValueInvalid")],
        ),
        (
            {"since_seconds": 10, "since_time": "2024-01-01T00:00:00Z"},
            'PodLogOptions "web-1" is invalid: : Forbidden: at most one of `sinceTime` or'
            " `sinceSeconds` may be specified",
            [("", "FieldValueForbidden")],
        ),
    ],
)
def test_options_kube_apiserver_rejects_are_422_invalid(
    sim: SimServer,
    logs: PodLogSource,
    query: dict[str, Any],
    message: str,
    causes: list[tuple[str, str]],
) -> None:
    params = {
        "since_seconds": "sinceSeconds",
        "since_time": "sinceTime",
        "limit_bytes": "limitBytes",
        "tail_lines": "tailLines",
    }
    url = f"{sim.url}/api/v1/namespaces/default/pods/web-1/log?" + urlencode(
        [(params[k], v) for k, v in query.items()]
    )
    with pytest.raises(HTTPError) as info:
        urlopen(Request(url, headers={"Authorization": f"Bearer {sim.token}"}), timeout=10)
    assert info.value.code == 422
    status = json.loads(info.value.read())
    assert status["reason"] == "Invalid"
    assert status["message"] == message
    assert status["details"]["kind"] == "PodLogOptions"
    assert [(c["field"], c["reason"]) for c in status["details"]["causes"]] == causes
