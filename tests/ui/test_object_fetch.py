"""The detail screens against the whole object, now that the cache is slim: YAML (`y`) and
describe (`d`) read the object with one GET and show "loading…" until it arrives, then what
ktui printed from the whole cached object before; a refused or unreachable GET is one line of
error and the app goes on; the pod detail (enter), which renders from the slim cached pod,
shows what it shows for the whole pod.

The embedded API server is reached through the fault proxy (plain HTTP), which holds the GET
back (`silence`) or answers it with an error (`inject`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from faultproxy import FaultProxy
from rich.console import Console
from rich.text import Text
from ui_support import deployment, loaded, owner_ref, replicaset, wait_for

from ktui.cluster.connection import Connection, connect
from ktui.config import Config
from ktui.render.describe import describe, object_yaml
from ktui.settings import Settings
from ktui.sim.realistic import realistic_pod
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens import yaml_view
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.yaml_view import DescribeScreen, YamlScreen
from ktui.view.slim import LAST_APPLIED, slim_object

Obj = dict[str, Any]
NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@dataclass
class Env:
    sim: SimServer
    proxy: FaultProxy
    connection: Connection
    dep: Obj
    pod: Obj

    @property
    def pod_path(self) -> str:
        return f"/api/v1/namespaces/default/pods/{self.pod['metadata']['name']}"

    def server_pod(self) -> Obj:
        return self.sim.store.get("", "pods", "default", self.pod["metadata"]["name"])


def _kubeconfig(url: str, path: Path) -> str:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": url}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [
                    {"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "default"}}
                ],
                "current-context": "x",
            }
        )
    )
    return str(path)


def _crash_looping(status: Obj) -> None:
    main = status["containerStatuses"][0]
    main.update(ready=False, restartCount=4)
    main["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s"}}
    main["lastState"] = {
        "terminated": {
            "exitCode": 137,
            "reason": "OOMKilled",
            "startedAt": "2026-12-01T11:58:00Z",
            "finishedAt": "2026-12-01T11:59:00Z",
        }
    }
    for condition in status["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition.update(status="False", reason="ContainersNotReady")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with (
        SimServer(port=0, token=None, tls=False, bookmark_interval=0.5) as sim,
        FaultProxy(sim.port) as proxy,
    ):
        dep = sim.store.create("apps", "deployments", deployment("web", replicas=1))
        rs = sim.store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
        pod = realistic_pod(0)  # with a last-applied-configuration and managedFields
        meta = pod["metadata"]
        for generated in ("uid", "resourceVersion", "creationTimestamp"):
            meta.pop(generated)
        meta.update(namespace="default", ownerReferences=[owner_ref(rs)])
        status = pod.pop("status")
        _crash_looping(status)
        created = sim.store.create("", "pods", pod)
        created["status"] = status
        created = sim.store.update_status("", "pods", created)
        connection = connect(Settings(kubeconfig=_kubeconfig(proxy.url, tmp_path / "kc")))
        try:
            yield Env(sim, proxy, connection, dep, created)
        finally:
            connection.close()


def _app(env: Env) -> KtuiApp:
    return make_app(Settings(), connection=env.connection, config=Config(), clock=lambda: NOW)


async def _select_pod(app: KtuiApp, pilot: Any, env: Env) -> LiveTable:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
    workloads.move_cursor_to_key(env.dep["metadata"]["uid"])
    pods = app.screen.query_one("#pods", LiveTable)
    await wait_for(pilot, lambda: pods.total_count == 1, "its pod listed")
    pods.focus()
    return pods


def _body(screen: Any) -> str:
    content = screen.query_one("#object-body").content
    return content.plain if isinstance(content, Text) else str(content)


def _title(screen: Any) -> str:
    content = screen.query_one("#object-title").content
    return content.plain if isinstance(content, Text) else str(content)


def _plain(renderable: Any) -> str:
    console = Console(width=160, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_yaml_says_loading_then_shows_the_whole_object_from_one_get(env: Env) -> None:
    app = _app(env)
    async with app.run_test(size=(160, 50)) as pilot:
        await _select_pod(app, pilot, env)
        cached = app.model.objects.get(env.pod["metadata"]["uid"])
        assert cached is not None and "volumes" not in cached["spec"]  # the cache is slim

        env.proxy.silence()  # the GET is held back: the screen says it is loading
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, YamlScreen), "the YAML screen")
        screen = app.screen
        assert isinstance(screen, YamlScreen)
        name = env.pod["metadata"]["name"]
        await wait_for(pilot, lambda: "loading" in _body(screen), "the loading line")
        assert _body(screen) == f"loading Pod/{name} from the server…"
        assert screen.full is None and screen.yaml_text == ""

        env.proxy.resume()
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "the object read")
        # What ktui printed from its whole cached object before the cache was slim.
        assert screen.yaml_text == object_yaml(env.server_pod())
        for part in ("volumes:", "env:", "livenessProbe:", "kube-api-access-", LAST_APPLIED):
            assert part in screen.yaml_text
        assert "managedFields" not in screen.yaml_text
        assert screen.fetches == 1

        # The object changes on the server: read again, the YAML follows it.
        server = env.server_pod()
        server["metadata"]["labels"]["tier"] = "gold"
        env.sim.store.update("", "pods", server)
        await wait_for(pilot, lambda: "tier: gold" in screen.yaml_text, "the changed object")
        last = object_yaml(env.server_pod())
        assert screen.yaml_text == last
        assert screen.fetches == 2

        # Deleted: the last object read stays, and the title says so (nothing is read again).
        env.sim.store.delete("", "pods", "default", name, grace_period_seconds=0)
        await wait_for(pilot, lambda: "✖ deleted" in _title(screen), "the deletion")
        assert "✖ deleted: showing its last known state" in _title(screen)
        assert screen.yaml_text == last and screen.fetches == 2

        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_describe_of_the_pod_has_every_section_of_the_whole_object(env: Env) -> None:
    app = _app(env)
    async with app.run_test(size=(200, 60)) as pilot:
        await _select_pod(app, pilot, env)
        await pilot.press("exclamation_mark")  # problems: the crash-looping pod
        await wait_for(pilot, lambda: isinstance(app.screen, ProblemsScreen), "problems")
        problems = app.screen
        assert isinstance(problems, ProblemsScreen)
        uid = env.pod["metadata"]["uid"]
        await wait_for(pilot, lambda: uid in problems.table.ordered_keys(), "the pod's problem")
        problems.table.move_cursor_to_key(uid)
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the pod described")
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        text = screen.describe_text.plain

        full = env.server_pod()
        events = app.model.objects.events_about([full])
        assert text == describe(full, "Pod", events, NOW, []).plain
        # kubectl describe pod's sections and lines, which the slim cached pod could not fill.
        sections = [
            "Name:",
            "Namespace:",
            "Labels:",
            "Annotations:",
            "Controlled By:",
            "Node:",
            "Status:",
            "IP:",
            "QoS Class:",
            "Conditions:",
            "Init Containers:",
            "  istio-proxy:",
            "Containers:",
            "Image:",
            "Ports:",
            "8080/TCP, 9090/TCP",
            "Command:",
            "Args:",
            "Limits:",
            "Requests:",
            "Liveness:",
            "Readiness:",
            "Startup:",
            "Environment Variables from:",
            "Environment:",
            "<set to the key ",
            "Mounts:",
            "/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-",
            "Volumes:",
            "Type:",
            "Projected (a volume that contains injected data from multiple sources)",
            "Node-Selectors:",
            "Tolerations:",
            "Events:",
        ]
        missing = [section for section in sections if section not in text]
        assert missing == []
        # The slim cached pod alone could not say all that.
        slim = describe(slim_object(full), "Pod", events, NOW, []).plain
        assert "Liveness:" not in slim and "Projected (" not in slim

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is problems, "back to the problems")


async def test_a_describe_that_raises_is_one_line_and_the_app_goes_on(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The describer failing on an object (a field of a type it did not expect) is one line in
    the body, the traceback in the log, and the app goes on: it ran in a message handler and
    every second, where an uncaught exception exits the app."""

    def broken_describe(*args: Any, **kwargs: Any) -> Text:
        raise TypeError("'int' object is not\niterable")

    monkeypatch.setattr(yaml_view, "describe", broken_describe)
    app = _app(env)
    async with app.run_test(size=(160, 50)) as pilot:
        await _select_pod(app, pilot, env)
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the pod read")
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        line = _body(screen)
        assert line == "describe unavailable: TypeError: 'int' object is not iterable"
        assert "Traceback" in caplog.text and "not\niterable" in caplog.text

        # The app goes on: back to the pods, and with a describer that works, `d` describes.
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen) and app.is_running
        monkeypatch.undo()
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the pod described")
        assert app.screen.describe_text.plain.startswith("Name:")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("forbidden", "Error from server (Forbidden): pods is forbidden: no get for you"),
        ("not found", 'Error from server (NotFound): pods "{name}" not found'),
        ("unreachable", ""),
    ],
)
async def test_a_failed_get_is_one_line_and_the_app_goes_on(
    env: Env, fault: str, expected: str
) -> None:
    app = _app(env)
    async with app.run_test(size=(160, 50)) as pilot:
        await _select_pod(app, pilot, env)
        name = env.pod["metadata"]["name"]
        if fault == "forbidden":
            env.proxy.inject(403, env.pod_path, message="pods is forbidden: no get for you")
        elif fault == "not found":
            env.proxy.inject(404, env.pod_path, message=f'pods "{name}" not found')
        else:
            env.proxy.cut()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, YamlScreen), "the YAML screen")
        screen = app.screen
        assert isinstance(screen, YamlScreen)
        await wait_for(pilot, lambda: screen.fetch_error is not None, "the GET failed")
        line = _body(screen)
        assert line == f"{screen.fetch_error}  · ^r to retry" and "\n" not in line
        if expected:
            assert screen.fetch_error == expected.format(name=name)
        else:
            assert line and "Traceback" not in line
        assert screen.full is None and screen.yaml_text == ""

        # The app goes on: back, the fault gone, and the same key reads the object.
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        env.proxy.clear_injections()
        env.proxy.resume()
        await pilot.press("y")
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "the object read", deadline_s=20)
        assert app.screen.yaml_text == object_yaml(env.server_pod())  # type: ignore[attr-defined]


