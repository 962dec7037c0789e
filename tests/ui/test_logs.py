"""The logs screen against the embedded API server's pods/log endpoint (real HTTP streaming)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input
from ui_support import caught_up, deployment, pod, replicaset, send_at_once, wait_for

from ktui.cluster.connection import Connection
from ktui.cluster.logs import INITIAL_TAIL_LINES
from ktui.config import Config, parse_config
from ktui.render.safe import visible
from ktui.settings import Settings
from ktui.sim.logs import PodLogSource, log_state_from_status
from ktui.sim.server import SimServer
from ktui.sim.store import StoreError
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.logs import TIME_RANGES, LogsScreen

Obj = dict[str, Any]


class ScriptedLogs:
    """A LogSource (ktui.sim.store's protocol) whose lines the test writes as it goes."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str, bool], list[tuple[str, str]]] = {}
        self._changed = threading.Condition()
        self.requests: list[dict[str, Any]] = []
        self.tails: list[int | None] = []
        """The `tailLines` of each request (None: a time range asked with `sinceSeconds`)."""
        self.open_streams = 0
        self._runs: dict[tuple[str, str, bool], int] = {}

    def write(
        self, pod_name: str, container: str, *texts: str, previous: bool = False, ago: float = 0
    ) -> None:
        """Lines stamped now (or `ago` seconds back)."""
        with self._changed:
            lines = self._lines.setdefault((pod_name, container, previous), [])
            for text in texts:
                moment = datetime.fromtimestamp(time.time_ns() / 1e9 - ago, UTC)
                stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{time.time_ns() % 1000:03d}Z"
                lines.append((stamp, text))
            self._changed.notify_all()

    def restart(self, pod_name: str, container: str) -> None:
        """The container's run ends (its follow streams end); its lines become the previous."""
        with self._changed:
            key = (pod_name, container, False)
            self._lines[(pod_name, container, True)] = self._lines.get(key, [])
            self._lines[key] = []
            self._runs[key] = self._runs.get(key, 0) + 1
            self._changed.notify_all()

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
        name = pod["metadata"]["name"]
        key = (name, container, previous)
        self.requests.append({"container": container, "previous": previous, "follow": follow})
        self.tails.append(tail_lines)
        if key not in self._lines:
            message = (
                f'previous terminated container "{container}" in pod "{name}" not found'
                if previous
                else f'container "{container}" in pod "{name}" is waiting to start: '
                "ContainerCreating"
            )
            raise StoreError(400, "BadRequest", message)
        return self._stream(key, follow, timestamps, since)

    def _stream(
        self, key: tuple[str, str, bool], follow: bool, timestamps: bool, since: float | None
    ) -> Iterator[bytes]:
        sent = 0
        run = self._runs.get(key, 0)
        self.open_streams += 1
        try:
            while True:
                with self._changed:
                    if self._runs.get(key, 0) != run:
                        return  # the container stopped: the kubelet ends the stream
                    lines = list(self._lines[key])
                for stamp, text in lines[sent:]:
                    if since is not None and _epoch(stamp) < since:
                        continue  # before sinceSeconds, as the kubelet leaves it out
                    yield (f"{stamp} {text}\n" if timestamps else f"{text}\n").encode()
                sent = len(lines)
                if not follow:
                    return
                with self._changed:
                    self._changed.wait(0.05)
                yield b""  # lets the server notice a client that went away
        finally:
            self.open_streams -= 1


def _epoch(stamp: str) -> float:
    """Seconds since the epoch of a ScriptedLogs stamp (microseconds are enough here)."""
    moment = datetime.strptime(stamp[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    return moment.timestamp()


def two_container_pod(rs: Obj) -> Obj:
    obj = pod(rs, "logs1")
    obj["spec"] = {
        "containers": [
            {"name": "app", "image": "web:1"},
            {"name": "worker", "image": "worker:1"},
        ]
    }
    return obj


def running(name: str, *, restarted: bool = False, run: int = 2) -> Obj:
    status: Obj = {
        "name": name,
        "image": f"{name}:1",
        "ready": True,
        "started": True,
        "restartCount": 1 if restarted else 0,
        "containerID": f"containerd://{name}-{run}",
        "state": {"running": {"startedAt": "2026-11-24T11:59:00Z"}},
    }
    if restarted:
        status["lastState"] = {
            "terminated": {
                "exitCode": 2,
                "reason": "Error",
                "startedAt": "2026-11-24T11:50:00Z",
                "finishedAt": "2026-11-24T11:58:59Z",
            }
        }
    return status


def seed(sim: SimServer, statuses: list[Obj] | None) -> Obj:
    store = sim.store
    dep = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
    created = store.create("", "pods", two_container_pod(rs))
    if statuses is not None:
        status = {"phase": "Running", "containerStatuses": statuses}
        created = store.update("", "pods", {**created, "status": status}, subresource="status")
    return {"dep": dep, "pod": created}


async def open_logs_from_main(app: KtuiApp, pilot: Any, objs: Obj, key: str = "l") -> LogsScreen:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
    workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])
    pods = app.screen.query_one("#pods", LiveTable)
    await wait_for(pilot, lambda: pods.total_count == 1, "its pod listed")
    pods.focus()
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs screen")
    screen = app.screen
    assert isinstance(screen, LogsScreen)
    return screen


def texts(screen: LogsScreen) -> list[str]:
    return [line.text for line in screen.view.lines]


def log_workers(app: KtuiApp) -> list[Any]:
    return [w for w in app.workers if w.group == "logs" and not w.is_finished]


def image_pull_back_off(name: str) -> Obj:
    return {
        "name": name,
        "image": f"registry.example/{name}:9.9.9",
        "ready": False,
        "restartCount": 0,
        "state": {
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": f'Back-off pulling image "registry.example/{name}:9.9.9"',
            }
        },
    }


