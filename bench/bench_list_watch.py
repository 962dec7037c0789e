"""ktui's list+watch cache vs kubectl v1.32, side by side in one run on the same API server.

The embedded API server runs in a separate process (so this process holds only ktui's cache and
its CPU time is ktui's), with N running pods in namespace `load`. Two measurements:

1. Initial sync, `--repeats` rounds (median), each round running every contender back to back:
   ktui's `ClusterCache` for Pods, all namespaces, until one batch holds all N pods and until its
   state is LIVE (watch open), in this process and in a fresh Python process (start-up and
   imports included, like kubectl's), against the wall time of `kubectl get pods -A -o json`
   (output parsed, N items checked), the same with `--chunk-size=0` (one request: kubectl's
   client-side rate limit of 5 requests/s does not apply) and `kubectl get pods -A` (table).
2. Watch throughput: ktui's cache and `kubectl get pods -A --watch -o json --output-watch-events`
   connected at the same time; once both have listed, the server changes R pods per second for
   D seconds. Counted over that window: pod changes reaching ktui's cache from its watch (and
   the objects its batches delivered) and events kubectl printed (one JSON line each);
   CPU seconds of each over the window (this process's `time.process_time`, kubectl's
   /proc/PID/stat), and kubectl's total (`os.wait4`). After the churn stops, both must have
   received every change the server made.

    python bench/bench_list_watch.py [--pods 10000] [--rate 2000] [--duration 10] [--repeats 3]
    python bench/bench_list_watch.py --skip-sync --py-spy /path/to/py-spy   # profile ktui

The server is a bare `SimServer` loaded with `ktui.sim.load.create_load_pods` (`--server bare`,
the default): no controllers, scheduler or kubelets, so the N pods stay exactly N and the server
process only serves. Each change is `ktui.sim.load.Churn`'s annotation patch, or with
`--churn status` a container restart plus a readiness flip. `--server ktui-sim` runs
`python -m ktui sim --no-scenario --pods N --events-per-second R` instead: the whole embedded
cluster, churning from the start, so the sync rounds then run under churn too.

`serve` and `sync-once` are the two helper processes this script starts itself.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

KUBECTL = "/usr/bin/kubectl"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVER_START_TIMEOUT = 300.0


# ---------------------------------------------------------------------------- shared helpers


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        stat = handle.read()
    # The command name may contain spaces; the fields after ") " are fixed.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_resident_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (the API server process; with
    kube-apiserver, etcd and kube-apiserver are its children), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, ()))
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1])
        except OSError:
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def machine_note() -> str:
    """CPUs and the 1-minute load average: other work on the machine inflates wall times."""
    return f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f}"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class SimProcess:
    """The API server in a child process; `kubeconfig` points kubectl and ktui at it.

    With `server="bare"` the child is this script's `serve` command, which takes commands on
    stdin: `churn R` starts R pod changes per second, `stats` answers with the changes made so
    far, `stop-churn` stops them. With `server="ktui-sim"` the child is `python -m ktui sim`,
    churning at `rate` from the start (no commands; `changes()` is then None).
    """

    def __init__(self, pods: int, *, server: str = "bare", rate: int = 0) -> None:
        self.pods = pods
        self.server = server
        self.rate = rate
        self.workdir = Path(tempfile.mkdtemp(prefix="ktui-bench-"))
        self.kubeconfig = str(self.workdir / "kubeconfig")
        self.url = ""
        self.process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._line_ready = threading.Condition()
        self._reader: threading.Thread | None = None

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimProcess:
        if self.server in ("bare", "kube-apiserver"):
            command = [sys.executable, __file__, "serve", "--pods", str(self.pods)]
            command += ["--kubeconfig", self.kubeconfig, "--server", self.server]
        else:
            command = [sys.executable, "-m", "ktui", "sim", "--port", "0", "--no-scenario"]
            command += ["--write-kubeconfig", self.kubeconfig, "--pods", str(self.pods)]
            command += ["--events-per-second", str(self.rate)]
        with open(self.workdir / "server.log", "w") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
            )
        self._reader = threading.Thread(
            target=self._read_stdout, name="bench-server-out", daemon=True
        )
        self._reader.start()
        # Loading kube-apiserver with 100,000 pods takes minutes; the embedded server seconds.
        wait = SERVER_START_TIMEOUT * (8 if self.server == "kube-apiserver" else 1)
        line = self._next_line(lambda text: "serving on" in text, wait)
        self.url = line.rsplit(" ", 1)[-1]
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._line_ready:
                self._lines.append(line.strip())
                self._line_ready.notify_all()
        with self._line_ready:
            self._lines.append("<eof>")
            self._line_ready.notify_all()

    def _next_line(self, match: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._line_ready:
            while True:
                while self._lines:
                    line = self._lines.pop(0)
                    if line == "<eof>":
                        log = (self.workdir / "server.log").read_text()[-2000:]
                        raise SystemExit(f"bench: the API server process ended:\n{log}")
                    if match(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit("bench: the API server process did not answer in time")
                self._line_ready.wait(left)

    def _command(self, text: str, reply: str) -> str:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        return self._next_line(lambda line: line.startswith(reply), 30.0)

    def start_churn(self, rate: int, kind: str = "annotation") -> None:
        """Start `rate` pod changes per second: `annotation` (ktui.sim.load.Churn) or `status`
        (StatusChurn: restarts and readiness, visible in a pod row)."""
        if self.server != "ktui-sim":
            self._command(f"churn {rate} {kind}", "churning")

    def stop_churn(self) -> None:
        if self.server != "ktui-sim":
            self._command("stop-churn", "stopped")

    def changes(self) -> int | None:
        """Pod changes the server made so far (bare server only)."""
        if self.server == "ktui-sim":
            return None
        return int(self._command("stats", "changes").split()[1])

    def stop(self) -> None:
        """End the server: `serve` stops its churn and server when its stdin closes; `ktui sim`
        stops cleanly on SIGTERM."""
        process, self.process = self.process, None
        if process is not None:
            if self.server != "ktui-sim" and process.stdin is not None:
                process.stdin.close()
            else:
                process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if self._reader is not None:
                self._reader.join(timeout=5)
            if process.stdout is not None:
                process.stdout.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


class StatusChurn:
    """Like `ktui.sim.load.Churn`, but each change is what a pod list shows: the container
    restarts (RESTARTS goes up, with a last-termination time) and readiness flips (READY).
    `Churn` only touches an annotation, which changes no cell of a pod row."""

    def __init__(self, client: Any, pods: list[tuple[str, str]], rate: int) -> None:
        self.client = client
        self.pods = pods
        self.rate = rate
        self.changes = 0
        self._restarts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-status-churn", daemon=True)

    def start(self) -> StatusChurn:
        if self.rate > 0 and self.pods:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _status(self, name: str) -> dict[str, Any]:
        restarts = self._restarts.get(name, 0) + 1
        self._restarts[name] = restarts
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ready = restarts % 2 == 0
        return {
            "status": {
                "conditions": [{"type": "Ready", "status": str(ready), "lastTransitionTime": now}],
                "containerStatuses": [
                    {
                        "name": "app",
                        "image": "busybox:1.36",
                        "imageID": "",
                        "containerID": f"sim://{name}-{restarts}",
                        "ready": ready,
                        "started": True,
                        "restartCount": restarts,
                        "state": {"running": {"startedAt": now}},
                        "lastState": {
                            "terminated": {
                                "exitCode": 1,
                                "reason": "Error",
                                "startedAt": now,
                                "finishedAt": now,
                            }
                        },
                    }
                ],
            }
        }

    def _run(self) -> None:
        from ktui.sim.load import run_paced
        from ktui.sim.store import StoreError

        targets = itertools.cycle(self.pods)

        def change() -> None:
            namespace, name = next(targets)
            try:
                self.client.patch(
                    "", "pods", namespace, name, "merge", self._status(name), "status"
                )
            except StoreError:
                return
            self.changes += 1

        run_paced(self.rate, self._stop, change)


def serve(pods: int, kubeconfig: str, server_kind: str = "bare") -> int:
    """The `serve` helper process: a bare API server with `pods` load pods (or kube-apiserver
    v1.20.2 with as many realistic pods, `bench/apiserver_load.py`); commands on stdin:
    `churn RATE [annotation|status]`, `stats`, `stop-churn`."""
    if server_kind == "kube-apiserver":
        return serve_apiserver(pods, kubeconfig)
    from ktui.sim.client import LocalClient
    from ktui.sim.load import Churn, create_load_pods
    from ktui.sim.server import SimServer

    server = SimServer(port=0)
    server.start()
    client = LocalClient(server.store)
    load_pods = create_load_pods(client, pods)
    # As `ktui sim` does: the GC pacer keeps full collections off the store (seconds at
    # 100,000 pods, a first list page waiting behind one).
    threading.Thread(target=pace_gc, name="gc-pacer", daemon=True).start()
    server.write_kubeconfig(kubeconfig)
    print(f"serving on {server.https_url}", flush=True)

    def make_churn(rate: int, kind: str) -> Churn | StatusChurn:
        if kind == "status":
            return StatusChurn(client, load_pods, rate).start()
        return Churn(client, load_pods, rate).start()

    try:
        serve_commands(make_churn)
    finally:
        server.stop()
    return 0


def pace_gc() -> None:
    from ktui.gc_pacer import GcPacer

    GcPacer().run_until(threading.Event())  # for the life of the process


def serve_commands(make_churn: Callable[[int, str], Any]) -> None:
    """The `serve` process's commands on stdin, until it closes: `churn RATE [KIND]` (a new
    churn from `make_churn`, an object with `changes` and `stop()`), `stats`, `stop-churn`."""
    churn: Any = None
    changes_before = 0
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "churn":
                if churn is not None:
                    churn.stop()
                    changes_before += churn.changes
                churn = make_churn(int(words[1]), words[2] if len(words) > 2 else "annotation")
                print("churning", flush=True)
            elif words[0] == "stats":
                total = changes_before + (churn.changes if churn is not None else 0)
                print(f"changes {total}", flush=True)
            elif words[0] == "stop-churn":
                if churn is not None:
                    churn.stop()
                print("stopped", flush=True)
    finally:
        if churn is not None:
            churn.stop()


def kubectl_version() -> str:
    version = subprocess.run(
        [KUBECTL, "version", "--client"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"Client Version: (\S+)", version)
    return match.group(1) if match else "unknown"


def kubectl_command(kubeconfig: str, cache_dir: str, *args: str) -> list[str]:
    return [KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", cache_dir, *args]


# ---------------------------------------------------------------------------- initial sync


@dataclass
class SyncResult:
    first_full_batch: float
    """Seconds until a batch had delivered all N pods."""
    live: float
    """Seconds until the Pod cache was LIVE (watch open) with N pods delivered."""
    pods: int


def ktui_sync(kubeconfig: str, expected: int, timeout: float = 120.0) -> SyncResult:
    """Connect and run a Pod-only ClusterCache until LIVE with `expected` pods delivered."""
    from ktui.cluster.cache import ChangeBatch, ClusterCache
    from ktui.cluster.connection import connect
    from ktui.cluster.state import CachePhase
    from ktui.settings import Settings

    start = time.perf_counter()
    delivered: dict[str, Any] = {}
    lock = threading.Lock()
    full_at: list[float] = []
    live_at: list[float] = []
    done = threading.Event()

    def on_batch(batch: ChangeBatch) -> None:
        now = time.perf_counter()
        with lock:
            delivered.update(batch.upserts.get("Pod", {}))
            for uid in batch.deletes.get("Pod", ()):
                delivered.pop(uid, None)
            count = len(delivered)
        if count >= expected and not full_at:
            full_at.append(now)
        state = batch.states.get("Pod")
        if state is not None and state.phase is CachePhase.LIVE and count >= expected:
            live_at.append(now)
            done.set()

    connection = connect(Settings(kubeconfig=kubeconfig))
    cache = ClusterCache(connection.api_client, None, kinds=["Pod"], on_batch=on_batch)
    cache.start()
    try:
        if not done.wait(timeout):
            raise SystemExit(
                f"bench: ktui's cache did not reach LIVE with {expected} pods in {timeout:.0f} s "
                f"(has {len(delivered)}, state {cache.states()['Pod']})"
            )
    finally:
        cache.stop()
        connection.close()
    return SyncResult(full_at[0] - start, live_at[0] - start, len(delivered))


def serve_apiserver(pods: int, kubeconfig: str) -> int:
    """`serve` on kube-apiserver v1.20.2: the e2e harness's control plane, loaded with
    realistic pods by `apiserver_load.ApiServerLoad`, churned by its `Churn`."""
    from apiserver_load import ApiServerLoad, snapshot_path
    from apiserver_load import Churn as ApiChurn

    # etcd's data in memory where there is a tmpfs: its fsyncs would otherwise pace the load.
    shm = Path("/dev/shm")
    workdir = Path(
        tempfile.mkdtemp(prefix="ktui-bench-apiserver-", dir=shm if shm.is_dir() else None)
    )
    load = ApiServerLoad(workdir)
    try:
        started = time.perf_counter()
        cached = snapshot_path(pods).is_file()
        load.start_loaded(pods, lambda n: print(f"loaded {n}", file=sys.stderr, flush=True))
        how = "restored from etcd snapshot" if cached else "loaded (snapshot saved)"
        print(
            f"{how}: {pods} pods in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        shutil.copyfile(load.kubeconfig, kubeconfig)
        print(f"serving on {load.url}", flush=True)
        serve_commands(lambda rate, kind: ApiChurn(load, rate, kind).start())
    finally:
        load.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def sync_once(kubeconfig: str, expected: int) -> int:
    """The `sync-once` helper process: ktui's sync from a cold Python process."""
    result = ktui_sync(kubeconfig, expected)
    print(f"pods {result.pods} full {result.first_full_batch:.4f} live {result.live:.4f}")
    return 0


