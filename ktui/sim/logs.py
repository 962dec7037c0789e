"""Container logs for the embedded cluster's pods/log: deterministic, realistic, and live.

`PodLogSource(state_of, clock=time.time, scale=1.0)` is a `ktui.sim.store.LogSource` (set it as
`store.log_source`). `state_of(pod, container)` returns the container's `ContainerLogState` (the
node agent knows the exact run times); when it returns None the state is read from the pod's
status instead (`log_state_from_status`).

What a container "printed" is a pure function of the pod uid, the container, the run (its
containerID) and time, so the same request gives the same lines, and `follow` keeps producing
new ones at their times while the container runs. The flavour comes from the container's name
and image: nginx-style access logs for web servers, JSON lines for APIs, redis / postgres server
logs, progress lines for workers, jobs and init containers, a generic app log otherwise. A run
that ended with a non-zero exit code ends with the error it died of; the oldest lines of very
long runs are rotated away (at most `max_lines` are kept, like the kubelet's log rotation).

Errors are the real kubelet's, as 400 BadRequest:
    previous terminated container "app" in pod "web-1" not found
    container "app" in pod "web-1" is waiting to start: ContainerCreating
    container "app" in pod "web-1" is waiting to start: trying and failing to pull image
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ktui.sim.lifecycle import ContainerLogState, Run, parse_time
from ktui.sim.store import StoreError

Obj = dict[str, Any]
StateOf = Callable[[Obj, str], ContainerLogState | None]


def bad_request(message: str) -> StoreError:
    return StoreError(400, "BadRequest", message)


def log_state_from_status(pod: Mapping[str, Any], container: str) -> ContainerLogState | None:
    """A ContainerLogState read back from the pod's status (second-resolution times)."""
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    kind = "main"
    image = ""
    for c in spec.get("initContainers") or ():
        if c.get("name") == container:
            kind = "sidecar" if c.get("restartPolicy") == "Always" else "init"
            image = str(c.get("image") or "")
    for c in spec.get("containers") or ():
        if c.get("name") == container:
            image = str(c.get("image") or "")
    statuses = [
        *(status.get("initContainerStatuses") or ()),
        *(status.get("containerStatuses") or ()),
    ]
    found = next((s for s in statuses if s.get("name") == container), None)
    if found is None:
        return None
    cid = str(found.get("containerID") or "").removeprefix("containerd://")
    state = found.get("state") or {}
    current: Run | None = None
    waiting: str | None = None
    if isinstance(state.get("running"), Mapping):
        started = parse_time(state["running"].get("startedAt")) or 0.0
        current = Run(started=started, container_id=cid or "running")
    elif isinstance(state.get("terminated"), Mapping):
        current = _run_of(state["terminated"], cid)
    else:
        waiting = str((state.get("waiting") or {}).get("reason") or "ContainerCreating")
    last = (found.get("lastState") or {}).get("terminated")
    previous = _run_of(last, "") if isinstance(last, Mapping) else None
    return ContainerLogState(
        current=current,
        previous=previous,
        waiting_reason=waiting,
        image=image,
        kind=kind,
        restart_count=int(found.get("restartCount") or 0),
    )


def _run_of(term: Mapping[str, Any], fallback_id: str) -> Run:
    started = parse_time(term.get("startedAt")) or 0.0
    cid = str(term.get("containerID") or "").removeprefix("containerd://") or fallback_id
    return Run(
        started=started,
        container_id=cid or f"terminated-{started}",
        finished=parse_time(term.get("finishedAt")) or started,
        exit_code=int(term.get("exitCode") or 0),
        reason=str(term.get("reason") or ""),
    )


