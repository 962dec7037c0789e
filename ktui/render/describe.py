"""Any object as text: kubectl-describe-like (`describe`) and as highlighted YAML (`object_yaml`,
`yaml_syntax`). `metadata.managedFields` is never shown (it is dropped on arrival anyway; objects
from elsewhere may still carry it). The screens showing them are in `ktui.ui.screens.yaml_view`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.syntax import Syntax
from rich.text import Text

from ktui.cluster.selectors import selector_string
from ktui.render import goyaml
from ktui.render.safe import escape_text, safe_text, visible
from ktui.view.age import age, human_duration, parse_time, seconds_between, since
from ktui.view.children import current_replicaset_name
from ktui.view.describe_pod import describe_events, describe_pod, describe_probe
from ktui.view.images import pod_template

Obj = dict[str, Any]

# Annotations that hold whole objects; describe shows that they exist, not their content.
_BULKY_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
_LABEL_WIDTH = 22


def without_managed_fields(obj: Obj) -> Obj:
    metadata = obj.get("metadata")
    if isinstance(metadata, Mapping) and "managedFields" in metadata:
        metadata = {k: v for k, v in metadata.items() if k != "managedFields"}
        return {**obj, "metadata": metadata}
    return obj


def object_yaml(obj: Obj) -> str:
    """The object as `kubectl get -o yaml` prints it (every mapping's keys sorted, strings quoted
    and folded as Go's yaml does: `ktui.render.goyaml`), without managedFields."""
    return goyaml.dump(without_managed_fields(obj))


def yaml_syntax(yaml_text: str, search: str = "", current: int | None = None) -> Syntax:
    """YAML highlighted, with line numbers, long lines wrapped; the matches of `search` marked
    (the `current`-th one standing out), as `yaml_matches` finds them.

    The YAML escapes control characters in double quotes, but not all that a terminal would
    interpret (the bidi controls): what is left is escaped here, line by line."""
    shown = visible(yaml_text, keep_newlines=True)
    syntax = Syntax(
        shown,
        "yaml",
        theme="monokai",
        background_color="default",
        line_numbers=True,
        word_wrap=True,
    )
    for index, (line, start, end) in enumerate(_line_matches(shown, search)):
        style = CURRENT_MATCH_STYLE if index == current else MATCH_STYLE
        syntax.stylize_range(style, (line + 1, start), (line + 1, end))
    return syntax


# ----------------------------------------------------------------------------- search

MATCH_STYLE = "black on yellow"
CURRENT_MATCH_STYLE = "bold black on dark_orange"
"""The match jumped to: its background tells it apart (`match_row` looks for it)."""


def find_matches(plain: str, search: str) -> list[tuple[int, int]]:
    """(start, end) of each case-insensitive occurrence of `search` in `plain`, in order."""
    if not search:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(search), plain, re.IGNORECASE)]


def _line_matches(shown: str, search: str) -> list[tuple[int, int, int]]:
    """(line index, start, end) of each match, line by line (a match never spans lines)."""
    return [
        (number, start, end)
        for number, line in enumerate(shown.split("\n"))
        for start, end in find_matches(line, search)
    ]


def yaml_matches(yaml_text: str, search: str) -> int:
    """How many matches `yaml_syntax(yaml_text, search)` marks."""
    return len(_line_matches(visible(yaml_text, keep_newlines=True), search))


def highlight_text(text: Text, search: str, current: int | None = None) -> tuple[Text, int]:
    """A copy of `text` with the matches of `search` marked (the `current`-th standing out),
    and how many there are; `text` itself when there is none."""
    matches = find_matches(text.plain, search)
    if not matches:
        return text, 0
    marked = text.copy()
    for index, (start, end) in enumerate(matches):
        marked.stylize(CURRENT_MATCH_STYLE if index == current else MATCH_STYLE, start, end)
    return marked, len(matches)


# ----------------------------------------------------------------------------- describe