async def test_l_on_a_pod_that_cannot_pull_its_image_says_so_in_one_line(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    # The sim's log source answers as the kubelet does for a container that never started:
    # 400 'container "app" in pod "…" is waiting to start: trying and failing to pull image'.
    sim.store.log_source = PodLogSource()
    objs = seed(sim, statuses=[image_pull_back_off("app"), image_pull_back_off("worker")])
    name = objs["pod"]["metadata"]["name"]
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs, key="l")
        words = (
            f'container "app" in pod "{name}" is waiting to start: trying and failing to pull image'
        )
        await wait_for(pilot, lambda: screen.view.empty_message == words, "the kubelet's words")
        # Not an error of the read: no ✖ line, no "Bad request (400)", no "The log is empty."
        assert not screen.errors and not screen.has_class("failed")
        assert screen.view.lines == []
        shown = screen_text(app)
        assert words in shown
        assert "Bad request" not in shown and "The log is empty." not in shown
        assert shown.count("waiting to start") == 1
        assert "waiting for the container to start" in status_text(screen)


async def test_stream_previous_container_switch_search_and_close(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app", restarted=True), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "starting", "listening on :8080")
    logs.write(name, "app", "panic: boom", previous=True)
    logs.write(name, "worker", "worker up")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        assert screen.container == "app"  # the first regular container
        await wait_for(
            pilot, lambda: texts(screen) == ["starting", "listening on :8080"], "app's log"
        )
        assert logs.requests[-1] == {"container": "app", "previous": False, "follow": True}

        # Streaming: lines written now show up while the screen is open.
        logs.write(name, "app", "GET /healthz 200", "GET /api 500")
        await wait_for(pilot, lambda: len(texts(screen)) == 4, "streamed lines")
        assert texts(screen)[2:] == ["GET /healthz 200", "GET /api 500"]
        assert screen.view.lines[2].timestamp is not None  # asked with timestamps=true

        # Previous instance (k9s: p), and back.
        await pilot.press("p")
        await wait_for(pilot, lambda: texts(screen) == ["panic: boom"], "the previous log")
        assert screen.previous and logs.requests[-1]["previous"] is True
        await pilot.press("p")
        await wait_for(pilot, lambda: len(texts(screen)) == 4, "the current log again")

        # Next container, then all containers interleaved with a [container] prefix.
        await pilot.press("c")
        await wait_for(pilot, lambda: texts(screen) == ["worker up"], "worker's log")
        await pilot.press("c")
        await wait_for(pilot, lambda: len(texts(screen)) == 5, "both containers' logs")
        assert screen.all_containers
        assert {line.container for line in screen.view.lines} == {"app", "worker"}
        keys = [line.key for line in screen.view.lines]
        assert keys == sorted(keys)  # interleaved by time
        worker_index = texts(screen).index("worker up")
        assert screen.view.line_text(worker_index).plain.startswith("[worker] worker up")

        # Search highlights and jumps; n moves to the next match.
        await pilot.press("slash", *"GET", "enter")
        assert screen.view.search == "GET"
        assert len(screen.view.matches) == 2
        first = screen.view.current_line
        assert first is not None and texts(screen)[first].startswith("GET")
        highlighted = screen.view.line_text(first)
        assert any("on orange1" in str(span.style) for span in highlighted.spans)
        await pilot.press("n")
        second = screen.view.current_line
        assert second is not None and second != first
        assert not screen.view.autoscroll  # jumping stops autoscroll
        await pilot.press("s")
        assert screen.view.autoscroll

        # q (as esc) first drops the kept search, as in the YAML and describe screens.
        await pilot.press("q")
        assert isinstance(app.screen, LogsScreen)
        assert screen.view.search == "" and screen.view.matches == []
        assert not any(
            "on orange1" in str(span.style) for span in screen.view.line_text(first).spans
        )

        # Closing the screen ends the follow streams at once (no wait for a read timeout).
        assert log_workers(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, LogsScreen)
        await wait_for(pilot, lambda: not log_workers(app), "log workers finished")
        await wait_for(pilot, lambda: logs.open_streams == 0, "the server's streams closed")


async def test_quiet_follow_stream_reconnects_without_duplicates(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "one", "two")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        pods_ready = app.screen.query_one("#pods", LiveTable)
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
        workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])
        await wait_for(pilot, lambda: pods_ready.total_count == 1, "its pod listed")
        screen = LogsScreen(objs["pod"]["metadata"]["uid"], read_timeout=0.3)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: texts(screen) == ["one", "two"], "the first lines")
        # Nothing is written for longer than the read timeout: the stream is opened again
        # (the source then sends everything again; what was shown is skipped).
        await wait_for(pilot, lambda: screen.streams[0].reconnects >= 1, "a reconnect")
        logs.write(name, "app", "three")
        await wait_for(pilot, lambda: "three" in texts(screen), "the line after the reconnect")
        assert texts(screen) == ["one", "two", "three"]
        assert not screen.errors