@dataclass
class Timed:
    wall: float
    cpu: float
    """User + system CPU seconds of the child process (os.wait4)."""
    output: bytes


def run_timed(command: list[str], *, keep_output: bool = True) -> Timed:
    """Run `command` to completion; wall time and its own CPU time from os.wait4."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        if process.returncode != 0:
            raise SystemExit(f"bench: {' '.join(command)} failed: {stderr.strip()[-500:]}")
        out.seek(0)
        output = out.read() if keep_output else b""
    return Timed(wall, usage.ru_utime + usage.ru_stime, output)


def count_json_items(output: bytes) -> int:
    return len(json.loads(output)["items"])


def count_table_rows(output: bytes) -> int:
    lines = [line for line in output.splitlines() if line.strip()]
    return max(0, len(lines) - 1)


@dataclass
class SyncSample:
    wall: float
    cpu: float
    """CPU seconds of the client (its process; for ktui in process: this process)."""
    server_cpu: float
    """CPU seconds the API server process spent meanwhile."""
    live: float | None = None
    """ktui only: seconds until LIVE, measured inside the process doing the sync."""


SYNC_CONTENDERS = (
    "kubectl get pods -A -o json",
    "kubectl get pods -A -o json --chunk-size=0",
    "kubectl get pods -A",
    "ktui cache, in this process",
    "ktui cache, fresh python process",
)


CONTENDER_NAMES = ("json", "json-unchunked", "table", "ktui", "ktui-fresh")
"""`--contenders` names, in the order of SYNC_CONTENDERS."""


def bench_sync(
    sim: SimProcess, pods: int, repeats: int, cache_dir: str, contenders: frozenset[str]
) -> dict[str, list[SyncSample]]:
    kc = sim.kubeconfig
    chosen = {
        name
        for name, short in zip(SYNC_CONTENDERS, CONTENDER_NAMES, strict=True)
        if short in contenders
    }
    kubectl = {
        SYNC_CONTENDERS[0]: kubectl_command(kc, cache_dir, "get", "pods", "-A", "-o", "json"),
        SYNC_CONTENDERS[1]: kubectl_command(
            kc, cache_dir, "get", "pods", "-A", "-o", "json", "--chunk-size=0"
        ),
        SYNC_CONTENDERS[2]: kubectl_command(kc, cache_dir, "get", "pods", "-A"),
    }
    kubectl = {name: command for name, command in kubectl.items() if name in chosen}
    fresh = [sys.executable, __file__, "sync-once", "--kubeconfig", kc, "--pods", str(pods)]
    # kubectl keeps discovery in its cache dir; warm it once, as any user's kubectl has it.
    run_timed(kubectl_command(kc, cache_dir, "get", "namespaces"))
    results: dict[str, list[SyncSample]] = {name: [] for name in SYNC_CONTENDERS if name in chosen}
    for round_number in range(1, repeats + 1):
        for name, command in kubectl.items():
            server0 = proc_cpu_seconds(sim.pid)
            timed = run_timed(command)
            server_cpu = proc_cpu_seconds(sim.pid) - server0
            listed = (
                count_table_rows(timed.output)
                if name == SYNC_CONTENDERS[2]
                else count_json_items(timed.output)
            )
            if listed != pods:
                raise SystemExit(f"bench: {name} listed {listed} pods, expected {pods}")
            results[name].append(SyncSample(timed.wall, timed.cpu, server_cpu))

        if SYNC_CONTENDERS[3] in chosen:
            server0, cpu0 = proc_cpu_seconds(sim.pid), time.process_time()
            in_process = ktui_sync(kc, pods)
            cpu, server_cpu = time.process_time() - cpu0, proc_cpu_seconds(sim.pid) - server0
            if in_process.pods != pods:
                raise SystemExit(f"bench: ktui delivered {in_process.pods} pods, expected {pods}")
            results[SYNC_CONTENDERS[3]].append(
                SyncSample(in_process.first_full_batch, cpu, server_cpu, in_process.live)
            )

        if SYNC_CONTENDERS[4] in chosen:
            server0 = proc_cpu_seconds(sim.pid)
            timed = run_timed(fresh)
            server_cpu = proc_cpu_seconds(sim.pid) - server0
            fields = timed.output.decode().split()
            values = dict(zip(fields[::2], fields[1::2], strict=True))
            if int(values["pods"]) != pods:
                raise SystemExit(f"bench: ktui (process) delivered {values['pods']} pods")
            results[SYNC_CONTENDERS[4]].append(
                SyncSample(timed.wall, timed.cpu, server_cpu, float(values["live"]))
            )
        walls = ", ".join(f"{samples[-1].wall:.2f}" for samples in results.values())
        print(f"  round {round_number}: wall s {walls}", flush=True)
    return results


def print_sync(results: dict[str, list[SyncSample]], pods: int, repeats: int) -> None:
    def median(name: str, attribute: str) -> float:
        return float(statistics.median(getattr(sample, attribute) for sample in results[name]))

    print()
    print(f"== initial sync: {pods} pods, median of {repeats}")
    print(f"  {'':44s} {'wall s':>7s} {'cpu s':>7s} {'server cpu s':>13s}")
    for name in results:
        print(
            f"  {name:44s} {median(name, 'wall'):7.2f} {median(name, 'cpu'):7.2f} "
            f"{median(name, 'server_cpu'):13.2f}"
        )
    in_process, fresh = SYNC_CONTENDERS[3], SYNC_CONTENDERS[4]
    if in_process in results:
        print(
            f"  (ktui in this process: wall = until one batch held all {pods} pods; LIVE with "
            f"the watch open after {median(in_process, 'live'):.2f} s.)"
        )
    if fresh in results:
        print(
            "  (ktui in a fresh process: wall includes Python start-up and imports; LIVE "
            f"{median(fresh, 'live'):.2f} s after them.)"
        )
    kubectl = [name for name in SYNC_CONTENDERS[:3] if name in results]
    for reference in (in_process, fresh):
        if reference not in results or not kubectl:
            continue
        ratios = "  ".join(
            f"{name.removeprefix('kubectl get pods -A').strip() or 'table'}: "
            f"{median(name, 'wall') / median(reference, 'wall'):5.2f}x"
            for name in kubectl
        )
        print(f"  ratio kubectl wall / {reference}: {ratios}")
    if fresh in results and kubectl:
        ratios = "  ".join(
            f"{name.removeprefix('kubectl get pods -A').strip() or 'table'}: "
            f"{median(name, 'cpu') / median(fresh, 'cpu'):5.2f}x"
            for name in kubectl
        )
        print(f"  ratio kubectl cpu / {fresh}: {ratios}")


# ---------------------------------------------------------------------------- watch throughput

_EVENT_TYPE = re.compile(rb'^\{"type":"([A-Z]+)"', re.MULTILINE)
"""With --output-watch-events kubectl prints each event as one line of compact JSON; the initial
list comes first as one ADDED line per list page holding a whole PodList (500 pods)."""


def pods_in_line(line: bytes) -> int:
    """Pods in one line of kubectl's watch output: a page of the initial list, or one event."""
    if b'"kind":"PodList"' in line:
        return len(json.loads(line)["object"]["items"])
    return 1


