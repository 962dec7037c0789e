"""The Pods view's per-pod work, stage by stage, against `json.loads` of the same pod.

N realistic pods (`ktui.sim.realistic`: Deployments of 10 pods over 20 namespaces and 200
nodes, Running and Ready, as the API server returns them) go through what the app does to each
pod it receives, one stage at a time, each timed with `time.perf_counter` over the whole loop of
N pods (best of 3):

- json.loads: parsing the pod's JSON text (the floor: the least any client pays per pod);
- slim_object: what the watch thread keeps of it (`ktui.view.slim`);
- pod_facts: what the batcher thread reads ahead of it (`ktui.model.read_ahead`), kubectl's
  printed STATUS memo (`view.pod._PRINTED`) cleared first: every pod is new;
- pod_view_cells: its row of cells in the Pods view (all namespaces), on the event loop, after
  pod_facts as in the app (the STATUS memo holds these pod objects);
- pod_view_cells (memo cold): the same with the memo cleared first (a caller without read-ahead);
- LiveTable.apply: the N rows applied to an empty `LiveTable` of the Pods view's columns
  (constructed headless, no app: keyed diff, widths, sort), per row.

Printed: us per pod for each stage and its ratio to json.loads. Nothing is asserted.

    python bench/bench_rows.py [--pods 10000]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from ktui.model.read_ahead import pod_facts
from ktui.render.panes import pod_view_cells, pod_view_columns
from ktui.sim.realistic import realistic_pod_json
from ktui.ui.live_table import LiveTable, Row
from ktui.view import pod as view_pod
from ktui.view.slim import slim_object

REPEATS = 3


def best(run: Callable[[], None], before: Callable[[], None] | None = None) -> float:
    """The shortest of REPEATS runs, in seconds; `before` runs untimed ahead of each."""
    times = []
    for _ in range(REPEATS):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    args = parser.parse_args()
    n = args.pods
    texts = [realistic_pod_json(i) for i in range(n)]
    parsed = [json.loads(text) for text in texts]
    pods = [slim_object(obj) for obj in parsed]
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    results: list[tuple[str, float]] = []

    def parse() -> None:
        for text in texts:
            json.loads(text)

    def slim() -> None:
        for obj in parsed:
            slim_object(obj)

    results.append(("json.loads", best(parse)))
    results.append(("slim_object", best(slim)))

    def facts() -> None:
        for pod in pods:
            pod_facts(pod)

    results.append(("pod_facts", best(facts, view_pod._PRINTED.clear)))

    rows: dict[str, Row] = {}

    def cells() -> None:
        rows.clear()
        for pod in pods:
            rows[pod["metadata"]["uid"]] = pod_view_cells(pod, now, all_namespaces=True)

    results.append(("pod_view_cells", best(cells, facts)))
    results.append(("pod_view_cells (memo cold)", best(cells, view_pod._PRINTED.clear)))

    tables: list[LiveTable] = []

    def new_table() -> None:
        tables.clear()
        table = LiveTable(pod_view_columns(True))
        table.clock = lambda: now
        tables.append(table)

    results.append(("LiveTable.apply", best(lambda: tables[0].apply(rows), new_table)))

    floor = results[0][1]
    print(f"{n:,} realistic pods, best of {REPEATS}")
    print(f"{'stage':<28} {'us/pod':>8} {'x json.loads':>13}")
    for name, seconds in results:
        print(f"{name:<28} {seconds / n * 1e6:8.1f} {seconds / floor:12.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
