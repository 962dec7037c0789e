"""Where ktui keeps its files, following the XDG base-directory specification.

Every function takes an optional `environ` so tests need not touch the real environment; nothing
here creates a directory (callers that write do so with `ensure_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = [
    "APP_NAME",
    "CONFIG_FILE_NAME",
    "cache_dir",
    "config_dir",
    "config_file",
    "ensure_dir",
    "home_dir",
    "log_file",
    "saved_logs_dir",
    "screenshots_dir",
    "state_dir",
]

APP_NAME: Final = "ktui"
CONFIG_FILE_NAME: Final = "config.yaml"
LOG_FILE_NAME: Final = "ktui.log"


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def _xdg_base(variable: str, fallback: tuple[str, ...], environ: Mapping[str, str] | None) -> Path:
    env = os.environ if environ is None else environ
    value = env.get(variable, "")
    # The spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return home_dir(env).joinpath(*fallback)


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/ktui`, default `~/.config/ktui`."""
    return _xdg_base("XDG_CONFIG_HOME", (".config",), environ) / APP_NAME


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The user's settings file, `config.yaml` in the config directory."""
    return config_dir(environ) / CONFIG_FILE_NAME


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/ktui`, default `~/.local/state/ktui`: logs and history worth keeping."""
    return _xdg_base("XDG_STATE_HOME", (".local", "state"), environ) / APP_NAME


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/ktui`, default `~/.cache/ktui`: anything safe to delete."""
    return _xdg_base("XDG_CACHE_HOME", (".cache",), environ) / APP_NAME


def log_file(environ: Mapping[str, str] | None = None) -> Path:
    return state_dir(environ) / LOG_FILE_NAME


def saved_logs_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`logs` in the state directory: logs saved from the log screens (ctrl+s)."""
    return state_dir(environ) / "logs"


def screenshots_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`screenshots` in the state directory: SVG screenshots saved from the command palette."""
    return state_dir(environ) / "screenshots"


def ensure_dir(path: Path) -> Path:
    """Create `path` (private to the user: it may hold logs naming clusters) and return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
