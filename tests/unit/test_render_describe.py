"""ktui.render.describe: kubectl-describe-like text and YAML of objects as the API returns them."""

from __future__ import annotations

import re
from typing import Any

import pods_fixtures as fx
from render_support import has_style, plain

from ktui.render.describe import describe, object_yaml, without_managed_fields, yaml_syntax
from ktui.view.describe_pod import describe_pod

NOW = fx.NOW


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "uid-web",
            "creationTimestamp": fx.ts(3600),
            "labels": {"app": "web"},
            "annotations": {
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": "{" + "x" * 50 + "}",
            },
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "replicas": 3,
            "selector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}],
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "paused": True,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "web:1.4.2",
                            "ports": [{"containerPort": 8080}],
                            "env": [
                                {"name": "A", "value": "1"},
                                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s"}}},
                            ],
                            "readinessProbe": {
                                "httpGet": {"port": 8080, "path": "/ready", "scheme": "HTTP"}
                            },
                        }
                    ]
                },
            },
        },
        "status": {
            "replicas": 3,
            "updatedReplicas": 2,
            "availableReplicas": 2,
            "unavailableReplicas": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "lastTransitionTime": fx.ts(120),
                }
            ],
        },
    }


def warning_event() -> dict[str, Any]:
    return {
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "shop", "uid": "uid-ev"},
        "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "shop"},
        "type": "Warning",
        "reason": "FailedCreate",
        "message": "quota   exceeded",
        "source": {"component": "deployment-controller"},
        "count": 4,
        "firstTimestamp": fx.ts(600),
        "lastTimestamp": fx.ts(30),
    }


def field(text: str, label: str) -> str:
    line = next(line for line in text.splitlines() if line.lstrip().startswith(label + ":"))
    return line.split(":", 1)[1].strip()


def test_describe_a_deployment() -> None:
    text = describe(deployment(), "Deployment", [warning_event()], NOW)
    shown = text.plain
    assert shown.startswith("Name:                 web\nNamespace:            shop\n")
    assert field(shown, "Kind") == "Deployment"
    assert field(shown, "CreationTimestamp") == f"{fx.ts(3600)} (60m ago)"
    assert field(shown, "Selector") == "app=web,tier in (a,b)"  # kubectl's FormatLabelSelector
    assert field(shown, "Replicas") == (
        "3 desired | 2 updated | 3 total | 2 available | 1 unavailable"
    )
    assert field(shown, "RollingUpdateStrategy") == "0 max unavailable, 1 max surge"
    assert field(shown, "Paused") == "true"
    # A bulky annotation shows its size, not its content.
    assert "kubectl.kubernetes.io/last-applied-configuration=<52 bytes>" in shown
    assert "Available  False   MinimumReplicasUnavailable  2m" in shown
    assert field(shown, "Image") == "web:1.4.2"
    assert field(shown, "Ports") == "8080/TCP"
    assert field(shown, "Readiness") == (
        "http-get http://:8080/ready delay=0s timeout=1s period=10s #success=1 #failure=3"
    )
    assert field(shown, "Environment") == "2 variables (1 from secrets)"
    # kubectl's Events section, as every describer prints it: a rule under the header, the
    # count over the first time, the message as the event says it.
    assert "\n  ----     ------        ----               ----                   -------\n" in shown
    assert (
        "\n  Warning  FailedCreate  30s (x4 over 10m)  deployment-controller  quota   exceeded"
        in shown
    )
    assert not shown.endswith("\n")
    assert has_style(text, "web\n", "bold cyan", width=120)
    assert has_style(text, "Name:", "bold", width=120)
    assert has_style(text, "true", "magenta", width=120)
    assert has_style(text, "False   ", "yellow", width=120)
    assert has_style(text, "Warning  ", "bold red", width=120)
    assert has_style(text, "FailedCreate", "yellow", width=120)


def test_describe_a_pod_is_kubectls_describe_pod_with_its_field_names_in_bold() -> None:
    pod = fx.crash_loop_back_off()
    text = describe(pod, "Pod", [], NOW)
    shown = text.plain
    assert shown == describe_pod(pod, [], NOW).rstrip("\n")
    assert field(shown, "Controlled By") == "ReplicaSet/web-7d9f8b6c5d"
    assert field(shown, "Node") == "node-1/10.0.0.11"  # kubectl's node/hostIP
    assert field(shown, "QoS Class") == "BestEffort"
    assert "Pod Template" not in shown
    assert re.search(r"\nEvents: +<none>$", shown)
    assert has_style(text, "Name:", "bold", width=120)
    assert has_style(text, "Controlled By:", "bold", width=120)


def test_a_pods_warning_events_are_yellow_and_its_strings_cannot_drive_the_terminal() -> None:
    pod = fx.crash_loop_back_off()
    pod["metadata"]["labels"] = {"app": "web\x1b]2;TITLE\x07", "tier": "a\tb"}
    event = warning_event()
    event["involvedObject"] = {"kind": "Pod", "name": "web", "uid": pod["metadata"]["uid"]}
    text = describe(pod, "Pod", [event], NOW)
    assert "\x1b" not in text.plain and "\x07" not in text.plain
    assert "app=web^[]2;TITLE^G" in text.plain
    assert "tier=a\\tb" in text.plain  # a tab would move the columns: written out
    assert has_style(text, "  Warning  FailedCreate", "yellow", width=160)


