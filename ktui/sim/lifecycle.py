"""What a kubelet does to one pod, as pure logic: no threads, no I/O, no clock of its own.

`PodRuntime(pod, host_ip=, pod_ip=, images=, timings=, rng=, now=)` holds the simulated
containers of one pod bound to a node. The node agent calls `advance(now)` whenever
`next_due()` has passed (or the pod object changed), writes `render_status()` through the API,
posts the `take_events()` as core/v1 Events, and deletes the pod (grace 0) once
`ready_to_delete` is set. Everything happens at the times the timers asked for (not at `now`), so
a late wake-up still produces the timestamps the pod would have had.

Lifecycle, modelled on the kubelet (v1.20 pod phases and conditions, plus v1.29 native sidecars):

- Init containers run one at a time: waiting `PodInitializing` -> (Pulling) -> running ->
  terminated `Completed` exit 0; the next one starts after. A native sidecar (an init container
  with `restartPolicy: Always`) is started in order and kept running; the next init container
  starts once it has *started* (after its startupProbe, if any). Main containers start together
  once every init container is done.
- A container becomes ready at once without a readinessProbe, else at the first probe period at
  or after `initialDelaySeconds` (ceil(initialDelaySeconds / periodSeconds) * periodSeconds).
- Exits restart per `restartPolicy` (Always / OnFailure / Never; sidecars always restart): the
  first restart follows at once, later ones after CrashLoopBackOff back-off 10s, 20s, 40s, ...
  capped at 300s (reset after 10 minutes of running). `restartCount`, `lastState.terminated` and
  the kubelet's messages (`back-off 20s restarting failed container=app pod=web-1_default(uid)`)
  are kept like the real ones.
- Failed pulls show `ErrImagePull`, then `ImagePullBackOff` with the same back-off.
- Phase: Pending until initialized and every main container has run once, Running, then
  Succeeded / Failed when the main containers are done for good (sidecars are then stopped).
  Conditions: Initialized, Ready, ContainersReady (each with lastTransitionTime), plus the
  scheduler's PodScheduled and readiness gates; the v1.29+ PodReadyToStartContainers is not
  written (the e2e tier's apiserver is v1.20).
- Deletion (deletionTimestamp): running containers get SIGTERM (`Killing` event) and exit 0 after
  their stop delay, or 137 when the grace period runs out first; then the pod is ready to delete.
- Pods whose restartPolicy is OnFailure / Never (Job pods) exit 0 after `Timings.job_run` unless
  an annotation says otherwise; with restartPolicy Always containers run until told to stop.

Behaviour is injected through pod annotations (set them on a workload's pod template), so the
demo and the tests reach every path without special code anywhere else:

    sim.ktui.dev/behavior: <tokens>               every container of the pod
    sim.ktui.dev/behavior-<container>: <tokens>   one container (init containers too); its
                                                  tokens override the pod-wide ones key by key

Tokens are separated by spaces, commas or semicolons; durations are `500ms`, `5s`, `1.5m`,
`2h` or a plain number of seconds (all multiplied by `Timings.scale`):

    crash-after=DUR      exit 1 (reason Error) DUR after every start
    oom-after=DUR        exit 137 (reason OOMKilled) DUR after every start
    exit=CODE            exit with CODE (0: Completed, else Error) ...
    after=DUR            ... DUR after every start (either alone implies the other: exit=0, 1s)
    crashes=N            only the first N starts crash / OOM / exit non-zero; later runs keep going
    run-forever          never exit on its own (also for Job pods)
    start-delay=DUR      stay ContainerCreating DUR longer before starting
    pull-time=DUR        how long pulling the image takes
    ready-after=DUR      become ready DUR after start (instead of the readinessProbe timing)
    never-ready          never become ready (with a readinessProbe: Unhealthy events each period)
    image-pull-error     every pull fails: ErrImagePull, then ImagePullBackOff
    stop-delay=DUR       take DUR to exit after SIGTERM (default Timings.stop)
    ignore-sigterm       only die when the grace period is over (exit 137)

Images: a name containing `doesnotexist` or ending in `:does-not-exist` fails to pull as if it did
not exist in the registry (same as `image-pull-error`); a repository with upper-case letters is an
`InvalidImageName`. A bad annotation token is ignored and reported once as a Warning event
`InvalidBehavior` on the pod.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import time
from collections.abc import Mapping, MutableSet
from dataclasses import dataclass, field, replace
from typing import Any

Obj = dict[str, Any]

ANNOTATION_PREFIX = "sim.ktui.dev/"
BEHAVIOR_ANNOTATION = ANNOTATION_PREFIX + "behavior"
CONTAINER_BEHAVIOR_PREFIX = BEHAVIOR_ANNOTATION + "-"

NODE_LOST_REASON = "NodeLost"
"""status.reason the node lifecycle controller sets on pods of an unreachable node (kubectl
shows such a pod as `Unknown` while it is terminating)."""


# --- timings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    """Nominal delays in seconds; every one but `heartbeat` is multiplied by `scale`.

    `scale=0.01` makes tests fast; `scale=1.0` is what a real cluster looks like. Messages keep
    the nominal values (a CrashLoopBackOff says "back-off 20s" whatever the scale)."""

    scale: float = 1.0
    pull: float = 3.0
    """A first pull of an image on a node (0.5x to 1.5x of this)."""
    pull_cached: float = 0.5
    """A pull with imagePullPolicy Always of an image the node already has."""
    create: float = 0.5
    """Creating + starting a container once its image is there."""
    init_run: float = 2.0
    """How long a regular init container runs before it completes (unless annotated)."""
    job_run: float = 5.0
    """How long a container of a OnFailure / Never pod runs before it exits 0 (unless annotated)."""
    stop: float = 1.0
    """How long a container takes to exit after SIGTERM."""
    sync: float = 1.0
    """The kubelet's next pod sync: how long an exited container shows before it restarts."""
    err_image_pull: float = 2.0
    """How long ErrImagePull shows before ImagePullBackOff."""
    backoff_initial: float = 10.0
    backoff_max: float = 300.0
    backoff_reset: float = 600.0
    """A container that ran this long before exiting starts its back-off from the beginning."""
    node_monitor_grace: float = 40.0
    """How long after the last heartbeat a lost node turns Unknown (node lifecycle controller)."""
    pod_eviction_timeout: float = 300.0
    """How long pods stay on an Unknown node before they are deleted (unless they tolerate it)."""
    heartbeat: float = 10.0
    """Node status / Lease refresh interval. Not scaled: a real node lifecycle controller (the
    e2e tier's) judges heartbeats in real seconds."""
    event_burst: int = 25
    """Events the agent posts per pod before rate limiting (the kubelet's spam filter)..."""
    event_refill: float = 300.0
    """... and how often one more is allowed after that."""

    def scaled(self, seconds: float) -> float:
        return seconds * self.scale