def format_timestamp(t: float) -> str:
    """The kubelet's RFC3339NanoFixed (always nine digits)."""
    whole = math.floor(t)
    nanos = min(round((t - whole) * 1e9), 999_999_999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{nanos:09d}Z"


# --- flavours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    pod: str
    namespace: str
    container: str
    image: str
    rng: random.Random


def _gm(t: float, fmt: str) -> str:
    return time.strftime(fmt, time.gmtime(t))


def _millis(t: float) -> str:
    return f"{int((t % 1) * 1000):03d}"


_PATHS = (
    "/", "/index.html", "/static/app.js", "/static/style.css", "/api/items", "/api/items/42",
    "/api/cart", "/login", "/healthz", "/favicon.ico", "/images/logo.png", "/api/search?q=shoes",
)  # fmt: skip
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"
    " Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Safari/605.1.15",
    "curl/8.5.0",
    "kube-probe/1.30",
    "Go-http-client/1.1",
)  # fmt: skip
_API_ROUTES = (
    ("GET", "/v1/orders"), ("GET", "/v1/orders/{id}"), ("POST", "/v1/orders"),
    ("GET", "/v1/users/{id}"), ("PUT", "/v1/users/{id}"), ("GET", "/v1/products"),
    ("DELETE", "/v1/cart/{id}"), ("GET", "/healthz"), ("GET", "/metrics"),
)  # fmt: skip


class _Flavour:
    interval = 5.0
    """Mean nominal seconds between lines."""

    def startup(self, ctx: _Context, t: float) -> list[str]:
        return [f"{_gm(t, '%Y-%m-%dT%H:%M:%SZ')} INFO  starting {ctx.container} ({ctx.image})"]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        rng = ctx.rng
        what = rng.choice(
            ("heartbeat ok", "cache refreshed", "processed request", "flushed metrics", "tick")
        )
        return f"{_gm(t, '%Y-%m-%dT%H:%M:%SZ')} INFO  {ctx.container}: {what} (n={index})"

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [
                f"{stamp} ERROR {ctx.container}: unrecoverable error: connection refused",
                f"{stamp} FATAL exiting with status {run.exit_code}",
            ]
        return [f"{stamp} INFO  {ctx.container}: received SIGTERM, shutting down"]


class _Nginx(_Flavour):
    interval = 1.5

    def startup(self, ctx: _Context, t: float) -> list[str]:
        stamp = _gm(t, "%Y/%m/%d %H:%M:%S")
        return [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform"
            " configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of"
            " /etc/nginx/conf.d/default.conf",
            "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in"
            " /etc/nginx/conf.d/default.conf",
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            f'{stamp} [notice] 1#1: using the "epoll" event method',
            f"{stamp} [notice] 1#1: nginx/1.25.3",
            f"{stamp} [notice] 1#1: OS: Linux 6.1.0-18-amd64",
            f"{stamp} [notice] 1#1: start worker processes",
            f"{stamp} [notice] 1#1: start worker process 29",
        ]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        rng = ctx.rng
        client = f"10.244.{rng.randint(0, 3)}.{rng.randint(2, 250)}"
        agent = rng.choice(_AGENTS)
        path = "/healthz" if agent.startswith("kube-probe") else rng.choice(_PATHS)
        method = "POST" if path in ("/login", "/api/cart") and rng.random() < 0.5 else "GET"
        status = rng.choices((200, 200, 200, 304, 301, 404, 500), (60, 20, 10, 5, 2, 2, 1))[0]
        size = 0 if status == 304 else rng.randint(120, 48_000)
        stamp = _gm(t, "%d/%b/%Y:%H:%M:%S +0000")
        return (
            f'{client} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "-" "{agent}" "-"'
        )

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        stamp = _gm(t, "%Y/%m/%d %H:%M:%S")
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [
                f'{stamp} [emerg] 1#1: host not found in upstream "backend:8080" in'
                " /etc/nginx/conf.d/default.conf:12",
                'nginx: [emerg] host not found in upstream "backend:8080" in'
                " /etc/nginx/conf.d/default.conf:12",
            ]
        return [
            f"{stamp} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down",
            f"{stamp} [notice] 29#29: gracefully shutting down",
            f"{stamp} [notice] 29#29: exiting",
            f"{stamp} [notice] 1#1: signal 17 (SIGCHLD) received from 29",
            f"{stamp} [notice] 1#1: exit",
        ]


