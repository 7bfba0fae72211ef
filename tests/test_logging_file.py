"""``magscope.log`` on a real full disk: one line on stderr, never a traceback per record."""

from __future__ import annotations

import logging

import pytest
from _disk import fill, small_disk

from magscope_core._logging import LogFileHandler


@pytest.mark.parametrize("min_free", [LogFileHandler.min_free, 0],
                         ids=["free-space-check", "write-fails"])
def test_a_full_disk_pauses_the_log_file_once_and_it_resumes(tmp_path, capsys, min_free):
    with small_disk(tmp_path / "disk", "1m") as disk:
        handler = LogFileHandler(disk / "magscope.log")
        handler.min_free = min_free
        handler.retry_s = 3600.0
        log = logging.getLogger("magscope.test_logging_file")
        log.propagate = False
        log.addHandler(handler)
        try:
            log.warning("before the disk filled up")
            ballast = fill(disk, 8192)
            for i in range(300):
                log.warning("record %d %s", i, "x" * 200)
            err = capsys.readouterr().err
            assert err.count("cannot write the log file") == 1, err
            assert "Logging error" not in err and "Traceback" not in err
            ballast.unlink()
            handler.retry_s = 0.0
            log.warning("after the disk was emptied")
            handler.flush()
            text = (disk / "magscope.log").read_text()
            assert text.startswith("before the disk filled up")
            assert "log record(s) were not written here while the disk was full" in text
            assert text.rstrip().endswith("after the disk was emptied")
            assert capsys.readouterr().err == ""
        finally:
            log.removeHandler(handler)
            handler.close()
