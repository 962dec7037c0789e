"""LiveTable keeps its order by placing the rows a batch adds, moves or filters, instead of
sorting every row for every batch: after any sequence of batches, filters and sorts the order
must be exactly the one a full sort gives (the rule before the change)."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult

from ktui.ui.live_table import Column, LiveTable, Row, _sort_value
from ktui.view.row_filter import RowFilter

COLUMNS = [Column("name", "NAME", flexible=True), Column("status", "STATUS")]
STATUSES = ["Running", "Pending", "CrashLoopBackOff", "Completed", "Error"]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, empty_message="No pods.")


def expected(
    rows: dict[str, Row], filter_text: str, column: int, reverse: bool, labels: dict[str, str]
) -> list[str]:
    """The order by a full sort: the filter's rows by (the column's natural key, the name's
    when another column is sorted, key)."""
    row_filter = RowFilter.parse(filter_text)

    def shown(key: str) -> bool:
        text = "\t".join(str(cell) for cell in rows[key]).lower()
        return not row_filter.active or row_filter.matches(text, lambda: {"app": labels[key]})

    def order(k: str) -> tuple[object, ...]:
        name = _sort_value(rows[k][0]) if column else (0, ())
        return (_sort_value(rows[k][column]), name, k)

    keys = sorted((k for k in rows if shown(k)), key=order)
    return keys[::-1] if reverse else keys


def random_row(rng: random.Random) -> Row:
    return (f"pod-{rng.randrange(300)}-{rng.choice('abc')}", rng.choice(STATUSES))


async def test_the_order_after_random_batches_filters_and_sorts_is_a_full_sorts() -> None:
    rng = random.Random(1234)
    app = TableApp()
    async with app.run_test(size=(60, 12)):
        table = app.query_one(LiveTable)
        labels: dict[str, str] = {}
        table.labels_of = lambda key: {"app": labels[key]} if key in labels else None
        table.focus()
        rows: dict[str, Row] = {}
        filter_text = ""
        column, reverse = 0, False
        next_key = 0
        for step in range(400):
            action = rng.random()
            if action < 0.7:
                upserts: dict[str, Row] = {}
                for _ in range(rng.randrange(1, 40)):
                    next_key += 1
                    key = f"uid-{next_key}"
                    upserts[key] = random_row(rng)
                    labels[key] = rng.choice(["web", "db"])
                existing = list(rows)
                for key in rng.sample(existing, min(len(existing), rng.randrange(0, 20))):
                    if rng.random() < 0.5:
                        upserts[key] = (rows[key][0], rng.choice(STATUSES))  # stays in place
                    else:
                        upserts[key] = random_row(rng)  # moves
                # Sometimes many at once (the table then filters the order in one pass).
                count = rng.choice([0, 0, 3, 80]) if step % 7 else 0
                deletes = rng.sample(existing, min(len(existing), count))
                deletes = [k for k in deletes if k not in upserts]
                table.apply(upserts, deletes)
                rows.update(upserts)
                for key in deletes:
                    del rows[key]
            elif action < 0.8:
                filter_text = rng.choice(["", "pod-1", "running", "crash", "-l app=web", "b"])
                table.filter_text = filter_text
            elif action < 0.9:
                column = rng.randrange(2)
                reverse = rng.random() < 0.5
                table.sort_by(COLUMNS[column].key, reverse)
            else:
                # Labels change without a cell changing: the row enters or leaves `-l`.
                changed = rng.sample(list(rows), min(len(rows), 5))
                for key in changed:
                    labels[key] = "db" if labels[key] == "web" else "web"
                table.apply({key: rows[key] for key in changed})
            want = expected(rows, filter_text, column, reverse, labels)
            assert table.ordered_keys() == want, f"step {step}"
            if want:
                assert table.cursor_key in want
                assert table.cursor_index == want.index(table.cursor_key)
            else:
                assert table.cursor_key is None
