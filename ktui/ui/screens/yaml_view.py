"""Any object as highlighted YAML (`y`), and a concise kubectl-describe-like summary (`d`).

The cache keeps a slim projection of each object (`ktui.view.slim`), so both screens show the
whole object read from the server with one GET (`ktui.cluster.fetch.fetch_object`, in a thread
worker that posts an `ObjectFetched` message): one line, "loading Pod/web-1 from the server…",
until it arrives, and one line of error (kubectl's: `Error from server (NotFound): ...`, or why
the server could not be reached) if it cannot be read, with the app's retry key (ctrl+r), which
reads it again; the app keeps running either way. A read that failed for want of an answer (or
a 5xx) is tried again by itself when the object's watch is current again after being down. Both
follow the object live: a batch that changes it (a new resourceVersion) reads it again (one
request at a time, at most one a second), the last object read staying on screen meanwhile (and
after a deletion, with the title saying so). `metadata.managedFields` is never shown.

`/` searches the text (case-insensitive, as you type): the matches are marked, the view scrolls
to the first, `n`/`N` jump to the next/previous (wrapping) and the title says "match i of n".
Enter keeps the search; esc (or q) drops it, and only then goes back. The search stays
applied when the object changes.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from ktui.cluster.fetch import FetchError, fetch_object
from ktui.cluster.state import CacheState, LinkWatch
from ktui.cluster.watch import resource_version_of
from ktui.model.objects import kind_of, label_of, name_of, namespace_of
from ktui.render.describe import (
    CURRENT_MATCH_STYLE,
    describe,
    find_matches,
    highlight_text,
    object_yaml,
    yaml_matches,
    yaml_syntax,
)
from ktui.render.safe import safe_text
from ktui.ui.messages import ClusterChanged, RetryRequested
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.input import KtuiInput
from ktui.ui.widgets.safe import SafeStatic
from ktui.ui.widgets.scroll import Scroll

log = logging.getLogger(__name__)

Obj = dict[str, Any]

REFETCH_INTERVAL = 1.0
"""Seconds between two reads of a changing object (its first read is at once): a Deployment in
the middle of a rollout changes several times a second, and one GET a second is enough to
follow it."""


class ObjectFetched(Message):
    """A fetch worker's answer: the whole object (`obj`) or why it could not be read (`error`,
    one line; `status` the HTTP status of an error answer, None when the server did not
    answer). `serial` tells answers to an older request apart."""

    def __init__(
        self,
        serial: int,
        obj: Obj | None,
        error: str | None,
        status: int | None = None,
        lost_connection: bool = False,
    ) -> None:
        super().__init__()
        self.serial = serial
        self.obj = obj
        self.error = error
        self.status = status
        self.lost_connection = lost_connection
        """No answer for want of a working link (`FetchError.lost_connection`)."""


class ObjectScreen(InspectorScreen):
    """A screen about one object (by uid) that follows it live, its text searchable.

    `obj` is the cache's (slim) object: who it is and whether it still exists; `full` is the
    whole object as last read from the server, which the text is made from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="object.search", priority=True),
        # Enter in the search box, with priority: the focus leaves the box before the keys
        # typed after enter in the same burst (`/web` enter `n`) are routed to it.
        Binding("enter", "keep_search", "Keep search", show=False, priority=True),
        Binding("n", "jump(1)", "Next match", id="object.next_match"),
        Binding("N", "jump(-1)", "Prev match", id="object.previous_match"),
    ]
    DEFAULT_CSS = """
    ObjectScreen .object-title { height: 1; padding: 0 1; background: $panel; }
    ObjectScreen VerticalScroll { border: round $ktui-border-focus; padding: 0 1; }
    ObjectScreen #object-search {
        display: none; dock: bottom; margin-bottom: 1; border: tall $ktui-border-focus;
    }
    ObjectScreen #object-search.visible { display: block; }
    """

    def __init__(self, uid: str, *, fallback: Obj | None = None) -> None:
        super().__init__()
        self.object_uid = uid
        self.obj: Obj | None = fallback
        self.full: Obj | None = None
        """The whole object, as the last fetch read it (None until one succeeded)."""
        self.fetch_error: str | None = None
        """Why the last fetch failed (one line), None when it did not."""
        self.fetch_error_transient = False
        """The last fetch failed for want of an answer (or a 5xx): worth reading again once
        the object's watch is current again (`_follow_link`)."""
        self._link = LinkWatch()
        """The object's watch, to read a failed GET again when it heals (`_follow_link`), and
        the back-off before reading it again while the watch looks current."""
        self._link_retry: Timer | None = None
        self._unanswered = False
        """The last fetch got no answer for want of a working link (not an error answer, nor
        a TLS failure or an answer that is not an object: those do not go away by asking)."""
        self.fetches = 0
        """Fetches started (each one GET)."""
        self._fetching = False
        self._fetch_again = False
        self._waiting = False
        """A read is due after `REFETCH_INTERVAL` (a timer is set)."""
        self._fetch_started = 0.0
        self._asked_version = ""
        self.deleted = False
        self.search = ""
        self.match_count = 0
        self.current_match: int | None = None
        """Index of the match jumped to (0 = the first), None without a search."""

    def compose(self) -> ComposeResult:
        yield SafeStatic(classes="object-title", id="object-title")
        with Scroll(id="object-scroll"):
            yield SafeStatic(id="object-body")
        yield KtuiInput(placeholder="search…", id="object-search")
        yield KtuiFooter()

    def on_mount(self) -> None:
        found = self.ktui.model.objects.get(self.object_uid)
        if found is not None:
            self.obj = found
        self.deleted = found is None
        if self.obj is not None:
            self._link = LinkWatch(self.ktui.model.objects.states.get(kind_of(self.obj)))
        # At once, not deferred: a `/` queued behind the key that opened the screen focuses
        # the search box, and a deferred focus would take it back.
        self.set_focus(self.query_one("#object-scroll"))
        self.fetch()
        self.show()

    # ------------------------------------------------------------------ the whole object

    def fetch(self) -> None:
        """Read the whole object from the server: one request in flight at a time, at most one
        every `REFETCH_INTERVAL` s; asked again meanwhile, it reads once more after that."""
        obj = self.obj
        if obj is None or self._waiting:
            return
        if self._fetching:
            self._fetch_again = True
            return
        wait = self._fetch_started + REFETCH_INTERVAL - time.monotonic()
        if self.fetches and wait > 0:
            self._waiting = True
            self.set_timer(wait, self._fetch_due)
            return
        self._fetching = True
        self._fetch_again = False
        self._fetch_started = time.monotonic()
        self._asked_version = resource_version_of(obj)
        self.fetches += 1
        self._fetch_worker(self.fetches, kind_of(obj), str(obj.get("apiVersion") or ""), obj)

    def _fetch_due(self) -> None:
        self._waiting = False
        if not self.deleted:
            self.fetch()

    @work(thread=True, group="object-fetch", exit_on_error=False)
    def _fetch_worker(self, serial: int, kind: str, api_version: str, obj: Obj) -> None:
        api = self.ktui.connection.api_client
        try:
            full = fetch_object(api, kind, api_version, namespace_of(obj), name_of(obj))
        except FetchError as exc:
            answer = ObjectFetched(serial, None, exc.message, exc.status, exc.lost_connection)
            self.post_message(answer)
            return
        self.post_message(ObjectFetched(serial, full, None))

    @on(ObjectFetched)
    def _fetched(self, message: ObjectFetched) -> None:
        message.stop()
        if message.serial != self.fetches:
            return
        self._fetching = False
        if message.obj is not None:
            self.full = message.obj
            self.fetch_error = None
            self.fetch_error_transient = False
            self._link.answered()
        else:
            self.fetch_error = message.error
            self.fetch_error_transient = message.status is None or message.status >= 500
            self._unanswered = message.lost_connection
            if message.status is not None:
                self._link.answered()  # the link works: a next break waits 1 s
            if self._unanswered and self._link_retry is None:
                self._link_retry = self.set_timer(self._link.next_retry_s(), self._retry_due)
        if self.is_mounted:
            self.show()
        if self._fetch_again and not self.deleted:
            self.fetch()

    def _retry_due(self) -> None:
        """A read that got no answer is read again after a back-off (an error answer, a 503,
        waits for the watch's return or ctrl+r). The watch coming back reads it too
        (`_follow_link`), but the watch may never look down: it came back before the GET's
        error arrived, or only the GET's connection broke. While the watch is down, its
        return is the better moment."""
        self._link_retry = None
        failed = self.fetch_error is not None and self._unanswered
        if failed and not self._link.down and not self.deleted:
            self.fetch()

    def _retry_hint(self) -> str:
        key = self.ktui.key_for("app.retry")
        return f"  · {key} to retry" if key else ""

    def status_line(self) -> Text:
        """What the body says while there is no object to show: loading, or why not (and the
        key that reads it again)."""
        if self.fetch_error is not None:
            line = Text(self.fetch_error, style="bold red")
            line.append(self._retry_hint(), style="grey62")
            return line
        if self.obj is None:
            return Text("")
        return Text(f"loading {label_of(self.obj)} from the server…", style="grey62")

    @property
    def body(self) -> SafeStatic:
        return self.query_one("#object-body", SafeStatic)

    def show(self) -> None:
        if self.full is None:
            self.match_count = 0
            self._update_title()
            self.body.update(self.status_line())
            return
        self.render_body(self.full)

    def _update_title(self) -> None:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"{self.screen_name} ", style="bold")
        if self.obj is None:
            title.append("object not found in the cache", style="bold red")
            self.query_one("#object-title", SafeStatic).update(self.mark_read_only(title))
            return
        title.append(label_of(self.obj), style="bold cyan")
        if namespace_of(self.obj):
            title.append(f"  ns {namespace_of(self.obj)}", style="grey62")
        if self.deleted:
            last_known = ": showing its last known state" if self.full is not None else ""
            title.append(f"  ✖ deleted{last_known}", style="bold red")
        elif self.full is not None and self.fetch_error is not None:
            title.append(f"  ⚠ not refreshed: {self.fetch_error}", style="bold yellow")
            title.append(self._retry_hint(), style="grey62")
        if self.search:
            title.append(f"  /{self.search} ", style="yellow")
            if self.match_count and self.current_match is not None:
                title.append(f"match {self.current_match + 1} of {self.match_count}", "yellow")
            else:
                title.append("no match", style="bold yellow")
        self.query_one("#object-title", SafeStatic).update(self.mark_read_only(title))

    screen_name = ""

    def render_body(self, obj: Obj) -> None:
        """Build the object's text (kept on the screen), then `paint` it."""
        raise NotImplementedError

    def count_matches(self) -> int:
        """How many matches of `search` the text has."""
        raise NotImplementedError

    def marked(self, current: int | None) -> RenderableType:
        """The text with the matches of `search` marked, the `current`-th standing out."""
        raise NotImplementedError

    def paint(self, *, scroll: bool = False) -> None:
        """Show the text with the search applied; with `scroll`, bring the current match into
        view (a live re-render leaves the scroll position alone)."""
        self.match_count = self.count_matches() if self.search else 0
        if not self.match_count:
            self.current_match = None
        elif self.current_match is None:
            self.current_match = 0
        else:
            self.current_match = min(self.current_match, self.match_count - 1)
        renderable = self.marked(self.current_match)
        self.body.update(renderable)
        self._update_title()
        if scroll and self.current_match is not None:
            self.call_after_refresh(self._scroll_to_current, renderable)

    def _scroll_to_current(self, renderable: RenderableType) -> None:
        row = self._current_row(renderable)
        if row is None:
            return
        scroll = self.query_one("#object-scroll", Scroll)
        height = max(1, scroll.scrollable_content_region.height)
        scroll.scroll_to(y=max(0, row - height // 2), animate=False, immediate=True)

    def _current_row(self, renderable: RenderableType) -> int | None:
        """The line of the body the current match is drawn on (laid out as the body is)."""
        width = self.body.size.width
        if width <= 0:
            return None
        console = self.app.console
        options = console.options.update(width=width, height=None)
        target = Style.parse(CURRENT_MATCH_STYLE).bgcolor
        for row, line in enumerate(console.render_lines(renderable, options, pad=False)):
            if any(seg.style is not None and seg.style.bgcolor == target for seg in line):
                return row
        return None

    def action_search(self) -> None:
        search = self.query_one("#object-search", Input)
        search.value = self.search
        search.add_class("visible")
        # Focus now, not after the queued keys (`focus()` defers it): the keys typed in the
        # same burst as `/` (fast typing, tmux send-keys, a paste) belong in the box.
        self.set_focus(search)

    @on(Input.Changed, "#object-search")
    def _search_changed(self, message: Input.Changed) -> None:
        # Once enter kept the search (the box hidden), changes still on their way are stale.
        if message.value == self.search or not message.input.has_class("visible"):
            return
        self.search = message.value
        self.current_match = None
        if self.full is not None:
            self.paint(scroll=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keep_search":
            return self.is_mounted and self.focused is self.query_one("#object-search")
        return super().check_action(action, parameters)

    async def action_keep_search(self) -> None:
        """Enter while typing a search: keep it (the input may still hold keys typed before
        enter; the search is their text) and give the keys back to the text."""
        search = self.query_one("#object-search", KtuiInput)
        search.remove_class("visible")
        self.set_focus(self.query_one("#object-scroll"))
        await search.caught_up()
        if search.value != self.search:
            self.search = search.value
            self.current_match = None
            if self.full is not None:
                self.paint(scroll=True)

    def action_jump(self, step: int) -> None:
        if not self.search:
            self.action_search()
            return
        if not self.match_count:
            return
        if self.current_match is None:
            self.current_match = 0 if step > 0 else self.match_count - 1
        else:
            self.current_match = (self.current_match + step) % self.match_count
        self.paint(scroll=True)

    def action_close(self) -> None:
        # esc while typing a search drops it; once kept (enter), esc drops it first.
        search = self.query_one("#object-search", Input)
        if search.has_class("visible") or self.search:
            search.remove_class("visible")
            self.query_one("#object-scroll").focus()
            self.search = ""
            if self.full is not None:
                self.paint()
            else:
                self._update_title()
            return
        super().action_close()

    @on(RetryRequested)
    def _retry_requested(self, message: RetryRequested) -> None:
        # ctrl+r: a read that failed (the server was down, a 403 since fixed) is tried again.
        if self.fetch_error is not None and not self.deleted:
            self.fetch()

    def _follow_link(self, changed: dict[str, CacheState]) -> None:
        """When the object's watch is current again after being down or silent, a read that
        failed for want of an answer (most likely the same outage) is tried again."""
        if self.obj is None:
            return
        state = changed.get(kind_of(self.obj))
        if state is None:
            return
        healed = self._link.healed(state)
        failed = self.fetch_error is not None and self.fetch_error_transient
        if healed and failed and not self.deleted:
            self.fetch()

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        if batch.states:
            self._follow_link(batch.states)
        for objects in batch.upserts.values():
            changed = objects.get(self.object_uid)
            if changed is not None:
                self.obj = changed
                self.deleted = False
                if resource_version_of(changed) != self._asked_version:
                    self.fetch()  # changed on the server: read it again
                self.show()
                return
        if any(self.object_uid in uids for uids in batch.deletes.values()):
            self.deleted = True
            self.show()
            return
        self.on_other_changes(message)

    def on_other_changes(self, message: ClusterChanged) -> None:
        """A batch that did not change the object itself (its events may have changed)."""


class YamlScreen(ObjectScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "describe", "Describe", id="yaml.describe"),
    ]
    screen_name = "YAML"
    yaml_text = ""
    """The YAML shown ("" until the object is read from the server)."""

    def render_body(self, obj: Obj) -> None:
        self.yaml_text = object_yaml(obj)
        self.paint()

    def count_matches(self) -> int:
        return yaml_matches(self.yaml_text, self.search)

    def marked(self, current: int | None) -> RenderableType:
        return yaml_syntax(self.yaml_text, self.search, current)

    def action_describe(self) -> None:
        # In place of the YAML, for every kind (a pod too): esc goes back to where the YAML was
        # opened from (the pod screen, the main screen), never to another copy of it.
        self.app.switch_screen(DescribeScreen(self.object_uid, fallback=self.obj))


class DescribeScreen(ObjectScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "yaml", "YAML", id="describe.yaml"),
    ]
    screen_name = "Describe"
    describe_text = Text()
    """The description shown (empty until the object is read from the server)."""

    def on_mount(self) -> None:
        # Textual calls `ObjectScreen.on_mount` too (a handler of every class of the MRO that
        # defines one): calling it here as well read the object twice on every open.
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.full is not None:
            self.render_body(self.full)

    def render_body(self, obj: Obj) -> None:
        kind = kind_of(obj)
        events = self.ktui.model.objects.events_about([obj])
        children = self.ktui.model.objects.children(self.object_uid, "ReplicaSet")
        try:
            self.describe_text = describe(obj, kind, events, self.ktui.clock(), children)
        except Exception as exc:
            # An object the describer cannot print (a field of a type no API server sends) must
            # not take the app down: this runs in a message handler and every second from the
            # timer, where an uncaught exception exits the app. One line says so; the log has
            # the traceback for a bug report.
            log.exception("describe %s failed", kind)
            reason = " ".join(str(exc).split())[:200]
            self.describe_text = safe_text(  # the message may quote the object's values
                f"describe unavailable: {type(exc).__name__}" + (f": {reason}" if reason else ""),
                "bold red",
            )
        self.paint()

    def count_matches(self) -> int:
        return len(find_matches(self.describe_text.plain, self.search))

    def marked(self, current: int | None) -> RenderableType:
        return highlight_text(self.describe_text, self.search, current)[0]

    def on_other_changes(self, message: ClusterChanged) -> None:
        batch = message.batch
        if (batch.upserts.get("Event") or batch.deletes.get("Event")) and self.full is not None:
            self.render_body(self.full)

    def action_yaml(self) -> None:
        self.app.switch_screen(YamlScreen(self.object_uid, fallback=self.obj))