@pytest.mark.parametrize("what", ["yaml", "describe"])
async def test_ctrl_r_reads_again_the_object_a_failed_get_left_as_an_error(
    env: Env, what: str
) -> None:
    """The GET fails (the server answers 503 once); once it would succeed, ctrl+r on the YAML
    (y on the pod) or describe (d on the deployment) screen reads the object again."""
    app = _app(env)
    async with app.run_test(size=(160, 50)) as pilot:
        pods = await _select_pod(app, pilot, env)
        if what == "yaml":
            path, screen_type, key = env.pod_path, YamlScreen, "y"
        else:
            path = f"/apis/apps/v1/namespaces/default/deployments/{env.dep['metadata']['name']}"
            screen_type, key = DescribeScreen, "d"
            app.screen.query_one("#workloads", LiveTable).focus()
        env.proxy.inject(503, path, message="the server is restarting")
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, screen_type), "the screen")
        screen = app.screen
        assert isinstance(screen, screen_type)
        await wait_for(pilot, lambda: screen.fetch_error is not None, "the GET failed")
        assert "the server is restarting" in _body(screen)
        assert _body(screen).endswith("· ^r to retry")
        await pilot.pause(1.2)  # longer than REFETCH_INTERVAL: nothing reads it by itself
        assert screen.fetches == 1 and screen.full is None

        env.proxy.clear_injections()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: loaded(app, screen_type), "the object read again")
        assert screen.fetches == 2 and screen.fetch_error is None
        assert "the server is restarting" not in _body(screen)
        if what == "yaml":
            assert screen.yaml_text == object_yaml(env.server_pod())  # type: ignore[attr-defined]
        else:
            assert "Name:" in _body(screen)
        assert pods.is_attached


