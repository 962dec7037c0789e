"""The app factory: one `make_app` used by the CLI, the demo, tests, snapshots and screenshots."""

from __future__ import annotations

import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.cache import ClusterCache
from ktui.cluster.connection import Connection
from ktui.config import Config, effective_settings, load_config_or_warning, namespace_override
from ktui.gc_pacer import GcPacer
from ktui.model.read_ahead import BatchFacts, read_ahead
from ktui.model.workloads import WorkloadTree
from ktui.paths import ensure_dir, screenshots_dir
from ktui.render.message_log import MESSAGE_LOG_LIMIT, LoggedMessage, WatchLog
from ktui.render.safe import visible
from ktui.settings import Settings
from ktui.ui.messages import BatchArrived, ClusterChanged, RetryRequested, ScopeChanged
from ktui.ui.palette import KtuiCommands
from ktui.ui.screens.events import EventsScreen
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.message_log import MessageLogScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.revision_logs import RevisionLogsScreen
from ktui.ui.screens.rollout import RolloutScreen
from ktui.ui.screens.yaml_view import DescribeScreen, YamlScreen
from ktui.ui.theme_colors import border_variables

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
CacheFactory = Callable[[Connection, Callable[[ChangeBatch], None]], ClusterCache]


def default_cache_factory(
    connection: Connection, on_batch: Callable[[ChangeBatch], None]
) -> ClusterCache:
    # wait_for_ack: the next batch is built only once the main screen has drawn this one, so a
    # slow repaint makes batches larger, never a queue of messages.
    return ClusterCache(
        connection.api_client, connection.namespace, on_batch=on_batch, wait_for_ack=True
    )


Obj = dict[str, Any]

POD_DETAIL_SCREEN = "pod-detail"
"""The name the kept pod screen is installed under."""

TIMELINE_INTERVAL = 1.0
"""Seconds between two timeline entries of one workload at least (`WorkloadTree`)."""
TIMELINE_BUDGET = 0.005
"""Seconds of timeline recording per batch or tick at most (`WorkloadTree.timeline_budget`):
what a key may wait behind it."""
TIMELINE_TICK = 0.2
"""Seconds between the timer's calls that record what the budget left due."""


TOAST_SECONDS: dict[SeverityLevel, float] = {"information": 5, "warning": 5, "error": 8}
"""How long a toast stays (unless its caller says otherwise): Textual's 5 s, errors a little
longer (they carry the server's reason). A toast also goes when the user leaves the screen it
was raised on (`KtuiApp._screen_changed`)."""


@dataclass(frozen=True)
class RaisedToast:
    """A toast as ktui raised it: which screen it is about (None: the app, e.g. a config
    warning at start), and until when it shows (time.monotonic)."""

    screen: weakref.ReferenceType[Screen[Any]] | None
    """The screen, weakly: a toast does not keep a closed screen alive until it is pruned."""
    message: str
    title: str
    severity: SeverityLevel
    until: float


