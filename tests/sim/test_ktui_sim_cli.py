"""`ktui sim` as a real process, driven with kubectl; and kubectl's rollouts on the demo scenario.

The process tests run `python -m ktui sim`, read the URL it prints, use kubectl with the
kubeconfig it wrote, and always end it with SIGTERM (it must exit 0). The rollout test runs the
same scenario in-process with fast timings: the `ktui sim` process rolls `shop/web` by itself
after 45 s (its rollout driver), which would race with the test's own rollouts, and real-time
rollouts of three pods take most of a minute each.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ktui.sim.demo import running_demo
from ktui.sim.lifecycle import Timings

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")
URL_LINE = re.compile(r"^ktui sim: serving on (https?://127\.0\.0\.1:(\d+))$")


def poll(predicate: Callable[[], Any], what: str, timeout: float) -> Any:
    """predicate()'s first truthy value, or a failure naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting until {what}")
        time.sleep(0.2)


class SimProcess:
    """`python -m ktui sim ARGS`: its stdout lines arrive on a queue as it prints them."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ktui", "sim", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr = ""
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def url(self, timeout: float = 60) -> tuple[str, int]:
        """The URL from the "serving on" line (the process may first write thousands of pods)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"ktui sim printed no URL within {timeout}s; stdout so far: {seen}")
            if line is None:
                self.process.wait(timeout=10)
                pytest.fail(f"ktui sim exited ({self.process.returncode}): {self._stderr()}")
            seen.append(line)
            match = URL_LINE.match(line)
            if match:
                return match.group(1), int(match.group(2))

    def _stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def terminate(self) -> int:
        """SIGTERM, then the exit status (waiting a generous while; a hang fails the test)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("ktui sim did not exit within 30s of SIGTERM")
        self.stderr = self._stderr()
        return code


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


@pytest.fixture
def run_sim(env: dict[str, str]) -> Iterator[Callable[..., SimProcess]]:
    """Start `ktui sim` processes; each is ended with SIGTERM and must then exit 0."""
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        sim = SimProcess(list(args), env)
        started.append(sim)
        return sim

    yield start
    failures = []
    for sim in started:
        code = sim.terminate()
        if code != 0:
            failures.append(f"ktui sim exited {code} on SIGTERM:\n{sim.stderr}")
        elif "Traceback" in sim.stderr:
            failures.append(f"ktui sim printed a traceback:\n{sim.stderr}")
    if failures:
        pytest.fail("\n".join(failures))


def kubectl_runner(kubeconfig: str, env: dict[str, str]) -> Callable[..., str]:
    def kubectl(*args: str, check: bool = True) -> str:
        result = subprocess.run(
            [KUBECTL, "--kubeconfig", kubeconfig, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout if check else result.stdout + result.stderr

    return kubectl


def pod_rows(kubectl: Callable[..., str], *args: str) -> list[list[str]]:
    """`kubectl get pods ARGS --no-headers`, split into columns."""
    return [line.split() for line in kubectl("get", "pods", *args, "--no-headers").splitlines()]


# --- the demo scenario through `ktui sim` ---------------------------------------------------------


def test_ktui_sim_serves_the_demo_scenario_to_kubectl(
    run_sim: Callable[..., SimProcess], env: dict[str, str], tmp_path: Path
) -> None:
    kubeconfig = str(tmp_path / "sim.kubeconfig")
    sim = run_sim("--port", "0", "--write-kubeconfig", kubeconfig)
    url, _ = sim.url()
    config = yaml.safe_load(Path(kubeconfig).read_text())
    assert config["clusters"][0]["cluster"]["server"] == url
    kubectl = kubectl_runner(kubeconfig, env)

    # NAMESPACE NAME READY STATUS RESTARTS [(Ns ago)] AGE
    def settled() -> list[list[str]] | None:
        rows = pod_rows(kubectl, "-A")
        by_app: dict[str, list[list[str]]] = {}
        for row in rows:
            by_app.setdefault(row[1].rsplit("-", 2)[0], []).append(row)
        web = by_app.get("web", [])
        checkout = by_app.get("checkout", [])
        worker = by_app.get("payments-worker", [])
        if (
            len(web) == 3
            and all(r[2] == "2/2" and r[3] == "Running" for r in web)
            and len(checkout) == 2
            and all(r[3] in ("ImagePullBackOff", "ErrImagePull") for r in checkout)
            and len(worker) == 1
            and worker[0][3] == "CrashLoopBackOff"
        ):
            return rows
        return None

    rows = poll(settled, "web 2/2 Running, checkout pulling in vain, payments-worker crashing", 60)
    sensible = {
        "Running",
        "Pending",
        "ContainerCreating",
        "PodInitializing",
        "Init:0/1",
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "Completed",
        "Error",
    }
    assert {r[3] for r in rows} <= sensible, rows
    namespaces = {r[0] for r in rows}
    assert {"shop", "data", "platform"} <= namespaces

    workloads = kubectl("get", "deploy,sts,ds,cj", "-A")
    for name in (
        "deployment.apps/web",
        "deployment.apps/api",
        "deployment.apps/payments-worker",
        "deployment.apps/checkout",
        "statefulset.apps/postgres",
        "daemonset.apps/node-exporter",
        "cronjob.batch/report",
    ):
        assert name in workloads, workloads
    assert re.search(r"cronjob\.batch/report\s+\*/1 \* \* \* \*", workloads), workloads

    status = kubectl("rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in status

    web_pod = next(r[1] for r in rows if r[1].startswith("web-"))
    nginx_log = kubectl("logs", web_pod, "-n", "shop", "-c", "nginx")
    assert nginx_log.strip(), "the nginx container of a web pod logged nothing"
    shipper_log = kubectl("logs", web_pod, "-n", "shop", "-c", "log-shipper")
    assert shipper_log.strip() and shipper_log != nginx_log
    no_previous = kubectl("logs", web_pod, "-n", "shop", "-c", "nginx", "--previous", check=False)
    assert "previous terminated container" in no_previous

    worker_pod = next(r[1] for r in rows if r[1].startswith("payments-worker-"))
    previous = kubectl("logs", worker_pod, "-n", "shop", "--previous")
    assert previous.strip(), "no logs of the crashed run of payments-worker"

    code = sim.terminate()
    assert code == 0, sim.stderr
    assert "ktui sim: stopped" in sim.stderr
    assert "Traceback" not in sim.stderr


def test_ktui_sim_on_a_busy_port_is_one_line(env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ktui", "sim", "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"ktui: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert result.stdout == ""


def test_ktui_sim_with_an_unknown_flag_is_a_usage_error(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ktui", "sim", "--nodes", "5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2  # argparse's usage errors, as for every ktui flag
    assert "unrecognized arguments: --nodes 5" in result.stderr
    assert "Traceback" not in result.stderr


# --- kubectl rollouts on the demo scenario ------------------------------------------------------


def history(kubectl: Callable[..., str]) -> dict[str, str]:
    """`kubectl rollout history deployment/web`: revision -> CHANGE-CAUSE."""
    text = kubectl("rollout", "history", "deployment/web", "-n", "shop")
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^(\d+)\s+(.*?)\s*$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def web_image(kubectl: Callable[..., str]) -> str:
    return kubectl(
        "get",
        "deployment/web",
        "-n",
        "shop",
        "-o",
        "jsonpath={.spec.template.spec.containers[?(@.name=='nginx')].image}",
    )


def web_pods_run(kubectl: Callable[..., str], image: str) -> bool:
    """Exactly three web pods (none terminating), all of `image`, all 2/2 Running."""
    names = kubectl("get", "pods", "-n", "shop", "-l", "app=web", "-o", "name").split()
    images = kubectl(
        "get",
        "pods",
        "-n",
        "shop",
        "-l",
        "app=web",
        "-o",
        "jsonpath={range .items[*]}{.spec.containers[0].image}{' '}{end}",
    ).split()
    rows = [r for r in pod_rows(kubectl, "-n", "shop", "-l", "app=web")]
    return (
        len(names) == 3
        and images == [image] * 3
        and all(r[1:3] == ["2/2", "Running"] for r in rows)
    )


def test_kubectl_rollout_set_image_history_and_undo_on_the_demo(
    env: dict[str, str], tmp_path: Path
) -> None:
    with running_demo(timings=Timings(scale=0.1), rollouts=False) as cluster:
        kubeconfig = cluster.write_kubeconfig(str(tmp_path / "demo.kubeconfig"))
        kubectl = kubectl_runner(kubeconfig, env)

        def rollout_status() -> str:
            return kubectl("rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s")

        assert 'deployment "web" successfully rolled out' in rollout_status()
        assert history(kubectl) == {"1": "initial release"}

        assert "image updated" in kubectl(
            "set", "image", "deployment/web", "nginx=nginx:1.28", "-n", "shop"
        )
        assert 'deployment "web" successfully rolled out' in rollout_status()
        # set image leaves the change-cause alone, and the new ReplicaSet copies the
        # Deployment's annotations when it is made: both revisions say "initial release".
        assert history(kubectl) == {"1": "initial release", "2": "initial release"}
        poll(lambda: web_pods_run(kubectl, "nginx:1.28"), "three web pods of nginx:1.28", 30)

        # The controller keeps the newest ReplicaSet's annotations in step with the Deployment's;
        # older revisions keep what they had.
        kubectl(
            "annotate",
            "deployment/web",
            "-n",
            "shop",
            "--overwrite",
            "kubernetes.io/change-cause=hotfix: nginx 1.28",
        )
        poll(
            lambda: history(kubectl) == {"1": "initial release", "2": "hotfix: nginx 1.28"},
            "revision 2 takes the new change-cause",
            30,
        )

        assert "rolled back" in kubectl("rollout", "undo", "deployment/web", "-n", "shop")
        assert 'deployment "web" successfully rolled out' in rollout_status()
        # Revision 1 became revision 3; kubectl's undo copied its change-cause back.
        assert history(kubectl) == {"2": "hotfix: nginx 1.28", "3": "initial release"}
        assert web_image(kubectl) == "nginx:1.27.2"
        change_cause = kubectl(
            "get",
            "deployment/web",
            "-n",
            "shop",
            "-o",
            r"jsonpath={.metadata.annotations.kubernetes\.io/change-cause}",
        )
        assert change_cause == "initial release"
        poll(lambda: web_pods_run(kubectl, "nginx:1.27.2"), "three web pods of 1.27.2", 30)
