"""Log records go to the file in the XDG state directory, redacted, never to stderr."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from ktui.cluster.errors import register_secret
from ktui.logs import configure_logging


def test_records_go_to_the_state_file_redacted(tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        path = configure_logging(environ=environ)
        assert path == tmp_path / "ktui" / "ktui.log"
        register_secret("s3cr3t-token-value")
        logging.getLogger("ktui.test").warning("listing failed with token s3cr3t-token-value")
        for handler in root.handlers:
            handler.flush()
        text = path.read_text()
        assert "listing failed" in text
        assert "s3cr3t-token-value" not in text
    finally:
        for handler in list(root.handlers):
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])


def test_nothing_reaches_stderr(tmp_path: Path) -> None:
    code = (
        "import logging; from ktui.logs import configure_logging; configure_logging(); "
        "logging.getLogger('urllib3.connectionpool').warning('Connection pool is full'); "
        "logging.getLogger('ktui.cluster.cache').error('Pod: watch failed')"
    )
    env = {"XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Pod: watch failed" in (tmp_path / "ktui" / "ktui.log").read_text()
