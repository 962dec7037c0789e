"""What a user feels, at several cluster sizes: keypress to screen updated, and display lag.

For each N in `--sizes` an API server runs in its own process (bench_list_watch's `serve`) with
N running pods in namespace `load` (100 Deployments of N/100 pods). The whole app runs headless
(`make_app` in `run_test`, 160x50) in that namespace and is measured from inside:

- sync: from the app's start to every pod listed and every workload row shown, and the
  process's RSS growth over it (resident set size, `/proc/self/statm`: the interpreter, the
  cache, the model and the rows together);
- under R pod changes per second (`--churn status`: restarts and readiness flips, so cells
  change), K rounds of each interaction, timed from the key sent (as a terminal sends it) until
  its effect is in the widgets, the messages that caused are handled and the screen is composed
  (`timed_press`): cursor (`down`, or `up` from the last row, in the pods pane), pane (`tab`),
  filter keystroke (a letter typed into the `/` filter of the pods pane), pod detail (`enter`
  on a pod; `escape` back is timed too);
- display lag: for every batch the main screen applied in the window, from the moment its
  oldest change reached ktui's cache (`ChangeBatch.first_change_at`) to the batch being
  applied to the panes (`MainScreen.batch_observer`), plus the server-to-cache hop on loopback,
  which this does not include.

Printed per N: p50, p99 and max of each, and the goal ratios (p99 / 50 ms at 10,000 pods,
p99 / 100 ms at 100,000, lag p99 / 300 ms), measured in the same run. Nothing is asserted.

    .venv/bin/python bench/bench_latency.py [--sizes 1000,10000] [--rate 2000] [--rounds 30]
    .venv/bin/python bench/bench_latency.py --sizes 100000 --rounds 20
    .venv/bin/python bench/bench_latency.py --sizes 10000 --profile   # where the loop's time goes
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list_watch import SimProcess, machine_note, tree_resident_mib
from bench_ui import wait_for

from ktui.cluster.connection import connect
from ktui.cluster.state import CachePhase
from ktui.config import Config
from ktui.gc_pacer import GcPacer
from ktui.settings import Settings
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.messages import ClusterChanged
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen

GOALS_MS = {10_000: 50.0, 100_000: 100.0}
KEY_TIMEOUT = 60.0
"""Seconds a key may take to show its effect before the bench gives up."""
LAG_GOAL_MS = 300.0


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class SizeResult:
    pods: int
    sync_seconds: float = 0.0
    rss_growth_mb: float = 0.0
    server_mib: float = 0.0
    changes_per_second: float | None = None
    """The pod changes the server made per second over the keys (kube-apiserver may not keep
    up with `--rate`)."""
    keys: dict[str, list[float]] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    gc_pauses: dict[int, list[float]] = field(default_factory=dict)
    """The cyclic GC's pauses over the keys, by generation (seconds each)."""
    gc_mode: str = "paced"
    gc_held: int | None = None
    """Unreachable objects one full collection found after the keys, with the pacer: what its
    freezes kept from the collector until its next full collection."""
    profile: str = ""


async def timed_press(pilot: Pilot[Any], key: str, done: Callable[[], bool]) -> float:
    """From the key event entering the app to the screen composed with its effect.

    The key is sent as a terminal would send it (through the driver), then the app and screen
    queues are drained round after round until `done()` says the key's effect is in the
    widgets (the cursor moved, the detail screen is up...), once more for the messages that
    effect caused (a new screen's mount), and the screen is composed once, as the next refresh
    would. `Pilot.press` is not used: it waits for the process to look idle (wall clock vs CPU
    time), which under churn measures the watch threads, not the key.

    Waiting for the effect matters: the driver posts the key from a later turn of the event
    loop, so one drain (the markers are queued ahead of the key) can return before the key is
    even handled. Keys then piled up behind batches, the next step's direct calls (`focus()`)
    overtook them (a letter meant for the filter opened describe), and the last one was still
    queued when `run_test` shut the app down: Textual's `ScreenStackError` ("No screens on
    stack"), since `run_test`'s shutdown, unlike `App.run`'s, clears the screen stack while the
    app's message loop still runs.
    """
    app = pilot.app
    start = time.perf_counter()
    char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)
    deadline = start + KEY_TIMEOUT
    while not done():
        if time.perf_counter() > deadline:
            raise SystemExit(f"bench: key {key!r} had no effect after {KEY_TIMEOUT:.0f} s")
        await pilot._wait_for_screen()
    await pilot._wait_for_screen()
    app.screen._on_timer_update()
    return time.perf_counter() - start


