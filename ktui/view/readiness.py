"""Why is this pod not ready: the chain from its conditions down to the cause, in plain words.

`explain_readiness(pod, events, now)` walks what the kubelet walks: is the pod scheduled (else
the scheduler's PodScheduled message), are its init containers done (the one blocking, with its
state, and those still to run; a native sidecar that has not started), then each container that
is not ready (its waiting reason and message, its crash history and next restart, its readiness
or startup probe as `kubectl describe` prints it, with the last `Unhealthy` event), then the
readiness gates. The first sentence starts with "Not ready:"; the others add to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ktui.view import _json as j
from ktui.view.age import human_duration, parse_time, seconds_between
from ktui.view.crash import memory_limit, next_restart
from ktui.view.events import EventRow, event_rows
from ktui.view.pod import CRASH_LOOP_BACK_OFF, SCHEDULING_GATED, is_restartable_init_container


@dataclass(frozen=True)
class Readiness:
    ready: bool
    sentences: tuple[str, ...]


def _ago(moment: datetime | None, now: datetime) -> str:
    return f"{human_duration(seconds_between(moment, now))} ago" if moment else "at an unknown time"


def describe_probe(probe: j.Obj) -> str:
    """A probe as `kubectl describe pod` prints it:
    "http-get http://:8080/healthz delay=4s timeout=1s period=2s #success=1 #failure=3"."""
    attrs = (
        f"delay={j.integer(probe.get('initialDelaySeconds'))}s "
        f"timeout={j.integer(probe.get('timeoutSeconds'), 1) or 1}s "
        f"period={j.integer(probe.get('periodSeconds'), 10) or 10}s "
        f"#success={j.integer(probe.get('successThreshold'), 1) or 1} "
        f"#failure={j.integer(probe.get('failureThreshold'), 3) or 3}"
    )
    http = j.opt_obj(probe.get("httpGet"))
    if http is not None:
        scheme = (j.text(http.get("scheme")) or "HTTP").lower()
        port = http.get("port")
        host = j.text(http.get("host"))
        return f"http-get {scheme}://{host}:{port}{j.text(http.get('path'))} {attrs}"
    tcp = j.opt_obj(probe.get("tcpSocket"))
    if tcp is not None:
        return f"tcp-socket {j.text(tcp.get('host'))}:{tcp.get('port')} {attrs}"
    exec_ = j.opt_obj(probe.get("exec"))
    if exec_ is not None:
        command = " ".join(str(part) for part in exec_.get("command") or ())
        return f"exec [{command}] {attrs}"
    grpc = j.opt_obj(probe.get("grpc"))
    if grpc is not None:
        return f"grpc <pod>:{grpc.get('port')} {j.text(grpc.get('service'))} {attrs}"
    return f"unknown {attrs}"


def _last_unhealthy(rows: list[EventRow], name: str, kind: str) -> EventRow | None:
    """The newest Unhealthy event of this container's `kind` probe ("Readiness", "Startup")."""
    for row in rows:
        if row.reason != "Unhealthy" or not row.message.startswith(kind):
            continue
        if row.field_path in (f"spec.containers{{{name}}}", f"spec.initContainers{{{name}}}"):
            return row
    return None


def _termination(terminated: j.Obj) -> str:
    reason = j.text(terminated.get("reason"))
    code = f"exit {j.integer(terminated.get('exitCode'))}"
    return f"{reason} ({code})" if reason else code


