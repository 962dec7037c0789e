"""Rich renderings of the view layer's values: coloured statuses, phase bars, container badges.

The view layer decides *what* a pod or workload is; this module decides how it looks. Colours
are chosen so that state reads without reading: green is fine, blue is on its way, yellow needs
a look, red is broken, grey is finished or unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from ktui.cluster.kinds import short_name
from ktui.view.age import since
from ktui.view.pod import BadgeKey, BadgeState, ContainerBadge, Phase, Severity
from ktui.view.stuck import StuckReason
from ktui.view.workload import Health, phase_bar

PHASE_STYLE: Mapping[Phase, str] = {
    Phase.RUNNING: "green",
    Phase.SUCCEEDED: "bright_black",
    Phase.PENDING: "dodger_blue1",
    Phase.FAILED: "red",
    Phase.UNKNOWN: "magenta",
}

SEVERITY_STYLE: Mapping[Severity, str] = {
    Severity.OK: "green",
    Severity.DONE: "bright_black",
    Severity.PROGRESS: "dodger_blue1",
    Severity.WARNING: "yellow",
    Severity.ERROR: "bold red",
}

HEALTH_STYLE: Mapping[Health, str] = {
    Health.HEALTHY: "green",
    Health.PROGRESSING: "dodger_blue1",
    Health.DEGRADED: "yellow",
    Health.PAUSED: "magenta",
    Health.COMPLETE: "bright_black",
    Health.FAILED: "bold red",
    Health.SUSPENDED: "bright_black",
    Health.UNKNOWN: "bright_black",
}

HEALTH_GLYPH: Mapping[Health, str] = {
    Health.HEALTHY: "●",
    Health.PROGRESSING: "◐",
    Health.DEGRADED: "▲",
    Health.PAUSED: "‖",
    Health.COMPLETE: "✔",
    Health.FAILED: "✖",
    Health.SUSPENDED: "◌",
    Health.UNKNOWN: "?",
}

BADGE_STYLE: Mapping[BadgeState, str] = {
    BadgeState.WAITING: "dodger_blue1",
    BadgeState.ERROR: "bold red",
    BadgeState.CRASHLOOP: "bold red",
    BadgeState.RUNNING: "yellow",
    BadgeState.READY: "green",
    BadgeState.TERMINATING: "magenta",
    BadgeState.SUCCEEDED: "bright_black",
    BadgeState.FAILED: "red",
}

# Init containers are squares (they run once), sidecars diamonds (they run beside the app),
# regular containers circles: filled when running and ready, hollow when running but not ready.
BADGE_SHAPE: Mapping[str, tuple[str, str]] = {
    "init": ("■", "□"),
    "sidecar": ("◆", "◇"),
    "main": ("●", "○"),
}

# Every other state has its own mark, whatever the group, so that a reader who cannot tell the
# colours apart (or a monochrome terminal) still can: done ✔, failed ✖, waiting …, crash loop ↻,
# cannot start (image pull, config) !, going away ◌. Groups stay apart by position and "│".
BADGE_MARK: Mapping[BadgeState, str] = {
    BadgeState.SUCCEEDED: "✔",
    BadgeState.FAILED: "✖",
    BadgeState.WAITING: "…",
    BadgeState.CRASHLOOP: "↻",
    BadgeState.ERROR: "!",
    BadgeState.TERMINATING: "◌",
}

BADGE_SEPARATOR = "│"
"""Drawn between groups (init, sidecar, app containers) in a row of badges."""


def badge_glyph(group: str, state: BadgeState) -> str:
    """The one character of a container badge: a state mark, or the group's shape while the
    container runs (filled when ready, hollow when not)."""
    mark = BADGE_MARK.get(state)
    if mark is not None:
        return mark
    filled, hollow = BADGE_SHAPE.get(group, ("●", "○"))
    return filled if state is BadgeState.READY else hollow


@dataclass(frozen=True)
class TimeCell:
    """A cell whose text depends on the current time (ages, "3 (45s ago)").

    Rendered when drawn, so ages keep ticking by repainting only the visible lines.
    """

    moment: datetime | None
    render: Callable[[datetime | None, datetime], str] = since
    style: str = ""

    def text(self, now: datetime) -> Text:
        return Text(self.render(self.moment, now), style=self.style)

    @property
    def sort_value(self) -> float:
        # Older first when sorting ascending by AGE means larger age first: sort on -timestamp.
        return -self.moment.timestamp() if self.moment else float("inf")


def restarts_since(count: int) -> Callable[[datetime | None, datetime], str]:
    return _RestartsText(count)


@dataclass(frozen=True)
class _RestartsText:
    count: int

    def __call__(self, last: datetime | None, now: datetime) -> str:
        if self.count == 0 or last is None:
            return str(self.count)
        return f"{self.count} ({since(last, now)} ago)"


def deployed_since(witnessed: bool) -> Callable[[datetime | None, datetime], str]:
    """A DEPLOYED cell's text: the age, with a `*` when it is only the creation time."""
    return _DeployedText(witnessed)


@dataclass(frozen=True)
class _DeployedText:
    witnessed: bool

    def __call__(self, moment: datetime | None, now: datetime) -> str:
        text = since(moment, now)
        return text if self.witnessed or moment is None else f"{text}*"


def status_text(status: str, severity: Severity) -> Text:
    return Text(status, style=SEVERITY_STYLE[severity])