# --- small helpers ------------------------------------------------------------------------------


def rfc3339(t: float) -> str:
    """The API's second-resolution timestamp."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rfc3339_micro(t: float) -> str:
    """A MicroTime (Lease renewTime, Event eventTime)."""
    whole = math.floor(t)
    micros = min(int((t - whole) * 1_000_000), 999_999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


def parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or len(value) < 19:
        return None
    try:
        base = float(_timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None
    match = re.match(r"\.(\d+)", value[19:])
    if match:
        base += float("0." + match.group(1))
    return base


def _timegm(parts: time.struct_time) -> int:
    import calendar

    return calendar.timegm(parts)


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for whole seconds: 10s, 1m20s, 5m0s, 1h0m0s."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def go_seconds(seconds: float) -> str:
    """A Go duration with fractions, as the kubelet's pull messages print it: 1.5s, 512ms."""
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return text + "s"


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")


def parse_duration(text: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"invalid duration {text!r} (use e.g. 500ms, 5s, 1.5m, 2h or 5)")
    value = float(match.group(1))
    unit = match.group(2) or "s"
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def normalize_image(image: str) -> str:
    """The fully qualified reference a runtime pulls: nginx -> docker.io/library/nginx:latest."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    parts = name.split("/")
    if len(parts) == 1 or not ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        if len(parts) == 1:
            name = "library/" + name
        name = "docker.io/" + name
    if digest:
        return f"{name}@{digest}"
    return f"{name}:{tag or 'latest'}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def image_id(image: str) -> str:
    """A stable imageID for an image (the repository with a made-up sha256 digest)."""
    ref = normalize_image(image)
    repo = ref.split("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    return f"{repo}@sha256:{_digest('image', ref)}"


def image_problem(image: str, behavior: Behavior) -> str | None:
    """ "InvalidImageName", "ErrImagePull" or None for an image that pulls fine."""
    if not image or image != image.strip():
        return "InvalidImageName"
    repository = image.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        repository = repository[: len(repository) - len(last)] + last.split(":", 1)[0]
    if repository != repository.lower():
        return "InvalidImageName"
    if behavior.image_pull_error or "doesnotexist" in image or image.endswith(":does-not-exist"):
        return "ErrImagePull"
    return None


# --- behaviour annotations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Behavior:
    crash_after: float | None = None
    oom_after: float | None = None
    exit_code: int | None = None
    exit_after: float | None = None
    crashes: int | None = None
    run_forever: bool = False
    start_delay: float = 0.0
    pull_time: float | None = None
    ready_after: float | None = None
    never_ready: bool = False
    image_pull_error: bool = False
    stop_delay: float | None = None
    ignore_sigterm: bool = False


_DURATION_KEYS = {
    "crash-after": "crash_after",
    "oom-after": "oom_after",
    "after": "exit_after",
    "start-delay": "start_delay",
    "pull-time": "pull_time",
    "ready-after": "ready_after",
    "stop-delay": "stop_delay",
}
_FLAG_KEYS = {
    "never-ready": "never_ready",
    "image-pull-error": "image_pull_error",
    "ignore-sigterm": "ignore_sigterm",
    "run-forever": "run_forever",
}


def parse_behavior_tokens(text: str) -> tuple[dict[str, Any], list[str]]:
    """Behaviour fields from one annotation value, and a message per bad token."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        key, sep, raw = token.partition("=")
        key = key.strip().lower()
        try:
            if key in _FLAG_KEYS:
                if sep and raw.lower() not in ("true", "1", "yes"):
                    raise ValueError(f"{key} is a flag and takes no value")
                values[_FLAG_KEYS[key]] = True
            elif key in _DURATION_KEYS:
                if not sep:
                    raise ValueError(f"{key} needs a duration ({key}=5s)")
                values[_DURATION_KEYS[key]] = parse_duration(raw)
            elif key in ("exit", "crashes"):
                if not sep or not re.fullmatch(r"\d+", raw.strip()):
                    raise ValueError(f"{key} needs a whole number ({key}=1)")
                number = int(raw)
                if key == "exit" and number > 255:
                    raise ValueError("exit codes go from 0 to 255")
                values["exit_code" if key == "exit" else "crashes"] = number
            else:
                raise ValueError(f"unknown behavior {key!r}")
        except ValueError as exc:
            errors.append(f"{token}: {exc}")
    return values, errors


def behaviors_for(pod: Mapping[str, Any]) -> tuple[dict[str, Behavior], list[str]]:
    """The Behavior of every container (init ones included) and the parse errors."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    errors: list[str] = []
    base: dict[str, Any] = {}
    if BEHAVIOR_ANNOTATION in annotations:
        base, errs = parse_behavior_tokens(str(annotations[BEHAVIOR_ANNOTATION]))
        errors += [f"{BEHAVIOR_ANNOTATION}: {e}" for e in errs]
    spec = pod.get("spec") or {}
    result: dict[str, Behavior] = {}
    for container in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]:
        name = str(container.get("name", ""))
        values = dict(base)
        key = CONTAINER_BEHAVIOR_PREFIX + name
        if key in annotations:
            own, errs = parse_behavior_tokens(str(annotations[key]))
            errors += [f"{key}: {e}" for e in errs]
            values.update(own)
        if "exit_after" in values and "exit_code" not in values:
            values["exit_code"] = 0
        if "exit_code" in values and "exit_after" not in values:
            values["exit_after"] = 1.0
        result[name] = Behavior(**values)
    return result, errors


# --- runtime records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One instance of a container: what `lastState.terminated` and the logs are made of."""

    started: float
    container_id: str
    finished: float | None = None
    exit_code: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ContainerLogState:
    """A snapshot of a container for pods/log: the current (or last) run and the one before."""

    current: Run | None
    previous: Run | None
    waiting_reason: str | None
    image: str
    kind: str
    restart_count: int