class _JsonApi(_Flavour):
    interval = 2.0

    def _json(self, t: float, level: str, msg: str, **fields: Any) -> str:
        import json

        record = {"time": _gm(t, "%Y-%m-%dT%H:%M:%S.") + _millis(t) + "Z", "level": level}
        record["msg"] = msg
        record.update(fields)
        return json.dumps(record, separators=(",", ":"))

    def startup(self, ctx: _Context, t: float) -> list[str]:
        return [
            self._json(t, "info", "starting service", service=ctx.container, version="1.8.2"),
            self._json(t, "info", "loaded configuration", source="/etc/app/config.yaml"),
            self._json(t, "info", "connected to database", host="postgres.default.svc:5432"),
            self._json(t, "info", "listening", addr=":8080"),
        ]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        rng = ctx.rng
        method, route = rng.choice(_API_ROUTES)
        path = route.replace("{id}", str(rng.randint(1, 9999)))
        status = rng.choices((200, 201, 204, 400, 404, 500, 503), (70, 8, 6, 5, 6, 3, 2))[0]
        duration = round(rng.lognormvariate(2.3, 0.8), 1)
        request_id = f"{rng.getrandbits(48):012x}"
        if status >= 500:
            return self._json(
                t, "error", "request failed", method=method, path=path, status=status,
                duration_ms=duration, request_id=request_id, error="upstream timeout",
            )  # fmt: skip
        level = "warn" if status >= 400 or duration > 250 else "info"
        return self._json(
            t, level, "request completed", method=method, path=path, status=status,
            duration_ms=duration, request_id=request_id,
        )  # fmt: skip

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [
                self._json(
                    t,
                    "error",
                    "database ping failed",
                    error="dial tcp 10.96.0.12:5432: connect: connection refused",
                ),
                self._json(t, "fatal", "cannot continue without a database", exit_code=1),
            ]
        return [
            self._json(t, "info", "received signal, draining connections", signal="terminated"),
            self._json(t, "info", "server stopped"),
        ]


class _Redis(_Flavour):
    interval = 20.0

    def _stamp(self, t: float) -> str:
        return _gm(t, "%d %b %Y %H:%M:%S.") + _millis(t)

    def startup(self, ctx: _Context, t: float) -> list[str]:
        s = self._stamp(t)
        return [
            f"1:C {s} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
            f"1:C {s} # Redis version=7.2.4, bits=64, commit=00000000, modified=0, pid=1, just"
            " started",
            f"1:M {s} * monotonic clock: POSIX clock_gettime",
            f"1:M {s} * Running mode=standalone, port=6379.",
            f"1:M {s} * Server initialized",
            f"1:M {s} * Ready to accept connections tcp",
        ]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        s = self._stamp(t)
        step = index % 3
        if step == 0:
            return f"1:M {s} * {ctx.rng.randint(1, 100)} changes in 60 seconds. Saving..."
        if step == 1:
            return f"1:M {s} * Background saving started by pid {20 + index}"
        return f"{20 + index - 1}:C {s} * DB saved on disk"

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        s = self._stamp(t)
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [f"1:M {s} # Fatal error loading the DB: Permission denied. Exiting."]
        return [
            f"1:signal-handler ({int(t)}) Received SIGTERM scheduling shutdown...",
            f"1:M {s} # User requested shutdown...",
            f"1:M {s} # Redis is now ready to exit, bye bye...",
        ]