def health_text(health: Health, problem: StuckReason | None = None) -> Text:
    """The HEALTH cell; a rollout that is stuck (not merely held) says why, shortly:
    "✖ stuck: ImagePullBackOff"."""
    if problem is not None and not problem.held:
        return Text(f"{HEALTH_GLYPH[Health.FAILED]} stuck: {problem.reason}", style="bold red")
    return Text(f"{HEALTH_GLYPH[health]} {health.value}", style=HEALTH_STYLE[health])


def fit_health_text(text: Text, width: int) -> Text:
    """HEALTH in a column too narrow for its widest cell: a stuck rollout keeps its mark and its
    reason and drops the word "stuck" ("✖ ImagePullBackOff"), so the reason is what the column
    cuts last. Other health words stay as they are."""
    glyph = HEALTH_GLYPH[Health.FAILED]
    prefix = f"{glyph} stuck: "
    if not text.plain.startswith(prefix):
        return text
    fitted = Text(f"{glyph} ", style=text.style)
    fitted.append_text(text[len(prefix) :])  # the reason's own spans (escapes drawn reversed)
    return fitted


def short_kind_text(text: Text, width: int) -> Text:
    """KIND in a column too narrow for its widest cell: every kind by kubectl's short name
    ("deploy", "sts", "cj", "job"), so the rows read alike."""
    short = short_name(text.plain)
    return text if short == text.plain else Text(short, style=text.style)


def restart_count_text(text: Text, width: int) -> Text:
    """RESTARTS in a column too narrow for its widest cell: the count, without "(28s ago)"."""
    count, _, ago = text.plain.partition(" (")
    return text if not ago else text[: len(count)]


_PHASE_OF_STYLE: Mapping[str, Phase] = {style: phase for phase, style in PHASE_STYLE.items()}


def fit_phase_bar(text: Text, width: int) -> Text:
    """A PODS cell (`phase_bar_text`) in a column of `width` cells: the bar gives up cells, its
    segments keeping their shares (every phase keeps a cell while there is one for it), and the
    pod count stays whole. Counts of up to 3 digits leave bars of one length, so the bars of a
    column line up; with no room for a bar, the count alone."""
    plain = text.plain
    if " " not in plain:
        return text
    split = plain.rindex(" ")
    count = text[split + 1 :]
    digits = len(count.plain)
    bar_width = min(split, width - 1 - max(digits, 3))
    if bar_width <= 0 and width - 1 - digits > 0:
        bar_width = width - 1 - digits
    if bar_width <= 0:
        return count
    if bar_width == split:
        return text
    shares: dict[Phase, int] = {}
    for span in text.spans:
        phase = _PHASE_OF_STYLE.get(str(span.style))
        # The dotted bar of no pods shares its grey with Succeeded: only "█" cells are pods.
        if phase is not None and span.start < split and plain[span.start] == "█":
            shares[phase] = shares.get(phase, 0) + min(span.end, split) - span.start
    fitted = Text(no_wrap=True)
    segments = phase_bar(shares, bar_width)
    if not segments:
        fitted.append("·" * bar_width, style="bright_black")
    for phase, cells in segments:
        fitted.append("█" * cells, style=PHASE_STYLE[phase])
    fitted.append(" ")
    fitted.append_text(count)
    return fitted


def phase_bar_text(counts: Mapping[Phase, int], width: int = 12) -> Text:
    """A bar of `width` cells split by pod phase, then the pod count."""
    text = Text(no_wrap=True)
    segments = phase_bar(counts, width)
    if not segments:
        text.append("·" * width, style="bright_black")
    for phase, cells in segments:
        text.append("█" * cells, style=PHASE_STYLE[phase])
    total = sum(counts.values())
    text.append(f" {total}", style="bold" if total else "bright_black")
    return text


def badges_text(badges: tuple[ContainerBadge, ...] | list[ContainerBadge]) -> Text:
    """One glyph per container, in the order given (groups in spec order, separated by "│"):
    the shape says the group while it runs, a mark says any other state, colour repeats it."""
    return badge_keys_text(tuple((badge.group, badge.state) for badge in badges))


_BADGES_TEXT: dict[tuple[BadgeKey, ...], Text] = {}
"""(group, state) of each badge -> its text: pods of a workload mostly draw the same few."""
_BADGES_TEXT_LIMIT = 1024


def badge_keys_text(keys: tuple[BadgeKey, ...]) -> Text:
    """`badges_text` of badges with these (group, state) (`ktui.view.pod.badge_keys`): a new
    `Text` (a copy of the one built the first time; the caller may change it)."""
    text = _BADGES_TEXT.get(keys)
    if text is None:
        text = Text(no_wrap=True)
        previous_group = None
        for group, state in keys:
            if previous_group is not None and group != previous_group:
                text.append(BADGE_SEPARATOR, style="bright_black")
            previous_group = group
            text.append(badge_glyph(str(group), state), style=BADGE_STYLE[state])
        if len(_BADGES_TEXT) >= _BADGES_TEXT_LIMIT:
            _BADGES_TEXT.clear()
        _BADGES_TEXT[keys] = text
    return text.copy()


def dim(value: str) -> Text:
    # "dim" rather than a grey colour: it stays readable on the cursor row's background.
    return Text(value, style="dim")