@dataclass(frozen=True)
class EventSpec:
    """An Event the kubelet would record about the pod."""

    reason: str
    message: str
    type: str = "Normal"
    field_path: str | None = None
    time: float = 0.0


# Container stages.
BLOCKED = "blocked"
"""Not started yet: waits for earlier init containers (or was never allowed to start)."""
PULLING = "pulling"
CREATING = "creating"
PULL_ERROR = "pull-error"
PULL_BACKOFF = "pull-backoff"
INVALID = "invalid"
RUNNING = "running"
EXITED = "exited"
CRASH_BACKOFF = "crash-backoff"

_NEVER = math.inf


def _probe_delay(probe: Any) -> float | None:
    """Seconds from start to the first successful probe; None without a probe."""
    if not isinstance(probe, Mapping):
        return None
    initial = float(probe.get("initialDelaySeconds") or 0)
    period = float(probe.get("periodSeconds") or 10)
    if initial <= 0:
        return 0.0
    return math.ceil(initial / period) * period


class Container:
    """The simulated runtime of one container (mutable; owned by its PodRuntime)."""

    def __init__(self, spec: Mapping[str, Any], kind: str, behavior: Behavior) -> None:
        self.spec = spec
        self.name = str(spec.get("name", ""))
        self.kind = kind
        """"init", "sidecar" or "main"."""
        self.behavior = behavior
        self.image = str(spec.get("image") or "")
        self.pull_policy = str(spec.get("imagePullPolicy") or "IfNotPresent")
        self.field_path = (
            f"spec.containers{{{self.name}}}"
            if kind == "main"
            else f"spec.initContainers{{{self.name}}}"
        )
        self.stage = BLOCKED
        self.until = _NEVER
        """When the current waiting stage (pull, create, back-off, exited) ends."""
        self.run: Run | None = None
        self.last: Run | None = None
        self.restart_count = 0
        self.crashes = 0
        """Consecutive failed runs: what the back-off grows with."""
        self.failures = 0
        """Runs that crashed / OOMed / exited non-zero because a behaviour said so."""
        self.pull_failures = 0
        self.pull_started = 0.0
        self.backoff_nominal = 0.0
        self.final = False
        """Terminated (or stopped waiting) for good: no restart will follow."""
        self.ready = False
        self.started = False
        self.ready_at = _NEVER
        self.started_at = _NEVER
        self.exit_at = _NEVER
        self.exit_code = 0
        self.exit_reason = "Completed"
        self.unhealthy_at = _NEVER
        self.stopping = False
        self.restart_from_backoff = False
        """A restart after CrashLoopBackOff is being prepared (it keeps showing the back-off)."""

    def next_due(self) -> float:
        if self.stage == RUNNING:
            return min(self.exit_at, self.started_at, self.ready_at, self.unhealthy_at)
        return self.until

    @property
    def in_crash_backoff(self) -> bool:
        """The status shows waiting CrashLoopBackOff (the back-off, or the restart after it)."""
        restarting = self.stage in (PULLING, CREATING) and self.run is not None
        return self.stage == CRASH_BACKOFF or (restarting and self.restart_from_backoff)

    @property
    def last_terminated(self) -> Run | None:
        """The run the status reports as lastState.terminated.

        In CrashLoopBackOff the kubelet moves the run that just ended into lastState (state is
        waiting, restartCount is still that run's), so `kubectl logs --previous` and the RESTARTS
        age ("5 (2m ago)") refer to it; otherwise it is the run before the current one.
        """
        if self.in_crash_backoff and self.run is not None:
            return self.run
        return self.last

    def log_state(self, default_waiting: str) -> ContainerLogState:
        waiting: str | None = None
        if self.stage not in (RUNNING, EXITED):
            waiting = self.waiting_reason(default_waiting)
        return ContainerLogState(
            current=self.run,
            previous=self.last_terminated,
            waiting_reason=waiting,
            image=self.image,
            kind=self.kind,
            restart_count=self.restart_count,
        )

    def waiting_reason(self, default: str) -> str:
        if self.stage == PULLING and self.pull_failures:
            return "ImagePullBackOff"  # a retried pull shows the back-off until it fails again
        return {
            PULL_ERROR: "ErrImagePull",
            PULL_BACKOFF: "ImagePullBackOff",
            INVALID: "InvalidImageName",
            CRASH_BACKOFF: "CrashLoopBackOff",
        }.get(self.stage, default)