class _Writer:
    def __init__(self) -> None:
        self.text = Text()

    def field(self, label: str, value: Any, indent: int = 0, style: str = "") -> None:
        pad = " " * indent
        self.text.append(
            f"{pad}{label + ':':<{max(_LABEL_WIDTH - indent, len(label) + 2)}}", "bold"
        )
        shown = f"{value if value not in (None, '') else '<none>'}"
        self.text.append_text(safe_text(shown, style))
        self.text.append("\n")

    def heading(self, label: str, indent: int = 0) -> None:
        self.text.append(f"{' ' * indent}{label}:\n", "bold")

    def line(self, value: str | Text, indent: int = 0) -> None:
        self.text.append(" " * indent)
        self.text.append_text(escape_text(value) if isinstance(value, Text) else safe_text(value))
        self.text.append("\n")


def _set_or_unset(value: Any) -> str:
    """A field kubectl prints as "<unset>" when the object leaves it out."""
    return "<unset>" if value is None else str(value)


def _pairs(mapping: Any) -> str:
    if not isinstance(mapping, Mapping) or not mapping:
        return "<none>"
    return ", ".join(f"{k}={v}" for k, v in mapping.items())


def _selector(selector: Any) -> str:
    """kubectl's FormatLabelSelector: `app=web,tier in (a,b)`."""
    return selector_string(selector) or "<none>"


def _time(value: Any, now: datetime) -> str:
    moment = parse_time(value)
    if moment is None:
        return "<none>"
    return f"{value} ({since(moment, now)} ago)"


def _annotations(metadata: Mapping[str, Any]) -> str:
    annotations = metadata.get("annotations") or {}
    shown = {
        k: (f"<{len(str(v))} bytes>" if k in _BULKY_ANNOTATIONS or len(str(v)) > 80 else v)
        for k, v in annotations.items()
    }
    return _pairs(shown)