def container_sentence(
    label: str, spec: j.Obj, status: j.Obj | None, rows: list[EventRow], now: datetime
) -> str:
    """Why one container (`label`: "container app", "init container migrate") is not ready."""
    if status is None:
        return f"{label} has not been created yet"
    state = j.obj(status.get("state"))
    waiting = j.opt_obj(state.get("waiting"))
    running = j.opt_obj(state.get("running"))
    terminated = j.opt_obj(state.get("terminated"))
    last = j.opt_obj(j.obj(status.get("lastState")).get("terminated"))
    restarts = j.integer(status.get("restartCount"))
    name = j.text(spec.get("name"))
    parts: list[str] = []
    if waiting is not None:
        reason = j.text(waiting.get("reason")) or "waiting"
        message = j.text(waiting.get("message")).strip()
        if reason == CRASH_LOOP_BACK_OFF:
            parts.append(f"{label} is waiting in {reason}")
        else:
            parts.append(f"{label} is waiting: {reason}" + (f" ({message})" if message else ""))
    elif running is not None:
        since = parse_time(running.get("startedAt"))
        startup = j.opt_obj(spec.get("startupProbe"))
        readiness = j.opt_obj(spec.get("readinessProbe"))
        if label.startswith("init container"):
            parts.append(
                f"{label} is still running (started {_ago(since, now)}); it has to complete first"
            )
            failure = None
        elif status.get("started") is False and startup is not None:
            text = f"{label} is running but its startup probe has not passed yet"
            text += f" (startup probe {describe_probe(startup)})"
            parts.append(text)
            failure = _last_unhealthy(rows, name, "Startup")
        else:
            text = f"{label} is running (started {_ago(since, now)}) but not ready"
            if readiness is not None:
                text += f"; readiness probe {describe_probe(readiness)}"
            else:
                text += " (it has no readiness probe)"
            parts.append(text)
            failure = _last_unhealthy(rows, name, "Readiness")
        if failure is not None:
            times = f", {failure.count} times" if failure.count > 1 else ""
            parts.append(
                f"it last failed {failure.last_seen} ago{times}: {failure.message.strip()}"
            )
    elif terminated is not None:
        finished = parse_time(terminated.get("finishedAt"))
        parts.append(f"{label} has terminated: {_termination(terminated)} {_ago(finished, now)}")
        message = j.text(terminated.get("message")).strip()
        if message:
            parts.append(f"its last words: {message}")
    else:
        parts.append(f"{label} has no state yet")
    if restarts and last is not None:
        finished = parse_time(last.get("finishedAt"))
        count = "once" if restarts == 1 else f"{restarts} times"
        parts.append(
            f"it has restarted {count}, the last run ended {_termination(last)} "
            f"{_ago(finished, now)}"
        )
    ended = terminated if terminated is not None else last
    if ended is not None and j.text(ended.get("reason")) == "OOMKilled":
        limit = memory_limit(spec)
        parts.append(f"its memory limit is {limit}" if limit else "it has no memory limit")
    restart = next_restart(status)
    if restart is not None and restart.at is not None:
        left = seconds_between(now, restart.at)
        if left > 0:
            parts.append(f"next restart in about {human_duration(left)}")
        else:
            parts.append("it should be restarted any moment now")
    return "; ".join(parts)


def _scheduling(pod: j.Obj, now: datetime) -> str | None:
    scheduled = j.condition(j.status(pod).get("conditions"), "PodScheduled")
    if scheduled is None or scheduled.get("status") == "True":
        if scheduled is None and not j.text(j.spec(pod).get("nodeName")):
            return "the pod has not been scheduled to a node yet"
        return None
    reason = j.text(scheduled.get("reason"))
    message = j.text(scheduled.get("message")).strip()
    if reason == SCHEDULING_GATED:
        gates = ", ".join(
            j.text(gate.get("name")) for gate in j.objs(j.spec(pod).get("schedulingGates"))
        )
        return f"the pod is held back from scheduling by its scheduling gates ({gates})"
    since = parse_time(scheduled.get("lastTransitionTime"))
    text = "the pod is not scheduled"
    if reason:
        text += f" ({reason})"
    if since is not None:
        text += f" for {human_duration(seconds_between(since, now))}"
    if message:
        text += f": the scheduler says {message}"
    return text