class GcPauses:
    """Times every collection of the cyclic GC (`gc.callbacks`) while it is installed: a full
    collection walks every tracked object, the cache's included, and holds the GIL meanwhile."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._start)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def pods_listed_and_shown(app: KtuiApp, screen: MainScreen, pods: int) -> Callable[[], bool]:
    """Whether the app holds all `pods` pods of namespace `load`, live, with a row for each of
    their (up to 100) Deployments and the first one's pods in the pods pane."""
    workloads = screen.query_one("#workloads", LiveTable)
    pods_pane = screen.query_one("#pods", LiveTable)
    groups = min(100, pods)

    def synced() -> bool:
        pod_state = app.model.objects.states.get("Pod")
        return (
            pod_state is not None
            and pod_state.phase is CachePhase.LIVE
            and len(app.model.objects.objects("Pod")) == pods
            and workloads.total_count == groups
            and pods_pane.total_count > 0
        )

    return synced


async def measure(
    sim: SimProcess,
    pods: int,
    rate: int,
    rounds: int,
    profile: bool = False,
    gc_mode: str = "paced",
) -> SizeResult:
    result = SizeResult(pods, gc_mode=gc_mode)
    # The previous run's app is garbage now (some of it in cycles): collected before this one
    # starts, or this run's pacer would freeze it and count it as held.
    gc.collect()
    settings = Settings(kubeconfig=sim.kubeconfig, namespace="load")
    connection = connect(settings)
    rss0 = rss_bytes()
    start = time.perf_counter()
    # The CLI's app paces the cyclic GC (`ktui.gc_pacer`); `--gc default` runs CPython's own.
    pacer = GcPacer() if gc_mode == "paced" else None
    app = make_app(settings, connection=connection, config=Config(), gc_pacer=pacer)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            pods_pane = screen.query_one("#pods", LiveTable)
            synced = pods_listed_and_shown(app, screen, pods)
            await wait_for(pilot, synced, f"{pods} pods listed and shown", timeout=600.0)
            result.sync_seconds = time.perf_counter() - start
            result.rss_growth_mb = (rss_bytes() - rss0) / 2**20

            def observe(message: ClusterChanged, _seconds: float) -> None:
                if message.batch.first_change_at:
                    result.lags.append(time.monotonic() - message.batch.first_change_at)

            result.server_mib = tree_resident_mib(sim.pid)
            sim.start_churn(rate, "status")
            await asyncio.sleep(1.0)  # measure at a steady pace
            made_before, window_start = sim.changes(), time.monotonic()
            screen.batch_observer = observe
            keys: dict[str, list[float]] = {
                "cursor (down/up)": [],
                "pane (tab)": [],
                "filter keystroke": [],
                "pod detail (enter)": [],
                "back (escape)": [],
            }
            pods_pane.focus()
            await pilot._wait_for_screen()
            profiler = cProfile.Profile() if profile else None
            if profiler is not None:
                profiler.enable()
            filter_input = screen.query_one("#filter", Input)
            gc_pauses = GcPauses().__enter__()
            for index in range(rounds):
                # down, or up from the last row: every press moves the cursor
                step = "down" if pods_pane.cursor_index < pods_pane.row_count - 1 else "up"

                def moved(key: str | None = pods_pane.cursor_key) -> bool:
                    return pods_pane.cursor_key != key

                keys["cursor (down/up)"].append(await timed_press(pilot, step, moved))
                keys["pane (tab)"].append(
                    await timed_press(pilot, "tab", lambda: screen.focused is not pods_pane)
                )
                pods_pane.focus()
                await pilot._wait_for_screen()
                await timed_press(pilot, "slash", lambda: screen.focused is filter_input)
                letter = "abcdefghij"[index % 10]
                keys["filter keystroke"].append(
                    await timed_press(
                        pilot, letter, lambda letter=letter: pods_pane.filter_text == letter
                    )
                )
                # close the filter (esc drops it too)
                await timed_press(pilot, "escape", lambda: screen.focused is pods_pane)
                keys["pod detail (enter)"].append(
                    await timed_press(
                        pilot, "enter", lambda: isinstance(app.screen, PodDetailScreen)
                    )
                )
                keys["back (escape)"].append(
                    await timed_press(pilot, "escape", lambda: app.screen is screen)
                )
                await asyncio.sleep(0.05)  # keys typed at a human pace, not back to back
            gc_pauses.__exit__()
            result.gc_pauses = gc_pauses.pauses
            if pacer is not None:
                gc.unfreeze()
                result.gc_held = gc.collect()
            if profiler is not None:
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(45)
                stats.sort_stats("cumulative").print_stats("ktui/", 40)
                stats.sort_stats("tottime").print_stats(25)
                result.profile = out.getvalue()
            screen.batch_observer = None
            made_after = sim.changes()
            if made_before is not None and made_after is not None:
                result.changes_per_second = (made_after - made_before) / (
                    time.monotonic() - window_start
                )
            sim.stop_churn()
            result.keys = keys
    finally:
        connection.close()
    return result


