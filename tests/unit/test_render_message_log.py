"""ktui.render.message_log: the `:messages` rows, the whole-message line and the title."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from ktui.render.cells import TimeCell
from ktui.render.header import clock_time
from ktui.render.message_log import (
    LoggedMessage,
    message_cells,
    message_log_title,
    message_text,
)

AT = datetime(2026, 12, 6, 20, 31, 7, tzinfo=UTC)


def test_a_row_has_the_local_time_the_level_one_line_of_the_message_and_its_age() -> None:
    logged = LoggedMessage(3, AT, "error", "undo failed:\nforbidden", "rollout")
    time, level, message, age = message_cells(logged)
    assert time == clock_time(AT)
    assert isinstance(level, Text) and level.plain == "✖ error" and "red" in str(level.style)
    assert message == "rollout: undo failed: forbidden"
    assert isinstance(age, TimeCell) and age.moment == AT


def test_the_whole_message_keeps_its_lines_and_draws_control_characters_harmlessly() -> None:
    logged = LoggedMessage(1, AT, "warning", "bad\n\x1b[31mname")
    text = message_text(logged)
    assert text.plain == f"{clock_time(AT)}  ▲ warning  bad\n^[[31mname"
    assert message_cells(logged)[2] == "bad \x1b[31mname"  # the table escapes it as it draws


def test_the_title_counts_the_run_and_says_when_the_oldest_are_gone() -> None:
    assert message_log_title(0, 0).plain == "Messages  none yet"
    assert message_log_title(12, 0).plain == "Messages  12 this run"
    assert message_log_title(503, 3).plain == "Messages  503 this run · the oldest 3 no longer kept"
