"""The whole ktui app, headless, on N pods under churn: UI work per batch, against DataTable.

The API server runs in a separate process (bench_list_watch's `serve`) with N running pods in
namespace `load` (100 Deployments of N/100 pods). The app runs headless (`run_test`, 160x50) in
that namespace with the first Deployment selected, so its pods pane shows N/100 pods. Once every
cache is LIVE the server changes R pods per second for D seconds; by default each change is a
container restart plus a readiness flip (`--churn status`), which changes the READY and RESTARTS
cells of the pod's row. Over that window, per batch the main screen applied:

- apply: time in the main screen's batch handler (tree update, rows, keyed diffs);
- render: time in Textual's screen refresh (layout + compositor: the lines drawn);
- UI thread CPU: all CPU time of the event loop's thread (apply + render + everything else);
- lines drawn: `render_line` calls of the tables;
- full-screen layouts: `Screen._refresh_layout` calls (some widget asked for a layout: the whole
  screen is laid out and drawn again, not only the lines that changed).

Wall-clock numbers include waiting for the GIL while the watch threads parse JSON; the UI
thread's CPU time does not, and is the number the ratios use.

The same pod changes, batch by batch, are then replayed (in this process, after the app quit)
into a plain app holding every pod of the namespace in one table, rendered with the very same
cells: Textual's `DataTable` (changed cells updated with `update_cell`, rows added/removed), and
ktui's `LiveTable`. Printed: ms per batch for each and the ratios.

    python bench/bench_ui.py [--pods 10000] [--rate 2000] [--duration 10] [--churn status]
    python bench/bench_ui.py --profile       # cProfile of the UI thread over the window
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list_watch import SimProcess, machine_note, proc_cpu_seconds

from ktui.cluster.batcher import Obj
from ktui.cluster.connection import connect
from ktui.cluster.state import CachePhase
from ktui.config import Config
from ktui.render.panes import POD_COLUMNS, pod_cells
from ktui.settings import Settings
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable, Row
from ktui.ui.messages import ClusterChanged
from ktui.ui.screens.main import MainScreen

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------------------- instrumentation


@dataclass
class Meter:
    """Time spent in the wrapped UI methods and lines drawn, since the last `reset()`."""

    apply_seconds: float = 0.0
    render_seconds: float = 0.0
    layout_seconds: float = 0.0
    layouts: int = 0
    datatable_lines: int = 0
    batches: int = 0
    pod_changes: int = 0
    recording: bool = False
    recorded: list[tuple[dict[str, Obj], set[str]]] = field(default_factory=list)

    def reset(self) -> None:
        self.apply_seconds = self.render_seconds = self.layout_seconds = 0.0
        self.datatable_lines = self.batches = self.pod_changes = 0
        self.layouts = 0


METER = Meter()


def _timed(original: F, attribute: str) -> F:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            setattr(METER, attribute, getattr(METER, attribute) + time.perf_counter() - start)

    return wrapper  # type: ignore[return-value]


def _counted(original: F, attribute: str) -> F:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setattr(METER, attribute, getattr(METER, attribute) + 1)
        return original(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def observe_batch(message: ClusterChanged, seconds: float) -> None:
    """`MainScreen.batch_observer`: called after each batch the main screen applied."""
    METER.apply_seconds += seconds
    upserts = message.batch.upserts.get("Pod", {})
    deletes = message.batch.deletes.get("Pod", set())
    METER.batches += 1
    METER.pod_changes += len(upserts) + len(deletes)
    if METER.recording:
        METER.recorded.append((upserts, deletes))


def lines_drawn(tables: list[LiveTable]) -> int:
    return sum(table.lines_drawn for table in tables)


def instrument() -> None:
    """Time Textual's screen refresh and count full layouts and DataTable's lines.

    ktui's own numbers come from public hooks: `MainScreen.batch_observer` (apply time and the
    batches) and `LiveTable.lines_drawn`. The screen refresh and layout are Textual's, and
    DataTable is the comparison, so those are wrapped.
    """
    Screen._on_timer_update = _timed(Screen._on_timer_update, "render_seconds")  # type: ignore[method-assign]
    # A full layout (a widget asked for refresh(layout=True)) re-renders the whole screen.
    Screen._refresh_layout = _counted(  # type: ignore[method-assign]
        _timed(Screen._refresh_layout, "layout_seconds"), "layouts"
    )
    DataTable.render_line = _counted(DataTable.render_line, "datatable_lines")  # type: ignore[method-assign]


# ---------------------------------------------------------------------------- the live app


@dataclass
class LiveResult:
    seconds: float
    batches: int
    pod_changes: int
    server_changes: int | None
    apply_ms: float
    render_ms: float
    ui_cpu_ms: float
    process_cpu: float
    server_cpu: float
    live_lines: float
    layouts: float
    layout_ms: float
    apply_ms_samples: list[float]
    rows: dict[str, int]
    start_pods: dict[str, Obj]
    profile: str = ""


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, timeout: float = 180.0
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)


async def run_app(
    sim: SimProcess, pods: int, rate: int, duration: float, churn: str, profile: bool
) -> LiveResult:
    settings = Settings(kubeconfig=sim.kubeconfig, namespace="load")
    connection = connect(settings)
    app = make_app(settings, connection=connection, config=Config())
    groups = min(100, pods)
    first_group = pods // groups + (1 if pods % groups else 0)
    apply_samples: list[float] = []
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            workloads = screen.query_one("#workloads", LiveTable)
            pods_pane = screen.query_one("#pods", LiveTable)
            tables = list(screen.query(LiveTable))
            screen.batch_observer = observe_batch

            def synced() -> bool:
                cluster = app.cluster
                if cluster is None:
                    return False
                states = cluster.states()
                return (
                    all(s.phase is CachePhase.LIVE for s in states.values())
                    and states["Pod"].count == pods
                    and workloads.total_count == groups
                    and pods_pane.total_count == first_group
                )

            await wait_for(pilot, synced, f"the app to list {pods} pods")
            await pilot.pause(0.5)
            sim.start_churn(rate, churn)
            await asyncio.sleep(1.0)  # the window opens once batches come at a steady pace

            cluster = app.cluster
            assert cluster is not None
            start_pods = dict(cluster.objects("Pod"))
            METER.reset()
            lines0 = lines_drawn(tables)
            METER.recording = True
            profiler = cProfile.Profile() if profile else None
            t0, changes0 = time.perf_counter(), sim.changes()
            thread0, process0 = time.thread_time(), time.process_time()
            server0 = proc_cpu_seconds(sim.pid)
            if profiler is not None:
                profiler.enable()
            last_batches, last_apply = 0, 0.0
            end = t0 + duration
            while time.perf_counter() < end:
                await asyncio.sleep(0.02)
                if METER.batches != last_batches:
                    count = METER.batches - last_batches
                    apply_samples.append(1000 * (METER.apply_seconds - last_apply) / count)
                    last_batches, last_apply = METER.batches, METER.apply_seconds
            if profiler is not None:
                profiler.disable()
            t1, changes1 = time.perf_counter(), sim.changes()
            thread1, process1 = time.thread_time(), time.process_time()
            server1 = proc_cpu_seconds(sim.pid)
            METER.recording = False
            window = (
                METER.batches,
                METER.pod_changes,
                METER.apply_seconds,
                METER.render_seconds,
                lines_drawn(tables) - lines0,
                METER.layouts,
                METER.layout_seconds,
            )
            sim.stop_churn()
            children = screen.query_one("#children", LiveTable)
            rows = {
                "pods in the cache": len(cluster.objects("Pod")),
                "workload rows": workloads.total_count,
                "child rows": children.total_count,
                "pod rows (selected workload)": pods_pane.total_count,
                "table lines on screen": sum(
                    max(0, t.size.height - 1) for t in (workloads, children, pods_pane)
                ),
            }
            text = ""
            if profiler is not None:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats(30)
                text = out.getvalue()
    finally:
        connection.close()
    batches, changes, apply_s, render_s, lines, layouts, layout_s = window
    per = max(1, batches)
    return LiveResult(
        seconds=t1 - t0,
        batches=batches,
        pod_changes=changes,
        server_changes=None if changes0 is None or changes1 is None else changes1 - changes0,
        apply_ms=1000 * apply_s / per,
        render_ms=1000 * render_s / per,
        ui_cpu_ms=1000 * (thread1 - thread0) / per,
        process_cpu=process1 - process0,
        server_cpu=server1 - server0,
        live_lines=lines / per,
        layouts=layouts / per,
        layout_ms=1000 * layout_s / per,
        apply_ms_samples=apply_samples,
        rows=rows,
        start_pods=start_pods,
        profile=text,
    )


# ---------------------------------------------------------------------------- the replays


def display_cells(row: Row, now: datetime) -> tuple[str | Text, ...]:
    """What a DataTable can hold: strings and Rich Text (time cells rendered to text now)."""
    return tuple(cell if isinstance(cell, str | Text) else cell.text(now) for cell in row)


class ReplayApp(App[None]):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        if self.kind == "live":
            yield LiveTable(POD_COLUMNS, id="table")
        else:
            yield DataTable(id="table", cursor_type="row")


@dataclass
class ReplayResult:
    kind: str
    rows: int
    batches: int
    apply_ms: float
    render_ms: float
    wall_ms: float
    ui_cpu_ms: float
    lines: float
    fill_seconds: float


async def replay(
    kind: str, start_pods: dict[str, Obj], batches: list[tuple[dict[str, Obj], set[str]]]
) -> ReplayResult:
    app = ReplayApp(kind)
    async with app.run_test(size=(160, 50)) as pilot:
        now = datetime.now(UTC)
        fill_start = time.perf_counter()
        shown: dict[str, tuple[Any, ...]] = {}
        if kind == "live":
            live = app.query_one(LiveTable)
            live.apply({uid: pod_cells(pod, now) for uid, pod in start_pods.items()})
        else:
            data = app.query_one(DataTable)
            column_keys = [data.add_column(c.label, key=c.key) for c in POD_COLUMNS]
            for uid, pod in start_pods.items():
                shown[uid] = display_cells(pod_cells(pod, now), now)
                data.add_row(*shown[uid], key=uid)
        await pilot.pause()
        fill_seconds = time.perf_counter() - fill_start
        METER.reset()
        live_lines0 = live.lines_drawn if kind == "live" else 0
        apply_s = wall_s = 0.0
        thread0 = time.thread_time()
        for upserts, deletes in batches:
            start = time.perf_counter()
            now = datetime.now(UTC)
            if kind == "live":
                live.apply({uid: pod_cells(pod, now) for uid, pod in upserts.items()}, deletes)
            else:
                with app.batch_update():
                    for uid in deletes:
                        if shown.pop(uid, None) is not None:
                            data.remove_row(uid)
                    for uid, pod in upserts.items():
                        row = display_cells(pod_cells(pod, now), now)
                        old = shown.get(uid)
                        if old is None:
                            data.add_row(*row, key=uid)
                        elif old != row:
                            for column, before, after in zip(column_keys, old, row, strict=True):
                                if before != after:
                                    data.update_cell(uid, column, after)
                        shown[uid] = row
            applied = time.perf_counter()
            await pilot.pause()
            done = time.perf_counter()
            apply_s += applied - start
            wall_s += done - start
        thread1 = time.thread_time()
        per = max(1, len(batches))
        rows = live.total_count if kind == "live" else data.row_count
        live_lines = live.lines_drawn - live_lines0 if kind == "live" else 0
        return ReplayResult(
            kind=kind,
            rows=rows,
            batches=len(batches),
            apply_ms=1000 * apply_s / per,
            render_ms=1000 * METER.render_seconds / per,
            wall_ms=1000 * wall_s / per,
            ui_cpu_ms=1000 * (thread1 - thread0) / per,
            lines=(live_lines + METER.datatable_lines) / per,
            fill_seconds=fill_seconds,
        )


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=10_000, help="N pods (default 10000)")
    parser.add_argument("--rate", type=int, default=2_000, help="R pod changes/s (default 2000)")
    parser.add_argument("--duration", type=float, default=10.0, help="D seconds (default 10)")
    parser.add_argument(
        "--churn",
        choices=("status", "annotation"),
        default="status",
        help="status: restarts + readiness (cells change); annotation: ktui.sim.load.Churn",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the UI thread over the window"
    )
    parser.add_argument("--no-replay", action="store_true", help="skip the table replays")
    args = parser.parse_args(argv)
    instrument()
    started = time.perf_counter()
    print(
        f"bench_ui: {args.pods} pods in one namespace, {args.rate} {args.churn} changes/s for "
        f"{args.duration:.0f} s, {machine_note()}",
        flush=True,
    )
    with SimProcess(args.pods) as sim:
        print(f"server up after {time.perf_counter() - started:.1f} s", flush=True)
        live = asyncio.run(
            run_app(sim, args.pods, args.rate, args.duration, args.churn, args.profile)
        )
    recorded = list(METER.recorded)
    print(f"app window done after {time.perf_counter() - started:.1f} s", flush=True)
    replays: list[ReplayResult] = []
    if not args.no_replay:
        for kind in ("datatable", "live"):
            replays.append(asyncio.run(replay(kind, live.start_pods, recorded)))
            print(f"replay {kind} done after {time.perf_counter() - started:.1f} s", flush=True)
    report(live, replays, args)
    print(f"\n(total {time.perf_counter() - started:.0f} s; at the end: {machine_note()})")
    return 0


def report(live: LiveResult, replays: list[ReplayResult], args: argparse.Namespace) -> None:
    s = live.seconds
    print()
    print(f"== the app, main screen, namespace load: {args.pods} pods, window {s:.1f} s")
    if live.server_changes is not None:
        print(
            f"  server made {live.server_changes} pod changes ({live.server_changes / s:.0f}/s),"
            f" server cpu {live.server_cpu:.2f} s"
        )
    print(
        f"  batches applied {live.batches} ({live.batches / s:.1f}/s), "
        f"{live.pod_changes} pod changes in them ({live.pod_changes / max(1, live.batches):.0f}"
        " per batch)"
    )
    for name, value in live.rows.items():
        print(f"  {name:32s} {value:6d}")
    samples = sorted(live.apply_ms_samples)
    p95 = samples[int(0.95 * (len(samples) - 1))] if samples else 0.0
    median = statistics.median(samples) if samples else 0.0
    print(
        f"  per batch: apply {live.apply_ms:6.1f} ms (median {median:.1f}, p95 {p95:.1f}), "
        f"render {live.render_ms:5.1f} ms, UI thread cpu {live.ui_cpu_ms:6.1f} ms, "
        f"lines drawn {live.live_lines:.0f}"
    )
    print(
        f"  full-screen layouts per batch {live.layouts:.2f}, taking {live.layout_ms:.1f} ms "
        "of the render"
    )
    print(
        f"  process cpu over the window (UI + watch threads): {live.process_cpu:.2f} s "
        f"({100 * live.process_cpu / s:.0f}% of a core)"
    )
    if live.profile:
        print()
        print("== cProfile of the UI thread over the window (timings above are inflated by it)")
        print(live.profile)
    if not replays:
        return
    print()
    print(
        f"== the same {live.batches} batches replayed into one table holding every pod "
        "(in isolation: no watch threads)"
    )
    print(
        f"  {'':28s} {'rows':>6s} {'apply ms':>9s} {'render ms':>10s} {'wall ms':>8s} "
        f"{'UI cpu ms':>10s} {'lines':>6s}"
    )
    print(
        f"  {'ktui main screen (live app)':28s} {live.rows['pod rows (selected workload)']:6d} "
        f"{live.apply_ms:9.1f} {live.render_ms:10.1f} {'-':>8s} {live.ui_cpu_ms:10.1f} "
        f"{live.live_lines:6.0f}"
    )
    names = {"datatable": "DataTable, all pods", "live": "LiveTable, all pods"}
    for r in replays:
        print(
            f"  {names[r.kind]:28s} {r.rows:6d} {r.apply_ms:9.1f} {r.render_ms:10.1f} "
            f"{r.wall_ms:8.1f} {r.ui_cpu_ms:10.1f} {r.lines:6.0f}   (filled in "
            f"{r.fill_seconds:.1f} s)"
        )
    by_kind = {r.kind: r for r in replays}
    if "datatable" in by_kind:
        d = by_kind["datatable"]
        print(
            f"  ratio DataTable / ktui main screen, UI cpu per batch: "
            f"{d.ui_cpu_ms / live.ui_cpu_ms:5.1f}x"
        )
        if "live" in by_kind:
            lt = by_kind["live"]
            print(
                f"  ratio DataTable / LiveTable (both all pods), UI cpu per batch: "
                f"{d.ui_cpu_ms / lt.ui_cpu_ms:5.1f}x, wall per batch {d.wall_ms / lt.wall_ms:5.1f}x"
            )


if __name__ == "__main__":
    raise SystemExit(main())