@dataclass
class KtuiCounts:
    batches: int = 0
    objects: int = 0
    """Pod changes delivered (objects in batches: upserts + deletes)."""
    recorded: int = 0
    """Watch changes recorded before coalescing (ChangeBatch.coalesced)."""
    arrived: int = 0
    """Changes handed from the watch thread to the cache's sink, counted as they arrive (not at
    batch granularity, so a window's edges are exact)."""
    pods: dict[str, Any] = field(default_factory=dict)
    live: bool = False


@dataclass(frozen=True)
class KtuiSnapshot:
    batches: int
    objects: int
    recorded: int
    arrived: int
    pods: int
    live: bool


class KtuiWatcher:
    """ktui's Pod cache (all namespaces), counting what its batches deliver."""

    def __init__(self, kubeconfig: str) -> None:
        from ktui.cluster.cache import ClusterCache
        from ktui.cluster.connection import connect
        from ktui.settings import Settings

        self.counts = KtuiCounts()
        self.lock = threading.Lock()
        self.connection = connect(Settings(kubeconfig=kubeconfig))
        self.cache = ClusterCache(
            self.connection.api_client, None, kinds=["Pod"], on_batch=self._on_batch
        )
        # The watch thread calls its sink's `apply` (this ClusterCache) with each chunk's
        # changes; an instance attribute wraps it to count them as they arrive.
        sink_apply = self.cache.apply

        def counting_apply(kind: str, changes: list[Any]) -> None:
            with self.lock:
                self.counts.arrived += len(changes)
            sink_apply(kind, changes)

        self.cache.apply = counting_apply  # type: ignore[method-assign]

    def _on_batch(self, batch: Any) -> None:
        from ktui.cluster.state import CachePhase

        upserts = batch.upserts.get("Pod", {})
        deletes = batch.deletes.get("Pod", ())
        with self.lock:
            counts = self.counts
            counts.batches += 1
            counts.objects += len(upserts) + len(deletes)
            counts.recorded += batch.coalesced
            counts.pods.update(upserts)
            for uid in deletes:
                counts.pods.pop(uid, None)
            state = batch.states.get("Pod")
            if state is not None:
                counts.live = state.phase is CachePhase.LIVE

    def snapshot(self) -> KtuiSnapshot:
        with self.lock:
            c = self.counts
            return KtuiSnapshot(c.batches, c.objects, c.recorded, c.arrived, len(c.pods), c.live)

    def start(self) -> None:
        self.cache.start()

    def stop(self) -> None:
        self.cache.stop()
        self.connection.close()