def explain_readiness(pod: j.Obj, events: Iterable[j.Obj], now: datetime) -> Readiness:
    """Plain sentences saying why the pod is not ready (or that it is)."""
    status = j.status(pod)
    spec = j.spec(pod)
    conditions = status.get("conditions")
    phase = j.text(status.get("phase")) or "Pending"
    rows = event_rows(events, now)
    deleting = j.meta(pod).get("deletionTimestamp") is not None
    ready = j.condition(conditions, "Ready")
    if phase in ("Succeeded", "Failed"):
        text = f"Finished: the pod {'completed' if phase == 'Succeeded' else 'failed'} ({phase})"
        reason = j.text(status.get("reason"))
        message = j.text(status.get("message")).strip()
        if reason:
            text += f": {reason}"
        if message:
            text += f" ({message})"
        sentences = [text + "; its containers will not run again."]
        named = [
            (f"init container {j.text(c.get('name'))}", c, "initContainerStatuses")
            for c in j.objs(spec.get("initContainers"))
            if not is_restartable_init_container(c)
        ] + [
            (f"container {j.text(c.get('name'))}", c, "containerStatuses")
            for c in j.objs(spec.get("containers"))
        ]
        for label, container, key in named:
            by_name = {j.text(s.get("name")): s for s in j.objs(status.get(key))}
            cstatus = by_name.get(j.text(container.get("name")))
            ended = j.opt_obj(j.obj((cstatus or {}).get("state")).get("terminated"))
            if cstatus is not None and ended is not None and j.integer(ended.get("exitCode")):
                sentence = container_sentence(label, container, cstatus, rows, now)
                sentences.append(as_sentence(sentence))
        return Readiness(False, tuple(sentences))
    if ready is not None and ready.get("status") == "True":
        since = parse_time(ready.get("lastTransitionTime"))
        text = f"Ready since {_ago(since, now)}." if since else "Ready."
        if deleting:
            text += " The pod is being deleted."
        return Readiness(True, (text,))

    causes: list[str] = []
    if deleting:
        causes.append("the pod is being deleted")
    scheduling = _scheduling(pod, now)
    if scheduling is not None:
        causes.append(scheduling)
        return _readiness(causes)

    init_status = {j.text(s.get("name")): s for s in j.objs(status.get("initContainerStatuses"))}
    main_status = {j.text(s.get("name")): s for s in j.objs(status.get("containerStatuses"))}
    inits = j.objs(spec.get("initContainers"))
    if not j.condition_is_true(conditions, "Initialized") and inits:
        plain = [c for c in inits if not is_restartable_init_container(c)]
        for container in inits:
            name = j.text(container.get("name"))
            cstatus = init_status.get(name)
            if is_restartable_init_container(container):
                if cstatus is not None and cstatus.get("started") is True:
                    continue
                label = f"sidecar {name}"
                causes.append(container_sentence(label, container, cstatus, rows, now))
                causes.append(f"the containers after {label} wait until it has started")
                break
            terminated = j.opt_obj(j.obj((cstatus or {}).get("state")).get("terminated"))
            if terminated is not None and j.integer(terminated.get("exitCode")) == 0:
                continue
            position = plain.index(container) + 1
            label = f"init container {name} ({position} of {len(plain)})"
            causes.append(container_sentence(label, container, cstatus, rows, now))
            if terminated is not None and j.text(spec.get("restartPolicy")) == "Never":
                causes.append("with restartPolicy Never it will not be run again")
            rest = [j.text(c.get("name")) for c in plain[position:]]
            if rest:
                causes.append("still to run after it: " + ", ".join(rest))
            break
        apps = ", ".join(j.text(c.get("name")) for c in j.objs(spec.get("containers")))
        causes.append(f"the containers ({apps}) start once the init containers are done")
        return _readiness(causes)

    for container in inits:
        if not is_restartable_init_container(container):
            continue
        name = j.text(container.get("name"))
        cstatus = init_status.get(name)
        if cstatus is None or cstatus.get("ready") is not True:
            causes.append(container_sentence(f"sidecar {name}", container, cstatus, rows, now))
    for container in j.objs(spec.get("containers")):
        name = j.text(container.get("name"))
        cstatus = main_status.get(name)
        if cstatus is None or cstatus.get("ready") is not True:
            causes.append(container_sentence(f"container {name}", container, cstatus, rows, now))
    for gate in j.objs(spec.get("readinessGates")):
        gate_type = j.text(gate.get("conditionType"))
        found = j.condition(conditions, gate_type)
        if found is None:
            causes.append(f"readiness gate {gate_type} has not been set by its controller yet")
        elif found.get("status") != "True":
            message = j.text(found.get("message")).strip()
            causes.append(
                f"readiness gate {gate_type} is {j.text(found.get('status')) or 'Unknown'}"
                + (f": {message}" if message else "")
            )
    if not causes and ready is not None:
        reason = j.text(ready.get("reason"))
        message = j.text(ready.get("message")).strip()
        causes.append(
            "the Ready condition is "
            + (j.text(ready.get("status")) or "Unknown")
            + (f" ({reason})" if reason else "")
            + (f": {message}" if message else "")
        )
    if not causes:
        causes.append("the kubelet has not reported the pod's readiness yet")
    return _readiness(causes)


def as_sentence(text: str) -> str:
    """`text` capitalised and ended with one full stop: a cause often ends in a message quoted
    from the cluster that brings its own ("...didn't match Pod's node affinity/selector.")."""
    text = text.rstrip()
    if not text:
        return text
    ending = "" if text.endswith((".", "!", "?")) else "."
    return f"{text[0].upper()}{text[1:]}{ending}"


def _readiness(causes: list[str]) -> Readiness:
    first, *rest = causes
    sentences = [as_sentence(f"Not ready: {first}")]
    sentences += [as_sentence(cause) for cause in rest]
    return Readiness(False, tuple(sentences))