def waiting(name: str) -> Obj:
    return {
        "name": name,
        "image": f"{name}:1",
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": "ContainerCreating"}},
    }


async def test_logs_follow_the_container_when_it_starts_and_restarts(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[waiting("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]

    def set_status(*statuses: Obj) -> None:
        current = sim.store.get("", "pods", "default", name)
        status = {"phase": "Running", "containerStatuses": list(statuses)}
        sim.store.update("", "pods", {**current, "status": status}, subresource="status")

    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: "is waiting to start" in screen.view.empty_message, "wait")
        assert "waiting for the container to start" in status_text(screen)

        # The container starts: its log is read without a key press, the notice goes.
        logs.write(name, "app", "first run")
        set_status(running("app"), running("worker"))
        await wait_for(pilot, lambda: texts(screen) == ["first run"], "the new container's log")
        assert not screen.errors and not screen.not_started and not screen.has_class("failed")

        # It exits (the follow stream ends) and the kubelet restarts it: the new run follows.
        logs.restart(name, "app")
        await wait_for(pilot, lambda: "app" in screen.ended, "the stream ended")
        logs.write(name, "app", "second run")
        set_status(running("app", restarted=True, run=3), running("worker"))
        await wait_for(pilot, lambda: "second run" in texts(screen), "the second run's log")
        assert texts(screen) == ["first run", "──────── app started again ────────", "second run"]


def rfc3339_ago(seconds: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def app_status(state: Obj, *, run: int, restarts: int, last: Obj | None = None) -> Obj:
    """The status of the pod's "app" container, as a kubelet writes it: `containerID` is the
    container of `run` (the last one, still, while it waits in CrashLoopBackOff)."""
    status: Obj = {
        "name": "app",
        "image": "web:1",
        "ready": "running" in state,
        "restartCount": restarts,
        "containerID": f"containerd://app-{run}",
        "state": state,
    }
    if last is not None:
        status["lastState"] = {"terminated": last}
    return status


def oom_killed(run: int, started: str, finished: str) -> Obj:
    return {
        "exitCode": 137,
        "reason": "OOMKilled",
        "startedAt": started,
        "finishedAt": finished,
        "containerID": f"containerd://app-{run}",
    }


async def test_a_restarted_container_s_new_run_is_shown_once(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """A container killed for memory and restarted after a CrashLoopBackOff: its status goes
    running -> terminated -> waiting (the same container, whose log the kubelet still serves)
    -> running (a new container). The follow stream ends when the container exits; the log is
    read again for the new container only, so each run's lines show once."""
    store = sim.store

    def current_state(pod: Obj, container: str) -> Any:
        # The kubelet reads the container runtime, which is always current: the pod as stored.
        fresh = store.get("", "pods", "default", pod["metadata"]["name"])
        return log_state_from_status(fresh, container)

    store.log_source = PodLogSource(current_state, poll_interval=0.05)
    first_started = rfc3339_ago(20)
    objs = seed(
        sim,
        statuses=[
            app_status({"running": {"startedAt": first_started}}, run=1, restarts=0),
            running("worker"),
        ],
    )
    name = objs["pod"]["metadata"]["name"]

    def set_app(status: Obj) -> None:
        current = store.get("", "pods", "default", name)
        statuses = {"phase": "Running", "containerStatuses": [status, running("worker")]}
        store.update("", "pods", {**current, "status": statuses}, subresource="status")

    def app_state(screen: LogsScreen) -> str:
        statuses = ((screen.pod or {}).get("status") or {}).get("containerStatuses") or []
        return next(iter(statuses[0].get("state") or {}), "") if statuses else ""

    startup = "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty"  # nginx's first line
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: any(startup in t for t in texts(screen)), "the first run")

        # Killed: the kubelet ends the follow stream; the status says terminated.
        killed = oom_killed(1, first_started, rfc3339_ago(0))
        set_app(app_status({"terminated": killed}, run=1, restarts=0))
        await wait_for(pilot, lambda: app_state(screen) == "terminated", "terminated seen")
        await wait_for(pilot, lambda: "app" in screen.ended, "the stream ended")
        # CrashLoopBackOff: the same container (its log is what a read returns).
        back_off = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}
        set_app(app_status(back_off, run=1, restarts=1, last=killed))
        await wait_for(pilot, lambda: app_state(screen) == "waiting", "the back-off seen")
        await wait_for(pilot, lambda: "app" in screen.ended, "no stream left open")
        first_run = texts(screen)
        assert sum(startup in t for t in first_run) == 1
        assert not any("started again" in t for t in first_run)

        # The new container: its log follows a marker, once.
        second_started = rfc3339_ago(0)
        set_app(
            app_status({"running": {"startedAt": second_started}}, run=2, restarts=1, last=killed)
        )
        await wait_for(
            pilot, lambda: sum(startup in t for t in texts(screen)) == 2, "the second run"
        )
        await caught_up(pilot, screen)
        shown = texts(screen)
        assert shown[: len(first_run)] == first_run
        assert shown[len(first_run)] == "──────── app started again ────────"
        assert sum("started again" in t for t in shown) == 1
        # No line twice (the statuses' times have whole seconds, so the runs' lines may
        # overlap in time here: their order is not what this is about).
        stamped = [(line.key, line.text) for line in screen.view.lines if line.key]
        assert len(stamped) == len(set(stamped))
        assert not screen.errors


async def test_a_stream_that_ends_after_the_restart_was_seen_follows_the_new_run(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """The kubelet ends a follow stream a little after its container exits: the pod may show
    the new container first, and then not change again. The new run is read when the stream
    ends."""
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "first run")

    def app_container_id(screen: LogsScreen) -> str:
        statuses = ((screen.pod or {}).get("status") or {}).get("containerStatuses") or []
        return str(statuses[0].get("containerID", "")) if statuses else ""

    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: texts(screen) == ["first run"], "the first run")
        current = sim.store.get("", "pods", "default", name)
        status = {
            "phase": "Running",
            "containerStatuses": [running("app", restarted=True, run=3), running("worker")],
        }
        sim.store.update("", "pods", {**current, "status": status}, subresource="status")
        await wait_for(
            pilot, lambda: app_container_id(screen) == "containerd://app-3", "the restart seen"
        )
        assert "app" not in screen.ended  # the first run's stream is still open
        logs.restart(name, "app")  # ... and ends now; the pod does not change again
        logs.write(name, "app", "second run")
        await wait_for(pilot, lambda: "second run" in texts(screen), "the second run's log")
        assert texts(screen) == ["first run", "──────── app started again ────────", "second run"]


class FailingLogs:
    """A LogSource whose kubelet cannot be reached (the server answers 500)."""

    def read_log(self, pod: Obj, container: str, **_: Any) -> Iterator[bytes]:
        raise StoreError(500, "InternalError", "the kubelet is unreachable")


@pytest.mark.parametrize("failing", ["error", "not started"])
async def test_ctrl_r_reads_a_log_again_after_an_error_or_a_refusal(
    sim: SimServer, connect_to: Callable[..., Connection], failing: str
) -> None:
    # A 500 is an error; with no log source the server answers 400 "waiting to start".
    sim.store.log_source = FailingLogs() if failing == "error" else None
    objs = seed(sim, statuses=None)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        if failing == "error":
            await wait_for(pilot, lambda: screen.errors, "an error from pods/log")
            assert "the kubelet is unreachable" in screen.error_text
            assert not screen.not_started
        else:
            await wait_for(pilot, lambda: screen.not_started, "pods/log refused: not started")
            assert not screen.errors
        logs = ScriptedLogs()
        name = objs["pod"]["metadata"]["name"]
        logs.write(name, "app", "back again")
        sim.store.log_source = logs
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: texts(screen) == ["back again"], "the log read again")
        assert not screen.errors and not screen.not_started


