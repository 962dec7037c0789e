"""Why a container stopped and when it will be started again: exit codes in plain words and the
kubelet's crash-loop back-off.

The back-off is the kubelet's (pkg/kubelet/kuberuntime, `flowcontrol.Backoff` with 10 s initial
and 300 s maximum): the first restart after a crash is immediate, then each further one waits
10 s, 20 s, 40s ... up to 5 minutes, counted from when the container last finished. A back-off
that has not been touched for 10 minutes (the container ran that long) starts again at 10 s.
The kubelet names the delay it applies in its CrashLoopBackOff message ("back-off 2m40s
restarting failed container=..."); when that message is there it wins over the estimate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ktui.view import _json as j
from ktui.view.age import parse_time, seconds_between
from ktui.view.events import EventRow, event_rows
from ktui.view.pod import (
    CRASH_LOOP_BACK_OFF,
    ContainerGroup,
    is_restartable_init_container,
)

BACKOFF_INITIAL_S = 10.0
BACKOFF_MAX_S = 300.0
BACKOFF_RESET_S = 600.0

_SIGNALS = {
    1: "SIGHUP",
    2: "SIGINT",
    3: "SIGQUIT",
    4: "SIGILL",
    6: "SIGABRT",
    7: "SIGBUS",
    8: "SIGFPE",
    9: "SIGKILL",
    11: "SIGSEGV",
    13: "SIGPIPE",
    14: "SIGALRM",
    15: "SIGTERM",
}

_MEANINGS = {
    0: "exited successfully",
    1: "the program failed (general error)",
    2: "misuse of the command: wrong arguments or a shell syntax error",
    126: "the command was found but could not be run (not executable, or permission denied)",
    127: "the command was not found: check the image's entrypoint and the container's command",
    128: "invalid exit argument",
    130: "interrupted (SIGINT)",
    134: "aborted (SIGABRT): the program crashed itself, e.g. a failed assertion",
    137: "killed (SIGKILL): out of memory, or stopped by force (grace period over, "
    "failed liveness probe)",
    139: "segmentation fault (SIGSEGV): the program read memory it may not",
    143: "terminated (SIGTERM): it was asked to stop",
    255: "exit status out of range (often exit -1)",
}


def exit_code_meaning(code: int | None, reason: str | None = None, signal: int = 0) -> str:
    """What an exit code means, in plain words: 137 with reason OOMKilled is the memory limit."""
    if reason == "OOMKilled":
        return "killed (SIGKILL) for going over its memory limit (OOMKilled)"
    if code is None:
        return f"stopped by signal {_SIGNALS.get(signal, signal)}" if signal else "unknown"
    if code in _MEANINGS:
        return _MEANINGS[code]
    if 128 < code < 160:
        number = code - 128
        name = _SIGNALS.get(number, f"signal {number}")
        return f"stopped by {name} (128 + {number})"
    if signal:
        return f"stopped by signal {_SIGNALS.get(signal, signal)}"
    return "the program failed with its own exit status"


def backoff_for(restart_count: int, last_run_seconds: float | None = None) -> float:
    """The delay before the next restart of a container that crashed after `restart_count`
    restarts: 0 for the first crash, then 10 s doubling per restart, capped at 5 minutes; 10 s
    again when the last run lasted 10 minutes or more (the kubelet forgot the back-off)."""
    if restart_count <= 0:
        return 0.0
    if last_run_seconds is not None and last_run_seconds >= BACKOFF_RESET_S:
        return BACKOFF_INITIAL_S
    return min(BACKOFF_INITIAL_S * float(2 ** min(restart_count - 1, 30)), BACKOFF_MAX_S)


_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_BACKOFF_MESSAGE = re.compile(r"back-off (\S+) restarting failed")


def parse_go_duration(text: str) -> float | None:
    """Go's time.Duration text ("2m40s", "5m0s", "10s", "1h0m0s") in seconds; None if not one."""
    if not text or _GO_DURATION.sub("", text) != "":
        return None
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in _GO_DURATION.findall(text))


def backoff_from_message(message: str) -> float | None:
    """The delay the kubelet named in its CrashLoopBackOff message, in seconds."""
    match = _BACKOFF_MESSAGE.search(message or "")
    return parse_go_duration(match.group(1)) if match else None


@dataclass(frozen=True)
class Restart:
    """When a container in CrashLoopBackOff will be started again."""

    backoff_seconds: float
    at: datetime | None  # None when the last run's end is unknown
    from_message: bool  # the kubelet named the delay (else it is estimated)


