"""First rows on screen before the list ends: ktui's Pods view against the floor, in one run.

For each N in `--sizes` an API server runs in its own process (bench_list_watch's `serve`:
the bare embedded server, or `--server kube-apiserver` for v1.20.2 loaded with realistic
pods) with N pods. Then, `--repeats` rounds, each in fresh Python processes (imports done
before the clock starts, in both):

- the floor: the kubernetes client's ApiClient from the same kubeconfig, a paged list of every
  pod (`limit=500` + `continue`, as ktui and kubectl page) with `json.loads` of each page, and
  nothing else; wall time from before the first request to the last page parsed;
- ktui: the whole app (`make_app` in `run_test`, 160x50, all namespaces) switched to the Pods
  view (`:po`) before any data arrives; from before the connection is made to (up) the app
  running (Textual started, the caches' threads listing), (a) the first pod rows placed in
  the pane and (b) the last of all N rows placed, as the main screen's `pods_view_observer`
  sees them (the view places a batch's pods a chunk per loop turn; the rows are in the table
  then; the screen
  refresh that draws them follows on the next frame).

Printed: median of each, and the goal ratios: first rows after the app is up / 0.5 s,
complete / (1.2 x floor).
Nothing is asserted.

    .venv/bin/python bench/bench_first_paint.py [--sizes 1000,10000,100000] [--repeats 3]
    .venv/bin/python bench/bench_first_paint.py --server kube-apiserver --sizes 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list_watch import SimProcess, machine_note, tree_resident_mib

FIRST_ROWS_GOAL_S = 0.5
COMPLETE_GOAL_RATIO = 1.2


def floor_once(kubeconfig: str, pods: int) -> int:
    """(child) The raw paged list + parse; prints its wall seconds as JSON."""
    from urllib.parse import urlencode

    from kubernetes import config

    api = config.new_client_from_config(config_file=kubeconfig)
    headers = {"Accept": "application/json"}
    for auth in api.configuration.auth_settings().values():  # the bearer token, if any
        if auth.get("in") == "header" and auth.get("value"):
            headers[auth["key"]] = auth["value"]
    start = time.perf_counter()
    token: str | None = None
    seen = 0
    while True:
        query: dict[str, Any] = {"limit": 500}
        if token:
            query["continue"] = token
        url = f"{api.configuration.host}/api/v1/pods?{urlencode(query)}"
        response = api.call_api("GET", url, header_params=headers)
        response.read()
        page = json.loads(response.data)
        if "items" not in page:
            raise SystemExit(f"bench: the floor's list failed: {str(page)[:300]}")
        seen += len(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            break
    seconds = time.perf_counter() - start
    if seen != pods:
        raise SystemExit(f"bench: the floor listed {seen} pods, not {pods}")
    print(json.dumps({"complete": seconds}), flush=True)
    return 0


def ktui_once(kubeconfig: str, pods: int) -> int:
    """(child) The app in the Pods view; prints first-rows and complete seconds as JSON."""
    from bench_ui import wait_for

    from ktui.cluster.connection import connect
    from ktui.config import Config
    from ktui.gc_pacer import GcPacer
    from ktui.settings import Settings
    from ktui.ui.app import make_app
    from ktui.ui.commands import POD_VIEW
    from ktui.ui.screens.main import MainScreen

    async def run() -> dict[str, float]:
        start = time.perf_counter()
        settings = Settings(kubeconfig=kubeconfig, all_namespaces=True)
        connection = connect(settings)
        # As the CLI runs it: with the GC pacer (`ktui.gc_pacer`).
        app = make_app(settings, connection=connection, config=Config(), gc_pacer=GcPacer())
        seen: dict[str, float] = {}
        try:
            async with app.run_test(size=(160, 50)) as pilot:
                seen["up"] = time.perf_counter() - start
                screen = app.screen
                assert isinstance(screen, MainScreen)
                screen.show_kind(POD_VIEW)

                def observe(rows: int) -> None:
                    if rows and "first" not in seen:
                        seen["first"] = time.perf_counter() - start
                        seen["first_rows"] = rows
                    if rows >= pods and "complete" not in seen:
                        seen["complete"] = time.perf_counter() - start

                screen.pods_view_observer = observe
                await wait_for(pilot, lambda: "complete" in seen, "every pod row", 1200.0)
                screen.pods_view_observer = None
        finally:
            connection.close()
        return seen

    print(json.dumps(asyncio.run(run())), flush=True)
    return 0


def child(command: str, kubeconfig: str, pods: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, command, "--kubeconfig", kubeconfig, "--pods", str(pods)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: {command} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--server", choices=("bare", "kube-apiserver"), default="bare")
    commands = parser.add_subparsers(dest="command")
    for name in ("floor-once", "ktui-once"):
        sub = commands.add_parser(name, help="(internal) one measured child process")
        sub.add_argument("--kubeconfig", required=True)
        sub.add_argument("--pods", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "floor-once":
        return floor_once(args.kubeconfig, args.pods)
    if args.command == "ktui-once":
        return ktui_once(args.kubeconfig, args.pods)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"bench_first_paint: sizes {sizes}, server {args.server}, {args.repeats} rounds, "
        f"{machine_note()}",
        flush=True,
    )
    rows = []
    for pods in sizes:
        started = time.perf_counter()
        with SimProcess(pods, server=args.server) as sim:
            print(
                f"{pods} pods: server up after {time.perf_counter() - started:.0f} s, "
                f"resident memory of the server's processes {tree_resident_mib(sim.pid):.0f} MiB",
                flush=True,
            )
            floors, ups, firsts, completes, first_rows = [], [], [], [], []
            for _ in range(args.repeats):
                floors.append(child("floor-once", sim.kubeconfig, pods)["complete"])
                ours = child("ktui-once", sim.kubeconfig, pods)
                ups.append(ours["up"])
                firsts.append(ours["first"])
                completes.append(ours["complete"])
                first_rows.append(ours["first_rows"])
        rows.append(
            (
                pods,
                statistics.median(floors),
                statistics.median(ups),
                statistics.median(firsts),
                statistics.median(completes),
                statistics.median(first_rows),
            )
        )
    print()
    print(f"server: {args.server}; median of {args.repeats} fresh processes each")
    print("| pods | floor: paged list + parse s | ktui app up s | ktui first pod rows s (rows) "
          "| ktui complete s | (first - up) / 0.5 s | complete / (1.2 x floor) |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for pods, floor, up, first, complete, first_count in rows:
        print(
            f"| {pods:,} | {floor:.2f} | {up:.2f} | {first:.2f} ({first_count:,.0f}) "
            f"| {complete:.2f} | {(first - up) / FIRST_ROWS_GOAL_S:.2f}x "
            f"| {complete / (COMPLETE_GOAL_RATIO * floor):.2f}x |"
        )
    print(f"\n(at the end: {machine_note()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