def screen_text(app: KtuiApp) -> str:
    """Every character the screen's compositor would write now (control segments aside)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def status_text(screen: LogsScreen) -> str:
    return str(screen.query_one("#logs-status").content)


def notifications(app: KtuiApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


async def test_w_wraps_long_lines_and_f_shows_the_log_full_screen(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    long_line = "".join(f"{n:03d}-" for n in range(80))  # 320 columns
    logs.write(name, "app", "short", long_line, "last")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        view = screen.view
        await wait_for(pilot, lambda: len(texts(screen)) == 3, "the log")
        assert view.virtual_size.height == 3
        assert view.virtual_size.width > view.scrollable_content_region.width  # scrolls sideways

        await pilot.press("w")
        await pilot.pause()
        assert view.wrap and "wrap" in status_text(screen)
        columns = view.virtual_size.width
        assert columns < view.scrollable_content_region.width + 1  # nothing to scroll sideways
        rows = -(-len(long_line) // columns)
        assert view.virtual_size.height == 2 + rows
        drawn = [view.render_line(y).text for y in range(2 + rows)]
        assert drawn[0].rstrip() == "short"
        assert "".join(row[:columns] for row in drawn[1 : 1 + rows]).rstrip() == long_line
        assert drawn[1 + rows].rstrip() == "last"
        # Lines streamed while wrapping are counted on.
        logs.write(name, "app", long_line)
        await wait_for(pilot, lambda: len(texts(screen)) == 4, "a streamed line")
        assert view.virtual_size.height == 2 + 2 * rows

        await pilot.press("w")
        await pilot.pause()
        assert not view.wrap and view.virtual_size.height == 4
        assert "wrap" not in status_text(screen)

        # Full screen: no status, error line, footer or border, but one line that says how to
        # leave it; f brings them back.
        await pilot.press("f")
        await pilot.pause()
        assert screen.has_class("fullscreen")
        assert not screen.query_one("#logs-status").display
        assert not screen.query_one("Footer").display
        hint = screen.query_one("#logs-fullscreen-hint")
        assert hint.display and hint.region.height == 1
        assert screen_text(app).splitlines()[-1].strip() == "f or esc: leave full screen"
        assert view.region == app.screen.region._replace(height=29)
        await pilot.press("f")
        await pilot.pause()
        assert not screen.has_class("fullscreen")
        assert not hint.display
        assert "leave full screen" not in screen_text(app)
        assert screen.query_one("#logs-status").display
        assert view.region.height < 29

        # esc leaves full screen first, then the logs screen.
        await pilot.press("f")
        await pilot.pause()
        assert screen.has_class("fullscreen")
        await pilot.press("escape")
        assert app.screen is screen and not screen.has_class("fullscreen")
        await pilot.press("escape")
        assert not isinstance(app.screen, LogsScreen)


async def test_digits_read_the_log_of_a_time_range(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "one", "two")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: texts(screen) == ["one", "two"], "the log")
        assert logs.tails == [INITIAL_TAIL_LINES]
        assert f"tail {INITIAL_TAIL_LINES}" in status_text(screen)

        for digit in [*range(1, 10), 0]:
            label, seconds = TIME_RANGES[digit]
            asked = len(logs.tails)
            await pilot.press(str(digit))
            await wait_for(pilot, lambda n=asked: len(logs.tails) > n, f"read again ({digit})")
            await wait_for(pilot, lambda: texts(screen) == ["one", "two"], "the lines again")
            request = screen.streams[0].request
            assert request.since_seconds == seconds
            if seconds is None:
                assert logs.tails[-1] == INITIAL_TAIL_LINES
                assert f"tail {INITIAL_TAIL_LINES}" in status_text(screen)
            else:
                assert ("sinceSeconds", str(seconds)) in request.query()
                assert logs.tails[-1] is None  # sinceSeconds in place of tailLines
                assert f"last {label}" in status_text(screen)
        assert [TIME_RANGES[d][1] for d in (1, 2, 5, 9)] == [60, 300, 3600, 86400]

        # The range holds for the other container and the previous instance too.
        await pilot.press("3")
        await wait_for(pilot, lambda: screen.since_seconds == 900, "15m")
        await pilot.press("c")
        await wait_for(pilot, lambda: screen.container == "worker", "the next container")
        assert screen.streams[0].request.since_seconds == 900


async def test_1_on_a_log_whose_lines_are_older_says_the_range_has_none(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    # The sim's log source filters by sinceSeconds as the kubelet does; the container ran from
    # 10 to 5 minutes ago and logged all along.
    sim.store.log_source = PodLogSource()
    exited = {
        "exitCode": 0,
        "reason": "Completed",
        "startedAt": rfc3339_ago(600),
        "finishedAt": rfc3339_ago(300),
        "containerID": "containerd://app-1",
    }
    objs = seed(
        sim, statuses=[app_status({"terminated": exited}, run=1, restarts=0), running("worker")]
    )
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: len(texts(screen)) > 100, "the log's last lines")
        await wait_for(pilot, lambda: "app" in screen.ended, "the log read to its end")

        await pilot.press("1")
        await wait_for(pilot, lambda: "app" in screen.ended and not texts(screen), "the range")
        assert screen.streams[0].request.since_seconds == 60
        said = "No lines in the last 1m (older lines, if any: 0 shows the last 1000)."
        assert screen.view.empty_message == said
        await pilot.pause()
        shown = screen_text(app)
        assert said in shown and "The log is empty." not in shown

        # 0 (the key it names) reads the last lines again.
        await pilot.press("0")
        await wait_for(pilot, lambda: len(texts(screen)) > 100, "the last lines again")


async def test_1_on_a_quiet_running_container_says_no_lines_yet_and_follows(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "five minutes ago", ago=300)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: texts(screen) == ["five minutes ago"], "the log")
        await pilot.press("1")
        await wait_for(pilot, lambda: screen.streams[0].request.since_seconds == 60, "the range")
        said = "No lines in the last 1m yet (older lines, if any: 0 shows the last 1000)."
        assert screen.view.empty_message == said and not texts(screen)
        await pilot.pause()
        assert said in screen_text(app)
        assert "following" in status_text(screen)
        logs.write(name, "app", "just now")
        await wait_for(pilot, lambda: texts(screen) == ["just now"], "a new line followed")


async def test_ctrl_s_saves_the_lines_shown_under_the_state_dir(
    sim: SimServer,
    connect_to: Callable[..., Connection],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "plain", "\x1b[31mred\x1b[0m\tafter a tab", "clear\x1b[2J")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: len(texts(screen)) == 3, "the log")
        await pilot.press("ctrl+s")
        saved = list((tmp_path / "state" / "ktui" / "logs").iterdir())
        assert len(saved) == 1
        path = saved[0]
        assert path.name.startswith(f"default_{name}_app_") and path.suffix == ".log"
        content = path.read_text(encoding="utf-8")
        assert "\x1b" not in content and "\t" not in content
        assert content.splitlines() == [
            "plain",
            visible("\x1b[31mred\x1b[0m\tafter a tab".expandtabs(8)),
            visible("clear\x1b[2J"),
        ]
        assert path.stat().st_mode & 0o777 == 0o600
        messages = [m for m, severity in notifications(app) if severity == "information"]
        assert any(str(path) in m for m in messages)

        # Saving again (timestamps shown now) makes a second file, as shown.
        await pilot.press("t", "ctrl+s")
        assert len(list(path.parent.iterdir())) == 2

        # A state directory that cannot be made: one line saying why.
        blocker = tmp_path / "blocker"
        blocker.write_text("not a directory")
        monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
        await pilot.press("ctrl+s")
        errors = [m for m, severity in notifications(app) if severity == "error"]
        assert len(errors) == 1 and "\n" not in errors[0]
        assert errors[0].startswith("Could not save the log: ")


async def test_shift_c_picks_a_container_from_a_list(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    from textual.widgets import OptionList

    from ktui.ui.screens.logs import ContainerPicker

    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "app line")
    logs.write(name, "worker", "worker line")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: texts(screen) == ["app line"], "app's log")
        await pilot.press("C")
        picker = app.screen
        assert isinstance(picker, ContainerPicker)
        options = picker.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown[0].startswith("app  container · running")
        assert shown[1].startswith("worker  container · running")
        assert shown[2].startswith("all  all containers")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: texts(screen) == ["worker line"], "worker's log")
        assert app.screen is screen and screen.container == "worker"
        # esc keeps the container being read.
        await pilot.press("C")
        assert isinstance(app.screen, ContainerPicker)
        await pilot.press("escape")
        assert app.screen is screen and screen.container == "worker"


async def test_the_pods_view_opens_the_logs_on_the_container_that_crashed(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """Issue 11: from the Pods view (`:po`), `l` and `p` open on the crashing container (the
    second one here), not on kubectl's default (the first)."""
    logs = ScriptedLogs()
    sim.store.log_source = logs
    crashing: Obj = {
        "name": "worker",
        "image": "worker:1",
        "ready": False,
        "started": False,
        "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s"}},
        "lastState": {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": "2026-11-24T11:58:00Z",
                "finishedAt": "2026-11-24T11:58:30Z",
            }
        },
    }
    objs = seed(sim, statuses=[running("app"), crashing])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "listening on :8080")
    logs.write(name, "worker", "worker up")
    logs.write(name, "worker", "error: batch failed", "giving up (exit 1)", previous=True)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: table.total_count == 1, "the deployment listed")
        main = app.screen
        await pilot.press("colon", *"po", "enter")
        pod_uid = objs["pod"]["metadata"]["uid"]
        await wait_for(pilot, lambda: table.ordered_keys() == [pod_uid], "the Pods view")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        screen = app.screen
        assert isinstance(screen, LogsScreen) and screen.container == "worker"
        await wait_for(pilot, lambda: texts(screen) == ["worker up"], "worker's log")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "back to the Pods view")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the previous logs")
        previous = app.screen
        assert isinstance(previous, LogsScreen) and previous.container == "worker"
        await wait_for(
            pilot,
            lambda: texts(previous) == ["error: batch failed", "giving up (exit 1)"],
            "worker's previous run",
        )
        assert logs.requests[-1] == {"container": "worker", "previous": True, "follow": False}