def next_restart(container_status: j.Obj) -> Restart | None:
    """The next start of a container waiting in CrashLoopBackOff (None otherwise)."""
    waiting = j.opt_obj(j.obj(container_status.get("state")).get("waiting"))
    if waiting is None or waiting.get("reason") != CRASH_LOOP_BACK_OFF:
        return None
    last = j.opt_obj(j.obj(container_status.get("lastState")).get("terminated")) or {}
    finished = parse_time(last.get("finishedAt"))
    started = parse_time(last.get("startedAt"))
    ran = seconds_between(started, finished) if started and finished else None
    named = backoff_from_message(j.text(waiting.get("message")))
    delay = (
        named
        if named is not None
        else backoff_for(j.integer(container_status.get("restartCount")), ran)
    )
    at = finished + timedelta(seconds=delay) if finished is not None else None
    return Restart(delay, at, named is not None)


def memory_limit(container_spec: j.Obj) -> str | None:
    """resources.limits.memory as written ("128Mi"), None when unlimited."""
    limits = j.obj(j.obj(container_spec.get("resources")).get("limits"))
    value = limits.get("memory")
    return str(value) if isinstance(value, str | int) and value != "" else None


@dataclass(frozen=True)
class CrashCard:
    """One container that restarted or failed: how its last run ended and what comes next."""

    container: str
    group: ContainerGroup
    exit_code: int | None
    signal: int
    meaning: str
    reason: str  # "OOMKilled", "Error", "" when the runtime gave none
    message: str  # the termination message (the container's own last words), if any
    started_at: datetime | None
    finished_at: datetime | None
    restart_count: int
    waiting_reason: str  # "CrashLoopBackOff" while it waits for the next start
    restart: Restart | None
    memory_limit: str | None
    events: tuple[EventRow, ...]
    current: bool  # the run shown is the current state (terminated now), not lastState


def _container_events(events: Iterable[j.Obj], name: str, now: datetime) -> tuple[EventRow, ...]:
    wanted = {f"spec.containers{{{name}}}", f"spec.initContainers{{{name}}}"}
    rows = [
        row
        for row in event_rows(events, now)
        if row.field_path in wanted or (not row.field_path and f"container={name} " in row.message)
    ]
    return tuple(rows)


def crash_cards(pod: j.Obj, events: Iterable[j.Obj], now: datetime) -> list[CrashCard]:
    """A card per container that restarted or whose current run ended in failure, in the
    pod's container order (init containers, sidecars, regular)."""
    spec = j.spec(pod)
    status = j.status(pod)
    events = list(events)
    specs: list[tuple[j.Obj, ContainerGroup, j.Obj | None]] = []
    init_status = {j.text(s.get("name")): s for s in j.objs(status.get("initContainerStatuses"))}
    main_status = {j.text(s.get("name")): s for s in j.objs(status.get("containerStatuses"))}
    inits = j.objs(spec.get("initContainers"))
    specs += [
        (c, "init", init_status.get(j.text(c.get("name"))))
        for c in inits
        if not is_restartable_init_container(c)
    ]
    specs += [
        (c, "sidecar", init_status.get(j.text(c.get("name"))))
        for c in inits
        if is_restartable_init_container(c)
    ]
    specs += [
        (c, "main", main_status.get(j.text(c.get("name")))) for c in j.objs(spec.get("containers"))
    ]
    cards = []
    for container, group, cstatus in specs:
        if cstatus is None:
            continue
        state = j.obj(cstatus.get("state"))
        current = j.opt_obj(state.get("terminated"))
        last = j.opt_obj(j.obj(cstatus.get("lastState")).get("terminated"))
        restarts = j.integer(cstatus.get("restartCount"))
        failed_now = current is not None and j.integer(current.get("exitCode")) != 0
        if restarts == 0 and not failed_now:
            continue
        run = current if failed_now else (last or current)
        if run is None:
            continue
        code = j.opt_integer(run.get("exitCode"))
        signal = j.integer(run.get("signal"))
        reason = j.text(run.get("reason"))
        name = j.text(container.get("name"))
        waiting = j.obj(state.get("waiting"))
        cards.append(
            CrashCard(
                container=name,
                group=group,
                exit_code=code,
                signal=signal,
                meaning=exit_code_meaning(code, reason or None, signal),
                reason=reason,
                message=j.text(run.get("message")).strip(),
                started_at=parse_time(run.get("startedAt")),
                finished_at=parse_time(run.get("finishedAt")),
                restart_count=restarts,
                waiting_reason=j.text(waiting.get("reason")),
                restart=next_restart(cstatus),
                memory_limit=memory_limit(container),
                events=_container_events(events, name, now),
                current=run is current,
            )
        )
    return cards
