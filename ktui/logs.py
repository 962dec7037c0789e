"""Where ktui's own log records go: a file, never the terminal the UI draws on.

A warning printed to stderr while Textual owns the screen would scribble over it, and Python's
last-resort handler does exactly that for any library that logs. So the root logger gets one
handler: a size-capped file in the XDG state directory, with secrets redacted.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Mapping
from pathlib import Path

from ktui.cluster.errors import RedactingFilter
from ktui.paths import ensure_dir, log_file

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    level: int = logging.INFO, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Send every log record to the log file; returns its path (None if it cannot be opened,
    then records are dropped rather than drawn over the UI)."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_ktui", False):  # configured before (tests call main() often)
            root.removeHandler(existing)
            existing.close()
    path = log_file(environ)
    handler: logging.Handler
    found: Path | None = path
    try:
        ensure_dir(path.parent)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
        found = None
    setattr(handler, "_ktui", True)  # noqa: B010 - a marker on a stdlib object
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # urllib3 logs every retried or discarded connection at WARNING; useful in the file only.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    return found