async def test_the_status_line_counts_one_line_in_the_singular(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "only line")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs, key="l")
        await wait_for(pilot, lambda: texts(screen) == ["only line"], "the line")
        await wait_for(pilot, lambda: "1 line" in status_text(screen), "the count")
        assert "1 lines" not in status_text(screen)
        logs.write(name, "app", "second line")
        await wait_for(pilot, lambda: "2 lines" in status_text(screen), "the count of two")


async def test_the_full_screen_hint_names_the_remapped_key(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app"), running("worker")])
    logs.write(objs["pod"]["metadata"]["name"], "app", "a line")
    config = parse_config({"keymap": {"logs.fullscreen": "z"}})
    app = make_app(Settings(), connection=connect_to(), config=config)
    async with app.run_test(size=(100, 20)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs, key="l")
        await wait_for(pilot, lambda: texts(screen) == ["a line"], "the line")
        await pilot.press("z")
        await pilot.pause()
        assert screen.has_class("fullscreen")
        assert screen_text(app).splitlines()[-1].strip() == "z or esc: leave full screen"
        # A search typed in full screen sits above the hint, which stays readable.
        await pilot.press("slash")
        await pilot.pause()
        search = screen.query_one("#logs-search")
        hint = screen.query_one("#logs-fullscreen-hint")
        assert search.display and search.region.bottom <= hint.region.y
        await pilot.press("enter")
        await pilot.press("z")
        await pilot.pause()
        assert not screen.has_class("fullscreen")


async def test_search_typed_at_once_with_slash_lands_in_the_box(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    # tmux send-keys '/GET' Enter n (or typing fast) queues the keys together: the letters go
    # into the search box, enter keeps the search, n jumps to the next match.
    logs = ScriptedLogs()
    sim.store.log_source = logs
    objs = seed(sim, statuses=[running("app")])
    name = objs["pod"]["metadata"]["name"]
    logs.write(name, "app", "GET /a 200", "other", "GET /b 500")
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_logs_from_main(app, pilot, objs)
        await wait_for(pilot, lambda: len(texts(screen)) == 3, "the log")
        search = screen.query_one("#logs-search", Input)
        send_at_once(app, "slash", *"GET", "enter", "n")
        await wait_for(pilot, lambda: screen.view.current_line == 2, "the second match")
        assert screen.view.search == "GET" and search.value == "GET"
        assert not search.has_class("visible") and screen.view.has_focus
