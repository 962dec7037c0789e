"""Opening the pod detail (enter on a pod) and going back (escape): the Textual work per key.

In one process, no churn: the embedded API server (`ktui.sim.server.SimServer`, a thread of
this process, idle once the app has listed) with N load pods in namespace `load`
(`ktui.sim.load.create_load_pods`: 100 Deployments of N/100 pods), and the whole app headless
(`make_app` in `run_test`, 160x50) in that namespace, the pods pane focused on the first
Deployment's pods. Then K rounds of enter on a pod (the cursor moves one row between rounds,
so each open is about another pod) and escape back, each timed as `bench_latency.timed_press`
times a key: from the key entering the app until its effect is in the widgets (the detail
screen is current and shows that pod; the main screen is current again), the messages that
caused are handled and the screen is composed once.

Two ways of opening, side by side in one run, rounds interleaved (the machine's load hits
both alike):
- app: as ktui opens it (`KtuiApp.open_screen`);
- new screen: a new `PodDetailScreen` composed and mounted for every open, popped and removed
  on back (what ktui did before it kept one pod detail screen and retargeted it).

Printed: p50/p99 ms per open and per back for each, the ratios app / new screen, and, from a
cProfile of each mode's keys, the cumulative ms per key in the stages of Textual's work
(compose, mount, CSS, layout, paint) and ktui's own rendering. Stages nest (mount includes the
CSS applied to what was mounted), so they do not add up. Nothing is asserted.

    .venv/bin/python bench/bench_screens.py [--pods 1000] [--rounds 40] [--no-profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.screen import Screen

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import pods_listed_and_shown, quantile, timed_press
from bench_list_watch import machine_note
from bench_ui import wait_for

from ktui.cluster.connection import connect
from ktui.config import Config
from ktui.settings import Settings
from ktui.sim.client import LocalClient
from ktui.sim.load import create_load_pods
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pod_detail import PodDetailScreen

STAGES: list[tuple[str, str, str]] = [
    # (label, file suffix, function name): cumulative time of that function per key
    ("compose (widgets built)", "textual/widget.py", "_compose"),
    ("mount (registered, mounted)", "textual/app.py", "_register"),
    ("CSS (styles applied)", "textual/css/stylesheet.py", "apply"),
    ("CSS update_nodes", "textual/css/stylesheet.py", "update_nodes"),
    ("layout (_refresh_layout)", "textual/screen.py", "_refresh_layout"),
    ("paint (compositor render_update)", "textual/_compositor.py", "render_update"),
    ("lines drawn (render_line)", "textual/widget.py", "render_line"),
    ("LiveTable.render_line", "ktui/ui/live_table.py", "render_line"),
    ("screen resume", "textual/screen.py", "_on_screen_resume"),
    ("screen removed", "textual/widget.py", "remove"),
    ("PodDetailScreen.render_pod", "ktui/ui/screens/pod_detail.py", "render_pod"),
    ("PodDetailScreen.render_events", "ktui/ui/screens/pod_detail.py", "render_events"),
]


@dataclass
class ModeResult:
    name: str
    opens: list[float] = field(default_factory=list)
    backs: list[float] = field(default_factory=list)
    opens_settled: list[float] = field(default_factory=list)
    backs_settled: list[float] = field(default_factory=list)
    open_profile: cProfile.Profile = field(default_factory=cProfile.Profile)
    back_profile: cProfile.Profile = field(default_factory=cProfile.Profile)


def stage_ms(profile: cProfile.Profile, keys: int) -> dict[str, float]:
    """Cumulative ms per key of each stage's function (0 when never called)."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found = dict.fromkeys((label for label, _, _ in STAGES), 0.0)
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        for label, suffix, function in STAGES:
            if name == function and filename.endswith(suffix):
                found[label] += 1000 * cumulative / max(keys, 1)
    return found


async def measure(pods: int, rounds: int, profile: bool) -> list[ModeResult]:
    server = SimServer(port=0)
    server.start()
    try:
        create_load_pods(LocalClient(server.store), pods)
        with tempfile.TemporaryDirectory() as tmp:
            kubeconfig = str(Path(tmp) / "kubeconfig")
            server.write_kubeconfig(kubeconfig)
            settings = Settings(kubeconfig=kubeconfig, namespace="load")
            connection = connect(settings)
            try:
                app = make_app(settings, connection=connection, config=Config())
                return await run_rounds(app, pods, rounds, profile)
            finally:
                connection.close()
    finally:
        server.stop()