def test_a_deployments_pod_template_shows_its_annotations_as_kubectl_does() -> None:
    dep = deployment()
    dep["spec"]["template"]["metadata"]["annotations"] = {"prometheus.io/scrape": "true"}
    shown = describe(dep, "Deployment", [], NOW).plain
    lines = shown.splitlines()
    start = lines.index("Pod Template:")
    assert lines[start + 1].split(":", 1)[0].strip() == "Labels"
    assert lines[start + 2].split(":", 1)[0].strip() == "Annotations"
    assert "prometheus.io/scrape=true" in lines[start + 2]
    # None: no Annotations line in the template, as kubectl (the object's own stays).
    del dep["spec"]["template"]["metadata"]["annotations"]
    shown = describe(dep, "Deployment", [], NOW).plain
    template = shown[shown.index("Pod Template:") :]
    assert "Annotations:" not in template


def test_describe_an_object_with_nothing_set() -> None:
    shown = describe({"metadata": {"name": "x"}}, "ConfigMap", [], NOW).plain
    assert field(shown, "Labels") == "<none>"
    assert field(shown, "Annotations") == "<none>"
    assert field(shown, "CreationTimestamp") == "<none>"


def test_yaml_never_shows_managed_fields() -> None:
    obj = deployment()
    text = object_yaml(obj)
    assert text.startswith("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n")
    # kubectl's order: every mapping's keys sorted (metadata.name after annotations, labels...)
    assert text.index("  name: web\n") > text.index("  labels:\n")
    assert text.index("\nspec:\n") < text.index("\nstatus:\n")
    assert "managedFields" not in text
    assert "managedFields" in obj["metadata"]  # the object itself is left alone
    assert without_managed_fields({"kind": "X"}) == {"kind": "X"}


def test_yaml_syntax_has_line_numbers() -> None:
    shown = plain(yaml_syntax("a: 1\nb:\n  - c\n"), width=40)
    assert [line.split() for line in shown.splitlines()] == [
        ["1", "a:", "1"],
        ["2", "b:"],
        ["3", "-", "c"],
        ["4"],
    ]


def test_old_replicasets_are_every_other_one_the_deployment_controls_even_scaled_to_zero() -> None:
    """kubectl v1.32 lists a finished rollout's old ReplicaSet as "(0/0 replicas created)"."""
    web = deployment()

    def rs(name: str, image: str, replicas: int, status: int) -> dict[str, Any]:
        template = {**web["spec"]["template"]}
        template["spec"] = {"containers": [{**template["spec"]["containers"][0], "image": image}]}
        return {
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": "shop",
                "uid": f"uid-{name}",
                "ownerReferences": [
                    {"kind": "Deployment", "name": "web", "uid": "uid-web", "controller": True}
                ],
            },
            "spec": {"replicas": replicas, "template": template},
            "status": {"replicas": status},
        }

    stranger = rs("other-1", "web:1.0", 2, 2)
    stranger["metadata"]["ownerReferences"] = []
    sets = [
        rs("web-c3", "web:1.4.2", 3, 3),
        rs("web-b2", "web:1.3", 0, 0),
        rs("web-a1", "web:1.2", 1, 1),
        stranger,
    ]
    shown = describe(web, "Deployment", [], NOW, sets).plain
    assert field(shown, "NewReplicaSet") == "web-c3 (3/3 replicas created)"
    assert field(shown, "OldReplicaSets") == (
        "web-a1 (1/1 replicas created), web-b2 (0/0 replicas created)"
    )


def test_describe_a_cronjob_and_a_job_as_kubectl_prints_their_fields() -> None:
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report", "namespace": "batch"},
        "spec": {
            "schedule": "*/1 * * * *",
            "suspend": False,
            "startingDeadlineSeconds": 200,
            "jobTemplate": {"spec": {"parallelism": 1, "template": {"spec": {"containers": []}}}},
        },
    }
    shown = describe(cronjob, "CronJob", [], NOW).plain
    for name, value in [
        ("Suspend", "False"),  # describe's True/False (get prints false)
        ("Starting Deadline Seconds", "200s"),
        ("Selector", "<unset>"),
        ("Parallelism", "1"),
        ("Completions", "<unset>"),
    ]:
        assert field(shown, name) == value, name
    names = [line.split(":")[0] for line in shown.splitlines() if ":" in line]
    assert names.index("Failed Job History Limit") < names.index("Starting Deadline Seconds")
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "manual1", "namespace": "batch"},
        "spec": {"suspend": False, "backoffLimit": 2, "template": {"spec": {"containers": []}}},
    }
    shown = describe(job, "Job", [], NOW).plain
    assert field(shown, "Suspend") == "false"
    names = [line.split(":")[0] for line in shown.splitlines() if ":" in line]
    assert names.index("Completion Mode") < names.index("Suspend") < names.index("Backoff Limit")
    del job["spec"]["suspend"]
    assert "Suspend:" not in describe(job, "Job", [], NOW).plain


def test_a_templates_command_keeps_its_arguments_apart_as_kubectl_prints_it() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "failer", "namespace": "batch"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "busybox",
                            "command": ["sh", "-c", "exit 3"],
                            "args": ["echo one\necho two"],
                        }
                    ]
                }
            }
        },
    }
    shown = describe(job, "Job", [], NOW).plain
    assert "\n    Command:\n      sh\n      -c\n      exit 3\n" in shown
    assert "\n    Args:\n      echo one\n      echo two\n" in shown  # a script's lines