def _count(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _workload_fields(out: _Writer, kind: str, obj: Obj, now: datetime) -> None:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if kind != "CronJob" and "selector" in spec:
        out.field("Selector", _selector(spec.get("selector")))
    if kind == "Deployment":
        desired = spec.get("replicas", 1)
        out.field(
            "Replicas",
            f"{desired} desired | {_count(status.get('updatedReplicas'))} updated | "
            f"{_count(status.get('replicas'))} total | "
            f"{_count(status.get('availableReplicas'))} available | "
            f"{_count(status.get('unavailableReplicas'))} unavailable",
        )
        strategy = spec.get("strategy") or {}
        out.field("StrategyType", strategy.get("type", "RollingUpdate"))
        out.field("MinReadySeconds", spec.get("minReadySeconds", 0))
        rolling = strategy.get("rollingUpdate")
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            rolling = rolling or {}
            out.field(
                "RollingUpdateStrategy",
                f"{rolling.get('maxUnavailable', '25%')} max unavailable, "
                f"{rolling.get('maxSurge', '25%')} max surge",
            )
        if spec.get("paused"):
            out.field("Paused", "true", style="magenta")
    elif kind == "StatefulSet":
        out.field("Service", spec.get("serviceName"))
        out.field(
            "Replicas",
            f"{spec.get('replicas', 1)} desired | {_count(status.get('replicas'))} total | "
            f"{_count(status.get('readyReplicas'))} ready | "
            f"{_count(status.get('updatedReplicas'))} updated",
        )
        update = spec.get("updateStrategy") or {}
        out.field("Update Strategy", update.get("type", "RollingUpdate"))
        partition = (update.get("rollingUpdate") or {}).get("partition")
        if partition:
            out.field("Partition", partition, indent=2)
        out.field("Pod Management Policy", spec.get("podManagementPolicy", "OrderedReady"))
        out.field("Current Revision", status.get("currentRevision"))
        out.field("Update Revision", status.get("updateRevision"))
    elif kind == "DaemonSet":
        template_spec = (pod_template(obj).get("spec")) or {}
        out.field("Node-Selector", _pairs(template_spec.get("nodeSelector")))
        out.field("Desired Number of Nodes Scheduled", _count(status.get("desiredNumberScheduled")))
        out.field("Current Number of Nodes Scheduled", _count(status.get("currentNumberScheduled")))
        out.field(
            "Number of Nodes Scheduled with Up-to-date Pods",
            _count(status.get("updatedNumberScheduled")),
        )
        out.field(
            "Number of Nodes Scheduled with Available Pods", _count(status.get("numberAvailable"))
        )
        out.field("Number of Nodes Misscheduled", _count(status.get("numberMisscheduled")))
        out.field(
            "Pods Status",
            f"{_count(status.get('numberReady'))} ready / "
            f"{_count(status.get('numberUnavailable'))} unavailable",
        )
        out.field(
            "Update Strategy", (spec.get("updateStrategy") or {}).get("type", "RollingUpdate")
        )
    elif kind == "ReplicaSet":
        out.field(
            "Replicas",
            f"{_count(status.get('replicas'))} current / {spec.get('replicas', 1)} desired",
        )
        out.field(
            "Pods Status",
            f"{_count(status.get('readyReplicas'))} ready / "
            f"{_count(status.get('availableReplicas'))} available",
        )
        revision = ((obj.get("metadata") or {}).get("annotations") or {}).get(
            "deployment.kubernetes.io/revision"
        )
        if revision:
            out.field("Revision", revision)
    elif kind == "Job":
        out.field("Parallelism", spec.get("parallelism", 1))
        out.field("Completions", spec.get("completions", "<unset>"))
        out.field("Completion Mode", spec.get("completionMode", "NonIndexed"))
        if spec.get("suspend") is not None:  # kubectl: when set, as Go prints a bool
            suspended = spec.get("suspend") is True
            out.field("Suspend", str(suspended).lower(), style="magenta" if suspended else "")
        out.field("Backoff Limit", spec.get("backoffLimit", 6))
        out.field("Start Time", _time(status.get("startTime"), now))
        started = parse_time(status.get("startTime"))
        completed = parse_time(status.get("completionTime"))
        if completed is not None:
            out.field("Completed At", _time(status.get("completionTime"), now))
            if started is not None:  # kubectl shows a duration for completed Jobs only
                out.field("Duration", human_duration(seconds_between(started, completed)))
        out.field(
            "Pods Statuses",
            f"{_count(status.get('active'))} Active / {_count(status.get('succeeded'))} "
            f"Succeeded / {_count(status.get('failed'))} Failed",
            style="red" if _count(status.get("failed")) else "",
        )
    elif kind == "CronJob":
        out.field("Schedule", spec.get("schedule"))
        if spec.get("timeZone"):
            out.field("Time Zone", spec.get("timeZone"))
        out.field("Concurrency Policy", spec.get("concurrencyPolicy", "Allow"))
        suspended = spec.get("suspend") is True
        # kubectl describe prints it as True/False (its printBool), `get` as true/false.
        out.field("Suspend", str(suspended), style="magenta" if suspended else "")
        out.field("Successful Job History Limit", spec.get("successfulJobsHistoryLimit", 3))
        out.field("Failed Job History Limit", spec.get("failedJobsHistoryLimit", 1))
        deadline = spec.get("startingDeadlineSeconds")
        out.field("Starting Deadline Seconds", "<unset>" if deadline is None else f"{deadline}s")
        template = spec.get("jobTemplate")
        job_spec = (template.get("spec") if isinstance(template, dict) else None) or {}
        if not isinstance(job_spec, dict):
            job_spec = {}
        selector = job_spec.get("selector")
        out.field("Selector", "<unset>" if selector is None else _selector(selector))
        out.field("Parallelism", _set_or_unset(job_spec.get("parallelism")))
        out.field("Completions", _set_or_unset(job_spec.get("completions")))
        out.field("Last Schedule Time", _time(status.get("lastScheduleTime"), now))
        out.field("Last Successful Time", _time(status.get("lastSuccessfulTime"), now))
        active = [str(ref.get("name")) for ref in status.get("active") or ()]
        out.field("Active Jobs", ", ".join(active) or "<none>")
    elif kind == "ControllerRevision":
        out.field("Revision", obj.get("revision"))


def _conditions(out: _Writer, obj: Obj, now: datetime) -> None:
    """kubectl's Conditions table (Type, Status, Reason, under a `----` rule), with the age of
    the last transition and the message as two more columns."""
    conditions = (obj.get("status") or {}).get("conditions") or ()
    if not conditions:
        return
    out.heading("Conditions")
    width = max(len("Type"), *(len(str(c.get("type", ""))) for c in conditions)) + 2
    reason_width = max(len("Reason"), *(len(str(c.get("reason") or "-")) for c in conditions)) + 2
    ages = [age(c.get("lastTransitionTime"), now) for c in conditions]
    age_width = max(len("Age"), *map(len, ages)) + 2
    columns = (("Type", width), ("Status", 8), ("Reason", reason_width), ("Age", age_width))
    header = "".join(f"{name:<{size}}" for name, size in columns) + "Message"
    rule = "".join(f"{'-' * len(name):<{size}}" for name, size in columns) + "-------"
    out.line(Text(header, style="grey62"), 2)
    out.line(Text(rule, style="grey62"), 2)
    for condition, shown_age in zip(conditions, ages, strict=True):
        ok = condition.get("status") == "True"
        line = Text(f"{condition.get('type', ''):<{width}}")
        line.append(f"{condition.get('status', ''):<8}", "green" if ok else "yellow")
        line.append(f"{condition.get('reason', '') or '-':<{reason_width}}")
        line.append(f"{shown_age:<{age_width}}", "grey62")
        line.append(" ".join(str(condition.get("message") or "").split()), "grey62")
        out.line(line, 2)


def _controlled_by(child: Obj, owner: Obj) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    return any(
        ref.get("controller") and ref.get("uid") == uid
        for ref in (child.get("metadata") or {}).get("ownerReferences") or ()
    )


def _replicasets_text(replicasets: list[Obj]) -> str:
    """kubectl's printReplicaSetsByLabels: "web-5d4f (3/3 replicas created), ..."."""
    if not replicasets:
        return "<none>"
    return ", ".join(
        f"{(rs.get('metadata') or {}).get('name')} "
        f"({_count((rs.get('status') or {}).get('replicas'))}/"
        f"{(rs.get('spec') or {}).get('replicas', 1)} replicas created)"
        for rs in replicasets
    )


def _deployment_replicasets(out: _Writer, deployment: Obj, replicasets: Iterable[Obj]) -> None:
    """OldReplicaSets and NewReplicaSet as `kubectl describe deployment` shows them: the new one
    is the oldest whose template equals the deployment's (ignoring pod-template-hash), the old
    ones are all the others it controls, scaled to zero or not, in the API's (name) order:
    kubectl v1.32 prints "web-5d4f (0/0 replicas created)" for a finished rollout's old one (the
    e2e test compares with it)."""
    owned = sorted(
        (rs for rs in replicasets if _controlled_by(rs, deployment)),
        key=lambda rs: str((rs.get("metadata") or {}).get("name", "")),
    )
    new_name = current_replicaset_name(deployment, owned)
    new = [rs for rs in owned if (rs.get("metadata") or {}).get("name") == new_name]
    old = [rs for rs in owned if rs not in new]
    out.field("OldReplicaSets", _replicasets_text(old))
    out.field("NewReplicaSet", _replicasets_text(new))


def _env_summary(container: Mapping[str, Any]) -> str:
    env = container.get("env") or ()
    if not env and not container.get("envFrom"):
        return "<none>"  # as kubectl says it
    secrets = sum(1 for e in env if "secretKeyRef" in (e.get("valueFrom") or {}))
    config = sum(1 for e in env if "configMapKeyRef" in (e.get("valueFrom") or {}))
    fields = sum(1 for e in env if {"fieldRef", "resourceFieldRef"} & set(e.get("valueFrom") or {}))
    parts = [f"{len(env)} variables"]
    details = [
        f"{n} {what}"
        for n, what in (
            (secrets, "from secrets"),
            (config, "from config maps"),
            (fields, "from fields"),
        )
        if n
    ]
    if details:
        parts.append(f"({', '.join(details)})")
    sources = [
        f"{'secret' if 'secretRef' in s else 'configmap'} "
        f"{(s.get('secretRef') or s.get('configMapRef') or {}).get('name')}"
        for s in container.get("envFrom") or ()
    ]
    if sources:
        parts.append(f"+ all of {', '.join(sources)}")
    return " ".join(parts)


def _probe(probe: Any) -> str | None:
    """kubectl's DescribeProbe (the one describe pod prints), for a pod template's probe."""
    return describe_probe(probe) if isinstance(probe, dict) else None


def _containers(out: _Writer, label: str, containers: Iterable[Mapping[str, Any]]) -> None:
    containers = list(containers)
    if not containers:
        return
    out.heading(label, 2)
    for container in containers:
        name = str(container.get("name", ""))
        sidecar = " (sidecar)" if container.get("restartPolicy") == "Always" else ""
        out.line(Text(f"{name}{sidecar}:", style="bold cyan"), 3)
        out.field("Image", container.get("image"), indent=4)
        ports = [
            f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}"
            for p in container.get("ports") or ()
        ]
        if ports:
            out.field("Ports", ", ".join(ports), indent=4)
        for field, title in (("command", "Command"), ("args", "Args")):
            words = container.get(field)
            if words and isinstance(words, list):
                # kubectl: one argument a line (`sh`, `-c`, `exit 3`), their bounds kept.
                out.heading(title, 4)
                for word in words:
                    for piece in str(word).split("\n"):  # a script's lines, each its own
                        out.line(piece, 6)
        resources = container.get("resources") or {}
        if resources.get("limits"):
            out.field("Limits", _pairs(resources["limits"]), indent=4)
        if resources.get("requests"):
            out.field("Requests", _pairs(resources["requests"]), indent=4)
        for probe_name in ("liveness", "readiness", "startup"):
            text = _probe(container.get(f"{probe_name}Probe"))
            if text:
                out.field(probe_name.capitalize(), text, indent=4)
        out.field("Environment", _env_summary(container), indent=4)
        mounts = [
            f"{m.get('mountPath')} from {m.get('name')}{' (ro)' if m.get('readOnly') else ''}"
            for m in container.get("volumeMounts") or ()
        ]
        out.field("Mounts", ", ".join(mounts) or "<none>", indent=4)


