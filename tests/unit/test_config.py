"""The config file: parsing, validation (one-line errors), and how it combines with the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.config import (
    Config,
    ConfigError,
    effective_settings,
    load_config,
    load_config_or_warning,
    namespace_override,
    parse_config,
)
from ktui.paths import config_file
from ktui.settings import Settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "keymap:\n  main.next_kind: x\n  logs.autoscroll: 'f, ctrl+s'\n"
        "theme: nord\nreadonly: true\nnamespace:\n  default: team-b\n",
    )
    config = load_config(path)
    assert config.keymap == {"main.next_kind": "x", "logs.autoscroll": "f,ctrl+s"}
    assert config.theme == "nord"
    assert config.readonly is True
    assert config.default_namespace == "team-b"
    assert config.path == path


def test_missing_and_empty_files_are_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "nope.yaml") == Config(path=tmp_path / "nope.yaml")
    empty = write(tmp_path, "")
    assert load_config(empty) == Config(path=empty)


def test_default_path_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "ktui").mkdir()
    (tmp_path / "ktui" / "config.yaml").write_text("readonly: true\n", encoding="utf-8")
    assert config_file() == tmp_path / "ktui" / "config.yaml"
    assert load_config().readonly is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "expected a mapping at the top level, got a list"),
        ("colour: red\n", "unknown field 'colour'"),
        ("keymap: [a]\n", "keymap must map binding ids to keys, got a list"),
        ("keymap:\n  main.next_kind: 3\n", "keymap.main.next_kind: expected keys"),
        ("keymap:\n  main.next_kind: 'a,,b'\n", "keymap.main.next_kind: '' is not a key"),
        ("keymap:\n  'bad id!': x\n", "'bad id!' is not a binding id"),
        ("theme: 3\n", "theme must be a theme name, got a number"),
        ("readonly: yes please\n", "readonly must be true or false, got a string"),
        ("namespace: all\n", "namespace must be a mapping like {default: all}"),
        ("namespace:\n  default: Not_A_Name\n", "namespace.default must be all, context or"),
        ("namespace:\n  fallback: x\n", "namespace: unknown field 'fallback'"),
        ("keymap: {a: [\n", "not valid YAML at line"),
    ],
)
def test_invalid_files_give_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(f"{path}: ")
    assert message in error


def test_unreadable_file(tmp_path: Path) -> None:
    directory = tmp_path / "config.yaml"
    directory.mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(directory)


def test_warning_instead_of_error(tmp_path: Path) -> None:
    # An invalid readonly value fails closed: read-only, and the warning says so.
    path = write(tmp_path, "readonly: maybe\n")
    config, warning = load_config_or_warning(path)
    assert config == Config(readonly=True, path=path)
    assert warning is not None and warning.startswith("Config ignored: ")
    assert "readonly must be true or false" in warning
    assert warning.endswith("starting read-only")
    good = write(tmp_path, "readonly: false\n")
    assert load_config_or_warning(good) == (Config(path=good), None)


def test_cli_wins_over_config() -> None:
    readonly = Config(readonly=True)
    assert effective_settings(Settings(), readonly).readonly is True
    assert effective_settings(Settings(readonly=True), Config()).readonly is True
    assert effective_settings(Settings(), Config()).readonly is False

    everywhere = parse_config({"namespace": {"default": "all"}})
    assert namespace_override(Settings(), everywhere) == (True, None)
    assert namespace_override(Settings(namespace="web"), everywhere) == (False, None)
    assert namespace_override(Settings(all_namespaces=True), everywhere) == (False, None)
    named = parse_config({"namespace": {"default": "team-b"}})
    assert namespace_override(Settings(), named) == (True, "team-b")
    assert namespace_override(Settings(), Config()) == (False, None)


def test_one_invalid_field_never_drops_readonly(tmp_path: Path) -> None:
    path = write(tmp_path, "readonly: true\nkeymap:\n  rollout.undo: 5\n  main.next_kind: x\n")
    config, warning = load_config_or_warning(path)
    assert config.readonly is True
    assert config.keymap == {"main.next_kind": "x"}
    assert warning is not None and "\n" not in warning
    assert "keymap.rollout.undo: expected keys" in warning
    assert "main.next_kind" not in warning


def test_each_invalid_field_is_named_and_the_rest_applies(tmp_path: Path) -> None:
    path = write(tmp_path, "colour: red\ntheme: nord\nnamespace: all\nreadonly: false\n")
    config, warning = load_config_or_warning(path)
    assert config == Config(theme="nord", path=path)
    assert warning is not None
    assert "unknown field 'colour'" in warning
    assert "namespace must be a mapping" in warning
    assert "read-only" not in warning


@pytest.mark.parametrize(
    ("text", "readonly"),
    [
        ("readonly: true\nkeymap: {a: [\n", True),
        ("theme: nord\nkeymap: {a: [\n", False),
        ("- readonly\n- true\n", True),
        ("- theme\n", False),
    ],
)
def test_a_file_that_cannot_be_parsed_fails_closed_if_it_may_set_readonly(
    tmp_path: Path, text: str, readonly: bool
) -> None:
    path = write(tmp_path, text)
    config, warning = load_config_or_warning(path)
    assert config == Config(readonly=readonly, path=path)
    assert warning is not None and warning.startswith("Config ignored: ")
    assert warning.endswith("starting read-only (the file may set readonly)") is readonly


def test_an_unreadable_file_starts_read_only(tmp_path: Path) -> None:
    directory = tmp_path / "config.yaml"
    directory.mkdir()
    config, warning = load_config_or_warning(directory)
    assert config.readonly is True
    assert warning is not None and "cannot read" in warning and "starting read-only" in warning