class KtuiApp(App[int], inherit_bindings=False):
    """Holds the connection and the live cache; screens render what the cache holds."""

    COMMANDS: ClassVar[set[Any]] = {*App.COMMANDS, KtuiCommands}

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "ktui"
    BINDINGS: ClassVar[list[BindingType]] = [
        # ctrl+c quits at once on every screen, in inputs too; `q` goes back (on the main
        # screen it asks once: `MainScreen.action_quit`).
        Binding("ctrl+c", "quit", "Quit", priority=True, id="app.quit"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, id="app.palette"),
        Binding("ctrl+r", "retry", "Retry", show=False, id="app.retry"),
        Binding("exclamation_mark", "problems", "Problems", show=False, id="app.problems"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        connection: Connection,
        cache_factory: CacheFactory = default_cache_factory,
        clock: Clock | None = None,
        switch_context: Callable[[str], Connection] | None = None,
        config: Config | None = None,
        config_warning: str | None = None,
        gc_pacer: GcPacer | None = None,
    ) -> None:
        super().__init__()
        self.gc_pacer = gc_pacer
        """Keeps full GC collections off the cache (the CLI's app has one; tests run without:
        freezing would keep every test's app alive)."""
        self.config = config or Config()
        self.config_warning = config_warning
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))
        self.settings = settings
        self.connection = connection
        self.cache_factory = cache_factory
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._switch_context = switch_context or (lambda name: self.connection.for_context(name))
        self.timeline_interval = TIMELINE_INTERVAL
        """Seconds between two timeline entries of one workload at least (0: every batch)."""
        self.cluster: ClusterCache | None = None
        """The running watch caches; screens never read them (they read `model`)."""
        self.model = self._new_model()
        """What the screens show, fed only by the batches of the current cache."""
        self.generation = 0
        """Bumped on every namespace/context switch, so late batches of an old cache are ignored."""
        self.toasts: list[RaisedToast] = []
        """The toasts raised (pruned as they expire): leaving a screen removes its own."""
        self.watch_log = WatchLog()
        """What `:messages` keeps of the watches' outages and refusals."""
        self.message_log: deque[LoggedMessage] = deque(maxlen=MESSAGE_LOG_LIMIT)
        """Every toast of this run, kept after it went (`:messages`), the newest last."""
        self._top_screen: Screen[Any] | None = None
        """The screen on top before the last screen change."""
        self._pod_detail: PodDetailScreen | None = None
        """The pod screen, kept once opened and retargeted on every open (`_pod_detail_on`)."""
        if self.settings.readonly:
            self.sub_title = "read-only"

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables plus `$ktui-border` / `$ktui-border-focus`, computed from the
        theme so that borders are readable in every theme (see `ktui.ui.theme_colors`)."""
        variables = super().get_css_variables()
        variables.update(border_variables(variables))
        self.theme_variables = variables
        return variables

    @property
    def readonly(self) -> bool:
        return self.settings.readonly

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast about the screen on top, always as plain text with its control and bidi
        characters escaped; it goes after `TOAST_SECONDS` or when the user leaves that screen.

        Toasts carry server messages and object names (`Widget.notify` lands here too), so
        `markup` is ignored: a name with `[` is not markup and an ESC is not sent to the terminal.
        """
        screen = self.screen if self.screen_stack else None
        self._toast(screen, message, title, severity, timeout)

    def notify_app(
        self, message: str, *, severity: SeverityLevel = "information", timeout: float = 10
    ) -> None:
        """A toast about the app, not the screen on top (a config or transport warning at
        start): it stays through screen changes, for `timeout` seconds."""
        self._toast(None, message, "", severity, timeout)

    def log_message(self, message: str, severity: SeverityLevel, title: str = "") -> None:
        """Record `message` in `:messages` without a toast: for what a screen shows in itself
        (the rollout screen's outcome line), which would otherwise never be kept."""
        # The log keeps the words as said (`:messages` escapes them as it draws, its whole
        # line keeping the line breaks).
        serial = self.message_log[-1].serial + 1 if self.message_log else 1
        logged = LoggedMessage(serial, self.clock(), severity, message, title)
        self.message_log.append(logged)
        for shown in self.screen_stack:  # under a dialog (`?`) too
            if isinstance(shown, MessageLogScreen):
                shown.call_later(shown.add, logged)

    def _toast(
        self,
        screen: Screen[Any] | None,
        message: str,
        title: str,
        severity: SeverityLevel,
        timeout: float | None,
    ) -> None:
        seconds = TOAST_SECONDS[severity] if timeout is None else timeout
        now = time.monotonic()
        self.log_message(message, severity, title)
        # The toast shows the words escaped, on one line each.
        message, title = visible(message), visible(title)
        self.toasts = [t for t in self.toasts if t.until > now]
        about = weakref.ref(screen) if screen is not None else None
        self.toasts.append(RaisedToast(about, message, title, severity, now + seconds))
        super().notify(message, title=title, severity=severity, timeout=seconds, markup=False)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        """The user left the screen that was on top: its toasts go (they were about it and
        would cover the next one). A dialog opened over a screen does not leave it."""
        left, self._top_screen = self._top_screen, screen
        if left is None or left is screen:
            return
        if isinstance(screen, ModalScreen) and left in self.screen_stack:
            return
        now = time.monotonic()
        alive = [t for t in self.toasts if t.until > now]
        self.toasts = [t for t in alive if t.screen is None or t.screen() is not left]
        if len(self.toasts) == len(alive):
            return
        # Textual removes toasts all at once only: the others are shown again, for what is
        # left of their time.
        self.clear_notifications()
        for toast in self.toasts:
            super().notify(
                toast.message,
                title=toast.title,
                severity=toast.severity,
                timeout=toast.until - now,
                markup=False,
            )

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._screen_changed)
        self.push_screen(MainScreen())
        # Timeline entries held back by the interval are recorded even when no batch follows.
        self.set_interval(TIMELINE_TICK, lambda: self.model.record_due_timeline())
        if self.gc_pacer is not None:
            self.set_interval(self.gc_pacer.interval, self.gc_pacer.tick)
        self.start_cluster()
        self._apply_config()

    def _apply_config(self) -> None:
        theme = self.config.theme
        if theme is not None and theme in self.available_themes:
            self.theme = theme
        elif theme is not None:
            known = ", ".join(sorted(self.available_themes))
            self.notify_app(f"Config: unknown theme {theme!r} (known: {known})", severity="warning")
        if self.config_warning:
            self.notify_app(self.config_warning, severity="warning")
        if self.connection.transport_warning:
            self.notify_app(self.connection.transport_warning, severity="warning")

    # ------------------------------------------------------------------ cluster lifecycle

    def start_cluster(self, *, keep_history: bool = False) -> None:
        """Start watching `connection`'s scope with a new model. `keep_history`: the same
        cluster in another scope (a namespace switch), so the new model goes on from what the
        old one saw (rollout timelines, deploys seen), not from the moment of the switch."""
        self.generation += 1
        generation = self.generation

        def on_batch(batch: ChangeBatch) -> None:
            # On the batcher thread: read what the model needs of each object (pure, never the
            # model: see `ktui.model.read_ahead`), then post both in one message; the event
            # loop is free meanwhile. The batcher builds the next batch once the main screen
            # acks this one (ClusterChanged.ack), so batches grow, messages never queue.
            try:
                facts: BatchFacts | None = read_ahead(batch)
            except Exception:  # never lose the batch: the model reads it again on the loop
                log.exception("reading batch %d ahead failed", batch.sequence)
                facts = None
            self.post_message(BatchArrived(generation, batch, facts))

        previous, self.model = self.model, self._new_model()
        if keep_history:
            self.model.keep_history_of(previous)
        else:  # another cluster: its outages are its own
            self.watch_log = WatchLog()
        self.cluster = self.cache_factory(self.connection, on_batch)
        # The states the header shows before the first batch (every kind "syncing").
        self.model.objects.states.update(self.cluster.states())
        self.cluster.start()

    def _new_model(self) -> WorkloadTree:
        model = WorkloadTree(self.clock, timeline_interval=self.timeline_interval)
        model.timeline_budget = TIMELINE_BUDGET if self.timeline_interval > 0 else None
        return model

    @on(BatchArrived)
    def _batch_arrived(self, message: BatchArrived) -> None:
        cluster = self.cluster
        # The one generation check: a batch of a cache replaced by a namespace or context
        # switch is dropped here, so screens only ever see batches of the current model.
        if message.generation != self.generation or cluster is None:
            return
        changes = self.model.apply(message.batch, message.facts)
        if message.batch.states:
            # An outage's start and end, a refusal: kept in `:messages` (the header shows the
            # watches' state now, not when the link broke nor for how long).
            states = self.model.objects.states
            for severity, said in self.watch_log.said(message.batch.states, states, self.clock()):
                self.log_message(said, severity)
        for screen in self._ktui_screens():
            screen.post_message(ClusterChanged(message.batch, changes, cluster.ack_batch))

    def _ktui_screens(self) -> list[Screen[Any]]:
        """The screen stack without Textual's own blank screen at its bottom (under the main
        screen). That one shows nothing of ours, and a message to it cost a repaint of the whole
        top screen per batch: once it went idle, Textual handed its pending repaint, as a
        screen below the top one, to the top screen (every line redrawn, not only the changed
        ones)."""
        return [screen for screen in self.screen_stack if type(screen) is not Screen]

    def stop_cluster(self) -> None:
        cluster, self.cluster = self.cluster, None
        if cluster is not None:
            # Stopping joins the watch threads; do it off the event loop.
            self.run_worker(lambda: cluster.stop(), thread=True, group="stop-cluster")

    def set_namespace(self, namespace: str | None) -> None:
        """Switch the namespace scope (None: all namespaces) without a restart."""
        self.stop_cluster()
        self.connection = self.connection.with_namespace(namespace)
        self.start_cluster(keep_history=True)
        self._announce_scope()

    def set_context(self, name: str) -> None:
        try:
            connection = self._switch_context(name)
        except Exception as exc:  # one line, whatever went wrong
            from ktui.cluster.errors import describe_api_error

            self.notify(describe_api_error(exc), severity="error")
            return
        self.stop_cluster()
        previous, self.connection = self.connection, connection
        if previous.api_client is not connection.api_client:
            self.call_later(previous.close)
        self.start_cluster()
        self._announce_scope(new_cluster=True)

    def _announce_scope(self, *, new_cluster: bool = False) -> None:
        if self.gc_pacer is not None:
            # The old cache and model (every object of the old scope) were frozen while
            # alive; what of them dies in cycles waits for a full collection.
            self.gc_pacer.collect_soon()
        for screen in self._ktui_screens():
            screen.post_message(ScopeChanged(new_cluster))

    def on_unmount(self) -> None:
        cluster, self.cluster = self.cluster, None
        if cluster is not None:
            cluster.stop()
        if self.gc_pacer is not None:
            self.gc_pacer.stop()

    def pop_screen(self) -> AwaitComplete:
        self._screen_closing(self.screen)
        return super().pop_screen()

    def switch_screen(self, screen: Screen[Any] | str) -> AwaitComplete:
        self._screen_closing(self.screen)
        return super().switch_screen(screen)

    def _screen_closing(self, screen: Screen[Any]) -> None:
        # The kept pod screen is not removed when it closes: nothing of it to collect.
        if self.gc_pacer is not None and not self.is_screen_installed(screen):
            self.gc_pacer.screen_closed()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.gc_pacer is not None:
            # A full collection waits for a moment without keys.
            self.gc_pacer.key_pressed()
        await super().on_event(event)

    def key_for(self, binding_id: str) -> str | None:
        """The key (as shown to people) bound to the app binding `binding_id`, after the
        config file's keymap."""
        remapped = self.config.keymap.get(binding_id)
        if remapped:
            return self.get_key_display(Binding(remapped.split(",")[0], ""))
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id == binding_id:
                return self.get_key_display(Binding(binding.key.split(",")[0], ""))
        return None

    def action_retry(self) -> None:
        """Retry every watch that failed now (a 401/403 fixed, a server back), reopen log
        streams that ended and read again the object a YAML or describe screen could not read,
        instead of waiting out the back-off."""
        if self.cluster is not None:
            self.cluster.retry()
        for screen in self._ktui_screens():
            screen.post_message(RetryRequested())
        self.notify("Retrying the watches and reads that failed and the log streams that ended.")

    def action_problems(self) -> None:
        """Triage: what is not fine, worst first (one problems screen at a time)."""
        if not isinstance(self.screen, ProblemsScreen):
            self.open_screen("problems", "")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # ------------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette entries, with "Keys" opening ktui's help (`?`; Textual's key panel
        lists Textual's names and esc did not close it) and "Screenshot" saving into ktui's
        state directory (Textual's default directory may not exist: the save failed)."""
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                yield SystemCommand("Keys", "Show the keys of this screen (as ?)", self.action_help)
            elif command.title == "Screenshot":
                yield SystemCommand(
                    "Screenshot",
                    f"Save an SVG screenshot of the screen to {screenshots_dir()}",
                    # As Textual does: once the palette has closed, so it is not in the picture.
                    lambda: self.set_timer(0.1, self.save_screenshot_to_state),
                )
            else:
                yield command

    def save_screenshot_to_state(self) -> None:
        """Save the screen as SVG under `screenshots_dir()` and say where (or why not)."""
        name = datetime.now(UTC).strftime("ktui-%Y%m%dT%H%M%S.%fZ.svg")
        try:
            path = ensure_dir(screenshots_dir()) / name
            path.write_text(self.export_screenshot(), encoding="utf-8")
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.notify(f"Could not save the screenshot: {reason}", severity="error")
            return
        self.notify(f"Saved to {path}", title="Screenshot")

    # ------------------------------------------------------------------ screens

    def open_screen(
        self,
        what: str,
        uid: str,
        *,
        previous: bool = False,
        fallback: Obj | None = None,
        replace: bool = False,
    ) -> None:
        """The one place that opens a screen about an object (screens import no other screen):
        "detail" (a pod), "describe", "yaml" (`fallback`: the object to show if it is gone),
        "events", "logs" (`previous`: of the previous container instance), "rollout",
        "revision_logs" (`uid` a workload: its current revision's pods' logs, merged),
        "problems" (triage of everything), "messages" (every toast of this run; for both
        `uid` is ignored).
        `replace`: instead of the current screen (YAML <-> describe), not above it."""
        screens: dict[str, Callable[[], Screen[Any]]] = {
            "detail": lambda: self._pod_detail_on(uid),
            "describe": lambda: DescribeScreen(uid, fallback=fallback),
            "yaml": lambda: YamlScreen(uid, fallback=fallback),
            "events": lambda: EventsScreen(uid),
            "logs": lambda: LogsScreen(uid, previous=previous),
            "rollout": lambda: RolloutScreen(uid),
            "revision_logs": lambda: RevisionLogsScreen(uid),
            "problems": lambda: ProblemsScreen(),
            "messages": lambda: MessageLogScreen(),
        }
        screen = screens[what]()
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def _pod_detail_on(self, uid: str) -> PodDetailScreen:
        """The pod screen, pointed at the pod `uid`.

        One is kept for the app's life (installed: Textual does not remove an installed screen
        when it is popped) and retargeted on every open: composing, mounting and styling a new
        one took most of an open's time, and its removal went to the full collections the GC
        pacer runs for closed screens. It is shown at most once at a time: when it is already
        on the stack (a pod opened from the problems screen opened on the pod screen), the new
        one is a screen of its own.
        """
        kept = self._pod_detail
        if kept is None:
            kept = self._pod_detail = PodDetailScreen(uid)
            self.install_screen(kept, POD_DETAIL_SCREEN)
        elif kept in self.screen_stack:
            return PodDetailScreen(uid)
        else:
            kept.show_pod(uid)
        return kept

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise RuntimeError("the main screen is not mounted")

    def back_to_main(self) -> MainScreen:
        """Close the screens above the main screen (detail screens, help); the main screen."""
        main = self.main_screen
        while self.screen is not main and len(self.screen_stack) > 1:
            self.pop_screen()
        return main


def make_app(
    settings: Settings,
    *,
    connection: Connection,
    cache_factory: CacheFactory = default_cache_factory,
    clock: Clock | None = None,
    switch_context: Callable[[str], Connection] | None = None,
    config: Config | None = None,
    gc_pacer: GcPacer | None = None,
) -> KtuiApp:
    """The one way to build the app (CLI, demo, tests, snapshots, screenshots).

    `config` None reads the user's config file (`ktui.paths.config_file()`); an invalid file
    is reported as a warning once the app runs. Command-line settings win over the file.
    """
    warning = None
    if config is None:
        config, warning = load_config_or_warning()
    settings = effective_settings(settings, config)
    override, namespace = namespace_override(settings, config)
    if override and namespace != connection.namespace:
        connection = connection.with_namespace(namespace)
    return KtuiApp(
        settings,
        connection=connection,
        cache_factory=cache_factory,
        clock=clock,
        switch_context=switch_context,
        config=config,
        config_warning=warning,
        gc_pacer=gc_pacer,
    )