def _volume_type(volume: Mapping[str, Any]) -> str:
    for key in volume:
        if key != "name":
            return key
    return "?"


def _template(out: _Writer, obj: Obj) -> None:
    template = pod_template(obj)
    if not template:
        return
    out.heading("Pod Template")
    template_metadata = template.get("metadata") or {}
    out.field("Labels", _pairs(template_metadata.get("labels")), indent=2)
    if template_metadata.get("annotations"):  # kubectl prints them only when there are some
        out.field("Annotations", _annotations(template_metadata), indent=2)
    spec = template.get("spec") or {}
    if spec.get("serviceAccountName"):
        out.field("Service Account", spec.get("serviceAccountName"), indent=2)
    _containers(out, "Init Containers", spec.get("initContainers") or ())
    _containers(out, "Containers", spec.get("containers") or ())
    volumes = spec.get("volumes") or ()
    if volumes:
        out.field(
            "Volumes",
            ", ".join(f"{v.get('name')} ({_volume_type(v)})" for v in volumes),
            indent=2,
        )
    if spec.get("nodeSelector"):
        out.field("Node-Selectors", _pairs(spec.get("nodeSelector")), indent=2)
    if spec.get("tolerations"):
        out.field("Tolerations", f"{len(spec['tolerations'])}", indent=2)