class _Postgres(_Flavour):
    interval = 30.0

    def _stamp(self, t: float) -> str:
        return _gm(t, "%Y-%m-%d %H:%M:%S.") + _millis(t) + " UTC"

    def startup(self, ctx: _Context, t: float) -> list[str]:
        s = self._stamp(t)
        return [
            f"{s} [1] LOG:  starting PostgreSQL 16.2 on x86_64-pc-linux-gnu",
            f'{s} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
            f'{s} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"',
            f"{s} [29] LOG:  database system was shut down at {s}",
            f"{s} [1] LOG:  database system is ready to accept connections",
        ]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        s = self._stamp(t)
        if index % 2 == 0:
            return f"{s} [27] LOG:  checkpoint starting: time"
        buffers = ctx.rng.randint(3, 400)
        return (
            f"{s} [27] LOG:  checkpoint complete: wrote {buffers} buffers"
            f" ({buffers / 163.84:.1f}%); 0 WAL file(s) added, 0 removed, 0 recycled;"
            f" write={ctx.rng.uniform(0.1, 30):.3f} s, sync=0.002 s, total="
            f"{ctx.rng.uniform(0.1, 30):.3f} s"
        )

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        s = self._stamp(t)
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [
                f'{s} [1] FATAL:  data directory "/var/lib/postgresql/data" has invalid'
                " permissions",
                f"{s} [1] DETAIL:  Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).",
            ]
        return [
            f"{s} [1] LOG:  received fast shutdown request",
            f"{s} [1] LOG:  aborting any active transactions",
            f"{s} [1] LOG:  database system is shut down",
        ]


class _Worker(_Flavour):
    interval = 3.0

    def startup(self, ctx: _Context, t: float) -> list[str]:
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        return [f"{stamp} [{ctx.container}] starting, queue=default concurrency=4"]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        rng = ctx.rng
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        items = rng.randint(10, 500)
        took = rng.uniform(0.05, 3.0)
        return (
            f"{stamp} [{ctx.container}] processed batch {index + 1} ({items} items) in {took:.2f}s"
        )

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [
                f"{stamp} [{ctx.container}] error: batch failed: invalid record at offset 4821",
                f"{stamp} [{ctx.container}] giving up (exit {run.exit_code})",
            ]
        return [f"{stamp} [{ctx.container}] all work done, exiting"]


class _Init(_Flavour):
    interval = 0.5

    def startup(self, ctx: _Context, t: float) -> list[str]:
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        return [f"{stamp} {ctx.container}: starting"]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        steps = (
            "waiting for postgres.default.svc.cluster.local:5432",
            "postgres.default.svc.cluster.local:5432 is reachable",
            "applying migration 0001_initial",
            "applying migration 0002_add_orders",
            "applying migration 0003_add_index_on_created_at",
            "copying static assets to /shared",
        )
        return f"{stamp} {ctx.container}: {steps[index % len(steps)]}"

    def exit_lines(self, ctx: _Context, t: float, run: Run) -> list[str]:
        stamp = _gm(t, "%Y-%m-%dT%H:%M:%SZ")
        if run.reason == "OOMKilled":
            return []
        if run.exit_code:
            return [f"{stamp} {ctx.container}: error: timed out waiting for dependencies"]
        return [f"{stamp} {ctx.container}: done"]


class _Proxy(_Flavour):
    interval = 10.0

    def _stamp(self, t: float) -> str:
        return _gm(t, "%Y-%m-%d %H:%M:%S.") + _millis(t)

    def startup(self, ctx: _Context, t: float) -> list[str]:
        s = self._stamp(t)
        return [
            f"[{s}][1][info][main] initializing epoch 0 (base id=0, hot restart version=11.104)",
            f"[{s}][1][info][main] statically linked extensions: ...",
            f"[{s}][1][info][config] all clusters initialized. initializing init manager",
            f"[{s}][1][info][main] starting main dispatch loop",
        ]

    def line(self, ctx: _Context, t: float, index: int) -> str:
        s = self._stamp(t)
        return (
            f"[{s}][14][info][upstream] cds: added/updated {ctx.rng.randint(1, 12)} cluster(s),"
            " skipped 0 unmodified cluster(s)"
        )


