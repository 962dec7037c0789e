"""The user's config file: YAML at `ktui.paths.config_file()` (`~/.config/ktui/config.yaml`).

```yaml
keymap:            # binding id -> keys (ids are listed by `?`)
  main.next_kind: "right,l"
  logs.autoscroll: "f"
theme: nord        # any Textual theme
readonly: true     # refuse every action that changes the cluster
namespace:
  default: all     # all | context | NAME: the scope when no -n/-A is given
```

Every field is optional. A file that cannot be read or does not have this shape gives
`ConfigError` with one line naming the file and the problem; `load_config_or_warning` turns that
into the defaults plus the warning, so the app still starts. Settings from the command line win:
`-n`/`-A` over `namespace.default`; `--readonly` or the file's `readonly` makes ktui read-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import yaml

from ktui.paths import config_file
from ktui.settings import Settings

NAMESPACE_ALL: Final = "all"
NAMESPACE_CONTEXT: Final = "context"
_NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_BINDING_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")
_KEY = re.compile(r"^[A-Za-z0-9_+\-]+$|^.$")
_KNOWN_FIELDS = ("keymap", "theme", "readonly", "namespace")


class ConfigError(Exception):
    """The config file is unreadable or invalid; the message is one line."""


@dataclass(frozen=True)
class Config:
    keymap: Mapping[str, str] = field(default_factory=dict)
    """Binding id -> comma-separated keys, as `App.set_keymap` takes them."""
    theme: str | None = None
    readonly: bool = False
    default_namespace: str = NAMESPACE_CONTEXT
    """"all", "context" (the kubeconfig context's namespace), or a namespace name."""
    path: Path | None = None


def parse_config(data: Any, path: Path | None = None) -> Config:
    """Validate the parsed YAML of a config file (None, from an empty file, is the defaults)."""
    where = str(path) if path is not None else "config"
    if data is None:
        return Config(path=path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping at the top level, got {_type(data)}")
    unknown = [str(key) for key in data if key not in _KNOWN_FIELDS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(_KNOWN_FIELDS)})"
        )
    return Config(
        keymap=_keymap(data.get("keymap"), where),
        theme=_theme(data.get("theme"), where),
        readonly=_readonly(data.get("readonly", False), where),
        default_namespace=_namespace(data.get("namespace"), where),
        path=path,
    )


def _type(value: Any) -> str:
    return {
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), type(value).__name__)


def _keymap(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: keymap must map binding ids to keys, got {_type(value)}")
    keymap: dict[str, str] = {}
    for binding_id, keys in value.items():
        if not isinstance(binding_id, str) or not _BINDING_ID.match(binding_id):
            raise ConfigError(f"{where}: keymap: {binding_id!r} is not a binding id")
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(
                f'{where}: keymap.{binding_id}: expected keys like "ctrl+l" or "f,right", '
                f"got {_type(keys)}"
            )
        parts = [part.strip() for part in keys.split(",")]
        for part in parts:
            if not part or not _KEY.match(part):
                raise ConfigError(f"{where}: keymap.{binding_id}: {part!r} is not a key")
        keymap[binding_id] = ",".join(parts)
    return keymap


def _theme(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: theme must be a theme name, got {_type(value)}")
    return value.strip()


def _readonly(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: readonly must be true or false, got {_type(value)}")
    return value


def _namespace(value: Any, where: str) -> str:
    if value is None:
        return NAMESPACE_CONTEXT
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: namespace must be a mapping like {{default: all}}, got {_type(value)}"
        )
    unknown = [str(key) for key in value if key != "default"]
    if unknown:
        raise ConfigError(f"{where}: namespace: unknown field {unknown[0]!r} (known: default)")
    default = value.get("default", NAMESPACE_CONTEXT)
    if not isinstance(default, str) or not (
        default in (NAMESPACE_ALL, NAMESPACE_CONTEXT)
        or (len(default) <= 63 and _NAMESPACE_NAME.match(default))
    ):
        raise ConfigError(
            f"{where}: namespace.default must be all, context or a namespace name, got {default!r}"
        )
    return default


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file; a missing file is the defaults."""
    path = path if path is not None else config_file()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}: cannot read: {reason}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {problem}") from None
    return parse_config(data, path)


def load_config_or_warning(path: Path | None = None) -> tuple[Config, str | None]:
    """The config, or the defaults and a one-line warning when the file is invalid."""
    try:
        return load_config(path), None
    except ConfigError as exc:
        return Config(path=path), f"Config ignored: {exc}"


def effective_settings(settings: Settings, config: Config) -> Settings:
    """The CLI's settings with the config's defaults where the CLI said nothing."""
    return replace(settings, readonly=settings.readonly or config.readonly)


def namespace_override(settings: Settings, config: Config) -> tuple[bool, str | None]:
    """Whether the config changes the namespace scope, and to what (None: all namespaces).

    Only when the command line gave neither `-n` nor `-A`; "context" keeps the context's.
    """
    if settings.namespace is not None or settings.all_namespaces:
        return False, None
    if config.default_namespace == NAMESPACE_CONTEXT:
        return False, None
    if config.default_namespace == NAMESPACE_ALL:
        return True, None
    return True, config.default_namespace