def _events(out: _Writer, events: list[Obj], now: datetime) -> None:
    """kubectl's Events section (the one every describer prints, `describe_events`): oldest
    first, "61s (x4 over 2m37s)", under a `----` rule; its warnings in yellow."""
    for line in describe_events(events, now).rstrip("\n").split("\n"):
        if line.startswith("Events:"):
            out.text.append("Events:", "bold")
            out.text.append_text(safe_text(line[len("Events:") :]))
            out.text.append("\n")
        elif line.startswith("  Warning "):
            warning = Text("  ")
            warning.append("Warning", "bold red")
            warning.append(line[len("  Warning") :], "yellow")
            out.line(warning)
        else:
            out.line(line)


def describe(
    obj: Obj, kind: str, events: list[Obj], now: datetime, children: Iterable[Obj] = ()
) -> Text:
    """kubectl-describe-like text: metadata, selector, replicas/strategy, conditions, the pod
    template's containers (images, env count, probes), and the object's own events.

    A Deployment follows `kubectl describe deployment`'s order and adds its OldReplicaSets and
    NewReplicaSet, found among `children` (the ReplicaSets it controls). A Pod is described as
    `kubectl describe pod` prints it (`ktui.view.describe_pod`)."""
    if kind == "Pod":
        return pod_description(obj, events, now)
    out = _Writer()
    metadata = obj.get("metadata") or {}
    out.field("Name", metadata.get("name"), style="bold cyan")
    if metadata.get("namespace"):
        out.field("Namespace", metadata.get("namespace"))
    out.field("Kind", kind)
    out.field("CreationTimestamp", _time(metadata.get("creationTimestamp"), now))
    out.field("Labels", _pairs(metadata.get("labels")))
    out.field("Annotations", _annotations(metadata))
    owners = [
        f"{ref.get('kind')}/{ref.get('name')}"
        for ref in metadata.get("ownerReferences") or ()
        if ref.get("controller")
    ]
    if owners:
        out.field("Controlled By", ", ".join(owners))
    if metadata.get("deletionTimestamp"):
        out.field("Deleting since", _time(metadata["deletionTimestamp"], now), style="magenta")
    _workload_fields(out, kind, obj, now)
    if kind == "Deployment":
        _template(out, obj)
        _conditions(out, obj, now)
        _deployment_replicasets(
            out, obj, [c for c in children if c.get("kind", "ReplicaSet") == "ReplicaSet"]
        )
    else:
        _conditions(out, obj, now)
        _template(out, obj)
    _events(out, events, now)
    text = out.text
    text.rstrip()
    return text


_POD_FIELD = re.compile(r"^([A-Za-z][A-Za-z -]*:)(.*)$")


def pod_description(pod: Obj, events: list[Obj], now: datetime) -> Text:
    """`kubectl describe pod`'s text (`describe_pod`), its top-level field names in bold and
    its warning events in yellow; what could drive a terminal escaped."""
    out = Text()
    in_events = False
    for line in describe_pod(pod, events, now).rstrip("\n").split("\n"):
        field = _POD_FIELD.match(line)
        if field is not None:
            in_events = field.group(1) == "Events:"
            out.append_text(safe_text(field.group(1), "bold"))
            out.append_text(safe_text(field.group(2)))
        elif in_events and line.startswith("  Warning "):
            out.append_text(safe_text(line, "yellow"))
        else:
            out.append_text(safe_text(line))
        out.append("\n")
    out.rstrip()
    return out
