"""The header: context, server, namespace scope, server version and the state of each watch.

What it shows is drawn by `ktui.render.header`; the widget gathers the values and repaints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ktui.render.header import header_text
from ktui.ui.widgets.safe import SafeStatic

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp


class ClusterHeader(SafeStatic):
    DEFAULT_CSS = """
    ClusterHeader {
        height: 2;
        background: $panel;
        padding: 0 1;
    }
    """

    _shown: Text | None = None

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.refresh_states()

    def on_resize(self) -> None:
        self.refresh_states()  # the first line is fitted to the width

    def refresh_states(self) -> None:
        app = self.ktui
        connection = app.connection
        now = app.clock()
        text = header_text(
            connection.context_name,
            connection.cluster_server,
            connection.server_version,
            connection.namespace,
            app.model.objects.states,
            now,
            readonly=app.readonly,
            retry_key=app.key_for("app.retry"),
            problems=app.model.triage.count(now),
            problems_key=app.key_for("app.problems"),
            width=self.content_size.width or None,
        )
        # Every batch carries cache states; an update re-lays out the screen, so skip it when
        # nothing the header shows has changed.
        if text != self._shown:
            self._shown = text
            self.update(text)
