"""Memory of the cached pods vs the raw JSON of the same pods: whole objects vs the slim cache.

For each size N, N realistic pods (`ktui.sim.realistic`: an init container, a native sidecar and
two containers, env, probes, resources, volumes with the projected service-account token,
managedFields, Helm-style labels and annotations, one in four with a last-applied-configuration,
a Running status with its conditions and container statuses; about 14 KB of JSON each) are
served as the API server would: list pages of 500 (a PodList's JSON bytes). Each page is parsed
by the cache's own `ktui.cluster.watch.parse_list_page` and its objects are kept in a dict by
uid, as `ResourceCache` keeps them. Memory is measured with `tracemalloc` (the Python heap the
cache holds after a full `gc.collect()`, page bytes freed; interned strings and the projection's
shared parts included), not RSS. Every (N, mode) runs in a fresh Python process so that no
interned string or shared part of one run helps another.

Modes:
- `parsed`: the objects as `json.loads` returns them (what a client that keeps whole objects
  holds; managedFields included);
- `whole`: ktui's cache before the slim projection (`slim=False`: managedFields dropped);
- `slim`: ktui's cache now (`ktui.view.slim.slim_object`, shared parts and interned strings);
- `slim-unshared`: the same slim objects copied through JSON (nothing shared, nothing interned
  but the dict keys `json.loads` shares within a page): what the sharing and interning save.

Raw JSON is the compact JSON of the items (what the server sent, without the list envelope).
The projection's CPU cost is timed apart, without tracemalloc: `parse_list_page` of the same
pages with `slim=True` vs `slim=False`, microseconds per pod, best of 3.

    python bench/bench_memory.py [--pods 1000,10000,100000] [--whole-max 10000] [--replicas 10]

`--replicas` is the number of pods per Deployment (default 10: a 100,000-pod cluster of 10,000
Deployments); pods of one Deployment share their containers, labels and owner in the slim cache,
so fewer replicas cost more (`--replicas 1`: nothing shared but strings).

Whole objects take about 50-65 KB a pod in Python: `--whole-max` (default 10,000) skips the
`parsed`/`whole`/`slim-unshared` modes above it (100,000 whole pods would need ~6 GB).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ktui.cluster.watch import parse_list_page  # noqa: E402
from ktui.sim.realistic import _pieces, realistic_pod_json  # noqa: E402

PAGE = 500
MODES = ("parsed", "whole", "slim", "slim-unshared")
MB = 1_000_000


def pages(count: int, replicas: int) -> Any:
    """(page bytes, raw JSON bytes of its items) for `count` pods, 500 a page."""
    for start in range(0, count, PAGE):
        end = min(count, start + PAGE)
        items = [realistic_pod_json(i, replicas=replicas) for i in range(start, end)]
        raw = sum(len(item.encode()) for item in items)
        more = start + PAGE < count
        meta = {"resourceVersion": "2000000"}
        if more:
            meta["continue"] = f"token-{start + PAGE}"
            meta["remainingItemCount"] = count - start - PAGE  # type: ignore[assignment]
        body = (
            '{"kind":"PodList","apiVersion":"v1","metadata":'
            + json.dumps(meta, separators=(",", ":"))
            + ',"items":['
            + ",".join(items)
            + "]}"
        ).encode()
        yield body, raw


def measure_one(count: int, mode: str, replicas: int) -> dict[str, Any]:
    """Cache `count` pods in `mode`; the traced memory it holds."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    cache: dict[str, Any] = {}
    raw_total = 0
    started = time.perf_counter()
    for body, raw in pages(count, replicas):
        raw_total += raw
        if mode == "parsed":
            document = json.loads(body)
            for item in document["items"]:
                cache[item["metadata"]["uid"]] = item
            del document
            continue
        page = parse_list_page(body, kind="Pod", api_version="v1", slim=mode != "whole")
        if mode == "slim-unshared":
            cache.update((uid, json.loads(json.dumps(obj))) for uid, obj in page.items)
        else:
            cache.update(page.items)
        del page
    elapsed = time.perf_counter() - started
    del body  # the last page's bytes
    _pieces.cache_clear()  # the generator's own templates are not the cache's
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(cache) == count, (len(cache), count)
    return {
        "pods": count,
        "mode": mode,
        "raw": raw_total,
        "held": current - base,
        "peak": peak - base,
        "seconds": elapsed,
    }


def projection_cost(count: int, replicas: int) -> tuple[float, float]:
    """µs per pod of `parse_list_page` without and with the projection (best of 3)."""
    bodies = [body for body, _ in pages(count, replicas)]
    results = []
    for slim in (False, True):
        best = float("inf")
        for _ in range(3):
            gc.collect()
            started = time.perf_counter()
            for body in bodies:
                parse_list_page(body, kind="Pod", api_version="v1", slim=slim)
            best = min(best, time.perf_counter() - started)
        results.append(best / count * 1e6)
    return results[0], results[1]


def run_child(count: int, mode: str, replicas: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, __file__, "one", str(count), mode, str(replicas)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", default="1000,10000,100000")
    parser.add_argument("--whole-max", type=int, default=10_000)
    parser.add_argument("--cost-pods", type=int, default=5_000)
    parser.add_argument(
        "--replicas", type=int, default=10, help="pods per Deployment (shared templates)"
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.pods.split(",") if n]
    print(
        f"python {sys.version.split()[0]}; memory: tracemalloc (Python heap held), MB = 10^6 B; "
        f"{args.replicas} pods per Deployment"
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    rows: list[dict[str, Any]] = []
    for count in sizes:
        for mode in MODES:
            if mode != "slim" and count > args.whole_max:
                continue
            result = run_child(count, mode, args.replicas)
            rows.append(result)
            ratio = result["held"] / result["raw"]
            print(
                f"  {count:>7,} pods {mode:<14} held {result['held'] / MB:8.1f} MB "
                f"(raw JSON {result['raw'] / MB:7.1f} MB, ratio {ratio:.2f}x)"
                f" peak {result['peak'] / MB:8.1f} MB, {result['seconds']:.1f} s",
                flush=True,
            )
    print()
    print("| pods | raw JSON MB | " + " | ".join(f"{m} MB (x raw)" for m in MODES) + " |")
    print("| ---: | ---: | " + " | ".join("---:" for _ in MODES) + " |")
    for count in sizes:
        found = {r["mode"]: r for r in rows if r["pods"] == count}
        raw = found["slim"]["raw"]
        cells = []
        for mode in MODES:
            r = found.get(mode)
            cells.append(
                "-" if r is None else f"{r['held'] / MB:,.1f} ({r['held'] / r['raw']:.2f}x)"
            )
        print(f"| {count:,} | {raw / MB:,.1f} | " + " | ".join(cells) + " |")
    print()
    per_pod = {r["mode"]: r["held"] / r["pods"] for r in rows if r["pods"] == max(sizes)}
    print(
        "bytes per pod at the largest size: "
        + ", ".join(f"{m} {v:,.0f}" for m, v in per_pod.items())
    )
    whole_us, slim_us = projection_cost(args.cost_pods, args.replicas)
    print(
        f"parse_list_page CPU per pod ({args.cost_pods:,} pods, best of 3, no tracemalloc): "
        f"whole {whole_us:.0f} µs, slim {slim_us:.0f} µs (projection +{slim_us - whole_us:.0f} µs)"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "one":
        print(json.dumps(measure_one(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
    else:
        main()
