"""The READMEs' commands run from a checkout: the interpreter they name is the repository's
`.venv` (made by the README's set-up line), never a path on somebody's machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "bench" / "README.md"]
# An interpreter named by path: /usr/bin/python3, ~/venv/bin/python, /work/x/.venv/bin/python...
INTERPRETER = re.compile(r"(?:[~\w./-]*/)?(?:bin/)?python3?(?:\.\d+)?\b")


def commands(readme: Path) -> list[str]:
    """Lines of the fenced `sh` blocks and inline code spans that run something."""
    text = readme.read_text()
    lines = [
        line.strip()
        for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
        for line in block.splitlines()
    ]
    lines += re.findall(r"`([^`\n]+)`", text)
    return [line for line in lines if "python" in line]


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_commands_use_the_repositorys_venv(readme: Path) -> None:
    found = commands(readme)
    assert found, "no python command found: has the README changed shape?"
    for line in found:
        for match in INTERPRETER.finditer(line):
            interpreter = match.group(0)
            if "/" not in interpreter:
                continue  # `python3 -m venv`, `python -m ktui`: whatever is on PATH
            assert interpreter.startswith(".venv/bin/python"), line