async def run_rounds(app: KtuiApp, pods: int, rounds: int, profile: bool) -> list[ModeResult]:
    modes = [ModeResult("app"), ModeResult("new screen")]
    async with app.run_test(size=(160, 50)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        pods_pane = main.query_one("#pods", LiveTable)
        synced = pods_listed_and_shown(app, main, pods)
        await wait_for(pilot, synced, f"{pods} pods listed and shown", timeout=120.0)
        pods_pane.focus()
        await pilot.pause(0.2)
        original_open = app.open_screen

        def open_new(what: str, uid: str, **options: Any) -> None:
            # What `open_screen("detail")` did before the screen was kept: a new one per open.
            if what == "detail":
                app.push_screen(PodDetailScreen(uid))
            else:
                original_open(what, uid, **options)

        for index in range(2 * rounds + 2):
            mode = modes[index % 2]
            # The first round of each mode warms up (CSS parsed, first screen built): not kept.
            warm = index >= 2
            app.open_screen = open_new if mode.name == "new screen" else original_open  # type: ignore[method-assign]
            # One row down (or up from the last): every open is about another pod.
            step = "down" if pods_pane.cursor_index < pods_pane.row_count - 1 else "up"
            before = pods_pane.cursor_key
            await timed_press(pilot, step, lambda before=before: pods_pane.cursor_key != before)
            uid = pods_pane.cursor_key

            def detail_shown(uid: str | None = uid) -> bool:
                screen = app.screen
                return isinstance(screen, PodDetailScreen) and screen.pod_uid == uid

            gc.collect()
            opened, open_settled = await timed_key(
                pilot, "enter", detail_shown, mode.open_profile, profile
            )
            back, back_settled = await timed_key(
                pilot, "escape", lambda: app.screen is main, mode.back_profile, profile
            )
            if warm:
                mode.opens.append(opened)
                mode.backs.append(back)
                mode.opens_settled.append(open_settled)
                mode.backs_settled.append(back_settled)
            await asyncio.sleep(0.02)
        app.open_screen = original_open  # type: ignore[method-assign]
    return modes


def unsettled(screen: Screen[Any]) -> bool:
    """Work the screen still has queued for its next refresh: a layout, a repaint, widgets to
    draw, or callbacks due after the refresh (the footer's recompose is one)."""
    return bool(
        screen._callbacks
        or screen._layout_required
        or screen._repaint_required
        or screen._dirty_widgets
        or screen._recompose_required
    )


async def timed_key(
    pilot: Any, key: str, done: Callable[[], bool], profiler: cProfile.Profile, profile: bool
) -> tuple[float, float]:
    """(effect shown, settled): `timed_press`'s time, and the time until the work the key
    caused is all done: what the screen deferred past its first refresh (the footer rebuilt
    with `call_after_refresh`...) would otherwise be paid by the next key."""
    if profile:
        profiler.enable()
    try:
        start = time.perf_counter()
        shown = await timed_press(pilot, key, done)
        for _ in range(50):
            screen = pilot.app.screen
            if not unsettled(screen):
                await pilot._wait_for_screen()
                if not unsettled(screen):
                    break
            screen._on_timer_update()
            await pilot._wait_for_screen()
        return shown, time.perf_counter() - start
    finally:
        if profile:
            profiler.disable()


def report(modes: list[ModeResult], profile: bool) -> None:
    app_mode, new_mode = modes
    print()
    print("  shown: the key's effect in the widgets, the screen composed (bench_latency's time);")
    print("  settled: until the work the key caused is all done (deferred work included)")
    for label, pick in (
        ("open shown", "opens"),
        ("open settled", "opens_settled"),
        ("back shown", "backs"),
        ("back settled", "backs_settled"),
    ):
        for mode in modes:
            ms = [1000 * v for v in getattr(mode, pick)]
            print(
                f"  {label:14s} {mode.name:11s} n={len(ms):3d} p50 {quantile(ms, 0.5):6.1f} ms  "
                f"p99 {quantile(ms, 0.99):6.1f} ms  max {max(ms, default=0):6.1f} ms"
            )
        ours = [1000 * v for v in getattr(app_mode, pick)]
        theirs = [1000 * v for v in getattr(new_mode, pick)]
        if ours and theirs:
            print(
                f"  {label:14s} app / new screen: p50 "
                f"{quantile(ours, 0.5) / quantile(theirs, 0.5):4.2f}x  p99 "
                f"{quantile(ours, 0.99) / quantile(theirs, 0.99):4.2f}x"
            )
    if not profile:
        return
    for label, profile_of, count in (
        ("open (enter)", "open_profile", "opens"),
        ("back (escape)", "back_profile", "backs"),
    ):
        # Warm-up keys were profiled too: one more key per mode.
        per_mode = [stage_ms(getattr(m, profile_of), len(getattr(m, count)) + 1) for m in modes]
        print(f"\n  where {label} goes, ms per key (cProfile, cumulative; stages nest)")
        print(f"    {'stage':36s} {'app':>8s} {'new screen':>11s}")
        for stage, _, _ in STAGES:
            values = [found[stage] for found in per_mode]
            if any(values):
                print(f"    {stage:36s} {values[0]:8.2f} {values[1]:11.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=1000, help="load pods (default 1000)")
    parser.add_argument("--rounds", type=int, default=40, help="opens of each mode (default 40)")
    parser.add_argument(
        "--no-profile", action="store_true", help="no cProfile (it inflates the times)"
    )
    parser.add_argument(
        "--top", type=int, default=0, help="also print the app mode's N costliest functions"
    )
    args = parser.parse_args(argv)
    print(f"bench_screens: {args.pods} pods, {args.rounds} rounds, {machine_note()}", flush=True)
    started = time.perf_counter()
    modes = asyncio.run(measure(args.pods, args.rounds, not args.no_profile))
    print(f"  ({time.perf_counter() - started:.0f} s)")
    report(modes, not args.no_profile)
    if args.top and not args.no_profile:
        for label, profiler in (
            ("open (enter)", modes[0].open_profile),
            ("back (escape)", modes[0].back_profile),
        ):
            print(f"\n== cProfile of the app mode's {label} keys")
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(args.top)
    print(f"\n(at the end: {machine_note()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