async def test_a_get_that_failed_with_the_link_is_read_again_when_the_link_heals(
    env: Env,
) -> None:
    """The link breaks: the GET gets no answer and the watches go down; once they are current
    again the YAML screen reads the object by itself (no key)."""
    app = _app(env)
    async with app.run_test(size=(160, 50)) as pilot:
        await _select_pod(app, pilot, env)
        env.proxy.cut()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, YamlScreen), "the YAML screen")
        screen = app.screen
        assert isinstance(screen, YamlScreen)
        await wait_for(pilot, lambda: screen.fetch_error is not None, "the GET failed")
        assert screen.fetch_error_transient
        states = app.model.objects.states
        await wait_for(
            pilot,
            lambda: states["Pod"].out_of_date_since is not None,
            "the pods' watch down",
            deadline_s=30,
        )
        assert screen.fetches == 1

        env.proxy.resume()
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "read again", deadline_s=30)
        assert states["Pod"].out_of_date_since is None
        assert screen.yaml_text == object_yaml(env.server_pod())


async def test_the_pod_detail_from_the_slim_pod_shows_what_the_whole_pod_shows(env: Env) -> None:
    app = _app(env)
    async with app.run_test(size=(200, 60)) as pilot:
        await _select_pod(app, pilot, env)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "the pod detail")
        screen = app.screen
        assert isinstance(screen, PodDetailScreen)
        assert screen.pod is not None and "volumes" not in screen.pod["spec"]
        await pilot.pause()
        parts = ("#pod-title", "#pod-readiness", "#containers", "#crash-cards")

        def shown() -> dict[str, str]:
            texts = {part: _plain(screen.query_one(part).content) for part in parts}
            texts["#timeline"] = screen.timeline.rendered(120).plain
            return texts

        from_slim = shown()
        assert "OOMKilled" in from_slim["#crash-cards"]
        assert "istio-proxy" in from_slim["#containers"]
        screen.pod = env.server_pod()  # the whole object, as the cache held it before
        screen.render_pod()
        await pilot.pause()
        assert shown() == from_slim