class PodRuntime:
    """The kubelet's view of one pod: containers, conditions, events. See the module docstring."""

    def __init__(
        self,
        pod: Mapping[str, Any],
        *,
        host_ip: str,
        pod_ip: str,
        images: MutableSet[str],
        timings: Timings,
        rng: random.Random,
        now: float,
    ) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        self.uid = str(meta.get("uid", ""))
        self.namespace = str(meta.get("namespace", ""))
        self.name = str(meta.get("name", ""))
        self.node_name = str(spec.get("nodeName", ""))
        self.restart_policy = str(spec.get("restartPolicy") or "Always")
        self.readiness_gates = [
            str(g.get("conditionType"))
            for g in spec.get("readinessGates") or ()
            if isinstance(g, Mapping) and g.get("conditionType")
        ]
        self.host_ip = host_ip
        self.pod_ip = host_ip if spec.get("hostNetwork") else pod_ip
        self.images = images
        self.timings = timings
        self.rng = rng
        self.start_time = now
        behaviors, errors = behaviors_for(pod)
        self.init: list[Container] = []
        for c in spec.get("initContainers") or ():
            kind = "sidecar" if c.get("restartPolicy") == "Always" else "init"
            self.init.append(Container(c, kind, behaviors.get(str(c.get("name")), Behavior())))
        self.main = [
            Container(c, "main", behaviors.get(str(c.get("name")), Behavior()))
            for c in spec.get("containers") or ()
        ]
        self.default_waiting = "PodInitializing" if self.init else "ContainerCreating"
        self.init_index = 0
        self.init_failed = False
        self.phase = "Pending"
        self.terminal = False
        self.sidecars_stopping = False
        self.deletion_requested: tuple[float, float] | None = None
        """(when, grace seconds) of the pod's deletion, once the kubelet has seen it."""
        self.terminating = False
        self.kill_deadline = _NEVER
        self.ready_to_delete = False
        self.conditions: dict[str, tuple[str, str, str, float]] = {}
        """type -> (status, reason, message, lastTransitionTime)."""
        self.observed: Mapping[str, Any] = pod
        self.events: list[EventSpec] = []
        self.changed = True
        self._t = now
        """The time of the latest transition: what became possible then starts then."""
        for error in errors:
            self._event("InvalidBehavior", f"ignored: {error}", now, warning=True)

    # --- inputs -------------------------------------------------------------------------------

    @property
    def containers(self) -> list[Container]:
        return [*self.init, *self.main]

    def observe(self, pod: Mapping[str, Any], now: float) -> None:
        """The latest pod object from the API (deletion, scheduler conditions, gates)."""
        self.observed = pod
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            grace = float(meta.get("deletionGracePeriodSeconds") or 0)
            if self.deletion_requested is None or grace < self.deletion_requested[1]:
                self.deletion_requested = (now, grace)

    def adopt(self, status: Mapping[str, Any], now: float) -> None:
        """Continue from a status an earlier kubelet wrote (an agent restart): running containers
        keep running, completed init containers stay completed, restart counts are kept."""
        start = parse_time(status.get("startTime"))
        if start is not None:
            self.start_time = start
        by_name: dict[str, Mapping[str, Any]] = {}
        for s in [
            *(status.get("initContainerStatuses") or ()),
            *(status.get("containerStatuses") or ()),
        ]:
            if isinstance(s, Mapping):
                by_name[str(s.get("name"))] = s
        for c in self.containers:
            s = by_name.get(c.name)
            if s is None:
                continue
            c.restart_count = int(s.get("restartCount") or 0)
            # Each restart followed a failed run, as far as the behaviour is concerned.
            c.failures = c.crashes = c.restart_count
            last = ((s.get("lastState") or {}).get("terminated")) or None
            if isinstance(last, Mapping):
                c.last = _run_from_terminated(last, c, now)
            state = s.get("state") or {}
            running = state.get("running")
            terminated = state.get("terminated")
            if isinstance(running, Mapping):
                started = parse_time(running.get("startedAt")) or now
                cid = str(s.get("containerID") or "").removeprefix("containerd://")
                c.run = Run(started=started, container_id=cid or self._container_id(c))
                c.stage = RUNNING
                self._plan_run(c, started)
                c.started = bool(s.get("started", True))
                c.ready = bool(s.get("ready"))
                if c.started:
                    c.started_at = _NEVER
                if c.ready:
                    c.ready_at = _NEVER
            elif isinstance(terminated, Mapping):
                c.run = _run_from_terminated(terminated, c, now)
                c.stage = EXITED
                c.final = True
        for index, c in enumerate(self.init):
            done = (c.kind == "init" and c.final and (c.run and c.run.exit_code == 0)) or (
                c.kind == "sidecar" and c.started
            )
            if not done:
                break
            self.init_index = index + 1
        phase = status.get("phase")
        if phase in ("Succeeded", "Failed"):
            self.phase = str(phase)
            self.terminal = True
            for c in self.containers:
                c.final = True
                if c.stage == BLOCKED:
                    c.until = _NEVER
        self.changed = True

    # --- outputs ------------------------------------------------------------------------------

    def take_events(self) -> list[EventSpec]:
        events, self.events = self.events, []
        return events

    def next_due(self) -> float:
        """When advance() has something to do next (math.inf: nothing until the pod changes)."""
        if self.ready_to_delete or (self.terminal and self.deletion_requested is None):
            return _NEVER
        if self.deletion_requested is not None and not self.terminating:
            return self.deletion_requested[0]
        due = min((c.next_due() for c in self.containers), default=_NEVER)
        if self.terminating:
            due = min(due, self.kill_deadline)
        return due

    def log_state(self, container: str) -> ContainerLogState | None:
        for c in self.containers:
            if c.name == container:
                return c.log_state(self.default_waiting)
        return None

    # --- the state machine --------------------------------------------------------------------

    def advance(self, now: float) -> bool:
        """Apply every transition due at or before `now`; True if the status changed."""
        changed = self.changed
        self.changed = False
        for _ in range(10_000):
            step = self._step(now)
            if not step:
                break
            changed = True
        if changed:
            self._update_phase_and_conditions(now)
        return changed

    def _step(self, now: float) -> bool:
        if self.ready_to_delete:
            return False
        due = min((c.next_due() for c in self.containers), default=_NEVER)
        if self.deletion_requested is not None:
            when, grace = self.deletion_requested
            if not self.terminating and when <= now and when <= due:
                self._t = max(self._t, when)
                self._begin_termination(when, grace)
                return True
            if self.terminating:
                deadline = when + self.timings.scaled(grace)
                if deadline < self.kill_deadline:
                    self._shorten_grace(deadline)
                    return True
        if self.terminal and not self.terminating:
            return False
        if due <= now:
            # The earliest transition first, so that they happen in their real order.
            c = min(self.containers, key=lambda x: x.next_due())
            self._t = max(self._t, due)
            self._container_step(c, due)
            return True
        if self.terminating:
            if all(c.stage != RUNNING for c in self.containers):
                self.ready_to_delete = True
                return True
            return False
        return self._progress(self._t)

    def _progress(self, now: float) -> bool:
        """Start what may start now: the next init container, then the main containers."""
        if self.terminal or self.init_failed:
            return False
        while self.init_index < len(self.init):
            c = self.init[self.init_index]
            if c.stage == BLOCKED and not c.final:
                self._activate(c, now)
                return True
            if c.kind == "init":
                if c.final and c.run is not None and c.run.exit_code != 0:
                    self.init_failed = True
                    return True
                done = c.final and c.run is not None and c.run.exit_code == 0
            else:
                done = c.started
            if not done:
                return False
            self.init_index += 1
        for c in self.main:
            if c.stage == BLOCKED and not c.final:
                self._activate(c, now)
                return True
        return self._maybe_finish(now)

    def _maybe_finish(self, now: float) -> bool:
        if self.restart_policy == "Always" or not self.main:
            return False
        if not all(c.final for c in self.main):
            return False
        running_sidecars = [c for c in self.init if c.kind == "sidecar" and c.stage == RUNNING]
        if running_sidecars:
            if not self.sidecars_stopping:
                self.sidecars_stopping = True
                for c in reversed(running_sidecars):
                    self._stop(c, now, now + self.timings.scaled(30))
                return True
            return False
        for c in self.init:
            if c.stage != RUNNING:
                c.final = True
                c.until = _NEVER
        self.terminal = True
        return True

    # --- container transitions ----------------------------------------------------------------

    def _event(
        self, reason: str, message: str, t: float, *, c: Container | None = None,
        warning: bool = False,
    ) -> None:  # fmt: skip
        self.events.append(
            EventSpec(
                reason=reason,
                message=message,
                type="Warning" if warning else "Normal",
                field_path=c.field_path if c is not None else None,
                time=t,
            )
        )

    def _container_id(self, c: Container) -> str:
        return _digest("container", self.uid, c.name, str(c.restart_count))

    def _activate(self, c: Container, t: float) -> None:
        """Pull (or not) and create the container."""
        problem = image_problem(c.image, c.behavior)
        if problem == "InvalidImageName":
            c.stage, c.until = INVALID, _NEVER
            self._event(
                "InspectFailed",
                f'Failed to apply default image tag "{c.image}": couldn\'t parse image reference'
                f' "{c.image}": invalid reference format: repository name must be lowercase',
                t, c=c, warning=True,
            )  # fmt: skip
            self._event("Failed", "Error: InvalidImageName", t, c=c, warning=True)
            return
        present = c.image in self.images and problem is None
        if present and c.pull_policy != "Always":
            self._event("Pulled", f'Container image "{c.image}" already present on machine', t, c=c)
            self._create(c, t)
            return
        self._event("Pulling", f'Pulling image "{c.image}"', t, c=c)
        if c.behavior.pull_time is not None:
            nominal = c.behavior.pull_time
        elif present:
            nominal = self.timings.pull_cached * (0.5 + self.rng.random())
        else:
            nominal = self.timings.pull * (0.5 + self.rng.random())
        c.stage = PULLING
        c.pull_started = t
        c.until = t + self.timings.scaled(nominal)

    def _pull_done(self, c: Container, t: float) -> None:
        if image_problem(c.image, c.behavior) is not None:
            c.pull_failures += 1
            self._event(
                "Failed", f'Failed to pull image "{c.image}": {self._pull_error(c)}', t, c=c,
                warning=True,
            )  # fmt: skip
            self._event("Failed", "Error: ErrImagePull", t, c=c, warning=True)
            c.stage = PULL_ERROR
            c.until = t + self.timings.scaled(self.timings.err_image_pull)
            return
        self.images.add(c.image)
        took = go_seconds(max(0.001, (t - c.pull_started) / max(self.timings.scale, 1e-9)))
        self._event(
            "Pulled",
            f'Successfully pulled image "{c.image}" in {took} ({took} including waiting)',
            t, c=c,
        )  # fmt: skip
        self._create(c, t)

    def _pull_error(self, c: Container) -> str:
        ref = normalize_image(c.image)
        return (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed'
            f' to resolve reference "{ref}": {ref}: not found'
        )

    def _backoff(self, failures: int) -> float:
        return min(
            self.timings.backoff_initial * 2.0 ** max(0, failures - 1), self.timings.backoff_max
        )

    def _create(self, c: Container, t: float) -> None:
        c.stage = CREATING
        c.until = t + self.timings.scaled(self.timings.create + c.behavior.start_delay)

    def _start(self, c: Container, t: float) -> None:
        self._event("Created", f"Created container {c.name}", t, c=c)
        self._event("Started", f"Started container {c.name}", t, c=c)
        if c.run is not None:
            # A restart: the kubelet gives the new container restartCount + 1; the exited run
            # is lastState from now on (during a CrashLoopBackOff it already was).
            c.restart_count += 1
            c.last = c.run
        c.restart_from_backoff = False
        c.stage = RUNNING
        c.until = _NEVER
        c.run = Run(started=t, container_id=self._container_id(c))
        self._plan_run(c, t)

    def _plan_run(self, c: Container, t: float) -> None:
        """Exit, startup and readiness times of a run that started at t."""
        b = c.behavior
        s = self.timings.scaled
        may_fail = b.crashes is None or c.failures < b.crashes
        c.exit_at = _NEVER
        if may_fail and b.oom_after is not None:
            c.exit_at, c.exit_code, c.exit_reason = t + s(b.oom_after), 137, "OOMKilled"
        elif may_fail and b.crash_after is not None:
            c.exit_at, c.exit_code, c.exit_reason = t + s(b.crash_after), 1, "Error"
        elif b.exit_code is not None and (may_fail or b.exit_code == 0):
            code = b.exit_code
            c.exit_at = t + s(b.exit_after if b.exit_after is not None else 1.0)
            c.exit_code, c.exit_reason = code, "Completed" if code == 0 else "Error"
        elif b.run_forever:
            pass
        elif c.kind == "init":
            c.exit_at, c.exit_code, c.exit_reason = t + s(self.timings.init_run), 0, "Completed"
        elif c.kind == "main" and self.restart_policy != "Always":
            c.exit_at, c.exit_code, c.exit_reason = t + s(self.timings.job_run), 0, "Completed"
        startup = _probe_delay(c.spec.get("startupProbe"))
        c.started = startup is None or startup == 0
        c.started_at = _NEVER if c.started else t + s(startup or 0)
        c.ready = False
        c.ready_at = _NEVER
        c.unhealthy_at = _NEVER
        if c.kind == "init":
            return
        probe = c.spec.get("readinessProbe")
        if b.never_ready:
            delay = _probe_delay(probe)
            if delay is not None:
                period = float((probe or {}).get("periodSeconds") or 10)
                c.unhealthy_at = t + s(max(delay, period))
            return
        if b.ready_after is not None:
            ready_at = t + s(b.ready_after)
        else:
            ready_at = t + s(_probe_delay(probe) or 0)
        if not c.started:
            ready_at = max(ready_at, c.started_at)
        if ready_at <= t:
            c.ready = True
        else:
            c.ready_at = ready_at

    def _terminate(self, c: Container, t: float) -> None:
        """The container's process ended at t with the planned exit code."""
        assert c.run is not None
        code, reason = c.exit_code, c.exit_reason
        c.run = replace(c.run, finished=t, exit_code=code, reason=reason)
        c.stage = EXITED
        c.ready = False
        c.started = False
        c.exit_at = c.ready_at = c.started_at = c.unhealthy_at = _NEVER
        if code != 0 and not c.stopping:
            c.failures += 1
        if c.stopping or self.terminating:
            c.final, c.until = True, _NEVER
            return
        if c.kind == "init":
            restart = code != 0 and self.restart_policy != "Never"
        elif c.kind == "sidecar":
            restart = not self.sidecars_stopping
        elif self.restart_policy == "Always":
            restart = True
        else:
            restart = self.restart_policy == "OnFailure" and code != 0
        if not restart:
            c.final, c.until = True, _NEVER
            return
        if t - c.run.started >= self.timings.scaled(self.timings.backoff_reset):
            c.crashes = 0
        c.crashes += 1
        c.backoff_nominal = 0.0 if c.crashes == 1 else self._backoff(c.crashes - 1)
        c.until = t + self.timings.scaled(self.timings.sync)

    def _exited_done(self, c: Container, t: float) -> None:
        """The exited container's sync delay is over: restart, or wait out the back-off."""
        assert c.run is not None
        if c.backoff_nominal > 0 and c.stage == EXITED:
            restart_at = (c.run.finished or t) + self.timings.scaled(c.backoff_nominal)
            if restart_at > t:
                c.stage = CRASH_BACKOFF
                c.until = restart_at
                self._event("BackOff", "Back-off restarting failed container", t, c=c, warning=True)
                return
        c.restart_from_backoff = c.stage == CRASH_BACKOFF
        self._activate(c, t)

    def _stop(self, c: Container, t: float, deadline: float) -> None:
        """SIGTERM: the container exits after its stop delay, or is killed at the deadline."""
        c.stopping = True
        self._event("Killing", f"Stopping container {c.name}", t, c=c)
        b = c.behavior
        if b.ignore_sigterm:
            exit_at = _NEVER
        else:
            nominal = b.stop_delay if b.stop_delay is not None else self.timings.stop
            exit_at = t + self.timings.scaled(nominal)
        if exit_at <= deadline:
            c.exit_at, c.exit_code, c.exit_reason = min(exit_at, c.exit_at), 0, "Completed"
            if c.exit_at < exit_at:
                # It was about to exit on its own anyway; keep its own exit code.
                c.exit_code, c.exit_reason = self._planned_exit(c)
        else:
            c.exit_at, c.exit_code, c.exit_reason = deadline, 137, "Error"
        c.ready_at = c.started_at = c.unhealthy_at = _NEVER

    def _planned_exit(self, c: Container) -> tuple[int, str]:
        b = c.behavior
        if b.oom_after is not None:
            return 137, "OOMKilled"
        if b.crash_after is not None:
            return 1, "Error"
        if b.exit_code is not None:
            return b.exit_code, "Completed" if b.exit_code == 0 else "Error"
        return 0, "Completed"

    def _begin_termination(self, t: float, grace: float) -> None:
        self.terminating = True
        self.kill_deadline = t + self.timings.scaled(grace)
        for c in [*self.main, *reversed(self.init)]:
            if c.stage == RUNNING:
                self._stop(c, t, self.kill_deadline)
            else:
                c.final = True
                c.until = _NEVER
        if all(c.stage != RUNNING for c in self.containers):
            self.ready_to_delete = True

    def _shorten_grace(self, deadline: float) -> None:
        self.kill_deadline = deadline
        for c in self.containers:
            if c.stage == RUNNING and c.exit_at > deadline:
                c.exit_at, c.exit_code, c.exit_reason = deadline, 137, "Error"

    def _container_step(self, c: Container, t: float) -> None:
        if c.stage == PULLING:
            self._pull_done(c, t)
        elif c.stage == PULL_ERROR:
            c.stage = PULL_BACKOFF
            c.until = t + self.timings.scaled(self._backoff(c.pull_failures))
            self._event("BackOff", f'Back-off pulling image "{c.image}"', t, c=c)
            self._event("Failed", "Error: ImagePullBackOff", t, c=c, warning=True)
        elif c.stage == PULL_BACKOFF:
            self._activate(c, t)
        elif c.stage == CREATING:
            self._start(c, t)
        elif c.stage in (EXITED, CRASH_BACKOFF):
            self._exited_done(c, t)
        elif c.stage == RUNNING:
            if c.exit_at <= t:
                self._terminate(c, t)
            elif c.started_at <= t:
                c.started, c.started_at = True, _NEVER
            elif c.ready_at <= t:
                c.ready, c.ready_at = True, _NEVER
            elif c.unhealthy_at <= t:
                probe = c.spec.get("readinessProbe") or {}
                period = float(probe.get("periodSeconds") or 10)
                c.unhealthy_at = t + self.timings.scaled(period)
                self._event("Unhealthy", _probe_failure(probe, self.pod_ip), t, c=c, warning=True)
        else:
            c.until = _NEVER

    # --- status -------------------------------------------------------------------------------

    def _compute_phase(self) -> str:
        if self.terminal:
            if self.phase in ("Succeeded", "Failed"):
                return self.phase
            if self.init_failed:
                return "Failed"
            ok = all(c.run is not None and c.run.exit_code == 0 for c in self.main)
            return "Succeeded" if ok else "Failed"
        if self.init_failed and self.restart_policy == "Never":
            return "Failed"
        if self.init_index < len(self.init):
            return "Pending"
        waiting = running = stopped = succeeded = 0
        for c in self.main:
            if c.stage == RUNNING:
                running += 1
            elif c.stage in (EXITED, CRASH_BACKOFF) or c.run is not None or c.last is not None:
                stopped += 1
                if c.stage == EXITED and c.run is not None and c.run.exit_code == 0:
                    succeeded += 1
            else:
                waiting += 1
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if stopped:
            if self.restart_policy == "Always":
                return "Running"
            if stopped == succeeded and all(c.final for c in self.main):
                return "Succeeded"
            if self.restart_policy == "Never":
                return "Failed"
            return "Running"
        return "Pending"

    def _update_phase_and_conditions(self, now: float) -> None:
        phase = self._compute_phase()
        if self.terminal and phase in ("Succeeded", "Failed"):
            self.phase = phase
        elif not self.terminal:
            if self.init_failed and phase == "Failed":
                self.terminal = True
            self.phase = phase
        completed = self.phase in ("Succeeded", "Failed")
        incomplete = [
            c.name
            for c in self.init
            if not (
                (c.kind == "init" and c.run is not None and c.run.exit_code == 0 and c.final)
                or (c.kind == "sidecar" and (c.started or self.init_index > self.init.index(c)))
            )
        ]
        if completed:
            self._set_condition("Initialized", "True", "PodCompleted", "", now)
        elif incomplete and self.init_index < len(self.init):
            self._set_condition(
                "Initialized",
                "False",
                "ContainersNotInitialized",
                f"containers with incomplete status: [{' '.join(incomplete)}]",
                now,
            )
        else:
            self._set_condition("Initialized", "True", "", "", now)
        unready = [c.name for c in self.init if c.kind == "sidecar" and not c.ready]
        unready += [c.name for c in self.main if not c.ready]
        if completed:
            self._set_condition("ContainersReady", "False", "PodCompleted", "", now)
            self._set_condition("Ready", "False", "PodCompleted", "", now)
            return
        if unready:
            message = f"containers with unready status: [{' '.join(unready)}]"
            self._set_condition("ContainersReady", "False", "ContainersNotReady", message, now)
            self._set_condition("Ready", "False", "ContainersNotReady", message, now)
            return
        self._set_condition("ContainersReady", "True", "", "", now)
        observed = {
            str(c.get("type")): c
            for c in ((self.observed.get("status") or {}).get("conditions") or ())
            if isinstance(c, Mapping)
        }
        for gate in self.readiness_gates:
            if gate not in observed:
                self._set_condition(
                    "Ready", "False", "ReadinessGatesNotReady",
                    f'corresponding condition of pod readiness gate "{gate}" does not exist.', now,
                )  # fmt: skip
                return
            if observed[gate].get("status") != "True":
                self._set_condition(
                    "Ready", "False", "ReadinessGatesNotReady",
                    f'the status of pod readiness gate "{gate}" is not "True", but'
                    f" {observed[gate].get('status')}", now,
                )  # fmt: skip
                return
        self._set_condition("Ready", "True", "", "", now)

    def _set_condition(
        self, type_: str, status: str, reason: str, message: str, now: float
    ) -> None:
        old = self.conditions.get(type_)
        since = now if old is None or old[0] != status else old[3]
        self.conditions[type_] = (status, reason, message, since)

    def render_status(self) -> Obj:
        """The pod's status as the kubelet would write it (PodScheduled and other foreign
        conditions are kept from the observed pod)."""
        observed_status = self.observed.get("status") or {}
        conditions: list[Obj] = []
        for type_ in ("Initialized", "Ready", "ContainersReady"):
            if type_ not in self.conditions:
                continue
            status, reason, message, since = self.conditions[type_]
            cond: Obj = {"type": type_, "status": status, "lastTransitionTime": rfc3339(since)}
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            conditions.append(cond)
        for cond in observed_status.get("conditions") or ():
            if isinstance(cond, Mapping) and cond.get("type") not in self.conditions:
                conditions.append(dict(cond))
        status_obj: Obj = {"phase": self.phase, "conditions": conditions}
        status_obj["hostIP"] = self.host_ip
        if self.pod_ip:
            status_obj["podIP"] = self.pod_ip
            status_obj["podIPs"] = [{"ip": self.pod_ip}]
        status_obj["startTime"] = rfc3339(self.start_time)
        if self.init:
            status_obj["initContainerStatuses"] = [self._container_status(c) for c in self.init]
        status_obj["containerStatuses"] = [self._container_status(c) for c in self.main]
        qos = observed_status.get("qosClass") or qos_class(self.observed.get("spec") or {})
        status_obj["qosClass"] = qos
        return status_obj

    def _container_status(self, c: Container) -> Obj:
        state: Obj
        restarting = c.stage in (PULLING, CREATING) and c.run is not None
        if c.stage == RUNNING and c.run is not None:
            state = {"running": {"startedAt": rfc3339(c.run.started)}}
        elif c.run is not None and (
            c.stage == EXITED or (restarting and not c.restart_from_backoff)
        ):
            # A restart being prepared keeps showing how the last run ended.
            state = {"terminated": _terminated(c.run)}
        elif c.in_crash_backoff:
            state = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {go_duration(c.backoff_nominal)} restarting failed"
                    f" container={c.name} pod={self.name}_{self.namespace}({self.uid})",
                }
            }
        elif c.stage == PULL_ERROR:
            state = {"waiting": {"reason": "ErrImagePull", "message": self._pull_error(c)}}
        elif c.stage == PULL_BACKOFF or (c.stage == PULLING and c.pull_failures):
            state = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{c.image}"',
                }
            }
        elif c.stage == INVALID:
            state = {
                "waiting": {
                    "reason": "InvalidImageName",
                    "message": f'Failed to apply default image tag "{c.image}": couldn\'t parse'
                    f' image reference "{c.image}": invalid reference format: repository name'
                    " must be lowercase",
                }
            }
        else:
            state = {"waiting": {"reason": self.default_waiting}}
        ran = c.run is not None or c.last is not None
        last = c.last_terminated
        out: Obj = {
            "name": c.name,
            "state": state,
            "lastState": {"terminated": _terminated(last)} if last is not None else {},
            "ready": c.ready,
            "restartCount": c.restart_count,
            "image": c.image,
            "imageID": image_id(c.image) if ran else "",
        }
        run = c.run or c.last
        if run is not None:
            out["containerID"] = "containerd://" + run.container_id
        out["started"] = c.stage == RUNNING and c.started
        return out


