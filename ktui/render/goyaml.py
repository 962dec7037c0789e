"""YAML text as `kubectl get -o yaml` prints it.

kubectl turns the object's JSON into YAML with sigs.k8s.io/yaml, that is Go's yaml.v2 encoder
on top of libyaml's emitter. This module reproduces that output for JSON values (mappings with
string keys, lists, strings, numbers, booleans, null):

- every mapping's keys sorted with yaml.v2's order (letters after other characters, digit runs
  compared as numbers: `a-b`, `a9`, `a10`, `aB`);
- block style, two spaces of indentation, sequences in a mapping not indented (`- ` under the
  key), `{}` and `[]` for empty ones;
- strings plain where libyaml allows it and where yaml.v2 would not read them back as another
  type (`"true"`, `"1"`, `"0755"`, `"2024-01-15"`, `"12:30"`, `"y"`, `""`: double quotes),
  single quotes where libyaml forbids plain (`'*x'`, `'a: b'`, `'x '`), double quotes with
  escapes for control characters (`"a\\tb"`), literal blocks (`|`, `|-`, `|+`, `|2-`) for
  several lines;
- long plain and quoted strings folded at a space past column 80, as libyaml does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

_BEST_WIDTH = 80
_INDENT = 2

# --------------------------------------------------------------------------- key order


def _key_less(a: str, b: str) -> bool:
    """yaml.v2's keyList.Less for two string keys."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter and b_letter:
            return a[i] < b[i]
        if a_letter or b_letter:
            return b_letter
        a_number = b_number = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    a_number = b_number = 1
                    break
                j -= 1
        a_end = i
        while a_end < len(a) and a[a_end].isdigit():
            a_number = a_number * 10 + int(a[a_end])
            a_end += 1
        b_end = i
        while b_end < len(b) and b[b_end].isdigit():
            b_number = b_number * 10 + int(b[b_end])
            b_end += 1
        if a_number != b_number:
            return a_number < b_number
        if a_end != b_end:
            return a_end < b_end
        return a[i] < b[i]
    return len(a) < len(b)


def _compare_keys(a: str, b: str) -> int:
    if _key_less(a, b):
        return -1
    if _key_less(b, a):
        return 1
    return 0


def sorted_keys(mapping: Mapping[str, Any]) -> list[str]:
    return sorted(mapping, key=functools.cmp_to_key(_compare_keys))


# --------------------------------------------------------------------------- resolving

_RESOLVE_MAP = frozenset(
    {
        *("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"),
        *("n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"),
        *("~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"),
        *("+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"),
    }
)
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_GO_INT = re.compile(
    r"^[-+]?(0[xX](_?[0-9a-fA-F])+|0[bB](_?[01])+|0[oO](_?[0-7])+|0(_?[0-7])*|[1-9](_?[0-9])*)$"
)
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]| )(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[-+]\d{1,2}:\d{2})?)?$"
)


def _is_timestamp(text: str) -> bool:
    match = _TIMESTAMP.match(text)
    if match is None:
        return False
    year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    try:
        datetime(year, month, day)
    except ValueError:
        return False
    if match.group(4) is None:
        return True
    hour, minute, second = (int(match.group(i)) for i in (4, 5, 6))
    if match.group(8) is None and text[10] in "Tt":
        return False  # "2006-1-2T15:4:5" without a zone is not one of yaml.v2's layouts
    return hour < 24 and minute < 60 and second < 60


def _resolves_to_other_type(text: str) -> bool:
    """Whether yaml.v2 would read this plain scalar back as something other than a string."""
    if text == "" or text in _RESOLVE_MAP:
        return True
    first = text[0]
    if first in "+-0123456789":
        if first.isdigit() and _is_timestamp(text):
            return True
        plain = text.replace("_", "")
        if _GO_INT.match(text) or _GO_INT.match(plain):
            return True
        return bool(_YAML_FLOAT.match(plain))
    if first == ".":
        try:
            float(text)
        except ValueError:
            return False
        return "_" not in text
    return False


# --------------------------------------------------------------------------- scalar analysis


def _printable(char: str) -> bool:
    code = ord(char)
    if code == 0x0A or 0x20 <= code <= 0x7E:
        return True
    if code == 0x85 or code < 0xA0:
        return False
    return not (0xD800 <= code <= 0xDFFF or code in (0xFEFF, 0xFFFE, 0xFFFF))


_BREAKS = "\r\n\x85\u2028\u2029"
_SPACE = " "


def _blank_or_end(text: str, index: int) -> bool:
    return index >= len(text) or text[index] in _SPACE + _BREAKS + "\t"


