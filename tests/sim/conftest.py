"""Shared fixtures for the embedded cluster's tests.

- `sim`: a started SimServer (fresh store) that is stopped afterwards.
- `kubeconfig`: a kubeconfig file for `sim` (TLS address, bearer token, context "ktui-sim").
- `kubectl`: run kubectl against `sim`: `kubectl("get", "pods", "-o", "json")` returns the
  CompletedProcess; a failing command fails the test unless `check=False`.
- `wait_until(predicate, message, timeout=10)`: poll until predicate() is truthy (returns it) or
  fail with `message`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from ktui.sim.server import SimServer

KUBECTL = os.environ.get("KTUI_KUBECTL", "kubectl")


class Kubectl(Protocol):
    def __call__(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]: ...


class WaitUntil(Protocol):
    def __call__(
        self, predicate: Callable[[], Any], message: str, timeout: float = 10.0
    ) -> Any: ...


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        yield server


@pytest.fixture
def kubeconfig(sim: SimServer, tmp_path: Path) -> str:
    if sim.https_url is None:
        pytest.fail("the sim has no TLS listener (is the openssl command installed?)")
    return sim.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def kubectl(kubeconfig: str, tmp_path: Path) -> Kubectl:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": kubeconfig}

    def run(
        *args: str, check: bool = True, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [KUBECTL, "--kubeconfig", kubeconfig, *args],
            capture_output=True,
            text=True,
            env=env,
            input=input,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    return run


def poll(predicate: Callable[[], Any], message: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting until {message}")
        time.sleep(0.02)


@pytest.fixture
def wait_until() -> WaitUntil:
    return poll
