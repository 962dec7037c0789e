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

Every field is optional. `load_config` is strict: a file that cannot be read or does not have
this shape gives `ConfigError` with one line naming the file and the problem. The app uses
`load_config_or_warning`, which validates field by field: an invalid field (or keymap entry) is
ignored with a warning naming it and the rest applies, so one typo never drops `readonly`.
Read-only fails closed: an invalid `readonly` value, or a file that cannot be read or parsed at
all and may hold `readonly`, starts ktui read-only and says why. Settings from the command line
win: `-n`/`-A` over `namespace.default`; `--readonly` or the file's `readonly` makes ktui
read-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import yaml

from ktui.names import is_namespace_name
from ktui.paths import config_file
from ktui.settings import Settings

NAMESPACE_ALL: Final = "all"
NAMESPACE_CONTEXT: Final = "context"
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
    """Validate the parsed YAML of a config file (None, from an empty file, is the defaults);
    the first problem raises `ConfigError`."""
    config, problems = parse_config_fields(data, path)
    if problems:
        raise ConfigError(problems[0])
    return config


def parse_config_fields(data: Any, path: Path | None = None) -> tuple[Config, list[str]]:
    """Validate field by field: the config of the valid fields, and one line per problem.

    An invalid field keeps its default, except `readonly`, which fails closed (true)."""
    where = str(path) if path is not None else "config"
    if data is None:
        return Config(path=path), []
    if not isinstance(data, Mapping):
        problem = f"{where}: expected a mapping at the top level, got {_type(data)}"
        return Config(path=path), [problem]
    problems = [
        f"{where}: unknown field {str(key)!r} (known: {', '.join(_KNOWN_FIELDS)})"
        for key in data
        if key not in _KNOWN_FIELDS
    ]
    keymap: dict[str, str] = {}
    theme: str | None = None
    readonly = False
    namespace = NAMESPACE_CONTEXT
    try:
        keymap = _keymap(data.get("keymap"), where, problems)
    except ConfigError as exc:
        problems.append(str(exc))
    try:
        theme = _theme(data.get("theme"), where)
    except ConfigError as exc:
        problems.append(str(exc))
    try:
        readonly = _readonly(data.get("readonly", False), where)
    except ConfigError as exc:
        problems.append(f"{exc}: starting read-only")
        readonly = True
    try:
        namespace = _namespace(data.get("namespace"), where)
    except ConfigError as exc:
        problems.append(str(exc))
    config = Config(
        keymap=keymap,
        theme=theme,
        readonly=readonly,
        default_namespace=namespace,
        path=path,
    )
    return config, problems


def _type(value: Any) -> str:
    return {
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), type(value).__name__)


def _keymap(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    """The valid entries; each invalid entry is left out and named in `problems`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: keymap must map binding ids to keys, got {_type(value)}")
    keymap: dict[str, str] = {}
    for binding_id, keys in value.items():
        try:
            keymap[binding_id] = _keys(binding_id, keys, where)
        except ConfigError as exc:
            problems.append(str(exc))
    return keymap


def _keys(binding_id: Any, keys: Any, where: str) -> str:
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
    return ",".join(parts)


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
        default in (NAMESPACE_ALL, NAMESPACE_CONTEXT) or is_namespace_name(default)
    ):
        raise ConfigError(
            f"{where}: namespace.default must be all, context or a namespace name, got {default!r}"
        )
    return default


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file strictly; a missing file is the defaults."""
    path = path if path is not None else config_file()
    return parse_config(_read_yaml(path), path)


def _read_yaml(path: Path) -> Any:
    """The parsed YAML of the file (None for a missing or empty one); ConfigError otherwise."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}: cannot read: {reason}") from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {problem}") from None


def load_config_or_warning(path: Path | None = None) -> tuple[Config, str | None]:
    """The config with every valid field applied, and one warning line naming what was ignored
    (None when nothing was). Read-only fails closed: see the module docstring."""
    path = path if path is not None else config_file()
    try:
        data = _read_yaml(path)
    except ConfigError as exc:
        if _may_hold_readonly(path):
            return Config(readonly=True, path=path), (
                f"Config ignored: {exc}; starting read-only (the file may set readonly)"
            )
        return Config(path=path), f"Config ignored: {exc}"
    config, problems = parse_config_fields(data, path)
    if not isinstance(data, Mapping | None) and _may_hold_readonly(path):
        config = replace(config, readonly=True)
        problems[-1] += "; starting read-only (the file may set readonly)"
    if not problems:
        return config, None
    return config, "Config ignored: " + "; ".join(problems)


def _may_hold_readonly(path: Path) -> bool:
    """Whether a file that could not be parsed mentions readonly (or could not be read at all)."""
    try:
        return "readonly" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True


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