class _Analysis:
    def __init__(self, text: str) -> None:
        self.multiline = False
        self.block_plain = True
        self.single = True
        self.block = True
        if not text:
            self.block = False
            return
        block_indicators = False
        special = line_breaks = False
        leading_space = leading_break = trailing_space = trailing_break = False
        break_space = space_break = False
        previous_space = previous_break = False
        if text.startswith(("---", "...")):
            block_indicators = True
        preceded_by_whitespace = True
        for index, char in enumerate(text):
            followed_by_whitespace = _blank_or_end(text, index + 1)
            if index == 0:
                indicator = char in "#,[]{}&*!|>'\"%@`" or (
                    char in "?:-" and followed_by_whitespace
                )
            else:
                indicator = (char == ":" and followed_by_whitespace) or (
                    char == "#" and preceded_by_whitespace
                )
            block_indicators = block_indicators or indicator
            if not _printable(char) or char == "\ufeff":
                special = True
            if char in _BREAKS:
                line_breaks = True
            if char == _SPACE:
                if index == 0:
                    leading_space = True
                if index == len(text) - 1:
                    trailing_space = True
                if previous_break:
                    break_space = True
                previous_space, previous_break = True, False
            elif char in _BREAKS:
                if index == 0:
                    leading_break = True
                if index == len(text) - 1:
                    trailing_break = True
                if previous_space:
                    space_break = True
                previous_space, previous_break = False, True
            else:
                previous_space = previous_break = False
            preceded_by_whitespace = char in _SPACE + _BREAKS + "\t"
        self.multiline = line_breaks
        if leading_space or leading_break or trailing_space or trailing_break:
            self.block_plain = False
        if trailing_space:
            self.block = False
        if break_space:
            self.block_plain = False
            self.single = False
        if space_break or special:
            self.block_plain = self.single = self.block = False
        if line_breaks or block_indicators:
            self.block_plain = False


# --------------------------------------------------------------------------- writing


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.column = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.column += len(text)

    def newline(self, indent: int) -> None:
        self.parts.append("\n" + " " * indent)
        self.column = indent

    def break_line(self) -> None:
        self.parts.append("\n")
        self.column = 0

    def text(self) -> str:
        return "".join(self.parts)


_ESCAPES = {
    "\0": "0",
    "\a": "a",
    "\b": "b",
    "\t": "t",
    "\n": "n",
    "\v": "v",
    "\f": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}


def _double_quoted(out: _Writer, text: str, indent: int, allow_breaks: bool) -> None:
    out.write('"')
    spaces = False
    last = len(text) - 1
    for index, char in enumerate(text):
        if not _printable(char) or char in '\ufeff"\\' or char in _BREAKS:
            code = ord(char)
            if char in _ESCAPES:
                escaped = "\\" + _ESCAPES[char]
            elif code <= 0xFF:
                escaped = f"\\x{code:02X}"
            elif code <= 0xFFFF:
                escaped = f"\\u{code:04X}"
            else:
                escaped = f"\\U{code:08X}"
            out.write(escaped)
            spaces = False
        elif char == _SPACE:
            if allow_breaks and not spaces and out.column > _BEST_WIDTH and 0 < index < last:
                out.newline(indent)
                if text[index + 1] == _SPACE:
                    out.write("\\")
            else:
                out.write(char)
            spaces = True
        else:
            out.write(char)
            spaces = False
    out.write('"')


def _single_quoted(out: _Writer, text: str, indent: int, allow_breaks: bool) -> None:
    out.write("'")
    spaces = False
    last = len(text) - 1
    for index, char in enumerate(text):
        if char == _SPACE:
            if (
                allow_breaks
                and not spaces
                and out.column > _BEST_WIDTH
                and 0 < index < last
                and text[index + 1] != _SPACE
            ):
                out.newline(indent)
            else:
                out.write(char)
            spaces = True
        else:
            out.write("''" if char == "'" else char)
            spaces = False
    out.write("'")


def _plain(out: _Writer, text: str, indent: int, allow_breaks: bool) -> None:
    spaces = False
    for index, char in enumerate(text):
        if char == _SPACE:
            if (
                allow_breaks
                and not spaces
                and out.column > _BEST_WIDTH
                and not (index + 1 < len(text) and text[index + 1] == _SPACE)
            ):
                out.newline(indent)
            else:
                out.write(char)
            spaces = True
        else:
            out.write(char)
            spaces = False