class KubectlWatcher:
    """`kubectl get pods -A --watch -o json --output-watch-events`, stdout into a file."""

    def __init__(self, kubeconfig: str, cache_dir: str, workdir: Path) -> None:
        self.path = workdir / "kubectl-watch.json"
        self._out: IO[bytes] = open(self.path, "wb")  # noqa: SIM115 - closed in stop()
        self._err: IO[bytes] = open(workdir / "kubectl-watch.err", "wb")  # noqa: SIM115
        command = kubectl_command(
            kubeconfig,
            cache_dir,
            "get",
            "pods",
            "-A",
            "--watch",
            "-o",
            "json",
            "--output-watch-events",
        )
        self.process = subprocess.Popen(command, stdout=self._out, stderr=self._err)
        self._counted_bytes = 0
        self._counted_objects = 0

    def objects_so_far(self) -> int:
        """Pods kubectl has printed in complete lines (reads only what is new since last call)."""
        with open(self.path, "rb") as handle:
            handle.seek(self._counted_bytes)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._counted_bytes += len(complete)
        self._counted_objects += sum(pods_in_line(line) for line in complete.splitlines())
        return self._counted_objects

    def size(self) -> int:
        return os.path.getsize(self.path)

    def cpu(self) -> float:
        return proc_cpu_seconds(self.process.pid)

    def stop(self) -> tuple[float, int]:
        """Stop kubectl; its total CPU seconds (os.wait4) and exit signal/code."""
        self.process.terminate()
        _, status, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self._out.close()
        self._err.close()
        return usage.ru_utime + usage.ru_stime, self.process.returncode

    def counts_between(self, start: int, end: int) -> tuple[int, dict[str, int]]:
        """Events whose line ended between byte offsets `start` and `end`, and their types."""
        with open(self.path, "rb") as handle:
            data = handle.read(end)
        first = data.rfind(b"\n", 0, start) + 1
        last = data.rfind(b"\n") + 1
        window = data[first:last]
        types: dict[str, int] = {}
        for match in _EVENT_TYPE.finditer(window):
            name = match.group(1).decode()
            types[name] = types.get(name, 0) + 1
        return sum(pods_in_line(line) for line in window.splitlines()), types