def _flavour(container: str, image: str, kind: str) -> _Flavour:
    text = f"{container} {image.rsplit('/', 1)[-1]}".lower()
    if kind == "init":
        return _Init()
    for words, flavour in (
        (("nginx", "httpd", "apache", "caddy", "web", "frontend", "ingress"), _Nginx),
        (("redis", "valkey", "memcached"), _Redis),
        (("postgres", "mysql", "mariadb", "db"), _Postgres),
        (("envoy", "istio", "proxy", "linkerd", "sidecar"), _Proxy),
        (("worker", "job", "batch", "cron", "migrate", "consumer", "queue"), _Worker),
        (("api", "backend", "server", "service", "svc", "gateway", "auth", "json"), _JsonApi),
    ):
        if any(word in text for word in words):
            return flavour()
    return _Flavour()


# --- one run's lines ----------------------------------------------------------------------------


class _RunLines:
    """The lines of one container run, produced in time order up to any moment."""

    def __init__(
        self, pod: Mapping[str, Any], container: str, state: ContainerLogState, run: Run,
        scale: float,
    ) -> None:  # fmt: skip
        meta = pod.get("metadata") or {}
        seed = f"{meta.get('uid', '')}/{container}/{run.container_id}"
        self.seed = seed
        self.ctx = _Context(
            pod=str(meta.get("name", "")),
            namespace=str(meta.get("namespace", "")),
            container=container,
            image=state.image,
            rng=random.Random(seed),
        )
        self.flavour = _flavour(container, state.image, state.kind)
        self.timing = random.Random(seed + "/timing")
        self.scale = max(scale, 1e-6)
        self.run = run
        self.index = -1
        """-1 before the start-up lines; then the number of regular lines produced."""
        self.next_t = run.started
        self.ended = False

    def _advance_time(self) -> None:
        mean = self.flavour.interval * self.scale
        self.next_t += mean * (0.2 + 1.6 * self.timing.random())

    def until(self, end: float, keep_last: int | None = None) -> list[tuple[float, str]]:
        """Lines with times up to `end` (and the exit lines once the run is over by then)."""
        out: deque[tuple[float, str]] | list[tuple[float, str]]
        out = deque(maxlen=keep_last) if keep_last is not None else []
        finished = self.run.finished
        if self.ended:
            return []
        if self.index == -1 and self.run.started <= end:
            for text in self.flavour.startup(self.ctx, self.run.started):
                out.append((self.run.started, text))
            self.index = 0
            self._advance_time()
        if self.index < 0:
            return list(out)
        pending: deque[tuple[float, int]] = deque(maxlen=keep_last) if keep_last else deque()
        while self.next_t <= end and (finished is None or self.next_t <= finished):
            pending.append((self.next_t, self.index))
            self.index += 1
            self._advance_time()
        for t, index in pending:
            # Each line has its own randomness, so a tail shows the same lines as a full read.
            ctx = replace(self.ctx, rng=random.Random(f"{self.seed}/{index}"))
            out.append((t, self.flavour.line(ctx, t, index)))
        if finished is not None and finished <= end:
            ctx = replace(self.ctx, rng=random.Random(f"{self.seed}/exit"))
            for text in self.flavour.exit_lines(ctx, finished, self.run):
                out.append((finished, text))
            self.ended = True
        return list(out)


# --- the log source -----------------------------------------------------------------------------