def _literal(out: _Writer, text: str, indent: int) -> None:
    header = "|"
    if text[0] in _SPACE + _BREAKS:
        header += str(_INDENT)
    if text[-1] not in _BREAKS:
        header += "-"
    elif len(text) == 1 or text[-2] in _BREAKS:
        header += "+"
    out.write(header)
    out.break_line()
    at_line_start = True
    for char in text:
        if char in _BREAKS:
            out.break_line()
            at_line_start = True
        else:
            if at_line_start:
                out.write(" " * indent)
                at_line_start = False
            out.write(char)


def _string(out: _Writer, text: str, indent: int, *, key: bool) -> None:
    analysis = _Analysis(text)
    if "\n" in text and not key:
        if analysis.block:
            _literal(out, text, indent)
        else:
            _double_quoted(out, text, indent, allow_breaks=True)
        return
    if _resolves_to_other_type(text) or _BASE60_FLOAT.match(text):
        _double_quoted(out, text, indent, allow_breaks=not key)
    elif analysis.block_plain and not (key and analysis.multiline):
        _plain(out, text, indent, allow_breaks=not key)
    elif analysis.single:
        _single_quoted(out, text, indent, allow_breaks=not key)
    else:
        _double_quoted(out, text, indent, allow_breaks=not key)


def _go_float(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64), with yaml.v2's names for the specials."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    sign = "-" if str(value).startswith("-") else ""
    if value == 0:
        return sign + "0"
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0").rstrip("0") or "0"
    if exp_text:
        exp = int(exp_text) + len(whole) - 1
    elif whole.strip("0"):
        exp = len(whole.lstrip("0")) - 1
    else:
        exp = -(len(fraction) - len(fraction.lstrip("0")) + 1)
    if exp < -4 or exp >= 6:  # Go: shortest precision decides with 6
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return f"{sign}{digits}{'0' * (exp + 1 - len(digits))}"
    return f"{sign}{digits[: exp + 1]}.{digits[exp + 1 :]}"


def _scalar(out: _Writer, value: Any, indent: int) -> None:
    if value is None:
        out.write("null")
    elif value is True:
        out.write("true")
    elif value is False:
        out.write("false")
    elif isinstance(value, int):
        out.write(str(value))
    elif isinstance(value, float):
        out.write(_go_float(value))
    else:
        _string(out, str(value), indent, key=False)


def _is_collection(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple) and len(value) > 0


def _node(out: _Writer, value: Any, indent: int) -> None:
    """A value written where the writer stands (after `key: ` or `- `)."""
    if isinstance(value, Mapping) and not value:
        out.write("{}")
    elif isinstance(value, list | tuple) and not value:
        out.write("[]")
    else:
        _scalar(out, value, indent)


def _mapping(out: _Writer, mapping: Mapping[str, Any], indent: int, *, inline: bool) -> None:
    first = True
    for key in sorted_keys(mapping):
        if not (first and inline):
            _start_line(out, indent)
        first = False
        _string(out, str(key), indent, key=True)
        out.write(":")
        value = mapping[key]
        if isinstance(value, Mapping) and value:
            _mapping(out, value, indent + _INDENT, inline=False)
        elif isinstance(value, list | tuple) and value:
            _sequence(out, value, indent)
        else:
            out.write(" ")
            _node(out, value, indent + _INDENT)


def _sequence(out: _Writer, items: Sequence[Any], indent: int) -> None:
    for item in items:
        _start_line(out, indent)
        out.write("- ")
        if isinstance(item, Mapping) and item:
            _mapping(out, item, indent + _INDENT, inline=True)
        elif isinstance(item, list | tuple) and item:
            _nested_sequence(out, item, indent + _INDENT)
        else:
            _node(out, item, indent + _INDENT)


def _nested_sequence(out: _Writer, items: Sequence[Any], indent: int) -> None:
    """A sequence that starts on the line of its parent's `- `."""
    for index, item in enumerate(items):
        if index:
            _start_line(out, indent)
        out.write("- ")
        if isinstance(item, Mapping) and item:
            _mapping(out, item, indent + _INDENT, inline=True)
        elif isinstance(item, list | tuple) and item:
            _nested_sequence(out, item, indent + _INDENT)
        else:
            _node(out, item, indent + _INDENT)


def _start_line(out: _Writer, indent: int) -> None:
    # A literal block ends with its own line break: libyaml does not add another.
    if out.parts and not (out.column == 0 and out.parts[-1].endswith("\n")):
        out.break_line()
    out.write(" " * indent)


def dump(value: Any) -> str:
    """`value` (JSON-like) as kubectl's `-o yaml` prints it, ending with a newline."""
    out = _Writer()
    if isinstance(value, Mapping) and value:
        _mapping(out, value, 0, inline=True)
    elif isinstance(value, list | tuple) and value:
        _sequence(out, value, 0)
    else:
        _node(out, value, _INDENT)
    return out.text() + "\n"