def report(results: list[SizeResult], rate: int) -> None:
    print()
    for r in results:
        print(f"== {r.pods} pods, {rate} pod changes/s, GC {r.gc_mode}")
        print(
            f"  sync (start to every pod shown) {r.sync_seconds:6.2f} s, "
            f"RSS +{r.rss_growth_mb:.0f} MB; the server's processes {r.server_mib:.0f} MiB"
        )
        if r.changes_per_second is not None:
            print(f"  the server made {r.changes_per_second:.0f} pod changes/s over the keys")
        goal = GOALS_MS.get(r.pods)
        for name, values in r.keys.items():
            ms = [1000 * v for v in values]
            line = (
                f"  {name:20s} n={len(ms):3d} p50 {quantile(ms, 0.5):6.1f} ms  "
                f"p99 {quantile(ms, 0.99):6.1f} ms  max {max(ms, default=0):6.1f} ms"
            )
            if goal is not None:
                line += f"  p99/goal {quantile(ms, 0.99) / goal:4.2f}x"
            print(line)
        lag = [1000 * v for v in r.lags]
        print(
            f"  display lag (cache to panes) n={len(lag)} p50 {quantile(lag, 0.5):.0f} ms  "
            f"p99 {quantile(lag, 0.99):.0f} ms  p99/goal {quantile(lag, 0.99) / LAG_GOAL_MS:4.2f}x"
            f"  (mean {statistics.fmean(lag) if lag else 0:.0f} ms)"
        )
        for generation, pauses in sorted(r.gc_pauses.items()):
            ms = [1000 * v for v in pauses]
            print(
                f"  gc generation {generation} over the keys: n={len(ms)} "
                f"total {sum(ms):.0f} ms  max {max(ms, default=0):.1f} ms"
            )
        if r.gc_held is not None:
            print(f"  objects the pacer's freezes held from the collector: {r.gc_held}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000", help="pod counts (default 1000,10000)")
    parser.add_argument("--rate", type=int, default=2000, help="pod changes/s (default 2000)")
    parser.add_argument("--rounds", type=int, default=30, help="presses of each key (default 30)")
    parser.add_argument(
        "--server",
        choices=("bare", "kube-apiserver"),
        default="bare",
        help="the embedded server (bare) or kube-apiserver v1.20.2 with realistic pods",
    )
    parser.add_argument(
        "--gc",
        choices=("paced", "default", "both"),
        default="paced",
        help="the app's GC: paced as the CLI runs it (ktui.gc_pacer), CPython's default, or both "
        "side by side for each size (default paced)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the event loop's thread over the keys (inflates that run's numbers)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"bench_latency: sizes {sizes}, {args.rate} changes/s, server {args.server}, "
        f"{machine_note()}",
        flush=True,
    )
    results = []
    for pods in sizes:
        started = time.perf_counter()
        with SimProcess(pods, server=args.server) as sim:
            print(f"{pods} pods: server up after {time.perf_counter() - started:.1f} s", flush=True)
            modes = ("default", "paced") if args.gc == "both" else (args.gc,)
            for mode in modes:
                results.append(
                    asyncio.run(measure(sim, pods, args.rate, args.rounds, args.profile, mode))
                )
    report(results, args.rate)
    for r in results:
        if r.profile:
            print(f"\n== cProfile of the event loop's thread, {r.pods} pods\n{r.profile}")
    print(f"\n(at the end: {machine_note()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