class PodLogSource:
    """A `LogSource` over the node agent's container runs. See the module docstring."""

    def __init__(
        self,
        state_of: StateOf | None = None,
        *,
        clock: Callable[[], float] = time.time,
        scale: float = 1.0,
        poll_interval: float = 0.2,
        max_lines: int = 5000,
    ) -> None:
        self._state_of = state_of
        self._clock = clock
        self.scale = scale
        self.poll_interval = poll_interval
        self.max_lines = max_lines

    def state(self, pod: Obj, container: str) -> ContainerLogState | None:
        found = self._state_of(pod, container) if self._state_of is not None else None
        return found if found is not None else log_state_from_status(pod, container)

    def read_log(
        self,
        pod: Obj,
        container: str,
        *,
        follow: bool,
        previous: bool,
        timestamps: bool,
        tail_lines: int | None,
        since: float | None = None,
    ) -> Iterator[bytes]:
        """Check the container's state now (errors are raised here, not while iterating) and
        return its log as an iterator of chunks. `since` (epoch seconds, from sinceSeconds or
        sinceTime) leaves out the lines stamped before it, as the kubelet's log reader does."""
        name = str((pod.get("metadata") or {}).get("name", ""))
        state = self.state(pod, container)
        run = self._pick_run(state, container, name, previous)
        live = follow and not previous and run.finished is None
        return self._generate(pod, container, state, run, live, timestamps, tail_lines, since)

    def clock(self) -> float:
        """Now, on the clock the lines are stamped with (sinceSeconds counts back from it)."""
        return self._clock()

    def _pick_run(
        self, state: ContainerLogState | None, container: str, pod_name: str, previous: bool
    ) -> Run:
        if previous:
            if state is None or state.previous is None:
                raise bad_request(
                    f'previous terminated container "{container}" in pod "{pod_name}" not found'
                )
            return state.previous
        if state is not None and state.current is not None:
            return state.current
        if state is not None and state.previous is not None:
            return state.previous
        reason = (state.waiting_reason if state is not None else None) or "ContainerCreating"
        if reason == "ErrImagePull":
            detail = "image can't be pulled"
        elif reason == "ImagePullBackOff":
            detail = "trying and failing to pull image"
        else:
            detail = reason
        raise bad_request(
            f'container "{container}" in pod "{pod_name}" is waiting to start: {detail}'
        )

    def _generate(
        self,
        pod: Obj,
        container: str,
        state: ContainerLogState | None,
        run: Run,
        live: bool,
        timestamps: bool,
        tail_lines: int | None,
        since: float | None = None,
    ) -> Iterator[bytes]:
        assert state is not None
        lines = _RunLines(pod, container, state, run, self.scale)
        keep = self.max_lines
        if tail_lines is not None and tail_lines >= 0:
            keep = min(keep, tail_lines)
        end = self._clock() if run.finished is None else run.finished
        first = lines.until(end, keep_last=keep) if keep > 0 else lines.until(end, keep_last=1)[:0]
        if since is not None:
            # The last tailLines lines, of those the ones from `since` on: the kubelet seeks to
            # the tail, then skips older lines (the same lines as filtering first).
            first = [line for line in first if line[0] >= since]
        chunk = self._encode(first, timestamps)
        if chunk or live:
            yield chunk
        if not live:
            return
        last_yield = time.monotonic()
        while True:
            fresh = self.state(pod, container)
            current = fresh.current if fresh is not None else None
            if current is None or current.container_id != run.container_id:
                # Replaced by a new run (or gone): what this run printed is complete.
                ended = _same_run(fresh, run)
                if ended is not None and ended.finished is not None:
                    lines.run = ended
                    tail = lines.until(ended.finished)
                    if tail:
                        yield self._encode(tail, timestamps)
                return
            if current.finished is not None:
                lines.run = current
                tail = lines.until(current.finished)
                if tail:
                    yield self._encode(tail, timestamps)
                return
            new = lines.until(self._clock())
            if new:
                yield self._encode(new, timestamps)
                last_yield = time.monotonic()
            elif time.monotonic() - last_yield >= 1.0:
                yield b""
                last_yield = time.monotonic()
            wait = self.poll_interval
            if lines.next_t > self._clock():
                wait = min(wait, max(0.0, lines.next_t - self._clock()) + 0.001)
            time.sleep(wait)

    @staticmethod
    def _encode(lines: list[tuple[float, str]], timestamps: bool) -> bytes:
        if not lines:
            return b""
        if timestamps:
            text = "".join(f"{format_timestamp(t)} {line}\n" for t, line in lines)
        else:
            text = "".join(f"{line}\n" for _, line in lines)
        return text.encode()


def _same_run(state: ContainerLogState | None, run: Run) -> Run | None:
    if state is None:
        return None
    for candidate in (state.current, state.previous):
        if candidate is not None and candidate.container_id == run.container_id:
            return candidate
    return None
