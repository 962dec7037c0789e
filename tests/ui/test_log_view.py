"""The log view widget on its own: lines merged by time keep the search's current match on the
line it was on."""

from __future__ import annotations

from textual.app import App, ComposeResult

from ktui.cluster.logs import LogLine, timestamp_key
from ktui.ui.widgets.log_view import LogView


def line(second: int, text: str, pod: str) -> LogLine:
    stamp = f"2026-11-24T12:00:{second:02d}Z"
    return LogLine(text, pod, stamp, timestamp_key(stamp))


class ViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(id="log")


async def test_the_current_match_stays_on_its_line_when_older_lines_are_merged_in() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(LogView)
        view.add_lines(
            [line(10, "GET /a", "aaaaa"), line(20, "GET /b", "aaaaa"), line(30, "GET /c", "aaaaa")],
            ordered=True,
        )
        view.set_search("get")
        assert view.jump(1) and view.jump(1)
        assert view.lines[view.current_line or 0].text == "GET /b"
        # Another pod's older lines arrive late: one matching before the current line.
        view.add_lines([line(5, "GET /early", "bbbbb"), line(15, "boot", "bbbbb")], ordered=True)
        await pilot.pause()
        assert [entry.text for entry in view.lines] == [
            "GET /early",
            "GET /a",
            "boot",
            "GET /b",
            "GET /c",
        ]
        assert view.lines[view.current_line or 0].text == "GET /b"
        assert view.current_match == 2
        # n from there goes on to the next line after it.
        assert view.jump(1)
        assert view.lines[view.current_line or 0].text == "GET /c"