def _terminated(run: Run) -> Obj:
    return {
        "exitCode": run.exit_code if run.exit_code is not None else 0,
        "reason": run.reason or "Completed",
        "startedAt": rfc3339(run.started),
        "finishedAt": rfc3339(run.finished if run.finished is not None else run.started),
        "containerID": "containerd://" + run.container_id,
    }


def _run_from_terminated(term: Mapping[str, Any], c: Container, now: float) -> Run:
    started = parse_time(term.get("startedAt")) or now
    return Run(
        started=started,
        container_id=str(term.get("containerID") or "").removeprefix("containerd://")
        or _digest("adopted", c.name, str(started)),
        finished=parse_time(term.get("finishedAt")) or started,
        exit_code=int(term.get("exitCode") or 0),
        reason=str(term.get("reason") or ""),
    )


def _probe_failure(probe: Mapping[str, Any], pod_ip: str) -> str:
    http = probe.get("httpGet")
    if isinstance(http, Mapping):
        return "Readiness probe failed: HTTP probe failed with statuscode: 503"
    tcp = probe.get("tcpSocket")
    if isinstance(tcp, Mapping):
        address = f"{pod_ip}:{tcp.get('port')}"
        return f"Readiness probe failed: dial tcp {address}: connect: connection refused"
    return "Readiness probe failed: "