@dataclass
class Window:
    seconds: float
    server_changes: int | None
    ktui_batches: int
    ktui_objects: int
    ktui_recorded: int
    ktui_arrived: int
    ktui_cpu: float
    kubectl_objects: int
    kubectl_types: dict[str, int]
    kubectl_cpu: float
    server_cpu: float


def bench_watch(
    sim: SimProcess,
    pods: int,
    rate: int,
    duration: float,
    cache_dir: str,
    churn: str,
    py_spy: str | None = None,
) -> dict[str, Any]:
    kubectl = KubectlWatcher(sim.kubeconfig, cache_dir, sim.workdir)
    ktui = KtuiWatcher(sim.kubeconfig)
    ktui.start()
    try:
        # Both list first: ktui delivers the N pods, kubectl prints N ADDED objects.
        wait_until(
            lambda: ktui.snapshot().pods >= pods and ktui.snapshot().live, 120, "ktui's list"
        )
        wait_until(lambda: kubectl.objects_so_far() >= pods, 120, "kubectl's list")
        listed_kubectl = kubectl.objects_so_far()
        listed_ktui = ktui.snapshot().recorded
        changes_at_start = sim.changes()
        sim.start_churn(rate, churn)
        time.sleep(1.0)  # let both watches reach a steady rate before the window opens

        def sample() -> tuple[float, int | None, KtuiSnapshot, float, int, float, float]:
            return (
                time.perf_counter(),
                sim.changes(),
                ktui.snapshot(),
                time.process_time(),
                kubectl.size(),
                kubectl.cpu(),
                proc_cpu_seconds(sim.pid),
            )

        spy = start_py_spy(py_spy, sim.workdir, duration) if py_spy else None
        t0, changes0, ktui0, cpu0, size0, kcpu0, scpu0 = sample()
        time.sleep(duration)
        t1, changes1, ktui1, cpu1, size1, kcpu1, scpu1 = sample()
        profile = finish_py_spy(spy, duration) if spy is not None else ""
        sim.stop_churn()
        changes_end = sim.changes()
        # After the churn stops both drain what is in flight; a total that stays short is a loss.
        if changes_end is not None and changes_at_start is not None:
            produced = changes_end - changes_at_start
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if (
                    ktui.snapshot().recorded - listed_ktui >= produced
                    and kubectl.objects_so_far() - listed_kubectl >= produced
                ):
                    break
                time.sleep(0.1)
        else:
            produced = None
            time.sleep(3)
        drained_ktui = ktui.snapshot().recorded - listed_ktui
        drained_kubectl = kubectl.objects_so_far() - listed_kubectl
    finally:
        ktui.stop()
        kubectl_total_cpu, kubectl_exit = kubectl.stop()
    kubectl_objects, kubectl_types = kubectl.counts_between(size0, size1)
    window = Window(
        seconds=t1 - t0,
        server_changes=None if changes0 is None or changes1 is None else changes1 - changes0,
        ktui_batches=ktui1.batches - ktui0.batches,
        ktui_objects=ktui1.objects - ktui0.objects,
        ktui_recorded=ktui1.recorded - ktui0.recorded,
        ktui_arrived=ktui1.arrived - ktui0.arrived,
        ktui_cpu=cpu1 - cpu0,
        kubectl_objects=kubectl_objects,
        kubectl_types=kubectl_types,
        kubectl_cpu=kcpu1 - kcpu0,
        server_cpu=scpu1 - scpu0,
    )
    return {
        "window": window,
        "produced": produced,
        "drained_ktui": drained_ktui,
        "drained_kubectl": drained_kubectl,
        "kubectl_total_cpu": kubectl_total_cpu,
        "kubectl_exit": kubectl_exit,
        "profile": profile,
    }


