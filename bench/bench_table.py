"""LiveTable vs Textual's DataTable under pod churn, measured side by side in one run.

Both tables hold 10,000 rows; each round updates 1,000 rows, removes 100 and adds 100 (a busy
cluster's batch), then repaints. Prints the time per round for each and the ratio.

    python bench/bench_table.py [--rows 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from ktui.ui.live_table import Column, LiveTable

COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE")


def make_row(i: int, generation: int) -> tuple[str, ...]:
    status = ("Running", "Pending", "CrashLoopBackOff")[(i + generation) % 3]
    return (f"pod-{i:05d}", "1/1", status, str(generation), f"{generation}m", f"node-{i % 50}")


class BenchApp(App[None]):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        if self.kind == "live":
            yield LiveTable([Column(c.lower(), c, flexible=(c == "NAME")) for c in COLUMNS])
        else:
            yield DataTable()


async def run(kind: str, rows: int, rounds: int, seed: int) -> float:
    rng = random.Random(seed)
    app = BenchApp(kind)
    async with app.run_test(size=(160, 50)) as pilot:
        if kind == "live":
            table = app.query_one(LiveTable)
            table.apply({f"k{i}": make_row(i, 0) for i in range(rows)})
        else:
            data = app.query_one(DataTable)
            keys = [data.add_column(c, key=c) for c in COLUMNS]
            data.add_rows([make_row(i, 0) for i in range(rows)])
            row_keys = list(data.rows)
            key_of = {i: row_keys[i] for i in range(rows)}
        await pilot.pause()
        live_ids = list(range(rows))
        next_id = rows
        elapsed = 0.0
        for generation in range(1, rounds + 1):
            updated = rng.sample(live_ids, 1000)
            removed = rng.sample(live_ids, 100)
            added = list(range(next_id, next_id + 100))
            next_id += 100
            start = time.perf_counter()
            if kind == "live":
                upserts = {f"k{i}": make_row(i, generation) for i in updated}
                upserts.update({f"k{i}": make_row(i, generation) for i in added})
                table.apply(upserts, [f"k{i}" for i in removed])
            else:
                with app.batch_update():
                    removed_set = set(removed)
                    for i in updated:
                        if i in removed_set:
                            continue
                        row = make_row(i, generation)
                        for column, value in zip(keys, row, strict=True):
                            data.update_cell(key_of[i], column, value)
                    for i in removed:
                        data.remove_row(key_of.pop(i))
                    for i in added:
                        key_of[i] = data.add_row(*make_row(i, generation))
            await pilot.pause()
            elapsed += time.perf_counter() - start
            removed_set = set(removed)
            live_ids = [i for i in live_ids if i not in removed_set] + added
    return elapsed / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    live = asyncio.run(run("live", args.rows, args.rounds, seed=1))
    data = asyncio.run(run("datatable", args.rows, args.rounds, seed=1))
    print(f"rows={args.rows} rounds={args.rounds} (1,000 updates + 100 removes + 100 adds each)")
    print(f"LiveTable  {live * 1000:9.1f} ms/round")
    print(f"DataTable  {data * 1000:9.1f} ms/round")
    print(f"ratio DataTable/LiveTable: {data / live:.1f}x")


if __name__ == "__main__":
    main()