# --- quantities and QoS (shared with the scheduler) ---------------------------------------------

_SUFFIXES = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "P": 1e15, "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
    "Pi": 2.0**50, "Ei": 2.0**60,
}  # fmt: skip
_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)


def parse_quantity(value: Any) -> float:
    """A resource.Quantity as a float: "100m" -> 0.1, "1.5" -> 1.5, "128Mi" -> 134217728."""
    if isinstance(value, bool):
        raise ValueError(f"invalid quantity {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValueError(f"invalid quantity {value!r}")
    number = float(match.group(1))
    if match.group(2):
        return number * 10.0 ** int(match.group(2)[1:])
    return number * _SUFFIXES[match.group(3) or ""]


def qos_class(spec: Mapping[str, Any]) -> str:
    containers = [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]
    any_set = False
    guaranteed = True
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        resources = container.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            request = requests.get(name, limit)
            if limit is None or request != limit:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def pod_requests(spec: Mapping[str, Any]) -> dict[str, float]:
    """What the scheduler counts for a pod: the main containers and sidecars summed, or the
    largest regular init container if that is more (per resource)."""
    total: dict[str, float] = {}
    init_max: dict[str, float] = {}

    def requests_of(container: Any) -> dict[str, float]:
        if not isinstance(container, Mapping):
            return {}
        resources = container.get("resources") or {}
        requests = dict(resources.get("requests") or {})
        for name, limit in (resources.get("limits") or {}).items():
            requests.setdefault(name, limit)
        out: dict[str, float] = {}
        for name, raw in requests.items():
            try:
                out[str(name)] = parse_quantity(raw)
            except ValueError:
                continue
        return out

    sidecars: dict[str, float] = {}
    for container in spec.get("initContainers") or ():
        requests = requests_of(container)
        if isinstance(container, Mapping) and container.get("restartPolicy") == "Always":
            for name, value in requests.items():
                sidecars[name] = sidecars.get(name, 0.0) + value
            continue
        for name, value in requests.items():
            # A regular init container runs next to the sidecars started before it.
            init_max[name] = max(init_max.get(name, 0.0), value + sidecars.get(name, 0.0))
    for container in spec.get("containers") or ():
        for name, value in requests_of(container).items():
            total[name] = total.get(name, 0.0) + value
    for name, value in sidecars.items():
        total[name] = total.get(name, 0.0) + value
    for name, value in init_max.items():
        total[name] = max(total.get(name, 0.0), value)
    return total


@dataclass
class NodeAddresses:
    """Where a simulated node's pods live: its InternalIP and its pod CIDR's /24 prefix."""

    internal_ip: str
    pod_prefix: str
    in_use: set[str] = field(default_factory=set)
    next_host: int = 2

    def allocate(self) -> str:
        for _ in range(253):
            host = self.next_host
            self.next_host = 2 if host >= 254 else host + 1
            ip = f"{self.pod_prefix}.{host}"
            if ip not in self.in_use:
                self.in_use.add(ip)
                return ip
        # A full /24: share addresses rather than refuse the pod (a simulation, not IPAM).
        return f"{self.pod_prefix}.{self.next_host}"

    def release(self, ip: str) -> None:
        self.in_use.discard(ip)
