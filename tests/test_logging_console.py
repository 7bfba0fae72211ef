"""The console shows one line per log record; tracebacks go to the log file only."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from magscope_core._logging import CONSOLE_ATTR, configure_logging

REMOTE_TB = ('Traceback (most recent call last):\n  File "x.py", line 1, in setup\n'
             'RuntimeError: boom\n')


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    """The log file; each test configures logging itself (while its stderr is captured)."""
    yield tmp_path / "magscope.log"
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_magscope", False)]:
        root.removeHandler(handler)
        handler.close()


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_local_and_remote_tracebacks_are_one_console_line(
        logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(logging.INFO, logged)
    log = logging.getLogger("magscope.test")
    try:
        raise ValueError("local failure")
    except ValueError:
        log.exception("step one failed")
    log.error("fatal error in manager %r: %s\n%s", "x", "RuntimeError: boom", REMOTE_TB)
    log.info("a plain line")
    _flush()
    console = capsys.readouterr().err.splitlines()
    assert len(console) == 3 and "Traceback" not in "\n".join(console)
    assert console[0].endswith(f"step one failed (details in {logged})")
    assert console[1].endswith(f"RuntimeError: boom (details in {logged})")
    assert console[2].endswith("a plain line")
    text = logged.read_text()
    assert "ValueError: local failure" in text and text.count("Traceback") == 2
    assert 'File "x.py", line 1, in setup' in text


def test_records_the_frontend_shows_stay_off_the_console(
        logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(logging.INFO, logged)
    logging.getLogger("magscope.test").error("configuration error in manager 'camera'",
                                             extra={CONSOLE_ATTR: False})
    _flush()
    assert capsys.readouterr().err == ""
    assert "configuration error in manager 'camera'" in logged.read_text()


def test_multi_line_messages_keep_their_first_line(
        logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(logging.INFO, logged)
    logging.getLogger("magscope.test").warning("first line\nsecond line")
    _flush()
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"first line (details in {logged})")
    assert "first line\nsecond line" in logged.read_text()