@pytest.mark.parametrize("what", ["yaml", "describe"])
async def test_a_get_that_lost_its_connection_while_the_watches_stayed_live_is_read_again(
    env: Env, what: str
) -> None:
    """Only the GET's connection breaks (no answer); the watches stay current, so no heal ever
    comes: the screen reads the object again by itself after a back-off, with no key."""
    app = _app(env)
    async with app.run_test(size=(160, 50)) as pilot:
        await _select_pod(app, pilot, env)
        if what == "yaml":
            path, screen_type, key = env.pod_path, YamlScreen, "y"
        else:
            path = f"/apis/apps/v1/namespaces/default/deployments/{env.dep['metadata']['name']}"
            screen_type, key = DescribeScreen, "d"
            app.screen.query_one("#workloads", LiveTable).focus()
        env.proxy.inject(0, path)  # reset, answering nothing
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, screen_type), "the screen")
        screen = app.screen
        assert isinstance(screen, screen_type)
        await wait_for(pilot, lambda: screen.fetch_error is not None, "the GET failed")
        assert screen.full is None and _body(screen).endswith("· ^r to retry")
        states = app.model.objects.states
        assert all(state.out_of_date_since is None for state in states.values())

        env.proxy.clear_injections()
        await wait_for(pilot, lambda: loaded(app, screen_type), "read again", deadline_s=20)
        assert screen.fetch_error is None and "^r to retry" not in _body(screen)
        assert all(state.out_of_date_since is None for state in states.values())