def start_py_spy(
    binary: str, workdir: Path, duration: float
) -> tuple[subprocess.Popen[bytes], Path]:
    """py-spy sampling this process (every thread, 100 Hz, without pausing it) for `duration`."""
    output = workdir / "py-spy.txt"
    command = [binary, "record", "--pid", str(os.getpid()), "--duration", str(round(duration))]
    command += ["--rate", "100", "--threads", "--nonblocking", "--format", "raw"]
    command += ["--output", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, output


def finish_py_spy(spy: tuple[subprocess.Popen[bytes], Path], duration: float) -> str:
    process, output = spy
    _, stderr = process.communicate(timeout=duration + 30)
    if process.returncode != 0 or not output.exists():
        return f"py-spy failed: {stderr.decode(errors='replace').strip()[-300:]}"
    return summarize_py_spy(output.read_text(), duration * 100)


def summarize_py_spy(raw: str, possible_samples: float, top: int = 14) -> str:
    """Self and inclusive samples per function of py-spy's raw (collapsed) stacks, per thread."""
    by_thread: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        thread, *frames = stack.split(";")
        name = thread.split(": ", 1)[-1]
        by_thread[name] = by_thread.get(name, 0) + count
        total += count
        functions = [re.sub(r":\d+\)$", ")", frame) for frame in frames]
        for function in set(functions):
            inclusive[function] = inclusive.get(function, 0) + count
        if functions:
            own[functions[-1]] = own.get(functions[-1], 0) + count

    def share(count: int) -> str:
        return f"{count:6d} {100 * count / possible_samples:5.1f}%"

    lines = [f"samples (100/s; % of one core over the window), {total} in all, by thread:"]
    lines += [f"  {share(c)}  {t}" for t, c in sorted(by_thread.items(), key=lambda i: -i[1])]
    lines.append("inclusive (function on the stack):")
    for function, count in sorted(inclusive.items(), key=lambda i: -i[1])[:top]:
        lines.append(f"  {share(count)}  {function}")
    lines.append("self (function running):")
    for function, count in sorted(own.items(), key=lambda i: -i[1])[:top]:
        lines.append(f"  {share(count)}  {function}")
    return "\n".join(lines)


def print_watch(result: dict[str, Any], pods: int, rate: int) -> None:
    w: Window = result["window"]
    s = w.seconds
    print()
    print(f"== watch: {pods} pods, churn {rate} changes/s, window {s:.1f} s, both watching at once")
    if w.server_changes is not None:
        print(
            f"  server made     {w.server_changes:7d} pod changes  {w.server_changes / s:8.0f}/s"
            f"   server process cpu {w.server_cpu:5.2f} s ({100 * w.server_cpu / s:.0f}%)"
        )
    print(
        f"  ktui received   {w.ktui_arrived:7d} pod changes  {w.ktui_arrived / s:8.0f}/s"
        f"   (watch events reaching its cache); delivered {w.ktui_objects} in "
        f"{w.ktui_batches} batches (counted per 0.15 s batch, so the window's edges move)"
    )
    types = ", ".join(f"{k} {v}" for k, v in sorted(w.kubectl_types.items()))
    print(
        f"  kubectl printed {w.kubectl_objects:7d} objects      {w.kubectl_objects / s:8.0f}/s"
        f"   ({types})"
    )
    print(
        f"  cpu over the window: ktui {w.ktui_cpu:5.2f} s ({100 * w.ktui_cpu / s:.0f}% of a core)"
        f", kubectl {w.kubectl_cpu:5.2f} s ({100 * w.kubectl_cpu / s:.0f}%)"
    )
    if w.ktui_cpu > 0 and w.kubectl_objects and w.ktui_arrived:
        ktui_us = 1e6 * w.ktui_cpu / w.ktui_arrived
        kubectl_us = 1e6 * w.kubectl_cpu / w.kubectl_objects
        print(
            f"  cpu per event: ktui {ktui_us:6.0f} us, kubectl {kubectl_us:6.0f} us; "
            f"ratio kubectl/ktui cpu {w.kubectl_cpu / w.ktui_cpu:5.2f}x, "
            f"per event {kubectl_us / ktui_us:5.2f}x"
        )
    if w.kubectl_objects:
        print(
            f"  throughput ratio ktui/kubectl: {w.ktui_arrived / w.kubectl_objects:5.2f}x "
            "(events in the same window)"
        )
    produced = result["produced"]
    if produced is not None:
        print(
            f"  after the churn stopped: server made {produced}, ktui got "
            f"{result['drained_ktui']}, kubectl printed {result['drained_kubectl']} "
            "(from the start of the churn)"
        )
    print(f"  kubectl total cpu (list + watch, os.wait4): {result['kubectl_total_cpu']:.2f} s")
    if result["profile"]:
        print()
        print("== py-spy of this process (ktui's cache) over the watch window")
        print(result["profile"])


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=10_000, help="N pods (default 10000)")
    parser.add_argument("--rate", type=int, default=2_000, help="R pod changes/s (default 2000)")
    parser.add_argument("--duration", type=float, default=10.0, help="D seconds (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="initial sync rounds (median)")
    parser.add_argument("--server", choices=("bare", "ktui-sim", "kube-apiserver"), default="bare")
    parser.add_argument(
        "--churn",
        choices=("annotation", "status"),
        default="annotation",
        help="what each change touches (bare server): an annotation (ktui.sim.load.Churn) or "
        "the container's restarts and readiness",
    )
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDER_NAMES),
        help="initial sync clients, comma-separated, of "
        f"{','.join(CONTENDER_NAMES)} (default all; at 100,000 realistic pods kubectl's -o "
        "json needs more memory than this machine has)",
    )
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--skip-watch", action="store_true")
    parser.add_argument(
        "--py-spy",
        metavar="BIN",
        help="profile this process (ktui's cache) over the watch window with this py-spy binary",
    )
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="(internal) the API server process")
    serve_parser.add_argument("--pods", type=int, required=True)
    serve_parser.add_argument("--kubeconfig", required=True)
    serve_parser.add_argument("--server", default="bare")
    once = commands.add_parser("sync-once", help="(internal) ktui's sync in a fresh process")
    once.add_argument("--kubeconfig", required=True)
    once.add_argument("--pods", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.pods, args.kubeconfig, args.server)
    if args.command == "sync-once":
        return sync_once(args.kubeconfig, args.pods)

    contenders = frozenset(args.contenders.split(","))
    if not contenders <= set(CONTENDER_NAMES):
        parser.error(f"--contenders: choose from {','.join(CONTENDER_NAMES)}")
    started = time.perf_counter()
    print(
        f"bench_list_watch: {args.pods} pods, {args.rate} changes/s for {args.duration:.0f} s, "
        f"{machine_note()}, kubectl {kubectl_version()}",
        flush=True,
    )
    sim_rate = args.rate if args.server == "ktui-sim" else 0
    with SimProcess(args.pods, server=args.server, rate=sim_rate) as sim:
        cache_dir = str(sim.workdir / "kubectl-cache")
        print(
            f"server ({args.server}) up with {args.pods} pods after "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        sync = None
        if not args.skip_sync:
            sync = bench_sync(sim, args.pods, args.repeats, cache_dir, contenders)
        watch = None
        if not args.skip_watch:
            watch = bench_watch(
                sim, args.pods, args.rate, args.duration, cache_dir, args.churn, args.py_spy
            )
    if sync is not None:
        print_sync(sync, args.pods, args.repeats)
    if watch is not None:
        print_watch(watch, args.pods, args.rate)
    print(f"\n(total {time.perf_counter() - started:.0f} s; at the end: {machine_note()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
